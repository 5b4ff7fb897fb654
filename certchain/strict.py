"""
The strict web-PKI verdict of ``cryptography.x509.verification``.

certchain's own rules (:mod:`certchain.rules`) accept what real TLS clients
accept.  cryptography's verifier is stricter (it wants an authority key
identifier, refuses SHA-1, ...), so its objection is a finding
(``strict-policy``): a warning by default, an error in strict mode.
"""

from __future__ import annotations

import socket
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

from . import extensions
from .certs import is_ca, is_self_issued, oid_name, signature_problem
from .memo import by_identity
from .model import Chain, serial_number
from .names import first_subject_name, parse_ip, san_names


def strict_objection(chain: Chain, at: datetime, hostname: str | None = None) -> str | None:
    """
    Return cryptography's reason for rejecting *chain*, or None if it accepts it.

    The last certificate of *chain* is the trust anchor; the others after the
    leaf are offered as intermediates.  The subject checked is *hostname*, or
    else the leaf's first DNS or IP subjectAltName: a server verifier needs
    one, and cryptography warns that its client verifier is not suitable for
    server certificates.

    Where the path meets one of cryptography's known departures from RFC 5280
    (see :func:`_stretches`), its verdict is taken on each stretch of the path
    between them; certchain's own RFC 5280 rules judge the path as a whole.
    """
    name = hostname or first_subject_name(chain[0])
    if name is None:
        return "the leaf has no DNS or IP subjectAltName, which the web PKI requires"
    address = parse_ip(name)
    try:
        subject: verification.Subject = (
            x509.IPAddress(address) if address is not None else x509.DNSName(name)
        )
    except ValueError as exc:  # e.g. a name that is not a valid DNS name
        return str(exc)
    objection = _verify(chain, at, subject)
    if objection is None or not _has_cut(chain):
        return objection
    for index, stretch in enumerate(_stretches(chain)):
        found = _verify(stretch, at, subject if index == 0 else None)
        if found is not None:
            return found
    return None


def _verify(path: Chain, at: datetime, subject: verification.Subject | None) -> str | None:
    """
    Return cryptography's objection to *path* (its last certificate trusted), or None.

    With *subject*, *path* starts at the leaf and is verified as a TLS server
    path.  Without, *path* is a stretch above the leaf that starts at a CA:
    cryptography verifies it with its CA profile in the end-entity place, and
    leaves extended key usage to certchain's own rules (rules.py requires
    serverAuth in every certificate that has an EKU).
    """
    builder = verification.PolicyBuilder().store(verification.Store([path[-1]])).time(at)
    try:
        if subject is not None:
            builder.build_server_verifier(subject).verify(path[0], list(path[1:-1]))
            return None
        if not hasattr(verification, "ExtensionPolicy"):  # cryptography < 45
            return None
        ca_profile = verification.ExtensionPolicy.webpki_defaults_ca().may_be_present(
            x509.ExtendedKeyUsage, verification.Criticality.AGNOSTIC, None
        )
        builder = builder.extension_policies(ca_policy=ca_profile, ee_policy=ca_profile)
        builder.build_client_verifier().verify(path[0], list(path[1:-1]))
    except verification.VerificationError as exc:
        return str(exc)
    except ValueError as exc:
        return str(exc)
    return None


def _has_cut(chain: Chain) -> bool:
    return any(_cut_kind(chain, index) for index in range(1, len(chain)))


def _cut_kind(chain: Chain, index: int) -> str | None:
    """
    Return how cryptography's verifier departs from RFC 5280 at *chain[index]*.

    ``"self-issued"``: cryptography counts a self-issued intermediate against
    the pathLenConstraint of the CAs above it, which RFC 5280 4.2.1.9 and
    6.1.4 (l) exempt (its source says so; x509-limbo
    ``pathlen::self-issued-certs-pathlen``).  ``"dn-constraint"``:
    cryptography refuses every path through a CA with a directoryName name
    constraint, which it does not implement; RFC 5280 4.2.1.10 and the CA/B
    Forum BR 7.1.2.5.2 allow them, and certchain's names.py checks them
    (x509-limbo ``rfc5280::nc::permitted-dn-*``).
    """
    cert = chain[index]
    constraints = extensions.get(cert, x509.NameConstraints)
    if constraints is not None:
        subtrees = [*(constraints.permitted_subtrees or ()),
                    *(constraints.excluded_subtrees or ())]
        if any(isinstance(name, x509.DirectoryName) for name in subtrees):
            return "dn-constraint"
    if index < len(chain) - 1 and is_self_issued(cert):
        return "self-issued"
    return None


def _stretches(chain: Chain) -> list[Chain]:
    """
    Cut *chain* where cryptography cannot follow RFC 5280 (see :func:`_cut_kind`).

    A self-issued intermediate ends one stretch, as its trust anchor, and
    starts the next.  A CA with a directoryName constraint belongs to no
    stretch: the one below ends at the certificate it issued, the one above
    starts at its issuer.  The first stretch starts at the leaf; later ones of
    a single certificate are left out (an anchor alone proves nothing).
    """
    stretches: list[Chain] = []
    start = 0
    last = len(chain) - 1
    for index in range(1, last + 1):
        kind = _cut_kind(chain, index)
        if kind is None and index < last:
            continue
        end = index - 1 if kind == "dn-constraint" else index
        stretches.append(tuple(chain[start : end + 1]))
        start = index + 1 if kind == "dn-constraint" else index
    return [s for i, s in enumerate(stretches) if i == 0 or len(s) > 1]


# RFC 5280 and CA/Browser Forum rules that cryptography's verifier does not
# enforce, but that the web PKI (and OpenSSL's X509_V_FLAG_X509_STRICT, the
# default of Python 3.13's ssl.create_default_context) requires.  Measured
# against x509-limbo (tests/test_limbo.py and tests/test_webpki.py).
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
    numbers, key identifiers, critical policy constraints, an extended key
    usage in the leaf (without anyExtendedKeyUsage) and none in the root, a
    leaf that is not a CA, whose common name is one of its subjectAltNames
    and whose wildcards do not span a public suffix, and the key and signature
    algorithms the CA/Browser Forum allows.  The last certificate is taken as
    the trust anchor.
    """
    found: list[tuple[int, str]] = []
    last = len(chain) - 1
    for index, cert in enumerate(chain):
        anchor = index == last and index > 0
        found.extend((index, reason) for reason in _cert_objections(cert, anchor))
        if index == 0:
            found.extend((index, reason) for reason in _leaf_objections(cert))
    return found


@by_identity(1024)  # the same intermediate in many files is judged once
def _cert_objections(cert: x509.Certificate, anchor: bool) -> tuple[str, ...]:
    reasons = []
    # Trust anchors are exempt: clients never check an anchor's serial, and
    # real roots (Starfield G2) have serial 0.
    if serial_number(cert) <= 0 and not anchor:
        reasons.append("its serial number is not positive (RFC 5280 4.1.2.2)")
    self_issued = is_self_issued(cert)
    aki = extensions.get(cert, x509.AuthorityKeyIdentifier)
    ski = extensions.get(cert, x509.SubjectKeyIdentifier)
    if (aki is None or aki.key_identifier is None) and not _self_signed(cert):
        reasons.append("it has no authority key identifier (RFC 5280 4.2.1.1)")
    if is_ca(cert) and ski is None:
        reasons.append("it is a CA without a subject key identifier (RFC 5280 4.2.1.2)")
    if anchor and self_issued and aki is not None:
        if aki.authority_cert_issuer is not None or aki.authority_cert_serial_number is not None:
            reasons.append("its authority key identifier names an issuer and serial, "
                           "which a root must not (CA/B Forum BR 7.1.2.1.3)")
        elif ski is not None and aki.key_identifier not in (None, ski.digest):
            reasons.append("its authority key identifier differs from its subject key "
                           "identifier (CA/B Forum BR 7.1.2.1.3)")
    if _critical(cert, x509.PolicyConstraints) is False:
        # x509-limbo rfc5280::pc::ica-noncritical-pc.  OpenSSL and cryptography
        # accept it; only strict mode objects.
        reasons.append("its policy constraints extension is not marked critical, "
                       "as RFC 5280 4.2.1.11 requires")
    # Non-critical name constraints are not checked: RFC 5280 4.2.1.10 wants
    # them critical, but the web PKI accepts them (BR 7.1.2.5.2, x509-limbo
    # webpki::nc::permitted-dns-match-noncritical) and so do clients.
    eku = extensions.get(cert, x509.ExtendedKeyUsage)
    if anchor and self_issued and eku is not None:
        reasons.append("the root has an extended key usage (CA/B Forum BR 7.1.2.1.2)")
    reasons.extend(_key_objections(cert))
    if not (anchor and self_issued) and cert.signature_algorithm_oid not in _WEB_PKI_SIGNATURES:
        shown = oid_name(cert.signature_algorithm_oid)
        reasons.append(f"its signature algorithm ({shown}) is not one the CA/B Forum "
                       "allows (BR 7.1.3.2)")
    return tuple(reasons)


def _self_signed(cert: x509.Certificate) -> bool:
    """
    Return whether *cert* is self-issued or signed by its own key.

    RFC 5280 4.2.1.1 lets a self-signed certificate omit its AKI, whatever
    issuer it names: x509-limbo cve::cve-2024-0567 trusts a root whose issuer
    name differs from its subject, while rfc5280::aki::cross-signed-root-missing-aki
    is signed by another key.
    """
    return is_self_issued(cert) or signature_problem(cert, cert) is None


def _critical(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> bool | None:
    """Return whether *cert*'s extension of type *kind* is critical, or None if absent."""
    try:
        return cert.extensions.get_extension_for_class(kind).critical
    except Exception:  # absent, or malformed (rules.py reports those)
        return None


def _key_objections(cert: x509.Certificate) -> list[str]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        if key.key_size % 8:
            # x509-limbo webpki::forbidden-rsa-*-not-divisable-by-8-*: OpenSSL
            # and cryptography accept such a key (2052 bits, say).
            return [f"its RSA modulus has {key.key_size} bits, not a multiple of 8 "
                    "(CA/B Forum BR 6.1.5)"]
        return []
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _WEB_PKI_CURVES:
        return []
    return ["its key is neither RSA of 2048 bits or more nor ECDSA on P-256, "
            "P-384 or P-521 (CA/B Forum BR 6.1.5)"]


def _leaf_objections(leaf: x509.Certificate) -> list[str]:
    reasons = []
    if is_ca(leaf):
        # RFC 5280 lets the last certificate of a path be a CA (x509-limbo
        # rfc5280::ca-as-leaf, pathlen::validation-ignores-pathlen-in-leaf);
        # the web PKI does not (webpki::ca-as-leaf).
        reasons.append("the leaf is a CA certificate (basicConstraints cA=TRUE), which a "
                       "subscriber certificate must not be (CA/B Forum BR 7.1.2.7.8)")
    eku = extensions.get(leaf, x509.ExtendedKeyUsage)
    if eku is None:
        # OpenSSL and RFC 5280 read a missing EKU as "any use" (x509-limbo
        # rfc5280::eku::ee-without-eku); the web PKI requires one
        # (webpki::eku::ee-without-eku).
        reasons.append("the leaf has no extended key usage, which the web PKI requires "
                       "(CA/B Forum BR 7.1.2.7.6)")
    elif ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in eku:
        reasons.append("the leaf allows anyExtendedKeyUsage (CA/B Forum BR 7.1.2.7.10)")
    reasons.extend(_common_name_objections(leaf))
    reasons.extend(_wildcard_objections(leaf))
    return reasons


def _common_name_objections(leaf: x509.Certificate) -> list[str]:
    """
    CA/B Forum BR 7.1.4.3: a leaf's commonName, if present, is exactly one value
    copied from its subjectAltName, character for character (x509-limbo
    webpki::cn::*): a DNS name as written there (same case, A-labels kept),
    an IPv4 address in dotted decimal (RFC 3986 3.2.2), an IPv6 address in the
    RFC 5952 section 4 text form.  Clients ignore the CN when a SAN is present.
    """
    names = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        return []
    if len(names) > 1:
        return [f"its subject has {len(names)} common names, where CA/B Forum BR 7.1.4.3 "
                "allows one"]
    value = names[0].value
    allowed = _san_texts(leaf)
    if isinstance(value, str) and (value in allowed or not _names_a_host(value)):
        return []
    shown = value if isinstance(value, str) else repr(value)
    listed = ", ".join(sorted(allowed)) or "none"
    return [f"its common name {shown!r} is not a character-for-character copy of one of its "
            f"subjectAltNames ({listed}), as CA/B Forum BR 7.1.4.3 requires"]


def _names_a_host(value: str) -> bool:
    """
    Return whether a common name is written as a host: a dotted name, an IPv6
    address, or anything ``inet_aton`` reads as IPv4 (``0xC0A80101``).

    BR 7.1.4.3 is judged for those only.  x509-limbo's own generated leaves
    carry ``CN=x509-limbo-ee``, in no subjectAltName, and its webpki cases
    expect them to pass (its ``Builder.leaf_cert``), while every
    ``webpki::cn::*`` case writes a host.
    """
    if "." in value or ":" in value:
        return True
    try:
        socket.inet_aton(value)
    except (OSError, ValueError):  # ValueError: a NUL in the name (found by fuzzing)
        return False
    return True


def _san_texts(leaf: x509.Certificate) -> set[str]:
    """The leaf's DNS SANs as written, and its IP SANs in canonical text."""
    texts = set()
    for general in san_names(leaf):
        if isinstance(general, x509.DNSName):
            texts.add(general.value)
        elif isinstance(general, x509.IPAddress):
            # str() of an ipaddress address is dotted decimal for IPv4 and the
            # RFC 5952 form (lower case, longest zero run compressed) for IPv6.
            texts.add(str(general.value))
    return texts


def _wildcard_objections(leaf: x509.Certificate) -> list[str]:
    """
    CA/B Forum BR 3.2.2.6: no wildcard directly under a public suffix
    (x509-limbo webpki::san::public-suffix-wildcard-san, feature
    pedantic-public-suffix-wildcard).  Without the Public Suffix List, only
    what is a public suffix under any list is caught: a top-level domain
    (``*.com``; the PSL's default rule makes every TLD one) and the DNS
    root (``*``).  ``*.co.uk`` is not caught.
    """
    reasons = []
    for general in san_names(leaf):
        if not isinstance(general, x509.DNSName) or not general.value.startswith("*"):
            continue
        base = general.value[2:].rstrip(".") if general.value.startswith("*.") else ""
        if "." not in base:
            reasons.append(f"its wildcard subjectAltName {general.value} spans a whole "
                           "top-level domain, a public suffix (CA/B Forum BR 3.2.2.6)")
    return reasons
