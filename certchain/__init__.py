"""
certchain: assemble and verify TLS certificate chains.

The stable API is what this module re-exports in ``__all__``; modules and
their ``_private`` helpers may change.  Every sequence of certificates is
leaf first.
"""

from .build import BuildResult, build_chain, pick_leaf
from .deploy import served_files
from .doctor import doctor_config
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
from .inventory import inspect_material
from .jhconfig import ConfigError, parse_settings, set_ssl
from .keys import key_matches
from .load import load_bytes, load_file, load_files, sibling_key
from .model import Chain, Format, LoadedCert, LoadedKey, Material, Source, TrustStore
from .snippets import RENDERERS, ServedFiles, SnippetError, jupyterhub, render
from .strict import pedantic_objections, strict_objection
from .trust import certifi_store, store_from_paths
from .verify import Report, verify_chain, verify_file
from .write import chain_pem, write_chain, write_file

__all__ = [
    "RENDERERS",
    "AmbiguousLeaf",
    "BadPassword",
    "BuildResult",
    "CertPool",
    "CertchainError",
    "Chain",
    "Code",
    "ConfigError",
    "Finding",
    "Format",
    "LoadError",
    "LoadedCert",
    "LoadedKey",
    "Material",
    "OutputExistsError",
    "PasswordRequired",
    "Report",
    "Search",
    "ServedFiles",
    "Severity",
    "SnippetError",
    "Source",
    "TrustStore",
    "TrustStoreError",
    "WriteError",
    "build_chain",
    "build_chains",
    "certifi_store",
    "chain_pem",
    "doctor_config",
    "inspect_material",
    "jupyterhub",
    "key_matches",
    "load_bytes",
    "load_file",
    "load_files",
    "parse_settings",
    "pedantic_objections",
    "pick_leaf",
    "render",
    "served_files",
    "set_ssl",
    "sibling_key",
    "store_from_paths",
    "strict_objection",
    "verify_chain",
    "verify_file",
    "write_chain",
    "write_file",
]
