"""
Read a JupyterHub configuration: the TLS files it names, and the settings that
the JupyterHub troubleshooting page warns about.

The configuration is parsed, never executed (:mod:`certchain.jhconfig`).
It gives one :class:`~certchain.sites.Site`, the hub: the files named by
``c.JupyterHub.ssl_cert`` and ``ssl_key``, and the host of
``c.JupyterHub.bind_url`` as the name it serves; its findings are about the
settings (``ssl-not-set``, ``ip-wildcard``, ``hub-ip-unreachable``,
``unevaluated-config``, key material where a path belongs).  The files
themselves are judged by :mod:`certchain.sitecheck`.  Reads the
configuration only.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from .errors import CertchainError, LoadError, PasswordRequired
from .findings import Code, Finding, Severity
from .jhconfig import Setting, parse_settings
from .load import load_bytes
from .reading import read_config
from .sites import ServerConfig, Site, Where

# Spawners that start single-user servers outside the hub's host (or network
# namespace), which then cannot reach a hub listening on loopback.
# (Wrapping spawners such as ProfilesSpawner are not listed: what they wrap
# decides, and it may be local.)
_REMOTE_SPAWNERS = (
    "docker", "swarm", "systemuser", "kube", "batch", "slurm", "torque", "pbs",
    "lsf", "gridengine", "condor", "sshspawner", "yarn",
)

def read_jupyterhub(config: Path, *, hostname: str | None = None) -> ServerConfig:
    """
    Read *config* (a ``jupyterhub_config.py``) without running it.

    The hub's names: *hostname* when given, else the host of
    ``c.JupyterHub.bind_url`` when it names one.  Relative paths are taken
    from the configuration's folder, as JupyterHub started there opens them.

    Raises:
        LoadError: *config* cannot be read.
        ConfigError: *config* is not valid Python.
    """
    data = read_config(config)  # bounded; a FIFO or a device is refused
    if data is None:
        raise LoadError(config, "does not exist: pass the path of jupyterhub_config.py.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(config, f"cannot be read ({exc}).") from exc
    settings = {(s.section, s.trait): _redacted(s) for s in parse_settings(text, config)}
    # An empty ssl_cert/ssl_key is JupyterHub's default: TLS off, not a path.
    for trait in ("ssl_cert", "ssl_key"):
        if getattr(settings.get(("JupyterHub", trait)), "value", None) == "":
            del settings[("JupyterHub", trait)]
    found: list[Finding] = []
    found += _network_findings(settings)
    cert_path = _path_setting(settings, "ssl_cert", config, found)
    key_path = _path_setting(settings, "ssl_key", config, found)
    found += _ssl_presence(settings)
    host = hostname if hostname is not None else _bind_host(settings, found)
    hub = Site(
        server="jupyterhub", name=host or "JupyterHub", chain=cert_path, key=key_path,
        names=(host,) if host is not None and hostname is None else (),
        where=_where(settings, "ssl_cert", config), key_where=_where(settings, "ssl_key", config),
        names_where=_where(settings, "bind_url", config), directive="c.JupyterHub.ssl_cert",
        findings=tuple(found),
    )
    return ServerConfig("jupyterhub", config, (hub,), files=(config,), whole=False)


def _where(settings: dict[tuple[str, str], Setting], trait: str, config: Path) -> Where | None:
    setting = settings.get(("JupyterHub", trait))
    return Where(config, setting.line) if setting is not None else None


def _path_setting(
    settings: dict[tuple[str, str], Setting], trait: str, config: Path, found: list[Finding]
) -> Path | None:
    setting = settings.get(("JupyterHub", trait))
    if setting is None:
        return None
    if isinstance(setting.value, _KeyMaterial):
        found.append(Finding(
            Code.FILE_NOT_FOUND, Severity.ERROR,
            f"c.JupyterHub.{trait} (line {setting.line}) holds {setting.source}, where "
            "JupyterHub expects the path of a file, so its proxy will not start: write the "
            "key to a file only JupyterHub's user can read (chmod 600), name that file, and "
            "take the key out of the configuration (whoever can read it has the key).",
        ))
        return None
    if not setting.evaluated or not isinstance(setting.value, str):
        found.append(Finding(
            Code.UNEVALUATED_CONFIG, Severity.WARNING,
            f"c.JupyterHub.{trait} (line {setting.line}) is set by `{setting.source}`, which "
            "certchain cannot read without running the file: check the path by hand, "
            "or write it as a string.",
        ))
        return None
    # os.path.expanduser, as JupyterHub's own file opening does: an unknown
    # ~user stays as written (Path.expanduser would raise).
    path = Path(os.path.expanduser(setting.value))
    # JupyterHub opens a relative path from its working directory, usually
    # the configuration's folder.
    return path if path.is_absolute() else config.parent / path


def _ssl_presence(settings: dict[tuple[str, str], Setting]) -> list[Finding]:
    cert = ("JupyterHub", "ssl_cert") in settings
    key = ("JupyterHub", "ssl_key") in settings
    if cert and key:
        return []
    if not cert and not key:
        return [Finding(
            Code.SSL_NOT_SET, Severity.WARNING,
            "Neither c.JupyterHub.ssl_cert nor ssl_key is set: JupyterHub serves plain "
            "HTTP, which is right only behind a proxy that terminates TLS; otherwise "
            "run certchain build and certchain config --write.",
        )]
    missing = "ssl_key" if cert else "ssl_cert"
    return [Finding(
        Code.SSL_NOT_SET, Severity.ERROR,
        f"c.JupyterHub.{missing} is not set while the other one is: JupyterHub needs "
        "both to serve HTTPS; set it (certchain config --write does both).",
    )]


def _network_findings(settings: dict[tuple[str, str], Setting]) -> list[Finding]:
    found = []
    ip = settings.get(("JupyterHub", "ip"))
    if ip is not None and ip.value == "*":
        found.append(Finding(
            Code.IP_WILDCARD, Severity.WARNING,
            f"c.JupyterHub.ip = '*' (line {ip.line}): the proxy may fail to start with "
            "it; use '' or '0.0.0.0' to listen on all interfaces.",
        ))
    spawner = settings.get(("JupyterHub", "spawner_class"))
    remote = (
        spawner is not None
        and any(word in spawner.source.lower() for word in _REMOTE_SPAWNERS)
    )
    reachable = _hub_reachable(settings) if remote else True
    if reachable is None and spawner is not None:
        found.append(_unevaluated(settings, ("hub_bind_url", "hub_ip"), (
            f"the spawner ({spawner.source}) runs servers elsewhere, so the hub must "
            "listen on an address they can reach"
        )))
    if reachable is False and spawner is not None:
        hub_ip = settings.get(("JupyterHub", "hub_ip"))
        where = (
            f"c.JupyterHub.hub_ip = {hub_ip.source}" if hub_ip else "hub_ip is left at 127.0.0.1"
        )
        found.append(Finding(
            Code.HUB_IP_UNREACHABLE, Severity.WARNING,
            f"{where}, but the spawner ({spawner.source}, line {spawner.line}) runs "
            "servers elsewhere, which cannot reach a hub on loopback (the page's \"no "
            "authorization request\" cause): set c.JupyterHub.hub_ip = '0.0.0.0' and "
            "c.JupyterHub.hub_connect_ip to an address they can reach.",
        ))
    return found


def _hub_reachable(settings: dict[tuple[str, str], Setting]) -> bool | None:
    """
    Whether the hub listens beyond loopback (None: not known without running).

    Only where the hub *listens* counts (hub_bind_url, else hub_ip):
    hub_connect_ip tells servers where to connect, but a hub bound to
    127.0.0.1 is not reachable there.
    """
    bind = settings.get(("JupyterHub", "hub_bind_url"))
    if bind is not None:
        if not bind.evaluated:
            return None
        host = _url_host(str(bind.value))
        return host is None or not _loopback(host)
    hub_ip = settings.get(("JupyterHub", "hub_ip"))
    if hub_ip is None:
        return False  # JupyterHub's default hub_ip is 127.0.0.1
    if not hub_ip.evaluated:
        return None
    # '' means all interfaces for JupyterHub, like '0.0.0.0'.
    return not _loopback(str(hub_ip.value))


def _unevaluated(
    settings: dict[tuple[str, str], Setting], traits: tuple[str, ...], why: str
) -> Finding:
    setting = next(settings[("JupyterHub", t)] for t in traits if ("JupyterHub", t) in settings)
    return Finding(
        Code.UNEVALUATED_CONFIG, Severity.WARNING,
        f"c.JupyterHub.{setting.trait} (line {setting.line}) is set by `{setting.source}`, "
        f"which certchain cannot read without running the file, and {why}: check it by hand.",
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_host(url: str) -> str | None:
    """The host of *url*, or None when it names none or cannot be parsed ('http://[::1')."""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _bind_host(settings: dict[tuple[str, str], Setting], found: list[Finding]) -> str | None:
    """The public host name of ``c.JupyterHub.bind_url``, when it names one."""
    bind = settings.get(("JupyterHub", "bind_url"))
    if bind is None:
        return None
    if not bind.evaluated or not isinstance(bind.value, str):
        found.append(_unevaluated(settings, ("bind_url",), (
            "the host name to check the certificate for comes from it (or name the host)"
        )))
        return None
    host = _url_host(bind.value)
    if not host or host in ("0.0.0.0", "::", "*") or _loopback(host):
        return None
    return host


# ------------------------------------------------------------- key material


class _KeyMaterial:
    """The value of a setting that holds a private key: never shown."""

    def __str__(self) -> str:
        return "(not shown)"


_PEM_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_NOT_SHOWN = "a private key (inline PEM), not shown"


def _redacted(setting: Setting) -> Setting:
    """
    *setting*, or a copy whose text and value are withheld when it holds key material.

    Key material: an inline PEM private key block anywhere in the expression,
    or a string or bytes value that loads as a private key (PEM, DER, or DER
    in base64).  Every message that quotes the setting then says
    "a private key (...), not shown" instead of printing the key.
    """
    value = setting.value
    data = value.encode("utf-8", "replace") if isinstance(value, str) else value
    if _PEM_PRIVATE_KEY.search(setting.source) or (
        isinstance(data, bytes) and _PEM_PRIVATE_KEY.search(data.decode("latin-1"))
    ):
        return replace(setting, source=_NOT_SHOWN, value=_KeyMaterial())
    if isinstance(data, bytes) and (_loads_as_key(data) or _loads_as_key(_unbase64(data))):
        return replace(setting, source="a private key, not shown", value=_KeyMaterial())
    return setting


def _loads_as_key(data: bytes) -> bool:
    if not data:
        return False
    try:
        material = load_bytes(data, keep_locked=True)
    except PasswordRequired:
        return True  # a PKCS#12 file that needs its password: a key container
    except CertchainError:
        return False
    return bool(material.keys or material.locked)


def _unbase64(data: bytes) -> bytes:
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return b""
