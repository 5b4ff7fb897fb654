"""Tests for certchain.rules (the per-path checks) and the certificate facts they use."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pki import PKI, T0, Hierarchy, Issued, new_key

from certchain.findings import Finding
from certchain.model import Chain, TrustStore
from certchain.assessment import path_naming
from certchain.certs import is_ca, is_self_signed, path_roles
from certchain.policy import Policy
from certchain.rules import check_path

SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)

CA_USAGE = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
    encipher_only=False, decipher_only=False,
)
NO_CERT_SIGN = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=True,
    encipher_only=False, decipher_only=False,
)


def chain_of(*issued: Issued) -> Chain:
    return tuple(i.cert for i in issued)


def judge(
    chain: Chain, at: dt.datetime, *, warn_days: int = 30, allow_weak: bool = False
) -> list[Finding]:
    """check_path under *at*, *warn_days* and *allow_weak*, certificates named by place."""
    policy = Policy(
        store=TrustStore((), "no store"), at=at, warn_days=warn_days, allow_weak=allow_weak
    )
    return check_path(chain, policy, path_naming(chain))


def roles(chain: Chain) -> list[str]:
    return [role.value for role in path_roles(chain)]


def position_names(chain: Chain) -> list[str]:
    return [name.text.partition(" (")[0] for name in path_naming(chain)]


def codes(found: list[Finding]) -> set[tuple[str, str]]:
    """Return the (code, severity) pairs of *found*."""
    return {(f.code.value, f.severity.value) for f in found}


def at_position(found: list[Finding], code: str) -> set[int | None]:
    """Return the chain positions of the findings with *code*."""
    return {f.position for f in found if f.code.value == code}


def assert_clean(found: list[Finding]) -> None:
    assert found == [], [f.message for f in found]


def name(value: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value)])


class TestRoles:
    def test_leaf_intermediate_root(self, chain3: Hierarchy) -> None:
        """A chain ending at a self-signed certificate has a leaf, intermediates and a root."""
        chain = chain_of(chain3.leaf, chain3.intermediate, chain3.root)
        assert roles(chain) == ["leaf", "intermediate", "root"]

    def test_single_certificate_is_the_leaf(self, chain3: Hierarchy) -> None:
        """A chain of one is the leaf, even when that certificate is self-signed."""
        assert roles(chain_of(chain3.leaf)) == ["leaf"]
        assert roles(chain_of(chain3.root)) == ["leaf"]

    def test_anchor_that_is_not_self_signed_stays_intermediate(self, chain3: Hierarchy) -> None:
        """A chain ending at an intermediate (an anchor from --trust) has no root."""
        assert roles(chain_of(chain3.leaf, chain3.intermediate)) == ["leaf", "intermediate"]

    def test_self_issued_but_not_self_signed_is_not_a_root(self, pki: PKI) -> None:
        """A last certificate with subject == issuer but another key's signature is no root."""
        root = pki.root("Rollover Root")
        impostor = pki.issue(root.cert.subject, new_key(), root, ca=True)  # same name, other key
        leaf = pki.leaf(impostor)
        assert roles(chain_of(leaf, impostor)) == ["leaf", "intermediate"]


class TestPositionNames:
    def test_intermediates_are_numbered_from_the_leaf(self, pki: PKI) -> None:
        """Intermediates are named by their index, counting the leaf as 0."""
        root = pki.root()
        i2 = pki.intermediate(root, "Upper")
        i1 = pki.intermediate(i2, "Lower")
        leaf = pki.leaf(i1)
        assert position_names(chain_of(leaf, i1, i2, root)) == [
            "the leaf", "intermediate 1", "intermediate 2", "the root",
        ]


class TestIsCaAndSelfSigned:
    def test_is_ca(self, chain3: Hierarchy, pki: PKI) -> None:
        """is_ca follows basicConstraints cA, and is False without the extension."""
        assert is_ca(chain3.intermediate.cert)
        assert not is_ca(chain3.leaf.cert)
        assert not is_ca(pki.intermediate(chain3.root, ca=None).cert)

    def test_is_self_signed(self, chain3: Hierarchy) -> None:
        """Only a certificate signed by its own key under its own name is self-signed."""
        assert is_self_signed(chain3.root.cert)
        assert not is_self_signed(chain3.intermediate.cert)


class TestCheckPathValidity:
    def test_everyday_chain_is_clean(self, chain3: Hierarchy) -> None:
        """A plain root, intermediate and leaf valid at T0 raise no finding."""
        assert_clean(judge(chain_of(chain3.leaf, chain3.intermediate, chain3.root), T0))

    @pytest.mark.parametrize(
        ("not_after", "expected"),
        [
            # Boundary: notAfter one second before T0 -> expired.
            (T0 - SECOND, {("expired", "error")}),
            # Boundary: notAfter == T0 is still valid (RFC 5280 4.1.2.5: inclusive).
            (T0, {("expires-soon", "warning")}),
            # Boundary: notAfter one second after T0 -> valid, but expiring soon.
            (T0 + SECOND, {("expires-soon", "warning")}),
        ],
        ids=["T0-1s", "T0", "T0+1s"],
    )
    def test_not_after_boundary(
        self, pki: PKI, chain3: Hierarchy, not_after: dt.datetime, expected: set[tuple[str, str]]
    ) -> None:
        """A leaf is expired one second after notAfter and valid up to notAfter itself."""
        leaf = pki.leaf(chain3.intermediate, not_after=not_after)
        found = judge(chain_of(leaf, chain3.intermediate, chain3.root), T0)
        assert codes(found) == expected

    @pytest.mark.parametrize(
        ("not_before", "expected"),
        [
            # Boundary: notBefore one second after T0 -> not yet valid.
            (T0 + SECOND, {("not-yet-valid", "error")}),
            # Boundary: notBefore == T0 is valid (inclusive).
            (T0, set()),
            # Boundary: notBefore one second before T0 -> valid.
            (T0 - SECOND, set()),
        ],
        ids=["T0+1s", "T0", "T0-1s"],
    )
    def test_not_before_boundary(
        self, pki: PKI, chain3: Hierarchy, not_before: dt.datetime,
        expected: set[tuple[str, str]],
    ) -> None:
        """A leaf is not yet valid one second before notBefore."""
        leaf = pki.leaf(chain3.intermediate, not_before=not_before)
        found = judge(chain_of(leaf, chain3.intermediate, chain3.root), T0)
        assert codes(found) == expected

    def test_expired_intermediate_is_named(self, pki: PKI, chain3: Hierarchy) -> None:
        """An expired intermediate is reported at position 1, named as intermediate 1."""
        inter = pki.intermediate(chain3.root, "Old CA", not_after=T0 - DAY)
        leaf = pki.leaf(inter)
        found = judge(chain_of(leaf, inter, chain3.root), T0)
        assert codes(found) == {("expired", "error")}
        assert at_position(found, "expired") == {1}
        assert found[0].message.startswith("Intermediate 1 (CN=Old CA")

    @pytest.mark.parametrize(
        ("days_left", "warn_days", "warned"),
        [(29, 30, True), (31, 30, False), (45, 60, True), (45, 30, False), (1, 0, False)],
    )
    def test_expires_soon_window(
        self, pki: PKI, chain3: Hierarchy, days_left: int, warn_days: int, warned: bool
    ) -> None:
        """A certificate expiring within warn_days (default 30) gets an expires-soon warning."""
        leaf = pki.leaf(chain3.intermediate, not_after=T0 + days_left * DAY)
        chain = chain_of(leaf, chain3.intermediate, chain3.root)
        found = judge(chain, T0, warn_days=warn_days)
        assert (("expires-soon", "warning") in codes(found)) is warned


class TestCheckPathIssuerRules:
    def test_issuer_with_ca_false(self, pki: PKI, chain3: Hierarchy) -> None:
        """An issuer whose basicConstraints say cA=FALSE is not a CA."""
        issuer = pki.intermediate(chain3.root, "Not A CA", ca=False, key_usage=None)
        leaf = pki.leaf(issuer)
        found = judge(chain_of(leaf, issuer, chain3.root), T0)
        assert codes(found) == {("not-a-ca", "error")}
        assert at_position(found, "not-a-ca") == {1}

    def test_issuer_without_basic_constraints(self, pki: PKI, chain3: Hierarchy) -> None:
        """An issuer without basicConstraints (a v3 certificate) is not a CA."""
        issuer = pki.intermediate(chain3.root, "No BC", ca=None, key_usage=CA_USAGE)
        leaf = pki.leaf(issuer)
        found = judge(chain_of(leaf, issuer, chain3.root), T0)
        assert codes(found) == {("not-a-ca", "error")}

    def test_issuer_key_usage_without_cert_sign(self, pki: PKI, chain3: Hierarchy) -> None:
        """A CA whose keyUsage lacks keyCertSign cannot issue."""
        issuer = pki.intermediate(chain3.root, "No keyCertSign", key_usage=NO_CERT_SIGN)
        leaf = pki.leaf(issuer)
        found = judge(chain_of(leaf, issuer, chain3.root), T0)
        assert codes(found) == {("not-a-ca", "error")}

    def test_issuer_without_key_usage_is_fine(self, pki: PKI, chain3: Hierarchy) -> None:
        """keyCertSign is only required when keyUsage is present."""
        issuer = pki.intermediate(chain3.root, "No KU", key_usage=None)
        leaf = pki.leaf(issuer)
        assert_clean(judge(chain_of(leaf, issuer, chain3.root), T0))

    def test_path_length_exceeded(self, pki: PKI) -> None:
        """pathLen 0 on an intermediate with another intermediate below it is exceeded."""
        root = pki.root()
        upper = pki.intermediate(root, "Upper", path_length=0)
        lower = pki.intermediate(upper, "Lower")
        leaf = pki.leaf(lower)
        found = judge(chain_of(leaf, lower, upper, root), T0)
        assert codes(found) == {("path-length", "error")}
        assert at_position(found, "path-length") == {2}

    def test_path_length_respected(self, pki: PKI) -> None:
        """pathLen 1 allows exactly one intermediate below."""
        root = pki.root()
        upper = pki.intermediate(root, "Upper", path_length=1)
        lower = pki.intermediate(upper, "Lower", path_length=0)
        leaf = pki.leaf(lower)
        assert_clean(judge(chain_of(leaf, lower, upper, root), T0))

    def test_path_length_on_root_counts_every_intermediate(self, pki: PKI) -> None:
        """A root's pathLen 0 forbids any intermediate at all."""
        root = pki.root("Strict Root", path_length=0)
        inter = pki.intermediate(root)
        leaf = pki.leaf(inter)
        found = judge(chain_of(leaf, inter, root), T0)
        assert codes(found) == {("path-length", "error")}

    def test_self_issued_intermediates_do_not_count_for_path_length(self, pki: PKI) -> None:
        """A self-issued (key rollover) CA is not counted against pathLen (RFC 5280 4.2.1.9)."""
        root = pki.root("PL Root", path_length=1)
        old = pki.intermediate(root, "Rolling CA")
        rolled = pki.issue(old.cert.subject, new_key(), old, ca=True)  # self-issued, new key
        leaf = pki.leaf(rolled)
        assert_clean(judge(chain_of(leaf, rolled, old, root), T0))

    def test_name_constraints_violated(self, pki: PKI, chain3: Hierarchy) -> None:
        """A leaf outside an intermediate's permitted DNS subtree is a name-constraints error."""
        inter = pki.intermediate(
            chain3.root, "Constrained",
            name_constraints=x509.NameConstraints([x509.DNSName("example.com")], None),
        )
        leaf = pki.leaf(inter, "hub.example.org")
        found = judge(chain_of(leaf, inter, chain3.root), T0)
        assert codes(found) == {("name-constraints", "error")}
        assert "hub.example.org" in next(f.message for f in found)

    def test_name_constraints_of_root_apply_to_all_below(self, pki: PKI) -> None:
        """A root's directoryName constraint applies to the intermediate below it too."""
        acme = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme")])
        root = pki.root(
            "Acme Root", name_constraints=x509.NameConstraints([x509.DirectoryName(acme)], None)
        )
        inter = pki.intermediate(root, "Outsider CA")  # O=certchain tests: outside O=Acme
        leaf = pki.issue(
            x509.Name([*acme, x509.NameAttribute(NameOID.COMMON_NAME, "hub")]),
            new_key(), inter, ca=False, san=[x509.DNSName("hub.example.org")],
        )
        found = judge(chain_of(leaf, inter, root), T0)
        assert codes(found) == {("name-constraints", "error")}
        assert any("Outsider CA" in f.message for f in found)

    def test_ip_name_constraints_respected(self, pki: PKI, chain3: Hierarchy) -> None:
        """A leaf IP inside the permitted network passes."""
        inter = pki.intermediate(
            chain3.root, "IP CA",
            name_constraints=x509.NameConstraints(
                [x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))], None
            ),
        )
        leaf = pki.leaf(inter, "10.1.2.3")
        assert_clean(judge(chain_of(leaf, inter, chain3.root), T0))


MS_SGC = x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.3")
NS_SGC = x509.ObjectIdentifier("2.16.840.1.113730.4.1")
ANY_EKU = ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH
SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH


def ns_cert_type(bits: int) -> x509.UnrecognizedExtension:
    """A Netscape certificate type extension with *bits* (0x80 SSL client, 0x40 SSL server)."""
    oid = x509.ObjectIdentifier("2.16.840.1.113730.1.1")
    return x509.UnrecognizedExtension(oid, bytes([0x03, 0x02, 0x00, bits]))


def eku_at(pki: PKI, position: int, eku: list[x509.ObjectIdentifier]) -> Chain:
    """Return root -> intermediate -> leaf with *eku* in the certificate at *position*."""
    knobs = [{"eku": eku if i == position else None} for i in range(3)]
    root = pki.root("EKU Root", **knobs[2])
    inter = pki.intermediate(root, "EKU CA", **knobs[1])
    leaf = pki.leaf(inter, **({"eku": eku} if position == 0 else {}))
    return chain_of(leaf, inter, root)


POSITIONS = pytest.mark.parametrize("position", [0, 1, 2], ids=["leaf", "intermediate", "root"])


class TestCheckPathExtendedKeyUsage:
    # Each case below was checked with `openssl verify -purpose sslserver` of
    # OpenSSL 3.0.19 (check_purpose_ssl_server, crypto/x509/v3_purp.c).
    @pytest.mark.parametrize(
        "eku",
        [[SERVER_AUTH], [SERVER_AUTH, CLIENT_AUTH], [ANY_EKU, SERVER_AUTH], [SERVER_AUTH, MS_SGC]],
        ids=["serverAuth", "server+client", "anyEKU+serverAuth", "serverAuth+msSGC"],
    )
    @POSITIONS
    def test_eku_with_server_auth(
        self, pki: PKI, position: int, eku: list[x509.ObjectIdentifier]
    ) -> None:
        """An extended key usage that includes serverAuth is fine anywhere in the path."""
        assert_clean(judge(eku_at(pki, position, eku), T0))

    def test_leaf_without_eku(self, pki: PKI, chain3: Hierarchy) -> None:
        """A leaf without extended key usage is fine (OpenSSL and RFC 5280 accept it)."""
        leaf = pki.leaf(chain3.intermediate, eku=None)
        assert_clean(judge(chain_of(leaf, chain3.intermediate, chain3.root), T0))

    @pytest.mark.parametrize(
        "sgc", [[MS_SGC], [NS_SGC], [CLIENT_AUTH, MS_SGC]], ids=["msSGC", "nsSGC", "client+msSGC"]
    )
    @POSITIONS
    def test_server_gated_crypto_is_legacy(
        self, pki: PKI, position: int, sgc: list[x509.ObjectIdentifier]
    ) -> None:
        """Server Gated Crypto without serverAuth is accepted as OpenSSL does, with a warning."""
        found = judge(eku_at(pki, position, sgc), T0)
        assert codes(found) == {("ext-key-usage", "warning")}
        assert at_position(found, "ext-key-usage") == {position}
        (legacy,) = found
        assert "accepted only as legacy Server Gated Crypto" in legacy.message
        assert "SGC" in legacy.message and "serverAuth" in legacy.message

    @POSITIONS
    def test_any_eku_alone_is_refused(self, pki: PKI, position: int) -> None:
        """anyExtendedKeyUsage without serverAuth is refused, as OpenSSL's sslserver purpose is."""
        found = judge(eku_at(pki, position, [ANY_EKU]), T0)
        assert codes(found) == {("ext-key-usage", "error")}
        assert at_position(found, "ext-key-usage") == {position}
        (refused,) = found
        assert "(anyExtendedKeyUsage) lacks serverAuth" in refused.message

    def test_leaf_with_client_auth_only(self, pki: PKI, chain3: Hierarchy) -> None:
        """A leaf for clientAuth only cannot serve TLS."""
        leaf = pki.leaf(chain3.intermediate, eku=[CLIENT_AUTH])
        found = judge(chain_of(leaf, chain3.intermediate, chain3.root), T0)
        assert codes(found) == {("ext-key-usage", "error")}
        assert at_position(found, "ext-key-usage") == {0}

    def test_intermediate_with_client_auth_only(self, pki: PKI, chain3: Hierarchy) -> None:
        """An intermediate restricted to clientAuth cannot issue TLS server certificates."""
        inter = pki.intermediate(chain3.root, "Client CA", eku=[CLIENT_AUTH])
        leaf = pki.leaf(inter)
        found = judge(chain_of(leaf, inter, chain3.root), T0)
        assert codes(found) == {("ext-key-usage", "error")}
        assert at_position(found, "ext-key-usage") == {1}

    def test_root_with_client_auth_only(self, pki: PKI) -> None:
        """A root restricted to clientAuth is refused too: OpenSSL checks the trust anchor."""
        found = judge(eku_at(pki, 2, [CLIENT_AUTH]), T0)
        assert codes(found) == {("ext-key-usage", "error")}
        assert at_position(found, "ext-key-usage") == {2}

    def test_unknown_usage_is_named_by_oid(self, pki: PKI) -> None:
        """An extended key usage OpenSSL does not know counts for nothing, shown by its OID."""
        found = judge(eku_at(pki, 1, [x509.ObjectIdentifier("1.2.3.4.5")]), T0)
        assert codes(found) == {("ext-key-usage", "error")}
        assert "(1.2.3.4.5) lacks serverAuth" in found[0].message

    @pytest.mark.parametrize(
        ("bits", "ok"),
        [(0x40, True), (0xC0, True), (0x80, False), (0, False)],
        ids=["server", "client+server", "client", "none"],
    )
    def test_leaf_netscape_cert_type(
        self, pki: PKI, chain3: Hierarchy, bits: int, ok: bool
    ) -> None:
        """A leaf's nsCertType, when present, must allow SSL server use (OpenSSL's ns_reject)."""
        leaf = pki.leaf(chain3.intermediate, extra_extensions=[(ns_cert_type(bits), False)])
        found = judge(chain_of(leaf, chain3.intermediate, chain3.root), T0)
        if ok:
            assert_clean(found)
        else:
            assert codes(found) == {("ext-key-usage", "error")}
            assert "Netscape certificate type" in found[0].message

    def test_intermediate_netscape_cert_type_is_ignored(self, pki: PKI, chain3: Hierarchy) -> None:
        """A CA's nsCertType is not consulted when it has basicConstraints (OpenSSL's check_ca)."""
        inter = pki.intermediate(chain3.root, "NS CA", extra_extensions=[(ns_cert_type(0x80), False)])
        leaf = pki.leaf(inter)
        assert_clean(judge(chain_of(leaf, inter, chain3.root), T0))


class TestCheckPathWeakness:
    def test_small_ec_key(self, pki: PKI, chain3: Hierarchy) -> None:
        """A leaf on P-192 has a weak key: an error, a warning when allowed."""
        leaf = pki.leaf(chain3.intermediate, key=new_key("ec192"))
        found = judge(chain_of(leaf, chain3.intermediate, chain3.root), T0)
        assert codes(found) == {("weak-key", "error")}
        assert at_position(found, "weak-key") == {0}
        allowed = judge(chain_of(leaf, chain3.intermediate, chain3.root), T0, allow_weak=True)
        assert codes(allowed) == {("weak-key", "warning")}

    def test_small_rsa_key_on_intermediate(self, pki: PKI, chain3: Hierarchy) -> None:
        """An intermediate with an RSA 1024 key has a weak key (an error by default)."""
        inter = pki.intermediate(chain3.root, "Small RSA", key=new_key("rsa1024"))
        leaf = pki.leaf(inter)
        found = judge(chain_of(leaf, inter, chain3.root), T0)
        assert codes(found) == {("weak-key", "error")}
        assert at_position(found, "weak-key") == {1}
        assert codes(judge(chain_of(leaf, inter, chain3.root), T0, allow_weak=True)) == {
            ("weak-key", "warning")
        }

    @pytest.mark.parametrize(
        ("kind", "digest", "shown"),
        [
            ("ec", hashes.SHA1(), "SHA1"),
            ("rsa", hashes.SHA1(), "SHA1"),
            ("rsa", hashes.MD5(), "MD5"),
        ],
        ids=["ecdsa-sha1", "rsa-sha1", "rsa-md5"],
    )
    def test_legacy_hash_link_is_weak(
        self, pki: PKI, kind: str, digest: hashes.HashAlgorithm, shown: str
    ) -> None:
        """An intermediate signed with ecdsa-with-SHA1, SHA-1 or MD5 RSA is weak, not broken."""
        root = pki.root(f"{shown} Root", key=new_key(kind))
        inter = pki.intermediate(root, f"{shown} CA", hash_alg=digest)
        leaf = pki.leaf(inter)
        assert codes(judge(chain_of(leaf, inter, root), T0)) == {("weak-signature", "error")}
        found = judge(chain_of(leaf, inter, root), T0, allow_weak=True)
        assert codes(found) == {("weak-signature", "warning")}
        assert at_position(found, "weak-signature") == {1}
        (weak,) = found
        assert f"signed with {shown}" in weak.message
