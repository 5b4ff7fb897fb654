"""Tests for certchain.graph: candidate issuers, signature checks and path search."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID
from pki import PKI, T0, Issued, Pool, legacy_signed, new_key, path_pool, sha1_signed, tampered

from certchain.certs import (
    CHECK_BASE,
    P256_CHECK,
    check_cost,
    identity,
    is_self_signed,
    may_be_self_signed,
    signature_problem,
)
from certchain.graph import BUDGET_REASON, MAX_WORK, Search, build_chains
from certchain.model import Chain
from certchain.pool import CertPool

# --------------------------------------------------------------- helpers


def assert_chains(search: Search, *expected: list[Issued]) -> None:
    """Assert the search found exactly these chains (leaf first), in any order."""
    found = {tuple(c) for c in search.chains}
    wanted = {tuple(i.cert for i in chain) for chain in expected}
    assert found == wanted, [[c.subject.rfc4514_string() for c in chain] for chain in found]


def assert_no_repeated_ca(paths: list[Chain]) -> None:
    """Assert no path holds the same (subject, key) twice: loops were avoided."""
    for path in paths:
        ids = [identity(c) for c in path]
        assert len(ids) == len(set(ids)), [c.subject.rfc4514_string() for c in path]


def subject(cn: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "certchain tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


@dataclass(frozen=True)
class Ladder:
    """root -> upper -> lower -> leaf."""

    root: Issued
    upper: Issued
    lower: Issued
    leaf: Issued

    @property
    def all(self) -> list[x509.Certificate]:
        return [self.leaf.cert, self.lower.cert, self.upper.cert, self.root.cert]


@pytest.fixture(scope="module")
def ladder(pki: PKI) -> Ladder:
    """A four-certificate hierarchy (shared, read-only)."""
    root = pki.root("Ladder Root")
    upper = pki.intermediate(root, "Ladder Upper")
    lower = pki.intermediate(upper, "Ladder Lower")
    return Ladder(root, upper, lower, pki.leaf(lower))


@dataclass(frozen=True)
class Twins:
    """A leaf whose issuer name is shared by three CAs with different keys."""

    child: Issued  # carries an AKI naming `match`
    match: Issued  # the real issuer: SKI == child's AKI
    absent: Issued  # same name, other key, no SKI
    mismatch: Issued  # same name, other key, SKI != child's AKI


@pytest.fixture(scope="module")
def twins(pki: PKI) -> Twins:
    """Three same-named CAs and a leaf issued by one of them."""
    root = pki.root("Twins Root")
    name = subject("Twin CA")
    match = pki.issue(name, new_key(), root, ca=True)
    absent = pki.issue(name, new_key(), root, ca=True, include_ski=False)
    mismatch = pki.issue(name, new_key(), root, ca=True)
    return Twins(pki.leaf(match), match, absent, mismatch)


# --------------------------------------------------------------- tests


class TestSignatureProblem:
    @pytest.mark.parametrize("kind", ["ec", "rsa", "ed25519", "dsa"])
    def test_issuer_key_types(self, pki: PKI, kind: str) -> None:
        """A link signed by an RSA, EC, Ed25519 or DSA issuer verifies."""
        issuer = pki.root(f"{kind} Root", key=new_key(kind))
        child = pki.intermediate(issuer, f"{kind} child")
        assert signature_problem(child.cert, issuer.cert) is None

    def test_other_key(self, pki: PKI) -> None:
        """A certificate does not verify with a same-named issuer holding another key."""
        issuer = pki.root("Real Root")
        impostor = pki.issue(issuer.cert.subject, new_key(), None, ca=True)
        child = pki.intermediate(issuer)
        problem = signature_problem(child.cert, impostor.cert)
        assert problem is not None
        assert "does not verify" in problem

    def test_tampered_signature(self, pki: PKI) -> None:
        """A flipped bit in the signature is detected."""
        issuer = pki.root("Tamper Root", key=new_key("rsa"))
        child = pki.intermediate(issuer)
        assert signature_problem(tampered(child.cert), issuer.cert) is not None

    def test_key_type_mismatch(self, pki: PKI) -> None:
        """An ECDSA signature checked against an RSA issuer is explained, not raised."""
        ec_issuer = pki.root("EC Root")
        rsa_impostor = pki.issue(ec_issuer.cert.subject, new_key("rsa"), None, ca=True)
        child = pki.intermediate(ec_issuer)
        problem = signature_problem(child.cert, rsa_impostor.cert)
        assert problem is not None
        assert "RSA" in problem

    def test_sha1_link_is_valid(self, pki: PKI) -> None:
        """A SHA-1 signature is checked, not refused: it is weak, not forged."""
        issuer = pki.root("SHA1 Root", key=new_key("rsa"))
        child = sha1_signed(pki.intermediate(issuer).cert, issuer.key)
        assert isinstance(child.signature_hash_algorithm, hashes.SHA1)
        assert signature_problem(child, issuer.cert) is None


# Every scheme and hash OpenSSL verifies in a certificate, by issuer key kind.
SIGNATURES = [
    *[("rsa", h) for h in ("MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "SHA3_256")],
    *[("ec", h) for h in ("SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "SHA3_384")],
    *[("dsa", h) for h in ("SHA1", "SHA224", "SHA256", "SHA384", "SHA512")],
]
SIGNATURE_IDS = [f"{kind}-{hash_name}" for kind, hash_name in SIGNATURES]
SHA256_OIDS = {
    SignatureAlgorithmOID.RSA_WITH_SHA256,
    SignatureAlgorithmOID.ECDSA_WITH_SHA256,
    SignatureAlgorithmOID.DSA_WITH_SHA256,
}


def signed_with(pki: PKI, issuer: Issued, hash_name: str) -> x509.Certificate:
    """Return a CA certificate *issuer* signed with the hash named *hash_name*."""
    digest = getattr(hashes, hash_name)()
    cert = pki.intermediate(issuer, f"{hash_name} child", hash_alg=digest).cert
    assert (cert.signature_algorithm_oid in SHA256_OIDS) == (hash_name == "SHA256")
    return cert


@pytest.fixture(scope="module")
def issuers(pki: PKI) -> dict[str, Issued]:
    """One self-signed issuer per key kind (DSA and RSA keys are slow to make: shared)."""
    kinds = ["rsa", "ec", "ec384", "dsa", "ed25519", "ed448"]
    return {kind: pki.root(f"{kind} Signer", key=new_key(kind)) for kind in kinds}


class TestSignatureAlgorithms:
    @pytest.mark.parametrize(("kind", "hash_name"), SIGNATURES, ids=SIGNATURE_IDS)
    def test_link_verifies(
        self, pki: PKI, issuers: dict[str, Issued], kind: str, hash_name: str
    ) -> None:
        """A link signed with any hash OpenSSL accepts verifies, as its OID says."""
        child = signed_with(pki, issuers[kind], hash_name)
        assert signature_problem(child, issuers[kind].cert) is None

    @pytest.mark.parametrize(("kind", "hash_name"), SIGNATURES, ids=SIGNATURE_IDS)
    def test_tampered_link_does_not_verify(
        self, pki: PKI, issuers: dict[str, Issued], kind: str, hash_name: str
    ) -> None:
        """The same link with one bit of its signature flipped is refused as not verifying."""
        child = signed_with(pki, issuers[kind], hash_name)
        problem = signature_problem(tampered(child), issuers[kind].cert)
        assert problem == "the signature does not verify with the issuer's public key"

    def test_ecdsa_sha1_link_verifies(self, pki: PKI, issuers: dict[str, Issued]) -> None:
        """An ecdsa-with-SHA1 link verifies (cryptography gives it no signature parameters)."""
        issuer = issuers["ec384"]
        child = legacy_signed(pki.intermediate(issuer).cert, issuer.key, hashes.SHA1())
        assert child.signature_algorithm_parameters is None
        assert child.signature_algorithm_oid.dotted_string == "1.2.840.10045.4.1"
        assert signature_problem(child, issuer.cert) is None

    @pytest.mark.parametrize("salt", [padding.PSS.DIGEST_LENGTH, padding.PSS.MAX_LENGTH, 20])
    @pytest.mark.parametrize("hash_name", ["SHA256", "SHA384", "SHA512"])
    def test_rsa_pss_link_verifies(
        self, pki: PKI, issuers: dict[str, Issued], hash_name: str, salt: int
    ) -> None:
        """An RSA-PSS link verifies with the hash, MGF1 and salt length of its parameters."""
        digest = getattr(hashes, hash_name)()
        issuer = issuers["rsa"]
        pss = padding.PSS(padding.MGF1(digest), salt)
        child = pki.intermediate(issuer, "PSS child", hash_alg=digest, rsa_padding=pss)
        assert child.cert.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.10"
        assert signature_problem(child.cert, issuer.cert) is None
        assert signature_problem(tampered(child.cert), issuer.cert) is not None

    @pytest.mark.parametrize("kind", ["ed25519", "ed448"])
    def test_eddsa_link_verifies(self, pki: PKI, issuers: dict[str, Issued], kind: str) -> None:
        """An Ed25519 or Ed448 link verifies, and a flipped bit does not."""
        issuer = issuers[kind]
        child = pki.intermediate(issuer, f"{kind} child")
        assert signature_problem(child.cert, issuer.cert) is None
        assert signature_problem(tampered(child.cert), issuer.cert) is not None

    @pytest.mark.parametrize(
        ("signer", "holder", "says"),
        [
            ("ec", "rsa", "signed with ECDSA but the issuer has an RSA key, not an EC key"),
            ("rsa", "ec", "signed with RSA but the issuer has an EC key, not an RSA key"),
            ("dsa", "ec", "signed with DSA but the issuer has an EC key, not a DSA key"),
            ("ed25519", "ed448", "signed with Ed25519 but the issuer has an Ed448 key"),
            ("ed448", "rsa", "signed with Ed448 but the issuer has an RSA key"),
        ],
        ids=["ecdsa-rsa", "rsa-ec", "dsa-ec", "ed25519-ed448", "ed448-rsa"],
    )
    def test_algorithm_and_key_type_mismatch(
        self, pki: PKI, issuers: dict[str, Issued], signer: str, holder: str, says: str
    ) -> None:
        """A signature algorithm that needs another key type than the issuer's says which."""
        child = pki.intermediate(issuers[signer], f"{signer} child")
        assert says in (signature_problem(child.cert, issuers[holder].cert) or "")

    def test_ecdsa_sha1_against_rsa_issuer(self, pki: PKI, issuers: dict[str, Issued]) -> None:
        """An ecdsa-with-SHA1 link checked against an RSA key is a mismatch, not 'non-ECDSA'."""
        ec_issuer = issuers["ec"]
        child = legacy_signed(pki.intermediate(ec_issuer).cert, ec_issuer.key, hashes.SHA1())
        problem = signature_problem(child, issuers["rsa"].cert)
        assert problem == "it is signed with ECDSA but the issuer has an RSA key, not an EC key"

    def test_unknown_algorithm_is_named(self, pki: PKI, issuers: dict[str, Issued]) -> None:
        """A signature algorithm certchain does not know is named by its OID."""
        child = pki.intermediate(issuers["ec"], "Odd child").cert
        der = child.public_bytes(serialization.Encoding.DER)
        # ecdsa-with-SHA256 (1.2.840.10045.4.3.2) becomes 1.2.840.10045.4.3.9, unassigned.
        odd = der.replace(
            bytes.fromhex("06082a8648ce3d040302"), bytes.fromhex("06082a8648ce3d040309")
        )
        problem = signature_problem(x509.load_der_x509_certificate(odd), issuers["ec"].cert)
        assert problem == (
            "its signature algorithm (1.2.840.10045.4.3.9) is not one certchain can check"
        )


class TestCertPool:
    def test_duplicates_are_merged(self, ladder: Ladder) -> None:
        """Adding the same certificate twice keeps one copy."""
        pool = CertPool([*ladder.all, ladder.lower.cert])
        pool.add(ladder.root.cert)
        assert len(pool) == 4
        assert pool.candidate_issuers(ladder.leaf.cert) == [ladder.lower.cert]

    def test_candidates_are_found_by_issuer_name(self, ladder: Ladder) -> None:
        """Only certificates whose subject is the issuer name are candidates."""
        pool = CertPool(ladder.all)
        assert pool.candidate_issuers(ladder.lower.cert) == [ladder.upper.cert]
        assert pool.candidate_issuers(ladder.root.cert) == [ladder.root.cert]

    def test_no_candidates(self, ladder: Ladder) -> None:
        """A certificate whose issuer is not in the pool has no candidates."""
        assert CertPool([ladder.leaf.cert]).candidate_issuers(ladder.leaf.cert) == []

    def test_issuer_name_compared_as_x509_names(self, pki: PKI) -> None:
        """An issuer name in other case and spacing still finds the issuer."""
        root = pki.root("Case Root")
        inter = pki.intermediate(root, "Case CA")
        odd = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CERTCHAIN  tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, " case ca "),
        ])
        leaf = pki.leaf(inter, issuer_name=odd)
        assert CertPool([inter.cert]).candidate_issuers(leaf.cert) == [inter.cert]

    @pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=str)
    def test_ranked_by_key_identifiers(self, twins: Twins, order: tuple[int, ...]) -> None:
        """AKI == SKI comes first, then a missing SKI, then a mismatch, whatever the pool order."""
        cands = [twins.match.cert, twins.absent.cert, twins.mismatch.cert]
        pool = CertPool([cands[i] for i in order])
        assert pool.candidate_issuers(twins.child.cert) == cands

    def test_child_without_aki_ranks_by_expiry(self, pki: PKI) -> None:
        """Without an AKI every candidate ties, so the later expiry comes first."""
        root = pki.root("Expiry Root")
        name = subject("Expiry CA")
        key = new_key()
        early = pki.issue(name, key, root, ca=True, not_after=T0 + dt.timedelta(days=400))
        late = pki.issue(name, key, root, ca=True, not_after=T0 + dt.timedelta(days=800))
        child = pki.leaf(early, include_aki=False)
        for order in ([early, late], [late, early]):
            pool = CertPool([c.cert for c in order])
            assert pool.candidate_issuers(child.cert) == [late.cert, early.cert]


class TestBuildChains:
    def test_finds_the_path(self, ladder: Ladder) -> None:
        """A leaf links through two intermediates to the anchor."""
        search = build_chains(ladder.leaf.cert, CertPool(ladder.all), [ladder.root.cert])
        assert_chains(search, [ladder.leaf, ladder.lower, ladder.upper, ladder.root])
        assert not search.budget_exhausted

    def test_anchor_must_be_in_pool(self, ladder: Ladder) -> None:
        """An anchor that is not in the pool is never reached."""
        pool = CertPool(ladder.all[:3])
        search = build_chains(ladder.leaf.cert, pool, [ladder.root.cert])
        assert search.chains == ()
        assert [d.path for d in search.dead_ends] == [tuple(ladder.all[:3])]

    def test_path_ends_at_first_anchor(self, ladder: Ladder) -> None:
        """A path stops at the first anchor, even if the anchor's own issuer is available."""
        anchors = [ladder.upper.cert, ladder.root.cert]
        search = build_chains(ladder.leaf.cert, CertPool(ladder.all), anchors)
        assert_chains(search, [ladder.leaf, ladder.lower, ladder.upper])

    def test_self_signed_non_anchor_is_a_dead_end(self, ladder: Ladder) -> None:
        """Without anchors the search stops at the self-signed root, without looping on it."""
        search = build_chains(ladder.leaf.cert, CertPool(ladder.all), [])
        assert search.chains == ()
        assert [d.path for d in search.dead_ends] == [tuple(ladder.all)]
        assert search.dead_ends[0].rejected == ()

    def test_wrong_key_candidate_is_rejected_with_reason(self, twins: Twins) -> None:
        """A same-named issuer with another key is recorded as rejected, with why."""
        pool = CertPool([twins.mismatch.cert])
        search = build_chains(twins.child.cert, pool, [twins.mismatch.cert])
        assert search.chains == ()
        (dead,) = search.dead_ends
        assert dead.path == (twins.child.cert,)
        assert [r.candidate for r in dead.rejected] == [twins.mismatch.cert]
        assert "does not verify" in dead.rejected[0].reason

    def test_right_twin_found_among_impostors(self, twins: Twins) -> None:
        """Among same-named CAs, only the one whose key signed the leaf is used."""
        pool = CertPool([twins.mismatch.cert, twins.absent.cert, twins.match.cert])
        search = build_chains(
            twins.child.cert, pool, [twins.match.cert, twins.absent.cert, twins.mismatch.cert]
        )
        assert_chains(search, [twins.child, twins.match])

    def test_every_cross_signed_path_is_found(self, pki: PKI) -> None:
        """An intermediate certified by two roots yields two paths."""
        root_a, root_b = pki.root("Root A"), pki.root("Root B")
        inter_a = pki.intermediate(root_a, "Crossed CA")
        inter_b = pki.cross_sign(inter_a, root_b)
        leaf = pki.leaf(inter_a)
        pool = CertPool([leaf.cert, inter_a.cert, inter_b.cert, root_a.cert, root_b.cert])
        search = build_chains(leaf.cert, pool, [root_a.cert, root_b.cert])
        assert_chains(search, [leaf, inter_a, root_a], [leaf, inter_b, root_b])

    def test_signature_budget_exhausted(self, ladder: Ladder) -> None:
        """With fewer signature checks allowed than links, the search gives up and says so."""
        search = build_chains(
            ladder.leaf.cert, CertPool(ladder.all), [ladder.root.cert], max_signature_checks=2
        )
        assert search.chains == ()
        assert search.budget_exhausted
        reasons = [r.reason for d in search.dead_ends for r in d.rejected]
        assert any("budget" in reason for reason in reasons)

    def test_signature_budget_just_enough(self, ladder: Ladder) -> None:
        """One check per link suffices for a single path."""
        search = build_chains(
            ladder.leaf.cert, CertPool(ladder.all), [ladder.root.cert], max_signature_checks=3
        )
        assert len(search.chains) == 1
        assert not search.budget_exhausted

    def test_budget_limits_same_name_flood(self, pki: PKI, twins: Twins) -> None:
        """Many same-named impostors cost at most the budget in signature checks."""
        root = pki.root("Flood Root")
        name = twins.match.cert.subject
        # One key each: copies sharing a key cost one check between them.
        flood = [
            pki.issue(name, new_key(), root, ca=True, include_ski=False).cert for _ in range(30)
        ]
        # A child without AKI cannot rank the impostors below the real issuer.
        child = pki.leaf(twins.match, include_aki=False)
        search = build_chains(child.cert, CertPool(flood), flood, max_signature_checks=5)
        assert search.chains == ()
        assert search.budget_exhausted
        checked = [r for d in search.dead_ends for r in d.rejected if "budget" not in r.reason]
        assert len(checked) == 5

    def test_default_budget_is_sized_by_cost(self) -> None:
        """The default budget pays for thousands of P-256 checks, not Go's fixed 100 checks."""
        assert 2_000 * P256_CHECK < MAX_WORK <= 10_000 * P256_CHECK

    @pytest.mark.parametrize(("max_depth", "found"), [(4, True), (3, False)])
    def test_max_depth(self, ladder: Ladder, max_depth: int, found: bool) -> None:
        """A path longer than max_depth certificates is not built."""
        search = build_chains(
            ladder.leaf.cert, CertPool(ladder.all), [ladder.root.cert], max_depth=max_depth
        )
        assert bool(search.chains) is found

    def test_cross_sign_cycle_terminates(self, pki: PKI) -> None:
        """A cross-signs B and B cross-signs A: the search ends, and no path repeats a CA."""
        root_a, root_b = pki.root("Cycle A"), pki.root("Cycle B")
        a_by_b = pki.cross_sign(root_a, root_b)
        b_by_a = pki.cross_sign(root_b, root_a)
        a_by_b2 = pki.cross_sign(root_a, root_b)  # same CA again: new bytes, same identity
        leaf = pki.leaf(root_a)
        pool = CertPool([leaf.cert, a_by_b.cert, b_by_a.cert, a_by_b2.cert])
        search = build_chains(leaf.cert, pool, [])
        assert search.chains == ()
        assert search.dead_ends
        assert_no_repeated_ca([d.path for d in search.dead_ends])
        assert all(len(d.path) <= 3 for d in search.dead_ends)

    def test_cross_sign_cycle_with_anchor(self, pki: PKI) -> None:
        """With the cycle present, the path to the anchor is still found."""
        root_a, root_b = pki.root("Cycle A"), pki.root("Cycle B")
        a_by_b = pki.cross_sign(root_a, root_b)
        b_by_a = pki.cross_sign(root_b, root_a)
        leaf = pki.leaf(root_a)
        pool = CertPool([leaf.cert, a_by_b.cert, b_by_a.cert, root_b.cert])
        search = build_chains(leaf.cert, pool, [root_b.cert])
        assert_chains(search, [leaf, a_by_b, root_b])
        assert_no_repeated_ca(list(search.chains) + [d.path for d in search.dead_ends])


# ------------------------------------------------------- bounded search


@pytest.fixture(scope="module")
def pools(pki: PKI) -> dict[str, Pool]:
    """The crafted pools these tests search (tests/pki.py path_pool), each made once."""
    shapes = ["reissued-orphan", "reissued", "mesh", "huge-exponent-issuer",
              "huge-exponent-missing"]
    return {shape: path_pool(pki, shape, size=200 if "huge" in shape else 0) for shape in shapes}


def search_pool(pool: Pool, *, self_signed: bool = True, **limits: int) -> Search:
    """Search *pool* from its leaf to its root; self-signed ones are anchors, as assess has it."""
    return build_chains(
        pool.leaf.cert, CertPool(pool.cas), [pool.root], self_signed=self_signed, **limits
    )


class TestBoundedSearch:
    def test_each_certificate_examined_once(self, pools: dict[str, Pool]) -> None:
        """Re-issued copies (3^9 partial paths) cost one check per certificate, not per path."""
        pool = pools["reissued-orphan"]
        search = search_pool(pool)
        assert search.chains == () and search.limit is None
        assert len(search.reached) == len(pool.cas) + 1
        assert len(search.dead_ends) <= len(pool.cas)
        assert MAX_WORK - search.signatures.work_left <= (len(pool.cas) + 1) * P256_CHECK

    def test_copies_of_one_key_cost_one_check(self, pki: PKI, twins: Twins) -> None:
        """Thirty same-named copies of one wrong key are refused for the price of one check."""
        root = pki.root("Copies Root")
        key = new_key()
        copies = [pki.issue(twins.match.cert.subject, key, root, ca=True).cert for _ in range(30)]
        search = build_chains(twins.child.cert, CertPool(copies), [], max_signature_checks=1)
        (dead,) = search.dead_ends
        assert len(dead.rejected) == 30 and dead.unchecked == 0
        assert {r.reason for r in dead.rejected} == {
            "the signature does not verify with the issuer's public key"
        }
        assert search.signatures.checks_left == 0 and search.limit is None

    def test_shortest_path_first(self, pools: dict[str, Pool]) -> None:
        """In a full mesh of cross-signs the 3-certificate path comes first, the rest by length."""
        pool = pools["mesh"]
        search = search_pool(pool, self_signed=False)  # the mesh's other roots are no anchors
        assert search.chains[0] == pool.path
        lengths = [len(chain) for chain in search.chains]
        assert lengths == sorted(lengths)
        assert_no_repeated_ca(list(search.chains))

    def test_paths_limit(self, pools: dict[str, Pool]) -> None:
        """Thousands of equally good paths stop at max_paths, and the search says so."""
        search = search_pool(pools["reissued"], max_paths=5)
        assert len(search.chains) == 5
        assert search.limit is not None and search.limit.kind == "paths"
        assert search.limit.describe() == "its limit of 5 complete paths"

    def test_steps_limit(self, pools: dict[str, Pool]) -> None:
        """Too few steps leave certificates unexamined: no path, the limit named, none 'missing'."""
        search = search_pool(pools["mesh"], self_signed=False, max_steps=20)
        assert search.chains == ()
        assert search.limit is not None and search.limit.kind == "steps"
        assert search.budget_exhausted
        assert any(d.unchecked for d in search.dead_ends)

    def test_work_limit_counts_the_cost_of_each_check(self, pools: dict[str, Pool]) -> None:
        """Keys with a 3,070-bit exponent exhaust the budget after a few dozen checks, not 200."""
        search = search_pool(pools["huge-exponent-missing"])
        assert search.chains == ()
        limit = search.limit
        assert limit is not None and limit.kind == "work" and limit.size == MAX_WORK
        assert limit.dearest > 50 * P256_CHECK
        assert "one check with the keys met costs as much as" in limit.describe()
        (dead,) = search.dead_ends
        checked = [r for r in dead.rejected if r.reason != BUDGET_REASON]
        assert 0 < len(checked) <= MAX_WORK // limit.dearest + 1
        assert dead.unchecked == 200 - len(checked)

    def test_cheaper_key_tried_first(self, pools: dict[str, Pool]) -> None:
        """Among candidates alike, the ordinary key is checked before 200 slow decoys."""
        pool = pools["huge-exponent-issuer"]
        search = search_pool(pool, max_signature_checks=2)  # leaf -> CA -> root: two checks
        assert search.chains == (pool.path,)

    @pytest.mark.parametrize(("checks", "found"), [(3, False), (4, True)])
    def test_self_signature_is_paid_from_the_budget(
        self, ladder: Ladder, checks: int, found: bool
    ) -> None:
        """Whether a reached root is self-signed costs a check like any other link."""
        search = build_chains(
            ladder.leaf.cert, CertPool(ladder.all), [], self_signed=True,
            max_signature_checks=checks,
        )
        assert bool(search.chains) is found
        assert (search.limit is None) is found

    def test_self_signed_anchor_found_when_reached(self, ladder: Ladder) -> None:
        """With self_signed, a self-signed certificate of the pool is an anchor once reached."""
        search = build_chains(ladder.leaf.cert, CertPool(ladder.all), [], self_signed=True)
        assert_chains(search, [ladder.leaf, ladder.lower, ladder.upper, ladder.root])


class TestCheckCost:
    def test_p256_is_the_unit(self, issuers: dict[str, Issued], pki: PKI) -> None:
        """A P-256 check costs P256_CHECK, the unit budgets are counted in."""
        child = pki.intermediate(issuers["ec"], "P-256 child").cert
        assert check_cost(child, issuers["ec"].cert) == P256_CHECK

    def test_wrong_key_type_costs_the_base(self, issuers: dict[str, Issued], pki: PKI) -> None:
        """A key of another type than the signature needs is refused without arithmetic."""
        child = pki.intermediate(issuers["ec"], "EC child").cert
        assert check_cost(child, issuers["rsa"].cert) == CHECK_BASE

    def test_rsa_signature_of_another_length_costs_the_base(self, pki: PKI) -> None:
        """An RSA signature not as long as the issuer's modulus is refused without arithmetic."""
        signer = pki.root("RSA 2048 Signer", key=new_key("rsa"))
        child = pki.intermediate(signer, "RSA child").cert
        wide = pki.root("RSA 3072 Other", key=new_key("rsa3072")).cert
        assert check_cost(child, wide) == CHECK_BASE

    def test_huge_exponent_is_dear(self, pools: dict[str, Pool]) -> None:
        """A 3,070-bit RSA exponent costs as much as about a hundred P-256 checks."""
        pool = pools["huge-exponent-missing"]
        decoy = pool.cas[-1]
        assert 50 * P256_CHECK < check_cost(pool.leaf.cert, decoy) < 200 * P256_CHECK
        assert check_cost(decoy, decoy) > 50 * P256_CHECK  # its self-signature too


class TestSelfSigned:
    def test_key_identifiers_that_disagree(self, pki: PKI) -> None:
        """A self-issued certificate whose AKI names another key is not self-signed (OpenSSL)."""
        other = x509.AuthorityKeyIdentifier(b"\x01" * 20, None, None)
        cert = pki.root(
            "Odd Ids Root", include_aki=False, extra_extensions=[(other, False)]
        ).cert
        assert signature_problem(cert, cert) is None
        assert not is_self_signed(cert)
        assert not may_be_self_signed(cert)


class TestPoolTiers:
    """How the pool orders a child's candidates: key identifiers of the key itself first."""

    def test_the_key_named_by_the_aki_is_tried_before_decoys_claiming_it(self) -> None:
        """Decoys whose SKI copies the leaf's AKI (a hint anyone can forge) wait behind the key."""
        pki = PKI()
        root = pki.root("Tier Root")
        inter = pki.intermediate(root, "Tier CA")
        leaf = pki.leaf(inter, "tier.example.org")
        claimed = x509.SubjectKeyIdentifier.from_public_key(inter.key.public_key())
        decoys = [
            pki.issue(subject("Tier CA"), new_key(), root, ca=True, include_ski=False,
                      not_after=T0 + dt.timedelta(days=9000 + n),  # later: ranked first by expiry
                      extra_extensions=[(claimed, False)]).cert
            for n in range(5)
        ]

        search = build_chains(
            leaf.cert, CertPool([*decoys, inter.cert, root.cert]), [root.cert],
            max_signature_checks=2,  # the leaf's issuer, then the intermediate's: no decoy
        )

        assert_chains(search, [leaf, inter, root])

    def test_names_equal_once_normalised_are_tried_when_the_bytes_find_no_issuer(self) -> None:
        """A decoy with the exact name bytes fails; the issuer named in another case is found."""
        pki = PKI()
        root = pki.root("Norm Root")
        inter = pki.issue(subject("NORM CA"), new_key(), root, ca=True)  # the real issuer
        leaf = pki.leaf(inter, "norm.example.org", issuer_name=subject("Norm CA"))
        decoy = pki.issue(subject("Norm CA"), new_key(), root, ca=True, include_ski=False)

        search = build_chains(leaf.cert, CertPool([decoy.cert, inter.cert, root.cert]),
                              [root.cert])

        assert_chains(search, [leaf, inter, root])
