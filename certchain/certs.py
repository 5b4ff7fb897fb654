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


def signature_problem(child: x509.Certificate, issuer: x509.Certificate) -> str | None:
    """
    Return why *issuer*'s key does not verify *child*'s signature, or None.

    Checked with the issuer's public key directly rather than with
    ``verify_directly_issued_by``, which refuses SHA-1: a SHA-1 link in an old
    private CA is valid (and reported as weak elsewhere), not forged.
    """
    try:
        public = issuer.public_key()
        params = child.signature_algorithm_parameters
        tbs = child.tbs_certificate_bytes
        signature = child.signature
        if isinstance(public, rsa.RSAPublicKey):
            hash_alg = child.signature_hash_algorithm
            if not isinstance(params, (padding.PKCS1v15, padding.PSS)) or hash_alg is None:
                return "it is signed with a non-RSA algorithm but the issuer has an RSA key"
            public.verify(signature, tbs, params, hash_alg)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            if not isinstance(params, ec.ECDSA):
                return "it is signed with a non-ECDSA algorithm but the issuer has an EC key"
            public.verify(signature, tbs, params)
        elif isinstance(public, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            public.verify(signature, tbs)
        elif isinstance(public, dsa.DSAPublicKey):
            hash_alg = child.signature_hash_algorithm
            if hash_alg is None:
                return "it is not signed with DSA but the issuer has a DSA key"
            public.verify(signature, tbs, hash_alg)
        else:
            return f"the issuer's key type ({type(public).__name__}) is not supported"
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
