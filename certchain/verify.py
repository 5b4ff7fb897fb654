"""
Judge a chain as deployed: the certificates of a file in the order they stand.

A server sends its chained file as it is: the first certificate is taken as
the leaf, and clients build a path from it through the others to a root they
trust.  ``verify_chain`` finds that path with the same code as ``build``
(:func:`certchain.build.build_chain`), then compares the file with it: the
order, the extra and duplicate certificates, each link, and what ``build``
judges (validity, CA flags, trust, key, hostname, strict verdict).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509

from .build import BuildResult, build_chain, pick_leaf
from .errors import AmbiguousLeaf, LoadError
from .findings import (
    Code,
    Finding,
    Severity,
    by_severity,
    describe,
    issuer_text,
    subject_text,
)
from .graph import identity, signature_problem
from .load import load_file
from .model import Chain, Format, LoadedCert, LoadedKey, Material, TrustStore, fingerprint
from .names import name_key
from .rules import WARN_DAYS, is_ca, is_self_signed

# Findings of build_chain that verify states in its own terms.
_REPLACED = {Code.NO_KEY, Code.UNUSED_CERT, Code.DUPLICATE_CERT, Code.ROOT_INCLUDED}
# Errors that `certchain build` repairs by itself (it reorders and drops).
_REPAIRABLE = {Code.WRONG_ORDER, Code.EXTRA_CERT}


@dataclass(frozen=True, slots=True)
class Report:
    """Everything found about one deployed chain."""

    chain: Chain  # the certificates as they stand in the file
    roles: tuple[str, ...]  # per certificate: leaf, intermediate, root or extra
    links: tuple[bool | None, ...]  # per certificate: signed by the next one?
    findings: tuple[Finding, ...]  # errors first; `cert` is an index into `chain`
    path: Chain  # the path clients can build (leaf first), possibly partial
    complete: bool  # the path reaches a trust anchor
    source: Path | None = None
    key: LoadedKey | None = None  # the private key that matches the leaf, if given
    rewritable: bool = True  # PEM certificates only: `build -o FILE` loses nothing

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def valid_until(self) -> datetime | None:
        """The earliest notAfter on the path (None when there is no path)."""
        if not self.complete:
            return None
        return min(c.not_valid_after_utc for c in self.path)

    @property
    def repairable(self) -> bool:
        """True when ``certchain build`` on this file would fix every error."""
        errors = {f.code for f in self.findings if f.severity is Severity.ERROR}
        return bool(errors) and errors <= _REPAIRABLE


def verify_chain(
    material: Material,
    *,
    store: TrustStore,
    at: datetime,
    keys: Material | None = None,
    hostname: str | None = None,
    strict: bool = False,
    warn_days: int = WARN_DAYS,
) -> Report:
    """
    Judge the certificates of *material* in the order they stand.

    Args:
        material: one deployed file's content (certificates in file order;
            a private key in it is checked against the leaf).
        store: the trust anchors; with an explicit store, ending elsewhere
            is an error.
        at: the validation time.
        keys: a private key to check against the leaf (``--key``).
        hostname: a DNS name or IP address the leaf must cover.
        strict: make cryptography's web-PKI objection an error.
        warn_days: the ``expires-soon`` window.

    Raises:
        LoadError: *material* holds no certificate.
    """
    deployed = material.certs
    if not deployed:
        path = material.keys[0].source.path if material.keys else None
        raise LoadError(path, "holds no certificate to verify.")
    leaf = _deployed_leaf(material)
    host = next(c for c in deployed if c.cert == leaf)
    others = tuple(c for c in deployed if c.cert != leaf)
    result = build_chain(
        Material((host,)), Material(others, material.keys), store=store, at=at,
        keys=keys, hostname=hostname, strict=strict, warn_days=warn_days,
    )
    chain = tuple(c.cert for c in deployed)
    on_path = _path_positions(chain, result)
    found = _translate(result, chain)
    found += _duplicates(deployed)
    found += _order(chain, result, on_path)
    found += _extras(deployed, result, on_path)
    found += _links(chain, result)
    found += _issuer_expiry(result, chain)
    found += _stale_stand_ins(chain, result, on_path, at)
    if is_self_signed(chain[-1]) and len(chain) > 1 and on_path.get(len(chain) - 1) is not None:
        found.append(Finding(
            Code.ROOT_INCLUDED, Severity.INFO,
            f"The file ends with {describe('root', chain[-1])}: harmless, but clients "
            "do not use it; certchain build --no-root leaves it out.", len(chain) - 1,
        ))
    return Report(
        chain=chain,
        roles=tuple(_role(i, cert, result, on_path) for i, cert in enumerate(chain)),
        links=tuple(_link(chain, i) for i in range(len(chain))),
        findings=by_severity(found),
        path=result.chain,
        complete=result.complete,
        source=deployed[0].source.path,
        key=result.key,
        rewritable=not material.keys and all(c.source.format is Format.PEM for c in deployed),
    )


def verify_file(
    path: Path,
    *,
    store: TrustStore,
    at: datetime,
    keys: Material | None = None,
    password: bytes | None = None,
    hostname: str | None = None,
    strict: bool = False,
    warn_days: int = WARN_DAYS,
) -> Report:
    """Load *path* and judge it with :func:`verify_chain`."""
    return verify_chain(
        load_file(path, password=password), store=store, at=at, keys=keys,
        hostname=hostname, strict=strict, warn_days=warn_days,
    )


def _deployed_leaf(material: Material) -> x509.Certificate:
    """The end-entity certificate of the file; the first one if unclear."""
    try:
        leaf = pick_leaf(material)
    except AmbiguousLeaf:
        return material.certs[0].cert
    first = material.certs[0].cert
    # A CA first and no end entity anywhere: a CA chain file, judged from
    # its first certificate as a server would send it.
    return first if is_ca(leaf) and leaf != first and is_ca(first) else leaf


def _path_positions(chain: Chain, result: BuildResult) -> dict[int, int | None]:
    """Map each file index to the path index it stands for (None: not on the path).

    A certificate stands for a path certificate when it is that certificate,
    or the same CA (subject and key) certified differently: a cross-signed
    root served for older clients is on the path.
    """
    by_fp = {fingerprint(c): i for i, c in enumerate(result.chain)}
    by_id = {identity(c): i for i, c in enumerate(result.chain)}
    positions: dict[int, int | None] = {}
    for index, cert in enumerate(chain):
        position = by_fp.get(fingerprint(cert))
        if position is None and index > 0:
            position = by_id.get(identity(cert))
        positions[index] = position
    return positions


def _translate(result: BuildResult, chain: Chain) -> list[Finding]:
    """build_chain's findings, with `cert` moved from path index to file index."""
    file_index: dict[str, int] = {}
    for index, cert in enumerate(chain):
        file_index.setdefault(fingerprint(cert), index)
    found = []
    for finding in result.findings:
        if finding.code in _REPLACED:
            continue
        position: int | None = None
        if finding.cert is not None:
            position = file_index.get(fingerprint(result.chain[finding.cert]))
        found.append(Finding(finding.code, finding.severity, finding.message, position))
    return found


def _duplicates(deployed: tuple[LoadedCert, ...]) -> list[Finding]:
    seen: dict[str, int] = {}
    found = []
    for index, loaded in enumerate(deployed):
        first = seen.setdefault(loaded.sha256, index)
        if first != index:
            found.append(Finding(
                Code.DUPLICATE_CERT, Severity.WARNING,
                f"Certificate {index} ({subject_text(loaded.cert)}) repeats certificate "
                f"{first}: remove the copy.", index,
            ))
    return found


def _order(chain: Chain, result: BuildResult, on_path: dict[int, int | None]) -> list[Finding]:
    if chain[0] != result.leaf:
        where = next(i for i, c in enumerate(chain) if c == result.leaf)
        return [Finding(
            Code.WRONG_ORDER, Severity.ERROR,
            f"The file starts with {describe('certificate', chain[0])}, but the leaf "
            f"({subject_text(result.leaf)}) is certificate {where}: the leaf must come "
            "first, then each issuer.", 0,
        )]
    expected = 0
    for index in range(len(chain)):
        position = on_path[index]
        if position is None:
            continue
        if position < expected:
            continue  # a duplicate or a second stand-in, reported elsewhere
        if position != expected:
            return [Finding(
                Code.WRONG_ORDER, Severity.ERROR,
                f"Certificate {index} ({subject_text(chain[index])}) stands before "
                f"its place: each certificate must be followed by its issuer "
                f"({issuer_text(chain[index - 1]) if index else 'none'} after "
                f"{subject_text(chain[index - 1]) if index else 'the leaf'}).", index,
            )]
        expected = position + 1
    return []


def _extras(
    deployed: tuple[LoadedCert, ...], result: BuildResult, on_path: dict[int, int | None]
) -> list[Finding]:
    if not result.complete:
        return []  # the missing issuer may connect them: missing-issuer says enough
    seen: set[str] = set()
    found = []
    for index, loaded in enumerate(deployed):
        if on_path[index] is not None or loaded.sha256 in seen:
            continue
        seen.add(loaded.sha256)
        found.append(Finding(
            Code.EXTRA_CERT, Severity.ERROR,
            f"Certificate {index} ({subject_text(loaded.cert)}) belongs to no path from "
            "the leaf: remove it (it may belong to another host or an old chain).", index,
        ))
    return found


def _link(chain: Chain, index: int) -> bool | None:
    """Whether certificate *index* is signed by the next one (None for the last)."""
    if index + 1 >= len(chain):
        return None
    child, issuer = chain[index], chain[index + 1]
    if name_key(child.issuer) != name_key(issuer.subject):
        return False
    return signature_problem(child, issuer) is None


def _links(chain: Chain, result: BuildResult) -> list[Finding]:
    """A forged or damaged link between neighbours whose names do match."""
    already = {f.cert for f in result.findings if f.code is Code.BAD_SIGNATURE}
    found = []
    for index in range(len(chain) - 1):
        child, issuer = chain[index], chain[index + 1]
        if name_key(child.issuer) != name_key(issuer.subject) or index in already:
            continue
        if child == issuer:
            continue
        problem = signature_problem(child, issuer)
        if problem is not None:
            found.append(Finding(
                Code.BAD_SIGNATURE, Severity.ERROR,
                f"Certificate {index} ({subject_text(child)}) is not signed by the key "
                f"of certificate {index + 1} ({subject_text(issuer)}), which has the "
                f"issuer's name ({problem}): the next certificate is a different CA "
                "with the same name; get the matching one.", index,
            ))
    return found


def _stale_stand_ins(
    chain: Chain, result: BuildResult, on_path: dict[int, int | None], at: datetime
) -> list[Finding]:
    """
    An expired copy of a path CA certified differently (a cross-sign).

    It stands for a CA on the path, so clients that trust that CA's own
    certificate never use it, but clients that still need the cross-sign
    fail: a warning, not an error.
    """
    found = []
    for index, cert in enumerate(chain):
        position = on_path[index]
        if position is None or cert == result.chain[position]:
            continue
        if cert.not_valid_after_utc < at:
            found.append(Finding(
                Code.EXPIRED_CROSS_SIGN, Severity.WARNING,
                f"Certificate {index} ({subject_text(cert)}, issued by {issuer_text(cert)}) "
                f"is a cross-signed copy of a CA on the path and expired on "
                f"{cert.not_valid_after_utc:%Y-%m-%d}: clients that still rely on it fail; "
                "remove it from the file.", index,
            ))
    return found


def _issuer_expiry(result: BuildResult, chain: Chain) -> list[Finding]:
    file_index = {fingerprint(c): i for i, c in reversed(list(enumerate(chain)))}
    found = []
    path = result.chain
    for child, issuer in itertools.pairwise(path):
        if issuer.not_valid_after_utc < child.not_valid_after_utc:
            found.append(Finding(
                Code.ISSUER_EXPIRES_FIRST, Severity.WARNING,
                f"{subject_text(issuer)} expires on {issuer.not_valid_after_utc:%Y-%m-%d}, "
                f"before {subject_text(child)} ({child.not_valid_after_utc:%Y-%m-%d}) "
                "that it issued: the chain stops working then; plan the renewal.",
                file_index.get(fingerprint(issuer)),
            ))
    return found


def _role(
    index: int, cert: x509.Certificate, result: BuildResult, on_path: dict[int, int | None]
) -> str:
    position = on_path[index]
    if position is None:
        if cert == result.leaf:
            return "leaf"
        if result.complete:
            return "extra"
        # Beyond a missing issuer nothing is known of the path: say what it is.
        return "root" if is_self_signed(cert) else "intermediate" if is_ca(cert) else "extra"
    if position == 0:
        return "leaf"
    if is_self_signed(cert) and position == len(result.chain) - 1:
        return "root"
    return "intermediate"
