"""
Presentation: results as human text or as JSON-ready dictionaries.

No click and no printing: the CLI decides where the text goes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from .findings import Finding, Remedy, issuer_text, subject_text
from .model import Chain, Role, fingerprint, utc_iso
from .results import BuildResult, Report

#: How a front end spells each remedy (the CLI: its flags); none by default.
Hints = Mapping[Remedy, str]
_NO_HINTS: Hints = {}


def message(finding: Finding, hints: Hints = _NO_HINTS) -> str:
    """Return *finding*'s message, with the front end's spelling of its remedy."""
    hint = hints.get(finding.remedy) if finding.remedy is not None else None
    if hint is None:
        return finding.message
    return f"{finding.message.removesuffix('.')} ({hint})."


def cert_dict(cert: x509.Certificate, role: Role) -> dict[str, Any]:
    """Return the JSON form of one certificate (the README's schema)."""
    return {
        "role": role.value,
        "subject": subject_text(cert),
        "issuer": issuer_text(cert),
        "sha256": fingerprint(cert),
        "not_before": utc_iso(cert.not_valid_before_utc),
        "not_after": utc_iso(cert.not_valid_after_utc),
    }


def finding_dict(finding: Finding, hints: Hints = _NO_HINTS) -> dict[str, Any]:
    """Return the JSON form of one finding."""
    return {
        "code": finding.code.value,
        "severity": finding.severity.value,
        "message": message(finding, hints),
        "cert": finding.position,
    }


def build_dict(
    result: BuildResult, output: str | None, snippet: str | None, hints: Hints = _NO_HINTS
) -> dict[str, Any]:
    """
    Return the ``certchain build --json`` object.

    Args:
        result: the build result.
        output: where the chained file was written (``-`` for stdout), or
            None when nothing was written.
        snippet: the configuration lines, or None when nothing was written.
        hints: how the front end spells the findings' remedies.
    """
    kept = len(result.output_chain)
    chain = []
    for index, (cert, role) in enumerate(zip(result.chain, result.roles)):
        entry = cert_dict(cert, role)
        entry["in_output"] = index < kept and result.ok
        chain.append(entry)
    return {
        "ok": result.ok,
        "output": output,
        "chain": chain,
        "findings": [finding_dict(f, hints) for f in result.findings],
        "snippet": snippet,
    }


def chain_lines(
    chain: Chain, roles: Sequence[Role], *, kept: int | None = None
) -> list[str]:
    """Return one line per certificate: role, subject, issuer, expiry date."""
    lines = []
    for index, (cert, role) in enumerate(zip(chain, roles)):
        left_out = "  [left out]" if kept is not None and index >= kept else ""
        lines.append(
            f"  {index}  {role.value:<12}  {subject_text(cert)}  (issued by {issuer_text(cert)}, "
            f"expires {cert.not_valid_after_utc:%Y-%m-%d}){left_out}"
        )
    return lines


def finding_lines(
    findings: Sequence[Finding], hints: Hints = _NO_HINTS, *, colour: bool = False
) -> list[str]:
    """Return one line per finding: severity, code, message."""
    lines = []
    for finding in findings:
        name = finding.severity.value
        severity = paint(f"{name:<7}", _SEVERITY_COLOUR[name], colour)
        lines.append(f"  {severity}  {finding.code.value}: {message(finding, hints)}")
    return lines


def build_text(
    result: BuildResult, source: Path, output: str | None, snippet: str | None,
    format_name: str = "jupyterhub", hints: Hints = _NO_HINTS,
) -> str:
    """Return the human report of ``certchain build``."""
    parts = [f"Chain for {source}:"]
    parts.extend(chain_lines(result.chain, result.roles, kept=len(result.output_chain)))
    if result.key is not None:
        parts.append(f"Private key: {result.key.source} matches the leaf.")
    if result.findings:
        parts.append("Findings:")
        parts.extend(finding_lines(result.findings, hints))
    if output is None:
        parts.append("Nothing was written: fix the errors above and run again.")
    else:
        count = len(result.output_chain)
        where = "standard output" if output == "-" else output
        parts.append(f"Wrote {count} certificate{'s' if count != 1 else ''} to {where}.")
    if snippet:
        parts.append("")
        parts.append(f"Configuration ({format_name}):" if format_name != "jupyterhub"
                     else "For jupyterhub_config.py:")
        parts.append(snippet.rstrip("\n"))
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------ verify

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "bold": "1"}
_SEVERITY_COLOUR = {"error": "red", "warning": "yellow", "info": "blue"}


def paint(text: str, colour: str, enabled: bool) -> str:
    """Wrap *text* in an ANSI colour when *enabled* (the CLI decides: TTY, NO_COLOR)."""
    if not enabled:
        return text
    return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m"


def verify_dict(report: Report, file: str, hints: Hints = _NO_HINTS) -> dict[str, Any]:
    """Return the ``certchain verify --json`` object for one file."""
    until = report.valid_until
    return {
        "file": file,
        "ok": report.ok,
        "chain": [cert_dict(c, role) for c, role in zip(report.chain, report.roles)],
        "findings": [finding_dict(f, hints) for f in report.findings],
        "valid_until": utc_iso(until) if until is not None else None,
    }


def verify_text(
    report: Report, file: str, at: datetime, *, colour: bool = False,
    repair: str | None = None, hints: Hints = _NO_HINTS,
) -> str:
    """
    Return the human report of one verified file.

    The chain is drawn leaf at the top, one line per certificate, each line
    after the first marked with whether it signed the line above
    (``ok``/``NO``); then the findings; then a one-line verdict.
    """
    lines = [paint(file, "bold", colour)]
    for index, (cert, role) in enumerate(zip(report.chain, report.roles)):
        days = (cert.not_valid_after_utc - at).days
        left = _days_left(days, "expired")
        if index == 0:
            mark = "   "
        else:
            linked = report.links[index - 1]
            mark = paint(" ok", "green", colour) if linked else paint(" NO", "red", colour)
        indent = "  " * min(index, 6)
        branch = "" if index == 0 else "`-"
        lines.append(
            f" {mark} {indent}{branch}[{index}] {role.value}: {subject_text(cert)}  "
            f"(issuer {issuer_text(cert)}; expires "
            f"{cert.not_valid_after_utc:%Y-%m-%d}, {left})"
        )
    if report.findings:
        lines.append("Findings:")
        lines.extend(finding_lines(report.findings, hints, colour=colour))
    errors = sum(1 for f in report.findings if f.severity.value == "error")
    warnings = sum(1 for f in report.findings if f.severity.value == "warning")
    if report.ok:
        until = report.valid_until
        verdict = paint("OK", "green", colour) + (
            f": the chain verifies, valid until {until:%Y-%m-%d}" if until else ""
        )
    else:
        verdict = paint("FAIL", "red", colour) + f": {errors} error{'s' if errors != 1 else ''}"
    if warnings:
        verdict += f", {warnings} warning{'s' if warnings != 1 else ''}"
    lines.append(verdict + ".")
    if repair:
        lines.append(f"certchain build can repair this file: {repair}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------- inspect


def inspect_text(items: dict[str, list[dict[str, Any]]], *, colour: bool = False) -> str:
    """Return the human listing of ``certchain inspect``."""
    lines: list[str] = []
    for index, cert in enumerate(items["certificates"]):
        ca = "yes" if cert["ca"] else "no"
        if cert["ca"] and cert["path_length"] is not None:
            ca += f" (pathLen {cert['path_length']})"
        days = cert["days_left"]
        left = _days_left(days, "EXPIRED")
        lines.append(paint(f"Certificate {index}: {cert['subject']}", "bold", colour))
        rows = [
            ("from", cert["source"]),
            ("issuer", cert["issuer"]),
            ("names", ", ".join(cert["san"]) or "(no subjectAltName)"),
            ("valid", f"{cert['not_before']} to {cert['not_after']} ({left})"),
            ("key", cert["key"]),
            ("signature", cert["signature"]),
            ("serial", cert["serial"]),
            ("sha256", cert["sha256"]),
            ("ski", cert["ski"] or "-"),
            ("aki", cert["aki"] or "-"),
            ("CA", ca),
            ("CA issuers", ", ".join(cert["aia"]["ca_issuers"]) or "-"),
            ("OCSP", ", ".join(cert["aia"]["ocsp"]) or "-"),
            ("CRL", ", ".join(cert["crl"]) or "-"),
        ]
        lines.extend(f"  {name:<11} {value}" for name, value in rows)
    for index, key in enumerate(items["keys"]):
        matches = ", ".join(f"certificate {i}" for i in key["matches"]) or "no listed certificate"
        lines.append(paint(f"Private key {index}: {key['type']}", "bold", colour))
        lines.append(f"  {'from':<11} {key['source']}")
        lines.append(f"  {'encrypted':<11} {'yes' if key['encrypted'] else 'no'}")
        lines.append(f"  {'matches':<11} {matches}")
    return "\n".join(lines) + "\n"


def _days_left(days: int, expired: str) -> str:
    if days >= 0:
        return f"{days} day{'s' if days != 1 else ''} left"
    return f"{expired} {-days} day{'s' if days != -1 else ''} ago"
