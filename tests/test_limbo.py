"""
Conformance: the x509-limbo server-validation cases, certchain against cryptography.

Every case of the corpus in ../shared/corpora/limbo (a subset of
C2SP/x509-limbo; its README gives the format) runs through certchain's
library as `certchain build --strict` would: the case's trust anchors as
--trust, its intermediates as candidates, its time and peer name.  The same
cases run through cryptography's own verifier.  certchain must agree with
the expected result at least as often, and every case where it does not is
listed, with a reason, in tests/limbo_disagreements.txt.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import utils, x509
from cryptography.x509 import verification

from certchain import CertchainError, Material, Policy, TrustStore, build_chain, load_bytes

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpora" / "limbo"
# Both files have online::* cases with the same ids (captured in 2023 and in
# 2025-26); the newer ones are told apart by this suffix.
FILES = {"limbo-subset.json": "", "limbo-online-head.json": "@head"}
LISTED = HERE / "limbo_disagreements.txt"
# limbo: a null validation_time means "now", and its generated certificates
# are valid from 1970 to 2969; a fixed instant keeps the run reproducible.
DEFAULT_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Case:
    """One limbo test case, reduced to what a server verification needs."""

    id: str
    expected: bool
    trusted: tuple[str, ...]
    intermediates: tuple[str, ...]
    peer: str
    at: dt.datetime
    name: str | None
    max_depth: int | None


def _cases() -> list[Case]:
    if not CORPUS.is_dir():
        return []
    cases = []
    for name, suffix in FILES.items():
        for raw in json.loads((CORPUS / name).read_text())["testcases"]:
            if raw["validation_kind"] != "SERVER":
                continue
            cases.append(_case(raw, suffix))
    return cases


def _case(raw: dict[str, Any], suffix: str) -> Case:
    peer_name = raw.get("expected_peer_name")
    at = raw.get("validation_time")
    return Case(
        id=raw["id"] + suffix,
        expected=raw["expected_result"] == "SUCCESS",
        trusted=tuple(raw["trusted_certs"]),
        intermediates=tuple(raw["untrusted_intermediates"]),
        peer=raw["peer_certificate"],
        at=dt.datetime.fromisoformat(at.replace("Z", "+00:00")) if at else DEFAULT_TIME,
        name=peer_name["value"] if peer_name and peer_name["kind"] in ("DNS", "IP") else None,
        max_depth=raw.get("max_chain_depth"),
    )


def certchain_accepts(case: Case) -> bool:
    """Return certchain's strict verdict on *case* (bad input counts as a rejection)."""
    try:
        anchors = load_bytes("".join(case.trusted).encode())
        store = TrustStore(tuple(c.cert for c in anchors.certs), case.id, explicit=True)
        pile = "".join(case.intermediates).encode()
        result = build_chain(
            load_bytes(case.peer.encode()),
            load_bytes(pile) if pile.strip() else Material(),
            policy=Policy(store=store, at=case.at, hostname=case.name, strict=True, max_intermediates=case.max_depth),
        )
    except CertchainError:
        return False
    return result.ok


def cryptography_accepts(case: Case) -> bool:
    """Return cryptography's own verdict on *case*, verified as its docs show."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", utils.CryptographyDeprecationWarning)
        try:
            roots = [x509.load_pem_x509_certificate(p.encode()) for p in case.trusted]
            peer = x509.load_pem_x509_certificate(case.peer.encode())
            pile = [x509.load_pem_x509_certificate(p.encode()) for p in case.intermediates]
            builder = verification.PolicyBuilder().store(verification.Store(roots)).time(case.at)
            if case.max_depth is not None:
                builder = builder.max_chain_depth(case.max_depth)
            try:
                subject: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(case.name or ""))
            except ValueError:
                subject = x509.DNSName(case.name or "")
            builder.build_server_verifier(subject).verify(peer, pile)  # type: ignore[arg-type]
        except (verification.VerificationError, ValueError):
            return False
    return True


def _listed() -> dict[str, str]:
    listed = {}
    for line in LISTED.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            case_id, _, reason = line.partition(" ")
            listed[case_id] = reason.strip()
    return listed


CASES = _cases()


def test_certchain_agrees_with_limbo_at_least_as_often_as_cryptography(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """certchain --strict matches limbo's expectations as often as cryptography, or more."""
    if not CASES:
        # CI lays shared/ beside the clone; there, a missing corpus is a failure.
        missing = f"the limbo corpus is not at {CORPUS}"
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    ours = {c.id: certchain_accepts(c) == c.expected for c in CASES}
    theirs = {c.id: cryptography_accepts(c) == c.expected for c in CASES}
    disagreements = {case_id for case_id, agreed in ours.items() if not agreed}
    listed = _listed()
    with capsys.disabled():
        print(
            f"\nx509-limbo: {len(CASES)} cases run; certchain agreed on {sum(ours.values())}, "
            f"cryptography {sum(theirs.values())}; {len(listed)} listed in {LISTED.name}"
        )
    assert sum(ours.values()) >= sum(theirs.values())
    assert disagreements == set(listed), (
        f"unlisted: {sorted(disagreements - set(listed))}; "
        f"listed but agreed now: {sorted(set(listed) - disagreements)}"
    )


def test_every_listed_disagreement_has_a_reason() -> None:
    """Each line of the disagreement list names a case and says why."""
    for case_id, reason in _listed().items():
        assert "::" in case_id
        assert len(reason) > 20, case_id
