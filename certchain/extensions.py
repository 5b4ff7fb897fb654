"""
Typed, failure-proof access to certificate extensions.

cryptography parses extensions lazily and raises on the first access when
one is malformed (an AKI with an issuer but no serial, a duplicate, ...).
Every module reads extensions through :func:`get`, so a malformed one is
reported once, by :func:`malformed`, and never escapes as a traceback.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple, TypeVar, cast

from cryptography import utils, x509

from .memo import by_identity

E = TypeVar("E", bound=x509.ExtensionType)
# cryptography raises ValueError for most malformed extensions, TypeError for
# some (an iPAddress name constraint that is not a network) and its own
# exception types for others (DuplicateExtension): any of them means "cannot
# be parsed".
_PARSE_ERRORS = (Exception,)



@contextmanager
def _quietly() -> Iterator[None]:
    # An authorityKeyIdentifier whose authorityCertSerialNumber is not
    # positive parses with a deprecation warning, which Python would print on
    # stderr; the certificate is still worth diagnosing (found by fuzzing).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", utils.CryptographyDeprecationWarning)
        yield


def get(cert: x509.Certificate, kind: type[E]) -> E | None:
    """Return *cert*'s extension of type *kind*, or None (absent or malformed)."""
    return cast("E | None", _read(cert).by_type.get(kind))


def malformed(cert: x509.Certificate) -> str | None:
    """Return why *cert*'s extensions cannot be parsed, or None when they can."""
    return _read(cert).error


def critical_oids(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    """Return the OIDs of *cert*'s critical extensions ([] when malformed)."""
    return list(_read(cert).critical)


class _Read(NamedTuple):
    """A certificate's extensions, read once: by type, the critical ones, or why not."""

    by_type: dict[type[x509.ExtensionType], x509.ExtensionType]
    critical: tuple[x509.ObjectIdentifier, ...]
    error: str | None = None  # the extensions cannot be parsed (then none is known)


@by_identity(8192)
def _read(cert: x509.Certificate) -> _Read:
    try:
        with _quietly():
            extensions = list(cert.extensions)
    except _PARSE_ERRORS as exc:
        return _Read({}, (), str(exc))
    return _Read(
        {type(ext.value): ext.value for ext in extensions},
        tuple(ext.oid for ext in extensions if ext.critical),
    )
