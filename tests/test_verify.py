"""
``verify_chain``, ``verify_file`` and ``Report``: a deployed file judged as it stands.

Every report is made at ``T0``.  Hierarchies that several tests share are
module-scoped fixtures; certificates a single test is about are made in it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import testdata
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pki import NOT_AFTER, PKI, T0, Issued, key_pem, new_key, pem, sha1_signed

from certchain import (
    Policy,
    LoadError,
    Material,
    TrustStore,
    certifi_store,
    load_bytes,
    load_file,
    store_from_paths,
)
from certchain.findings import Code, Finding, Severity, subject_text
from certchain.model import fingerprint
from certchain.verify import Report, verify_chain, verify_file

UTC = dt.timezone.utc
FILE = Path("/srv/hub/hub-chained.crt")
KEY_FILE = Path("/srv/hub/hub.key")

# The contract's codes and their fixed severities (untrusted-root and
# strict-policy depend on --trust and --strict and are tested on their own).
SEVERITIES = {
    "wrong-order": "error",
    "missing-issuer": "error",
    "extra-cert": "error",
    "duplicate-cert": "warning",
    "bad-signature": "error",
    "not-a-ca": "error",
    "path-length": "error",
    "expired": "error",
    "not-yet-valid": "error",
    "expires-soon": "warning",
    "issuer-expires-first": "warning",
    "key-mismatch": "error",
    "hostname-mismatch": "error",
    "root-included": "info",
    "weak-signature": "error",  # a warning with allow_weak (TestWeakness)
    "weak-key": "error",
}
VERIFY_CODES = sorted({*SEVERITIES, "untrusted-root", "strict-policy"})

Item = Issued | x509.Certificate


# ----------------------------------------------------------------- helpers


def cert_of(item: Item) -> x509.Certificate:
    """Return the certificate of *item*."""
    return item.cert if isinstance(item, Issued) else item


def deployed(*items: Item, keys: Sequence[Any] = ()) -> Material:
    """Return *items* (and *keys*) loaded as one PEM file, in this order."""
    data = b"".join(pem(cert_of(i)) for i in items) + b"".join(key_pem(k) for k in keys)
    return load_bytes(data, source=FILE)


def key_material(key: Any) -> Material:
    """Return *key* loaded as a ``--key`` file."""
    return load_bytes(key_pem(key), source=KEY_FILE)


def anchors(*roots: Item) -> TrustStore:
    """Return an explicit store (``--trust``) holding *roots*."""
    return TrustStore(tuple(cert_of(r) for r in roots), "test anchors", explicit=True)


def verify(*items: Item, store: TrustStore, keys_in_file: Sequence[Any] = (),
           keys: Material | None = None, **policy: Any) -> Report:
    """Judge *items* as one deployed file at T0 (*policy*: other Policy fields)."""
    return verify_chain(
        deployed(*items, keys=keys_in_file), policy=Policy(store=store, at=T0, **policy),
        keys=keys,
    )


def codes(report: Report) -> set[str]:
    """Return the codes of every finding."""
    return {f.code.value for f in report.findings}


def errors(report: Report) -> set[str]:
    """Return the codes of the error findings."""
    return {f.code.value for f in report.findings if f.severity is Severity.ERROR}


def findings_of(report: Report, code: str) -> list[Finding]:
    """Return the findings with *code*."""
    return [f for f in report.findings if f.code.value == code]


def assert_finding(
    report: Report, code: str, severity: str, *, cert: int | None, naming: str = ""
) -> Finding:
    """Assert exactly one *code* finding, with *severity*, about file index *cert*."""
    found = findings_of(report, code)
    assert len(found) == 1, [f"{f.code.value}: {f.message}" for f in report.findings]
    (finding,) = found
    assert finding.severity.value == severity, finding
    assert finding.position == cert, finding
    assert naming in finding.message, finding.message
    return finding


def sentences(message: str) -> list[str]:
    """Split *message* into sentences (a stop followed by a capital starts one)."""
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", message.strip())


@dataclass(frozen=True)
class Four:
    """root -> upper -> lower -> leaf: a four-certificate chain."""

    root: Issued
    upper: Issued
    lower: Issued
    leaf: Issued

    @property
    def right_order(self) -> tuple[Issued, ...]:
        return (self.leaf, self.lower, self.upper, self.root)


@dataclass(frozen=True)
class CrossSigned:
    """A new root, cross-signed by an older one, with a CA and a leaf below it."""

    old_root: Issued
    new_root: Issued
    new_by_old: Issued
    ca: Issued
    leaf: Issued


@pytest.fixture(scope="module")
def four(pki: PKI) -> Four:
    """A four-certificate hierarchy for hub.example.org (shared, read-only)."""
    root = pki.root("Verify Root")
    upper = pki.intermediate(root, "Verify Upper CA")
    lower = pki.intermediate(upper, "Verify Lower CA")
    return Four(root, upper, lower, pki.leaf(lower, "hub.example.org"))


@pytest.fixture(scope="module")
def store(four: Four) -> TrustStore:
    """An explicit store that trusts the four-chain's root."""
    return anchors(four.root)


@pytest.fixture(scope="module")
def stranger(pki: PKI) -> Issued:
    """A self-signed root unrelated to every other hierarchy."""
    return pki.root("Stranger Root")


@pytest.fixture(scope="module")
def certifi() -> TrustStore:
    """certifi's bundle (the default store), loaded once."""
    return certifi_store()


@pytest.fixture(scope="module")
def cross(pki: PKI) -> CrossSigned:
    """A cross-signed root served for older clients (shared, read-only)."""
    old_root = pki.root("Verify Old Root")
    new_root = pki.root("Verify New Root")
    new_by_old = pki.cross_sign(new_root, old_root)
    ca = pki.intermediate(new_root, "Verify Cross CA")
    return CrossSigned(old_root, new_root, new_by_old, ca, pki.leaf(ca, "hub.example.org"))


@pytest.fixture(scope="module")
def good(four: Four, store: TrustStore) -> Report:
    """The four-chain in the right order, with its key, hostname and --strict."""
    return verify(
        *four.right_order, store=store, keys=key_material(four.leaf.key),
        hostname="hub.example.org", strict=True,
    )


@pytest.fixture(scope="module")
def good_without_root(four: Four, store: TrustStore) -> Report:
    """The four-chain without its root, with its key, hostname and --strict."""
    return verify(
        four.leaf, four.lower, four.upper, store=store, keys=key_material(four.leaf.key),
        hostname="hub.example.org", strict=True,
    )


# -------------------------------------------------------------- good chain


class TestGoodChain:
    def test_contract_codes_are_stable_codes(self) -> None:
        """Every code of the contract is a Code value."""
        assert {Code(value).value for value in VERIFY_CODES} == set(VERIFY_CODES)

    @pytest.mark.parametrize("code", sorted(set(VERIFY_CODES) - {"root-included"}))
    def test_code_absent_on_good_chain(self, good: Report, code: str) -> None:
        """A good chain (key, hostname and --strict given) carries none of the problem codes."""
        assert code not in codes(good)

    @pytest.mark.parametrize("code", VERIFY_CODES)
    def test_code_absent_on_good_chain_without_root(
        self, good_without_root: Report, code: str
    ) -> None:
        """A good chain that leaves the root out carries no finding at all of the contract's."""
        assert code not in codes(good_without_root)

    def test_good_chain_is_ok_with_root_included_only(self, good: Report) -> None:
        """A good chain ending with its root is ok; its only finding is root-included."""
        assert good.ok
        assert [(f.code.value, f.severity.value, f.position) for f in good.findings] == [
            ("root-included", "info", 3)
        ]

    def test_report_fields(self, four: Four, good: Report) -> None:
        """The report keeps the file's order, the roles, each link, the path and validity."""
        certs = tuple(i.cert for i in four.right_order)

        assert good.chain == certs
        assert good.roles == ("leaf", "intermediate", "intermediate", "root")
        assert good.links == (True, True, True, None)
        assert good.path == certs
        assert good.complete
        assert good.valid_until == NOT_AFTER
        assert good.source == FILE
        assert not good.repairable

    def test_path_may_end_at_anchor_outside_the_file(
        self, four: Four, good_without_root: Report
    ) -> None:
        """Without the root in the file, the path still reaches the trusted anchor."""
        assert good_without_root.ok
        assert good_without_root.complete
        assert good_without_root.path[-1] == four.root.cert
        assert good_without_root.roles == ("leaf", "intermediate", "intermediate")
        assert good_without_root.links == (True, True, None)

    def test_no_key_is_not_a_finding(self, four: Four, store: TrustStore) -> None:
        """Without any private key there is no key finding: verify judges certificates."""
        report = verify(*four.right_order, store=store)

        assert report.ok
        assert codes(report) == {"root-included"}


# ------------------------------------------------------------------- order


class TestWrongOrder:
    @pytest.mark.parametrize("order", list(itertools.permutations(range(4))), ids=str)
    def test_every_wrong_order_is_reported(
        self, four: Four, store: TrustStore, order: tuple[int, ...]
    ) -> None:
        """Every order but leaf, lower, upper, root yields wrong-order; the right one no error."""
        items = [four.right_order[i] for i in order]

        report = verify(*items, store=store)

        if order == (0, 1, 2, 3):
            assert errors(report) == set()
            assert report.ok
        else:
            assert errors(report) == {"wrong-order"}
            assert report.repairable
        assert report.complete

    def test_leaf_not_first_names_both(self, four: Four, store: TrustStore) -> None:
        """A file starting with a CA is wrong-order about certificate 0, naming it and the leaf."""
        report = verify(four.lower, four.leaf, four.upper, four.root, store=store)

        finding = assert_finding(report, "wrong-order", "error", cert=0,
                                 naming=subject_text(four.lower.cert))
        assert subject_text(four.leaf.cert) in finding.message
        assert report.roles == ("intermediate", "leaf", "intermediate", "root")

    def test_issuers_swapped_points_at_the_first_misplaced(
        self, four: Four, store: TrustStore
    ) -> None:
        """Leaf first but upper before lower: wrong-order about certificate 1, naming it."""
        report = verify(four.leaf, four.upper, four.lower, four.root, store=store)

        assert_finding(report, "wrong-order", "error", cert=1,
                       naming=subject_text(four.upper.cert))
        assert report.links == (False, False, False, None)

    def test_wrong_order_without_root_in_file(self, four: Four, store: TrustStore) -> None:
        """Swapped intermediates are wrong-order even when the root is left out."""
        report = verify(four.leaf, four.upper, four.lower, store=store)

        assert errors(report) == {"wrong-order"}


# ---------------------------------------------------------- missing issuer


class TestMissingIssuer:
    def test_missing_intermediate(self, four: Four, store: TrustStore) -> None:
        """Without lower, the leaf has no issuer: an error naming the leaf and its issuer."""
        report = verify(four.leaf, four.upper, four.root, store=store)

        finding = assert_finding(report, "missing-issuer", "error", cert=0,
                                 naming=subject_text(four.leaf.cert))
        assert subject_text(four.lower.cert) in finding.message
        assert not report.ok
        assert not report.complete
        assert report.valid_until is None
        assert not report.repairable

    def test_message_names_the_aia_url(self, pki: PKI, four: Four, store: TrustStore) -> None:
        """The missing-issuer message names the caIssuers URL of the certificate's AIA."""
        url = "http://ca.example.test/lower.crt"
        leaf = pki.leaf(four.lower, "hub.example.org", aia_url=url)

        report = verify(leaf, four.upper, four.root, store=store)

        finding = assert_finding(report, "missing-issuer", "error", cert=0)
        assert url in finding.message
        assert subject_text(four.lower.cert) in finding.message

    def test_no_url_without_aia(self, four: Four, store: TrustStore) -> None:
        """Without an AIA extension the message names no URL."""
        report = verify(four.leaf, store=store)

        finding = assert_finding(report, "missing-issuer", "error", cert=0)
        assert "http" not in finding.message

    def test_private_root_missing_from_default_store(
        self, four: Four, certifi: TrustStore
    ) -> None:
        """A private chain without its root, against certifi, misses the root above upper."""
        report = verify(four.leaf, four.lower, four.upper, store=certifi)

        finding = assert_finding(report, "missing-issuer", "error", cert=2,
                                 naming=subject_text(four.upper.cert))
        assert subject_text(four.root.cert) in finding.message

    def test_cert_is_the_file_index(self, four: Four, store: TrustStore) -> None:
        """In a shuffled file, missing-issuer points at the certificate's place in the file."""
        report = verify(four.upper, four.leaf, four.root, store=store)

        assert_finding(report, "missing-issuer", "error", cert=1,
                       naming=subject_text(four.leaf.cert))


# ------------------------------------------------------------ extra / dups


class TestExtraCert:
    def test_unrelated_root_at_the_end(
        self, four: Four, store: TrustStore, stranger: Issued
    ) -> None:
        """An unrelated root after the chain is extra-cert, role extra, repairable."""
        report = verify(*four.right_order, stranger, store=store)

        assert_finding(report, "extra-cert", "error", cert=4,
                       naming=subject_text(stranger.cert))
        assert report.roles[4] == "extra"
        assert errors(report) == {"extra-cert"}
        assert report.repairable

    def test_unrelated_cert_in_the_middle(
        self, four: Four, store: TrustStore, stranger: Issued
    ) -> None:
        """An unrelated certificate between leaf and issuer is extra-cert, not wrong-order."""
        report = verify(four.leaf, stranger, four.lower, four.upper, four.root, store=store)

        assert_finding(report, "extra-cert", "error", cert=1)
        assert errors(report) == {"extra-cert"}
        assert report.roles == ("leaf", "extra", "intermediate", "intermediate", "root")

    def test_other_hosts_leaf(self, pki: PKI, four: Four, store: TrustStore) -> None:
        """Another host's leaf from the same CA is extra-cert."""
        other = pki.leaf(four.lower, "other.example.org")

        report = verify(*four.right_order, other, store=store)

        assert_finding(report, "extra-cert", "error", cert=4, naming="other.example.org")

    def test_not_reported_when_the_path_is_incomplete(
        self, four: Four, store: TrustStore, stranger: Issued
    ) -> None:
        """With an issuer missing, an unconnected certificate is not extra-cert."""
        report = verify(four.leaf, four.upper, four.root, stranger, store=store)

        assert "missing-issuer" in errors(report)
        assert "extra-cert" not in codes(report)

    def test_extra_twice_is_one_extra_and_one_duplicate(
        self, four: Four, store: TrustStore, stranger: Issued
    ) -> None:
        """The same extra certificate twice: extra-cert once, duplicate-cert for the copy."""
        report = verify(*four.right_order, stranger, stranger, store=store)

        assert_finding(report, "extra-cert", "error", cert=4)
        assert_finding(report, "duplicate-cert", "warning", cert=5)

    def test_cross_signed_root_stands_for_the_anchor(
        self, cross: CrossSigned
    ) -> None:
        """A new root cross-signed by an old one, served for old clients, is not extra-cert."""
        report = verify(cross.leaf, cross.ca, cross.new_by_old, store=anchors(cross.new_root))

        assert "extra-cert" not in codes(report)
        assert errors(report) == set()
        assert report.ok
        assert report.complete
        assert report.roles[2] != "extra"
        assert report.links == (True, True, None)

    def test_expired_cross_sign_is_a_warning(self, pki: PKI, cross: CrossSigned) -> None:
        """An expired cross-signed copy of the anchor is expired-cross-sign, a warning only."""
        stale = pki.cross_sign(cross.new_root, cross.old_root, not_after=T0 - dt.timedelta(days=1))

        report = verify(cross.leaf, cross.ca, stale, store=anchors(cross.new_root))

        finding = assert_finding(report, "expired-cross-sign", "warning", cert=2)
        assert "Verify Old Root" in finding.message
        assert report.ok

    def test_valid_cross_sign_has_no_expiry_finding(self, cross: CrossSigned) -> None:
        """A cross-sign still valid at the time gets no expired-cross-sign."""
        report = verify(cross.leaf, cross.ca, cross.new_by_old, store=anchors(cross.new_root))

        assert "expired-cross-sign" not in codes(report)

    def test_cross_signed_root_out_of_place_is_wrong_order(self, cross: CrossSigned) -> None:
        """The cross-signed root before the CA it stands above is wrong-order."""
        report = verify(cross.leaf, cross.new_by_old, cross.ca, store=anchors(cross.new_root))

        assert_finding(report, "wrong-order", "error", cert=1)


class TestDuplicateCert:
    def test_intermediate_twice(self, four: Four, store: TrustStore) -> None:
        """The same intermediate twice is a duplicate-cert warning about the copy, still ok."""
        report = verify(four.leaf, four.lower, four.lower, four.upper, four.root, store=store)

        finding = assert_finding(report, "duplicate-cert", "warning", cert=2,
                                 naming=subject_text(four.lower.cert))
        assert "1" in finding.message
        assert errors(report) == set()
        assert report.ok

    def test_leaf_twice(self, four: Four, store: TrustStore) -> None:
        """A repeated leaf is a duplicate-cert warning, not wrong-order."""
        report = verify(four.leaf, four.leaf, four.lower, four.upper, store=store)

        assert_finding(report, "duplicate-cert", "warning", cert=1)
        assert errors(report) == set()

    def test_root_twice(self, four: Four, store: TrustStore) -> None:
        """A repeated root at the end is a duplicate-cert warning."""
        report = verify(*four.right_order, four.root, store=store)

        assert_finding(report, "duplicate-cert", "warning", cert=4)
        assert errors(report) == set()


# ------------------------------------------------------------- signatures


class TestBadSignature:
    def test_same_named_ca_with_another_key(
        self, pki: PKI, four: Four, store: TrustStore
    ) -> None:
        """A same-named CA with another key after the leaf, the right one absent: bad-signature."""
        impostor = pki.intermediate(four.upper, "Verify Lower CA")

        report = verify(four.leaf, impostor, four.upper, four.root, store=store)

        finding = assert_finding(report, "bad-signature", "error", cert=0,
                                 naming=subject_text(four.leaf.cert))
        assert subject_text(impostor.cert) in finding.message
        assert report.links[0] is False
        assert not report.ok

    def test_same_named_ca_before_the_right_one(
        self, pki: PKI, four: Four, store: TrustStore
    ) -> None:
        """An impostor between the leaf and the right CA: bad-signature on the leaf, it is extra."""
        impostor = pki.intermediate(four.upper, "Verify Lower CA")

        report = verify(four.leaf, impostor, four.lower, four.upper, four.root, store=store)

        assert_finding(report, "bad-signature", "error", cert=0)
        assert_finding(report, "extra-cert", "error", cert=1)


# ---------------------------------------------------------------- CA rules


class TestIssuerRules:
    def test_not_a_ca(self, pki: PKI, four: Four, store: TrustStore) -> None:
        """An issuer with cA=FALSE is not-a-ca, about its place in the file."""
        issuer = pki.intermediate(four.upper, "Verify Not A CA", ca=False)
        leaf = pki.leaf(issuer, "hub.example.org")

        report = verify(leaf, issuer, four.upper, four.root, store=store)

        found = findings_of(report, "not-a-ca")
        assert found
        assert {(f.severity.value, f.position) for f in found} == {("error", 1)}
        assert all(subject_text(issuer.cert) in f.message for f in found)
        assert not report.ok

    def test_path_length(self, pki: PKI, four: Four, store: TrustStore) -> None:
        """pathLen 0 on the upper CA with another CA below it is path-length, about the upper CA."""
        upper = pki.intermediate(four.root, "Verify Short CA", path_length=0)
        lower = pki.intermediate(upper, "Verify Below Short CA")
        leaf = pki.leaf(lower, "hub.example.org")

        report = verify(leaf, lower, upper, four.root, store=store)

        assert_finding(report, "path-length", "error", cert=2,
                       naming=subject_text(upper.cert))
        assert not report.ok

    def test_path_length_zero_directly_above_leaf_is_fine(
        self, pki: PKI, four: Four, store: TrustStore
    ) -> None:
        """pathLen 0 on the CA that issues the leaf is no path-length finding."""
        ca = pki.intermediate(four.root, "Verify Leaf-only CA", path_length=0)
        leaf = pki.leaf(ca, "hub.example.org")

        report = verify(leaf, ca, four.root, store=store)

        assert "path-length" not in codes(report)
        assert report.ok


# ---------------------------------------------------------------- validity


class TestValidity:
    def leaf_chain(self, pki: PKI, four: Four, **knobs: Any) -> tuple[Issued, ...]:
        """Return (leaf with *knobs*, lower, upper)."""
        return (pki.leaf(four.lower, "hub.example.org", **knobs), four.lower, four.upper)

    def test_expired_one_second_after_not_after(
        self, pki: PKI, four: Four, store: TrustStore
    ) -> None:
        """A leaf whose notAfter is one second before T0 is expired (boundary: notAfter)."""
        chain = self.leaf_chain(pki, four, not_after=T0 - dt.timedelta(seconds=1))

        report = verify(*chain, store=store)

        assert_finding(report, "expired", "error", cert=0, naming="hub.example.org")
        assert not report.ok

    def test_valid_at_not_after(self, pki: PKI, four: Four, store: TrustStore) -> None:
        """A leaf whose notAfter is T0 itself is still valid (boundary: notAfter)."""
        chain = self.leaf_chain(pki, four, not_after=T0)

        report = verify(*chain, store=store)

        assert "expired" not in codes(report)
        assert report.ok

    def test_not_yet_valid_one_second_before_not_before(
        self, pki: PKI, four: Four, store: TrustStore
    ) -> None:
        """A leaf whose notBefore is one second after T0 is not-yet-valid (boundary: notBefore)."""
        chain = self.leaf_chain(pki, four, not_before=T0 + dt.timedelta(seconds=1))

        report = verify(*chain, store=store)

        assert_finding(report, "not-yet-valid", "error", cert=0, naming="hub.example.org")

    def test_valid_at_not_before(self, pki: PKI, four: Four, store: TrustStore) -> None:
        """A leaf whose notBefore is T0 itself is valid (boundary: notBefore)."""
        chain = self.leaf_chain(pki, four, not_before=T0)

        report = verify(*chain, store=store)

        assert "not-yet-valid" not in codes(report)
        assert report.ok

    def test_expires_soon_inside_window(
        self, pki: PKI, four: Four, store: TrustStore
    ) -> None:
        """30 days less one second left is expires-soon, a warning (boundary: the 30-day window)."""
        chain = self.leaf_chain(pki, four, not_after=T0 + dt.timedelta(days=30, seconds=-1))

        report = verify(*chain, store=store)

        assert_finding(report, "expires-soon", "warning", cert=0, naming="hub.example.org")
        assert report.ok

    def test_not_soon_at_window_edge(self, pki: PKI, four: Four, store: TrustStore) -> None:
        """Exactly 30 days left is not expires-soon (boundary: the 30-day window)."""
        chain = self.leaf_chain(pki, four, not_after=T0 + dt.timedelta(days=30))

        report = verify(*chain, store=store)

        assert "expires-soon" not in codes(report)

    def test_warn_days_sets_the_window(self, pki: PKI, four: Four, store: TrustStore) -> None:
        """warn_days=5 silences a leaf with 10 days left; warn_days=11 reports it."""
        chain = self.leaf_chain(pki, four, not_after=T0 + dt.timedelta(days=10))

        assert "expires-soon" not in codes(verify(*chain, store=store, warn_days=5))
        assert "expires-soon" in codes(verify(*chain, store=store, warn_days=11))

    def test_expired_intermediate_points_at_it(
        self, pki: PKI, four: Four, store: TrustStore
    ) -> None:
        """An expired CA is expired about its own place in the file."""
        ca = pki.intermediate(four.upper, "Verify Expired CA",
                              not_after=T0 - dt.timedelta(days=1))
        leaf = pki.leaf(ca, "hub.example.org", not_after=T0 - dt.timedelta(days=2))

        report = verify(leaf, ca, four.upper, store=store)

        assert {f.position for f in findings_of(report, "expired")} == {0, 1}

    def test_issuer_expires_first(self, pki: PKI, four: Four, store: TrustStore) -> None:
        """A CA expiring before the leaf it issued is issuer-expires-first, about the CA."""
        ca_end = dt.datetime(2040, 1, 1, tzinfo=UTC)
        ca = pki.intermediate(four.upper, "Verify Short-lived CA", not_after=ca_end)
        leaf = pki.leaf(ca, "hub.example.org")

        report = verify(leaf, ca, four.upper, four.root, store=store)

        finding = assert_finding(report, "issuer-expires-first", "warning", cert=1,
                                 naming=subject_text(ca.cert))
        assert "hub.example.org" in finding.message
        assert report.ok
        assert report.valid_until == ca_end

    def test_valid_until_is_the_earliest_on_the_path(
        self, pki: PKI, four: Four, store: TrustStore
    ) -> None:
        """valid_until is the earliest notAfter of the path, the leaf's here."""
        end = dt.datetime(2031, 6, 1, tzinfo=UTC)
        chain = self.leaf_chain(pki, four, not_after=end)

        assert verify(*chain, store=store).valid_until == end

    def test_cert_is_the_file_index_in_a_shuffled_file(
        self, pki: PKI, four: Four, store: TrustStore
    ) -> None:
        """In a shuffled file, findings about a CA point at its index in the file, not the path."""
        ca = pki.intermediate(four.upper, "Verify Soon CA",
                              not_after=T0 + dt.timedelta(days=3))
        leaf = pki.leaf(ca, "hub.example.org")

        report = verify(ca, four.upper, leaf, four.root, store=store)

        assert_finding(report, "expires-soon", "warning", cert=0, naming="Verify Soon CA")
        assert_finding(report, "issuer-expires-first", "warning", cert=0)
        assert_finding(report, "wrong-order", "error", cert=0)


# --------------------------------------------------------- key / hostname


class TestKeyAndHostname:
    def test_key_mismatch(self, four: Four, store: TrustStore) -> None:
        """A --key that is not the leaf's is key-mismatch, naming the leaf and the key file."""
        report = verify(*four.right_order, store=store, keys=key_material(new_key()))

        finding = assert_finding(report, "key-mismatch", "error", cert=0,
                                 naming=subject_text(four.leaf.cert))
        assert str(KEY_FILE) in finding.message
        assert not report.ok

    def test_key_matches(self, four: Four, store: TrustStore) -> None:
        """The leaf's own key is no finding."""
        report = verify(*four.right_order, store=store, keys=key_material(four.leaf.key))

        assert "key-mismatch" not in codes(report)
        assert report.ok

    def test_wrong_key_inside_the_file(self, four: Four, store: TrustStore) -> None:
        """A key in the file that is not the leaf's is key-mismatch."""
        report = verify(*four.right_order, store=store, keys_in_file=[new_key()])

        assert_finding(report, "key-mismatch", "error", cert=0)

    def test_right_key_inside_the_file(self, four: Four, store: TrustStore) -> None:
        """The leaf's key in the file is no finding."""
        report = verify(*four.right_order, store=store, keys_in_file=[four.leaf.key])

        assert "key-mismatch" not in codes(report)

    def test_explicit_key_wins_over_the_file(self, four: Four, store: TrustStore) -> None:
        """With keys= given, a stray key in the file is not judged."""
        report = verify(*four.right_order, store=store, keys_in_file=[new_key()],
                        keys=key_material(four.leaf.key))

        assert "key-mismatch" not in codes(report)

    def test_key_mismatch_points_at_the_leaf_in_a_shuffled_file(
        self, four: Four, store: TrustStore
    ) -> None:
        """key-mismatch points at the leaf's index in the file."""
        report = verify(four.lower, four.leaf, four.upper, store=store,
                        keys=key_material(new_key()))

        assert_finding(report, "key-mismatch", "error", cert=1)

    def test_hostname_mismatch(self, four: Four, store: TrustStore) -> None:
        """A hostname the leaf does not cover is hostname-mismatch, naming both."""
        report = verify(*four.right_order, store=store, hostname="other.example.org")

        finding = assert_finding(report, "hostname-mismatch", "error", cert=0,
                                 naming=subject_text(four.leaf.cert))
        assert "other.example.org" in finding.message

    def test_hostname_matches(self, four: Four, store: TrustStore) -> None:
        """A hostname the leaf covers is no finding."""
        report = verify(*four.right_order, store=store, hostname="hub.example.org")

        assert "hostname-mismatch" not in codes(report)

    def test_ip_address(self, pki: PKI, four: Four, store: TrustStore) -> None:
        """An IP address in the leaf's SAN matches; another address does not."""
        leaf = pki.leaf(four.lower, "192.0.2.10")

        assert "hostname-mismatch" not in codes(
            verify(leaf, four.lower, four.upper, store=store, hostname="192.0.2.10"))
        assert "hostname-mismatch" in codes(
            verify(leaf, four.lower, four.upper, store=store, hostname="192.0.2.11"))


# ------------------------------------------------------------------- trust


class TestTrust:
    def test_private_root_against_default_store_is_a_warning(
        self, four: Four, certifi: TrustStore
    ) -> None:
        """A private root against certifi is untrusted-root, a warning: the file still passes."""
        report = verify(*four.right_order, store=certifi)

        assert_finding(report, "untrusted-root", "warning", cert=3,
                       naming=subject_text(four.root.cert))
        assert report.ok

    def test_other_explicit_root_is_an_error(
        self, four: Four, stranger: Issued
    ) -> None:
        """With --trust naming another root, ending at this root is an untrusted-root error."""
        report = verify(*four.right_order, store=anchors(stranger))

        assert_finding(report, "untrusted-root", "error", cert=3,
                       naming=subject_text(four.root.cert))
        assert not report.ok

    def test_root_included(self, four: Four, store: TrustStore) -> None:
        """A file ending with its self-signed root gets root-included, info."""
        report = verify(*four.right_order, store=store)

        assert_finding(report, "root-included", "info", cert=3,
                       naming=subject_text(four.root.cert))

    def test_cross_signed_end_is_not_root_included(self, cross: CrossSigned) -> None:
        """A file ending with a cross-signed (not self-signed) root gets no root-included."""
        report = verify(cross.leaf, cross.ca, cross.new_by_old, store=anchors(cross.new_root))

        assert "root-included" not in codes(report)

    def test_trusted_intermediate_as_anchor(self, four: Four) -> None:
        """A store trusting the lower CA makes leaf and lower a complete, ok path."""
        report = verify(four.leaf, four.lower, store=anchors(four.lower))

        assert report.ok
        assert report.complete
        assert "untrusted-root" not in codes(report)


# -------------------------------------------------------------- weaknesses


@pytest.fixture(scope="module")
def rsa_root(pki: PKI) -> Issued:
    """An RSA root, so that SHA-1 signatures can be made below it."""
    return pki.root("Verify RSA Root", key=new_key("rsa"))


class TestWeakness:
    def test_sha1_intermediate(self, pki: PKI, rsa_root: Issued) -> None:
        """A SHA-1 signed intermediate is weak-signature, a warning about it when allowed."""
        key = new_key()
        inter = Issued(
            sha1_signed(pki.intermediate(rsa_root, "Verify SHA1 CA", key=key).cert,
                        rsa_root.key),
            key,
        )
        leaf = pki.leaf(inter, "hub.example.org")

        report = verify(leaf, inter, rsa_root, store=anchors(rsa_root), allow_weak=True)

        assert_finding(report, "weak-signature", "warning", cert=1, naming="Verify SHA1 CA")
        assert report.ok

    def test_sha1_leaf(self, pki: PKI, rsa_root: Issued) -> None:
        """A SHA-1 signed leaf is weak-signature: an error by default, a warning when allowed."""
        ca = pki.intermediate(rsa_root, "Verify RSA CA", key=new_key("rsa"))
        leaf = sha1_signed(pki.leaf(ca, "hub.example.org").cert, ca.key)

        report = verify(leaf, ca, rsa_root, store=anchors(rsa_root))
        allowed = verify(leaf, ca, rsa_root, store=anchors(rsa_root), allow_weak=True)

        assert_finding(report, "weak-signature", "error", cert=0, naming="hub.example.org")
        assert not report.ok
        assert_finding(allowed, "weak-signature", "warning", cert=0, naming="hub.example.org")
        assert allowed.ok

    def test_rsa_1024_leaf(self, pki: PKI, four: Four, store: TrustStore) -> None:
        """An RSA 1024 leaf is weak-key, a warning about the leaf when allowed."""
        leaf = pki.leaf(four.lower, "hub.example.org", key=new_key("rsa1024"))

        report = verify(leaf, four.lower, four.upper, store=store, allow_weak=True)

        finding = assert_finding(report, "weak-key", "warning", cert=0,
                                 naming="hub.example.org")
        assert "1024" in finding.message
        assert report.ok


class TestStrictPolicy:
    @pytest.fixture(scope="class")
    @classmethod
    def no_aki(cls, pki: PKI, four: Four) -> tuple[Issued, Issued]:
        """(leaf, intermediate without an authority key identifier)."""
        ca = pki.intermediate(four.root, "Verify No-AKI CA", include_aki=False)
        return pki.leaf(ca, "hub.example.org"), ca

    def test_warning_by_default(
        self, no_aki: tuple[Issued, Issued], four: Four, store: TrustStore
    ) -> None:
        """An intermediate without AKI is strict-policy, a warning: the file passes."""
        leaf, ca = no_aki

        report = verify(leaf, ca, four.root, store=store)

        assert_finding(report, "strict-policy", "warning", cert=1,
                       naming=subject_text(ca.cert))
        assert report.ok

    def test_error_with_strict(
        self, no_aki: tuple[Issued, Issued], four: Four, store: TrustStore
    ) -> None:
        """With strict=True the same objection is an error."""
        leaf, ca = no_aki

        report = verify(leaf, ca, four.root, store=store, strict=True)

        assert_finding(report, "strict-policy", "error", cert=1)
        assert not report.ok
        assert not report.repairable

    def test_wildcard_only_leaf_passes_strict(
        self, pki: PKI, four: Four, store: TrustStore
    ) -> None:
        """A leaf whose only name is a wildcard is judged for a name it covers, not '*.'."""
        leaf = pki.leaf(four.lower, "*.example.org")

        report = verify(leaf, four.lower, four.upper, four.root, store=store, strict=True)

        assert "strict-policy" not in codes(report)
        assert report.ok


# --------------------------------------------------------- every problem


class TestEveryProblemInOneRun:
    def test_all_problems_reported_together(self, four: Four, store: TrustStore) -> None:
        """Order, a copy, a wrong key and a wrong hostname are all reported in one report."""
        report = verify(
            four.lower, four.leaf, four.lower, four.upper, four.root, store=store,
            keys=key_material(new_key()), hostname="other.example.org",
        )

        assert {"wrong-order", "duplicate-cert", "key-mismatch", "hostname-mismatch",
                "root-included"} <= codes(report)
        assert not report.repairable

    def test_errors_first_then_warnings_then_info(
        self, four: Four, stranger: Issued, certifi: TrustStore
    ) -> None:
        """Findings are sorted: errors, then warnings, then info."""
        report = verify(four.leaf, four.lower, four.lower, stranger, four.upper, four.root,
                        store=certifi)
        rank = {"error": 0, "warning": 1, "info": 2}

        severities = [rank[f.severity.value] for f in report.findings]

        assert {0, 1, 2} <= set(severities)
        assert severities == sorted(severities)


# -------------------------------------------------------- finding shapes


Scenario = Callable[[PKI, Four, TrustStore], Report]


def _shuffled_with_problems(pki: PKI, four: Four, store: TrustStore) -> Report:
    return verify(four.lower, four.leaf, four.lower, four.upper, four.root, store=store,
                  keys=key_material(new_key()), hostname="other.example.org")


def _missing_with_aia(pki: PKI, four: Four, store: TrustStore) -> Report:
    leaf = pki.leaf(four.lower, "hub.example.org", aia_url="http://ca.example.test/l.crt")
    return verify(leaf, four.upper, four.root, store=store)


def _missing_without_aia(pki: PKI, four: Four, store: TrustStore) -> Report:
    return verify(four.leaf, four.upper, four.root, store=store)


def _impostor(pki: PKI, four: Four, store: TrustStore) -> Report:
    impostor = pki.intermediate(four.upper, "Verify Lower CA")
    return verify(four.leaf, impostor, four.lower, four.upper, four.root, store=store)


def _expiring_ca(pki: PKI, four: Four, store: TrustStore) -> Report:
    ca = pki.intermediate(four.upper, "Verify Ending CA", not_after=T0 + dt.timedelta(days=2))
    leaf = pki.leaf(ca, "hub.example.org", not_before=T0 + dt.timedelta(days=1))
    return verify(leaf, ca, four.upper, four.root, store=store)


def _extra_and_untrusted(pki: PKI, four: Four, store: TrustStore) -> Report:
    stranger = pki.root("Verify Shape Stranger")
    return verify(*four.right_order, stranger, stranger, store=anchors(stranger))


def _weak_and_not_a_ca(pki: PKI, four: Four, store: TrustStore) -> Report:
    ca = pki.intermediate(four.upper, "Verify Weak CA", ca=False)
    leaf = pki.leaf(ca, "hub.example.org", key=new_key("rsa1024"))
    return verify(leaf, ca, four.upper, four.root, store=store)


SCENARIOS: dict[str, Scenario] = {
    "shuffled-with-problems": _shuffled_with_problems,
    "missing-with-aia": _missing_with_aia,
    "missing-without-aia": _missing_without_aia,
    "impostor": _impostor,
    "expiring-ca": _expiring_ca,
    "extra-and-untrusted": _extra_and_untrusted,
    "weak-and-not-a-ca": _weak_and_not_a_ca,
}


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def scenario(request: pytest.FixtureRequest, pki: PKI, four: Four, store: TrustStore) -> Report:
    """A report with several kinds of finding (one per scenario)."""
    return SCENARIOS[request.param](pki, four, store)


class TestFindingShape:
    def test_scenario_has_findings(self, scenario: Report) -> None:
        """Each scenario produces at least one error (the shape tests below are not vacuous)."""
        assert errors(scenario)

    def test_cert_is_an_index_into_the_file(self, scenario: Report) -> None:
        """Every finding's cert is None or an index into the file's certificates."""
        for finding in scenario.findings:
            assert finding.position is None or 0 <= finding.position < len(scenario.chain), finding

    def test_message_names_its_certificate(self, scenario: Report) -> None:
        """A finding about a certificate names that certificate's subject."""
        for finding in scenario.findings:
            if finding.position is not None:
                assert subject_text(scenario.chain[finding.position]) in finding.message, finding

    def test_message_is_one_sentence(self, scenario: Report) -> None:
        """Every message is one sentence, with a capital first and a full stop last."""
        for finding in scenario.findings:
            message = finding.message
            assert message[:1].isupper() and message.endswith("."), message
            assert len(sentences(message)) == 1, f"{finding.code.value}: {message}"

    def test_severity_is_the_contracts(self, scenario: Report) -> None:
        """Each code has the severity the contract gives it."""
        for finding in scenario.findings:
            expected = SEVERITIES.get(finding.code.value)
            if expected is not None:
                assert finding.severity.value == expected, finding


# --------------------------------------------------------------- repairable


class TestRepairable:
    def test_wrong_order_only(self, four: Four, store: TrustStore) -> None:
        """A file whose only error is wrong-order is repairable."""
        assert verify(four.lower, four.leaf, four.upper, store=store).repairable

    def test_extra_cert_only(self, four: Four, store: TrustStore, stranger: Issued) -> None:
        """A file whose only error is extra-cert is repairable."""
        assert verify(*four.right_order, stranger, store=store).repairable

    def test_other_errors_are_not(self, four: Four, store: TrustStore) -> None:
        """wrong-order together with hostname-mismatch is not repairable by build."""
        report = verify(four.lower, four.leaf, four.upper, store=store,
                        hostname="other.example.org")

        assert errors(report) == {"wrong-order", "hostname-mismatch"}
        assert not report.repairable

    def test_warnings_only_are_not(self, four: Four, store: TrustStore) -> None:
        """A file with warnings and no error has nothing to repair."""
        report = verify(four.leaf, four.lower, four.lower, four.upper, store=store)

        assert report.ok
        assert not report.repairable


# ------------------------------------------------------------- verify_file


class TestVerifyFile:
    def test_reads_the_file(self, tmp_path: Path, four: Four, store: TrustStore) -> None:
        """verify_file loads the file and records it as the source."""
        path = tmp_path / "hub-chained.crt"
        path.write_bytes(b"".join(i.pem for i in four.right_order))

        report = verify_file(path, policy=Policy(store=store, at=T0))

        assert report.source == path
        assert report.ok
        assert report.chain == tuple(i.cert for i in four.right_order)

    def test_der_file(self, tmp_path: Path, four: Four, store: TrustStore) -> None:
        """A DER leaf alone is judged: its issuer is missing."""
        path = tmp_path / "hub.der"
        path.write_bytes(four.leaf.cert.public_bytes(Encoding.DER))

        report = verify_file(path, policy=Policy(store=store, at=T0))

        assert errors(report) == {"missing-issuer"}

    def test_pkcs12_with_password(self) -> None:
        """A password-protected PKCS#12 bundle verifies with its password and its root trusted."""
        store = store_from_paths([testdata("formats", "trusted.pem")])

        report = verify_file(
            testdata("formats", "bundle.pfx"),
            policy=Policy(store=store, at=T0),
            password=b"certchain",
        )

        assert report.ok
        assert report.roles == ("leaf", "intermediate", "root")
        assert "key-mismatch" not in codes(report)

    def test_pkcs7_set_in_stored_order(self) -> None:
        """A PKCS#7 bundle is judged in the order it holds its certificates."""
        store = store_from_paths([testdata("formats", "trusted.pem")])

        path = testdata("formats", "chain.p7b")

        report = verify_file(path, policy=Policy(store=store, at=T0))

        assert report.chain == tuple(c.cert for c in load_file(path).certs)
        assert report.complete

    def test_key_only_file_is_a_load_error(self, tmp_path: Path, store: TrustStore) -> None:
        """A file holding a key and no certificate raises LoadError."""
        path = tmp_path / "hub.key"
        path.write_bytes(key_pem(new_key()))

        with pytest.raises(LoadError, match="no certificate"):
            verify_file(path, policy=Policy(store=store, at=T0))

    def test_missing_file_is_a_load_error(self, tmp_path: Path, store: TrustStore) -> None:
        """A file that does not exist raises LoadError."""
        with pytest.raises(LoadError, match="does not exist"):
            verify_file(tmp_path / "absent.pem", policy=Policy(store=store, at=T0))

    def test_options_are_passed_on(self, tmp_path: Path, four: Four, store: TrustStore) -> None:
        """keys, hostname, strict and warn_days reach the judgement."""
        path = tmp_path / "hub-chained.crt"
        path.write_bytes(b"".join(i.pem for i in four.right_order))

        report = verify_file(
            path,
            policy=Policy(store=store, at=T0, hostname="other.example.org", strict=True, warn_days=100_000),
            keys=key_material(new_key()),
        )

        assert {"key-mismatch", "hostname-mismatch", "expires-soon"} <= codes(report)

    def test_fingerprints_identify_the_chain(
        self, tmp_path: Path, four: Four, store: TrustStore
    ) -> None:
        """The report's chain is the file's certificates, byte for byte."""
        path = tmp_path / "hub-chained.crt"
        path.write_bytes(b"".join(i.pem for i in reversed(four.right_order)))

        report = verify_file(path, policy=Policy(store=store, at=T0))

        assert [fingerprint(c) for c in report.chain] == [
            fingerprint(i.cert) for i in reversed(four.right_order)
        ]
