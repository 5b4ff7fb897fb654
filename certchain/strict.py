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
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, SignatureAlgorithmOID

from . import extensions
from .model import Chain, serial_number
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


# RFC 5280 and CA/Browser Forum rules that cryptography's verifier does not
# enforce, but that the web PKI (and OpenSSL's X509_V_FLAG_X509_STRICT, the
# default of Python 3.13's ssl.create_default_context) requires.  Measured
# against x509-limbo (tests/test_limbo.py).
_WEB_PKI_CURVES = ("secp256r1", "secp384r1", "secp521r1")  # BR 6.1.5
_WEB_PKI_SIGNATURES = {  # BR 7.1.3.2
    SignatureAlgorithmOID.RSA_WITH_SHA256,
    SignatureAlgorithmOID.RSA_WITH_SHA384,
    SignatureAlgorithmOID.RSA_WITH_SHA512,
    SignatureAlgorithmOID.RSASSA_PSS,
    SignatureAlgorithmOID.ECDSA_WITH_SHA256,
    SignatureAlgorithmOID.ECDSA_WITH_SHA384,
    SignatureAlgorithmOID.ECDSA_WITH_SHA512,
}


def pedantic_objections(chain: Chain) -> list[tuple[int, str]]:
    """
    Return (index, reason) for each RFC 5280 / web-PKI rule *chain* breaks.

    Only rules that cryptography's verifier leaves out: positive serial
    numbers, key identifiers, no anyExtendedKeyUsage in the leaf and no
    extended key usage in the root, and the key and signature algorithms the
    CA/Browser Forum allows.  The last certificate is taken as the trust anchor.
    """
    found: list[tuple[int, str]] = []
    last = len(chain) - 1
    for index, cert in enumerate(chain):
        anchor = index == last and index > 0
        found.extend((index, reason) for reason in _cert_objections(cert, index, anchor))
    return found


def _cert_objections(cert: x509.Certificate, index: int, anchor: bool) -> list[str]:
    reasons = []
    # Trust anchors are exempt: clients never check an anchor's serial, and
    # real roots (Starfield G2) have serial 0.
    if serial_number(cert) <= 0 and not anchor:
        reasons.append("its serial number is not positive (RFC 5280 4.1.2.2)")
    self_issued = cert.issuer == cert.subject
    aki = extensions.get(cert, x509.AuthorityKeyIdentifier)
    ski = extensions.get(cert, x509.SubjectKeyIdentifier)
    constraints = extensions.get(cert, x509.BasicConstraints)
    is_ca = constraints is not None and constraints.ca
    if not self_issued and (aki is None or aki.key_identifier is None):
        reasons.append("it has no authority key identifier (RFC 5280 4.2.1.1)")
    if is_ca and ski is None:
        reasons.append("it is a CA without a subject key identifier (RFC 5280 4.2.1.2)")
    if anchor and self_issued and aki is not None:
        if aki.authority_cert_issuer is not None or aki.authority_cert_serial_number is not None:
            reasons.append("its authority key identifier names an issuer and serial, "
                           "which a root must not (CA/B Forum BR 7.1.2.1.3)")
        elif ski is not None and aki.key_identifier not in (None, ski.digest):
            reasons.append("its authority key identifier differs from its subject key "
                           "identifier (CA/B Forum BR 7.1.2.1.3)")
    # Not checked where RFC 5280 and the web PKI disagree (x509-limbo has a
    # case each way): non-critical name constraints (RFC 5280: MUST be
    # critical; the web PKI accepts them) and a leaf without extended key
    # usage (the web PKI requires one; RFC 5280 and OpenSSL accept it).
    eku = extensions.get(cert, x509.ExtendedKeyUsage)
    if index == 0 and eku is not None and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in eku:
        reasons.append("the leaf allows anyExtendedKeyUsage (CA/B Forum BR 7.1.2.7.10)")
    if anchor and self_issued and eku is not None:
        reasons.append("the root has an extended key usage (CA/B Forum BR 7.1.2.1.2)")
    key = cert.public_key()
    if not (
        (isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048)
        or (isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _WEB_PKI_CURVES)
    ):
        reasons.append("its key is neither RSA of 2048 bits or more nor ECDSA on P-256, "
                       "P-384 or P-521 (CA/B Forum BR 6.1.5)")
    if not (anchor and self_issued) and cert.signature_algorithm_oid not in _WEB_PKI_SIGNATURES:
        name = getattr(cert.signature_algorithm_oid, "_name", None)
        shown = name or cert.signature_algorithm_oid.dotted_string
        reasons.append(f"its signature algorithm ({shown}) is not one the CA/B Forum "
                       "allows (BR 7.1.3.2)")
    return reasons
