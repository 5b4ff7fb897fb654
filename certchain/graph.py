"""
Path search: from a leaf, through candidate issuers, to a trust anchor.

Pure: no I/O, no clock.  This module finds *structurally* possible paths
(names chain and every signature verifies); whether a path is acceptable at
a given time and under which rules is :mod:`certchain.rules`' job.  The
design follows Go's crypto/x509 (candidate ordering, loop avoidance by
subject and key, a budget of signature checks) and keeps path building apart
from validation as pyhanko-certvalidator does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography import x509

from . import extensions
from .certs import identity, signature_problem
from .model import Chain, fingerprint
from .names import NameKey, name_key

# Go's crypto/x509 stops after 100 signature checks per verification
# (maxChainSignatureChecks) so that a crafted pile of same-named
# certificates cannot make path building quadratic; we do the same.
MAX_SIGNATURE_CHECKS = 100
BUDGET_REASON = "not checked: the signature-check budget is used up"
# A path longer than this many certificates is never built.  cryptography's
# verifier defaults to 8 intermediates; public chains have 2 to 4.
MAX_DEPTH = 10
# Enough alternatives for every cross-sign combination seen in the wild.
MAX_PATHS = 64


class SignatureChecks:
    """
    Every signature checked for one judgement, remembered by (child, issuer).

    The path search checks each link once; whoever judges the same input
    afterwards (the links between neighbours of a deployed file) asks here
    instead of checking again.
    """

    def __init__(self) -> None:
        self._done: dict[tuple[str, str], str | None] = {}

    def known(self, child: x509.Certificate, issuer: x509.Certificate) -> bool:
        """Return whether this link was already checked."""
        return (fingerprint(child), fingerprint(issuer)) in self._done

    def problem(self, child: x509.Certificate, issuer: x509.Certificate) -> str | None:
        """Return why *issuer* did not sign *child* (None: it did), checking at most once."""
        key = (fingerprint(child), fingerprint(issuer))
        if key not in self._done:
            self._done[key] = signature_problem(child, issuer)
        return self._done[key]


def _key_ids(cert: x509.Certificate) -> tuple[bytes | None, bytes | None]:
    """Return (authority key id, subject key id), each None when absent."""
    aki = extensions.get(cert, x509.AuthorityKeyIdentifier)
    ski = extensions.get(cert, x509.SubjectKeyIdentifier)
    return (aki.key_identifier if aki else None), (ski.digest if ski else None)


class CertPool:
    """Index of candidate issuers by (normalised) subject name."""

    def __init__(self, certs: Iterable[x509.Certificate] = ()) -> None:
        self._by_subject: dict[NameKey, list[x509.Certificate]] = {}
        self._seen: set[str] = set()
        for cert in certs:
            self.add(cert)

    def add(self, cert: x509.Certificate) -> None:
        """Add *cert* (a second copy of the same certificate is ignored)."""
        fp = fingerprint(cert)
        if fp in self._seen:
            return
        self._seen.add(fp)
        self._by_subject.setdefault(name_key(cert.subject), []).append(cert)

    def __len__(self) -> int:
        return len(self._seen)

    def candidate_issuers(self, cert: x509.Certificate) -> list[x509.Certificate]:
        """
        Return certificates whose subject is *cert*'s issuer, most plausible first.

        Ranked as Go's crypto/x509 does: authority key id equal to the
        candidate's subject key id, then one of them absent, then a mismatch
        (still tried: key identifiers are hints, RFC 5280 4.2.1.1).  Ties go
        to the later expiry, then the fingerprint, so the order never depends
        on the order of the inputs.
        """
        aki, _ = _key_ids(cert)
        found = self._by_subject.get(name_key(cert.issuer), [])

        def rank(candidate: x509.Certificate) -> tuple[int, float, str]:
            _, ski = _key_ids(candidate)
            if aki is not None and ski is not None:
                level = 0 if aki == ski else 2
            else:
                level = 1
            return level, -candidate.not_valid_after_utc.timestamp(), fingerprint(candidate)

        return sorted(found, key=rank)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A candidate issuer that was tried and refused, and why."""

    candidate: x509.Certificate
    reason: str


@dataclass(frozen=True, slots=True)
class DeadEnd:
    """A partial path whose last certificate has no usable issuer."""

    path: Chain  # leaf first, ending at the certificate without an issuer
    rejected: tuple[Rejected, ...]  # candidates with the right name, refused
    too_long: bool = False  # cut off at max_depth, not for want of an issuer


@dataclass(frozen=True, slots=True)
class Search:
    """Every complete path found, and where the others stopped."""

    chains: tuple[Chain, ...]  # leaf first, each ending at an anchor
    dead_ends: tuple[DeadEnd, ...]
    budget_exhausted: bool = False
    # The signatures checked on the way, for whoever judges the same input next.
    signatures: SignatureChecks = field(default_factory=SignatureChecks)


@dataclass
class _State:
    anchors: frozenset[str]
    checks_left: int
    signatures: SignatureChecks
    chains: list[Chain] = field(default_factory=list)
    dead_ends: list[DeadEnd] = field(default_factory=list)
    exhausted: bool = False


def build_chains(
    leaf: x509.Certificate,
    pool: CertPool,
    anchors: Iterable[x509.Certificate],
    *,
    max_depth: int = MAX_DEPTH,
    max_signature_checks: int = MAX_SIGNATURE_CHECKS,
) -> Search:
    """
    Find every path from *leaf* to a certificate in *anchors*.

    *anchors* must also be in *pool* to be found.  A path ends at the first
    anchor it reaches.  A certificate whose subject and public key are
    already in the path is not tried again, so cross-signs cannot cycle.

    Returns:
        The complete paths (order of discovery, best candidates first) and
        the dead ends met on the way.  Finding nothing is not an error.
    """
    state = _State(
        anchors=frozenset(fingerprint(a) for a in anchors),
        checks_left=max_signature_checks,
        signatures=SignatureChecks(),
    )
    _extend((leaf,), pool, state, max_depth)
    return Search(tuple(state.chains), tuple(state.dead_ends), state.exhausted, state.signatures)


def _extend(path: Chain, pool: CertPool, state: _State, max_depth: int) -> None:
    current = path[-1]
    if fingerprint(current) in state.anchors:
        state.chains.append(path)
        return
    if len(state.chains) >= MAX_PATHS:
        return
    if len(path) >= max_depth:
        state.dead_ends.append(DeadEnd(path, (), too_long=True))
        return
    in_path = {identity(c) for c in path}
    rejected: list[Rejected] = []
    extended = False
    for candidate in pool.candidate_issuers(current):
        if candidate is current or fingerprint(candidate) == fingerprint(current):
            continue  # a self-signed certificate that is not an anchor
        if identity(candidate) in in_path:
            continue
        problem = _checked_signature(current, candidate, state)
        if problem is not None:
            rejected.append(Rejected(candidate, problem))
            continue
        extended = True
        _extend((*path, candidate), pool, state, max_depth)
    if not extended:
        state.dead_ends.append(DeadEnd(path, tuple(rejected)))


def _checked_signature(
    child: x509.Certificate, issuer: x509.Certificate, state: _State
) -> str | None:
    if state.signatures.known(child, issuer):
        return state.signatures.problem(child, issuer)
    if state.checks_left <= 0:
        state.exhausted = True
        return BUDGET_REASON
    state.checks_left -= 1
    return state.signatures.problem(child, issuer)
