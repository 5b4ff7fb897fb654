"""
certchain: assemble and verify TLS certificate chains.

The stable API is what this module re-exports in ``__all__``; modules and
their ``_private`` helpers may change.  Every sequence of certificates is
leaf first.
"""

from .assess import Assessment, assess, deployed_leaf, pick_leaf
from .build import build_chain
from .capture import capture_chain
from .connect import judge_capture, served_differs
from .deploy import (
    ConfigEdit,
    apply_config_edit,
    combined_output,
    plan_config_edit,
    served_files,
)
from .doctor import doctor_config
from .errors import (
    AmbiguousLeaf,
    BadPassword,
    CertchainError,
    ConnectError,
    KeyRequired,
    LoadError,
    OutputExistsError,
    OutputRefused,
    PasswordRequired,
    TrustStoreError,
    WriteError,
)
from .findings import CertName, Code, Finding, Remedy, Severity
from .graph import CertPool, Search, build_chains
from .inventory import inspect_material
from .jhconfig import ConfigError, parse_settings, set_ssl
from .keys import key_matches
from .load import find_keys, load_bytes, load_file, load_files, sibling_key
from .model import Chain, Format, LoadedCert, LoadedKey, Material, Role, Source, TrustStore
from .policy import Policy
from .proof import Proof, Refusal, prove_build, prove_chain, prove_files, prove_pem, prove_served
from .results import BuildResult, Capture, Report
from .served import assess_served
from .snippets import RENDERERS, ServedFiles, SnippetError, jupyterhub, render
from .strict import pedantic_objections, strict_objection
from .trust import certifi_store, store_from_paths, store_from_specs, system_store
from .verify import verify_chain, verify_file
from .write import Output, chain_pem, plan_output, write_chain, write_file, write_outputs

__all__ = [
    "RENDERERS",
    "AmbiguousLeaf",
    "Assessment",
    "BadPassword",
    "BuildResult",
    "Capture",
    "CertName",
    "CertPool",
    "CertchainError",
    "Chain",
    "Code",
    "ConfigEdit",
    "ConfigError",
    "ConnectError",
    "Finding",
    "Format",
    "KeyRequired",
    "LoadError",
    "LoadedCert",
    "LoadedKey",
    "Material",
    "Output",
    "OutputExistsError",
    "OutputRefused",
    "PasswordRequired",
    "Policy",
    "Proof",
    "Refusal",
    "Remedy",
    "Report",
    "Role",
    "Search",
    "ServedFiles",
    "Severity",
    "SnippetError",
    "Source",
    "TrustStore",
    "TrustStoreError",
    "WriteError",
    "apply_config_edit",
    "assess",
    "assess_served",
    "build_chain",
    "build_chains",
    "capture_chain",
    "certifi_store",
    "chain_pem",
    "combined_output",
    "deployed_leaf",
    "doctor_config",
    "find_keys",
    "inspect_material",
    "judge_capture",
    "jupyterhub",
    "key_matches",
    "load_bytes",
    "load_file",
    "load_files",
    "parse_settings",
    "pedantic_objections",
    "pick_leaf",
    "plan_config_edit",
    "plan_output",
    "prove_build",
    "prove_chain",
    "prove_files",
    "prove_pem",
    "prove_served",
    "render",
    "served_differs",
    "served_files",
    "set_ssl",
    "sibling_key",
    "store_from_paths",
    "store_from_specs",
    "strict_objection",
    "system_store",
    "verify_chain",
    "verify_file",
    "write_chain",
    "write_file",
    "write_outputs",
]
