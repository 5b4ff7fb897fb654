"""
Where a certificate's private key is found: the file named, else the one kept beside it.

``build``, ``verify``, ``config`` and ``audit`` look for a key the same way:
the key file the user named (it must open), none when the inputs already
hold keys, else the key file beside the certificate file (``STEM.key``,
``HOST.key`` beside ``HOST-chained.crt``, certbot's ``privkey.pem``).  A key
found beside, not asked for, never stops a run: one that does not open
comes back closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .errors import BadPassword, LoadError, PasswordRequired
from .load import load_file
from .model import Format, LockedKey, Material, Source

# certbot's names in live/NAME/: the key beside the certificate files is privkey.pem.
_CERTBOT_CERT_FILES = ("fullchain.pem", "cert.pem", "chain.pem")


def sibling_key(path: Path) -> Path | None:
    """
    Return the key file kept beside a certificate file, or None.

    ``STEM.key`` beside ``STEM.crt``; for ``HOST-chained.crt`` (what
    ``certchain build`` writes) also ``HOST.key``; for certbot's
    ``fullchain.pem``, ``cert.pem`` and ``chain.pem``, ``privkey.pem``.
    The first that exists wins.
    """
    names = [f"{path.stem}.key"]
    if path.stem.endswith("-chained"):
        names.append(f"{path.stem.removesuffix('-chained')}.key")
    if path.name in _CERTBOT_CERT_FILES:
        names.append("privkey.pem")
    for name in names:
        candidate = path.with_name(name)
        if candidate != path and candidate.is_file():
            return candidate
    return None


def find_keys(
    named: Path | None, *, password: bytes | None = None, found: Material | None = None,
    beside: Path | None = None, skip: Sequence[Path] = (), ask: bool = False,
) -> Material | None:
    """
    Return the private keys to check against a leaf, read from files.

    The file the user *named* (it must hold a key); else None when the
    inputs already hold keys (*found*: they are used); else the key file kept
    beside the file *beside* (:func:`sibling_key`) unless it is among *skip*
    (already read as an input); else None.

    A key file found beside *beside* that is encrypted, without a password
    or with one that does not open it, comes back closed
    (``Material.locked``) rather than raised: the user did not ask for it,
    so it must not stop the run.

    Args:
        ask: raise :class:`PasswordRequired` for such a file when no
            password was given, for a front end that can ask for one.

    Raises:
        LoadError: the named file holds no private key, or a file cannot be read.
        PasswordRequired, BadPassword: the named file needs a (right) password.
    """
    if named is not None:
        keys = load_file(named, password=password)
        if not keys.keys:
            raise LoadError(named, "holds no private key (given as the key).")
        return keys
    if (found is not None and found.keys) or beside is None:
        return None
    sibling = sibling_key(beside)
    if sibling is None or sibling in skip:
        return None
    try:
        return load_file(sibling, password=password, keep_locked=not ask)
    except PasswordRequired:
        raise  # asked for: the front end prompts
    except BadPassword:
        return Material(locked=(LockedKey(Source(sibling, 0, Format.PEM), True),))
