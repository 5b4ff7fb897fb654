"""
Shared value types: where things came from, what was loaded, what is trusted.

Every sequence of certificates in certchain runs leaf first: leaf, then the
intermediates, then the root (the order of the JupyterHub recipe and of a
TLS server's Certificate message).
"""

from __future__ import annotations

import enum
import hashlib
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, TypeVar

from cryptography import utils, x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from .memo import by_identity
from .rawcert import RawFields

#: Private key types certchain can match against a certificate.
PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
    | dsa.DSAPrivateKey
)

#: An ordered, leaf-first tuple of certificates.
Chain = tuple[x509.Certificate, ...]


class Role(str, enum.Enum):
    """What a certificate is in a chain or a file; the values appear in JSON."""

    LEAF = "leaf"
    INTERMEDIATE = "intermediate"
    ROOT = "root"
    EXTRA = "extra"  # in a file, on no path from the leaf

    def __str__(self) -> str:
        return self.value


class Format(enum.Enum):
    """The encoding an item was found in."""

    PEM = "PEM"
    DER = "DER"
    PKCS7 = "PKCS#7"
    PKCS12 = "PKCS#12"


class Source(NamedTuple):
    """Where a certificate or key came from, for messages."""

    path: Path | None  # None for in-memory data
    # The item's position within that input (0-based); as a field it hides
    # tuple.index, which nothing here calls.
    index: int  # type: ignore[assignment]
    format: Format

    def __str__(self) -> str:
        name = str(self.path) if self.path is not None else "<data>"
        return f"{name} (item {self.index + 1}, {self.format.value})"


class LoadedCert(NamedTuple):
    """A certificate and where it came from."""

    cert: x509.Certificate
    source: Source
    # Its names and public key as raw DER, when the loader read them (the
    # path search indexes candidates by these bytes); None: read on demand.
    raw: RawFields | None = None

    @property
    def sha256(self) -> str:
        """Lowercase hex SHA-256 of the DER encoding."""
        return fingerprint(self.cert)


class LoadedKey(NamedTuple):
    """A private key and where it came from."""

    key: PrivateKey
    source: Source
    encrypted: bool = False


class LockedKey(NamedTuple):
    """An encrypted private key that was not opened: only where it is."""

    source: Source
    wrong_password: bool = False  # False: no password was given


class Material(NamedTuple):
    """Everything found in one or more inputs, in the order found."""

    certs: tuple[LoadedCert, ...] = ()
    keys: tuple[LoadedKey, ...] = ()
    # Encrypted keys left closed, only when the loader was asked to keep
    # them (``keep_locked``, for ``inspect``); otherwise they need a password.
    locked: tuple[LockedKey, ...] = ()

    @classmethod
    def merge(cls, parts: Iterable[Material]) -> Material:
        """Concatenate several materials, keeping their order."""
        certs: list[LoadedCert] = []
        keys: list[LoadedKey] = []
        locked: list[LockedKey] = []
        for part in parts:
            certs.extend(part.certs)
            keys.extend(part.keys)
            locked.extend(part.locked)
        return cls(tuple(certs), tuple(keys), tuple(locked))


class TrustStore(NamedTuple):
    """The trust anchors, plus where they came from (for messages)."""

    roots: tuple[x509.Certificate, ...]
    origin: str  # "certifi 2025.x", "/etc/ssl/cert.pem", ...
    # True when the user chose these anchors (rather than certifi's default):
    # a chain that ends elsewhere is then an error, not a warning.
    explicit: bool = False
    # The files or folders the anchors were read from, when the user chose
    # them: a command certchain suggests names them again.
    paths: tuple[Path, ...] = ()
    # The named stores the user chose ("certifi", "system"), for the same reason.
    named: tuple[str, ...] = ()


Item = TypeVar("Item")


def copies(
    items: Iterable[Item], cert_of: Callable[[Item], x509.Certificate]
) -> tuple[list[Item], list[list[Item]]]:
    """
    Return the first of each certificate among *items*, and each group of copies.

    Copies are equal certificates (the same DER).  They are looked for among
    certificates with the same signature value, which copies share and
    distinct certificates do not: a dictionary of short byte strings, ten
    times cheaper than hashing every certificate.  Order is kept; a group of
    copies lists each copy in order, the first included.
    """
    firsts: list[Item] = []
    by_signature: dict[bytes, list[list[Item]]] = {}
    repeated: list[list[Item]] = []
    for item in items:
        cert = cert_of(item)
        groups = by_signature.get(cert.signature)
        if groups is None:
            by_signature[cert.signature] = [[item]]
            firsts.append(item)
            continue
        group = next((g for g in groups if cert_of(g[0]) == cert), None)
        if group is None:  # another certificate with that signature: not a copy
            groups.append([item])
            firsts.append(item)
            continue
        if len(group) == 1:
            repeated.append(group)
        group.append(item)
    return firsts, repeated


@by_identity(8192)
def fingerprint(cert: x509.Certificate) -> str:
    """Return the lowercase hex SHA-256 of *cert*'s DER encoding."""
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def utc_iso(moment: datetime) -> str:
    """Return *moment* (UTC) as ``2025-06-01T00:00:00Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def serial_number(cert: x509.Certificate) -> int:
    """Return *cert*'s serial number, quietly even when it is not positive."""
    with warnings.catch_warnings():
        # cryptography warns on access when RFC 5280 4.1.2.2 is broken; the
        # callers report that themselves.
        warnings.simplefilter("ignore", utils.CryptographyDeprecationWarning)
        return cert.serial_number
