"""
The strict web-PKI verdict of ``cryptography.x509.verification``.

certchain's own rules (:mod:`certchain.rules`) accept what real TLS clients
accept.  cryptography's verifier is stricter (it wants an authority key
identifier, refuses SHA-1, ...), so its objection is a finding
(``strict-policy``): a warning by default, an error in strict mode.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.x509 import verification

from .model import Chain
from .names import first_subject_name, parse_ip


def strict_objection(chain: Chain, at: datetime, hostname: str | None = None) -> str | None:
    """
    Return cryptography's reason for rejecting *chain*, or None if it accepts it.

    The last certificate of *chain* is the trust anchor; the others after the
    leaf are offered as intermediates.  The subject checked is *hostname*, or
    else the leaf's first DNS or IP subjectAltName: a server verifier needs
    one, and cryptography warns that its client verifier is not suitable for
    server certificates.
    """
    leaf, anchor = chain[0], chain[-1]
    name = hostname or first_subject_name(leaf)
    if name is None:
        return "the leaf has no DNS or IP subjectAltName, which the web PKI requires"
    address = parse_ip(name)
    try:
        subject: verification.Subject = (
            x509.IPAddress(address) if address is not None else x509.DNSName(name)
        )
        verifier = (
            verification.PolicyBuilder()
            .store(verification.Store([anchor]))
            .time(at)
            .build_server_verifier(subject)
        )
        verifier.verify(leaf, list(chain[1:-1]))
    except verification.VerificationError as exc:
        return str(exc)
    except ValueError as exc:  # e.g. a name that is not a valid DNS name
        return str(exc)
    return None
