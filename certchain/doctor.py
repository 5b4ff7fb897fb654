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

from dataclasses import replace
from pathlib import Path

from .errors import ConfigError
from .findings import Finding, by_severity
from .policy import Policy
from .proof import with_finding
from .serverconf import read_server_config
from .sitecheck import judge_site
from .sites import ConfigResult


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
