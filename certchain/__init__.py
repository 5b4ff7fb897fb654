"""
certchain: assemble and verify TLS certificate chains.

The stable API is what this module re-exports in ``__all__``; modules and
their ``_private`` helpers may change.  Every sequence of certificates is
leaf first.
"""

from .build import BuildResult, build_chain, pick_leaf
from .errors import (
    AmbiguousLeaf,
    BadPassword,
    CertchainError,
    LoadError,
    OutputExistsError,
    PasswordRequired,
    TrustStoreError,
    WriteError,
)
from .findings import Code, Finding, Severity
from .graph import CertPool, Search, build_chains
from .keys import key_matches
from .load import load_bytes, load_file, load_files, sibling_key
from .model import Chain, Format, LoadedCert, LoadedKey, Material, Source, TrustStore
from .snippets import ServedFiles, jupyterhub
from .strict import strict_objection
from .trust import certifi_store, store_from_paths
from .write import chain_pem, write_chain, write_file

__all__ = [
    "AmbiguousLeaf",
    "BadPassword",
    "BuildResult",
    "CertPool",
    "CertchainError",
    "Chain",
    "Code",
    "Finding",
    "Format",
    "LoadError",
    "LoadedCert",
    "LoadedKey",
    "Material",
    "OutputExistsError",
    "PasswordRequired",
    "Search",
    "ServedFiles",
    "Severity",
    "Source",
    "TrustStore",
    "TrustStoreError",
    "WriteError",
    "build_chain",
    "build_chains",
    "certifi_store",
    "chain_pem",
    "jupyterhub",
    "key_matches",
    "load_bytes",
    "load_file",
    "load_files",
    "pick_leaf",
    "sibling_key",
    "store_from_paths",
    "strict_objection",
    "write_chain",
    "write_file",
]
