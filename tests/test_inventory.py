"""``inspect_material``: every certificate and key described, field by field, at ``T0``."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import testdata
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from pki import NOT_AFTER, PKI, T0, Issued, key_pem, new_key, pem

from certchain import Material, load_bytes, load_file
from certchain.inventory import inspect_material
from certchain.model import fingerprint

FILE = Path("/srv/hub/bundle.pem")
CERT_FIELDS = {
    "source", "subject", "issuer", "san", "serial", "not_before", "not_after", "days_left",
    "key", "signature", "sha256", "ski", "aki", "ca", "path_length", "aia", "crl",
    "key_usage", "ext_key_usage",
}
KEY_FIELDS = {"source", "type", "encrypted", "matches", "matches_elsewhere"}
CA_ISSUERS = "http://ca.example.test/inventory-ca.crt"
OCSP = "http://ocsp.example.test/"
CRL = "http://crl.example.test/inventory-ca.crl"


# ----------------------------------------------------------------- helpers


def describe(*items: Issued | x509.Certificate, keys: tuple[Any, ...] = (),
             password: bytes | None = None, at: dt.datetime = T0) -> dict[str, Any]:
    """Load *items* and *keys* as one PEM file and return inspect_material's answer."""
    certs = b"".join(pem(i.cert if isinstance(i, Issued) else i) for i in items)
    data = certs + b"".join(key_pem(k, password) for k in keys)
    return inspect_material(load_bytes(data, source=FILE, password=password), at)


def only_cert(*items: Issued | x509.Certificate, **kwargs: Any) -> dict[str, Any]:
    """Return the description of the single certificate *items* holds."""
    (entry,) = describe(*items, **kwargs)["certificates"]
    return entry  # type: ignore[no-any-return]


def hex_id(digest: bytes) -> str:
    """Return a key identifier as inventory shows it (``ab:cd:...``)."""
    return digest.hex(":")


def ski_of(cert: x509.Certificate) -> bytes:
    """Return *cert*'s subject key identifier."""
    return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def leaf_with_urls(issuer: Issued) -> Issued:
    """Return a leaf carrying AIA caIssuers and OCSP URLs and a CRL distribution point."""
    key = new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "urls.example.org")]))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(0x1F2E3D4C5B6A)
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier(CA_ISSUERS)),
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                   x509.UniformResourceIdentifier(OCSP)),
        ]), critical=False)
        .add_extension(x509.CRLDistributionPoints([
            x509.DistributionPoint([x509.UniformResourceIdentifier(CRL)], None, None, None),
        ]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("urls.example.org")]),
                       critical=False)
        .sign(issuer.key, hashes.SHA256())
    )
    return Issued(cert, key)


@dataclass(frozen=True)
class Tree:
    """root -> ca (pathLen 0) -> leaf for a DNS name and an IP address."""

    root: Issued
    ca: Issued
    leaf: Issued


@pytest.fixture(scope="module")
def tree(pki: PKI) -> Tree:
    """A small hierarchy shared by the tests (read-only)."""
    root = pki.root("Inventory Root")
    ca = pki.intermediate(root, "Inventory CA", path_length=0)
    return Tree(root, ca, pki.leaf(ca, "hub.example.org", "192.0.2.10"))


@pytest.fixture(scope="module")
def listed(tree: Tree) -> dict[str, Any]:
    """leaf, CA and root with the leaf's key, described at T0."""
    return describe(tree.leaf, tree.ca, tree.root, keys=(tree.leaf.key,))


# ------------------------------------------------------------------ shape


class TestShape:
    def test_top_level_keys(self, listed: dict[str, Any]) -> None:
        """The answer has exactly certificates and keys, in the order found."""
        assert set(listed) == {"certificates", "keys"}
        assert len(listed["certificates"]) == 3
        assert len(listed["keys"]) == 1

    def test_certificate_fields_are_pinned(self, listed: dict[str, Any]) -> None:
        """Each certificate has exactly the documented fields."""
        for entry in listed["certificates"]:
            assert set(entry) == CERT_FIELDS

    def test_key_fields_are_pinned(self, listed: dict[str, Any]) -> None:
        """Each key has exactly the documented fields."""
        for entry in listed["keys"]:
            assert set(entry) == KEY_FIELDS

    def test_json_ready(self, listed: dict[str, Any]) -> None:
        """The answer survives a JSON round trip unchanged."""
        assert json.loads(json.dumps(listed)) == listed

    def test_empty_when_only_keys(self) -> None:
        """A key file lists no certificate and the key, matching nothing."""
        answer = inspect_material(load_bytes(key_pem(new_key()), source=FILE), T0)

        assert answer["certificates"] == []
        assert [k["matches"] for k in answer["keys"]] == [[]]

    def test_empty_material(self) -> None:
        """Empty material lists nothing."""
        assert inspect_material(Material(), T0) == {"certificates": [], "keys": []}


# ----------------------------------------------------------- certificates


class TestCertificateFields:
    def test_leaf(self, tree: Tree, listed: dict[str, Any]) -> None:
        """The leaf's fields: names, serial, validity, key, signature, hashes, not a CA."""
        leaf = tree.leaf.cert

        entry = listed["certificates"][0]

        assert entry["source"] == f"{FILE} (item 1, PEM)"
        assert entry["subject"] == "CN=hub.example.org"
        assert entry["issuer"] == "CN=Inventory CA,O=certchain tests"
        assert entry["san"] == ["DNS:hub.example.org", "IP:192.0.2.10"]
        assert entry["serial"] == format(leaf.serial_number, "x")
        assert entry["not_before"] == "2020-01-01T00:00:00Z"
        assert entry["not_after"] == "2060-01-01T00:00:00Z"
        assert entry["days_left"] == (NOT_AFTER - T0).days
        assert entry["key"] == "EC P-256"
        assert entry["signature"] == "ecdsa-with-SHA256"
        assert entry["sha256"] == fingerprint(leaf)
        assert entry["ski"] == hex_id(ski_of(leaf))
        assert entry["aki"] == hex_id(ski_of(tree.ca.cert))
        assert entry["ca"] is False
        assert entry["path_length"] is None
        assert entry["aia"] == {"ca_issuers": [], "ocsp": []}
        assert entry["crl"] == []

    def test_intermediate_path_length(self, listed: dict[str, Any]) -> None:
        """A CA with pathLen 0 says ca true and path_length 0, and has no SAN."""
        entry = listed["certificates"][1]

        assert entry["ca"] is True
        assert entry["path_length"] == 0
        assert entry["san"] == []
        assert entry["source"] == f"{FILE} (item 2, PEM)"

    def test_root(self, tree: Tree, listed: dict[str, Any]) -> None:
        """A root is a CA without pathLen whose AKI is its own SKI."""
        entry = listed["certificates"][2]

        assert entry["ca"] is True
        assert entry["path_length"] is None
        assert entry["subject"] == entry["issuer"] == "CN=Inventory Root,O=certchain tests"
        assert entry["aki"] == entry["ski"] == hex_id(ski_of(tree.root.cert))

    def test_urls(self, tree: Tree) -> None:
        """AIA caIssuers and OCSP URLs and CRL distribution points are listed."""
        entry = only_cert(leaf_with_urls(tree.ca))

        assert entry["aia"] == {"ca_issuers": [CA_ISSUERS], "ocsp": [OCSP]}
        assert entry["crl"] == [CRL]
        assert entry["serial"] == "1f2e3d4c5b6a"

    def test_aia_from_pki(self, pki: PKI, tree: Tree) -> None:
        """The factory's aia_url shows as the caIssuers URL."""
        leaf = pki.leaf(tree.ca, "hub.example.org", aia_url=CA_ISSUERS)

        assert only_cert(leaf)["aia"]["ca_issuers"] == [CA_ISSUERS]

    def test_without_key_identifiers(self, pki: PKI, tree: Tree) -> None:
        """A certificate without SKI and AKI shows both as None."""
        leaf = pki.leaf(tree.ca, "hub.example.org", include_ski=False, include_aki=False)

        entry = only_cert(leaf)

        assert entry["ski"] is None
        assert entry["aki"] is None

    def test_without_basic_constraints(self, pki: PKI, tree: Tree) -> None:
        """A certificate without basicConstraints is not a CA and has no pathLen."""
        cert = pki.intermediate(tree.root, "Inventory Bare", ca=None)

        entry = only_cert(cert)

        assert entry["ca"] is False
        assert entry["path_length"] is None

    @pytest.mark.parametrize(
        ("kind", "shown"),
        [("rsa", "RSA 2048"), ("rsa1024", "RSA 1024"), ("ed25519", "Ed25519"),
         ("ec192", "EC secp192r1"), ("dsa", "DSA 2048")],
    )
    def test_key_types(self, pki: PKI, tree: Tree, kind: str, shown: str) -> None:
        """The key is shown as type and size; the signature is the issuer's algorithm."""
        leaf = pki.leaf(tree.ca, "hub.example.org", key=new_key(kind))

        entry = only_cert(leaf)

        assert entry["key"] == shown
        assert entry["signature"] == "ecdsa-with-SHA256"

    def test_rsa_and_ed25519_signatures(self, pki: PKI) -> None:
        """Certificates signed by RSA and Ed25519 roots name those algorithms."""
        rsa_root = pki.root("Inventory RSA Root", key=new_key("rsa"))
        ed_root = pki.root("Inventory Ed25519 Root", key=new_key("ed25519"))

        assert only_cert(rsa_root)["signature"] == "sha256WithRSAEncryption"
        assert only_cert(ed_root)["signature"] == "ed25519"

    def test_days_left_counts_from_at(self, tree: Tree) -> None:
        """days_left is measured from the time given."""
        later = T0 + dt.timedelta(days=100)

        assert only_cert(tree.leaf, at=later)["days_left"] == (NOT_AFTER - T0).days - 100

    def test_days_left_negative_when_expired(self, pki: PKI, tree: Tree) -> None:
        """An expired certificate has negative days_left."""
        leaf = pki.leaf(tree.ca, "hub.example.org", not_after=T0 - dt.timedelta(days=3))

        assert only_cert(leaf)["days_left"] == -3


# ------------------------------------------------------------------- keys


class TestKeys:
    def test_key_matches_its_certificate(self, tree: Tree, listed: dict[str, Any]) -> None:
        """The leaf's key matches certificate 0 and is shown with type and source."""
        (key,) = listed["keys"]

        assert key["matches"] == [0]
        assert key["type"] == "EC P-256"
        assert key["encrypted"] is False
        assert key["source"] == f"{FILE} (item 4, PEM)"

    def test_key_of_no_certificate(self, tree: Tree) -> None:
        """A key of none of the listed certificates matches nothing."""
        answer = describe(tree.leaf, tree.ca, keys=(new_key(),))

        assert answer["keys"][0]["matches"] == []

    def test_key_matching_two_certificates(self, pki: PKI, tree: Tree) -> None:
        """A CA's key matches both its self-signed and its cross-signed certificate."""
        other = pki.root("Inventory Other Root")
        cross = pki.cross_sign(tree.root, other)

        answer = describe(tree.leaf, tree.root, cross, keys=(tree.root.key,))

        assert answer["keys"][0]["matches"] == [1, 2]

    def test_several_keys_in_order(self, tree: Tree) -> None:
        """Several keys are listed in the order found, each with its own matches."""
        answer = describe(tree.leaf, tree.ca, keys=(tree.ca.key, tree.leaf.key))

        assert [k["matches"] for k in answer["keys"]] == [[1], [0]]

    def test_encrypted_key(self, tree: Tree) -> None:
        """A key read with a password is marked encrypted."""
        answer = describe(tree.leaf, keys=(tree.leaf.key,), password=b"inventory-pass")

        (key,) = answer["keys"]
        assert key["encrypted"] is True
        assert key["matches"] == [0]

    def test_rsa_key_type(self) -> None:
        """An RSA key is shown as RSA with its size."""
        answer = inspect_material(load_file(testdata("formats", "rsa-traditional.key")), T0)

        assert answer["keys"][0]["type"] == "RSA 2048"


# -------------------------------------------------------------- testdata


class TestStoredFormats:
    def test_pkcs12_bundle(self) -> None:
        """bundle.pfx: leaf, intermediate and root, and a key matching the leaf."""
        material = load_file(testdata("formats", "bundle.pfx"), password=b"certchain")

        answer = inspect_material(material, T0)

        assert [c["ca"] for c in answer["certificates"]] == [False, True, True]
        assert [c["path_length"] for c in answer["certificates"]] == [None, 0, None]
        assert answer["certificates"][0]["san"] == ["DNS:formats.example.org"]
        assert answer["keys"][0]["matches"] == [0]

    def test_same_leaf_in_every_format(self) -> None:
        """The DER leaf, the PKCS#7 bundle and the PKCS#12 bundle describe the same leaf."""
        der = inspect_material(load_file(testdata("formats", "leaf.der")), T0)
        p7b = inspect_material(load_file(testdata("formats", "chain.p7b")), T0)
        pfx = inspect_material(
            load_file(testdata("formats", "bundle.pfx"), password=b"certchain"), T0
        )

        (leaf,) = der["certificates"]
        for other in (p7b, pfx):
            (same,) = [c for c in other["certificates"] if c["sha256"] == leaf["sha256"]]
            assert {k: v for k, v in same.items() if k != "source"} == {
                k: v for k, v in leaf.items() if k != "source"
            }
        assert leaf["source"].endswith("(item 1, DER)")
