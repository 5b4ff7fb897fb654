"""
Facts about one certificate, or one certificate and its issuer.

The predicates every layer asks (self-issued, self-signed, CA, which CA it
is, who issued it, where its issuer can be downloaded, what an OID is
called) live here once, below everything that judges.  Pure functions.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    ExtensionOID,
    ObjectIdentifier,
    SignatureAlgorithmOID,
)

from . import extensions
from .keys import cert_spki
from .memo import by_identity
from .model import Chain, Role
from .names import NameKey, issuer_key, subject_key
from .rawcert import fields_of

#: (subject, public key): what makes two certificates "the same CA".
Identity = tuple[NameKey, bytes]


@by_identity(8192)
def identity(cert: x509.Certificate) -> Identity:
    """Return (subject, public key): what makes two certificates "the same CA"."""
    return subject_key(cert), cert_spki(cert)


@by_identity(8192)
def is_self_issued(cert: x509.Certificate) -> bool:
    """Return whether subject and issuer are the same name (RFC 5280 3.2)."""
    raw = fields_of(cert)
    # The same bytes are the same name; other bytes may be too, once normalised.
    return raw.subject == raw.issuer or (
        subject_key(cert, raw.subject) == issuer_key(cert, raw.issuer)
    )


def is_self_signed(cert: x509.Certificate) -> bool:
    """
    Return whether *cert* is self-issued and verifies with its own key.

    As OpenSSL decides (EXFLAG_SS in ossl_x509v3_cache_extensions), a
    certificate whose authority key id names another key than its subject
    key id is not self-signed, and its signature is not checked.
    """
    return may_be_self_signed(cert) and self_signature_problem(cert) is None


def may_be_self_signed(cert: x509.Certificate) -> bool:
    """Return whether *cert* is self-issued and its key identifiers do not say otherwise."""
    if not is_self_issued(cert):
        return False
    aki = extensions.get(cert, x509.AuthorityKeyIdentifier)
    ski = extensions.get(cert, x509.SubjectKeyIdentifier)
    return aki is None or aki.key_identifier is None or ski is None or (
        aki.key_identifier == ski.digest
    )


@by_identity(4096)
def self_signature_problem(cert: x509.Certificate) -> str | None:
    """Return why *cert*'s own key does not verify its signature, or None (checked once)."""
    return signature_problem(cert, cert)


def is_ca(cert: x509.Certificate) -> bool:
    """Return whether basicConstraints says cA=TRUE."""
    constraints = extensions.get(cert, x509.BasicConstraints)
    return isinstance(constraints, x509.BasicConstraints) and constraints.ca


def path_roles(chain: Chain) -> tuple[Role, ...]:
    """
    Return the role of each certificate of a leaf-first path.

    The last certificate of a path of two or more is the root when it is
    self-signed; a trust anchor that is not self-signed stays an intermediate.
    """
    last = len(chain) - 1
    return tuple(
        Role.LEAF if index == 0
        else Role.ROOT if index == last and is_self_signed(cert)
        else Role.INTERMEDIATE
        for index, cert in enumerate(chain)
    )


def ca_issuer_urls(cert: x509.Certificate) -> list[str]:
    """Return the caIssuers URLs of *cert*'s authority information access."""
    aia = extensions.get(cert, x509.AuthorityInformationAccess)
    return [
        str(d.access_location.value)
        for d in aia or []
        if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


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


@by_identity(8192)
def signature_problem(child: x509.Certificate, issuer: x509.Certificate) -> str | None:
    """
    Return why *issuer*'s key does not verify *child*'s signature, or None.

    Remembered: a batch of files that share an intermediate checks its
    signature once, not once a file (the path search still pays each check
    from its budget, so what it decides does not depend on what came before).

    The signature algorithm OID says which scheme and hash to verify with;
    the issuer's public key must be of that scheme's type.  Checked with the
    key directly rather than with ``verify_directly_issued_by``, which
    refuses SHA-1: a SHA-1 (or MD5) link in an old private CA is valid, and
    reported as weak elsewhere, not forged.
    """
    oid = child.signature_algorithm_oid
    scheme, hash_type = _SCHEMES.get(oid.dotted_string, (None, None))
    if scheme is None:
        return f"its signature algorithm ({oid_name(oid)}) is not one certchain can check"
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


# What one signature check costs, in estimated microseconds of one core
# (measured with cryptography 50 and OpenSSL 3 on the project's 2-core test
# machine; ``benchmarks/bench_checks.py`` measures them again).  The figures
# only need to be right within a factor of two: they size the path search's
# budget (certchain.graph.MAX_WORK) so that a key built to be slow cannot buy
# more time than ordinary ones.  Every check pays the base: reading the
# issuer's key and hashing the certificate.
CHECK_BASE = 10
# ECDSA, by curve: OpenSSL's P-256 is hand-optimised; P-384 is not.
_EC_COSTS = {
    "secp192r1": 350, "secp224r1": 160, "secp256r1": 100, "secp384r1": 850,
    "secp521r1": 400, "secp256k1": 280, "brainpoolP256r1": 270,
    "brainpoolP384r1": 650, "brainpoolP512r1": 1250,
}
_EC_UNKNOWN = 1500  # a curve not measured: as dear as the dearest measured
#: One P-256 check, the commonest: the unit messages count budgets in.
P256_CHECK = CHECK_BASE + _EC_COSTS["secp256r1"]
_EDDSA_COSTS: dict[type, int] = {ed25519.Ed25519PublicKey: 90, ed448.Ed448PublicKey: 190}
# RSA: one modular exponentiation by the public exponent, so its cost grows
# with the exponent's bits times the square of the modulus's: 25 for 2,048
# bits and e = 65537, 10,000 for a 3,072-bit modulus with a 3,070-bit
# exponent (OpenSSL allows any exponent up to 3,072-bit moduli, 64 bits
# above).  A signature that is not exactly as long as the modulus is refused
# before any arithmetic.
_RSA_DIVISOR = 2_800_000  # e bits * n bits^2 / this = microseconds
# DSA: exponentiations modulo p (q is at most 256 bits, OpenSSL refuses more).
_DSA_DIVISOR = 6_000  # p bits^2 / this = microseconds


def check_cost(child: x509.Certificate, issuer: x509.Certificate) -> int:
    """
    Return what :func:`signature_problem` (*child*, *issuer*) costs, in estimated microseconds.

    Estimated from the issuer's key alone, without checking anything: a key
    of another type than the signature algorithm needs, or an RSA signature
    of the wrong length, is refused for the base cost.
    """
    return cost_with(signature_needs(child), key_cost(issuer))


#: What checking a certificate's signature needs: (issuer key type, signature length).
SignatureNeeds = tuple[type | None, int]
#: What checking with a key costs: (key type, cost, RSA signature length).
KeyCost = tuple[type | None, int, int | None]


def cost_with(needs: SignatureNeeds, key: KeyCost) -> int:
    """Return :func:`check_cost` from its two halves, each computed once per certificate."""
    needed, length = needs
    kind, cost, size = key
    if needed is None or kind is not needed or (size is not None and length != size):
        return CHECK_BASE
    return CHECK_BASE + cost


@by_identity(8192)
def signature_needs(cert: x509.Certificate) -> SignatureNeeds:
    """Return the issuer key type *cert*'s signature algorithm needs, and its signature length."""
    scheme = _SCHEMES.get(cert.signature_algorithm_oid.dotted_string, (None, None))[0]
    return (_KEY_TYPES[scheme][0] if scheme else None), len(cert.signature)


@by_identity(8192)
def key_cost(cert: x509.Certificate) -> KeyCost:
    """Return *cert*'s key type, the cost of one check with it, and its RSA signature length."""
    try:
        public = cert.public_key()
    except (UnsupportedAlgorithm, ValueError):
        return None, 0, None
    if isinstance(public, rsa.RSAPublicKey):
        bits = public.key_size
        exponent = public.public_numbers().e.bit_length()
        return rsa.RSAPublicKey, exponent * bits * bits // _RSA_DIVISOR, (bits + 7) // 8
    if isinstance(public, ec.EllipticCurvePublicKey):
        return ec.EllipticCurvePublicKey, _EC_COSTS.get(public.curve.name, _EC_UNKNOWN), None
    if isinstance(public, dsa.DSAPublicKey):
        return dsa.DSAPublicKey, public.key_size ** 2 // _DSA_DIVISOR, None
    for key_type, cost in _EDDSA_COSTS.items():
        if isinstance(public, key_type):
            return key_type, cost, None
    return None, 0, None


# OpenSSL's short names (crypto/objects/objects.txt) for the OIDs that
# messages and listings print; any other OID is shown dotted.
_OID_NAMES: dict[ObjectIdentifier, str] = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
    ObjectIdentifier("1.3.6.1.4.1.311.10.3.3"): "msSGC",
    ObjectIdentifier("2.16.840.1.113730.4.1"): "nsSGC",
    ExtensionOID.BASIC_CONSTRAINTS: "basicConstraints",
    ExtensionOID.KEY_USAGE: "keyUsage",
    ExtensionOID.EXTENDED_KEY_USAGE: "extendedKeyUsage",
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME: "subjectAltName",
    ExtensionOID.ISSUER_ALTERNATIVE_NAME: "issuerAltName",
    ExtensionOID.NAME_CONSTRAINTS: "nameConstraints",
    ExtensionOID.CERTIFICATE_POLICIES: "certificatePolicies",
    ExtensionOID.POLICY_CONSTRAINTS: "policyConstraints",
    ExtensionOID.POLICY_MAPPINGS: "policyMappings",
    ExtensionOID.INHIBIT_ANY_POLICY: "inhibitAnyPolicy",
    ExtensionOID.SUBJECT_KEY_IDENTIFIER: "subjectKeyIdentifier",
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER: "authorityKeyIdentifier",
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS: "authorityInfoAccess",
    ExtensionOID.CRL_DISTRIBUTION_POINTS: "cRLDistributionPoints",
    ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS: "ct_precert_scts",
    ExtensionOID.TLS_FEATURE: "tlsfeature",
    SignatureAlgorithmOID.RSA_WITH_MD5: "md5WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA1: "sha1WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA224: "sha224WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "sha256WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "sha384WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "sha512WithRSAEncryption",
    SignatureAlgorithmOID.RSASSA_PSS: "RSASSA-PSS",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ecdsa-with-SHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA224: "ecdsa-with-SHA224",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "ecdsa-with-SHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ecdsa-with-SHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ecdsa-with-SHA512",
    SignatureAlgorithmOID.DSA_WITH_SHA1: "dsaWithSHA1",
    SignatureAlgorithmOID.DSA_WITH_SHA224: "dsa_with_SHA224",
    SignatureAlgorithmOID.DSA_WITH_SHA256: "dsa_with_SHA256",
    SignatureAlgorithmOID.ED25519: "ed25519",
    SignatureAlgorithmOID.ED448: "ed448",
}


def oid_name(oid: ObjectIdentifier) -> str:
    """Return OpenSSL's short name for *oid*, or its dotted form."""
    return _OID_NAMES.get(oid, oid.dotted_string)
