"""
Judging one site of a server configuration: its chain, its key, its names, its files.

A :class:`~certchain.sites.Site` names the files a server loads for one TLS
site (nginx ``server``, Apache ``<VirtualHost>``, HAProxy ``crt``, the hub of
JupyterHub) and the names it answers to.  :func:`judge_site` checks them as
the server will use them: the chain with the core ``verify`` uses
(:func:`certchain.served.assess_served`, the chain file as sent, Apache's
chain file after it), the key (the one named, or the one inside the
certificate file), that the leaf covers every name the site serves, that the
files can be read and the key is private; then, when both load, it proves
them with Python's ``ssl`` as a server loads them.  Findings about the
files name the directive, where it stands (file and line) and the site.
A library call: no printing, no clock; it reads the site's files.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from .deploy import chain_file_problem, encrypted_key, key_file_problem
from .errors import CertchainError, LoadError, PasswordRequired
from .findings import Code, Finding, Severity, by_severity, sentence, subject_text
from .keyload import is_pkcs12
from .load import load_file
from .model import Format, Material
from .names import all_names, covers_hostname, san_names
from .policy import Policy
from .proof import Target, prove_chain, prove_served, server_key_file, with_finding
from .reading import read_file
from .results import Report
from .served import assess_served
from .sites import CERTBOT, FILES, Site, SiteResult, Where
from .write import chain_pem

#: What stands for any label when a wildcard name a site serves
#: (``*.example.org``) is checked: the leaf must cover every such name.
WILDCARD_PROBE = "certchain-any-name"


@dataclass(frozen=True, slots=True)
class _Server:
    """How one server names and loads its files, for the messages."""

    title: str  # "nginx"
    key_directive: str  # how it names the key file
    names_directive: str  # how it names the host names a site serves
    stops: str  # what a file it cannot load does to it
    cannot_ask: str  # what an encrypted key does to it
    combined_ok: bool  # its certificate file may hold the key too


_SERVERS = {
    "jupyterhub": _Server(
        "JupyterHub", "c.JupyterHub.ssl_key", "c.JupyterHub.bind_url",
        "JupyterHub's proxy will not start",
        "JupyterHub cannot ask for its password, so its proxy will not start", False,
    ),
    "nginx": _Server(
        "nginx", "ssl_certificate_key", "server_name", "nginx will not start",
        "nginx cannot ask for its password (ssl_password_file names a file of passwords), "
        "so it will not start", True,
    ),
    "apache": _Server(
        "Apache httpd", "SSLCertificateKeyFile", "ServerName/ServerAlias",
        "httpd will not start",
        "httpd asks for its password on a terminal when it starts, which a service "
        "started at boot does not have", True,
    ),
    "haproxy": _Server(
        "HAProxy", "the key file beside it", "the SNI filter", "HAProxy will not start",
        "HAProxy cannot ask for its password, so it will not start", True,
    ),
    # certchain audit: the sites that no configuration describes.
    CERTBOT: _Server(
        "the server", "privkey.pem", "the names given", "a server configured with it "
        "will not start", "a server cannot ask for its password, so it will not start", False,
    ),
    FILES: _Server(
        "the server", "the key file beside it", "the names given", "a server configured "
        "with it will not start", "a server cannot ask for its password, so it will not "
        "start", True,
    ),
}


#: What judging a set of files gave, for the next site that names the same
#: files: the chain's report (before any site's own findings), and what the
#: proof with the real stack added (None: nothing).
Judged = dict[tuple[object, ...], tuple[Report, "Finding | None"]]


def judge_site(
    site: Site, *, policy: Policy, password: bytes | None = None, judged: Judged | None = None,
) -> SiteResult:
    """
    Judge *site* under *policy*: its chain, its key, its names, its files.

    The chain file is judged as the server sends it (Apache's
    ``SSLCertificateChainFile`` after it); the key is the file named, else
    the one in the certificate file; every name in ``site.names`` must be
    covered by the leaf (``hostname-mismatch`` names the site and the name),
    as must ``policy.hostname`` when set.  A file that is missing or cannot
    be read is a finding, never an exception.  Returns a
    :class:`~certchain.sites.SiteResult` whose report holds the reading's
    findings, the files' and the chain's (``position`` indexes the chain
    file, then the chain file of Apache); its chain is empty when no chain
    could be read.

    *judged*: a memo shared by the sites of one run, so that certificate
    files several sites name are judged (and proven) once; each site still
    gets its own findings about its names and the directives that name them.
    """
    server = _SERVERS[site.server]
    found = list(site.findings)
    material = None
    if site.chain is not None and _readable(site, site.chain, site.directive, site.where, found):
        material = _read_chain(site, site.chain, password, policy, found)
    key_path = site.key
    if site.key_if_missing and material is not None and material.keys:
        key_path = None  # HAProxy takes the key in the certificate file first
    keys = _read_key(site, key_path, password, found) if key_path is not None else None
    report = None
    chain_report = None  # the chain's report alone, for the memo
    files = (site.server, site.chain, site.extra_chain, key_path)
    if site.chain is not None and material is not None:
        served = material
        extra = _extra_chain(site, password, found)
        if extra is not None:
            served = _with_chain_file(site, material, extra, found)
        try:
            memo = judged.get(files) if judged is not None else None
            report = memo[0] if memo is not None else assess_served(
                served, policy=policy, keys=keys
            )
        except CertchainError as exc:
            found.append(Finding(Code.FILE_UNREADABLE, Severity.ERROR, sentence(
                f"{_subject(site, site.directive, site.where)}: {exc}"
            )))
        else:
            chain_report = report
            problem = chain_file_problem(
                site.chain, material, setting=_subject(site, site.directive, site.where),
                policy=policy, key_inside=server.combined_ok,
            )
            found += [problem] if problem is not None else []
            found += _uncovered(site, report.chain[0] if report.chain else None)
            if keys is None and not material.keys and _key_unexplained(site, key_path):
                found.append(_no_key(site))
    unloadable = {Code.UNREADABLE_BY_SERVER, Code.KEY_ENCRYPTED} & {f.code for f in found}
    if report is None:
        report = Report(chain=(), roles=(), links=(), findings=(), path=(), complete=False)
    source = site.where.file if site.where is not None else None
    report = report._replace(findings=by_severity([*found, *report.findings]), source=source)
    if site.chain is not None and not unloadable and (keys is not None or report.key):
        # The second proof: the files as the server will load them.
        # An encrypted key that a file of passwords opens is handed over opened.
        named = key_path if keys is not None and not keys.keys[0].encrypted else None
        memo = judged.get(files) if judged is not None else None
        if memo is not None and chain_report is not None:
            report = with_finding(report, memo[1])
        else:
            proven = _prove(site, site.chain, report, policy, named)
            added = next((f for f in proven.findings if f not in report.findings), None)
            if judged is not None and chain_report is not None:
                judged[files] = (chain_report, added)
            report = proven
    elif judged is not None and chain_report is not None:
        judged.setdefault(files, (chain_report, None))
    return SiteResult(site, report)


def _prove(
    site: Site, chain: Path, report: Report, policy: Policy, named: Path | None
) -> Report:
    key = named or server_key_file(report.key)
    if site.extra_chain is None or not report.chain:
        return prove_served(report, policy, chain, key)
    # Apache sends the certificate file, then its chain file: prove that.
    if report.key is None:
        return report  # key-mismatch says it; nothing to hand to the stack
    anchor = report.path[-1] if report.complete else None
    target = Target(f"{chain} with {site.extra_chain}", str(key or "its key"))
    return with_finding(report, prove_chain(
        chain_pem(report.chain), report.key.key, anchor=anchor, policy=policy,
        found=report.findings, target=target,
    ))


# ----------------------------------------------------------------- the files


def _subject(site: Site, directive: str, where: Where | None) -> str:
    """How a message names a directive: ``site NAME: ssl_certificate (FILE:LINE)``."""
    if site.server == "jupyterhub":
        return directive  # one hub, one file: its messages have always read so
    place = f" ({where})" if where is not None else ""
    return f"site {site.name}: {directive}{place}"


def _readable(
    site: Site, path: Path, directive: str, where: Where | None, found: list[Finding]
) -> bool:
    subject = sentence(_subject(site, directive, where))
    stops = _SERVERS[site.server].stops
    if not path.exists():
        found.append(Finding(
            Code.FILE_NOT_FOUND, Severity.ERROR,
            f"{subject} names {path}, which does not exist: {stops}; fix the path.",
        ))
        return False
    if not os.access(path, os.R_OK):
        found.append(Finding(
            Code.FILE_UNREADABLE, Severity.ERROR,
            f"{subject} names {path}, which this user cannot read: check that the "
            f"user {_SERVERS[site.server].title} reads its files as (root, for a server "
            "started as a system service) can, and run certchain as that user.",
        ))
        return False
    return True


def _private(site: Site, path: Path, found: list[Finding]) -> None:
    """A file holding a private key: only its owner may read it (``key-permissions``)."""
    mode = path.stat().st_mode
    if stat.S_ISREG(mode) and mode & (stat.S_IRWXG | stat.S_IRWXO):  # a FIFO: refused later
        prefix = "" if site.server == "jupyterhub" else f"Site {site.name}: the"
        found.append(Finding(
            Code.KEY_PERMISSIONS, Severity.WARNING,
            sentence(
                f"{prefix} private key {path} is accessible to its group or others (mode "
                f"{stat.S_IMODE(mode):04o}): run chmod 600 {path}.".lstrip()
            ),
        ))


def _read_chain(
    site: Site, path: Path, password: bytes | None, policy: Policy, found: list[Finding]
) -> Material | None:
    subject = _subject(site, site.directive, site.where)
    try:
        material = load_file(path, password=password)
    except PasswordRequired:
        found.append(_locked(site, path, site.directive, site.where, policy))
        return None
    except CertchainError as exc:
        found.append(Finding(Code.FILE_UNREADABLE, Severity.ERROR, sentence(f"{subject}: {exc}")))
        return None
    if material.keys and _SERVERS[site.server].combined_ok:
        _private(site, path, found)
    return material


def _extra_chain(site: Site, password: bytes | None, found: list[Finding]) -> Material | None:
    path = site.extra_chain
    if path is None or not _readable(site, path, "SSLCertificateChainFile", site.extra_where,
                                     found):
        return None
    try:
        return load_file(path, password=password)
    except CertchainError as exc:
        subject = _subject(site, "SSLCertificateChainFile", site.extra_where)
        found.append(Finding(Code.FILE_UNREADABLE, Severity.ERROR, sentence(f"{subject}: {exc}")))
        return None


def _with_chain_file(
    site: Site, material: Material, extra: Material, found: list[Finding]
) -> Material:
    """
    What httpd sends with ``SSLCertificateChainFile``: the leaf, then that file's certificates.

    httpd 2.4 then sends none of the certificates that follow the leaf in
    ``SSLCertificateFile``'s file (seen with 2.4.71 and OpenSSL 3).
    """
    dropped = len(material.certs) - 1
    if dropped > 0:
        found.append(Finding(
            Code.DEPRECATED_DIRECTIVE, Severity.WARNING,
            f"Site {site.name}: httpd sends the certificates of SSLCertificateChainFile "
            f"({site.extra_chain}) instead of the {dropped} after the leaf in "
            f"{site.chain}: remove SSLCertificateChainFile, and keep the intermediates "
            "in the certificate file.",
        ))
    return Material(certs=(*material.certs[:1], *extra.certs), keys=material.keys)


def _read_key(
    site: Site, path: Path, password: bytes | None, found: list[Finding]
) -> Material | None:
    server = _SERVERS[site.server]
    if not _readable(site, path, server.key_directive, site.key_where, found):
        return None
    _private(site, path, found)
    subject = _subject(site, server.key_directive, site.key_where)
    try:
        material = _open_key(path, password, site.passwords)
    except PasswordRequired:
        found.append(_locked(site, path, server.key_directive, site.key_where))
        return None
    except CertchainError as exc:
        found.append(Finding(Code.FILE_UNREADABLE, Severity.ERROR, sentence(f"{subject}: {exc}")))
        return None
    if not material.keys:
        found.append(Finding(
            Code.FILE_UNREADABLE, Severity.ERROR,
            f"{sentence(subject)} names {path}, which holds no private key.",
        ))
        return None
    key = material.keys[0]
    problem = key_file_problem(
        path, key.source.format, encrypted=key.encrypted and site.passwords is None,
        setting=subject, consequence=server.cannot_ask,
    )
    found += [problem] if problem is not None else []
    return material


def _open_key(path: Path, password: bytes | None, passwords: Path | None) -> Material:
    """Load the key file *path*: with *password*, else each line of *passwords* (nginx)."""
    try:
        return load_file(path, password=password)
    except LoadError:
        if passwords is None or password is not None:
            raise
    # nginx tries each line of ssl_password_file in turn.
    lines = read_file(passwords).splitlines() if passwords.exists() else []
    for line in lines:
        try:
            return load_file(path, password=line)
        except LoadError:
            continue
    raise PasswordRequired(path)


def _locked(
    site: Site, path: Path, directive: str, where: Where | None, policy: Policy | None = None
) -> Finding:
    """A file that needs a password to be read: PKCS#12, or an encrypted key."""
    server = _SERVERS[site.server]
    try:
        pkcs12 = is_pkcs12(read_file(path))
    except LoadError:
        pkcs12 = False
    if not pkcs12:
        return encrypted_key(path, consequence=server.cannot_ask)
    setting = _subject(site, directive, where)
    problem = (
        chain_file_problem(path, None, setting=setting, policy=policy)
        if directive == site.directive
        else key_file_problem(path, Format.PKCS12, setting=setting)
    )
    assert problem is not None  # PKCS#12 is always refused
    return problem


def _key_unexplained(site: Site, key: Path | None) -> bool:
    """No key file is named, and reading the configuration did not say why."""
    told = {Code.SSL_NOT_SET, Code.UNEVALUATED_CONFIG, Code.FILE_NOT_FOUND, Code.NO_KEY}
    return key is None and not told & {f.code for f in site.findings}


def _no_key(site: Site) -> Finding:
    server = _SERVERS[site.server]
    return Finding(
        Code.SSL_NOT_SET, Severity.ERROR,
        sentence(
            f"{_subject(site, site.directive, site.where)} names {site.chain}, which holds no "
            f"private key, and {server.key_directive} names none: {server.stops}; name "
            "the key file, or put the key in the certificate file (mode 600)."
        ),
    )


# ----------------------------------------------------------------- the names


def _uncovered(site: Site, leaf: x509.Certificate | None) -> list[Finding]:
    """``hostname-mismatch`` for each name *site* serves that *leaf* does not cover."""
    if leaf is None:
        return []
    found = []
    covered = ", ".join(all_names(san_names(leaf))) or "no subjectAltName at all"
    server = _SERVERS[site.server]
    where = f", {site.names_where}" if site.names_where is not None else ""
    for name in site.names:
        if all(covers_hostname(leaf, probe) for probe in _probes(name)):
            continue
        found.append(Finding(
            Code.HOSTNAME_MISMATCH, Severity.ERROR,
            f"Site {site.name} serves {name} ({server.names_directive}{where}), which its "
            f"leaf ({subject_text(leaf)}) does not cover (it covers: {covered}): use a "
            f"certificate that covers {name}, or serve {name} from a site of its own.",
            0,
        ))
    return found


def _probes(name: str) -> tuple[str, ...]:
    """The host names that stand for *name*: ``*.a.org`` is any one label under a.org."""
    if name.startswith("*."):
        return (WILDCARD_PROBE + name[1:],)
    return (name,)
