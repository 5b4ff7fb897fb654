"""
The policy: everything that shapes a judgement, as one frozen value.

Like Go's ``x509.VerifyOptions``: the trust anchors, the time, the name the
leaf must cover, how strict to be, how early to warn of expiry, how deep a
path may go, whether legacy algorithms pass, and whether missing issuers
may be fetched over the network.  Every engine takes one; the
CLI builds it in one place from the options every judging command shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .model import TrustStore

if TYPE_CHECKING:
    from .fetch import Fetcher

#: Default number of days before expiry that triggers ``expires-soon``.
WARN_DAYS = 30


@dataclass(frozen=True, slots=True)
class Policy:
    """How to judge a chain."""

    store: TrustStore  # the trust anchors
    at: datetime  # the validation time (timezone-aware)
    hostname: str | None = None  # a DNS name or IP address the leaf must cover
    # Make the strict web-PKI verdict (cryptography's verifier and the rules
    # it leaves out) an error instead of a warning.
    strict: bool = False
    warn_days: int = WARN_DAYS  # the ``expires-soon`` window
    # Refuse paths with more intermediates than this, counted as RFC 5280
    # 6.1 and cryptography's max_chain_depth count them (self-issued ones do
    # not count, nor does the anchor).  None: only the search's own limit.
    max_intermediates: int | None = None
    # Legacy algorithms (SHA-1 or MD5 signatures below the trust anchor, RSA
    # or DSA keys under 2048 bits, EC keys under 256 bits, a DSA leaf) are
    # errors, as OpenSSL 3 at its default security level refuses them; allowed,
    # they are warnings, for the legacy systems that still accept them.
    allow_weak: bool = False
    # Where a missing issuer is downloaded from its caIssuers URLs
    # (:mod:`certchain.aia`): None, the default, never connects anywhere.
    fetcher: Fetcher | None = None
