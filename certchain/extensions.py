"""
Typed, failure-proof access to certificate extensions.

cryptography parses extensions lazily and raises on the first access when
one is malformed (an AKI with an issuer but no serial, a duplicate, ...).
Every module reads extensions through :func:`get`, so a malformed one is
reported once, by :func:`malformed`, and never escapes as a traceback.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar, cast

from cryptography import utils, x509

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
    found = _by_type(cert)
    value = found.get(kind) if found is not None else None
    return cast("E | None", value)


@functools.lru_cache(maxsize=8192)
def _by_type(cert: x509.Certificate) -> dict[type[x509.ExtensionType], x509.ExtensionType] | None:
    """*cert*'s extensions by type, read once (None when they cannot be parsed)."""
    try:
        with _quietly():
            return {type(ext.value): ext.value for ext in cert.extensions}
    except _PARSE_ERRORS:
        return None


def malformed(cert: x509.Certificate) -> str | None:
    """Return why *cert*'s extensions cannot be parsed, or None when they can."""
    try:
        with _quietly():
            list(cert.extensions)
    except _PARSE_ERRORS as exc:
        return str(exc)
    return None


def critical_oids(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    """Return the OIDs of *cert*'s critical extensions ([] when malformed)."""
    try:
        with _quietly():
            return [ext.oid for ext in cert.extensions if ext.critical]
    except _PARSE_ERRORS:
        return []
