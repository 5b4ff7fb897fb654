"""
Typed, failure-proof access to certificate extensions.

cryptography parses extensions lazily and raises on the first access when
one is malformed (an AKI with an issuer but no serial, a duplicate, ...).
Every module reads extensions through :func:`get`, so a malformed one is
reported once, by :func:`malformed`, and never escapes as a traceback.
"""

from __future__ import annotations

from typing import TypeVar

from cryptography import x509

E = TypeVar("E", bound=x509.ExtensionType)
# cryptography raises ValueError for most malformed extensions, TypeError for
# some (an iPAddress name constraint that is not a network) and its own
# exception types for others (DuplicateExtension): any of them means "cannot
# be parsed".
_PARSE_ERRORS = (Exception,)


def get(cert: x509.Certificate, kind: type[E]) -> E | None:
    """Return *cert*'s extension of type *kind*, or None (absent or malformed)."""
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
    except _PARSE_ERRORS:
        return None


def malformed(cert: x509.Certificate) -> str | None:
    """Return why *cert*'s extensions cannot be parsed, or None when they can."""
    try:
        list(cert.extensions)
    except _PARSE_ERRORS as exc:
        return str(exc)
    return None


def critical_oids(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    """Return the OIDs of *cert*'s critical extensions ([] when malformed)."""
    try:
        return [ext.oid for ext in cert.extensions if ext.critical]
    except _PARSE_ERRORS:
        return []
