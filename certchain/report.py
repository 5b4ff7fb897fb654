"""
Presentation: results as human text or as JSON-ready dictionaries.

No click and no printing: the CLI decides where the text goes.

Text that comes from outside goes through :func:`certchain.layout.escape`
wherever it enters a text line, on a terminal and off it.  JSON needs no
such step: ``json.dumps`` escapes every control character (and, with its
default ``ensure_ascii``, every non-ASCII one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from .findings import (
    SAME_KIND_LIMIT,
    SAME_KIND_SHOWN,
    Code,
    Finding,
    Remedy,
    issuer_text,
    subject_text,
)
from .layout import escape, escape_lines, fit_text, fitted, paint, wrap_line
from .model import Chain, Role, fingerprint, utc_iso
from .policy import WARN_DAYS
from .results import BuildResult, Capture, Report
from .write import Output

#: How a front end spells each remedy (the CLI: its flags); none by default.
Hints = Mapping[Remedy, str]
_NO_HINTS: Hints = {}


def message(finding: Finding, hints: Hints = _NO_HINTS) -> str:
    """
    Return *finding*'s message, with the front end's spelling of its remedy.

    As the library wrote it (for JSON); text output shows it through
    :func:`~certchain.layout.escape`.
    """
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
    """Return the JSON form of one finding (``download`` only for the fetch findings)."""
    doc: dict[str, Any] = {
        "code": finding.code.value,
        "severity": finding.severity.value,
        "message": message(finding, hints),
        "cert": finding.position,
    }
    if finding.download is not None:
        fetch = finding.download
        doc["download"] = {"url": fetch.url, "cached": fetch.cached, "reason": fetch.reason}
    return doc


def error_dict(code: str, message: str, file: str | None = None) -> dict[str, Any]:
    """
    Return the JSON object of a run that could not look at its input (exit 2).

    ``{"ok": false, "error": {"code": ..., "file": ..., "message": ...}}``:
    *code* is a stable string (``load-error``, ``password-required``,
    ``usage``, ...), *file* the file it names (None when none).
    """
    return {"ok": False, "error": {"code": code, "file": file, "message": message}}


def build_dict(
    result: BuildResult, output: str | None, snippet: str | None, hints: Hints = _NO_HINTS,
    combined: Path | None = None,
) -> dict[str, Any]:
    """
    Return the ``certchain build --json`` object.

    Args:
        result: the build result.
        output: where the chained file was written (``-`` for stdout), or
            None when nothing was written.
        snippet: the configuration lines, or None when nothing was written.
        hints: how the front end spells the findings' remedies.
        combined: the file written with the chain and the private key
            (``--combined``), or None when none was written.
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
        "combined": combined_dict(combined),
    }


#: The mode of the one file certchain writes with a private key in it.
KEY_FILE_MODE = 0o600


def combined_dict(path: Path | None) -> dict[str, str] | None:
    """Return the JSON form of a written key-and-chain file: its path and mode."""
    if path is None:
        return None
    return {"path": str(path), "mode": f"{KEY_FILE_MODE:04o}"}


def combined_line(path: Path) -> str:
    """Say that a file holding the private key was written, and with which mode."""
    return f"Wrote the key and chain to {escape(str(path))} (mode {KEY_FILE_MODE:04o})."


def links_lines(outputs: Iterable[Output]) -> list[str]:
    """Say, for each output that replaced a file with other hard links, that they kept it."""
    return [
        f"{escape(str(o.path))} had {o.links} hard links: only this name has the new "
        f"content; {_others(o.links - 1)} the previous file."
        for o in outputs
    ]


def _others(count: int) -> str:
    return "the other name keeps" if count == 1 else f"the other {count} names keep"


def chain_lines(
    chain: Chain, roles: Sequence[Role], *, kept: int | None = None, width: int | None = None
) -> list[str]:
    """
    Return one line per certificate: role, subject, issuer, expiry date.

    With a terminal *width*, subject and issuer are shortened in the middle
    so that each line fits (and a line that still does not is wrapped).
    """
    lines = []
    for index, (cert, role) in enumerate(zip(chain, roles)):
        left_out = "  [left out]" if kept is not None and index >= kept else ""
        line = (
            f"  {index}  {role.value:<12}  {{0}}  (issued by {{1}}, "
            f"expires {cert.not_valid_after_utc:%Y-%m-%d}){left_out}"
        )
        lines += wrap_line(fitted(line, width, *_names(cert)), width)
    return lines


def _names(cert: x509.Certificate) -> tuple[str, str]:
    """A certificate's subject and issuer, as text lines show them (escaped)."""
    return escape(subject_text(cert)), escape(issuer_text(cert))


def _grouped(findings: Sequence[Finding]) -> list[tuple[Finding, int]]:
    """
    The findings a text report shows, each with how many of its kind it stands for.

    0 for a finding shown alone; for the last one shown of a kind that has
    more than :data:`SAME_KIND_LIMIT`, the number of those not shown.
    """
    total = Counter((f.code, f.severity) for f in findings)
    seen: Counter[tuple[object, object]] = Counter()
    shown = []
    for finding in findings:
        kind = (finding.code, finding.severity)
        seen[kind] += 1
        if total[kind] <= SAME_KIND_LIMIT or seen[kind] < SAME_KIND_SHOWN:
            shown.append((finding, 0))
        elif seen[kind] == SAME_KIND_SHOWN:
            shown.append((finding, total[kind] - SAME_KIND_SHOWN))
    return shown


def _more(count: int) -> str:
    """The line that stands for *count* findings not shown, after the first few."""
    return (
        f"{count:,} more like the {SAME_KIND_SHOWN} above ({count + SAME_KIND_SHOWN:,} in "
        "all); the JSON output lists each one."
    )


def finding_lines(
    findings: Sequence[Finding], hints: Hints = _NO_HINTS, *, colour: bool = False,
    width: int | None = None,
) -> list[str]:
    """
    Return one line per finding: severity, code, message (wrapped to *width*).

    More than :data:`SAME_KIND_LIMIT` findings of one kind are shown as their
    first few and one line that counts the rest.
    """
    lines = []
    for finding, more in _grouped(findings):
        name = finding.severity.value
        texts = [escape(message(finding, hints))] + ([_more(more)] if more else [])
        for text in texts:
            wrapped = wrap_line(
                f"  {name:<7}  {finding.code.value}: {text}", width, hang=_MESSAGE_COLUMN
            )
            wrapped[0] = wrapped[0].replace(
                f"{name:<7}", paint(f"{name:<7}", _SEVERITY_COLOUR[name], colour), 1
            )
            lines.extend(wrapped)
    return lines


def error_lines(
    findings: Sequence[Finding], label: str, hints: Hints = _NO_HINTS, *,
    colour: bool = False, width: int | None = None,
) -> list[str]:
    """
    Return only the errors, one line each naming *label* (``--quiet``).

    ``hub.crt: error missing-issuer: No issuer found for ...``
    """
    lines = []
    prefix = f"{escape(label)}: "
    errors = [f for f in findings if f.severity.value == "error"]
    for finding, more in _grouped(errors):
        texts = [escape(message(finding, hints))] + ([_more(more)] if more else [])
        for text in texts:
            wrapped = wrap_line(f"{prefix}error {finding.code.value}: {text}", width, hang=4)
            if wrapped[0].startswith(f"{prefix}error "):
                wrapped[0] = prefix + paint("error", "red", colour) + wrapped[0][len(prefix) + 5:]
            lines.extend(wrapped)
    return lines


def build_text(
    result: BuildResult, source: Path, output: str | None, snippet: str | None,
    format_name: str = "jupyterhub", hints: Hints = _NO_HINTS, *,
    combined: Path | None = None, colour: bool = False, width: int | None = None,
) -> str:
    """
    Return the human report of ``certchain build``.

    *combined* is the key-and-chain file written, if any (its mode is said).
    With *colour*, severities are coloured as in ``verify``; with a terminal
    *width*, no line is longer (the configuration lines are kept whole: they
    are meant to be copied).
    """
    parts = [paint(f"Chain for {escape(str(source))}:", "bold", colour)]
    kept = len(result.output_chain)
    parts.extend(chain_lines(result.chain, result.roles, kept=kept, width=width))
    if result.key is not None:
        parts.append(f"Private key: {escape(str(result.key.source))} matches the leaf.")
    if result.findings:
        parts.append("Findings:")
        parts.extend(finding_lines(result.findings, hints, colour=colour, width=width))
    if output is None:
        parts.append(paint("Nothing was written", "red", colour)
                     + ": fix the errors above and run again.")
    else:
        count = len(result.output_chain)
        where = "standard output" if output == "-" else escape(output)
        parts.append(f"Wrote {count} certificate{'s' if count != 1 else ''} to {where}.")
    if combined is not None:
        parts.append(combined_line(combined))
    text = fit_text(parts, width)
    if snippet:
        heading = (f"Configuration ({format_name}):" if format_name != "jupyterhub"
                   else "For jupyterhub_config.py:")
        text += f"\n{heading}\n{escape_lines(snippet.rstrip(chr(10)))}\n"
    return text


_MESSAGE_COLUMN = 11  # where a finding's code starts: "  warning  "


# ------------------------------------------------------------------ verify

_SEVERITY_COLOUR = {"error": "red", "warning": "yellow", "info": "blue"}


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
    repair: str | None = None, hints: Hints = _NO_HINTS, width: int | None = None,
) -> str:
    """
    Return the human report of one verified file.

    The chain is drawn leaf at the top, one line per certificate, each line
    after the first marked with whether it signed the line above
    (``ok``/``NO``); then the findings; then a one-line verdict.  With a
    terminal *width*, no line is longer (subjects are shortened in the
    middle, messages wrapped; the repair command is kept whole).
    """
    lines = [paint(escape(file), "bold", colour)]
    for index, (cert, role) in enumerate(zip(report.chain, report.roles)):
        days = (cert.not_valid_after_utc - at).days
        left = _days_left(days, "expired")
        if index == 0:
            mark = "   "
        else:
            linked = report.links[index - 1]
            # None: the link was not checked (the check budget ran out).
            mark = (
                paint(" ok", "green", colour) if linked
                else paint(" ??", "yellow", colour) if linked is None
                else paint(" NO", "red", colour)
            )
        indent = "  " * min(index, 6)
        branch = "" if index == 0 else "`-"
        line = (
            f" {mark} {indent}{branch}[{index}] {role.value}: {{0}}  "
            f"(issuer {{1}}; expires {cert.not_valid_after_utc:%Y-%m-%d}, {left})"
        )
        lines.append(fitted(line, width, *_names(cert)))
    if report.findings:
        lines.append("Findings:")
        lines.extend(finding_lines(report.findings, hints, colour=colour, width=width))
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
    text = fit_text(lines, width)
    if repair:
        text += f"certchain build can repair this file: {escape_lines(repair)}\n"
    return text


# ----------------------------------------------------------------- connect


def connect_dict(
    report: Report, capture: Capture, hints: Hints = _NO_HINTS, *,
    compare: str | None = None, saved: str | None = None,
) -> dict[str, Any]:
    """Return the ``certchain connect --json`` object: the server, then ``verify``'s keys."""
    judged = verify_dict(report, capture.endpoint, hints)
    del judged["file"]
    same = not any(f.code is Code.SERVED_DIFFERS for f in report.findings)
    return {
        "server": capture.endpoint,
        "address": capture.address,
        "servername": capture.servername,
        "starttls": capture.starttls,
        "tls_version": capture.version,
        "cipher": capture.cipher,
        **judged,
        "compare": {"file": compare, "same": same} if compare is not None else None,
        "saved": saved,
    }


def connect_text(
    report: Report, capture: Capture, at: datetime, *, colour: bool = False,
    hints: Hints = _NO_HINTS, width: int | None = None, compare: str | None = None,
    saved: str | None = None,
) -> str:
    """
    Return the human report of ``certchain connect``: ``verify``'s, headed by the server.

    The heading names the server, the address connected to, the SNI sent,
    the STARTTLS protocol and the TLS version and cipher negotiated; the
    comparison with *compare* and the file *saved* end it.
    """
    sni = f"SNI {capture.servername}" if capture.servername else "no SNI"
    via = f", STARTTLS {capture.starttls}" if capture.starttls else ""
    label = (
        f"{capture.endpoint} ({capture.address}, {sni}{via}): {capture.version}, "
        f"{capture.cipher}"
    )
    text = verify_text(report, label, at, colour=colour, hints=hints, width=width)
    tail = []
    if compare is not None and not any(f.code is Code.SERVED_DIFFERS for f in report.findings):
        tail.append(f"The server serves the chain in {escape(compare)}, in the same order.")
    if saved is not None:
        count = len(report.chain)
        tail.append(
            f"Saved the {count} certificate{'s' if count != 1 else ''} it sent to {escape(saved)}."
        )
    return text + (fit_text(tail, width) if tail else "")


# ----------------------------------------------------------------- inspect


def inspect_text(
    items: Mapping[str, Any], *, colour: bool = False, width: int | None = None,
    more_hint: str | None = None,
) -> str:
    """
    Return the human listing of ``certchain inspect``.

    An expired certificate's validity is red, one that expires within
    :data:`~certchain.policy.WARN_DAYS` days yellow.  With a terminal *width*,
    long values are wrapped under their column.  Certificates and keys that
    :func:`~certchain.inventory.inspect_material` left out (``omitted``) are
    counted in one line each, with *more_hint* (how to list them all).
    """
    lines: list[str] = []
    for index, cert in enumerate(items["certificates"]):
        ca = "yes" if cert["ca"] else "no"
        if cert["ca"] and cert["path_length"] is not None:
            ca += f" (pathLen {cert['path_length']})"
        days = cert["days_left"]
        left = _days_left(days, "EXPIRED")
        if days < 0:
            left = paint(left, "red", colour)
        elif days < WARN_DAYS:
            left = paint(left, "yellow", colour)
        header = fitted(f"Certificate {index}: {{0}}", width, escape(cert["subject"]))
        lines.append(paint(header, "bold", colour))
        rows = [
            ("from", escape(cert["source"])),
            ("issuer", escape(cert["issuer"])),
            ("names", escape(", ".join(cert["san"])) or "(no subjectAltName)"),
            ("valid", f"{cert['not_before']} to {cert['not_after']} ({left})"),
            ("key", cert["key"]),
            ("signature", cert["signature"]),
            ("serial", cert["serial"]),
            ("sha256", cert["sha256"]),
            ("ski", cert["ski"] or "-"),
            ("aki", cert["aki"] or "-"),
            ("CA", ca),
            ("key usage", _listed(cert["key_usage"])),
            ("EKU", _listed(cert["ext_key_usage"])),
            ("CA issuers", escape(", ".join(cert["aia"]["ca_issuers"])) or "-"),
            ("OCSP", escape(", ".join(cert["aia"]["ocsp"])) or "-"),
            ("CRL", escape(", ".join(cert["crl"])) or "-"),
        ]
        for name, value in rows:
            lines.extend(_row(name, value, width))
    omitted = items.get("omitted", {})
    lines += _omitted(omitted.get("certificates", 0), "certificate", more_hint)
    for index, key in enumerate(items["keys"]):
        matches = [f"certificate {i}" for i in key["matches"]]
        matches += [f"certificate {m['cert']} of {m['file']}" for m in key["matches_elsewhere"]]
        kind = key["type"] or "encrypted (type and size unknown without the password)"
        lines.append(paint(f"Private key {index}: {kind}", "bold", colour))
        lines += _row("from", escape(key["source"]), width)
        lines += _row("encrypted", "yes" if key["encrypted"] else "no", width)
        if key["type"] is None:
            lines += _row("matches", "unknown (give the password to match it)", width)
        else:
            lines += _row("matches", escape(", ".join(matches)) or "no listed certificate", width)
    lines += _omitted(omitted.get("keys", 0), "private key", more_hint)
    return fit_text(lines, width)


def _omitted(count: int, what: str, hint: str | None) -> list[str]:
    if not count:
        return []
    how = f" ({hint})" if hint else ""
    return [f"... and {count:,} more {what}{'s' if count != 1 else ''}, not shown{how}."]


def _row(name: str, value: str, width: int | None) -> list[str]:
    """One ``  name        value`` row of ``inspect``, wrapped under its value column."""
    return wrap_line(f"  {name:<11} {value}", width, hang=14)


def _listed(values: list[str] | None) -> str:
    """A list of usages, ``-`` when the extension is absent (any usage allowed)."""
    if values is None:
        return "- (not restricted)"
    return ", ".join(values) or "(none)"


def _days_left(days: int, expired: str) -> str:
    if days >= 0:
        return f"{days} day{'s' if days != 1 else ''} left"
    return f"{expired} {-days} day{'s' if days != -1 else ''} ago"
