"""
Path search: from a leaf, through candidate issuers, to a trust anchor.

Pure: no I/O, no clock.  This module finds *structurally* possible paths
(names chain and every signature verifies); whether a path is acceptable at
a given time and under which rules is :mod:`certchain.rules`' job.  The
design follows Go's crypto/x509 (candidate ordering, loop avoidance by
subject and key, a budget of signature checks) and keeps path building apart
from validation as pyhanko-certvalidator does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from . import extensions
from .keys import cert_spki
from .model import Chain, fingerprint
from .names import NameKey, name_key

# Go's crypto/x509 stops after 100 signature checks per verification
# (maxChainSignatureChecks) so that a crafted pile of same-named
# certificates cannot make path building quadratic; we do the same.
MAX_SIGNATURE_CHECKS = 100
BUDGET_REASON = "not checked: the signature-check budget is used up"
# A path longer than this many certificates is never built.  cryptography's
# verifier defaults to 8 intermediates; public chains have 2 to 4.
MAX_DEPTH = 10
# Enough alternatives for every cross-sign combination seen in the wild.
MAX_PATHS = 64


#: (subject, public key): what makes two certificates "the same CA".
Identity = tuple[NameKey, bytes]


def identity(cert: x509.Certificate) -> Identity:
    """Return (subject, public key): what makes two certificates "the same CA"."""
    return name_key(cert.subject), cert_spki(cert)


def is_self_issued(cert: x509.Certificate) -> bool:
    """Return whether subject and issuer are the same name (RFC 5280 3.2)."""
    return name_key(cert.subject) == name_key(cert.issuer)


# How each signature algorithm is verified, by its OID (RFC 3279 2.2, RFC 4055
# 5, RFC 5758 3, RFC 8410 3, NIST's CSOR for the SHA-3 ones): the scheme,
# which fixes the issuer key type, and the hash.  The OID decides, never
# cryptography's ``signature_algorithm_parameters``, which is None for
# ecdsa-with-SHA1 and md5WithRSAEncryption.  OpenSSL does the same: the OID
# names the key type and digest (OBJ_find_sigid_algs), and a key of another
# type is a mismatch (check_sig_alg_match in crypto/x509/v3_purp.c), except
# that an RSA key also verifies RSA-PSS.
_RSA, _PSS, _ECDSA, _DSA, _ED25519, _ED448 = (
    "RSA", "RSA-PSS", "ECDSA", "DSA", "Ed25519", "Ed448"
)
_SCHEMES: dict[str, tuple[str, type[hashes.HashAlgorithm] | None]] = {
    "1.2.840.113549.1.1.4": (_RSA, hashes.MD5),  # md5WithRSAEncryption
    "1.2.840.113549.1.1.5": (_RSA, hashes.SHA1),  # sha1WithRSAEncryption
    "1.3.14.3.2.29": (_RSA, hashes.SHA1),  # sha1WithRSASignature (OIW)
    "1.2.840.113549.1.1.14": (_RSA, hashes.SHA224),
    "1.2.840.113549.1.1.11": (_RSA, hashes.SHA256),
    "1.2.840.113549.1.1.12": (_RSA, hashes.SHA384),
    "1.2.840.113549.1.1.13": (_RSA, hashes.SHA512),
    "2.16.840.1.101.3.4.3.13": (_RSA, hashes.SHA3_224),
    "2.16.840.1.101.3.4.3.14": (_RSA, hashes.SHA3_256),
    "2.16.840.1.101.3.4.3.15": (_RSA, hashes.SHA3_384),
    "2.16.840.1.101.3.4.3.16": (_RSA, hashes.SHA3_512),
    "1.2.840.113549.1.1.10": (_PSS, None),  # hash and salt in its parameters
    "1.2.840.10045.4.1": (_ECDSA, hashes.SHA1),  # ecdsa-with-SHA1
    "1.2.840.10045.4.3.1": (_ECDSA, hashes.SHA224),
    "1.2.840.10045.4.3.2": (_ECDSA, hashes.SHA256),
    "1.2.840.10045.4.3.3": (_ECDSA, hashes.SHA384),
    "1.2.840.10045.4.3.4": (_ECDSA, hashes.SHA512),
    "2.16.840.1.101.3.4.3.9": (_ECDSA, hashes.SHA3_224),
    "2.16.840.1.101.3.4.3.10": (_ECDSA, hashes.SHA3_256),
    "2.16.840.1.101.3.4.3.11": (_ECDSA, hashes.SHA3_384),
    "2.16.840.1.101.3.4.3.12": (_ECDSA, hashes.SHA3_512),
    "1.2.840.10040.4.3": (_DSA, hashes.SHA1),  # id-dsa-with-sha1
    "2.16.840.1.101.3.4.3.1": (_DSA, hashes.SHA224),
    "2.16.840.1.101.3.4.3.2": (_DSA, hashes.SHA256),
    "2.16.840.1.101.3.4.3.3": (_DSA, hashes.SHA384),
    "2.16.840.1.101.3.4.3.4": (_DSA, hashes.SHA512),
    "1.3.101.112": (_ED25519, None),
    "1.3.101.113": (_ED448, None),
}
# The issuer key type each scheme needs, and its name in messages.
_KEY_TYPES: dict[str, tuple[type, str]] = {
    _RSA: (rsa.RSAPublicKey, "an RSA"),
    _PSS: (rsa.RSAPublicKey, "an RSA"),
    _ECDSA: (ec.EllipticCurvePublicKey, "an EC"),
    _DSA: (dsa.DSAPublicKey, "a DSA"),
    _ED25519: (ed25519.Ed25519PublicKey, "an Ed25519"),
    _ED448: (ed448.Ed448PublicKey, "an Ed448"),
}


def signature_problem(child: x509.Certificate, issuer: x509.Certificate) -> str | None:
    """
    Return why *issuer*'s key does not verify *child*'s signature, or None.

    The signature algorithm OID says which scheme and hash to verify with;
    the issuer's public key must be of that scheme's type.  Checked with the
    key directly rather than with ``verify_directly_issued_by``, which
    refuses SHA-1: a SHA-1 (or MD5) link in an old private CA is valid, and
    reported as weak elsewhere, not forged.
    """
    oid = child.signature_algorithm_oid
    scheme, hash_type = _SCHEMES.get(oid.dotted_string, (None, None))
    if scheme is None:
        shown = getattr(oid, "_name", "Unknown OID")
        shown = oid.dotted_string if shown == "Unknown OID" else shown
        return f"its signature algorithm ({shown}) is not one certchain can check"
    try:
        public = issuer.public_key()
    except (UnsupportedAlgorithm, ValueError) as exc:
        return f"the issuer's public key cannot be read ({exc})"
    key_type, key_name = _KEY_TYPES[scheme]
    if not isinstance(public, key_type):
        found = next((n for t, n in _KEY_TYPES.values() if isinstance(public, t)), None)
        has = f"has {found} key" if found else f"has a {type(public).__name__}"
        return f"it is signed with {scheme} but the issuer {has}, not {key_name} key"
    tbs, signature = child.tbs_certificate_bytes, child.signature
    try:
        if isinstance(public, rsa.RSAPublicKey):
            if scheme == _PSS:
                params = child.signature_algorithm_parameters
                pss_hash = child.signature_hash_algorithm
                if not isinstance(params, padding.PSS) or pss_hash is None:
                    return "its RSA-PSS parameters cannot be read"
                public.verify(signature, tbs, params, pss_hash)
            else:
                assert hash_type is not None
                public.verify(signature, tbs, padding.PKCS1v15(), hash_type())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            assert hash_type is not None
            public.verify(signature, tbs, ec.ECDSA(hash_type()))
        elif isinstance(public, dsa.DSAPublicKey):
            assert hash_type is not None
            public.verify(signature, tbs, hash_type())
        elif isinstance(public, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            public.verify(signature, tbs)
    except InvalidSignature:
        return "the signature does not verify with the issuer's public key"
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        return f"the signature cannot be checked ({exc})"
    return None


def _key_ids(cert: x509.Certificate) -> tuple[bytes | None, bytes | None]:
    """Return (authority key id, subject key id), each None when absent."""
    aki = extensions.get(cert, x509.AuthorityKeyIdentifier)
    ski = extensions.get(cert, x509.SubjectKeyIdentifier)
    return (aki.key_identifier if aki else None), (ski.digest if ski else None)


class CertPool:
    """Index of candidate issuers by (normalised) subject name."""

    def __init__(self, certs: Iterable[x509.Certificate] = ()) -> None:
        self._by_subject: dict[NameKey, list[x509.Certificate]] = {}
        self._seen: set[str] = set()
        for cert in certs:
            self.add(cert)

    def add(self, cert: x509.Certificate) -> None:
        """Add *cert* (a second copy of the same certificate is ignored)."""
        fp = fingerprint(cert)
        if fp in self._seen:
            return
        self._seen.add(fp)
        self._by_subject.setdefault(name_key(cert.subject), []).append(cert)

    def __len__(self) -> int:
        return len(self._seen)

    def candidate_issuers(self, cert: x509.Certificate) -> list[x509.Certificate]:
        """
        Return certificates whose subject is *cert*'s issuer, most plausible first.

        Ranked as Go's crypto/x509 does: authority key id equal to the
        candidate's subject key id, then one of them absent, then a mismatch
        (still tried: key identifiers are hints, RFC 5280 4.2.1.1).  Ties go
        to the later expiry, then the fingerprint, so the order never depends
        on the order of the inputs.
        """
        aki, _ = _key_ids(cert)
        found = self._by_subject.get(name_key(cert.issuer), [])

        def rank(candidate: x509.Certificate) -> tuple[int, float, str]:
            _, ski = _key_ids(candidate)
            if aki is not None and ski is not None:
                level = 0 if aki == ski else 2
            else:
                level = 1
            return level, -candidate.not_valid_after_utc.timestamp(), fingerprint(candidate)

        return sorted(found, key=rank)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A candidate issuer that was tried and refused, and why."""

    candidate: x509.Certificate
    reason: str


@dataclass(frozen=True, slots=True)
class DeadEnd:
    """A partial path whose last certificate has no usable issuer."""

    path: Chain  # leaf first, ending at the certificate without an issuer
    rejected: tuple[Rejected, ...]  # candidates with the right name, refused
    too_long: bool = False  # cut off at max_depth, not for want of an issuer


@dataclass(frozen=True, slots=True)
class Search:
    """Every complete path found, and where the others stopped."""

    chains: tuple[Chain, ...]  # leaf first, each ending at an anchor
    dead_ends: tuple[DeadEnd, ...]
    budget_exhausted: bool = False


@dataclass
class _State:
    anchors: frozenset[str]
    checks_left: int
    cache: dict[tuple[str, str], str | None] = field(default_factory=dict)
    chains: list[Chain] = field(default_factory=list)
    dead_ends: list[DeadEnd] = field(default_factory=list)
    exhausted: bool = False


def build_chains(
    leaf: x509.Certificate,
    pool: CertPool,
    anchors: Iterable[x509.Certificate],
    *,
    max_depth: int = MAX_DEPTH,
    max_signature_checks: int = MAX_SIGNATURE_CHECKS,
) -> Search:
    """
    Find every path from *leaf* to a certificate in *anchors*.

    *anchors* must also be in *pool* to be found.  A path ends at the first
    anchor it reaches.  A certificate whose subject and public key are
    already in the path is not tried again, so cross-signs cannot cycle.

    Returns:
        The complete paths (order of discovery, best candidates first) and
        the dead ends met on the way.  Finding nothing is not an error.
    """
    state = _State(
        anchors=frozenset(fingerprint(a) for a in anchors),
        checks_left=max_signature_checks,
    )
    _extend((leaf,), pool, state, max_depth)
    return Search(tuple(state.chains), tuple(state.dead_ends), state.exhausted)


def _extend(path: Chain, pool: CertPool, state: _State, max_depth: int) -> None:
    current = path[-1]
    if fingerprint(current) in state.anchors:
        state.chains.append(path)
        return
    if len(state.chains) >= MAX_PATHS:
        return
    if len(path) >= max_depth:
        state.dead_ends.append(DeadEnd(path, (), too_long=True))
        return
    in_path = {identity(c) for c in path}
    rejected: list[Rejected] = []
    extended = False
    for candidate in pool.candidate_issuers(current):
        if candidate is current or fingerprint(candidate) == fingerprint(current):
            continue  # a self-signed certificate that is not an anchor
        if identity(candidate) in in_path:
            continue
        problem = _checked_signature(current, candidate, state)
        if problem is not None:
            rejected.append(Rejected(candidate, problem))
            continue
        extended = True
        _extend((*path, candidate), pool, state, max_depth)
    if not extended:
        state.dead_ends.append(DeadEnd(path, tuple(rejected)))


def _checked_signature(
    child: x509.Certificate, issuer: x509.Certificate, state: _State
) -> str | None:
    key = (fingerprint(child), fingerprint(issuer))
    if key in state.cache:
        return state.cache[key]
    if state.checks_left <= 0:
        state.exhausted = True
        return BUDGET_REASON
    state.checks_left -= 1
    problem = signature_problem(child, issuer)
    state.cache[key] = problem
    return problem
