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

import functools
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, ObjectIdentifier

from . import extensions
from .findings import Code, Finding, Severity, describe, subject_text
from .graph import is_self_issued, signature_problem
from .keys import weak_key_reason
from .model import Chain
from .names import name_constraint_violation

#: Default number of days before expiry that triggers ``expires-soon``.
WARN_DAYS = 30

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


def roles(chain: Chain) -> list[str]:
    """
    Return the role of each certificate: ``leaf``, ``intermediate`` or ``root``.

    The last certificate of a chain of two or more is the ``root`` when it is
    self-signed; a trust anchor that is not self-signed stays ``intermediate``.
    """
    result = []
    for index, cert in enumerate(chain):
        if index == 0:
            result.append("leaf")
        elif index == len(chain) - 1 and is_self_signed(cert):
            result.append("root")
        else:
            result.append("intermediate")
    return result


def position_names(chain: Chain) -> list[str]:
    """Return names for messages: ``leaf``, ``intermediate 1``, ``root``."""
    names = []
    for index, role in enumerate(roles(chain)):
        names.append(f"intermediate {index}" if role == "intermediate" else role)
    return names


@functools.lru_cache(maxsize=4096)
def is_self_signed(cert: x509.Certificate) -> bool:
    """Return whether *cert* is self-issued and verifies with its own key."""
    return is_self_issued(cert) and signature_problem(cert, cert) is None


def is_ca(cert: x509.Certificate) -> bool:
    """Return whether basicConstraints says cA=TRUE."""
    constraints = extensions.get(cert, x509.BasicConstraints)
    return isinstance(constraints, x509.BasicConstraints) and constraints.ca


def check_path(
    chain: Chain,
    at: datetime,
    *,
    warn_days: int = WARN_DAYS,
) -> list[Finding]:
    """
    Check *chain* (leaf first, already linked by signature) at the time *at*.

    Returns the findings of: validity, expiring soon, CA flags, keyUsage,
    pathLen, name constraints, extended key usage for TLS servers, weak
    signatures and weak keys.  Trust of the last certificate is not judged
    here.
    """
    names = position_names(chain)
    found: list[Finding] = []
    for index, cert in enumerate(chain):
        who = describe(names[index], cert)
        found.extend(_validity(cert, index, who, at, warn_days))
        if index > 0:
            found.extend(_issuer_rules(chain, index, who))
        found.extend(_eku(cert, index, who))
        found.extend(_critical_extensions(cert, index, who))
        found.extend(_weakness(chain, index, who))
    found.extend(_leaf_key_usage(chain[0]))
    return found


def _validity(
    cert: x509.Certificate, index: int, who: str, at: datetime, warn_days: int
) -> list[Finding]:
    before, after = cert.not_valid_before_utc, cert.not_valid_after_utc
    # Validity is encoded in whole seconds (RFC 5280 4.1.2.5) and OpenSSL
    # compares time_t seconds: notAfter + 5 ms is still notAfter's second
    # (x509-limbo rfc5280::validity::notafter-fractional).
    at = at.replace(microsecond=0)
    if at > after:
        return [Finding(
            Code.EXPIRED, Severity.ERROR,
            f"{who} expired on {after:%Y-%m-%d %H:%M} UTC: renew it, or get "
            "the current one from your certificate authority.", index,
        )]
    if at < before:
        return [Finding(
            Code.NOT_YET_VALID, Severity.ERROR,
            f"{who} is not valid before {before:%Y-%m-%d %H:%M} UTC: check "
            "the server clock, or wait until then.", index,
        )]
    if after - at < timedelta(days=warn_days):
        days = (after - at).days
        return [Finding(
            Code.EXPIRES_SOON, Severity.WARNING,
            f"{who} expires in {days} day{'s' if days != 1 else ''}, on "
            f"{after:%Y-%m-%d}: renew it soon.", index,
        )]
    return []


def _issuer_rules(chain: Chain, index: int, who: str) -> list[Finding]:
    cert = chain[index]
    found: list[Finding] = []
    constraints = extensions.get(cert, x509.BasicConstraints)
    last = index == len(chain) - 1
    if isinstance(constraints, x509.BasicConstraints):
        if not constraints.ca:
            found.append(_not_a_ca(who, index, "basicConstraints says cA=FALSE"))
    elif not (last and cert.version is x509.Version.v1):
        # Only a v1 trust anchor, which cannot carry extensions, is accepted
        # without basicConstraints (OpenSSL's X509_check_ca does the same).
        found.append(_not_a_ca(who, index, "it has no basicConstraints extension"))
    usage = extensions.get(cert, x509.KeyUsage)
    if isinstance(usage, x509.KeyUsage) and not usage.key_cert_sign:
        found.append(_not_a_ca(who, index, "its keyUsage lacks keyCertSign"))
    if isinstance(constraints, x509.BasicConstraints) and constraints.path_length is not None:
        # RFC 5280 4.2.1.9: non-self-issued intermediates below this CA.
        below = sum(1 for c in chain[1:index] if not is_self_issued(c))
        if below > constraints.path_length:
            found.append(Finding(
                Code.PATH_LENGTH, Severity.ERROR,
                f"{who} allows {constraints.path_length} intermediate(s) below "
                f"it (pathLenConstraint) but the path has {below}: use a "
                "shorter path or a CA certificate without this limit.", index,
            ))
    names = extensions.get(cert, x509.NameConstraints)
    if isinstance(names, x509.NameConstraints):
        for below_index in range(index):
            child = chain[below_index]
            if below_index > 0 and is_self_issued(child):
                continue  # RFC 5280 6.1.3 (b): self-issued CAs are exempt
            violation = name_constraint_violation(names, child, is_leaf=below_index == 0)
            if violation:
                found.append(Finding(
                    Code.NAME_CONSTRAINTS, Severity.ERROR,
                    f"{who} restricts the names below it, and in "
                    f"{subject_text(child)} {violation}: this CA cannot issue "
                    "that certificate.", index,
                ))
    return found


def _not_a_ca(who: str, index: int, why: str) -> Finding:
    return Finding(
        Code.NOT_A_CA, Severity.ERROR,
        f"{who} issues another certificate but is not a CA ({why}): it is "
        "probably a leaf certificate given by mistake; use the CA "
        "certificate instead.", index,
    )


def _eku(cert: x509.Certificate, index: int, who: str) -> list[Finding]:
    usage = extensions.get(cert, x509.ExtendedKeyUsage)
    if not isinstance(usage, x509.ExtendedKeyUsage):
        return []
    allowed = {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE}
    if allowed & set(usage):
        return []
    listed = ", ".join(getattr(oid, "_name", oid.dotted_string) for oid in usage)
    what = "cannot serve TLS" if index == 0 else "cannot issue certificates for TLS servers"
    return [Finding(
        Code.EXTENDED_KEY_USAGE, Severity.ERROR,
        f"{who} {what}: its extended key usage ({listed}) lacks serverAuth; "
        "ask your certificate authority for a TLS server certificate.", index,
    )]


def _leaf_key_usage(leaf: x509.Certificate) -> list[Finding]:
    usage = extensions.get(leaf, x509.KeyUsage)
    if not isinstance(usage, x509.KeyUsage):
        return []
    # OpenSSL's sslserver purpose (check_purpose_ssl_server) refuses a leaf
    # whose keyUsage has none of these three bits.
    if usage.digital_signature or usage.key_encipherment or usage.key_agreement:
        return []
    return [Finding(
        Code.KEY_USAGE, Severity.ERROR,
        f"{describe('leaf', leaf)} cannot serve TLS: its keyUsage has neither "
        "digitalSignature, keyEncipherment nor keyAgreement; ask your certificate "
        "authority for a TLS server certificate.", 0,
    )]


def _critical_extensions(cert: x509.Certificate, index: int, who: str) -> list[Finding]:
    problem = extensions.malformed(cert)
    if problem is not None:
        return [Finding(
            Code.MALFORMED_EXTENSION, Severity.ERROR,
            f"{who} has extensions that cannot be parsed ({problem}): clients will "
            "refuse it; ask the issuer for a corrected certificate.", index,
        )]
    unknown = [
        getattr(oid, "_name", oid.dotted_string)
        for oid in extensions.critical_oids(cert)
        if oid not in _HANDLED_CRITICAL
    ]
    if not unknown:
        return []
    return [Finding(
        Code.UNKNOWN_CRITICAL_EXTENSION, Severity.ERROR,
        f"{who} marks {', '.join(unknown)} as critical, which OpenSSL does not "
        "process, so clients refuse the certificate: ask the issuer for one "
        "without it.", index,
    )]


def _weakness(chain: Chain, index: int, who: str) -> list[Finding]:
    cert = chain[index]
    found: list[Finding] = []
    is_root = index == len(chain) - 1 and index > 0 and is_self_signed(cert)
    # A root's own signature is never checked by clients; only links count.
    if not is_root:
        try:
            algorithm = cert.signature_hash_algorithm
        except Exception:  # an algorithm cryptography does not know
            algorithm = None
        if isinstance(algorithm, _WEAK_HASHES):
            found.append(Finding(
                Code.WEAK_SIGNATURE, Severity.WARNING,
                f"{who} is signed with {algorithm.name.upper()}, which current "
                "clients refuse: ask the issuer for a SHA-256 certificate.", index,
            ))
    weak = weak_key_reason(cert.public_key())
    if weak:
        found.append(Finding(
            Code.WEAK_KEY, Severity.WARNING,
            f"{who} has {weak}, which current clients may refuse: replace "
            "the key.", index,
        ))
    return found
