"""
Sites: what a server configuration serves over TLS, and the verdict on each.

A configuration reader (nginx, Apache httpd, HAProxy, JupyterHub) turns a
configuration file into a :class:`ServerConfig`: every :class:`Site` it
serves, with the files it names and where (file and line) it names them.
``doctor`` judges the sites of one configuration, ``audit`` those of every
configuration of a host; both judge each site the same way (its chain with
the core ``verify`` uses, its key, every name it serves, its files'
permissions) into a :class:`SiteResult`.  Data only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .findings import Finding, Severity
from .results import Report

#: The servers certchain reads the configuration of, as ``--type`` spells them.
SERVERS = ("jupyterhub", "nginx", "apache", "haproxy")
#: A site read from a certbot lineage (``live/NAME``), and from a folder of
#: certificate files: no configuration describes them (``certchain audit``).
CERTBOT = "certbot"
FILES = "files"
#: What ``Site.server`` may be: a server of :data:`SERVERS`, or one of those two.
SITE_SERVERS = (*SERVERS, CERTBOT, FILES)


@dataclass(frozen=True, slots=True)
class Where:
    """Where a configuration says something: a file and a line (1-based)."""

    file: Path
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Site:
    """
    One TLS site of a configuration: its certificate files and the names it serves.

    ``name`` is how reports name the site: the first server name of an nginx
    ``server`` block or an Apache ``<VirtualHost>`` (else where it listens),
    ``frontend NAME: FILE`` (or its first SNI filter) for HAProxy, the
    ``bind_url`` host (else ``JupyterHub``) for JupyterHub; ``names`` every
    host name the site answers to (``server_name``, ``ServerName`` and
    ``ServerAlias``, a crt-list's SNI filters, ``bind_url``'s host), each to
    be covered by the leaf.
    """

    server: str  # one of SITE_SERVERS
    name: str
    chain: Path | None  # the certificate file (its chain, perhaps its key), None: not set
    key: Path | None = None  # the key file; None: in the chain file, or not named
    extra_chain: Path | None = None  # Apache's SSLCertificateChainFile
    names: tuple[str, ...] = ()
    where: Where | None = None  # where the certificate file is named
    user: str | None = None  # the user the server reads its files as, when known
    findings: tuple[Finding, ...] = ()  # what reading the configuration found
    # How the configuration names the certificate file, for messages
    # ("ssl_certificate", "SSLCertificateFile", "crt", "c.JupyterHub.ssl_cert").
    directive: str = ""
    key_where: Where | None = None  # where the key file is named
    extra_where: Where | None = None  # where the chain file is named
    names_where: Where | None = None  # where the names are given (server_name, ServerName)
    # A file of passwords for an encrypted key, one a line, tried in turn as
    # the server tries them (nginx's ssl_password_file).
    passwords: Path | None = None
    # The key file is read only when the certificate file holds no key
    # (HAProxy's FILE.key beside FILE).
    key_if_missing: bool = False


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """One configuration file, read as its server reads it (includes followed)."""

    server: str  # one of SERVERS
    path: Path
    sites: tuple[Site, ...]
    files: tuple[Path, ...] = ()  # every file read: the configuration and its includes
    findings: tuple[Finding, ...] = ()  # about the configuration as a whole
    # The file is the server's whole configuration, which the server's own
    # check can test (not a file of virtual hosts that the main one includes).
    whole: bool = True


@dataclass(frozen=True, slots=True)
class SiteResult:
    """The verdict on one site: its report, and the site it is about."""

    site: Site
    report: Report  # the chain's findings, the site's (key, names, files) merged in

    @property
    def ok(self) -> bool:
        """No finding is an error."""
        return self.report.ok


@dataclass(frozen=True, slots=True)
class ConfigResult:
    """What ``doctor`` found in one configuration: every site's verdict, and its own findings."""

    config: ServerConfig
    sites: tuple[SiteResult, ...]
    findings: tuple[Finding, ...] = ()  # about the configuration as a whole (errors first)

    @property
    def ok(self) -> bool:
        """No finding, of a site or of the configuration, is an error."""
        return all(s.ok for s in self.sites) and not any(
            f.severity is Severity.ERROR for f in self.findings
        )
