"""
The audit of a host as text (a table, a summary line) and as JSON objects.

Presentation only, as :mod:`certchain.report`, with the escaping and
fitting of :mod:`certchain.layout`: every name that comes from a configuration, a file name or a
certificate goes through :func:`~certchain.layout.escape` in text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .audit import AuditResult, ConfigAudit, SiteAudit
from .layout import escape, fit_text, paint, shorten_middle, visible_len
from .model import utc_iso
from .report import Hints, finding_dict, finding_lines, message

_HEADER = ("SERVER", "SITE", "FILE", "VERDICT", "FIRST EXPIRY", "DAYS LEFT", "FIRST ERROR")
# On a terminal, the widest a site name and a file name are drawn (cut in the middle).
_SITE_ROOM = 32
_FILE_ROOM = 48
_SHORTEST_ERROR = 16


def days_left(audit: SiteAudit, at: datetime) -> int | None:
    """Whole days from *at* to the site's first expiry (negative once expired), or None."""
    return None if audit.first_expiry is None else (audit.first_expiry - at).days


def verdict(audit: SiteAudit | ConfigAudit) -> str:
    """``OK``, ``WARN`` (warnings, no error) or ``FAIL`` (an error)."""
    return "FAIL" if not audit.ok else "WARN" if audit.warned else "OK"


def site_dict(audit: SiteAudit, at: datetime, hints: Hints) -> dict[str, Any]:
    """Return the ``certchain audit --json`` object of one site (the README's schema)."""
    site = audit.site
    return {
        "server": site.server,
        "site": site.name,
        "names": list(site.names),
        "config": str(site.where) if site.where is not None else None,
        "file": str(site.chain) if site.chain is not None else None,
        "key": str(site.key) if site.key is not None else None,
        "ok": audit.ok,
        "verdict": verdict(audit).lower(),
        "first_expiry": _iso(audit.first_expiry),
        "days_left": days_left(audit, at),
        "leaf_not_after": _iso(audit.leaf_not_after),
        "findings": [finding_dict(f, hints) for f in audit.findings],
    }


def config_dict(config: ConfigAudit, hints: Hints) -> dict[str, Any]:
    """The ``--json`` object of a configuration's own findings: a site's keys, ``site`` null."""
    return {
        "server": config.server, "site": None, "names": [], "config": str(config.path),
        "file": None, "key": None, "ok": config.ok, "verdict": verdict(config).lower(),
        "first_expiry": None, "days_left": None, "leaf_not_after": None,
        "findings": [finding_dict(f, hints) for f in config.findings],
    }


def config_text(
    configs: tuple[ConfigAudit, ...], hints: Hints, *, colour: bool = False,
    width: int | None = None,
) -> str:
    """The findings of each configuration as a whole, under its server and path."""
    lines = []
    for config in configs:
        lines.append(f"{config.server} {escape(str(config.path))} as a whole:")
        lines += finding_lines(config.findings, hints, colour=colour, width=width)
    return fit_text(lines, width) if lines else ""


def audit_table(
    result: AuditResult, hints: Hints, *, colour: bool = False, width: int | None = None
) -> str:
    """
    Return one row per site under a header, columns aligned.

    On a terminal (*width* given) site and file names are cut in the middle
    and the first error at its end, so that a row fits; piped, rows are whole.
    """
    rows = [_HEADER, *(_row(audit, result.at, hints, width) for audit in result.sites)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER) - 1)]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        if index and colour:
            shade = {"OK": "green", "WARN": "yellow", "FAIL": "red"}[row[3]]
            cells[3] = paint(row[3], shade, True) + cells[3][len(row[3]):]
        line = "  ".join(cells)
        last = row[-1]
        if width is not None:
            room = max(width - visible_len(line) - 2, _SHORTEST_ERROR)
            last = last if len(last) <= room else last[: room - 3] + "..."
        lines.append(f"{line}  {last}".rstrip())
    return "\n".join(lines) + "\n"


def audit_summary(result: AuditResult, *, discovered: bool) -> str:
    """
    Return the line that ends the report: counts, and the first site to expire.

    *discovered*: the inputs were found in the usual locations (said when none were).
    """
    sites = result.sites
    unread = len(result.unreadable)
    unread_text = f", {unread} input{'s' if unread != 1 else ''} unreadable" if unread else ""
    if not sites:
        where = " in the usual locations" if discovered else ""
        return f"No TLS site found{where}{unread_text}."  # configurations: above
    bad = sum(1 for s in sites if not s.ok)
    warned = sum(1 for s in sites if s.ok and s.warned)
    configs = len(result.configs)
    configs_text = (
        f", findings about {configs} configuration{'s' if configs != 1 else ''} as a whole"
        if configs else ""
    )
    text = (
        f"{len(sites)} site{'s' if len(sites) != 1 else ''}: {len(sites) - bad - warned} ok, "
        f"{warned} with warnings, {bad} with errors{configs_text}{unread_text}"
    )
    dated = [s for s in sites if s.first_expiry is not None]
    if dated:
        first = min(dated, key=lambda s: s.first_expiry or result.at)
        days = days_left(first, result.at)
        assert first.first_expiry is not None and days is not None
        text += (
            f"; first expiry {first.first_expiry:%Y-%m-%d} ({_days(days)}): "
            f"{first.site.server} site {escape(first.site.name)}"
        )
    return text + "."


def _row(
    audit: SiteAudit, at: datetime, hints: Hints, width: int | None
) -> tuple[str, ...]:
    site = audit.site
    name, file = escape(site.name), escape(str(site.chain or "-"))
    if width is not None:
        name, file = shorten_middle(name, _SITE_ROOM), shorten_middle(file, _FILE_ROOM)
    days = days_left(audit, at)
    error = audit.first_error
    return (
        site.server, name, file, verdict(audit),
        f"{audit.first_expiry:%Y-%m-%d}" if audit.first_expiry is not None else "-",
        str(days) if days is not None else "-",
        escape(message(error, hints)) if error is not None else "",
    )


def _days(days: int) -> str:
    if days >= 0:
        return f"{days} day{'s' if days != 1 else ''} left"
    return f"expired {-days} day{'s' if days != -1 else ''} ago"


def _iso(moment: datetime | None) -> str | None:
    return utc_iso(moment) if moment is not None else None
