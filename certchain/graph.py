"""
Path search: from a leaf, through candidate issuers, to a trust anchor.

Pure: no I/O, no clock.  This module finds *structurally* possible paths
(names chain and every signature verifies); whether a path is acceptable at
a given time and under which rules is :mod:`certchain.rules`' job.  Path
building stays apart from validation, as pyhanko-certvalidator keeps it, and
follows Go's crypto/x509 where it decides:

- Candidates: the certificates whose subject is the child's issuer name,
  ranked by key identifiers (:meth:`CertPool.candidate_issuers`).
- Loops: a path never holds the same CA (subject and public key) twice, so
  cross-signs cannot cycle.
- A path ends at the first trust anchor it reaches.

Inputs come from strangers, and a few kilobytes of crafted certificates
(re-issued and cross-signed copies, thousands of same-named CAs, keys built
to be slow) must not make the search hang, so it is bounded and runs in two
phases:

1. Explore, breadth first from the leaf.  Each certificate's issuers are
   found once and remembered, whichever path reaches it: copies cannot make
   the work exponential.  Its candidates are tried one public key at a time
   (a signature verifies with a key, so the copies of an issuer cost one
   check), cheapest check first among equally ranked keys, until one key
   verifies: another key cannot verify the same signature.
2. Enumerate the complete paths over what was explored, shortest first (a
   best-first search guided by each certificate's distance to an anchor),
   so that long detours through a mesh of cross-signs cannot hide a short
   path.

Every signature check, self-signatures included, is paid from one budget
sized by what the check costs (:func:`certchain.certs.check_cost`); every
certificate reached, candidate considered and partial path extended is a
step.  A bound reached is named in :attr:`Search.limit`, so that the
judgement can say "not judged within bounds" instead of "no issuer".
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Iterable
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from .certs import (
    P256_CHECK,
    check_cost,
    may_be_self_signed,
    self_signature_problem,
    signature_problem,
)
from .keys import cert_spki
from .memo import by_identity
from .model import Chain, fingerprint
from .names import NameKey, subject_key
from .pool import CertPool, KeyGroup, id_rank, key_ids

# A path longer than this many certificates is never built.  cryptography's
# verifier defaults to 8 intermediates, so 10 certificates with the leaf and
# the root; public chains have 2 to 4.
MAX_DEPTH = 10
# Complete paths enumerated, shortest first, for the judgement to choose
# from: every cross-sign combination seen in the wild (two or three roots per
# CA at most) fits many times over, and judging one costs about a millisecond.
MAX_PATHS = 64
# The budget of signature checks for one judgement, in estimated
# microseconds (check_cost): 0.44 s, the work of 4,000 P-256 checks.  Go
# stops after 100 checks whatever they cost (maxChainSignatureChecks); a
# budget by cost lets 2,000 same-named decoys without key identifiers be
# tried before the real issuer (0.2 s, half the budget), while keys built to
# be slow (a 3,070-bit RSA exponent costs 10,000) buy no more time than
# ordinary ones.  Whatever the pool, the checks of one judgement stay under
# half a second, and the whole judgement under two.
MAX_WORK = 4_000 * P256_CHECK
# The steps of each phase of one search: each certificate examined,
# candidate key tried, issuer recorded and partial path popped or extended.
# A step costs a few microseconds, so 100,000 is well under a second;
# exploring a full mesh of cross-signs between 30 same-named CAs (900
# certificates) takes about 30,000.
MAX_STEPS = 100_000

# The reason given for a candidate left unchecked because a bound was reached.
BUDGET_REASON = "not checked: the path search's budget was used up"


class Limit(NamedTuple):
    """A bound of the path search that was reached, and how large it is."""

    kind: str  # "work", "checks", "steps" or "paths"
    size: int
    dearest: int = 0  # for "work": the dearest signature check met, in the same units

    def describe(self) -> str:
        """Name the bound for a message: ``its limit of 64 complete paths``."""
        if self.kind == "work":
            text = (
                f"its budget for signature checks (work worth {self.size // P256_CHECK:,} "
                "P-256 checks"
            )
            if self.dearest > 2 * P256_CHECK:
                text += (
                    f"; one check with the keys met costs as much as "
                    f"{-(-self.dearest // P256_CHECK):,} of them"
                )
            return text + ")"
        if self.kind == "checks":
            return f"its limit of {self.size:,} signature checks"
        if self.kind == "steps":
            return (
                f"its limit of {self.size:,} search steps (certificates reached, candidates "
                "considered and partial paths extended)"
            )
        return f"its limit of {self.size:,} complete paths"


def _key_bytes(cert: x509.Certificate) -> bytes:
    """Return *cert*'s public key (DER), or a stand-in unique to it when unreadable."""
    try:
        return cert_spki(cert)
    except (UnsupportedAlgorithm, ValueError, TypeError):
        return b"unreadable key of " + fingerprint(cert).encode()


@by_identity(8192)
def _identity(cert: x509.Certificate) -> tuple[NameKey, bytes]:
    """(subject, public key): what makes two certificates the same CA, for loop avoidance."""
    return subject_key(cert), _key_bytes(cert)


class SignatureChecks:
    """
    Every signature checked for one judgement, and the budget that pays for them.

    Remembered by child and issuer key: re-issued and cross-signed copies of
    an issuer share a key, so one check answers for all of them.  The path
    search checks each link once; whoever judges the same input afterwards
    (the links between neighbours of a deployed file) asks here, from the
    same budget, instead of checking again.
    """

    def __init__(self, work: int = MAX_WORK, checks: int | None = None) -> None:
        self._done: dict[tuple[str, bytes], str | None] = {}
        self._work = work
        self._checks = checks
        self.work_left = work
        self.checks_left = checks  # None: no count, only the work budget
        self.dearest = 0  # the dearest check met, paid for or refused
        self.refused: Limit | None = None  # the bound that first refused a check

    def known(self, child: x509.Certificate, issuer: x509.Certificate) -> bool:
        """Return whether this link was already checked."""
        return (fingerprint(child), _key_bytes(issuer)) in self._done

    def affordable(self, child: x509.Certificate, issuer: x509.Certificate) -> bool:
        """
        Return whether the link is known or its check fits in what is left.

        A refusal is remembered (:attr:`refused`), for the judgement to say so.
        """
        if self.known(child, issuer):
            return True
        cost = check_cost(child, issuer)
        self.dearest = max(self.dearest, cost)
        if self.checks_left is not None and self.checks_left <= 0:
            assert self._checks is not None
            self.refused = self.refused or Limit("checks", self._checks)
            return False
        if cost > self.work_left:
            self.refused = self.refused or Limit("work", self._work)
            return False
        return True

    def problem(self, child: x509.Certificate, issuer: x509.Certificate) -> str | None:
        """
        Return why *issuer*'s key does not verify *child* (None: it does), checking at most once.

        The check is paid from the budget; where the number of checks depends
        on the input, ask :meth:`affordable` first.
        """
        key = (fingerprint(child), _key_bytes(issuer))
        if key not in self._done:
            self.work_left -= check_cost(child, issuer)
            if self.checks_left is not None:
                self.checks_left -= 1
            same = child is issuer or fingerprint(child) == fingerprint(issuer)
            self._done[key] = (
                self_signature_problem(child) if same else signature_problem(child, issuer)
            )
        return self._done[key]

    def self_signed(self, cert: x509.Certificate) -> bool | None:
        """Return whether *cert* is self-signed; None when the budget cannot pay for knowing."""
        if not may_be_self_signed(cert):
            return False
        if not self.affordable(cert, cert):
            return None
        return self.problem(cert, cert) is None

    def limit(self) -> Limit | None:
        """The bound that refused a check, with the dearest check met; None if none did."""
        if self.refused is None:
            return None
        return Limit(self.refused.kind, self.refused.size, self.dearest)


class Rejected(NamedTuple):
    """A candidate issuer that was tried and refused (or left unchecked), and why."""

    candidate: x509.Certificate
    reason: str  # BUDGET_REASON: not checked, a bound was reached first


class DeadEnd(NamedTuple):
    """A partial path whose last certificate has no usable issuer."""

    path: Chain  # leaf first (the shortest way there), ending at the certificate without issuer
    rejected: tuple[Rejected, ...]  # candidates with the right name, refused or unchecked
    too_long: bool = False  # cut off at max_depth, not for want of an issuer
    unchecked: int = 0  # candidates with the right name left unchecked: a bound was reached


class Search(NamedTuple):
    """Every complete path found, and where the others stopped."""

    chains: tuple[Chain, ...]  # leaf first, each ending at an anchor; shortest first
    dead_ends: tuple[DeadEnd, ...]  # one per certificate reached that leads nowhere
    limit: Limit | None  # the first bound reached (None: none; the search is complete)
    # The signatures checked on the way, for whoever judges the same input next.
    signatures: SignatureChecks
    reached: frozenset[x509.Certificate] = frozenset()  # every certificate reached

    @property
    def budget_exhausted(self) -> bool:
        """Whether a bound was reached, so that other paths may exist unseen."""
        return self.limit is not None


def build_chains(
    leaf: x509.Certificate,
    pool: CertPool,
    anchors: Iterable[x509.Certificate],
    *,
    self_signed: bool = False,
    max_depth: int = MAX_DEPTH,
    max_paths: int = MAX_PATHS,
    max_work: int = MAX_WORK,
    max_steps: int = MAX_STEPS,
    max_signature_checks: int | None = None,
) -> Search:
    """
    Find the paths from *leaf* to a certificate in *anchors*, shortest first.

    *anchors* must also be in *pool* to be found.  With *self_signed*, every
    self-signed certificate of *pool* is an anchor too; whether one is, is
    checked only when the search reaches it, and paid from the budget.  A
    path ends at the first anchor it reaches.  A certificate whose subject
    and public key are already in the path is not tried again.

    The search stops at the first bound reached: *max_paths* complete paths,
    *max_work* of signature checks (estimated microseconds), *max_steps*,
    or, when given, *max_signature_checks* checks; :attr:`Search.limit` says
    which.

    Returns:
        The complete paths (shortest first, best candidates first among
        equals) and the dead ends met on the way.  Finding nothing is not an
        error.
    """
    search = _Search(
        pool, frozenset(fingerprint(a) for a in anchors), self_signed, max_depth,
        SignatureChecks(max_work, max_signature_checks), max_steps,
    )
    search.explore(leaf)
    chains = search.enumerate(leaf, max_paths)
    limit = search.checks.limit() or search.limit  # the exploration's first
    return Search(
        tuple(chains), tuple(search.dead_ends()), limit, search.checks,
        frozenset(search.cert.values()),
    )


class _Search:
    """The state of one search: what was reached, how, and what each certificate leads to."""

    def __init__(
        self, pool: CertPool, anchors: frozenset[str], self_signed: bool, max_depth: int,
        checks: SignatureChecks, max_steps: int,
    ) -> None:
        self.pool = pool
        self.anchors = anchors
        self.self_signed = self_signed
        self.max_depth = max_depth
        self.checks = checks
        self.steps_left = max_steps
        self.max_steps = max_steps
        self.limit: Limit | None = None  # steps or paths; the work budget is the checks'
        self.level: dict[str, int] = {}  # certificates in the path from the leaf, at best
        self.parent: dict[str, str | None] = {}
        self.cert: dict[str, x509.Certificate] = {}
        self.reached_anchors: set[str] = set()
        self.issuers: dict[str, list[tuple[str, x509.Certificate]]] = {}  # verified, in order
        # Per certificate examined: the candidate groups refused, and why; those left unchecked.
        self.refused: dict[str, list[tuple[KeyGroup, str]]] = {}
        self.unchecked: dict[str, list[KeyGroup]] = {}
        self.expanded: set[str] = set()
        self.too_long: set[str] = set()
        self.cut: set[str] = set()  # reached, but left unexamined when a bound was reached

    def step(self, count: int = 1) -> bool:
        """Pay *count* steps; False (and the limit noted) when they were not all left."""
        paid = self.steps_left >= count
        self.steps_left = max(0, self.steps_left - count)
        if not paid:
            self.limit = self.limit or Limit("steps", self.max_steps)
        return paid

    # ------------------------------------------------------------ explore

    def explore(self, leaf: x509.Certificate) -> None:
        """
        Reach every certificate the leaf can be linked to, nearest first.

        Stops at the first bound reached: once a check was refused, the
        certificates still waiting are left unexamined rather than each
        refused in turn.
        """
        queue: deque[x509.Certificate] = deque()
        self.reach(fingerprint(leaf), leaf, None, queue)
        while queue:
            if self.checks.refused is not None or not self.step():
                self.cut.update(fingerprint(c) for c in queue)
                return
            cert = queue.popleft()
            fp = fingerprint(cert)
            if self.level[fp] >= self.max_depth:
                self.too_long.add(fp)
                continue
            self.expand(cert, queue)

    def reach(
        self, fp: str, cert: x509.Certificate, parent: str | None,
        queue: deque[x509.Certificate],
    ) -> None:
        """Record *cert* as reached from *parent*; an anchor ends there, others wait in *queue*."""
        if fp in self.level:
            return
        self.level[fp] = 1 if parent is None else self.level[parent] + 1
        self.parent[fp] = parent
        self.cert[fp] = cert
        anchor = self.is_anchor(cert)
        if anchor:
            self.reached_anchors.add(fp)
        elif anchor is None:  # unknown: its self-signature could not be paid for
            self.cut.add(fp)
        else:
            queue.append(cert)

    def is_anchor(self, cert: x509.Certificate) -> bool | None:
        if fingerprint(cert) in self.anchors:
            return True
        if not self.self_signed or cert not in self.pool:
            return False
        return self.checks.self_signed(cert)

    def expand(self, cert: x509.Certificate, queue: deque[x509.Certificate]) -> None:
        """Find *cert*'s issuers: try its candidates' keys in order until one verifies."""
        fp = fingerprint(cert)
        self.expanded.add(fp)
        aki, _ = key_ids(cert)
        tiers = self.pool.key_groups(cert)
        for tier in tiers:
            for index, group in enumerate(tier):
                first = group.other_than(cert)
                if first is None:
                    continue  # a self-signed certificate that is not an anchor
                if not self.step():
                    self.unchecked[fp] = [*tier[index:], *(g for t in tiers for g in t)]
                    return
                if not self.checks.affordable(cert, first):
                    self.unchecked[fp] = [*tier[index:], *(g for t in tiers for g in t)]
                    return
                problem = self.checks.problem(cert, first)
                if problem is not None:
                    self.refused.setdefault(fp, []).append((group, problem))
                    continue
                self.verified(fp, aki, group, queue)
                return

    def verified(
        self, fp: str, aki: bytes | None, group: KeyGroup, queue: deque[x509.Certificate]
    ) -> None:
        """Reach every member of *group*, whose key verifies the certificate *fp*."""
        # Another key cannot verify the signature this one verified.
        members = sorted(
            (
                (id_rank(aki, ski), ifp, member)
                for member, ifp, ski in zip(group.members, group.fingerprints, group.skis)
                if ifp != fp
            ),
            key=lambda m: m[0],  # stable: expiry, then fingerprint, next
        )
        self.step(len(members))
        self.issuers[fp] = [(ifp, member) for _, ifp, member in members]
        for _, ifp, member in members:
            self.reach(ifp, member, fp, queue)

    # ----------------------------------------------------------- enumerate

    def distances(self) -> dict[str, int]:
        """The fewest certificates from each one reached to an anchor (0 for an anchor)."""
        below: dict[str, list[str]] = {}
        for child, issuers in self.issuers.items():
            for issuer, _ in issuers:
                below.setdefault(issuer, []).append(child)
        distance = dict.fromkeys(self.reached_anchors, 0)
        queue = deque(self.reached_anchors)
        while queue:
            fp = queue.popleft()
            for child in below.get(fp, ()):
                if child not in distance:
                    distance[child] = distance[fp] + 1
                    queue.append(child)
        return distance

    def enumerate(self, leaf: x509.Certificate, max_paths: int) -> list[Chain]:
        """The complete paths, shortest first; candidate order among paths of one length."""
        distance = self.distances()
        start = fingerprint(leaf)
        if start not in distance:
            return []
        self.steps_left = self.max_steps  # each phase has its own steps
        chains: list[Chain] = []
        order = itertools.count()
        # By length when complete, then the longest partial path (finish a path
        # before starting others alike), then candidate order.
        heap: list[tuple[int, int, int, Chain, frozenset[tuple[NameKey, bytes]]]] = [
            (1 + distance[start], -1, next(order), (leaf,), frozenset([_identity(leaf)]))
        ]
        while heap:
            if len(chains) >= max_paths:
                self.limit = self.limit or Limit("paths", max_paths)
                break
            if not self.step():
                break
            _, _, _, path, ids = heapq.heappop(heap)
            fp = fingerprint(path[-1])
            if fp in self.reached_anchors:
                chains.append(path)
                continue
            for ifp, issuer in self.issuers.get(fp, ()):
                rest = distance.get(ifp)
                if rest is None or len(path) + 1 + rest > self.max_depth:
                    continue
                ident = _identity(issuer)
                if ident in ids or not self.step():
                    continue
                heapq.heappush(heap, (
                    len(path) + 1 + rest, -len(path) - 1, next(order), (*path, issuer),
                    ids | {ident},
                ))
        return chains

    # ---------------------------------------------------------- dead ends

    def path_to(self, fp: str) -> Chain:
        """The shortest path from the leaf to the certificate *fp*, leaf first."""
        path = [self.cert[fp]]
        parent = self.parent[fp]
        while parent is not None:
            path.append(self.cert[parent])
            parent = self.parent[parent]
        return tuple(reversed(path))

    def dead_ends(self) -> list[DeadEnd]:
        """The certificates reached that lead nowhere, nearest first, with why."""
        found = []
        for fp, cert in self.cert.items():
            if fp in self.reached_anchors:
                continue
            if fp in self.too_long:
                found.append(DeadEnd(self.path_to(fp), (), too_long=True))
            elif fp in self.cut:
                named = self.pool.named(cert)
                found.append(DeadEnd(
                    self.path_to(fp), (), unchecked=len(named) - (cert in named),
                ))
            elif fp in self.expanded:
                path = self.path_to(fp)
                on_path = {_identity(c) for c in path}
                if all(_identity(i) in on_path for _, i in self.issuers.get(fp, ())):
                    found.append(self.dead_end(fp, path))
        return found

    def dead_end(self, fp: str, path: Chain) -> DeadEnd:
        """The dead end at *fp*, each candidate refused or left unchecked named with why."""
        rejected = [
            Rejected(member, reason)
            for group, reason in self.refused.get(fp, ())
            for member, ifp in zip(group.members, group.fingerprints) if ifp != fp
        ]
        unchecked = [
            Rejected(member, BUDGET_REASON)
            for group in self.unchecked.get(fp, ())
            for member, ifp in zip(group.members, group.fingerprints) if ifp != fp
        ]
        return DeadEnd(path, (*rejected, *unchecked), unchecked=len(unchecked))
