"""Tests for certchain.build: leaf picking, path choice and the findings of build_chain."""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pki import PKI, T0, Hierarchy, Issued, key_pem, new_key, pem, sha1_signed, tampered

from certchain import (
    Policy,
    AmbiguousLeaf,
    BuildResult,
    Finding,
    LoadError,
    Material,
    TrustStore,
    build_chain,
    load_bytes,
    pick_leaf,
)

SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)

Item = Issued | x509.Certificate

# --------------------------------------------------------------- helpers


def _cert(item: Item) -> x509.Certificate:
    return item.cert if isinstance(item, Issued) else item


def material(*items: Item, keys: Sequence[Any] = (), name: str | None = None) -> Material:
    """Load *items* (and *keys*) from one PEM file, as a user would hand it over."""
    data = b"".join(pem(_cert(i)) for i in items) + b"".join(key_pem(k) for k in keys)
    return load_bytes(data, source=Path(name) if name else None)


def files(*groups: Sequence[Item]) -> Material:
    """Load each group as a separate file and merge them, in order."""
    return Material.merge(
        material(*group, name=f"input{n}.pem") for n, group in enumerate(groups)
    )


def trust(*roots: Item, explicit: bool = True) -> TrustStore:
    """A trust store; explicit=True is --trust, explicit=False mimics certifi."""
    origin = "--trust test roots" if explicit else "certifi (test)"
    return TrustStore(tuple(_cert(r) for r in roots), origin, explicit=explicit)


#: certifi, without the test roots in it.
CERTIFI_LIKE = trust(explicit=False)


def build(
    host: Item | Sequence[Item], *candidates: Item, store: TrustStore,
    keys: Material | None = None, include_root: bool = True, **policy: Any,
) -> BuildResult:
    """Build with *host* as the host file and each candidate in a file of its own.

    *policy* holds the other fields of the Policy (the time is T0).
    """
    host_items = [host] if isinstance(host, (Issued, x509.Certificate)) else list(host)
    return build_chain(
        material(*host_items, name="host.pem"),
        files(*([c] for c in candidates)),
        policy=Policy(store=store, at=T0, **policy),
        keys=keys,
        include_root=include_root,
    )


def codes(result: BuildResult) -> set[tuple[str, str]]:
    """Return the (code, severity) pairs of the result's findings."""
    return {(f.code.value, f.severity.value) for f in result.findings}


def errors(result: BuildResult) -> set[str]:
    """Return the codes of the error findings."""
    return {f.code.value for f in result.findings if f.severity.value == "error"}


def findings(result: BuildResult, code: str) -> list[Finding]:
    """Return the findings with *code*."""
    return [f for f in result.findings if f.code.value == code]


def assert_chain(result: BuildResult, expected: Sequence[Item]) -> None:
    """Assert the chosen chain is *expected*, leaf first."""
    got = [c.subject.rfc4514_string() for c in result.chain]
    want = [_cert(i).subject.rfc4514_string() for i in expected]
    assert got == want
    assert result.chain == tuple(_cert(i) for i in expected), "same names, other certificates"


def assert_finding(
    result: BuildResult, code: str, severity: str, *, naming: str | None = None,
    position: int | None = None,
) -> Finding:
    """Assert a finding with *code* and *severity* exists, optionally naming something."""
    matches = [f for f in findings(result, code) if f.severity.value == severity]
    assert matches, f"no {code}/{severity} in {sorted(codes(result))}"
    if naming is not None:
        matches = [f for f in matches if naming in f.message]
        messages = [f.message for f in findings(result, code)]
        assert matches, f"no {code} naming {naming!r}: {messages}"
    if position is not None:
        assert position in {f.position for f in matches}
    return matches[0]


def assert_usable(result: BuildResult) -> None:
    """Assert the chain is complete and has no error."""
    assert result.complete
    assert result.ok, [f.message for f in result.findings if f.severity.value == "error"]


def subject(cn: str, org: str | None = "certchain tests") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def ca_usage(*, key_cert_sign: bool) -> x509.KeyUsage:
    """Return a CA keyUsage, with or without keyCertSign."""
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign,
        crl_sign=True, encipher_only=False, decipher_only=False,
    )


# --------------------------------------------------------------- hierarchies


@dataclass(frozen=True)
class Ladder:
    """root -> upper -> lower -> leaf."""

    root: Issued
    upper: Issued
    lower: Issued
    leaf: Issued


@pytest.fixture(scope="module")
def ladder(pki: PKI) -> Ladder:
    """A four-certificate hierarchy (shared, read-only)."""
    root = pki.root("Ladder Root")
    upper = pki.intermediate(root, "Ladder Upper")
    lower = pki.intermediate(upper, "Ladder Lower")
    return Ladder(root, upper, lower, pki.leaf(lower, "hub.example.org"))


@pytest.fixture(scope="module")
def other(pki: PKI) -> Hierarchy:
    """An unrelated hierarchy, for certificates that do not belong."""
    root = pki.root("Other Root")
    inter = pki.intermediate(root, "Other Intermediate")
    return Hierarchy(root, inter, pki.leaf(inter, "other.example.net"))


@dataclass(frozen=True)
class LetsEncrypt:
    """The 2021 Let's Encrypt shape: ISRG X1 self-signed and cross-signed by DST."""

    x1: Issued  # ISRG Root X1, self-signed, valid
    dst: Issued  # DST Root CA X3, self-signed, expired before T0
    x1_cross: Issued  # ISRG Root X1 signed by DST, expired before T0
    r3: Issued
    leaf: Issued


@pytest.fixture(scope="module")
def le(pki: PKI) -> LetsEncrypt:
    """The "DST Root CA X3" trap, moved to T0."""
    x1 = pki.root("ISRG Root X1")
    dst = pki.root("DST Root CA X3", not_after=T0 - 365 * DAY)
    x1_cross = pki.cross_sign(x1, dst, not_after=T0 - 30 * DAY)
    r3 = pki.intermediate(x1, "R3")
    return LetsEncrypt(x1, dst, x1_cross, r3, pki.leaf(r3, "hub.example.org"))


@dataclass(frozen=True)
class Crossed:
    """An intermediate certified by root A and, as a cross-sign, by root B."""

    root_a: Issued
    root_b: Issued
    inter_a: Issued
    inter_b: Issued  # same name and key as inter_a, issued by root B
    leaf: Issued


@pytest.fixture(scope="module")
def crossed(pki: PKI) -> Crossed:
    """Two equally long paths to two different roots."""
    root_a, root_b = pki.root("Root A"), pki.root("Root B")
    inter_a = pki.intermediate(root_a, "Crossed CA")
    inter_b = pki.cross_sign(inter_a, root_b)
    return Crossed(root_a, root_b, inter_a, inter_b, pki.leaf(inter_a))


@dataclass(frozen=True)
class Detour:
    """leaf <- inter <- root A (short) and leaf <- inter' <- C <- root B (long)."""

    root_a: Issued
    root_b: Issued
    c: Issued
    inter_a: Issued
    inter_c: Issued  # inter_a cross-signed by C
    leaf: Issued


@pytest.fixture(scope="module")
def detour(pki: PKI) -> Detour:
    """A three-certificate path and a four-certificate path for the same leaf."""
    root_a, root_b = pki.root("Short Root"), pki.root("Long Root")
    c = pki.intermediate(root_b, "Long Middle")
    inter_a = pki.intermediate(root_a, "Detour CA")
    inter_c = pki.cross_sign(inter_a, c)
    return Detour(root_a, root_b, c, inter_a, inter_c, pki.leaf(inter_a))


@dataclass(frozen=True)
class Renewals:
    """Four issues of the same intermediate (name and key) by the same root."""

    root: Issued
    expired: Issued
    early: Issued  # valid, expires first
    late: Issued  # valid, expires last among the valid ones
    future: Issued  # not yet valid, expires last of all
    leaf: Issued


@pytest.fixture(scope="module")
def renewals(pki: PKI) -> Renewals:
    """Same CA, four validity periods."""
    root = pki.root("Renewal Root")
    key = new_key()
    name = subject("Renewed CA")

    def issue(**validity: Any) -> Issued:
        return pki.issue(name, key, root, ca=True, **validity)

    expired = issue(not_after=T0 - DAY)
    early = issue(not_after=T0 + 400 * DAY)
    late = issue(not_after=T0 + 800 * DAY)
    future = issue(not_before=T0 + DAY)
    return Renewals(root, expired, early, late, future, pki.leaf(early))


@dataclass(frozen=True)
class Cycle:
    """Roots A and B cross-sign each other; inter is issued by A."""

    root_a: Issued
    root_b: Issued
    a_by_b: Issued
    b_by_a: Issued
    inter: Issued
    leaf: Issued


@pytest.fixture(scope="module")
def cycle(pki: PKI) -> Cycle:
    """A cross-sign loop: A certifies B and B certifies A."""
    root_a, root_b = pki.root("Loop A"), pki.root("Loop B")
    a_by_b = pki.cross_sign(root_a, root_b)
    b_by_a = pki.cross_sign(root_b, root_a)
    inter = pki.intermediate(root_a, "Loop CA")
    return Cycle(root_a, root_b, a_by_b, b_by_a, inter, pki.leaf(inter))


# --------------------------------------------------------------- tests


class TestEverydayChain:
    def test_leaf_intermediate_root(self, chain3: Hierarchy) -> None:
        """A leaf, its intermediate and the trusted root build the chain leaf-first."""
        result = build(chain3.leaf, chain3.root, chain3.intermediate, store=trust(chain3.root))
        assert_chain(result, [chain3.leaf, chain3.intermediate, chain3.root])
        assert_usable(result)
        assert result.trusted
        assert result.leaf == chain3.leaf.cert
        assert codes(result) == {("no-key", "warning"), ("root-included", "info")}

    def test_completed_with_root_from_store(self, chain3: Hierarchy) -> None:
        """Inputs that stop at the intermediate are completed with the store's root."""
        result = build(chain3.leaf, chain3.intermediate, store=trust(chain3.root))
        assert_chain(result, [chain3.leaf, chain3.intermediate, chain3.root])
        assert_usable(result)
        assert result.trusted

    def test_completed_from_certifi_like_store(self, chain3: Hierarchy, other: Hierarchy) -> None:
        """A root found in a non-explicit store (certifi) completes the chain too."""
        store = trust(other.root, chain3.root, explicit=False)
        result = build(chain3.leaf, chain3.intermediate, store=store)
        assert_chain(result, [chain3.leaf, chain3.intermediate, chain3.root])
        assert result.trusted

    def test_input_root_not_in_default_store_warns(self, chain3: Hierarchy) -> None:
        """A chain ending at an input root not in certifi is usable but warned untrusted-root."""
        result = build(chain3.leaf, chain3.intermediate, chain3.root, store=CERTIFI_LIKE)
        assert_chain(result, [chain3.leaf, chain3.intermediate, chain3.root])
        assert_usable(result)
        assert not result.trusted
        assert_finding(result, "untrusted-root", "warning", naming="CN=Test Root", position=2)

    def test_input_root_not_in_explicit_store_is_an_error(
        self, chain3: Hierarchy, other: Hierarchy
    ) -> None:
        """With --trust, a chain ending at another root is an untrusted-root error."""
        store = trust(other.root)
        result = build(chain3.leaf, chain3.intermediate, chain3.root, store=store)
        assert_chain(result, [chain3.leaf, chain3.intermediate, chain3.root])
        assert result.complete
        assert not result.trusted
        assert not result.ok
        assert_finding(result, "untrusted-root", "error", naming="CN=Test Root", position=2)

    def test_explicit_store_may_anchor_at_an_intermediate(self, chain3: Hierarchy) -> None:
        """Any certificate in an explicit store is an anchor, even one that is not self-signed."""
        result = build(chain3.leaf, chain3.intermediate, store=trust(chain3.intermediate))
        assert_chain(result, [chain3.leaf, chain3.intermediate])
        assert_usable(result)
        assert result.trusted
        assert not findings(result, "root-included")

    def test_findings_are_sorted_errors_first(self, chain3: Hierarchy, other: Hierarchy) -> None:
        """Findings come errors first, then warnings, then info."""
        result = build(
            chain3.leaf, chain3.intermediate, chain3.root, other.leaf,
            store=trust(other.root), hostname="nowhere.example.org",
        )
        order = {"error": 0, "warning": 1, "info": 2}
        ranks = [order[f.severity.value] for f in result.findings]
        assert ranks == sorted(ranks)
        assert 0 in ranks and 1 in ranks and 2 in ranks


class TestIssuerByName:
    @pytest.mark.parametrize(
        "issuer_name",
        [
            subject("TEST INTERMEDIATE", "CERTCHAIN TESTS"),
            subject("  Test   Intermediate ", "certchain  tests"),
            x509.Name([
                x509.NameAttribute(
                    NameOID.ORGANIZATION_NAME, "certchain tests",
                    _type=x509.name._ASN1Type.PrintableString,
                ),
                x509.NameAttribute(
                    NameOID.COMMON_NAME, "Test Intermediate",
                    _type=x509.name._ASN1Type.PrintableString,
                ),
            ]),
        ],
        ids=["case", "white-space", "printable-string"],
    )
    def test_issuer_name_compared_as_x509_name(
        self, pki: PKI, chain3: Hierarchy, issuer_name: x509.Name
    ) -> None:
        """The leaf's issuer name finds the intermediate despite case, spacing or string type."""
        leaf = pki.leaf(chain3.intermediate, issuer_name=issuer_name)
        result = build(leaf, chain3.intermediate, store=trust(chain3.root))
        assert_chain(result, [leaf, chain3.intermediate, chain3.root])
        assert errors(result) == set()

    def test_attribute_order_inside_rdn_is_irrelevant(self, pki: PKI, chain3: Hierarchy) -> None:
        """A multi-valued RDN matches whatever order its attributes are listed in."""
        o = x509.NameAttribute(NameOID.ORGANIZATION_NAME, "certchain tests")
        cn = x509.NameAttribute(NameOID.COMMON_NAME, "Multi RDN CA")
        inter = pki.issue(
            x509.Name([x509.RelativeDistinguishedName([o, cn])]), new_key(), chain3.root, ca=True
        )
        leaf = pki.leaf(inter, issuer_name=x509.Name([x509.RelativeDistinguishedName([cn, o])]))
        result = build(leaf, inter, store=trust(chain3.root))
        assert_chain(result, [leaf, inter, chain3.root])
        assert errors(result) == set()


class TestSignatures:
    @pytest.fixture(scope="class")
    @classmethod
    def twins(cls, pki: PKI, chain3: Hierarchy) -> tuple[Issued, Issued]:
        """Two CAs named like chain3's intermediate, with other keys (one without SKI)."""
        name = chain3.intermediate.cert.subject
        return (
            pki.issue(name, new_key(), chain3.root, ca=True),
            pki.issue(name, new_key(), chain3.root, ca=True, include_ski=False),
        )

    @pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=str)
    @pytest.mark.parametrize("leaf_aki", [True, False], ids=["aki", "no-aki"])
    def test_same_name_other_key_not_confused(
        self, pki: PKI, chain3: Hierarchy, twins: tuple[Issued, Issued],
        order: tuple[int, ...], leaf_aki: bool,
    ) -> None:
        """Among CAs sharing a name, the one whose key signed the leaf is chosen, in any order."""
        leaf = chain3.leaf if leaf_aki else pki.leaf(chain3.intermediate, include_aki=False)
        cands = [chain3.intermediate, *twins]
        result = build(leaf, *(cands[i] for i in order), store=trust(chain3.root))
        assert_chain(result, [leaf, chain3.intermediate, chain3.root])
        assert "bad-signature" not in errors(result)

    def test_same_name_other_key_only(
        self, chain3: Hierarchy, twins: tuple[Issued, Issued]
    ) -> None:
        """A same-named intermediate with another key is a bad-signature error naming the leaf."""
        result = build(chain3.leaf, twins[0], store=trust(chain3.root))
        assert not result.complete
        assert not result.ok
        assert result.chain == (chain3.leaf.cert,)
        found = assert_finding(result, "bad-signature", "error", naming="CN=hub.example.org")
        assert found.position == 0
        assert "Test Intermediate" in found.message

    def test_forged_leaf_signature(self, pki: PKI, chain3: Hierarchy) -> None:
        """A leaf naming the intermediate but signed by another key is a bad-signature error."""
        forger = Issued(chain3.intermediate.cert, new_key())  # right name and AKI, wrong key
        leaf = pki.leaf(forger, "forged.example.org")
        result = build(leaf, chain3.intermediate, store=trust(chain3.root))
        assert not result.ok
        assert not result.complete
        assert_finding(result, "bad-signature", "error", naming="CN=forged.example.org", position=0)

    def test_tampered_intermediate(self, chain3: Hierarchy) -> None:
        """An intermediate whose own signature is damaged is a bad-signature error naming it."""
        broken = tampered(chain3.intermediate.cert)
        result = build(chain3.leaf, broken, store=trust(chain3.root))
        assert not result.ok
        assert result.chain == (chain3.leaf.cert, broken)
        assert_finding(result, "bad-signature", "error", naming="Test Intermediate", position=1)

    def test_sha1_link_is_built_with_warning(self, pki: PKI) -> None:
        """A SHA-1 signed intermediate is a valid link: weak-signature, a warning when allowed."""
        root = pki.root("SHA1 Root", key=new_key("rsa"))
        inter_key = new_key()
        inter = sha1_signed(pki.intermediate(root, "SHA1 CA", key=inter_key).cert, root.key)
        leaf = pki.leaf(Issued(inter, inter_key))
        result = build(leaf, inter, store=trust(root), allow_weak=True)
        assert_chain(result, [leaf, inter, root])
        assert result.complete
        assert "bad-signature" not in errors(result)
        assert_finding(result, "weak-signature", "warning", naming="SHA1 CA", position=1)
        assert_usable(result)

    def test_sha1_self_signature_of_root_is_not_weak(self, pki: PKI) -> None:
        """A root's own SHA-1 self-signature is not reported: clients never check it."""
        rsa_root = pki.root("Old SHA1 Root", key=new_key("rsa"))
        root = sha1_signed(rsa_root.cert, rsa_root.key)
        inter = pki.intermediate(Issued(root, rsa_root.key), "Modern CA")
        leaf = pki.leaf(inter)
        result = build(leaf, inter, root, store=trust(root))
        assert_chain(result, [leaf, inter, root])
        assert_usable(result)
        assert not findings(result, "weak-signature")


class TestIssuerRules:
    @pytest.mark.parametrize(
        "knobs",
        [
            {"ca": False, "key_usage": None},
            {"ca": None, "key_usage": ca_usage(key_cert_sign=True)},
            {"key_usage": ca_usage(key_cert_sign=False)},
        ],
        ids=["cA-false", "no-basic-constraints", "no-keyCertSign"],
    )
    def test_issuer_not_a_ca(self, pki: PKI, chain3: Hierarchy, knobs: dict[str, Any]) -> None:
        """An issuer without cA=TRUE, or without keyCertSign in its keyUsage, is not-a-ca."""
        issuer = pki.intermediate(chain3.root, "Pretend CA", **knobs)
        leaf = pki.leaf(issuer)
        result = build(leaf, issuer, store=trust(chain3.root))
        assert_chain(result, [leaf, issuer, chain3.root])
        assert not result.ok
        assert_finding(result, "not-a-ca", "error", naming="Pretend CA", position=1)

    def test_path_length_exceeded(self, pki: PKI) -> None:
        """An intermediate with pathLen 0 above another intermediate is a path-length error."""
        root = pki.root("PL Root")
        upper = pki.intermediate(root, "PL Upper", path_length=0)
        lower = pki.intermediate(upper, "PL Lower")
        leaf = pki.leaf(lower)
        result = build(leaf, lower, upper, store=trust(root))
        assert_chain(result, [leaf, lower, upper, root])
        assert not result.ok
        assert_finding(result, "path-length", "error", naming="PL Upper", position=2)

    @pytest.mark.parametrize(
        ("constraints", "hosts"),
        [
            (x509.NameConstraints([x509.DNSName("example.com")], None), ("hub.example.org",)),
            (x509.NameConstraints([x509.DNSName(".example.org")], None), ("example.org",)),
            (x509.NameConstraints(None, [x509.DNSName("example.org")]), ("hub.example.org",)),
            (
                x509.NameConstraints([x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))], None),
                ("192.168.1.1",),
            ),
            (
                x509.NameConstraints(
                    [x509.DirectoryName(x509.Name([
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme")
                    ]))],
                    None,
                ),
                ("hub.example.org",),
            ),
        ],
        ids=["permitted-dns", "leading-dot", "excluded-dns", "permitted-ip", "permitted-dirname"],
    )
    def test_name_constraints_violated(
        self, pki: PKI, chain3: Hierarchy, constraints: x509.NameConstraints,
        hosts: tuple[str, ...],
    ) -> None:
        """A leaf outside its intermediate's name constraints is a name-constraints error."""
        inter = pki.intermediate(chain3.root, "Constrained CA", name_constraints=constraints)
        leaf = pki.leaf(inter, *hosts)
        result = build(leaf, inter, store=trust(chain3.root))
        assert_chain(result, [leaf, inter, chain3.root])
        assert not result.ok
        assert_finding(result, "name-constraints", "error", naming="Constrained CA", position=1)

    @pytest.mark.parametrize(
        ("constraints", "hosts"),
        [
            (x509.NameConstraints([x509.DNSName("example.org")], None), ("hub.example.org",)),
            (
                x509.NameConstraints([x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))], None),
                ("10.1.2.3",),
            ),
            (x509.NameConstraints(None, [x509.DNSName("example.com")]), ("hub.example.org",)),
        ],
        ids=["permitted-dns", "permitted-ip", "excluded-elsewhere"],
    )
    def test_name_constraints_respected(
        self, pki: PKI, chain3: Hierarchy, constraints: x509.NameConstraints,
        hosts: tuple[str, ...],
    ) -> None:
        """A leaf inside its intermediate's name constraints raises no name-constraints finding."""
        inter = pki.intermediate(chain3.root, "Constrained CA", name_constraints=constraints)
        leaf = pki.leaf(inter, *hosts)
        result = build(leaf, inter, store=trust(chain3.root))
        assert not findings(result, "name-constraints")
        assert_usable(result)

    def test_issuer_eku_without_server_auth(self, pki: PKI, chain3: Hierarchy) -> None:
        """An intermediate whose EKU is only clientAuth is an ext-key-usage error."""
        inter = pki.intermediate(chain3.root, "Client CA", eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
        leaf = pki.leaf(inter)
        result = build(leaf, inter, store=trust(chain3.root))
        assert_chain(result, [leaf, inter, chain3.root])
        assert not result.ok
        assert_finding(result, "ext-key-usage", "error", naming="Client CA", position=1)

    def test_leaf_eku_without_server_auth(self, pki: PKI, chain3: Hierarchy) -> None:
        """A leaf whose EKU is only clientAuth is an ext-key-usage error."""
        leaf = pki.leaf(chain3.intermediate, eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
        result = build(leaf, chain3.intermediate, store=trust(chain3.root))
        assert not result.ok
        assert_finding(result, "ext-key-usage", "error", naming="hub.example.org", position=0)


class TestPathChoice:
    @pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=str)
    @pytest.mark.parametrize("explicit", [True, False], ids=["trust", "certifi"])
    def test_prefers_anchor_in_store(
        self, crossed: Crossed, order: tuple[int, ...], explicit: bool
    ) -> None:
        """Of two equally long paths, the one ending in the store wins over an input root."""
        inputs = [crossed.inter_a, crossed.inter_b, crossed.root_b]
        store = trust(crossed.root_a, explicit=explicit)
        result = build(crossed.leaf, *(inputs[i] for i in order), store=store)
        assert_chain(result, [crossed.leaf, crossed.inter_a, crossed.root_a])
        assert_usable(result)
        assert result.trusted

    def test_trusted_long_path_beats_untrusted_short_one(self, detour: Detour) -> None:
        """A longer path to a trusted root is preferred to a shorter one to an untrusted root."""
        result = build(
            detour.leaf, detour.inter_a, detour.root_a, detour.inter_c, detour.c,
            store=trust(detour.root_b, explicit=False),
        )
        assert_chain(result, [detour.leaf, detour.inter_c, detour.c, detour.root_b])
        assert result.trusted

    @pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=str)
    def test_prefers_shortest_trusted_path(self, detour: Detour, order: tuple[int, ...]) -> None:
        """Among trusted paths, the shortest wins."""
        inputs = [detour.inter_a, detour.inter_c, detour.c]
        result = build(
            detour.leaf, *(inputs[i] for i in order),
            store=trust(detour.root_a, detour.root_b),
        )
        assert_chain(result, [detour.leaf, detour.inter_a, detour.root_a])
        assert_usable(result)

    @pytest.mark.parametrize("order", list(itertools.permutations(range(4))), ids=str)
    def test_prefers_valid_then_latest_expiry(
        self, renewals: Renewals, order: tuple[int, ...]
    ) -> None:
        """Of several issues of a CA, a valid one expiring last wins over expired or future ones."""
        issues = [renewals.expired, renewals.early, renewals.late, renewals.future]
        result = build(renewals.leaf, *(issues[i] for i in order), store=trust(renewals.root))
        assert_chain(result, [renewals.leaf, renewals.late, renewals.root])
        assert_usable(result)

    @pytest.mark.parametrize(
        ("anchor", "expected"),
        [("a", ["leaf", "inter", "root_a"]), ("b", ["leaf", "inter", "a_by_b", "root_b"])],
    )
    def test_cross_sign_cycle_terminates(
        self, cycle: Cycle, anchor: str, expected: list[str]
    ) -> None:
        """A and B cross-signing each other do not loop; the path to the trusted one is found."""
        root = cycle.root_a if anchor == "a" else cycle.root_b
        result = build(cycle.leaf, cycle.inter, cycle.a_by_b, cycle.b_by_a, store=trust(root))
        assert_chain(result, [getattr(cycle, name) for name in expected])
        assert_usable(result)

    def test_path_beyond_depth_limit_is_not_a_missing_issuer(self, pki: PKI) -> None:
        """A path cut by the depth limit does not claim an issuer given in the inputs is missing."""
        root = pki.root("Deep Root")
        cas = [pki.intermediate(root, "Deep 0")]
        for n in range(1, 11):  # eleven intermediates: a 13-certificate path
            cas.append(pki.intermediate(cas[-1], f"Deep {n}"))
        leaf = pki.leaf(cas[-1])
        result = build(leaf, *cas, store=trust(root))
        assert not result.ok
        # The leaf's issuer (Deep 10) is among the inputs: blaming it is wrong.
        assert [f.message for f in findings(result, "missing-issuer") if f.position == 0] == []
        assert len(result.chain) > 1

    def test_cross_sign_cycle_without_anchor(self, cycle: Cycle, other: Hierarchy) -> None:
        """A cross-sign loop with no anchor ends with missing-issuer, not a hang."""
        result = build(cycle.leaf, cycle.inter, cycle.a_by_b, cycle.b_by_a, store=trust(other.root))
        assert not result.complete
        assert not result.ok
        assert_finding(result, "missing-issuer", "error")
        assert len(result.chain) <= 4

    def test_only_path_through_expired_cross_sign(self, le: LetsEncrypt) -> None:
        """When the expired cross-sign is the only path, it is built and reported expired."""
        result = build(le.leaf, le.r3, le.x1_cross, store=trust(le.dst, explicit=False))
        assert_chain(result, [le.leaf, le.r3, le.x1_cross, le.dst])
        assert result.complete
        assert not result.ok
        assert_finding(result, "expired", "error", naming="ISRG Root X1", position=2)


class TestMaxIntermediates:
    def test_within_the_limit(self, ladder: Ladder) -> None:
        """Two intermediates pass a limit of two."""
        result = build(ladder.leaf, ladder.lower, ladder.upper, store=trust(ladder.root),
                       max_intermediates=2)
        assert_usable(result)

    def test_over_the_limit(self, ladder: Ladder) -> None:
        """Two intermediates fail a limit of one with chain-too-long."""
        result = build(ladder.leaf, ladder.lower, ladder.upper, store=trust(ladder.root),
                       max_intermediates=1)
        assert ("chain-too-long", "error") in codes(result)
        assert not result.ok

    def test_self_issued_rollover_does_not_count(self, pki: PKI) -> None:
        """A self-issued certificate (a CA's key rollover) is not counted against the limit."""
        root = pki.root("Rollover Root")
        old = pki.intermediate(root, "Rollover CA")
        new = pki.intermediate(old, "Rollover CA")  # same name, new key: self-issued
        leaf = pki.leaf(new, "hub.example.org")
        result = build(leaf, new, old, store=trust(root), max_intermediates=1)
        assert_chain(result, [leaf, new, old, root])
        assert_usable(result)


class TestLetsEncryptDstTrap:
    @pytest.mark.parametrize(
        ("inputs", "roots", "explicit"),
        [
            (["r3", "x1_cross"], ["x1"], False),
            (["r3", "x1_cross"], ["x1", "dst"], False),
            (["r3", "x1_cross", "x1", "dst"], ["x1"], True),
            (["r3", "x1_cross", "x1", "dst"], [], False),
            (["r3", "x1_cross", "x1"], ["dst"], False),
            (["r3", "x1_cross", "x1", "dst"], ["dst"], False),
        ],
        ids=[
            "certifi-with-x1",
            "old-store-with-both",
            "trust-x1-all-given",
            "nothing-trusted-all-given",
            "only-dst-trusted",
            "only-dst-trusted-all-given",
        ],
    )
    def test_expired_cross_sign_never_chosen(
        self, le: LetsEncrypt, inputs: list[str], roots: list[str], explicit: bool
    ) -> None:
        """leaf <- R3 <- ISRG X1 ends at the self-signed X1, never at the expired DST cross-sign."""
        store = trust(*(getattr(le, r) for r in roots), explicit=explicit)
        result = build(le.leaf, *(getattr(le, i) for i in inputs), store=store)
        assert_chain(result, [le.leaf, le.r3, le.x1])
        assert result.complete
        assert "expired" not in {code for code, _ in codes(result)}
        assert_finding(result, "unused-cert", "info", naming="ISRG Root X1")

    @pytest.mark.parametrize("order", list(itertools.permutations(range(4))), ids=str)
    def test_any_input_order(self, le: LetsEncrypt, order: tuple[int, ...]) -> None:
        """The trap is avoided whatever order the files come in."""
        inputs = [le.r3, le.x1_cross, le.x1, le.dst]
        result = build(le.leaf, *(inputs[i] for i in order), store=trust(le.x1, le.dst))
        assert_chain(result, [le.leaf, le.r3, le.x1])
        assert_usable(result)

    def test_fullchain_with_cross_sign_as_host(self, le: LetsEncrypt) -> None:
        """A fullchain.pem ending in the cross-sign (LE's old default) still builds to X1."""
        result = build([le.leaf, le.r3, le.x1_cross], store=trust(le.x1, explicit=False))
        assert_chain(result, [le.leaf, le.r3, le.x1])
        assert_usable(result)


class TestValidity:
    @pytest.mark.parametrize(
        ("not_after", "expired"),
        [
            (T0 - SECOND, True),  # boundary: notAfter one second before T0 -> expired
            (T0 + SECOND, False),  # boundary: notAfter one second after T0 -> still valid
        ],
        ids=["notAfter=T0-1s", "notAfter=T0+1s"],
    )
    def test_leaf_not_after_boundary(
        self, pki: PKI, chain3: Hierarchy, not_after: dt.datetime, expired: bool
    ) -> None:
        """The only path with a leaf past notAfter is built and reported expired."""
        leaf = pki.leaf(chain3.intermediate, not_after=not_after)
        result = build(leaf, chain3.intermediate, store=trust(chain3.root))
        assert_chain(result, [leaf, chain3.intermediate, chain3.root])
        assert result.complete
        assert (("expired", "error") in codes(result)) is expired
        assert result.ok is not expired
        if not expired:
            assert_finding(result, "expires-soon", "warning", position=0)

    @pytest.mark.parametrize(
        ("not_before", "early"),
        [
            (T0 + SECOND, True),  # boundary: notBefore one second after T0 -> not yet valid
            (T0 - SECOND, False),  # boundary: notBefore one second before T0 -> valid
        ],
        ids=["notBefore=T0+1s", "notBefore=T0-1s"],
    )
    def test_intermediate_not_before_boundary(
        self, pki: PKI, chain3: Hierarchy, not_before: dt.datetime, early: bool
    ) -> None:
        """The only path through an intermediate not yet valid is reported not-yet-valid."""
        inter = pki.intermediate(chain3.root, "Fresh CA", not_before=not_before)
        leaf = pki.leaf(inter)
        result = build(leaf, inter, store=trust(chain3.root))
        assert_chain(result, [leaf, inter, chain3.root])
        assert (("not-yet-valid", "error") in codes(result)) is early
        if early:
            assert_finding(result, "not-yet-valid", "error", naming="Fresh CA", position=1)

    def test_expired_intermediate_named(self, pki: PKI, chain3: Hierarchy) -> None:
        """An expired intermediate on the only path is an expired error naming it."""
        inter = pki.intermediate(chain3.root, "Stale CA", not_after=T0 - DAY)
        leaf = pki.leaf(inter)
        result = build(leaf, inter, store=trust(chain3.root))
        assert not result.ok
        assert_finding(result, "expired", "error", naming="Stale CA", position=1)

    @pytest.mark.parametrize(
        ("days_left", "warn_days", "warned"),
        [(29, None, True), (31, None, False), (45, 60, True), (45, None, False)],
    )
    def test_expires_soon(
        self, pki: PKI, chain3: Hierarchy, days_left: int, warn_days: int | None, warned: bool
    ) -> None:
        """A certificate expiring within warn_days (30 by default) gets an expires-soon warning."""
        leaf = pki.leaf(chain3.intermediate, not_after=T0 + days_left * DAY)
        options = {} if warn_days is None else {"warn_days": warn_days}
        result = build(leaf, chain3.intermediate, store=trust(chain3.root), **options)
        assert (("expires-soon", "warning") in codes(result)) is warned
        assert_usable(result)


class TestMissingIssuer:
    def test_names_issuer_and_aia_url(self, pki: PKI, chain3: Hierarchy) -> None:
        """A leaf without its intermediate is missing-issuer, naming it and the caIssuers URL."""
        url = "http://ca.example.org/intermediate.crt"
        leaf = pki.leaf(chain3.intermediate, aia_url=url)
        result = build(leaf, store=trust(chain3.root))
        assert not result.ok
        assert not result.complete
        assert not result.trusted
        assert result.chain == (leaf.cert,)
        found = assert_finding(result, "missing-issuer", "error", naming="CN=Test Intermediate")
        assert url in found.message
        assert found.position == 0

    def test_without_aia(self, chain3: Hierarchy) -> None:
        """Without AIA the missing-issuer finding still names the issuer."""
        result = build(chain3.leaf, store=CERTIFI_LIKE)
        assert not result.ok
        assert not result.complete
        found = assert_finding(result, "missing-issuer", "error", naming="CN=Test Intermediate")
        assert "http" not in found.message

    def test_missing_root(self, chain3: Hierarchy, other: Hierarchy) -> None:
        """Inputs stopping at an intermediate whose root is nowhere name the missing root."""
        result = build(chain3.leaf, chain3.intermediate, store=trust(other.root))
        assert not result.complete
        assert result.chain == (chain3.leaf.cert, chain3.intermediate.cert)
        assert_finding(result, "missing-issuer", "error", naming="CN=Test Root", position=1)


class TestPickLeaf:
    @pytest.mark.parametrize("order", list(itertools.permutations(range(4))), ids=str)
    def test_fullchain_in_any_order(self, ladder: Ladder, order: tuple[int, ...]) -> None:
        """A host file holding the whole chain in any order yields its end-entity."""
        certs = [ladder.leaf, ladder.lower, ladder.upper, ladder.root]
        host = material(*(certs[i] for i in order))
        assert pick_leaf(host) == ladder.leaf.cert
        result = build_chain(host, policy=Policy(store=trust(ladder.root), at=T0))
        assert_chain(result, [ladder.leaf, ladder.lower, ladder.upper, ladder.root])
        assert_usable(result)

    def test_single_certificate(self, chain3: Hierarchy) -> None:
        """A host file with one certificate yields that certificate."""
        assert pick_leaf(material(chain3.leaf)) == chain3.leaf.cert

    def test_leaf_with_unrelated_ca(self, chain3: Hierarchy, other: Hierarchy) -> None:
        """Beside an unrelated CA certificate, the end-entity certificate is the leaf."""
        assert pick_leaf(material(other.intermediate, chain3.leaf)) == chain3.leaf.cert

    def test_two_unrelated_leaves(self, chain3: Hierarchy, other: Hierarchy) -> None:
        """Two unrelated end-entity certificates in the host file are ambiguous."""
        host = material(chain3.leaf, other.leaf)
        with pytest.raises(AmbiguousLeaf):
            pick_leaf(host)
        with pytest.raises(AmbiguousLeaf):
            build_chain(host, policy=Policy(store=trust(chain3.root), at=T0))

    def test_host_without_certificate(self, chain3: Hierarchy) -> None:
        """A host file holding only a key is a LoadError, not an empty chain."""
        host = material(keys=[chain3.leaf.key])
        with pytest.raises(LoadError) as info:
            build_chain(
                host,
                material(chain3.leaf),
                policy=Policy(store=trust(chain3.root), at=T0),
            )
        assert not isinstance(info.value, AmbiguousLeaf)


class TestKeys:
    def test_explicit_matching_key(self, chain3: Hierarchy) -> None:
        """An explicit key that matches the leaf is returned and raises no finding."""
        result = build(
            chain3.leaf, chain3.intermediate, store=trust(chain3.root),
            keys=material(keys=[chain3.leaf.key]),
        )
        assert result.key is not None
        assert result.key.key.public_key() == chain3.leaf.key.public_key()
        assert not findings(result, "key-mismatch")
        assert not findings(result, "no-key")

    def test_explicit_other_key(self, chain3: Hierarchy, other: Hierarchy) -> None:
        """An explicit key that belongs to another certificate is a key-mismatch error."""
        result = build(
            chain3.leaf, chain3.intermediate, store=trust(chain3.root),
            keys=material(keys=[other.leaf.key]),
        )
        assert result.key is None
        assert not result.ok
        assert_finding(result, "key-mismatch", "error", position=0)

    def test_explicit_keys_replace_the_inputs(self, chain3: Hierarchy, other: Hierarchy) -> None:
        """With keys= given, a matching key among the inputs is not used instead."""
        result = build_chain(
            material(chain3.leaf, keys=[chain3.leaf.key]),
            material(chain3.intermediate),
            policy=Policy(store=trust(chain3.root), at=T0),
            keys=material(keys=[other.leaf.key]),
        )
        assert result.key is None
        assert_finding(result, "key-mismatch", "error")

    def test_key_in_host_file(self, chain3: Hierarchy) -> None:
        """With keys=None, a key in the host file (combined PEM) is found."""
        result = build_chain(
            material(chain3.leaf, keys=[chain3.leaf.key]),
            material(chain3.intermediate),
            policy=Policy(store=trust(chain3.root), at=T0),
        )
        assert result.key is not None
        assert_usable(result)
        assert not findings(result, "no-key")

    def test_key_among_candidates(self, chain3: Hierarchy, other: Hierarchy) -> None:
        """With keys=None, the matching key is found among several keys in other inputs."""
        keys = material(keys=[other.leaf.key, chain3.leaf.key], name="keys.pem")
        result = build_chain(
            material(chain3.leaf),
            Material.merge([material(chain3.intermediate), keys]),
            policy=Policy(store=trust(chain3.root), at=T0),
        )
        assert result.key is not None
        assert result.key.key.public_key() == chain3.leaf.key.public_key()
        assert not findings(result, "key-mismatch")

    def test_only_unrelated_key_among_inputs(self, chain3: Hierarchy, other: Hierarchy) -> None:
        """With keys=None, a key among the inputs that does not match is a key-mismatch."""
        result = build_chain(
            material(chain3.leaf, keys=[other.leaf.key]),
            material(chain3.intermediate),
            policy=Policy(store=trust(chain3.root), at=T0),
        )
        assert result.key is None
        assert_finding(result, "key-mismatch", "error")

    def test_no_key_at_all(self, chain3: Hierarchy) -> None:
        """Without any private key the result carries a no-key warning and stays ok."""
        result = build(chain3.leaf, chain3.intermediate, store=trust(chain3.root))
        assert result.key is None
        assert_usable(result)
        assert_finding(result, "no-key", "warning", position=0)

    @pytest.mark.parametrize("kind", ["rsa", "ec", "ed25519", "dsa"])
    def test_key_types(self, pki: PKI, chain3: Hierarchy, kind: str) -> None:
        """RSA, EC, Ed25519 and DSA leaf keys are matched to their certificate."""
        key = new_key(kind)
        leaf = pki.leaf(chain3.intermediate, key=key)
        result = build(
            leaf, chain3.intermediate, store=trust(chain3.root), keys=material(keys=[key])
        )
        assert result.key is not None
        assert not findings(result, "key-mismatch")
        mismatch = build(
            leaf, chain3.intermediate, store=trust(chain3.root),
            keys=material(keys=[chain3.leaf.key]),
        )
        assert_finding(mismatch, "key-mismatch", "error")


class TestHostname:
    @pytest.fixture(scope="class")
    @classmethod
    def wide(cls, pki: PKI, chain3: Hierarchy) -> Issued:
        """A leaf for hub.example.org, *.example.org and 10.0.0.1."""
        return pki.leaf(chain3.intermediate, "hub.example.org", "*.example.org", "10.0.0.1")

    @pytest.mark.parametrize(
        ("hostname", "covered"),
        [
            ("hub.example.org", True),
            ("a.example.org", True),
            ("10.0.0.1", True),
            ("a.b.example.org", False),
            ("example.org", False),
            ("10.0.0.2", False),
            ("hub.example.com", False),
        ],
    )
    def test_hostname(
        self, wide: Issued, chain3: Hierarchy, hostname: str, covered: bool
    ) -> None:
        """Exact names, one-label wildcards and IP SANs cover; others are hostname-mismatch."""
        result = build(wide, chain3.intermediate, store=trust(chain3.root), hostname=hostname)
        assert (("hostname-mismatch", "error") in codes(result)) is not covered
        assert result.ok is covered
        if not covered:
            assert_finding(result, "hostname-mismatch", "error", naming=hostname, position=0)

    def test_no_hostname_no_check(self, wide: Issued, chain3: Hierarchy) -> None:
        """Without hostname= no hostname-mismatch is reported."""
        result = build(wide, chain3.intermediate, store=trust(chain3.root))
        assert not findings(result, "hostname-mismatch")


class TestStrict:
    @pytest.fixture(scope="class")
    @classmethod
    def no_aki_leaf(cls, pki: PKI, chain3: Hierarchy) -> Issued:
        """A leaf without AKI: OpenSSL accepts it, cryptography's web-PKI policy does not."""
        return pki.leaf(chain3.intermediate, include_aki=False)

    def test_objection_is_a_warning_by_default(
        self, no_aki_leaf: Issued, chain3: Hierarchy
    ) -> None:
        """cryptography's objection alone is a strict-policy warning; the chain stays usable."""
        result = build(no_aki_leaf, chain3.intermediate, store=trust(chain3.root))
        assert_chain(result, [no_aki_leaf, chain3.intermediate, chain3.root])
        assert_usable(result)
        assert_finding(result, "strict-policy", "warning")

    def test_objection_is_an_error_in_strict_mode(
        self, no_aki_leaf: Issued, chain3: Hierarchy
    ) -> None:
        """With strict=True, cryptography's objection is a strict-policy error."""
        result = build(no_aki_leaf, chain3.intermediate, store=trust(chain3.root), strict=True)
        assert not result.ok
        assert errors(result) == {"strict-policy"}

    def test_clean_chain_has_no_objection(self, chain3: Hierarchy) -> None:
        """A chain cryptography accepts raises no strict-policy finding, strict or not."""
        result = build(chain3.leaf, chain3.intermediate, store=trust(chain3.root), strict=True)
        assert_usable(result)
        assert not findings(result, "strict-policy")


class TestInformational:
    def test_duplicate_certificate(self, chain3: Hierarchy) -> None:
        """The same certificate given twice is merged, with a duplicate-cert info."""
        result = build(
            [chain3.leaf, chain3.intermediate], chain3.intermediate, store=trust(chain3.root)
        )
        assert_chain(result, [chain3.leaf, chain3.intermediate, chain3.root])
        assert_finding(result, "duplicate-cert", "info", naming="Test Intermediate")
        assert_usable(result)

    def test_unrelated_certificate(self, chain3: Hierarchy, other: Hierarchy) -> None:
        """A certificate unrelated to the leaf is left out with an unused-cert warning."""
        result = build(
            chain3.leaf, other.intermediate, chain3.intermediate, store=trust(chain3.root)
        )
        assert_chain(result, [chain3.leaf, chain3.intermediate, chain3.root])
        assert_finding(result, "unused-cert", "warning", naming="Other Intermediate")
        assert_usable(result)

    def test_alternative_cross_sign(self, crossed: Crossed) -> None:
        """A cross-sign that was not chosen is an unused-cert info, not a warning."""
        result = build(
            crossed.leaf, crossed.inter_b, crossed.inter_a, crossed.root_b,
            store=trust(crossed.root_a),
        )
        assert_chain(result, [crossed.leaf, crossed.inter_a, crossed.root_a])
        unused = findings(result, "unused-cert")
        assert {f.severity.value for f in unused} == {"info"}
        assert len(unused) == 2  # the cross-sign and root B

    def test_same_named_certificate_is_said_to_share_the_name(
        self, pki: PKI, chain3: Hierarchy
    ) -> None:
        """A CA named as the intermediate but with another key: left out, and said why."""
        twin = pki.issue(chain3.intermediate.cert.subject, new_key(), chain3.root, ca=True)
        result = build(
            chain3.leaf, twin, chain3.intermediate, store=trust(chain3.root)
        )
        assert_chain(result, [chain3.leaf, chain3.intermediate, chain3.root])
        (unused,) = findings(result, "unused-cert")
        assert unused.severity.value == "info"
        assert "shares the name of a certificate in the chain" in unused.message

    def test_root_included(self, chain3: Hierarchy) -> None:
        """A chain ending at a self-signed root keeps it by default, with a root-included info."""
        result = build(chain3.leaf, chain3.intermediate, chain3.root, store=trust(chain3.root))
        assert_finding(result, "root-included", "info", naming="Test Root", position=2)
        assert result.output_chain == result.chain

    def test_no_root(self, chain3: Hierarchy) -> None:
        """With include_root=False the output drops the root and says nothing about it."""
        result = build(
            chain3.leaf, chain3.intermediate, chain3.root, store=trust(chain3.root),
            include_root=False,
        )
        assert_chain(result, [chain3.leaf, chain3.intermediate, chain3.root])
        assert result.output_chain == (chain3.leaf.cert, chain3.intermediate.cert)
        assert not findings(result, "root-included")

    def test_no_root_keeps_non_self_signed_anchor(self, chain3: Hierarchy) -> None:
        """include_root=False never drops an anchor that is not a self-signed root."""
        result = build(
            chain3.leaf, chain3.intermediate, store=trust(chain3.intermediate), include_root=False
        )
        assert result.output_chain == (chain3.leaf.cert, chain3.intermediate.cert)


class TestWeakKeys:
    def test_rsa_1024_leaf(self, pki: PKI, chain3: Hierarchy) -> None:
        """A leaf with an RSA 1024 key gets a weak-key error, a warning when allowed."""
        leaf = pki.leaf(chain3.intermediate, key=new_key("rsa1024"))
        result = build(leaf, chain3.intermediate, store=trust(chain3.root))
        assert_finding(result, "weak-key", "error", naming="hub.example.org", position=0)
        assert not result.ok
        allowed = build(leaf, chain3.intermediate, store=trust(chain3.root), allow_weak=True)
        assert_finding(allowed, "weak-key", "warning", naming="hub.example.org", position=0)
        assert "weak-key" not in errors(allowed)


class TestPermutations:
    @pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=str)
    def test_one_file_each(self, ladder: Ladder, order: tuple[int, ...]) -> None:
        """Two intermediates and a root, one per file, in any order, give the same chain."""
        cas = [ladder.lower, ladder.upper, ladder.root]
        result = build(ladder.leaf, *(cas[i] for i in order), store=trust(ladder.root))
        assert_chain(result, [ladder.leaf, ladder.lower, ladder.upper, ladder.root])
        assert_usable(result)

    @pytest.mark.parametrize("order", list(itertools.permutations(range(4))), ids=str)
    def test_spread_over_two_files(self, ladder: Ladder, order: tuple[int, ...]) -> None:
        """Leaf, intermediates and root split over two files in any order give the same chain."""
        certs = [ladder.leaf, ladder.lower, ladder.upper, ladder.root]
        ordered = [certs[i] for i in order]
        first, second = ordered[:2], ordered[2:]
        host, rest = (first, second) if ladder.leaf in first else (second, first)
        result = build_chain(
            material(*host, name="host.pem"),
            material(*rest, name="rest.pem"),
            policy=Policy(store=trust(ladder.root, explicit=False), at=T0),
        )
        assert_chain(result, [ladder.leaf, ladder.lower, ladder.upper, ladder.root])
        assert_usable(result)

    @pytest.mark.parametrize("order", list(itertools.permutations(range(5))), ids=str)
    def test_cross_signed_inputs(self, detour: Detour, order: tuple[int, ...]) -> None:
        """With several possible paths, the chosen chain never depends on the input order."""
        inputs = [detour.inter_a, detour.inter_c, detour.c, detour.root_a, detour.root_b]
        result = build(detour.leaf, *(inputs[i] for i in order), store=CERTIFI_LIKE)
        assert_chain(result, [detour.leaf, detour.inter_a, detour.root_a])


    @pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=str)
    def test_incomplete_result_is_deterministic(
        self, crossed: Crossed, other: Hierarchy, order: tuple[int, ...]
    ) -> None:
        """When no path completes, the partial chain and missing issuer do not depend on order."""
        inputs = [crossed.inter_a, crossed.inter_b, other.intermediate]
        result = build(crossed.leaf, *(inputs[i] for i in order), store=trust(other.root))
        reference = build(crossed.leaf, *inputs, store=trust(other.root))
        assert not result.complete
        assert result.chain == reference.chain
        assert [f.message for f in findings(result, "missing-issuer")] == [
            f.message for f in findings(reference, "missing-issuer")
        ]


class TestScale:
    def test_thousands_of_decoys(self, pki: PKI, ladder: Ladder) -> None:
        """2,000 unrelated candidates beside the real chain still build the right chain."""
        key = new_key()  # one key for every decoy: generation is the slow part
        decoy_root = pki.root("Decoy Root", key=key)
        decoys = [
            pki.issue(subject(f"Decoy {n}"), key, decoy_root, ca=n % 2 == 0).cert
            for n in range(2000)
        ]
        candidates = material(*decoys[:1000], ladder.upper, *decoys[1000:], ladder.lower)
        result = build_chain(
            material(ladder.leaf),
            candidates,
            policy=Policy(store=trust(ladder.root), at=T0),
        )
        assert_chain(result, [ladder.leaf, ladder.lower, ladder.upper, ladder.root])
        assert_usable(result)
        (unused,) = findings(result, "unused-cert")  # one finding counts them all
        assert unused.severity.value == "warning"
        assert unused.message.startswith("2,000 certificates are unrelated to this host ")
        assert "CN=Decoy 0,O=certchain tests from <data> (item 1, PEM); CN=Decoy 1," in unused.message
        assert "and 1,997 more" in unused.message
