"""
Metrics: an audit in the Prometheus text format, for node_exporter's textfile collector.

The text is made by ``prometheus_client`` (the optional extra
``certchain[prometheus]``), the Prometheus project's own client: its name
and label rules, label escaping and number formatting are kept where the
format is kept, not copied here.  It is imported only when metrics are
asked for, so no other command pays for it.

Every series of a site carries the labels ``server``, ``site`` and
``file`` (the certificate file); see :data:`METRICS`.  A finding count is
written only for the codes a site has (absent means 0), and the times only
for a site whose leaf was read.  Two sites with the same labels (one name
served on two ports) make one series: the worse verdict, the earlier
expiry, the findings added up.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from .audit import AuditResult, SiteAudit
from .layout import escape

#: The metrics written, with their help text.
METRICS = {
    "certchain_chain_ok":
        "1 when the site's chain, key and names have no error finding, else 0.",
    "certchain_chain_expires_in_seconds":
        "Seconds from the audit to the first notAfter on the site's path (negative: expired).",
    "certchain_leaf_not_after_timestamp_seconds":
        "The notAfter of the site's leaf certificate, as a Unix time.",
    "certchain_findings":
        "How many findings of this code and severity the site has.",
    "certchain_config_findings":
        "How many findings of this code and severity a configuration has as a whole.",
    "certchain_input_unreadable":
        "1 for a configuration or folder the audit could not read.",
    "certchain_audit_timestamp_seconds":
        "The time the audit judged the sites at, as a Unix time.",
}

_SITE_LABELS = ("server", "site", "file")


@dataclass
class _Series:
    """What the sites with one set of labels add up to."""

    ok: bool = True
    expires: datetime | None = None
    not_after: datetime | None = None
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)


def prometheus_text(result: AuditResult) -> bytes:
    """
    Return *result* as the Prometheus text exposition format (UTF-8).

    Raises:
        ImportError: ``prometheus_client`` is not installed
            (``pip install 'certchain[prometheus]'``).
    """
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    registry = CollectorRegistry()

    def gauge(name: str, labels: tuple[str, ...] = _SITE_LABELS) -> Gauge:
        return Gauge(name, METRICS[name], labels, registry=registry)

    ok = gauge("certchain_chain_ok")
    expires = gauge("certchain_chain_expires_in_seconds")
    not_after = gauge("certchain_leaf_not_after_timestamp_seconds")
    findings = gauge("certchain_findings", (*_SITE_LABELS, "code", "severity"))
    configs = gauge("certchain_config_findings", ("server", "config", "code", "severity"))
    unreadable = gauge("certchain_input_unreadable", ("server", "path"))
    gauge("certchain_audit_timestamp_seconds", ()).set(result.at.timestamp())
    for labels, series in _series(result.sites).items():
        ok.labels(*labels).set(int(series.ok))
        if series.expires is not None:
            expires.labels(*labels).set((series.expires - result.at).total_seconds())
        if series.not_after is not None:
            not_after.labels(*labels).set(series.not_after.timestamp())
        for (code, severity), count in sorted(series.findings.items()):
            findings.labels(*labels, code, severity).set(count)
    for config in result.configs:
        counted = Counter((f.code.value, f.severity.value) for f in config.findings)
        for (code, severity), count in sorted(counted.items()):
            configs.labels(config.server, escape(str(config.path)), code, severity).inc(count)
    for item in result.unreadable:
        unreadable.labels(item.found.server or "", escape(str(item.found.path))).set(1)
    return generate_latest(registry)


def _series(sites: tuple[SiteAudit, ...]) -> dict[tuple[str, str, str], _Series]:
    merged: dict[tuple[str, str, str], _Series] = {}
    for audit in sites:
        site = audit.site
        labels = (site.server, escape(site.name), escape(str(site.chain or "")))
        series = merged.setdefault(labels, _Series())
        series.ok = series.ok and audit.ok
        series.expires = _earlier(series.expires, audit.first_expiry)
        series.not_after = _earlier(series.not_after, audit.leaf_not_after)
        series.findings.update((f.code.value, f.severity.value) for f in audit.findings)
    return merged


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)
