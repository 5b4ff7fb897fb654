"""
Regenerate every committed fixture under testdata/demo and testdata/formats.

Run from the repository root::

    python testdata/make_testdata.py

Only ``cryptography`` is used (no ``openssl`` binary), so the script runs the
same everywhere.  File names are fixed; keys and serial numbers are fresh on
each run, so regenerating changes the bytes but not what each file covers.
Every certificate is valid from 2025-01-01 to 2075-01-01, so no test turns
into a time bomb.  See testdata/README.md for what each file is for.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    pkcs7,
    pkcs12,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = Path(__file__).resolve().parent
DEMO = HERE / "demo"
FORMATS = HERE / "formats"

NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
NOT_AFTER = dt.datetime(2075, 1, 1, tzinfo=dt.timezone.utc)
PASSWORD = b"certchain"


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: Any


# ------------------------------------------------------------------ helpers


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _key_usage(*, ca: bool, rsa_key: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False,
        key_encipherment=rsa_key and not ca, data_encipherment=False,
        key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )


def _issue(
    subject: x509.Name,
    key: Any,
    issuer: Issued | None,
    *,
    ca: bool,
    path_length: int | None = None,
    san: list[x509.GeneralName] | None = None,
) -> Issued:
    """Issue a certificate with AKI/SKI, basicConstraints and keyUsage."""
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else subject
    issuer_public = issuer.cert.public_key() if issuer else key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(
            _key_usage(ca=ca, rsa_key=isinstance(key, rsa.RSAPrivateKey)), critical=True
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _p256() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.PEM)


def _pkcs8(key: Any, password: bytes | None = None) -> bytes:
    encryption = BestAvailableEncryption(password) if password else NoEncryption()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption)  # type: ignore[no-any-return]


def _openssl_name(name: x509.Name) -> str:
    """Render *name* the way ``openssl x509 -subject`` does: ``O = x, CN = y``."""
    return ", ".join(
        f"{attr.rfc4514_attribute_name} = {attr.value!s}" for attr in name
    )


def _text_dump(cert: x509.Certificate) -> bytes:
    """Return the head of an ``openssl x509 -text`` dump of *cert*."""
    serial = cert.serial_number.to_bytes(20, "big").lstrip(b"\0").hex(":")
    # Every certificate here is signed with ECDSA P-256 / SHA-256.
    sig = "ecdsa-with-SHA256"
    return textwrap.dedent(f"""\
        Certificate:
            Data:
                Version: 3 (0x2)
                Serial Number:
                    {serial}
                Signature Algorithm: {sig}
                Issuer: {_openssl_name(cert.issuer)}
                Validity
                    Not Before: {_openssl_time(cert.not_valid_before_utc)}
                    Not After : {_openssl_time(cert.not_valid_after_utc)}
                Subject: {_openssl_name(cert.subject)}
        """).encode()


def _openssl_time(when: dt.datetime) -> str:
    """Format *when* as OpenSSL does: ``Jan  1 00:00:00 2025 GMT``."""
    return f"{when:%b} {when.day:2d} {when:%H:%M:%S %Y} GMT"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"wrote {path.relative_to(HERE.parent)} ({len(data)} bytes)")


# --------------------------------------------------------------------- demo


def make_demo() -> None:
    """The JupyterHub reference page's example, re-created as a private CA."""
    org = "certchain demo"
    root = _issue(_name("certchain Demo Root CA", org), _rsa(), None, ca=True)
    inter = _issue(
        _name("certchain Demo Intermediate CA L1K", org), _rsa(), root,
        ca=True, path_length=0,
    )
    leaf = _issue(
        _name("hub.example.org", org), _rsa(), inter, ca=False,
        san=[
            x509.DNSName("hub.example.org"),
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
        ],
    )
    # Entrust's download page puts a few lines of prose before the PEM block;
    # the loader must skip them.
    preamble = textwrap.dedent("""\
        certchain demo intermediate certificate (NOT an Entrust certificate)

        This file imitates a CA download: a few lines of text, then the
        certificate.  Issued by a private demo CA for certchain's tests.
        Subject: O=certchain demo, CN=certchain Demo Intermediate CA L1K
        Valid: 2025-01-01 to 2075-01-01

        """).encode()
    _write(DEMO / "example_host.crt", _pem(leaf.cert))
    _write(DEMO / "example_host.key", _pkcs8(leaf.key))
    _write(DEMO / "Entrust_L1Kroot.txt", preamble + _pem(inter.cert))
    _write(DEMO / "Entrust_Root.txt", _pem(root.cert))
    _write(DEMO / ".gitignore", b"# outputs of `certchain build` in the README walk-through\n"
           b"*-chained.crt\n")


# ------------------------------------------------------------------ formats


def make_formats() -> None:
    """One small P-256 hierarchy, written in every encoding the loader accepts."""
    org = "certchain formats fixtures"
    root = _issue(_name("certchain Formats Root CA", org), _p256(), None, ca=True)
    inter = _issue(
        _name("certchain Formats Intermediate CA", org), _p256(), root,
        ca=True, path_length=0,
    )
    leaf = _issue(
        _name("formats.example.org", org), _p256(), inter, ca=False,
        san=[x509.DNSName("formats.example.org")],
    )
    chain = [leaf.cert, inter.cert, root.cert]
    out = FORMATS

    _write(out / "leaf.der", leaf.cert.public_bytes(Encoding.DER))
    _write(out / "chain.p7b", pkcs7.serialize_certificates(chain, Encoding.PEM))
    _write(out / "chain-der.p7b", pkcs7.serialize_certificates(chain, Encoding.DER))

    name = b"formats.example.org"
    cas = [inter.cert, root.cert]
    _write(out / "bundle.pfx", pkcs12.serialize_key_and_certificates(
        name, leaf.key, leaf.cert, cas, BestAvailableEncryption(PASSWORD)))
    _write(out / "nopass.p12", pkcs12.serialize_key_and_certificates(
        name, leaf.key, leaf.cert, cas, NoEncryption()))
    # What older Windows and Java exports produce: 3DES bags, SHA-1 MAC.
    legacy = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
        .build(PASSWORD)
    )
    _write(out / "legacy.pfx", pkcs12.serialize_key_and_certificates(
        name, leaf.key, leaf.cert, cas, legacy))

    noisy = b"".join(_text_dump(c) + _pem(c) for c in (leaf.cert, inter.cert))
    _write(out / "crlf-noise.pem", noisy.replace(b"\n", b"\r\n"))
    _write(out / "bom.pem", b"\xef\xbb\xbf" + _pem(leaf.cert))
    _write(out / "bag-attributes.pem", _bag_attributes(leaf, cas, name))
    _write(out / "trusted.pem", _trusted_certificate(root.cert))

    _write(out / "encrypted-key.pem", _pkcs8(leaf.key, PASSWORD))
    _write(out / "rsa-traditional.key", _rsa().private_bytes(
        Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption()))
    # `openssl ecparam -name prime256v1 -genkey` output: the curve, then the key.
    ec_params = (
        b"-----BEGIN EC PARAMETERS-----\n"
        + textwrap.fill(_b64(b"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07"), 64).encode()
        + b"\n-----END EC PARAMETERS-----\n"
    )
    _write(out / "ec-params.key", ec_params + leaf.key.private_bytes(
        Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption()))
    _write(out / "fullchain-shuffled.pem", b"".join(
        _pem(c) for c in (root.cert, leaf.cert, inter.cert)))

    # Bad inputs: each must raise LoadError naming the file.
    _write(out / "empty.crt", b"")
    _write(out / "junk.bin", _junk(256))
    leaf_pem = _pem(leaf.cert)
    _write(out / "truncated.pem", leaf_pem[: len(leaf_pem) // 2])
    _write(out / "corrupt-base64.pem", _corrupt_base64(leaf_pem))
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name("formats.example.org", org))
        .sign(leaf.key, hashes.SHA256())
    )
    _write(out / "csr.pem", csr.public_bytes(Encoding.PEM))
    _write(out / "text.txt", textwrap.dedent("""\
        Thank you for your order!

        Your certificate for formats.example.org has been issued. Download the
        certificate files from your account page and install them on your
        server together with the intermediate certificates.
        """).encode())
    _write(out / "password.txt", PASSWORD + b"\n")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _bag_attributes(leaf: Issued, cas: list[x509.Certificate], name: bytes) -> bytes:
    """Return what ``openssl pkcs12 -in bundle.pfx -nodes`` (OpenSSL 3.0) prints."""
    # OpenSSL's localKeyID is the SHA-1 of the certificate's DER encoding.
    key_id = hashlib.sha1(leaf.cert.public_bytes(Encoding.DER)).digest()
    key_id_text = " ".join(f"{b:02X}" for b in key_id) + " "
    attributes = (
        f"Bag Attributes\n"
        f"    localKeyID: {key_id_text}\n"
        f"    friendlyName: {name.decode()}\n"
    ).encode()

    def cert_part(cert: x509.Certificate, attrs: bytes) -> bytes:
        return (
            attrs
            + f"subject={_openssl_name(cert.subject)}\n".encode()
            + f"issuer={_openssl_name(cert.issuer)}\n".encode()
            + _pem(cert)
        )

    parts = [cert_part(leaf.cert, attributes)]
    parts += [cert_part(c, b"Bag Attributes: <No Attributes>\n") for c in cas]
    parts.append(attributes + b"Key Attributes: <No Attributes>\n" + _pkcs8(leaf.key))
    return b"".join(parts)


def _trusted_certificate(cert: x509.Certificate) -> bytes:
    """
    Return *cert* as OpenSSL's ``TRUSTED CERTIFICATE`` (X509_AUX) PEM block.

    Equivalent to ``openssl x509 -addtrust serverAuth -setalias ... -trustout``:
    the DER certificate followed by X509_CERT_AUX ::= SEQUENCE {
    trust SEQUENCE OF OBJECT IDENTIFIER, alias UTF8String }.
    """
    server_auth = b"\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x01"  # 1.3.6.1.5.5.7.3.1
    alias = b"certchain formats root"
    trust = b"\x30" + bytes([len(server_auth)]) + server_auth
    alias_der = b"\x0c" + bytes([len(alias)]) + alias
    aux_body = trust + alias_der
    aux = b"\x30" + bytes([len(aux_body)]) + aux_body
    der = cert.public_bytes(Encoding.DER) + aux
    body = "\n".join(textwrap.wrap(_b64(der), 64))
    return (
        f"-----BEGIN TRUSTED CERTIFICATE-----\n{body}\n"
        "-----END TRUSTED CERTIFICATE-----\n"
    ).encode()


def _junk(size: int) -> bytes:
    """Return reproducible random-looking bytes that are neither DER nor UTF-8."""
    out = b""
    block = b"certchain junk"
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    # 0xFF never occurs in UTF-8 and is not the DER SEQUENCE tag (0x30).
    return b"\xff" + out[1:size]


def _corrupt_base64(pem: bytes) -> bytes:
    """Keep BEGIN/END but damage the body with characters base64 does not use."""
    lines = pem.splitlines(keepends=True)
    middle = len(lines) // 2
    line = lines[middle]
    lines[middle] = b"!!" + line[2:10] + b"*#%" + line[13:]
    return b"".join(lines)


def main() -> None:
    make_demo()
    make_formats()


if __name__ == "__main__":
    main()
