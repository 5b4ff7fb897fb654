"""
The rules a path must satisfy, as real TLS clients apply them.

OpenSSL (behind Python's ``ssl``, nginx, Apache, HAProxy and JupyterHub's
proxy) checks, besides signatures: validity, basicConstraints, keyUsage,
pathLenConstraint, name constraints and, for a server, the extended key
usage of every certificate in the path (``X509_PURPOSE_SSL_SERVER``).  Each
check here returns findings; a path with an ERROR finding is not usable.
Pure: the validation time is a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, ObjectIdentifier

from . import extensions
from .certs import is_self_issued, is_self_signed, oid_name
from .findings import CertName, Code, Finding, Remedy, Severity, sentence
from .keys import weak_key_reason
from .model import Chain
from .names import (
    OPENSSL_NAME_PAIRS,
    NameCheckBudget,
    NameChecksExhausted,
    TooManyNames,
    name_constraint_violation,
)
from .policy import Policy

_WEAK_HASHES = (hashes.SHA1, hashes.MD5)

# The extensions OpenSSL processes, so may be critical (supported_nids in
# OpenSSL's crypto/x509/v3_purp.c).  Any other critical extension makes
# OpenSSL refuse the certificate (X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION).
_HANDLED_CRITICAL = {
    ExtensionOID.KEY_USAGE,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.BASIC_CONSTRAINTS,
    ExtensionOID.CERTIFICATE_POLICIES,
    ExtensionOID.CRL_DISTRIBUTION_POINTS,
    ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.OCSP_NO_CHECK,
    ExtensionOID.POLICY_CONSTRAINTS,
    ExtensionOID.NAME_CONSTRAINTS,
    ExtensionOID.POLICY_MAPPINGS,
    ExtensionOID.INHIBIT_ANY_POLICY,
    ObjectIdentifier("2.16.840.1.113730.1.1"),  # Netscape certificate type
    ObjectIdentifier("1.3.6.1.5.5.7.1.7"),  # RFC 3779 IP address blocks
    ObjectIdentifier("1.3.6.1.5.5.7.1.8"),  # RFC 3779 AS identifiers
    ObjectIdentifier("1.3.6.1.5.5.7.1.14"),  # proxy certificate info
}


def check_path(
    chain: Chain, policy: Policy, names: Sequence[CertName],
    budget: NameCheckBudget | None = None,
) -> list[Finding]:
    """
    Check *chain* (leaf first, already linked by signature) under *policy*.

    Returns the findings of: validity, expiring soon, CA flags, keyUsage,
    pathLen, name constraints, extended key usage for TLS servers, weak
    signatures and weak keys.  *names* says how the result names each
    certificate of *chain*.  Name constraints spend *budget* (pass one to
    share it between the paths of one judgement; a fresh one otherwise).
    Trust of the last certificate is not judged here.
    """
    found: list[Finding] = []
    budget = budget if budget is not None else NameCheckBudget()
    for index, cert in enumerate(chain):
        name = names[index]
        found.extend(_validity(cert, name, policy.at, policy.warn_days))
        if index > 0:
            found.extend(_issuer_rules(chain, index, names, budget))
        found.extend(_eku(cert, index, name))
        found.extend(_critical_extensions(cert, name))
        found.extend(_weakness(chain, index, name, policy.allow_weak))
    found.extend(_leaf_key_usage(chain[0], names[0]))
    return found


def _validity(
    cert: x509.Certificate, name: CertName, at: datetime, warn_days: int
) -> list[Finding]:
    before, after = cert.not_valid_before_utc, cert.not_valid_after_utc
    # Validity is encoded in whole seconds (RFC 5280 4.1.2.5) and OpenSSL
    # compares time_t seconds: notAfter + 5 ms is still notAfter's second
    # (x509-limbo rfc5280::validity::notafter-fractional).
    at = at.replace(microsecond=0)
    if at > after:
        return [Finding(
            Code.EXPIRED, Severity.ERROR,
            f"{sentence(name.text)} expired on {after:%Y-%m-%d %H:%M} UTC: renew it, or get "
            "the current one from your certificate authority.", name.position,
        )]
    if at < before:
        return [Finding(
            Code.NOT_YET_VALID, Severity.ERROR,
            f"{sentence(name.text)} is not valid before {before:%Y-%m-%d %H:%M} UTC: check "
            "the server clock, or wait until then.", name.position,
        )]
    if after - at < timedelta(days=warn_days):
        days = (after - at).days
        return [Finding(
            Code.EXPIRES_SOON, Severity.WARNING,
            f"{sentence(name.text)} expires in {days} day{'s' if days != 1 else ''}, on "
            f"{after:%Y-%m-%d}: renew it soon.", name.position,
        )]
    return []


def _issuer_rules(
    chain: Chain, index: int, names: Sequence[CertName], budget: NameCheckBudget
) -> list[Finding]:
    cert = chain[index]
    name = names[index]
    found: list[Finding] = []
    constraints = extensions.get(cert, x509.BasicConstraints)
    last = index == len(chain) - 1
    if isinstance(constraints, x509.BasicConstraints):
        if not constraints.ca:
            found.append(_not_a_ca(name, "basicConstraints says cA=FALSE"))
    elif not (last and cert.version is x509.Version.v1):
        # Only a v1 trust anchor, which cannot carry extensions, is accepted
        # without basicConstraints (OpenSSL's X509_check_ca does the same).
        found.append(_not_a_ca(name, "it has no basicConstraints extension"))
    usage = extensions.get(cert, x509.KeyUsage)
    if isinstance(usage, x509.KeyUsage) and not usage.key_cert_sign:
        found.append(_not_a_ca(name, "its keyUsage lacks keyCertSign"))
    if isinstance(constraints, x509.BasicConstraints) and constraints.path_length is not None:
        # RFC 5280 4.2.1.9: non-self-issued intermediates below this CA.
        below = sum(1 for c in chain[1:index] if not is_self_issued(c))
        if below > constraints.path_length:
            found.append(Finding(
                Code.PATH_LENGTH, Severity.ERROR,
                f"{sentence(name.text)} allows {constraints.path_length} intermediate(s) "
                f"below it (pathLenConstraint) but the path has {below}: use a "
                "shorter path or a CA certificate without this limit.", name.position,
            ))
    subtrees = extensions.get(cert, x509.NameConstraints)
    if isinstance(subtrees, x509.NameConstraints):
        for below_index in range(index):
            child = chain[below_index]
            if below_index > 0 and is_self_issued(child):
                continue  # RFC 5280 6.1.3 (b): self-issued CAs are exempt
            if budget.exhausted:
                # Spent on an earlier path of the same judgement: this one
                # cannot be judged either, and must not pass unchecked.
                found.append(_limit_reached(name, budget.limit))
                break
            try:
                violation = name_constraint_violation(
                    subtrees, child, is_leaf=below_index == 0, budget=budget
                )
            except NameChecksExhausted as exhausted:
                found.append(_limit_reached(name, exhausted.limit))
                break
            except TooManyNames as many:
                found.append(_too_many_names(name, names[below_index], many))
                break
            if violation:
                found.append(Finding(
                    Code.NAME_CONSTRAINTS, Severity.ERROR,
                    f"{sentence(name.text)} restricts the names below it, and in "
                    f"{names[below_index]} {violation}: this CA cannot issue "
                    "that certificate.", name.position,
                ))
    return found


def _limit_reached(name: CertName, limit: int) -> Finding:
    # Never a name-constraints finding: nothing was found outside the
    # constraints, the check was given up (cryptography's verifier does the
    # same, with a fatal "Exceeded maximum name constraint check limit").
    return Finding(
        Code.LIMIT_REACHED, Severity.ERROR,
        f"certchain stopped checking name constraints after {limit:,} name checks (its "
        "limit for one judgement: one check is one name compared with one subtree), in "
        f"the constraints of {name}: the chain is refused because it cannot be judged "
        "within bounds; so many names under so many constraints is how verifiers are "
        "made to hang, so use a certificate with fewer names or a CA with fewer "
        "constraints.", name.position,
    )


def _too_many_names(name: CertName, child: CertName, many: TooManyNames) -> Finding:
    return Finding(
        Code.LIMIT_REACHED, Severity.ERROR,
        f"{sentence(child.text)} has {many.names:,} names and {name} {many.subtrees:,} "
        f"name-constraint subtrees, more than the {OPENSSL_NAME_PAIRS:,} pairs OpenSSL "
        "agrees to check (NAME_CHECK_MAX), so OpenSSL refuses the chain unchecked: use a "
        "certificate with fewer names or a CA with fewer constraints.", name.position,
    )


def _not_a_ca(name: CertName, why: str) -> Finding:
    return Finding(
        Code.NOT_A_CA, Severity.ERROR,
        f"{sentence(name.text)} issues another certificate but is not a CA ({why}): it "
        "is probably a leaf certificate given by mistake; use the CA "
        "certificate instead.", name.position,
    )


# The sslserver purpose of OpenSSL 3.0 (check_purpose_ssl_server in
# crypto/x509/v3_purp.c) refuses a certificate whose extended key usage has
# neither serverAuth nor Server Gated Crypto (xku_reject with XKU_SSL_SERVER |
# XKU_SGC); x509v3_cache_extensions sets XKU_SGC for Microsoft's and
# Netscape's SGC alike, and gives anyExtendedKeyUsage a bit of its own
# (XKU_ANYEKU) that this purpose does not accept.  check_chain (x509_vfy.c)
# applies the purpose to every certificate of the path, the trust anchor
# included: only auxiliary trust settings, which plain PEM roots lack, skip it.
_MS_SGC = ObjectIdentifier("1.3.6.1.4.1.311.10.3.3")
_NS_SGC = ObjectIdentifier("2.16.840.1.113730.4.1")
_SGC = (_MS_SGC, _NS_SGC)
# The leaf's legacy Netscape certificate type, if present, must allow SSL
# server use (ns_reject(x, NS_SSL_SERVER) in check_purpose_ssl_server; only
# the first byte of the bit string counts, as x509v3_cache_extensions reads
# it).  A CA's is consulted only when it has neither basicConstraints nor
# keyUsage (check_ca's Netscape case), which _issuer_rules refuses already.
_NS_CERT_TYPE = ObjectIdentifier("2.16.840.1.113730.1.1")
_NS_SSL_SERVER = 0x40


def _eku(cert: x509.Certificate, index: int, name: CertName) -> list[Finding]:
    found = []
    usage = extensions.get(cert, x509.ExtendedKeyUsage)
    if isinstance(usage, x509.ExtendedKeyUsage) and ExtendedKeyUsageOID.SERVER_AUTH not in usage:
        listed = ", ".join(oid_name(oid) for oid in usage)
        if any(oid in _SGC for oid in usage):
            found.append(Finding(
                Code.EXTENDED_KEY_USAGE, Severity.WARNING,
                f"{sentence(name.text)} is accepted only as legacy Server Gated Crypto: its "
                f"extended key usage ({listed}) lacks serverAuth, which OpenSSL takes SGC for "
                "but browsers and cryptography's verifier do not; ask your certificate "
                "authority for a current certificate whose extended key usage includes "
                "serverAuth.", name.position,
            ))
        else:
            what = "cannot serve TLS" if index == 0 else "cannot issue certificates for TLS servers"
            why = ""
            if ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in usage:
                why = " (OpenSSL's sslserver purpose does not take anyExtendedKeyUsage for it)"
            found.append(Finding(
                Code.EXTENDED_KEY_USAGE, Severity.ERROR,
                f"{sentence(name.text)} {what}: its extended key usage ({listed}) lacks "
                f"serverAuth{why}; ask your certificate authority for a TLS server "
                "certificate.", name.position,
            ))
    if index == 0 and not _netscape_allows_ssl_server(cert):
        found.append(Finding(
            Code.EXTENDED_KEY_USAGE, Severity.ERROR,
            f"{sentence(name.text)} cannot serve TLS: its legacy Netscape certificate type "
            "extension (nsCertType) does not allow SSL server use, and OpenSSL obeys it; ask your "
            "certificate authority for a TLS server certificate.", name.position,
        ))
    return found


def _netscape_allows_ssl_server(cert: x509.Certificate) -> bool:
    """Return False when an nsCertType extension lacks the SSL server bit."""
    try:
        extension = cert.extensions.get_extension_for_oid(_NS_CERT_TYPE).value
    except Exception:  # absent, or extensions that cannot be parsed (reported elsewhere)
        return True
    der = getattr(extension, "value", b"")
    # A DER BIT STRING: tag 3, a short length, the unused-bits count, the bits.
    if len(der) < 3 or der[0] != 0x03 or der[1] != len(der) - 2:
        return True  # malformed: OpenSSL marks the certificate invalid instead
    bits = der[3] if len(der) > 3 else 0
    return bool(bits & _NS_SSL_SERVER)


def _leaf_key_usage(leaf: x509.Certificate, name: CertName) -> list[Finding]:
    usage = extensions.get(leaf, x509.KeyUsage)
    if not isinstance(usage, x509.KeyUsage):
        return []
    # OpenSSL's sslserver purpose (check_purpose_ssl_server) refuses a leaf
    # whose keyUsage has none of these three bits.
    if usage.digital_signature or usage.key_encipherment or usage.key_agreement:
        return []
    return [Finding(
        Code.KEY_USAGE, Severity.ERROR,
        f"{sentence(name.text)} cannot serve TLS: its keyUsage has neither "
        "digitalSignature, keyEncipherment nor keyAgreement; ask your certificate "
        "authority for a TLS server certificate.", name.position,
    )]


def _critical_extensions(cert: x509.Certificate, name: CertName) -> list[Finding]:
    problem = extensions.malformed(cert)
    if problem is not None:
        return [Finding(
            Code.MALFORMED_EXTENSION, Severity.ERROR,
            f"{sentence(name.text)} has extensions that cannot be parsed ({problem}): "
            "clients will refuse it; ask the issuer for a corrected certificate.",
            name.position,
        )]
    unknown = [
        oid_name(oid)
        for oid in extensions.critical_oids(cert)
        if oid not in _HANDLED_CRITICAL
    ]
    if not unknown:
        return []
    return [Finding(
        Code.UNKNOWN_CRITICAL_EXTENSION, Severity.ERROR,
        f"{sentence(name.text)} marks {', '.join(unknown)} as critical, which OpenSSL "
        "does not process, so clients refuse the certificate: ask the issuer for one "
        "without it.", name.position,
    )]


def _weakness(chain: Chain, index: int, name: CertName, allow_weak: bool) -> list[Finding]:
    # OpenSSL 3 at Python's security level (2) refuses these: a server will
    # not load the chain (CA_MD_TOO_WEAK, EE_KEY_TOO_SMALL, CA_KEY_TOO_SMALL)
    # and a client rejects it ("CA signature digest algorithm too weak").  It
    # checks the signature of every certificate but the trust anchor, and the
    # key of every one (check_auth_level in crypto/x509/x509_vfy.c); SHA-1 and
    # MD5 count under 80 bits since OpenSSL 3.0, so level 1 refuses them too.
    # Allowed (--allow-weak), they are warnings, as they were.
    cert = chain[index]
    found: list[Finding] = []
    # A self-signed root's own signature is checked by no one: OpenSSL's
    # server skips it when loading (EXFLAG_SS) and a client trusts it as it
    # is.  Any other certificate's signature counts, a --trust intermediate's
    # too: the server checks it when it loads the chained file.
    is_root = index == len(chain) - 1 and is_self_signed(cert)
    if not is_root:
        try:
            algorithm = cert.signature_hash_algorithm
        except Exception:  # an algorithm cryptography does not know
            algorithm = None
        if isinstance(algorithm, _WEAK_HASHES):
            shown = algorithm.name.upper()
            found.append(_weak(
                Code.WEAK_SIGNATURE, name, allow_weak,
                f"is signed with {shown}, which current clients refuse: ask the issuer for "
                "a SHA-256 certificate.",
                f"is signed with {shown}, which current TLS servers and clients refuse "
                "(OpenSSL 3 from security level 1 on, Python's ssl among them): ask the "
                "issuer for a SHA-256 certificate",
            ))
    public_key = cert.public_key()
    weak = weak_key_reason(public_key)
    if weak:
        found.append(_weak(
            Code.WEAK_KEY, name, allow_weak,
            f"has {weak}, which current clients may refuse: replace the key.",
            f"has {weak}, which current TLS servers and clients refuse (OpenSSL at security "
            "level 2, the default of Python's ssl, Debian and Ubuntu, refuses RSA and DSA "
            "under 2048 bits and EC under 224): replace the key (RSA of 2048 bits or more, "
            "or ECDSA P-256)",
        ))
    elif index == 0 and isinstance(public_key, dsa.DSAPublicKey):
        # RFC 8446 has no DSA signature scheme, Python's ssl leaves DSS cipher
        # suites out (!aDSS), and browsers dropped DSA: OpenSSL's handshake
        # fails with NO_SHARED_CIPHER whatever the security level.
        found.append(_weak(
            Code.WEAK_KEY, name, allow_weak,
            "has a DSA key, which TLS 1.3 cannot use and Python's ssl and current "
            "browsers never negotiate: replace the key with an ECDSA P-256 or RSA key.",
            "has a DSA key, which TLS 1.3 cannot use and Python's ssl and current "
            "browsers never negotiate: replace the key with an ECDSA P-256 or RSA key",
        ))
    return found


def _weak(code: Code, name: CertName, allowed: bool, warning: str, error: str) -> Finding:
    """A legacy-algorithm finding: a warning when allowed, else an error naming the allowance."""
    if allowed:
        return Finding(code, Severity.WARNING, f"{sentence(name.text)} {warning}", name.position)
    return Finding(
        code, Severity.ERROR,
        f"{sentence(name.text)} {error}; only for a legacy system that still accepts it, "
        "allow legacy algorithms.", name.position, Remedy.ALLOW_WEAK,
    )
