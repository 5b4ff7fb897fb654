"""
Tests for certchain.connect: a served chain judged as verify judges a file,
missing-issuer said for a live site, and the comparison with the local file.

No network: the captures are made in memory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pki import PKI, T0, Hierarchy, Issued, hierarchy

from certchain.connect import judge_capture, served_differs, served_material
from certchain.errors import ConnectError, LoadError
from certchain.findings import Code, Remedy, Severity
from certchain.model import Format, LoadedKey, Material, Source
from certchain.policy import Policy
from certchain.results import Capture
from certchain.trust import store_from_specs
from certchain.verify import verify_chain

HOST = "hub.example.org"
AIA = "http://ca.example.org/intermediate.der"
FILE = "hub-chained.crt"


def captured(*certs: Issued) -> Capture:
    """What a server sending *certs* in that order would give."""
    return Capture(
        host="127.0.0.1", port=8443, address="127.0.0.1", servername=HOST, starttls=None,
        version="TLSv1.3", cipher="TLS_AES_256_GCM_SHA384",
        chain=tuple(c.cert.public_bytes(Encoding.DER) for c in certs),
    )


@pytest.fixture(scope="module")
def hier() -> Hierarchy:
    """A hierarchy whose leaf names its issuer's caIssuers URL."""
    return hierarchy(PKI(), HOST, aia_url=AIA)


@pytest.fixture(scope="module")
def policy(hier: Hierarchy, tmp_path_factory: pytest.TempPathFactory) -> Policy:
    """Trust the hierarchy's root, at T0, for hub.example.org."""
    root = hier.root.write(tmp_path_factory.mktemp("trust") / "root.pem")
    return Policy(store=store_from_specs([root]), at=T0, hostname=HOST)


def codes(found: object) -> dict[Code, Severity]:
    return {f.code: f.severity for f in found}  # type: ignore[attr-defined]


class TestJudge:
    def test_full_chain(self, hier: Hierarchy, policy: Policy) -> None:
        """Leaf and intermediate, in order, trusted: no error."""
        report = judge_capture(captured(hier.leaf, hier.intermediate), policy=policy)

        assert report.ok
        assert report.chain == (hier.leaf.cert, hier.intermediate.cert)

    @pytest.mark.parametrize("order", [(0, 1), (1, 0), (0,), (0, 2, 1), (0, 1, 1)])
    def test_same_findings_as_verify(
        self, hier: Hierarchy, policy: Policy, order: tuple[int, ...]
    ) -> None:
        """The codes, severities and positions are verify's on the same certificates."""
        certs = [(hier.leaf, hier.intermediate, hier.root)[i] for i in order]
        material = served_material(captured(*certs))

        live = judge_capture(captured(*certs), policy=policy)
        offline = verify_chain(material, policy=policy)

        assert [(f.code, f.severity, f.position) for f in live.findings] == [
            (f.code, f.severity, f.position) for f in offline.findings]
        assert live.roles == offline.roles

    def test_wrong_order(self, hier: Hierarchy, policy: Policy) -> None:
        """Leaf, root, intermediate: wrong-order, as in a file."""
        report = judge_capture(captured(hier.leaf, hier.root, hier.intermediate), policy=policy)

        assert codes(report.findings)[Code.WRONG_ORDER] is Severity.ERROR

    def test_expired(self, hier: Hierarchy, policy: Policy) -> None:
        """At a time past the leaf's notAfter, the served leaf is expired."""
        later = dataclasses.replace(policy, at=dt.datetime(2070, 1, 1, tzinfo=dt.timezone.utc))

        report = judge_capture(captured(hier.leaf, hier.intermediate), policy=later)

        assert codes(report.findings)[Code.EXPIRED] is Severity.ERROR

    def test_hostname(self, hier: Hierarchy, policy: Policy) -> None:
        """The policy's hostname is checked against the served leaf."""
        other = dataclasses.replace(policy, hostname="other.example.org")

        report = judge_capture(captured(hier.leaf, hier.intermediate), policy=other)

        assert Code.HOSTNAME_MISMATCH in codes(report.findings)

    def test_unparsable(self, hier: Hierarchy, policy: Policy) -> None:
        """A certificate the server sent that cannot be parsed is a ConnectError naming it."""
        broken = captured(hier.leaf)._replace(chain=(b"\x30\x03\x02\x01\x01",))

        with pytest.raises(ConnectError, match="certificate 0 that the server sent"):
            judge_capture(broken, policy=policy)


class TestMissingIssuer:
    def test_live_message_with_aia(self, hier: Hierarchy, policy: Policy) -> None:
        """The leaf alone: browsers cope, other clients fail, and build --fetch-missing fixes it."""
        report = judge_capture(captured(hier.leaf), policy=policy)

        (missing,) = [f for f in report.findings if f.code is Code.MISSING_ISSUER]
        assert missing.severity is Severity.ERROR
        assert missing.position == 0
        assert missing.remedy is Remedy.FETCH_MISSING
        message = missing.message
        assert message.startswith(
            f"The server sends certificate 0 (CN={HOST}) without its issuer "
            "(CN=Test Intermediate,O=certchain tests)")
        assert "browsers fetch a missing issuer over AIA or take it from their cache" in message
        assert "curl, wget, Python, Java, Node and most API clients fail" in message
        assert '"unable to get local issuer certificate"' in message
        assert f"the issuer downloaded from {AIA}" in message
        assert "certchain build" in message

    def test_live_message_without_aia(self, policy: Policy) -> None:
        """Without a caIssuers URL, the issuer comes from the CA: another remedy."""
        plain = hierarchy(PKI(), HOST)

        report = judge_capture(captured(plain.leaf), policy=policy)

        (missing,) = [f for f in report.findings if f.code is Code.MISSING_ISSUER]
        assert missing.remedy is Remedy.BUILD_CHAIN
        assert "the intermediate your certificate authority provides" in missing.message

    def test_verify_keeps_its_message(self, hier: Hierarchy, policy: Policy) -> None:
        """A file judged by verify keeps the file's wording: only connect speaks of browsers."""
        report = verify_chain(served_material(captured(hier.leaf)), policy=policy)

        (missing,) = [f for f in report.findings if f.code is Code.MISSING_ISSUER]
        assert "browsers" not in missing.message


class TestServedDiffers:
    def test_same(self, hier: Hierarchy) -> None:
        """The same certificates in the same order: no finding."""
        chain = (hier.leaf.cert, hier.intermediate.cert)

        assert served_differs(chain, chain, FILE) is None

    def test_missing_intermediate(self, hier: Hierarchy) -> None:
        """The file's intermediate not sent: named, with the usual cause."""
        found = served_differs((hier.leaf.cert,), (hier.leaf.cert, hier.intermediate.cert), FILE)

        assert found is not None
        assert (found.code, found.severity, found.position) == (
            Code.SERVED_DIFFERS, Severity.ERROR, None)
        assert found.message == (
            f"The server does not serve the chain in {FILE}: the server does not send "
            f"certificate 1 of {FILE} (CN=Test Intermediate,O=certchain tests): the usual "
            "cause is a server that was not restarted or reloaded since the file changed, or "
            "a configuration that names another file; reload the server, and check which "
            "file its configuration names."
        )

    def test_extra_intermediate(self, hier: Hierarchy) -> None:
        """A certificate sent that the file does not hold is named with its place."""
        found = served_differs(
            (hier.leaf.cert, hier.intermediate.cert, hier.root.cert),
            (hier.leaf.cert, hier.intermediate.cert), FILE,
        )

        assert found is not None
        assert found.position == 2
        assert (f"the server sends certificate 2 (CN=Test Root,O=certchain tests), which {FILE} "
                "does not hold") in found.message

    @pytest.mark.parametrize(("served_days", "word"), [(-1, "older than"), (1, "newer than")])
    def test_other_leaf(self, hier: Hierarchy, served_days: int, word: str) -> None:
        """Another leaf is older or newer, with both expiry dates."""
        pki = PKI()
        base = dt.datetime(2040, 1, 1, tzinfo=dt.timezone.utc)
        served_leaf = pki.leaf(
            hier.intermediate, HOST, not_before=base + dt.timedelta(days=served_days),
            not_after=base + dt.timedelta(days=365 + served_days),
        )
        local_leaf = pki.leaf(hier.intermediate, HOST, not_before=base,
                              not_after=base + dt.timedelta(days=365))

        found = served_differs(
            (served_leaf.cert, hier.intermediate.cert), (local_leaf.cert, hier.intermediate.cert),
            FILE,
        )

        assert found is not None
        assert found.position == 0
        served_date = f"{base + dt.timedelta(days=365 + served_days):%Y-%m-%d}"
        assert (f"the server's leaf (CN={HOST}, expires {served_date}) is {word} the leaf of "
                f"{FILE} (CN={HOST}, expires 2040-12-31)") in found.message

    def test_other_order(self, hier: Hierarchy) -> None:
        """The same certificates in another order say so, numbered as in the file."""
        found = served_differs(
            (hier.leaf.cert, hier.root.cert, hier.intermediate.cert),
            (hier.leaf.cert, hier.intermediate.cert, hier.root.cert), FILE,
        )

        assert found is not None
        assert (f"the server sends certificates of {FILE} in another order (0, 2, 1, numbered "
                "as in the file)") in found.message

    def test_repeated(self, hier: Hierarchy) -> None:
        """A certificate sent twice is said to be sent more than once."""
        found = served_differs(
            (hier.leaf.cert, hier.intermediate.cert, hier.intermediate.cert),
            (hier.leaf.cert, hier.intermediate.cert), FILE,
        )

        assert found is not None
        assert "more than once (0, 1, 1" in found.message

    def test_in_judgement(self, hier: Hierarchy, policy: Policy) -> None:
        """judge_capture adds served-differs for a compared file, and makes the report fail."""
        local = served_material(captured(hier.leaf, hier.intermediate))

        same = judge_capture(captured(hier.leaf, hier.intermediate), policy=policy,
                             compare=local, compare_name=FILE)
        differs = judge_capture(captured(hier.leaf), policy=policy, compare=local,
                                compare_name=FILE)

        assert same.ok
        assert Code.SERVED_DIFFERS not in codes(same.findings)
        assert codes(differs.findings)[Code.SERVED_DIFFERS] is Severity.ERROR
        assert f"chain in {FILE}" in next(
            f.message for f in differs.findings if f.code is Code.SERVED_DIFFERS)

    def test_compare_key_only(self, hier: Hierarchy, policy: Policy) -> None:
        """A file without certificates cannot be compared: a LoadError."""
        key = LoadedKey(hier.leaf.key, Source(None, 0, Format.PEM))

        with pytest.raises(LoadError, match="holds no certificate to compare"):
            judge_capture(captured(hier.leaf), policy=policy, compare=Material((), (key,)))
