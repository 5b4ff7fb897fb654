"""
Discovery: where a host keeps what its TLS servers serve.

``certchain audit`` without paths looks in the usual places
(:data:`LOCATIONS`: nginx, Apache httpd in the Debian and the RHEL layout,
HAProxy, JupyterHub) and in certbot's ``/etc/letsencrypt/live/*``.  With
paths, it takes those: a configuration file (its server recognised from its
content later, unless the name says it), a certbot lineage (``live/NAME``)
or a folder of lineages (``live/``), or a folder of certificate files.

Every location is looked up under a *root* folder (``/`` on a host; a tree
in a test, or a container's filesystem), and only looked at: nothing is
read here but folder listings.  A main configuration file stands for the
files it includes (``sites-enabled/``, ``conf.d/``), which its reader follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .sites import CERTBOT, FILES

#: The main configuration files looked for, per server, relative to the root.
LOCATIONS: tuple[tuple[str, str], ...] = (
    ("nginx", "etc/nginx/nginx.conf"),  # distribution packages
    ("nginx", "usr/local/nginx/conf/nginx.conf"),  # nginx built from source
    ("nginx", "usr/local/etc/nginx/nginx.conf"),  # FreeBSD ports, Homebrew
    ("apache", "etc/apache2/apache2.conf"),  # Debian, Ubuntu
    ("apache", "etc/httpd/conf/httpd.conf"),  # RHEL, Fedora, CentOS, Rocky, Alma
    ("haproxy", "etc/haproxy/haproxy.cfg"),
    ("jupyterhub", "etc/jupyterhub/jupyterhub_config.py"),  # JupyterHub's systemd recipe
    # JupyterHub's "installing in a virtual environment" guide
    ("jupyterhub", "opt/jupyterhub/etc/jupyterhub/jupyterhub_config.py"),
    ("jupyterhub", "srv/jupyterhub/jupyterhub_config.py"),  # the jupyterhub Docker image
)
#: certbot's folder of lineages, relative to the root: one ``live/NAME`` per certificate.
CERTBOT_LIVE = "etc/letsencrypt/live"

# Main configuration files whose name tells their server.
_NAMED = {"nginx.conf": "nginx", "apache2.conf": "apache", "httpd.conf": "apache",
          "haproxy.cfg": "haproxy", "jupyterhub_config.py": "jupyterhub"}


@dataclass(frozen=True, slots=True)
class Found:
    """
    Something to audit: a configuration file, a certbot lineage or a folder of files.

    *server*: a server of :data:`certchain.sites.SERVERS` for a configuration
    file, :data:`~certchain.sites.CERTBOT` (a lineage) or
    :data:`~certchain.sites.FILES` (a folder of certificate files); None for a file
    given by path whose name does not tell its server (its content will).
    """

    server: str | None
    path: Path


def discover(root: Path = Path("/")) -> tuple[Found, ...]:
    """
    Return what a host serves TLS from: every usual location that exists under *root*.

    The configurations in the order of :data:`LOCATIONS`, then the certbot
    lineages in ``etc/letsencrypt/live``, by name.
    """
    found = [Found(server, root / where) for server, where in LOCATIONS
             if (root / where).is_file()]
    live = root / CERTBOT_LIVE
    lineages = _lineages(live)
    if not lineages and live.is_dir() and not _listable(live):
        # Not for this user to list (certbot makes it 0700): reading it as a
        # folder says so, rather than the audit passing over it in silence.
        return (*found, Found(FILES, live))
    return (*found, *lineages)


def given(paths: tuple[Path, ...] | list[Path]) -> tuple[Found, ...]:
    """
    Return what each path given stands for, in order.

    A folder: a certbot lineage (it holds ``fullchain.pem``), a folder of
    lineages (``/etc/letsencrypt/live``), else a folder of certificate
    files.  Anything else, a configuration file (a missing path too: reading
    it says that it does not exist).
    """
    found: list[Found] = []
    for path in paths:
        if not path.is_dir():
            found.append(Found(_NAMED.get(path.name), path))
        elif is_lineage(path):
            found.append(Found(CERTBOT, path))
        else:
            lineages = _lineages(path)
            found.extend(lineages or (Found(FILES, path),))
    return tuple(found)


def is_lineage(folder: Path) -> bool:
    """Whether *folder* is one of certbot's ``live/NAME``: it names ``fullchain.pem``."""
    # A dangling link is still certbot's name for the file, and its lineage.
    fullchain = folder / "fullchain.pem"
    return fullchain.is_symlink() or fullchain.is_file()


def _listable(folder: Path) -> bool:
    try:
        next(iter(folder.iterdir()), None)
    except OSError:
        return False
    return True


def _lineages(folder: Path) -> tuple[Found, ...]:
    try:
        entries = sorted(folder.iterdir())
    except OSError:  # missing, or not for this user to list
        return ()
    return tuple(Found(CERTBOT, entry) for entry in entries
                 if entry.is_dir() and is_lineage(entry))
