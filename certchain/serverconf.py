"""
Server configurations: which server a file is for, and reading it as that server does.

:func:`recognise` tells JupyterHub, nginx, Apache httpd and HAProxy apart
by their content; :func:`read_server_config` hands the file to its reader
(:mod:`certchain.jupyterhubconf`, :mod:`certchain.nginxconf`,
:mod:`certchain.apacheconf`, :mod:`certchain.haproxyconf`, each imported
when needed).  ``doctor`` and ``audit`` both read configurations here.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import ConfigError, LoadError
from .reading import read_config
from .sites import SERVERS, ServerConfig

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
