"""
``audit``: every TLS site of a host, found and judged in one run.

Three steps, each a call of its own so that a front end can count progress:

1. :func:`find_sites` reads what there is to audit (the usual locations
   under a root folder, :mod:`certchain.discovery`, or the paths given): the
   sites of each server configuration, of each certbot lineage, of each
   folder of certificate files (:mod:`certchain.certdirs`).  An input that
   cannot be looked at is set aside with its error; the others go on.
2. :func:`judge_sites` judges the sites on every core
   (:func:`certchain.batch.map_ordered`), each certificate file once
   however many sites name it, and yields a :class:`SiteAudit` per site, in
   order: plain values, so that they cross from the workers.
3. :func:`audit_host` does both and returns an :class:`AuditResult`.

``--fail-on`` (monitoring): findings of the given codes, or every warning,
count as errors everywhere (verdict, exit code, metrics).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from . import batch
from .certdirs import folder_sites, lineage_site
from .discovery import Found, discover, given
from .errors import CertchainError, ConfigError, LoadError, PasswordRequired
from .findings import Code, Finding, Severity, by_severity
from .load import load_file
from .model import Material
from .policy import Policy
from .results import Report
from .served import assess_served
from .sites import CERTBOT, FILES, Site, SiteResult

#: What ``--fail-on`` accepts: a finding code, or ``warning`` for every warning.
FailOn = frozenset[Code | Severity]


@dataclass(frozen=True, slots=True)
class SiteAudit:
    """The verdict on one site, as plain values (it crosses from a worker process)."""

    site: Site
    findings: tuple[Finding, ...]  # errors first; the site's own and its chain's
    leaf_not_after: datetime | None  # the leaf's notAfter; None: no certificate was read
    first_expiry: datetime | None  # the earliest notAfter on the path clients build

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
class Unreadable:
    """An input that could not be looked at (a configuration its server rejects, ...)."""

    found: Found
    error: CertchainError


@dataclass(frozen=True, slots=True)
class Inventory:
    """What :func:`find_sites` found: the sites to judge, and the inputs set aside."""

    sites: tuple[Site, ...]
    unreadable: tuple[Unreadable, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditResult:
    """Every site of a host, judged at *at*; the inputs that could not be read."""

    at: datetime
    sites: tuple[SiteAudit, ...]
    unreadable: tuple[Unreadable, ...] = ()

    @property
    def ok(self) -> bool:
        """Every input was read, and no site has an error."""
        return not self.unreadable and all(s.ok for s in self.sites)


def find_sites(paths: Sequence[Path] = (), *, root: Path = Path("/")) -> Inventory:
    """
    Return the sites of *paths*, or of the usual locations under *root* when none is given.

    A certificate file is judged once: a certbot lineage or a file of a
    folder whose chain a server configuration already names is left to
    that configuration's site, and a site found twice (the same folder
    given twice) is kept once.
    """
    sites: list[Site] = []
    unreadable: list[Unreadable] = []
    for found in given(tuple(paths)) if paths else discover(root):
        try:
            sites.extend(_read(found))
        except CertchainError as exc:
            unreadable.append(Unreadable(found, exc))
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
    return Inventory(tuple(kept), tuple(unreadable))


def judge_sites(
    sites: Sequence[Site], *, policy: Policy, password: bytes | None = None,
    fail_on: FailOn = frozenset(), workers: int | None = None,
) -> Iterator[SiteAudit]:
    """
    Judge *sites* on up to *workers* cores (default: every one); yield one audit each, in order.

    Sites that name the same files are judged together, their files once.
    """
    groups: dict[tuple[Path | None, ...], list[int]] = {}
    for index, site in enumerate(sites):
        groups.setdefault(_files(site), []).append(index)
    batches = list(groups.values())

    def work(indexes: list[int]) -> tuple[SiteAudit, ...]:
        results = _judge_together([sites[i] for i in indexes], policy, password)
        return tuple(_audit(result, fail_on) for result in results)

    done: dict[int, SiteAudit] = {}
    following = 0
    for indexes, audits in zip(batches, batch.map_ordered(work, batches, workers=workers)):
        done.update(zip(indexes, audits))
        while following in done:
            yield done.pop(following)
            following += 1


def audit_host(
    paths: Sequence[Path] = (), *, policy: Policy, root: Path = Path("/"),
    password: bytes | None = None, fail_on: FailOn = frozenset(), workers: int | None = None,
) -> AuditResult:
    """
    Find every TLS site of a host (or of *paths*) and judge each under *policy*.

    See :func:`find_sites` and :func:`judge_sites`; *password* opens
    encrypted keys and PKCS#12 files; *fail_on* makes the findings of those
    codes (or every warning) errors.
    """
    inventory = find_sites(paths, root=root)
    audits = judge_sites(inventory.sites, policy=policy, password=password, fail_on=fail_on,
                         workers=workers)
    return AuditResult(policy.at, tuple(audits), inventory.unreadable)


def _read(found: Found) -> tuple[Site, ...]:
    if found.server == CERTBOT:
        return (lineage_site(found.path),)
    if found.server == FILES:
        return folder_sites(found.path)
    if not found.path.exists():
        raise LoadError(found.path, "does not exist.")
    # The readers of server configurations arrive with issue 12's first part.
    raise ConfigError(
        f"{found.path}: certchain cannot read {found.server or 'server'} configurations yet."
    )


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


def _audit(result: SiteResult, fail_on: FailOn) -> SiteAudit:
    report = result.report
    findings = report.findings
    if fail_on:
        findings = by_severity(
            replace(f, severity=Severity.ERROR)
            if f.code in fail_on or (f.severity in fail_on and f.severity is Severity.WARNING)
            else f
            for f in findings
        )
    path = report.path
    return SiteAudit(
        site=result.site, findings=findings,
        leaf_not_after=path[0].not_valid_after_utc if path else None,
        first_expiry=min(c.not_valid_after_utc for c in path) if path else None,
    )


# ------------------------------------------------ judging (until judge_site)


def _judge_together(
    sites: list[Site], policy: Policy, password: bytes | None
) -> list[SiteResult]:
    """Judge sites that name the same files: the files once, then each site's own findings."""
    report = _judge_files(sites[0], policy, password)
    return [
        SiteResult(site, replace(report, findings=by_severity([*site.findings, *report.findings])))
        for site in sites
    ]


_NO_REPORT = Report(chain=(), roles=(), links=(), findings=(), path=(), complete=False)


def _judge_files(site: Site, policy: Policy, password: bytes | None) -> Report:
    """The chain and key of a site that names no host (a certbot lineage, a file)."""
    found: list[Finding] = []
    keys = _load(site, site.key, "key", password, found) if site.key is not None else None
    chain = _load(site, site.chain, "certificate", password, found)
    report = _NO_REPORT if chain is None else assess_served(chain, policy=policy, keys=keys)
    return replace(report, findings=by_severity([*found, *report.findings]), source=site.chain)


def _load(
    site: Site, path: Path | None, what: str, password: bytes | None, found: list[Finding],
) -> Material | None:
    label = f"{site.server} site {site.name}"
    if path is None or not path.exists():
        dangling = f" (a symlink to {os.readlink(path)})" if path and path.is_symlink() else ""
        found.append(Finding(
            Code.FILE_NOT_FOUND, Severity.ERROR,
            f"{label}: its {what} file {path}{dangling} does not exist, so no server can "
            "load it: put the file there, or remove the site.",
        ))
        return None
    try:
        return load_file(path, password=password)
    except PasswordRequired:
        found.append(Finding(
            Code.KEY_ENCRYPTED, Severity.ERROR,
            f"{label}: {path} is encrypted, and a server cannot ask for its password: "
            "give the password to check it, and serve an unencrypted copy (mode 600).",
        ))
    except CertchainError as exc:
        found.append(Finding(Code.FILE_UNREADABLE, Severity.ERROR, f"{label}: {exc}"))
    return None

