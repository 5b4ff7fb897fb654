"""
Trust stores: certifi's bundle by default, or the anchors the user names.

This is the only module that reads trust anchors.  Failing to read them is an
error, never a fallback to another store.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import certifi
from cryptography import utils, x509

from . import reading
from .errors import LoadError, TooManyItems, TrustStoreError
from .load import load_bytes
from .model import TrustStore, fingerprint

# In a directory, files with these suffixes must parse; others (hash links,
# READMEs) are skipped when they hold no certificate.
_CERT_SUFFIXES = {".pem", ".crt", ".cer"}


def certifi_store() -> TrustStore:
    """Return the Mozilla root program's anchors as shipped by certifi."""
    path = Path(certifi.where())
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrustStoreError(f"certifi's bundle {path} cannot be read: {exc}") from exc
    with warnings.catch_warnings():
        # certifi carries a few old roots with non-positive serial numbers,
        # which cryptography parses with a deprecation warning.
        warnings.simplefilter("ignore", utils.CryptographyDeprecationWarning)
        roots = tuple(x509.load_pem_x509_certificates(data))
    return TrustStore(roots, f"certifi {certifi.__version__}")


def store_from_paths(paths: Sequence[Path]) -> TrustStore:
    """
    Return a store of every certificate in *paths* (PEM bundles or directories).

    A directory contributes every file directly inside it that holds
    certificates; files that hold none (``README``, hash links to keys) are
    skipped, but a directory without any certificate is an error.

    Every file is read as inputs are (:mod:`certchain.reading`): regular
    files only (a FIFO or a device named as an anchor is an error; inside a
    directory, it is skipped), at most the run's bytes each, the
    certificates counted against the run's limit.

    Raises:
        TrustStoreError: a path is unreadable or corrupt, or no certificate
            was found at all.
    """
    roots: list[x509.Certificate] = []
    with reading.run():
        for path in paths:
            if path.is_dir():
                found = _read_directory(path)
                if not found:
                    raise TrustStoreError(f"{path}: the trust directory holds no certificate.")
                roots.extend(found)
            else:
                roots.extend(_read_file(path, strict=True))
    if not roots:
        raise TrustStoreError("the trust store is empty: no certificate was given as an anchor.")
    # A directory such as /etc/ssl/certs holds each root several times (the
    # file, its hash links, the bundle): keep one of each.
    roots = list({fingerprint(r): r for r in roots}.values())
    origin = ", ".join(str(p) for p in paths)
    return TrustStore(tuple(roots), origin, explicit=True, paths=tuple(paths))


def _read_directory(path: Path) -> list[x509.Certificate]:
    found: list[x509.Certificate] = []
    for entry in sorted(path.iterdir()):
        if entry.is_file():
            found.extend(_read_file(entry, strict=entry.suffix.lower() in _CERT_SUFFIXES))
    return found


def _read_file(path: Path, *, strict: bool) -> list[x509.Certificate]:
    try:
        data = reading.read_file(path)
    except LoadError as exc:
        raise TrustStoreError(f"{exc} (in the trust anchors given)") from exc
    try:
        material = load_bytes(data, source=path)
    except TooManyItems as exc:
        raise TrustStoreError(f"{exc} (in the trust anchors given)") from exc
    except LoadError as exc:
        if not strict:
            return []
        raise TrustStoreError(f"{exc} (in the trust anchors given)") from exc
    if strict and not material.certs:
        raise TrustStoreError(f"{path}: holds no certificate (in the trust anchors given).")
    return [c.cert for c in material.certs]
