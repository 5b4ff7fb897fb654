"""
certbot's layout: which files certbot owns, and the option that picks a chain.

certbot keeps each certificate ("lineage") as numbered files in
``archive/NAME/`` (``cert1.pem``, ``chain1.pem``, ``fullchain1.pem``,
``privkey1.pem``, then 2, 3, ... at each renewal) and points the symlinks
``live/NAME/cert.pem``, ``chain.pem``, ``fullchain.pem`` and ``privkey.pem``
at the newest ones; servers are configured with the ``live/`` names.  A file
repaired there is replaced at the next renewal: the lasting fix is to ask
certbot for the chain with ``--preferred-chain``, which certbot keeps in the
lineage's renewal configuration.  Reads only where links point.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from cryptography.x509.oid import NameOID

from .certs import is_self_signed
from .model import Chain

#: The files certbot keeps in ``live/NAME/``.
LIVE_FILES = ("cert.pem", "chain.pem", "fullchain.pem", "privkey.pem")
_ARCHIVE_FILE = re.compile(r"(cert|chain|fullchain|privkey)\d+\.pem")


@dataclass(frozen=True, slots=True)
class Lineage:
    """A file that certbot manages, and where it lies in certbot's layout."""

    name: str  # the certificate name: ``certbot --cert-name NAME``
    path: Path  # the file as named (a ``live/NAME/`` link, or a link to one)
    archive: Path | None  # the ``archive/NAME/`` file it points to, when it does


def lineage(path: Path) -> Lineage | None:
    """
    Return the certbot lineage *path* belongs to, or None.

    *path* belongs to one when it is one of certbot's names in a folder
    ``live/NAME/``, or a symlink (through any number of links) to a numbered
    file in ``archive/NAME/``.
    """
    path = path.absolute()
    archive = None
    if path.is_symlink():
        target = path.resolve()
        if target.parent.parent.name == "archive" and _ARCHIVE_FILE.fullmatch(target.name):
            archive = target
    if archive is not None:
        return Lineage(archive.parent.name, path, archive)
    if path.name in LIVE_FILES and path.parent.parent.name == "live":
        return Lineage(path.parent.name, path, None)
    return None


def preferred_chain(chain: Chain) -> str | None:
    """
    Return the value of ``--preferred-chain`` that picks *chain*, or None.

    certbot's option names the issuer of the chain's topmost certificate by
    its common name ("prefer the chain whose topmost certificate was issued
    from this Subject Common Name", certbot's configuration docs): the
    issuer of the last certificate below the root.  None when that issuer
    has no common name, or *chain* holds no certificate below a root.
    """
    below_root = [c for c in chain if not is_self_signed(c)]
    if not below_root:
        return None
    names = below_root[-1].issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names or not isinstance(names[0].value, str):
        return None
    return names[0].value


def renew_command(found: Lineage, chain: Chain) -> str | None:
    """
    Return the ``certbot renew`` command that makes certbot choose *chain*, or None.

    certbot keeps ``--preferred-chain`` for the lineage's later renewals; it
    takes effect at the next renewal (``--force-renewal`` makes that now).
    """
    issuer = preferred_chain(chain)
    if issuer is None:
        return None
    return shlex.join(["certbot", "renew", "--cert-name", found.name, "--preferred-chain", issuer])

