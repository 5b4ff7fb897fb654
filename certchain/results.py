"""
What the engines return: data only, so that presentation imports no engine.

Each result names its certificates one way, decided when it is made: a
:class:`BuildResult` by position in the chosen chain, a :class:`Report` by
position in the file it judged.  ``Finding.position`` indexes that list.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from cryptography import x509

from .findings import Code, Finding, Severity
from .model import Chain, LoadedKey, Role

# Errors that `certchain build` repairs by itself (it reorders and drops);
# with --fetch-missing, also a missing issuer that was fetched.
_REPAIRABLE = {Code.WRONG_ORDER, Code.EXTRA_CERT}


def _fetched(finding: Finding) -> bool:
    """A missing issuer that was fetched: ``build --fetch-missing`` adds it to the file."""
    return finding.code is Code.MISSING_ISSUER and finding.download is not None


def _has_error(findings: tuple[Finding, ...]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


class BuildResult(NamedTuple):
    """The chosen chain and everything found while building it."""

    chain: Chain  # leaf first: the chosen path, or the longest partial one
    roles: tuple[Role, ...]  # per certificate of `chain`
    findings: tuple[Finding, ...]  # errors first; `position` indexes `chain`
    complete: bool  # the chain ends at a trust anchor
    trusted: bool  # ... and that anchor is in the trust store
    key: LoadedKey | None  # the private key that matches the leaf, if found
    include_root: bool = True

    @property
    def ok(self) -> bool:
        """True when no finding is an error: the chain can be written."""
        return self.complete and not _has_error(self.findings)

    @property
    def leaf(self) -> x509.Certificate:
        """The host (end-entity) certificate."""
        return self.chain[0]

    @property
    def output_chain(self) -> Chain:
        """What the chained file holds: the chain, less the root without include_root."""
        if not self.include_root and len(self.chain) > 1 and self.roles[-1] is Role.ROOT:
            return self.chain[:-1]
        return self.chain


class Report(NamedTuple):
    """Everything found about one deployed chain (``verify``, ``doctor``)."""

    chain: Chain  # the certificates as they stand in the file
    roles: tuple[Role, ...]  # per certificate of `chain`
    links: tuple[bool | None, ...]  # per certificate: signed by the next one?
    findings: tuple[Finding, ...]  # errors first; `position` indexes `chain`
    path: Chain  # the path clients can build (leaf first), possibly partial
    complete: bool  # the path reaches a trust anchor
    source: Path | None = None
    key: LoadedKey | None = None  # the private key that matches the leaf, if given
    rewritable: bool = True  # PEM certificates only: `build -o FILE` loses nothing

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not _has_error(self.findings)

    @property
    def valid_until(self) -> datetime | None:
        """The earliest notAfter on the path (None when there is no path)."""
        if not self.complete:
            return None
        return min(c.not_valid_after_utc for c in self.path)

    @property
    def repairable(self) -> bool:
        """True when ``certchain build`` on this file would fix every error."""
        errors = [f for f in self.findings if f.severity is Severity.ERROR]
        return bool(errors) and all(f.code in _REPAIRABLE or _fetched(f) for f in errors)


def endpoint(host: str, port: int) -> str:
    """Return ``host:port``, an IPv6 address in brackets (``[::1]:443``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Capture(NamedTuple):
    """What a live server sent in one TLS handshake, exactly as sent (``connect``)."""

    host: str  # as given (an IPv6 address without its brackets)
    port: int
    address: str  # the IP address connected to
    servername: str | None  # the name sent in SNI (None: none, for an IP address)
    starttls: str | None  # the plain-text protocol upgraded from, if any
    version: str  # the TLS version negotiated: "TLSv1.3"
    cipher: str  # the cipher suite negotiated, as OpenSSL names it
    chain: tuple[bytes, ...]  # the certificates (DER) in the order sent

    @property
    def endpoint(self) -> str:
        """``host:port`` (an IPv6 address in brackets)."""
        return endpoint(self.host, self.port)
