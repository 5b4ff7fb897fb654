"""Tests for certchain.load: every input format, every bad input, sibling keys."""

from __future__ import annotations

import base64
import ipaddress
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import testdata
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    pkcs7,
    pkcs12,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pki import PKI, Hierarchy, hierarchy, key_pem, new_key

from certchain import (
    BadPassword,
    Format,
    LoadError,
    Material,
    PasswordRequired,
    load_bytes,
    load_file,
    load_files,
    sibling_key,
)
from certchain.model import fingerprint

# conftest's helper is named like a test; without this pytest collects it here.
testdata.__test__ = False  # type: ignore[attr-defined]

PASSWORD = b"certchain"
LEAF_CN = "formats.example.org"
INTERMEDIATE_CN = "certchain Formats Intermediate CA"
ROOT_CN = "certchain Formats Root CA"


def formats(name: str) -> Path:
    """Return the path of a fixture in testdata/formats."""
    return testdata("formats", name)


def demo(name: str) -> Path:
    """Return the path of a fixture in testdata/demo."""
    return testdata("demo", name)


def _cn(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def _spki(public_key: Any) -> bytes:
    return public_key.public_bytes(  # type: ignore[no-any-return]
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="module")
def ref() -> dict[str, str]:
    """
    Fingerprint -> role of the formats hierarchy.

    Read with cryptography directly, so the oracle does not depend on the
    code under test.
    """
    data = formats("fullchain-shuffled.pem").read_bytes()
    roles = {LEAF_CN: "leaf", INTERMEDIATE_CN: "intermediate", ROOT_CN: "root"}
    return {
        fingerprint(c): roles[_cn(c)] for c in x509.load_pem_x509_certificates(data)
    }


@pytest.fixture(scope="module")
def leaf_cert() -> x509.Certificate:
    """The formats leaf, read with cryptography directly from leaf.der."""
    return x509.load_der_x509_certificate(formats("leaf.der").read_bytes())


def roles(material: Material, ref: dict[str, str]) -> list[str]:
    """Return the role of each loaded certificate, by fingerprint ("?" if unknown)."""
    return [ref.get(c.sha256, "?") for c in material.certs]


def assert_key_of(material: Material, cert: x509.Certificate) -> None:
    """Assert *material* holds exactly one key, the private half of *cert*."""
    assert len(material.keys) == 1
    assert _spki(cert.public_key()) == _spki(material.keys[0].key.public_key())


def assert_one_line(exc: BaseException) -> None:
    """Assert the message is a single line (the CLI prints it after "error:")."""
    assert "\n" not in str(exc)
    assert "\r" not in str(exc)


def _pem_block(label: bytes, der: bytes) -> bytes:
    return (
        b"-----BEGIN " + label + b"-----\n" + base64.encodebytes(der)
        + b"-----END " + label + b"-----\n"
    )


@pytest.fixture(scope="module")
def h() -> Hierarchy:
    """A generated root -> intermediate -> leaf hierarchy (P-256)."""
    return hierarchy(PKI(), "hub.example.org")


# ---------------------------------------------------------------- fixtures


class TestStoredFormats:
    """Each committed fixture in testdata/formats loads to the right objects."""

    @pytest.mark.parametrize(
        ("name", "expected", "fmt"),
        [
            ("leaf.der", ["leaf"], Format.DER),
            ("bom.pem", ["leaf"], Format.PEM),
            ("crlf-noise.pem", ["leaf", "intermediate"], Format.PEM),
            ("bag-attributes.pem", ["leaf", "intermediate", "root"], Format.PEM),
            ("trusted.pem", ["root"], Format.PEM),
            ("fullchain-shuffled.pem", ["root", "leaf", "intermediate"], Format.PEM),
        ],
    )
    def test_certificates_in_file_order(
        self, name: str, expected: list[str], fmt: Format, ref: dict[str, str]
    ) -> None:
        """A PEM or DER fixture yields its certificates in file order, with their format."""
        material = load_file(formats(name))

        assert expected == roles(material, ref)
        assert {fmt} == {c.source.format for c in material.certs}
        assert {formats(name)} == {c.source.path for c in material.certs}

    @pytest.mark.parametrize("name", ["chain.p7b", "chain-der.p7b"])
    def test_pkcs7_yields_whole_chain(self, name: str, ref: dict[str, str]) -> None:
        """A PKCS#7 bundle, PEM or DER, yields leaf, intermediate and root."""
        material = load_file(formats(name))

        # PKCS#7 certificates are a SET OF (RFC 5652 section 5.1): no order.
        assert sorted(roles(material, ref)) == ["intermediate", "leaf", "root"]
        assert {Format.PKCS7} == {c.source.format for c in material.certs}
        assert [c.source.index for c in material.certs] == [0, 1, 2]
        assert material.keys == ()

    def test_pem_and_der_pkcs7_agree(self) -> None:
        """The PEM and DER PKCS#7 fixtures hold the same certificates."""
        pem = load_file(formats("chain.p7b"))
        der = load_file(formats("chain-der.p7b"))

        assert [c.sha256 for c in pem.certs] == [c.sha256 for c in der.certs]

    def test_der_leaf_equals_pem_leaf(self) -> None:
        """The DER leaf is byte-for-byte the leaf of the PEM bundles."""
        der = load_file(formats("leaf.der")).certs[0]
        bom = load_file(formats("bom.pem")).certs[0]
        crlf = load_file(formats("crlf-noise.pem")).certs[0]

        assert der.sha256 == bom.sha256 == crlf.sha256

    @pytest.mark.parametrize(
        ("name", "password"),
        [("bundle.pfx", PASSWORD), ("legacy.pfx", PASSWORD), ("nopass.p12", None)],
    )
    def test_pkcs12_yields_key_leaf_and_cas(
        self, name: str, password: bytes | None, ref: dict[str, str],
        leaf_cert: x509.Certificate,
    ) -> None:
        """A PKCS#12 file yields the leaf, its CAs and the leaf's key."""
        material = load_file(formats(name), password=password)

        assert roles(material, ref) == ["leaf", "intermediate", "root"]
        assert_key_of(material, leaf_cert)
        assert {Format.PKCS12} == {c.source.format for c in material.certs}
        assert Format.PKCS12 is material.keys[0].source.format
        # Key first, then certificates: indexes are unique within the file.
        indexes = [material.keys[0].source.index] + [c.source.index for c in material.certs]
        assert sorted(indexes) == [0, 1, 2, 3]

    def test_bag_attributes_key_is_the_leaf_key(self, leaf_cert: x509.Certificate) -> None:
        """The key that `openssl pkcs12 -nodes` printed after the certificates is loaded."""
        material = load_file(formats("bag-attributes.pem"))

        assert_key_of(material, leaf_cert)
        assert material.keys[0].source.index == 3
        assert not material.keys[0].encrypted

    def test_trusted_certificate_drops_aux_data(self, ref: dict[str, str]) -> None:
        """A TRUSTED CERTIFICATE block yields the certificate without OpenSSL's trust settings."""
        cert = load_file(formats("trusted.pem")).certs[0].cert

        assert ref[fingerprint(cert)] == "root"
        assert _cn(cert) == ROOT_CN

    def test_encrypted_key_with_password(self, leaf_cert: x509.Certificate) -> None:
        """An encrypted PKCS#8 key loads with the right password and is marked encrypted."""
        material = load_file(formats("encrypted-key.pem"), password=PASSWORD)

        assert_key_of(material, leaf_cert)
        assert material.keys[0].encrypted
        assert material.certs == ()

    def test_password_file_holds_the_password(self) -> None:
        """password.txt holds the fixtures' password and one newline."""
        assert formats("password.txt").read_bytes() == PASSWORD + b"\n"

    def test_rsa_traditional_key(self) -> None:
        """A `BEGIN RSA PRIVATE KEY` (PKCS#1) block loads as an RSA key."""
        material = load_file(formats("rsa-traditional.key"))

        (key,) = material.keys
        assert isinstance(key.key, rsa.RSAPrivateKey)
        assert key.key.key_size == 2048
        assert Format.PEM is key.source.format
        assert not key.encrypted

    def test_ec_parameters_block_is_skipped(self, leaf_cert: x509.Certificate) -> None:
        """The EC PARAMETERS block before an EC key is skipped and the key still loads."""
        material = load_file(formats("ec-params.key"))

        assert_key_of(material, leaf_cert)
        assert isinstance(material.keys[0].key, ec.EllipticCurvePrivateKey)
        assert material.keys[0].source.index == 0
        assert material.certs == ()

    @pytest.mark.parametrize(
        ("name", "block"),
        [("encrypted-key.pem", 1), ("bundle.pfx", None), ("legacy.pfx", None)],
    )
    def test_password_required(self, name: str, block: int | None) -> None:
        """An encrypted key or PKCS#12 file without a password raises PasswordRequired naming it."""
        with pytest.raises(PasswordRequired) as info:
            load_file(formats(name))

        message = str(info.value)
        assert message.startswith(str(formats(name)))
        assert "needs a password" in message
        assert (f"(block {block})" in message) is (block is not None)
        assert_one_line(info.value)

    @pytest.mark.parametrize("name", ["encrypted-key.pem", "bundle.pfx", "legacy.pfx"])
    def test_bad_password(self, name: str) -> None:
        """A wrong password raises BadPassword naming the file."""
        with pytest.raises(BadPassword) as info:
            load_file(formats(name), password=b"not the password")

        assert str(info.value).startswith(str(formats(name)))
        assert "password does not decrypt" in str(info.value)
        assert_one_line(info.value)

    @pytest.mark.parametrize("password", [None, b"", b"some other file's password"])
    def test_unencrypted_pkcs12_ignores_password(
        self, password: bytes | None, ref: dict[str, str]
    ) -> None:
        """A PKCS#12 file without a password loads whatever password comes with other inputs."""
        material = load_file(formats("nopass.p12"), password=password)

        assert roles(material, ref) == ["leaf", "intermediate", "root"]
        assert len(material.keys) == 1


class TestBadInputs:
    """Every bad fixture raises a one-line LoadError that names the file."""

    @pytest.mark.parametrize(
        ("name", "fragment", "block"),
        [
            ("empty.crt", "is empty", None),
            ("junk.bin", "unrecognised binary data", None),
            ("truncated.pem", "CERTIFICATE block has no END line", 1),
            ("corrupt-base64.pem", "CERTIFICATE block is not valid base64", 1),
            ("csr.pem", "holds a CERTIFICATE REQUEST block", 1),
            ("text.txt", "holds no PEM block", None),
            ("password.txt", "holds no PEM block", None),
        ],
    )
    def test_bad_fixture(self, name: str, fragment: str, block: int | None) -> None:
        """A bad input raises LoadError with the path, the block number and the reason."""
        path = formats(name)

        with pytest.raises(LoadError) as info:
            load_file(path)

        exc = info.value
        where = f"{path} (block {block}): " if block else f"{path}: "
        assert str(exc).startswith(where)
        assert fragment in str(exc)
        assert path == exc.path
        assert (block - 1 if block else None) == exc.block
        assert not isinstance(exc, PasswordRequired)
        assert_one_line(exc)

    @pytest.mark.parametrize("name", ["truncated.pem", "corrupt-base64.pem"])
    def test_damaged_file_says_copy_again(self, name: str) -> None:
        """A damaged PEM file tells the user to fetch it again from the CA."""
        with pytest.raises(LoadError, match="copy it again from your certificate authority"):
            load_file(formats(name))

    def test_bad_input_with_password_is_not_a_password_problem(self) -> None:
        """Junk stays a plain LoadError when a password is supplied."""
        with pytest.raises(LoadError) as info:
            load_file(formats("junk.bin"), password=PASSWORD)

        assert type(info.value) is LoadError

    def test_missing_file(self, tmp_path: Path) -> None:
        """A path that does not exist raises LoadError naming it."""
        path = tmp_path / "nope.crt"

        with pytest.raises(LoadError, match="does not exist") as info:
            load_file(path)

        assert str(info.value).startswith(f"{path}: ")

    def test_directory(self, tmp_path: Path) -> None:
        """A directory given as a file raises LoadError naming it."""
        with pytest.raises(LoadError, match="is a directory") as info:
            load_file(tmp_path)

        assert str(info.value).startswith(f"{tmp_path}: ")


# ------------------------------------------------------------ generated data


class TestLoadBytes:
    """load_bytes over generated certificates and keys."""

    def test_pem_bundle_keeps_order(self, h: Hierarchy) -> None:
        """A PEM bundle yields its certificates in file order with increasing indexes."""
        material = load_bytes(h.root.pem + h.leaf.pem + h.intermediate.pem)

        assert [h.root.cert, h.leaf.cert, h.intermediate.cert] == [
            c.cert for c in material.certs
        ]
        assert [c.source.index for c in material.certs] == [0, 1, 2]
        assert {None} == {c.source.path for c in material.certs}

    def test_text_around_blocks_is_ignored(self, h: Hierarchy) -> None:
        """Text before, between and after PEM blocks is ignored."""
        data = (
            b"subject=CN = leaf\nSome text\n" + h.leaf.pem
            + b"\n\n# intermediate follows\n" + h.intermediate.pem + b"trailing words\n"
        )

        material = load_bytes(data)

        assert [h.leaf.cert, h.intermediate.cert] == [c.cert for c in material.certs]

    @pytest.mark.parametrize(
        "newline", [b"\r\n", b"\r"], ids=["crlf", "cr"]
    )
    def test_other_line_endings(self, h: Hierarchy, newline: bytes) -> None:
        """Certificates and keys with CRLF or old-Mac CR line endings load."""
        data = (h.leaf.pem + h.leaf.key_pem).replace(b"\n", newline)

        material = load_bytes(data)

        assert [h.leaf.cert] == [c.cert for c in material.certs]
        assert_key_of(material, h.leaf.cert)

    def test_bom_before_pem(self, h: Hierarchy) -> None:
        """A UTF-8 byte-order mark before the PEM text is ignored."""
        material = load_bytes(b"\xef\xbb\xbf" + h.leaf.pem)

        assert [h.leaf.cert] == [c.cert for c in material.certs]

    def test_der_certificate(self, h: Hierarchy) -> None:
        """A DER certificate yields one certificate marked DER."""
        material = load_bytes(h.leaf.cert.public_bytes(Encoding.DER))

        (loaded,) = material.certs
        assert h.leaf.cert == loaded.cert
        assert Format.DER is loaded.source.format

    @pytest.mark.parametrize(
        "label", [b"X509 CERTIFICATE", b"CERTIFICATE"]
    )
    def test_certificate_labels(self, h: Hierarchy, label: bytes) -> None:
        """Both the modern and the old SSLeay certificate labels are read."""
        data = _pem_block(label, h.leaf.cert.public_bytes(Encoding.DER))

        assert [h.leaf.cert] == [c.cert for c in load_bytes(data).certs]

    @pytest.mark.parametrize(
        "label", [b"PKCS7", b"PKCS #7 SIGNED DATA", b"CERTIFICATE CHAIN"]
    )
    def test_pkcs7_labels(self, h: Hierarchy, label: bytes) -> None:
        """A PEM PKCS#7 block is read under each label tools use for it."""
        der = pkcs7.serialize_certificates([h.leaf.cert, h.intermediate.cert], Encoding.DER)

        material = load_bytes(_pem_block(label, der))

        assert {h.leaf.cert, h.intermediate.cert} == {c.cert for c in material.certs}
        assert {Format.PKCS7} == {c.source.format for c in material.certs}

    def test_pkcs7_indexes_follow_earlier_blocks(self, h: Hierarchy) -> None:
        """Certificates from a PKCS#7 block after a PEM certificate get the next indexes."""
        p7 = pkcs7.serialize_certificates([h.intermediate.cert, h.root.cert], Encoding.PEM)

        material = load_bytes(h.leaf.pem + p7)

        assert [c.source.index for c in material.certs] == [0, 1, 2]
        formats_seen = [c.source.format for c in material.certs]
        assert formats_seen == [Format.PEM, Format.PKCS7, Format.PKCS7]

    def test_pkcs12_certificates_only(self, h: Hierarchy) -> None:
        """A PKCS#12 file holding only certificates loads without a key."""
        data = pkcs12.serialize_key_and_certificates(
            None, None, None, [h.intermediate.cert, h.root.cert], NoEncryption()
        )

        material = load_bytes(data)

        assert {h.intermediate.cert, h.root.cert} == {c.cert for c in material.certs}
        assert material.keys == ()

    def test_pkcs12_round_trip(self, h: Hierarchy) -> None:
        """A password-protected PKCS#12 built from the hierarchy loads back to it."""
        data = pkcs12.serialize_key_and_certificates(
            b"hub", h.leaf.key, h.leaf.cert, [h.intermediate.cert],
            BestAvailableEncryption(b"s3cret"),
        )

        material = load_bytes(data, password=b"s3cret")

        assert [h.leaf.cert, h.intermediate.cert] == [c.cert for c in material.certs]
        assert_key_of(material, h.leaf.cert)

    def test_key_and_certificate_in_one_pem(self, h: Hierarchy) -> None:
        """A combined key + chain PEM yields both, with indexes in file order."""
        material = load_bytes(h.leaf.key_pem + h.leaf.pem + h.intermediate.pem)

        assert_key_of(material, h.leaf.cert)
        assert material.keys[0].source.index == 0
        assert [c.source.index for c in material.certs] == [1, 2]

    def test_unencrypted_key_ignores_password(self, h: Hierarchy) -> None:
        """An unencrypted key loads when a password meant for other inputs is supplied."""
        material = load_bytes(h.leaf.key_pem, password=b"for the pfx")

        assert_key_of(material, h.leaf.cert)
        assert not material.keys[0].encrypted

    @pytest.mark.parametrize(
        "kind", ["rsa", "ed25519", "dsa"]
    )
    def test_other_key_types(self, kind: str) -> None:
        """RSA, Ed25519 and DSA PKCS#8 keys load."""
        key = new_key(kind)

        material = load_bytes(key_pem(key))

        assert _spki(key.public_key()) == _spki(material.keys[0].key.public_key())


class TestEncryptedKeys:
    """Passwords for PEM and DER keys: required, wrong, right."""

    @staticmethod
    def _encodings(h: Hierarchy) -> dict[str, bytes]:
        enc = BestAvailableEncryption(b"pw")
        return {
            "pkcs8-pem": key_pem(h.leaf.key, b"pw"),
            "traditional-pem": h.leaf.key.private_bytes(
                Encoding.PEM, PrivateFormat.TraditionalOpenSSL, enc
            ),
            "pkcs8-der": h.leaf.key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, enc),
        }

    @pytest.mark.parametrize("form", ["pkcs8-pem", "traditional-pem", "pkcs8-der"])
    def test_password_required(self, h: Hierarchy, form: str) -> None:
        """An encrypted key without a password raises PasswordRequired."""
        data = self._encodings(h)[form]

        with pytest.raises(PasswordRequired, match="needs a password") as info:
            load_bytes(data, source=Path("host.key"))

        assert str(info.value).startswith("host.key")
        assert_one_line(info.value)

    @pytest.mark.parametrize("form", ["pkcs8-pem", "traditional-pem", "pkcs8-der"])
    def test_bad_password(self, h: Hierarchy, form: str) -> None:
        """An encrypted key with a wrong password raises BadPassword."""
        data = self._encodings(h)[form]

        with pytest.raises(BadPassword) as info:
            load_bytes(data, source=Path("host.key"), password=b"wrong")

        assert str(info.value).startswith("host.key")

    @pytest.mark.parametrize("form", ["pkcs8-pem", "traditional-pem", "pkcs8-der"])
    def test_right_password(self, h: Hierarchy, form: str) -> None:
        """An encrypted key with the right password loads and is marked encrypted."""
        data = self._encodings(h)[form]

        material = load_bytes(data, password=b"pw")

        assert_key_of(material, h.leaf.cert)
        assert material.keys[0].encrypted

    def test_password_errors_are_load_errors(self) -> None:
        """PasswordRequired and BadPassword are LoadErrors, so one handler catches all."""
        assert issubclass(PasswordRequired, LoadError)
        assert issubclass(BadPassword, LoadError)

    def test_encrypted_key_after_certificate_names_its_block(self, h: Hierarchy) -> None:
        """An encrypted key in the second block of a file is reported as block 2."""
        with pytest.raises(PasswordRequired) as info:
            load_bytes(h.leaf.pem + key_pem(h.leaf.key, b"pw"), source=Path("both.pem"))

        assert str(info.value).startswith("both.pem (block 2): ")

    def test_damaged_encrypted_key_is_not_a_wrong_password(self, h: Hierarchy) -> None:
        """A damaged encrypted key block is reported as damaged, not as a wrong password."""
        lines = key_pem(h.leaf.key, b"pw").splitlines(keepends=True)
        lines[2] = b"!!!!" + lines[2][4:]

        with pytest.raises(LoadError) as info:
            load_bytes(b"".join(lines), source=Path("host.key"), password=b"pw")

        assert not isinstance(info.value, BadPassword)
        assert "password" not in str(info.value)


class TestFormatDetection:
    """The format comes from the bytes, never from the file name."""

    @pytest.mark.parametrize(
        ("original", "misleading"),
        [
            ("leaf.der", "leaf.pem"),
            ("chain-der.p7b", "chain.crt"),
            ("chain.p7b", "chain.der"),
            ("nopass.p12", "host.pem"),
            ("fullchain-shuffled.pem", "bundle.p12"),
            ("ec-params.key", "host.crt"),
            ("trusted.pem", "root.der"),
        ],
    )
    def test_misleading_name(self, tmp_path: Path, original: str, misleading: str) -> None:
        """A file renamed with the wrong extension loads exactly like the original."""
        copy = tmp_path / misleading
        shutil.copyfile(formats(original), copy)

        expected = load_file(formats(original))
        got = load_file(copy)

        assert [c.sha256 for c in expected.certs] == [c.sha256 for c in got.certs]
        assert [c.source.format for c in expected.certs] == [
            c.source.format for c in got.certs
        ]
        assert len(expected.keys) == len(got.keys)
        assert {copy} == {c.source.path for c in got.certs} | {
            k.source.path for k in got.keys
        }

    def test_bytes_without_a_name(self) -> None:
        """load_bytes without a source gives the same certificates as load_file."""
        data = formats("chain-der.p7b").read_bytes()

        assert [c.sha256 for c in load_bytes(data).certs] == [
            c.sha256 for c in load_file(formats("chain-der.p7b")).certs
        ]

    @pytest.mark.parametrize("name", ["empty.crt", "junk.bin", "text.txt"])
    def test_bad_input_named_like_a_certificate(self, tmp_path: Path, name: str) -> None:
        """A bad input is still refused when its name promises a certificate."""
        copy = tmp_path / "host.crt"
        shutil.copyfile(formats(name), copy)

        with pytest.raises(LoadError) as info:
            load_file(copy)

        assert str(info.value).startswith(f"{copy}: ")


class TestLoadErrors:
    """Bad generated inputs: the message names the file, the block and the problem."""

    @pytest.mark.parametrize(
        ("data", "fragment"),
        [
            (b"", "is empty"),
            (b"  \r\n\t\n", "is empty"),
            (b"\xef\xbb\xbf", "is empty"),
            (b"\x30\x82\x01\x00" + bytes(20), "is DER data but not a certificate"),
            (b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
             b"-----END EC PARAMETERS-----\n", "holds no certificate and no private key"),
            (b"hello, I am not a certificate\n", "holds no PEM block"),
        ],
        ids=["empty", "whitespace", "bom-only", "der-junk", "ec-params-only", "text"],
    )
    def test_nothing_usable(self, data: bytes, fragment: str) -> None:
        """Inputs holding no certificate or key raise LoadError rather than returning nothing."""
        with pytest.raises(LoadError) as info:
            load_bytes(data, source=Path("in.pem"))

        assert str(info.value).startswith("in.pem: ")
        assert fragment in str(info.value)
        assert_one_line(info.value)

    def test_no_source_is_named_data(self) -> None:
        """Without a source path the message names <data>."""
        with pytest.raises(LoadError) as info:
            load_bytes(b"")

        assert str(info.value).startswith("<data>: ")
        assert info.value.path is None

    def test_truncated_der_certificate(self, h: Hierarchy) -> None:
        """A DER certificate cut short raises LoadError that suggests truncation."""
        der = h.leaf.cert.public_bytes(Encoding.DER)

        with pytest.raises(LoadError, match="truncated or corrupt"):
            load_bytes(der[: len(der) // 2], source=Path("leaf.der"))

    def test_truncated_second_block(self, h: Hierarchy) -> None:
        """A bundle whose second block lost its END line names block 2."""
        data = h.leaf.pem + h.intermediate.pem[:200]

        with pytest.raises(LoadError) as info:
            load_bytes(data, source=Path("bundle.pem"))

        assert str(info.value).startswith("bundle.pem (block 2): ")
        assert "no END line" in str(info.value)
        assert info.value.block == 1

    def test_corrupt_third_block(self, h: Hierarchy) -> None:
        """A bundle whose third block has bad base64 names block 3."""
        lines = h.leaf.pem.splitlines(keepends=True)
        lines[3] = b"*" + lines[3][1:]
        data = h.root.pem + h.intermediate.pem + b"".join(lines)

        with pytest.raises(LoadError) as info:
            load_bytes(data, source=Path("bundle.pem"))

        assert str(info.value).startswith("bundle.pem (block 3): ")
        assert "not valid base64" in str(info.value)

    def test_ec_parameters_count_as_a_block(self, h: Hierarchy) -> None:
        """Block numbers count every PEM block, so they match what a text editor shows."""
        params = formats("ec-params.key").read_bytes().split(b"-----BEGIN EC PRIVATE")[0]
        csr = _pem_block(b"CERTIFICATE REQUEST", b"\x30\x00")

        with pytest.raises(LoadError) as info:
            load_bytes(params + h.leaf.pem + csr, source=Path("x.pem"))

        assert str(info.value).startswith("x.pem (block 3): holds a CERTIFICATE REQUEST block")

    @pytest.mark.parametrize(
        ("label", "der"),
        [
            (b"CERTIFICATE", b"\x30\x03\x02\x01\x01"),
            (b"TRUSTED CERTIFICATE", b"\x30\x03\x02\x01\x01"),
            (b"PKCS7", b"\x30\x03\x02\x01\x01"),
        ],
    )
    def test_well_formed_base64_wrong_content(self, label: bytes, der: bytes) -> None:
        """A block of valid base64 that is not what its label says raises a one-line LoadError."""
        with pytest.raises(LoadError, match="corrupt") as info:
            load_bytes(_pem_block(label, der), source=Path("x.pem"))

        assert str(info.value).startswith("x.pem (block 1): ")
        assert_one_line(info.value)

    def test_public_key_block(self, h: Hierarchy) -> None:
        """A PUBLIC KEY block is refused with advice to leave it out."""
        data = h.leaf.key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)

        with pytest.raises(LoadError, match=r"PUBLIC KEY block.*leave it out"):
            load_bytes(data, source=Path("pub.pem"))

    @pytest.mark.parametrize("encoding", [Encoding.PEM, Encoding.DER])
    def test_key_that_cannot_serve_tls(self, encoding: Encoding) -> None:
        """An X25519 key (key agreement only) raises LoadError naming its type."""
        data = x25519.X25519PrivateKey.generate().private_bytes(
            encoding, PrivateFormat.PKCS8, NoEncryption()
        )

        with pytest.raises(LoadError, match="X25519PrivateKey, which cannot serve TLS"):
            load_bytes(data, source=Path("x.key"))

    def test_corrupt_unencrypted_key(self, h: Hierarchy) -> None:
        """A damaged private key block raises LoadError that names its block."""
        data = h.leaf.pem + h.leaf.key_pem.replace(b"M", b"!", 3)

        with pytest.raises(LoadError, match="PRIVATE KEY block is not valid base64") as info:
            load_bytes(data, source=Path("x.pem"))

        assert str(info.value).startswith("x.pem (block 2): ")


class TestLoadFile:
    """load_file reads a path and records it as the source."""

    def test_records_path(self, tmp_path: Path, h: Hierarchy) -> None:
        """Every loaded item records the path it came from."""
        path = tmp_path / "all.pem"
        path.write_bytes(h.leaf.pem + h.leaf.key_pem)

        material = load_file(path)

        assert path == material.certs[0].source.path
        assert path == material.keys[0].source.path

    def test_password_from_password_file(self) -> None:
        """The password in password.txt (without its newline) opens bundle.pfx."""
        password = formats("password.txt").read_bytes().rstrip(b"\n")

        material = load_file(formats("bundle.pfx"), password=password)

        assert len(material.certs) == 3


class TestLoadFiles:
    """load_files merges several inputs, keeping argument order."""

    def test_demo_files(self) -> None:
        """The demo's host cert, intermediate, root and key load leaf-first with the key."""
        paths = [
            demo("example_host.crt"), demo("Entrust_L1Kroot.txt"),
            demo("Entrust_Root.txt"), demo("example_host.key"),
        ]

        material = load_files(paths)

        assert [_cn(c.cert) for c in material.certs] == [
            "hub.example.org", "certchain Demo Intermediate CA L1K", "certchain Demo Root CA",
        ]
        assert paths[:3] == [c.source.path for c in material.certs]
        assert_key_of(material, material.certs[0].cert)
        assert paths[3] == material.keys[0].source.path

    def test_keeps_argument_order(self, ref: dict[str, str]) -> None:
        """Certificates come out in the order the files were given, then file order."""
        material = load_files([formats("trusted.pem"), formats("crlf-noise.pem")])

        assert roles(material, ref) == ["root", "leaf", "intermediate"]

    def test_one_password_for_all_inputs(self, ref: dict[str, str]) -> None:
        """One password opens every encrypted input and is ignored by the others."""
        material = load_files(
            [formats("leaf.der"), formats("bundle.pfx"), formats("encrypted-key.pem"),
             formats("nopass.p12")],
            password=PASSWORD,
        )

        assert roles(material, ref) == ["leaf"] + ["leaf", "intermediate", "root"] * 2
        assert len(material.keys) == 3

    def test_one_bad_file_fails_the_call(self) -> None:
        """A bad input among good ones raises LoadError naming the bad one."""
        with pytest.raises(LoadError) as info:
            load_files([formats("leaf.der"), formats("junk.bin"), formats("chain.p7b")])

        assert info.value.path == formats("junk.bin")


class TestDemoFixtures:
    """The demo fixtures are the private CA that testdata/README.md describes."""

    @pytest.fixture(scope="class")
    @classmethod
    def demo_certs(cls) -> list[x509.Certificate]:
        """Leaf, intermediate and root, read with cryptography directly."""
        return [
            x509.load_pem_x509_certificates(demo(name).read_bytes())[0]
            for name in ("example_host.crt", "Entrust_L1Kroot.txt", "Entrust_Root.txt")
        ]

    def test_chain_links(self, demo_certs: list[x509.Certificate]) -> None:
        """Leaf is signed by the intermediate, the intermediate by the self-signed root."""
        leaf, inter, root = demo_certs

        leaf.verify_directly_issued_by(inter)
        inter.verify_directly_issued_by(root)
        root.verify_directly_issued_by(root)

    def test_names_say_demo(self, demo_certs: list[x509.Certificate]) -> None:
        """Every demo certificate is O=certchain demo, so none passes for a real Entrust one."""
        for cert in demo_certs:
            (org,) = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
            assert org.value == "certchain demo"
            assert "Entrust" not in cert.subject.rfc4514_string()

    def test_validity_spans_decades(self, demo_certs: list[x509.Certificate]) -> None:
        """The demo certificates are valid 2025-01-01 to 2075-01-01."""
        for cert in demo_certs:
            assert cert.not_valid_before_utc.year == 2025
            assert cert.not_valid_after_utc.year == 2075

    def test_leaf_names_and_usage(self, demo_certs: list[x509.Certificate]) -> None:
        """The leaf covers hub.example.org, localhost and 127.0.0.1 for serverAuth."""
        leaf = demo_certs[0]
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value

        assert san.get_values_for_type(x509.DNSName) == ["hub.example.org", "localhost"]
        assert [ipaddress.ip_address("127.0.0.1")] == san.get_values_for_type(x509.IPAddress)
        assert ExtendedKeyUsageOID.SERVER_AUTH in eku
        public_key = leaf.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        assert public_key.key_size == 2048

    def test_intermediate_has_text_before_pem(self) -> None:
        """Entrust_L1Kroot.txt starts with prose, as CA downloads do."""
        data = demo("Entrust_L1Kroot.txt").read_bytes()

        assert not data.startswith(b"-----")
        assert len(load_file(demo("Entrust_L1Kroot.txt")).certs) == 1

    def test_key_is_unencrypted_pkcs8(self) -> None:
        """example_host.key is an unencrypted PKCS#8 PEM key."""
        data = demo("example_host.key").read_bytes()

        assert data.startswith(b"-----BEGIN PRIVATE KEY-----")
        serialization.load_pem_private_key(data, None)


class TestSiblingKey:
    """sibling_key finds `<stem>.key` next to the host certificate."""

    def test_demo_key(self) -> None:
        """The demo host certificate's key is found beside it."""
        assert demo("example_host.key") == sibling_key(demo("example_host.crt"))

    @pytest.mark.parametrize(
        ("host", "key"),
        [
            ("host.crt", "host.key"),
            ("hub.example.org.pem", "hub.example.org.key"),
            ("host", "host.key"),
        ],
    )
    def test_stem_dot_key(self, tmp_path: Path, host: str, key: str) -> None:
        """The key's name is the host file's name with its last suffix replaced by .key."""
        (tmp_path / host).write_bytes(b"")
        (tmp_path / key).write_bytes(b"")

        assert tmp_path / key == sibling_key(tmp_path / host)

    def test_no_key(self, tmp_path: Path) -> None:
        """Without a sibling key file the result is None."""
        (tmp_path / "host.crt").write_bytes(b"")

        assert sibling_key(tmp_path / "host.crt") is None

    def test_host_is_the_key(self, tmp_path: Path) -> None:
        """A host file that is itself named .key is not its own sibling."""
        (tmp_path / "host.key").write_bytes(b"")

        assert sibling_key(tmp_path / "host.key") is None

    def test_directory_is_not_a_key(self, tmp_path: Path) -> None:
        """A directory named like the key is not returned."""
        (tmp_path / "host.crt").write_bytes(b"")
        (tmp_path / "host.key").mkdir()

        assert sibling_key(tmp_path / "host.crt") is None

    def test_other_directory_not_searched(self, tmp_path: Path) -> None:
        """Only the host file's own directory is searched."""
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "host.crt").write_bytes(b"")
        (tmp_path / "host.key").write_bytes(b"")

        assert sibling_key(tmp_path / "sub" / "host.crt") is None


class TestEndLine:
    """The END line is found by a byte search, then the pattern: exactly as the pattern alone."""

    @pytest.mark.parametrize("text", [
        b"AAAA\n-----END CERTIFICATE-----\n",
        b"AAAA\n-----END lower-----\n-----END CERTIFICATE-----\n",
        b"AAAA\n-----END \n-----END-----\n-----END X509 CRL-----",
        b"-----END -----END CERTIFICATE-----",
        b"no end here",
        b"",
    ])
    def test_same_as_the_pattern(self, text: bytes) -> None:
        from certchain.load import _END, _end_line

        found, expected = _end_line(text, 0), _END.search(text, 0)
        assert (found and (found.span(), found.group(1))) == (
            expected and (expected.span(), expected.group(1))
        )
