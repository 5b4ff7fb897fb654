"""
Sites that no configuration describes: certbot's lineages and folders of certificate files.

``certchain audit`` judges them as it judges the sites of a server
configuration, so each becomes a :class:`~certchain.sites.Site`:

- a certbot lineage ``live/NAME`` serves ``fullchain.pem`` with
  ``privkey.pem`` (symlinks into ``archive/NAME``; a dangling one is the
  judge's ``file-not-found``), as certbot's own instructions configure
  servers; it names no host, the certificate is what certbot asked for;
- a folder of certificate files serves each file that holds a host
  certificate, with the key kept beside it (:func:`certchain.keyfiles.sibling_key`).
"""

from __future__ import annotations

from pathlib import Path

from .certs import is_ca
from .errors import CertchainError, LoadError
from .findings import Code, Finding, Severity
from .keyfiles import sibling_key
from .load import load_file
from .sites import CERTBOT, FILES, Site

#: What certbot's instructions configure a server with, in ``live/NAME``.
CERTBOT_CHAIN = "fullchain.pem"
CERTBOT_KEY = "privkey.pem"

#: The names of certificate files, as CAs hand them out and servers keep them.
CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der", ".p7b", ".p7c", ".p12", ".pfx"})


def lineage_site(folder: Path) -> Site:
    """Return the site of the certbot lineage *folder* (``live/NAME``)."""
    return Site(
        server=CERTBOT, name=folder.name, chain=folder / CERTBOT_CHAIN,
        key=folder / CERTBOT_KEY, directive=f"certbot's {folder.parent.name}/{folder.name}",
    )


def folder_sites(folder: Path) -> tuple[Site, ...]:
    """
    Return a site for each certificate file in *folder* that a server could serve.

    A file is one when its name ends in one of :data:`CERT_SUFFIXES` (hidden
    files aside) and it holds a host certificate, or cannot be read as a
    file of certificates at all (the judge says why).  A file of CA
    certificates only (an intermediate or a root kept beside the chains) or
    of keys only is no site.  Not recursive; in name order.

    Raises:
        LoadError: *folder* cannot be listed.
    """
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise LoadError(folder, f"cannot be listed ({exc.strerror or exc}).") from exc
    sites = []
    for entry in entries:
        if entry.suffix.lower() not in CERT_SUFFIXES or entry.name.startswith("."):
            continue
        if entry.is_dir():
            continue
        served, key_inside = _served(entry)
        if not served:
            continue
        key = sibling_key(entry)
        note = () if key is not None or key_inside else (_no_key(entry),)
        sites.append(Site(server=FILES, name=entry.name, chain=entry, key=key,
                          directive="the folder", findings=note))
    return tuple(sites)


def _served(path: Path) -> tuple[bool, bool]:
    """
    Whether *path* may be a served chain (a host certificate, or unreadable as it
    is), and whether it holds a private key too.
    """
    try:
        material = load_file(path, keep_locked=True)
    except CertchainError:
        return True, True  # encrypted, damaged, not for this user: the judge reports it
    host = any(not is_ca(loaded.cert) for loaded in material.certs)
    return host, bool(material.keys or material.locked)


def _no_key(path: Path) -> Finding:
    return Finding(
        Code.NO_KEY, Severity.WARNING,
        f"Site {path.name}: no key file beside {path} ({path.stem}.key), so certchain "
        f"could not check that its key matches the leaf: keep the key there to have it "
        "checked.",
    )
