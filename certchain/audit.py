"""
``audit``: every TLS site of a host, found and judged in one run.

Three steps, each a call of its own so that a front end can count progress:

1. :func:`find_sites` reads what there is to audit (the usual locations
   under a root folder, :mod:`certchain.discovery`, or the paths given): the
   sites of each server configuration, of each certbot lineage, of each
   folder of certificate files (:mod:`certchain.certdirs`).  An input that
   cannot be looked at is set aside with its error; the others go on.
2. :func:`judge_sites` judges each site as ``doctor`` does
   (:func:`certchain.sitecheck.judge_site`) on every core
   (:func:`certchain.batch.map_ordered`), and yields a :class:`SiteAudit`
   per site, in order: plain values, so that they cross from the workers.
3. :func:`audit_host` does both and returns an :class:`AuditResult`.

``--fail-on`` (monitoring): findings of the given codes, or every warning,
count as errors everywhere (verdict, exit code, metrics).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from . import batch
from .certdirs import folder_sites, lineage_site
from .discovery import Found, discover, given
from .errors import CertchainError, LoadError
from .findings import Code, Finding, Severity, by_severity
from .policy import Policy
from .proof import with_finding
from .servercheck import judge_run, run_check
from .serverconf import read_server_config
from .sitecheck import Judged, judge_site
from .sites import CERTBOT, FILES, Site, SiteResult

#: What ``--fail-on`` accepts: a finding code, or ``warning`` for every warning.
FailOn = frozenset[Code | Severity]


class _Verdict:
    """What a list of findings says: an error, a warning, the first error."""

    __slots__ = ()
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """No finding is an error."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warned(self) -> bool:
        """Some finding is a warning."""
        return any(f.severity is Severity.WARNING for f in self.findings)

    @property
    def first_error(self) -> Finding | None:
        """The first error finding, if any."""
        return next((f for f in self.findings if f.severity is Severity.ERROR), None)


@dataclass(frozen=True, slots=True)
class SiteAudit(_Verdict):
    """The verdict on one site, as plain values (it crosses from a worker process)."""

    site: Site
    findings: tuple[Finding, ...]  # errors first; the site's own and its chain's
    leaf_not_after: datetime | None  # the leaf's notAfter; None: no certificate was read
    first_expiry: datetime | None  # the earliest notAfter on the path clients build


@dataclass(frozen=True, slots=True)
class ConfigAudit(_Verdict):
    """A server configuration's findings about itself, not about one site (``doctor``'s)."""

    server: str
    path: Path
    findings: tuple[Finding, ...]  # errors first


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An input that could not be looked at (a configuration its server rejects, ...)."""

    found: Found
    error: CertchainError


@dataclass(frozen=True, slots=True)
class Inventory:
    """What :func:`find_sites` found: the sites to judge, and the inputs set aside."""

    sites: tuple[Site, ...]
    configs: tuple[ConfigAudit, ...] = ()  # those with findings of their own
    unreadable: tuple[Unreadable, ...] = ()
    # What a server's own check refused of a site's files (server-refuses), by site.
    refused: Mapping[Site, Finding] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditResult:
    """Every site of a host, judged at *at*; the configurations' own findings; the inputs
    that could not be read."""

    at: datetime
    sites: tuple[SiteAudit, ...]
    configs: tuple[ConfigAudit, ...] = ()
    unreadable: tuple[Unreadable, ...] = ()

    @property
    def ok(self) -> bool:
        """Every input was read, and no site or configuration has an error."""
        return not self.unreadable and all(s.ok for s in (*self.sites, *self.configs))


def find_sites(
    paths: Sequence[Path] = (), *, root: Path = Path("/"), hostname: str | None = None,
    server_check: bool = True, fail_on: FailOn = frozenset(),
) -> Inventory:
    """
    Return the sites of *paths*, or of the usual locations under *root* when none is given.

    Each configuration is read as ``doctor`` reads it, its server's own check
    run when the server is installed (*server_check*): what the server
    refuses of a site's files is that site's ``server-refuses`` finding;
    a configuration it refuses as a whole is unreadable.  *hostname*:
    JupyterHub's name to check (else its ``bind_url``'s host).

    A certificate file is judged once: a certbot lineage or a file of a
    folder whose chain a server configuration already names is left to
    that configuration's site, and a site found twice (the same folder
    given twice) is kept once.
    """
    sites: list[Site] = []
    configs: list[ConfigAudit] = []
    unreadable: list[Unreadable] = []
    refused: dict[Site, Finding] = {}
    for found in given(tuple(paths)) if paths else discover(root):
        try:
            read, config, refusals = _read(found, hostname, server_check)
        except CertchainError as exc:
            unreadable.append(Unreadable(found, exc))
            continue
        sites.extend(read)
        refused.update(refusals)
        if config is not None and config.findings:
            configs.append(replace(config, findings=_promoted(config.findings, fail_on)))
    configured = {_identity(s.chain) for s in sites if s.server not in (CERTBOT, FILES)}
    kept: list[Site] = []
    seen: set[tuple[object, ...]] = set()
    for site in sites:
        if site.server in (CERTBOT, FILES) and _identity(site.chain) in configured:
            continue
        key = (site.server, site.name, site.where, _files(site))
        if key not in seen:
            seen.add(key)
            kept.append(site)
    return Inventory(tuple(kept), tuple(configs), tuple(unreadable), refused)


def judge_sites(
    sites: Sequence[Site], *, policy: Policy, password: bytes | None = None,
    fail_on: FailOn = frozenset(), workers: int | None = None,
    refused: Mapping[Site, Finding] | None = None,
) -> Iterator[SiteAudit]:
    """
    Judge *sites* on up to *workers* cores (default: every one); yield one audit each, in order.

    Each site is judged as ``doctor`` judges it (:func:`certchain.sitecheck.judge_site`),
    with what its server's own check refused (*refused*, :attr:`Inventory.refused`).
    """
    refusals = refused or {}
    # Sites that name the same files are judged together, in one worker, so
    # that each certificate file is judged (and proven) once, however many
    # sites name it (sitecheck's memo); each site keeps its own findings.
    units: dict[tuple[object, ...], list[int]] = {}
    for index, site in enumerate(sites):
        units.setdefault((site.server, site.chain, site.extra_chain, site.key), []).append(index)

    def work(unit: list[int]) -> list[SiteAudit]:
        judged: Judged = {}
        audits = []
        for index in unit:
            site = sites[index]
            result = judge_site(site, policy=policy, password=password, judged=judged)
            result = replace(result, report=with_finding(result.report, refusals.get(site)))
            audits.append(_audit(result, fail_on))
        return audits

    done: dict[int, SiteAudit] = {}
    ready = 0  # the sites yielded so far, in order
    # The pool's results first: zip then runs it to its end, where its workers are joined.
    for audits, unit in zip(batch.map_ordered(work, list(units.values()), workers=workers),
                            units.values()):
        done.update(zip(unit, audits))
        while ready in done:
            yield done.pop(ready)
            ready += 1


def audit_host(
    paths: Sequence[Path] = (), *, policy: Policy, root: Path = Path("/"),
    password: bytes | None = None, fail_on: FailOn = frozenset(), workers: int | None = None,
    server_check: bool = True,
) -> AuditResult:
    """
    Find every TLS site of a host (or of *paths*) and judge each under *policy*.

    See :func:`find_sites` and :func:`judge_sites`; *password* opens
    encrypted keys and PKCS#12 files; *fail_on* makes the findings of those
    codes (or every warning) errors; *server_check*: run each server's own
    check of its configuration, when it is installed.
    """
    inventory = find_sites(paths, root=root, hostname=policy.hostname,
                           server_check=server_check, fail_on=fail_on)
    audits = judge_sites(inventory.sites, policy=policy, password=password, fail_on=fail_on,
                         workers=workers, refused=inventory.refused)
    return AuditResult(policy.at, tuple(audits), inventory.configs, inventory.unreadable)


def _read(
    found: Found, hostname: str | None, server_check: bool
) -> tuple[tuple[Site, ...], ConfigAudit | None, dict[Site, Finding]]:
    if found.server == CERTBOT:
        return (lineage_site(found.path),), None, {}
    if found.server == FILES:
        return folder_sites(found.path), None, {}
    if not found.path.exists():
        raise LoadError(found.path, "does not exist.")
    config = read_server_config(found.path, server=found.server, hostname=hostname)
    per_site: dict[int, Finding] = {}
    general: list[Finding] = []
    run = run_check(config) if server_check else None
    if run is not None:
        per_site, general = judge_run(config, run)  # ConfigError: it refuses the whole
    findings = by_severity([*config.findings, *general])
    refused = {config.sites[index]: finding for index, finding in per_site.items()}
    return config.sites, ConfigAudit(config.server, config.path, findings), refused


def _identity(path: Path | None) -> Path | None:
    """The file *path* leads to (through symlinks), so that two names of one file match."""
    if path is None:
        return None
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return path


def _files(site: Site) -> tuple[Path | None, ...]:
    return (_identity(site.chain), _identity(site.key), _identity(site.extra_chain))


def _promoted(findings: tuple[Finding, ...], fail_on: FailOn) -> tuple[Finding, ...]:
    """*findings* with those *fail_on* names (a code, or every warning) made errors."""
    if not fail_on:
        return findings
    return by_severity(
        f._replace(severity=Severity.ERROR)
        if f.code in fail_on or (f.severity in fail_on and f.severity is Severity.WARNING)
        else f
        for f in findings
    )


def _audit(result: SiteResult, fail_on: FailOn) -> SiteAudit:
    report = result.report
    path = report.path
    return SiteAudit(
        site=result.site, findings=_promoted(report.findings, fail_on),
        leaf_not_after=path[0].not_valid_after_utc if path else None,
        first_expiry=min(c.not_valid_after_utc for c in path) if path else None,
    )
