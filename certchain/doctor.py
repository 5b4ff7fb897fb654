"""
Diagnose a server configuration: every TLS site it serves, and the files each names.

``doctor`` recognises the configuration (JupyterHub, nginx, Apache httpd,
HAProxy) from its content, reads it as its server does
(:mod:`certchain.jupyterhubconf`, :mod:`certchain.nginxconf`,
:mod:`certchain.apacheconf`, :mod:`certchain.haproxyconf`), runs the
server's own check when the server is installed
(:mod:`certchain.servercheck`), and judges each site
(:func:`certchain.sitecheck.judge_site`).  An engine: it reads the files
and runs the server's check, and prints nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from .errors import ConfigError, LoadError
from .findings import Finding, by_severity
from .policy import Policy
from .proof import with_finding
from .reading import read_config
from .sitecheck import judge_site
from .sites import SERVERS, ConfigResult, ServerConfig

# What each server's configuration looks like: patterns, each worth a point
# per line it matches; the file's name adds to its server's score.
_SIGNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "jupyterhub": (
        re.compile(r"^\s*c\.[A-Za-z_]\w*\.[A-Za-z_]\w*\s*=", re.M),
        re.compile(r"get_config\(\)"),
    ),
    "nginx": (
        re.compile(r"^\s*(?:http|events|server|stream|location|upstream|mail)\b[^;{]*\{", re.M),
        re.compile(r"^\s*(?:ssl_certificate(?:_key)?|server_name|listen|include|"
                   r"worker_processes|proxy_pass|root|ssl_protocols)\s[^;]*;", re.M),
    ),
    "apache": (
        re.compile(r"^\s*</?(?:VirtualHost|IfModule|Directory|Location|Files|IfDefine)\b",
                   re.M | re.I),
        re.compile(r"^\s*(?:ServerName|ServerAlias|SSLEngine|SSLCertificate\w*|LoadModule|"
                   r"DocumentRoot|ServerRoot|IncludeOptional|Include|Listen)\s", re.M),
    ),
    "haproxy": (
        re.compile(r"^(?:global|defaults|frontend|backend|listen)\b", re.M),
        re.compile(r"^\s+(?:bind|mode|timeout|default_backend|use_backend|server)\s", re.M),
    ),
}
_NAMES = {"jupyterhub": ("jupyterhub",), "nginx": ("nginx",), "apache": ("httpd", "apache"),
          "haproxy": ("haproxy",)}


def recognise(path: Path, text: str) -> str:
    """
    Return which server's configuration *text* (read from *path*) is: one of ``SERVERS``.

    Raises:
        ConfigError: it looks like none of them, or like two as much.
    """
    scores = {server: sum(len(p.findall(text)) for p in signs) for server, signs in _SIGNS.items()}
    for server, words in _NAMES.items():
        if any(word in path.name.lower() for word in words):
            scores[server] += 3
    if path.suffix == ".py":
        scores["jupyterhub"] += 3
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if ranked[0][1] == 0 or ranked[0][1] == ranked[1][1]:
        raise ConfigError(
            f"{path}: certchain cannot tell which server this configuration is for: "
            f"name it with --type ({'|'.join(SERVERS)})."
        )
    return ranked[0][0]


def read_server_config(
    path: Path, *, server: str | None = None, hostname: str | None = None
) -> ServerConfig:
    """
    Read *path* as *server*'s configuration (None: recognised from its content).

    *hostname*: the name to check JupyterHub's certificate for, instead of
    its ``bind_url``'s host.

    Raises:
        LoadError: *path* cannot be read.
        ConfigError: it cannot be parsed, or its server cannot be told.
    """
    if server is None:
        data = read_config(path)  # bounded; a FIFO or a device is refused
        if data is None:
            raise LoadError(path, "does not exist: pass the path of a server configuration.")
        server = recognise(path, data.decode("utf-8", "replace"))
    if server == "jupyterhub":
        from .jupyterhubconf import read_jupyterhub

        return read_jupyterhub(path, hostname=hostname)
    if server == "nginx":
        from .nginxconf import read_nginx

        return read_nginx(path)
    if server == "apache":
        from .apacheconf import read_apache

        return read_apache(path)
    if server == "haproxy":
        from .haproxyconf import read_haproxy

        return read_haproxy(path)
    raise ValueError(f"unknown server {server!r}: one of {', '.join(SERVERS)}")


def doctor_config(
    path: Path | None, *, policy: Policy, password: bytes | None = None,
    server: str | None = None, from_server: bool = False, server_check: bool = True,
) -> ConfigResult:
    """
    Check the configuration *path* and every TLS site it serves.

    Args:
        path: the configuration file (``jupyterhub_config.py``, ``nginx.conf``,
            ``httpd.conf``/``apache2.conf``, ``haproxy.cfg``, or a file of
            sites they include); None with *from_server*: nginx's own.
        policy: how to judge each chain; its hostname, when set, must be
            covered by every site (JupyterHub: instead of ``bind_url``'s host).
        password: of encrypted keys and PKCS#12 files.
        server: one of ``SERVERS``; None recognises it from the content.
        from_server: read what ``nginx -T`` prints instead of the files.
        server_check: run the server's own check when it is installed.

    Returns:
        A :class:`~certchain.sites.ConfigResult`: one
        :class:`~certchain.sites.SiteResult` per site (its report as
        ``verify``'s, with the site's findings), and the configuration's own
        findings.

    Raises:
        LoadError: *path* cannot be read.
        ConfigError: the configuration cannot be parsed, includes itself, names
            an include that cannot be read, or its server refuses it.
    """
    if from_server:
        if server not in (None, "nginx"):
            raise ConfigError(f"only nginx prints the configuration it reads (nginx -T), "
                              f"not {server}: give the configuration file instead.")
        from .nginxconf import read_nginx
        from .servercheck import nginx_dump

        config = read_nginx(path or Path("nginx.conf"), dump=nginx_dump(path))
    else:
        if path is None:
            raise ValueError("path is required without from_server")
        config = read_server_config(path, server=server, hostname=policy.hostname)
    per_site: dict[int, Finding] = {}
    general: list[Finding] = []
    if server_check and not from_server:  # nginx -T has checked it already
        from .servercheck import judge_run, run_check

        run = run_check(config)
        if run is not None:
            per_site, general = judge_run(config, run)
    results = []
    for index, site in enumerate(config.sites):
        result = judge_site(site, policy=policy, password=password)
        if index in per_site:
            result = replace(result, report=with_finding(result.report, per_site[index]))
        results.append(result)
    return ConfigResult(config, tuple(results), by_severity([*config.findings, *general]))
