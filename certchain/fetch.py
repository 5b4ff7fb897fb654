"""
Fetching a missing issuer over the network: the interface.

A certificate names where its issuer can be downloaded: the caIssuers URLs
of its Authority Information Access (RFC 5280 4.2.2.1).  The judgement
(:mod:`certchain.aia`) asks a :class:`Fetcher` for what such a URL serves;
it never touches the network itself, so a library user chooses: no fetcher
(the default: no connection is ever made), the default one on urllib
(:class:`certchain.fetcher.UrllibFetcher`), or one of their own.  This
module imports no network code: a run that fetches nothing loads none.
"""

from __future__ import annotations

import enum
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

from cryptography import x509

from .errors import CertchainError
from .load import load_bytes

#: Seconds a request may take, from connecting to the last byte (``--timeout``).
TIMEOUT = 10.0
#: The most bytes read from one URL: an issuer is a few KiB, a PKCS#7 bundle tens.
MAX_BYTES = 1024 * 1024
#: The most downloads one fetcher makes (cache hits are not downloads).
MAX_DOWNLOADS = 10
#: The most redirects followed for one URL.
MAX_REDIRECTS = 3



class FetchProblem(enum.Enum):
    """Why a URL gave no issuer; the values are stable (JSON ``download.reason``)."""

    BAD_URL = "bad-url"  # not an http(s) URL with a host
    TIMEOUT = "timeout"  # no complete answer within the timeout
    TOO_BIG = "too-big"  # more than the size cap
    HTTP_STATUS = "http-status"  # an HTTP error status (404, 500, ...)
    REDIRECT_REFUSED = "redirect-refused"  # to another scheme, or too many
    CONNECTION = "connection"  # DNS, a refused port, a TLS failure
    LIMIT_REACHED = "limit-reached"  # the downloads of the run are used up
    NOT_A_CERTIFICATE = "not-a-certificate"  # neither DER, PEM nor PKCS#7 certificates
    WRONG_ISSUER = "wrong-issuer"  # certificates, but none issued the one that named the URL


class FetchError(Exception):
    """A URL could not be fetched: *problem* says why, *detail* in words (no final period)."""

    def __init__(self, problem: FetchProblem, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail


class Fetched(NamedTuple):
    """What a URL served."""

    data: bytes
    cached: bool = False  # from the cache, not the network
    note: str | None = None  # why it could not be kept in the cache, if it could not


class Fetcher(Protocol):
    """Downloads what a caIssuers URL serves."""

    def fetch(self, url: str) -> Fetched:
        """
        Return what *url* serves.

        Raises:
            FetchError: it could not be fetched (the judgement reports it as
                a ``fetch-failed`` finding; any other exception propagates).
        """
        ...


def is_http(url: str) -> bool:
    """Whether *url* is an http or https URL with a host, free of control characters."""
    if not url.isprintable() or " " in url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def certificates(data: bytes) -> tuple[x509.Certificate, ...]:
    """
    Read the certificates in a download: DER, PEM or PKCS#7 (DER or PEM).

    Raises:
        FetchError: NOT_A_CERTIFICATE, when *data* holds none.
    """
    try:
        material = load_bytes(data, keep_locked=True)
    except CertchainError as exc:
        reason = getattr(exc, "reason", str(exc))
        raise FetchError(
            FetchProblem.NOT_A_CERTIFICATE,
            f"what it serves is not a certificate ({reason.rstrip('.')})",
        ) from exc
    if not material.certs:
        raise FetchError(
            FetchProblem.NOT_A_CERTIFICATE, "what it serves holds no certificate"
        )
    return tuple(c.cert for c in material.certs)
