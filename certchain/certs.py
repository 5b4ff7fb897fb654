"""
Facts about one certificate, or one certificate and its issuer.

The predicates every layer asks (self-issued, self-signed, CA, which CA it
is, who issued it, where its issuer can be downloaded, what an OID is
called) live here once, below everything that judges.  Pure functions.
"""

from __future__ import annotations

import functools

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
from .model import Chain, Role
from .names import NameKey, name_key

#: (subject, public key): what makes two certificates "the same CA".
Identity = tuple[NameKey, bytes]


def identity(cert: x509.Certificate) -> Identity:
    """Return (subject, public key): what makes two certificates "the same CA"."""
    return name_key(cert.subject), cert_spki(cert)


def is_self_issued(cert: x509.Certificate) -> bool:
    """Return whether subject and issuer are the same name (RFC 5280 3.2)."""
    return name_key(cert.subject) == name_key(cert.issuer)


@functools.lru_cache(maxsize=4096)
def is_self_signed(cert: x509.Certificate) -> bool:
    """Return whether *cert* is self-issued and verifies with its own key."""
    return is_self_issued(cert) and signature_problem(cert, cert) is None


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
