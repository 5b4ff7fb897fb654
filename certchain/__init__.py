"""
certchain: assemble and verify TLS certificate chains.

The stable API is what this module re-exports in ``__all__``; modules and
their ``_private`` helpers may change.  Every sequence of certificates is
leaf first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Type checkers and readers see the imports; at run time each name is imported
# on first use (`__getattr__`).
if TYPE_CHECKING:
    from .assessment import Assessment, assess, deployed_leaf, pick_leaf
    from .audit import AuditResult, SiteAudit, audit_host
    from .build import build_chain
    from .cache import cache_folder
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
        ConfigError,
        ConnectError,
        KeyRequired,
        LoadError,
        OutputExistsError,
        OutputRefused,
        PasswordRequired,
        SnippetError,
        TrustStoreError,
        WriteError,
    )
    from .fetch import Fetched, Fetcher, FetchError, FetchProblem
    from .fetcher import UrllibFetcher
    from .findings import CertName, Code, Download, Finding, Remedy, Severity
    from .graph import Search, build_chains
    from .inventory import inspect_material
    from .jhconfig import parse_settings, set_ssl
    from .keyfiles import find_keys, sibling_key
    from .keys import key_matches
    from .load import load_bytes, load_file, load_files
    from .metrics import prometheus_text
    from .model import Chain, Format, LoadedCert, LoadedKey, Material, Role, Source, TrustStore
    from .policy import Policy
    from .pool import CertPool
    from .proof import (
        Proof,
        Refusal,
        prove_build,
        prove_chain,
        prove_files,
        prove_pem,
        prove_served,
    )
    from .results import BuildResult, Capture, Report
    from .served import assess_served
    from .serverconf import read_server_config
    from .sitecheck import judge_site
    from .sites import ConfigResult, ServerConfig, Site, SiteResult, Where
    from .snippets import RENDERERS, ServedFiles, jupyterhub, render
    from .strict import pedantic_objections, strict_objection
    from .trust import certifi_store, store_from_paths, store_from_specs, system_store
    from .verify import verify_chain, verify_file
    from .write import Output, chain_pem, plan_output, write_chain, write_file, write_outputs

#: Where each public name lives: ``import certchain`` imports nothing else until
#: a name is used, so that the command line starts fast (a command imports only
#: what it uses).
_HOMES: dict[str, str] = {
    "Assessment": "assessment",
    "assess": "assessment",
    "deployed_leaf": "assessment",
    "pick_leaf": "assessment",
    "AuditResult": "audit",
    "SiteAudit": "audit",
    "audit_host": "audit",
    "prometheus_text": "metrics",
    "build_chain": "build",
    "capture_chain": "capture",
    "judge_capture": "connect",
    "served_differs": "connect",
    "ConnectError": "errors",
    "Capture": "results",
    "store_from_specs": "trust",
    "system_store": "trust",
    "cache_folder": "cache",
    "Fetched": "fetch",
    "Fetcher": "fetch",
    "FetchError": "fetch",
    "FetchProblem": "fetch",
    "UrllibFetcher": "fetcher",
    "Download": "findings",
    "ConfigEdit": "deploy",
    "apply_config_edit": "deploy",
    "combined_output": "deploy",
    "plan_config_edit": "deploy",
    "served_files": "deploy",
    "doctor_config": "doctor",
    "read_server_config": "serverconf",
    "judge_site": "sitecheck",
    "ConfigResult": "sites",
    "ServerConfig": "sites",
    "Site": "sites",
    "SiteResult": "sites",
    "Where": "sites",
    "AmbiguousLeaf": "errors",
    "BadPassword": "errors",
    "CertchainError": "errors",
    "KeyRequired": "errors",
    "LoadError": "errors",
    "OutputExistsError": "errors",
    "OutputRefused": "errors",
    "PasswordRequired": "errors",
    "TrustStoreError": "errors",
    "WriteError": "errors",
    "CertName": "findings",
    "Code": "findings",
    "Finding": "findings",
    "Remedy": "findings",
    "Severity": "findings",
    "CertPool": "pool",
    "Search": "graph",
    "build_chains": "graph",
    "inspect_material": "inventory",
    "ConfigError": "errors",
    "parse_settings": "jhconfig",
    "set_ssl": "jhconfig",
    "key_matches": "keys",
    "find_keys": "keyfiles",
    "load_bytes": "load",
    "load_file": "load",
    "load_files": "load",
    "sibling_key": "keyfiles",
    "Chain": "model",
    "Format": "model",
    "LoadedCert": "model",
    "LoadedKey": "model",
    "Material": "model",
    "Role": "model",
    "Source": "model",
    "TrustStore": "model",
    "Policy": "policy",
    "Proof": "proof",
    "Refusal": "proof",
    "prove_build": "proof",
    "prove_chain": "proof",
    "prove_files": "proof",
    "prove_pem": "proof",
    "prove_served": "proof",
    "BuildResult": "results",
    "Report": "results",
    "assess_served": "served",
    "RENDERERS": "snippets",
    "ServedFiles": "snippets",
    "SnippetError": "errors",
    "jupyterhub": "snippets",
    "render": "snippets",
    "pedantic_objections": "strict",
    "strict_objection": "strict",
    "certifi_store": "trust",
    "store_from_paths": "trust",
    "verify_chain": "verify",
    "verify_file": "verify",
    "Output": "write",
    "chain_pem": "write",
    "plan_output": "write",
    "write_chain": "write",
    "write_file": "write",
    "write_outputs": "write",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

__all__ = [
    "RENDERERS",
    "AmbiguousLeaf",
    "Assessment",
    "AuditResult",
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
    "ConfigResult",
    "ConnectError",
    "Download",
    "FetchError",
    "FetchProblem",
    "Fetched",
    "Fetcher",
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
    "ServerConfig",
    "Severity",
    "Site",
    "SiteAudit",
    "SiteResult",
    "SnippetError",
    "Source",
    "TrustStore",
    "TrustStoreError",
    "UrllibFetcher",
    "Where",
    "WriteError",
    "apply_config_edit",
    "assess",
    "assess_served",
    "audit_host",
    "build_chain",
    "build_chains",
    "cache_folder",
    "capture_chain",
    "certifi_store",
    "chain_pem",
    "combined_output",
    "deployed_leaf",
    "doctor_config",
    "find_keys",
    "inspect_material",
    "judge_capture",
    "judge_site",
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
    "prometheus_text",
    "prove_build",
    "prove_chain",
    "prove_files",
    "prove_pem",
    "prove_served",
    "read_server_config",
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
