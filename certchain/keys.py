"""
Public and private keys: matching a key to a certificate, naming and sizing keys.

Pure functions; nothing here prints or reads files.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .memo import by_identity
from .model import PrivateKey

_SUPPORTED_PRIVATE = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    dsa.DSAPrivateKey,
)

# Below these sizes a key is "weak": CA/Browser Forum Baseline Requirements
# 6.1.5 (RSA >= 2048, ECDSA P-256 or larger); NIST SP 800-131A for DSA.
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
MIN_DSA_BITS = 2048


def is_supported_private_key(key: object) -> bool:
    """Return whether *key* is a private key type that can serve TLS."""
    return isinstance(key, _SUPPORTED_PRIVATE)


def spki(public_key: object) -> bytes:
    """Return the DER SubjectPublicKeyInfo of *public_key*."""
    return public_key.public_bytes(  # type: ignore[attr-defined,no-any-return]
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    )


@by_identity(8192)
def cert_spki(cert: x509.Certificate) -> bytes:
    """Return the DER SubjectPublicKeyInfo of *cert* (the whole public key)."""
    return spki(cert.public_key())


def key_matches(key: PrivateKey, cert: x509.Certificate) -> bool:
    """Return whether *key* is the private half of *cert*'s public key."""
    try:
        return spki(key.public_key()) == cert_spki(cert)
    except ValueError:  # a public key cryptography cannot serialise
        return False


def describe_key(public_key: object) -> str:
    """Return a short description such as ``RSA 2048`` or ``EC P-256``."""
    if isinstance(public_key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return f"RSA {public_key.key_size}"
    if isinstance(public_key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        return f"EC {_curve_name(public_key.curve)}"
    if isinstance(public_key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return "Ed25519"
    if isinstance(public_key, (ed448.Ed448PublicKey, ed448.Ed448PrivateKey)):
        return "Ed448"
    if isinstance(public_key, (dsa.DSAPublicKey, dsa.DSAPrivateKey)):
        return f"DSA {public_key.key_size}"
    return type(public_key).__name__


def weak_key_reason(public_key: object) -> str | None:
    """Return why *public_key* is too small for today's clients, or None."""
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < MIN_RSA_BITS:
        return f"an RSA key of {public_key.key_size} bits (at least {MIN_RSA_BITS} expected)"
    if (
        isinstance(public_key, ec.EllipticCurvePublicKey)
        and public_key.curve.key_size < MIN_EC_BITS
    ):
        return f"an EC key on {_curve_name(public_key.curve)} (at least 256 bits expected)"
    if isinstance(public_key, dsa.DSAPublicKey) and public_key.key_size < MIN_DSA_BITS:
        return f"a DSA key of {public_key.key_size} bits (at least {MIN_DSA_BITS} expected)"
    return None


def _curve_name(curve: ec.EllipticCurve) -> str:
    names = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
    return names.get(curve.name, curve.name)
