"""
Raw fields: the names and public key read as DER bytes without decoding
(certchain/rawcert.py), which the loader and the path search use instead of
cryptography's decoded objects to stay fast at 100,000 candidates.  These
tests hold them to what cryptography decodes, on every certificate at hand.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.utils import CryptographyDeprecationWarning
from pki import PKI, damaged_name, hierarchy, legacy_signed, new_key, path_pool

from certchain.rawcert import fields_of, fields_of_der, key_id, plain_name

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "limbo"




def corpus_certificates() -> Iterator[x509.Certificate]:
    """Every certificate of the x509-limbo subset that cryptography loads."""
    path = CORPUS / "limbo-subset.json"
    if not path.exists():
        return
    for case in json.loads(path.read_text())["testcases"]:
        for text in (*case["trusted_certs"], *case["untrusted_intermediates"],
                     case["peer_certificate"]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)  # serial <= 0
                try:
                    cert = x509.load_pem_x509_certificate(text.encode())
                except ValueError:
                    continue
            yield cert


def pki_certificates() -> list[x509.Certificate]:
    pki = PKI()
    chain = hierarchy(pki, "www.example.org", "*.example.org")
    rsa_root = pki.root("RSA Root", key=new_key("rsa"))
    certs = [chain.root.cert, chain.intermediate.cert, chain.leaf.cert, rsa_root.cert,
             pki.leaf(rsa_root, "rsa.example.org", key=new_key("ed25519")).cert,
             legacy_signed(chain.leaf.cert, chain.intermediate.key, hashes.SHA1())]
    certs += path_pool(pki, "mesh", size=4).cas
    return certs


def decoded(cert: x509.Certificate) -> tuple[bytes, bytes, bytes]:
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return cert.issuer.public_bytes(), cert.subject.public_bytes(), spki


class TestFields:
    def test_equal_to_the_decoded_fields_on_the_test_pki(self) -> None:
        """Issuer, subject and key bytes are those cryptography decodes, from DER and from TBS."""
        for cert in pki_certificates():
            der = cert.public_bytes(Encoding.DER)
            fields = fields_of_der(der)

            assert fields is not None
            assert fields == fields_of(cert)
            assert (fields.issuer, fields.subject) == decoded(cert)[:2]

    def test_equal_to_the_decoded_fields_on_the_limbo_corpus(self) -> None:
        """On every loadable certificate of x509-limbo (odd encodings included), bytes agree."""
        seen = 0
        for cert in corpus_certificates():
            try:
                issuer, subject, _ = decoded(cert)
            except (ValueError, TypeError):
                continue  # a name or key cryptography cannot decode: nothing to compare
            fields = fields_of(cert)
            assert (fields.issuer, fields.subject) == (issuer, subject)
            assert fields == fields_of_der(cert.public_bytes(Encoding.DER))
            seen += 1
        if CORPUS.exists():
            assert seen > 300

    def test_not_a_certificate_is_none(self) -> None:
        """Bytes that are not laid out as a certificate give None, never an exception."""
        for junk in (b"", b"\x30", b"\x30\x82\xff", b"\x04\x03abc", b"\x30\x03\x02\x01\x01"):
            assert fields_of_der(junk) is None


class TestPlainName:
    def test_plain_names_are_recognised(self) -> None:
        """The names the test PKI writes (one ASCII UTF8String per RDN) are plain."""
        for cert in pki_certificates():
            fields = fields_of(cert)
            assert plain_name(fields.subject) and plain_name(fields.issuer)

    @pytest.mark.parametrize("field", ["subject", "issuer"])
    def test_sound_under_every_bit_flip(self, field: str) -> None:
        """A name said plain always decodes: every single bit flip of a name is tried."""
        cert = hierarchy(PKI(), "www.example.org").intermediate.cert
        der = cert.public_bytes(Encoding.DER)
        name = getattr(cert, field).public_bytes()
        start = der.index(name) if field == "issuer" else der.rindex(name)
        plain = undecodable = 0
        for bit in range(len(name) * 8):
            flipped = bytearray(der)
            flipped[start + bit // 8] ^= 1 << (bit % 8)
            try:
                mutant = x509.load_der_x509_certificate(bytes(flipped))
            except ValueError:
                continue
            fields = fields_of(mutant)
            raw = fields.subject if field == "subject" else fields.issuer
            try:
                getattr(mutant, field)
            except ValueError:
                undecodable += 1
                assert not plain_name(raw), bit
            else:
                plain += plain_name(raw)
        assert undecodable > 0 and plain > 0  # both sides were met

    def test_damaged_name_is_not_plain(self) -> None:
        """The test factory's damaged names are never taken for plain ones."""
        chain = hierarchy(PKI(), "www.example.org")
        for field in ("subject", "issuer"):
            damaged = damaged_name(chain.intermediate.cert, field)
            fields = fields_of(damaged)
            assert not plain_name(fields.subject if field == "subject" else fields.issuer)

    def test_other_forms_are_not_known(self) -> None:
        """Several attributes in one RDN, a BMPString, non-ASCII UTF-8: decode to find out."""
        multi = x509.Name([x509.RelativeDistinguishedName([
            x509.NameAttribute(x509.NameOID.COMMON_NAME, "a"),
            x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "b"),
        ])])
        bmp = x509.Name([x509.NameAttribute(
            x509.NameOID.COMMON_NAME, "a", _type=x509.name._ASN1Type.BMPString
        )])
        accented = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Zürich")])

        assert not plain_name(multi.public_bytes())
        assert not plain_name(bmp.public_bytes())
        assert not plain_name(accented.public_bytes())


class TestKeyId:
    @pytest.mark.parametrize("kind", ["ec", "rsa", "ed25519"])
    def test_is_rfc5280_method_one(self, kind: str) -> None:
        """key_id is the SHA-1 of the key's BIT STRING, as cryptography computes it."""
        root = PKI().root("Key Root", key=new_key(kind))

        expected = x509.SubjectKeyIdentifier.from_public_key(root.cert.public_key()).digest
        assert key_id(fields_of(root.cert).spki) == expected

    def test_not_a_key_is_none(self) -> None:
        """Bytes that are not a SubjectPublicKeyInfo give None."""
        assert key_id(b"\x30\x03\x04\x01\x00") is None
        assert key_id(b"") is None


def der(tag: int, content: bytes) -> bytes:
    """One DER element (short or long length)."""
    size = len(content)
    length = bytes([size]) if size < 0x80 else bytes([0x81, size])
    return bytes([tag]) + length + content


def one_attribute_name(oid: bytes, value: bytes, tag: int = 0x0C) -> bytes:
    return der(0x30, der(0x31, der(0x30, oid + der(tag, value))))


class TestLengths:
    CN = bytes.fromhex("0603550403")
    COUNTRY = bytes.fromhex("0603550406")

    @pytest.mark.parametrize(("oid", "value", "plain"), [
        (CN, b"a" * 64, True), (CN, b"a" * 65, False), (CN, b"", False),
        (COUNTRY, b"US", True), (COUNTRY, b"USA", False),
        (bytes.fromhex("060355040a"), b"o" * 100, True),  # no limit on an organisation
    ])
    def test_lengths_cryptography_warns_about_are_not_plain(
        self, oid: bytes, value: bytes, plain: bool
    ) -> None:
        """A value whose length makes cryptography warn when decoding is decoded at load."""
        name = one_attribute_name(oid, value)

        assert plain_name(name) is plain
