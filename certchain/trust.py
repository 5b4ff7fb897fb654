"""
Trust stores: certifi's bundle by default, the operating system's, or the
anchors the user names; several of them merged.

This is the only module that reads trust anchors.  Failing to read them is an
error, never a fallback to another store.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from cryptography import utils, x509

from . import reading
from .errors import LoadError, TooManyItems, TrustStoreError
from .load import load_bytes
from .model import TrustStore, fingerprint

# In a directory, files with these suffixes must parse; others (hash links,
# READMEs) are skipped when they hold no certificate.
_CERT_SUFFIXES = {".pem", ".crt", ".cer"}

#: The names ``--trust`` takes besides a path: Mozilla's roots as certifi
#: ships them, and the operating system's bundle.
CERTIFI = "certifi"
SYSTEM = "system"
NAMED_STORES = (CERTIFI, SYSTEM)

#: Where distributions keep the system bundle, tried in this order when the
#: places Python's ssl was built with hold nothing (a python.org build on
#: macOS, a Python with its own OpenSSL): Debian and Ubuntu (and Alpine's
#: ca-certificates), RHEL and Fedora (the legacy name, then the file
#: update-ca-trust extracts), Alpine's and macOS's /etc/ssl/cert.pem.
SYSTEM_BUNDLES = (
    Path("/etc/ssl/certs/ca-certificates.crt"),
    Path("/etc/pki/tls/certs/ca-bundle.crt"),
    Path("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"),
    Path("/etc/ssl/cert.pem"),
)
# In an OpenSSL CA directory, OpenSSL reads only the files named by subject
# hash (``c_rehash``, ``openssl rehash``): ``5ad8a5d6.0``.  CRLs are ``.r0``.
_HASH_NAME = re.compile(r"[0-9a-f]{8}\.[0-9]+")


def certifi_store() -> TrustStore:
    """Return the Mozilla root program's anchors as shipped by certifi."""
    import certifi  # here: a run given its anchors (--trust FILE) does not need it

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


def system_store() -> TrustStore:
    """
    Return the operating system's trust anchors, found as Python's ``ssl`` finds them.

    What :func:`ssl.get_default_verify_paths` names (``$SSL_CERT_FILE`` and
    ``$SSL_CERT_DIR`` when set, else the places OpenSSL was built with): the
    bundle, and the files of the CA directory that OpenSSL reads (those
    named by subject hash), both when both exist, as
    ``SSLContext.load_default_certs`` loads both.  When neither exists, the
    first of :data:`SYSTEM_BUNDLES` that does.

    Raises:
        TrustStoreError: ``$SSL_CERT_FILE`` or ``$SSL_CERT_DIR`` names
            nothing, no system store exists, or it holds no certificate.
    """
    located = _system_locations()
    if not located:
        tried = ", ".join(str(p) for p in SYSTEM_BUNDLES)
        raise TrustStoreError(
            "no system trust store was found (Python's ssl names none, and none of "
            f"{tried} exists): give the bundle's path as the trust store instead."
        )
    roots: list[x509.Certificate] = []
    with reading.run():
        for path in located:
            roots.extend(_read_hashed(path) if path.is_dir() else _read_file(path, strict=True))
    if not roots:
        where = ", ".join(str(p) for p in located)
        raise TrustStoreError(f"the system trust store ({where}) holds no certificate.")
    unique = tuple({fingerprint(r): r for r in roots}.values())
    return TrustStore(unique, f"system ({', '.join(str(p) for p in located)})")


def _system_locations() -> list[Path]:
    """
    The bundle and CA folders OpenSSL would load by default, else the first usual bundle.

    ``$SSL_CERT_FILE`` and ``$SSL_CERT_DIR`` (a list, as OpenSSL reads it)
    replace the places OpenSSL was built with; one that names nothing is an
    error, since OpenSSL would then trust nothing from it.
    """
    import ssl  # here: only the system store asks where OpenSSL looks

    defaults = ssl.get_default_verify_paths()
    located: list[Path] = []
    for variable, built_in, folder in (
        (defaults.openssl_cafile_env, defaults.openssl_cafile, False),
        (defaults.openssl_capath_env, defaults.openssl_capath, True),
    ):
        value = os.environ.get(variable)
        given = value.split(os.pathsep) if value and folder else [value] if value else []
        for name in filter(None, given):
            path = Path(name)
            if not (path.is_dir() if folder else path.is_file()):
                kind = "folder" if folder else "file"
                raise TrustStoreError(
                    f"${variable} names {name}, which is not a {kind}: the system trust "
                    f"store cannot be read; fix or unset ${variable}."
                )
            located.append(path)
        if not value and built_in:
            path = Path(built_in)
            if path.is_dir() if folder else path.is_file():
                located.append(path)
    if not located:
        located = [p for p in SYSTEM_BUNDLES if p.is_file()][:1]
    return located


def store_from_specs(specs: Sequence[str | Path]) -> TrustStore:
    """
    Return the stores *specs* name, merged: ``"certifi"``, ``"system"``, or a path.

    A :class:`~pathlib.Path` is always a path (``Path("system")`` is a file
    of that name); a string is a path unless it is one of
    :data:`NAMED_STORES`.  The store is explicit: a chain that ends outside
    it is an error.  It keeps the names and the paths, so that a command
    certchain suggests gives them again.

    Raises:
        TrustStoreError: a store cannot be read (:func:`system_store`,
            :func:`store_from_paths`), or *specs* is empty.
    """
    roots: list[x509.Certificate] = []
    origins: list[str] = []
    named: list[str] = []
    paths: list[Path] = []
    with reading.run():
        for spec in specs:
            if isinstance(spec, str) and spec in NAMED_STORES:
                store = certifi_store() if spec == CERTIFI else system_store()
                named.append(spec)
            else:
                store = store_from_paths([Path(spec)])
                paths.append(Path(spec))
            roots.extend(store.roots)
            origins.append(store.origin)
    if not roots:
        raise TrustStoreError("the trust store is empty: no certificate was given as an anchor.")
    unique = tuple({fingerprint(r): r for r in roots}.values())
    return TrustStore(
        unique, ", ".join(origins), explicit=True, paths=tuple(paths), named=tuple(named)
    )


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


def _read_hashed(path: Path) -> list[x509.Certificate]:
    """The certificates of a CA directory that OpenSSL reads: files named by hash."""
    found: list[x509.Certificate] = []
    for entry in sorted(path.iterdir()):
        if _HASH_NAME.fullmatch(entry.name) and entry.is_file():
            found.extend(_read_file(entry, strict=False))
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
