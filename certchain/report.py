"""
Presentation: results as human text or as JSON-ready dictionaries.

No click and no printing: the CLI decides where the text goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography import x509

from .build import BuildResult
from .findings import Finding, issuer_text, subject_text
from .model import Chain, fingerprint
from .rules import roles


def cert_dict(cert: x509.Certificate, role: str) -> dict[str, Any]:
    """Return the JSON form of one certificate (the README's schema)."""
    return {
        "role": role,
        "subject": subject_text(cert),
        "issuer": issuer_text(cert),
        "sha256": fingerprint(cert),
        "not_before": _iso(cert.not_valid_before_utc),
        "not_after": _iso(cert.not_valid_after_utc),
    }


def finding_dict(finding: Finding) -> dict[str, Any]:
    """Return the JSON form of one finding."""
    return {
        "code": finding.code.value,
        "severity": finding.severity.value,
        "message": finding.message,
        "cert": finding.cert,
    }


def build_dict(result: BuildResult, output: str | None, snippet: str | None) -> dict[str, Any]:
    """
    Return the ``certchain build --json`` object.

    Args:
        result: the build result.
        output: where the chained file was written (``-`` for stdout), or
            None when nothing was written.
        snippet: the configuration lines, or None when nothing was written.
    """
    kept = len(result.output_chain)
    chain = []
    for index, (cert, role) in enumerate(zip(result.chain, roles(result.chain))):
        entry = cert_dict(cert, role)
        entry["in_output"] = index < kept and result.ok
        chain.append(entry)
    return {
        "ok": result.ok,
        "output": output,
        "chain": chain,
        "findings": [finding_dict(f) for f in result.findings],
        "snippet": snippet,
    }


def chain_lines(chain: Chain, *, kept: int | None = None) -> list[str]:
    """Return one line per certificate: role, subject, issuer, expiry date."""
    lines = []
    for index, (cert, role) in enumerate(zip(chain, roles(chain))):
        left_out = "  [left out: --no-root]" if kept is not None and index >= kept else ""
        lines.append(
            f"  {index}  {role:<12}  {subject_text(cert)}\n"
            f"     {'':<12}  issued by {issuer_text(cert)}, "
            f"expires {cert.not_valid_after_utc:%Y-%m-%d}{left_out}"
        )
    return lines


def finding_lines(findings: Sequence[Finding]) -> list[str]:
    """Return one line per finding: severity, code, message."""
    return [f"  {f.severity.value:<7}  {f.code.value}: {f.message}" for f in findings]


def build_text(
    result: BuildResult, source: Path, output: str | None, snippet: str | None
) -> str:
    """Return the human report of ``certchain build``."""
    parts = [f"Chain for {source}:"]
    parts.extend(chain_lines(result.chain, kept=len(result.output_chain)))
    if result.findings:
        parts.append("Findings:")
        parts.extend(finding_lines(result.findings))
    if output is None:
        parts.append("Nothing was written: fix the errors above and run again.")
    else:
        count = len(result.output_chain)
        where = "standard output" if output == "-" else output
        parts.append(f"Wrote {count} certificate{'s' if count != 1 else ''} to {where}.")
    if snippet:
        parts.append("")
        parts.append("For jupyterhub_config.py:")
        parts.append(snippet.rstrip("\n"))
    return "\n".join(parts) + "\n"


def _iso(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
