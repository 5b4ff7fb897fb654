"""
``doctor``'s output: each site of a configuration as text or as a JSON object.

A site's report is drawn as ``verify`` draws a file, under a heading that
names the site and where its certificate is named; the configuration's
own findings follow, then one summary line.  JSON is one object per site
(``verify``'s keys, plus the server, the site, its names, where, and the
files), and one for the configuration when it has findings of its own or
serves no site.  A JupyterHub configuration, one site, reads as it always
has: ``verify``'s report of the hub's chain under the configuration's name.
Presentation only: no click, no printing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .findings import Severity
from .layout import escape, fit_text, paint
from .report import Hints, finding_lines, verify_dict, verify_text
from .results import Report
from .sites import ConfigResult, SiteResult

_EMPTY = Report(chain=(), roles=(), links=(), findings=(), path=(), complete=False)


def site_label(result: SiteResult, file: str) -> str:
    """How the text names a site: the configuration alone for JupyterHub's one hub."""
    site = result.site
    if site.server == "jupyterhub":
        return file
    where = f" ({site.where})" if site.where is not None else ""
    return f"{site.server} site {site.name}{where}"


def site_dict(result: SiteResult, file: str, hints: Hints) -> dict[str, Any]:
    """Return the JSON object of one site: ``verify``'s keys, and the site's."""
    site = result.site
    return {
        **verify_dict(result.report, file, hints),
        "server": site.server,
        "site": site.name,
        "names": list(site.names),
        "where": str(site.where) if site.where is not None else None,
        "chain_file": str(site.chain) if site.chain is not None else None,
        "key_file": str(site.key) if site.key is not None else None,
    }


def doctor_dicts(result: ConfigResult, file: str, hints: Hints) -> list[dict[str, Any]]:
    """Return ``doctor --json``'s objects: one per site, then the configuration's own."""
    docs = [site_dict(site, file, hints) for site in result.sites]
    if result.findings or not result.sites:
        docs.append({
            **verify_dict(_EMPTY._replace(findings=result.findings), file, hints),
            "server": result.config.server, "site": None, "names": [], "where": None,
            "chain_file": None, "key_file": None,
        })
    return docs


def doctor_text(
    result: ConfigResult, file: str, at: datetime, *, colour: bool = False,
    hints: Hints, width: int | None = None,
) -> str:
    """Return ``doctor``'s report: each site as ``verify`` draws it, then a summary."""
    config = result.config
    if config.server == "jupyterhub" and len(result.sites) == 1 and not result.findings:
        return verify_text(result.sites[0].report, file, at, colour=colour, hints=hints,
                           width=width)
    count = len(result.sites)
    heading = (f"{paint(escape(file), 'bold', colour)}: {config.server}, "
               f"{count} TLS site{'s' if count != 1 else ''}, {len(config.files)} "
               f"file{'s' if len(config.files) != 1 else ''} read")
    parts = [fit_text([heading], width)]
    for site in result.sites:
        parts.append(verify_text(site.report, site_label(site, file), at, colour=colour,
                                 hints=hints, width=width))
    if result.findings:
        lines = [f"{escape(file)} as a whole:"]
        lines += finding_lines(result.findings, hints, colour=colour, width=width)
        parts.append(fit_text(lines, width))
    failed = sum(1 for s in result.sites if not s.ok)
    errors = sum(1 for f in result.findings if f.severity is Severity.ERROR)
    verdict = (
        paint("OK", "green", colour) if result.ok else paint("FAIL", "red", colour)
    )
    summary = (
        f"{verdict}: {count - failed} of {count} site{'s' if count != 1 else ''} pass"
        if count else f"{verdict}: no TLS site"
    )
    if errors:
        summary += f"; the configuration has {errors} error{'s' if errors != 1 else ''}"
    parts.append(fit_text([summary + "."], width))
    return "\n".join(parts)
