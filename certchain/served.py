"""
The judgement of a served chain: certificates in the order a server sends them.

A server sends its chained file as it is: the first certificate is taken as
the leaf, and clients build a path from it through the others to a root they
trust.  :func:`certchain.assessment.assess` judges the certificates; this adds
only what concerns how they are laid out: the order, the extra and duplicate
certificates, the links between neighbours, stale cross-signs and a root
sent along.  Certificates are named by their place in the file
("certificate 2 (CN=R11)").  Part of the core: ``verify`` (a file),
``doctor`` and ``config`` (the file a configuration names) are views of it.
Pure.
"""

from __future__ import annotations

from cryptography import x509

from .assessment import Assessment, Naming, assess, deployed_leaf, describe
from .certs import identity, is_ca, path_roles
from .errors import LoadError
from .findings import (
    CertName,
    Code,
    Finding,
    Remedy,
    Severity,
    by_severity,
    issuer_text,
    subject_text,
)
from .model import Chain, Format, LoadedCert, Material, Role, fingerprint
from .names import issuer_key, subject_key
from .policy import Policy
from .results import Report


def assess_served(material: Material, *, policy: Policy, keys: Material | None = None) -> Report:
    """
    Judge the certificates of *material* in the order they stand.

    Args:
        material: one deployed file's content (certificates in file order;
            a private key in it is checked against the leaf).
        policy: the trust anchors, the time and the rules to judge by.
        keys: a private key to check against the leaf instead of the file's.

    Raises:
        LoadError: *material* holds no certificate.
    """
    deployed = material.certs
    if not deployed:
        path = material.keys[0].source.path if material.keys else None
        raise LoadError(path, "holds no certificate to verify.")
    chain = tuple(c.cert for c in deployed)
    unique = list({c.sha256: c.cert for c in deployed}.values())
    at_hand = keys.keys if keys is not None else material.keys
    judged = assess(
        deployed_leaf(material), unique, policy, keys=at_hand, naming=_file_naming(chain),
        served=True,
    )
    on_path = _path_positions(chain, judged.path)
    found = list(judged.findings)
    found += _duplicates(deployed)
    found += _order(chain, judged, on_path)
    found += _extras(deployed, judged, on_path)
    found += _links(chain, judged)
    found += _stale_stand_ins(chain, judged, on_path, policy)
    last_on_path = len(chain) > 1 and on_path[len(chain) - 1] is not None
    if last_on_path and judged.signatures.self_signed(chain[-1]):
        found.append(Finding(
            Code.ROOT_INCLUDED, Severity.INFO,
            f"The file ends with certificate {len(chain) - 1} ({subject_text(chain[-1])}), "
            "the root: harmless, but clients do not use it; it may be left out.",
            len(chain) - 1, Remedy.LEAVE_OUT_ROOT,
        ))
    return Report(
        chain=chain,
        roles=tuple(_role(i, cert, judged, on_path) for i, cert in enumerate(chain)),
        links=tuple(_link(chain, i, judged) for i in range(len(chain))),
        findings=by_severity(found),
        path=judged.path,
        complete=judged.complete,
        source=deployed[0].source.path,
        key=judged.key,
        rewritable=not material.keys and all(c.source.format is Format.PEM for c in deployed),
    )


def _file_naming(chain: Chain) -> Naming:
    """Name the certificates of a path by their place in the file: ``certificate 2 (...)``."""
    first: dict[str, int] = {}
    for index, cert in enumerate(chain):
        first.setdefault(fingerprint(cert), index)

    def naming(path: Chain) -> tuple[CertName, ...]:
        names = []
        for cert, role in zip(path, path_roles(path)):
            index = first.get(fingerprint(cert))
            if index is None:  # from the trust store: not in the file
                names.append(CertName(describe(role.value, cert), None))
            else:
                names.append(CertName(f"certificate {index} ({subject_text(cert)})", index))
        return tuple(names)

    return naming


def _path_positions(chain: Chain, path: Chain) -> dict[int, int | None]:
    """Map each file index to the path index it stands for (None: not on the path).

    A certificate stands for a path certificate when it is that certificate,
    or the same CA (subject and key) certified differently: a cross-signed
    root served for older clients is on the path.
    """
    by_fp = {fingerprint(c): i for i, c in enumerate(path)}
    by_id = {identity(c): i for i, c in enumerate(path)}
    positions: dict[int, int | None] = {}
    for index, cert in enumerate(chain):
        position = by_fp.get(fingerprint(cert))
        if position is None and index > 0:
            position = by_id.get(identity(cert))
        positions[index] = position
    return positions


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


def _order(chain: Chain, judged: Assessment, on_path: dict[int, int | None]) -> list[Finding]:
    if chain[0] != judged.leaf:
        where = next(i for i, c in enumerate(chain) if c == judged.leaf)
        return [Finding(
            Code.WRONG_ORDER, Severity.ERROR,
            f"The file starts with certificate 0 ({subject_text(chain[0])}), but the leaf "
            f"is certificate {where} ({subject_text(judged.leaf)}): the leaf must come "
            "first, then each issuer.", 0,
        )]
    expected = 0
    # A path certificate that is not in the file (an issuer fetched with
    # --fetch-missing) has no place to stand in: missing-issuer says so.
    in_file = {p for p in on_path.values() if p is not None}
    for index in range(len(chain)):
        position = on_path[index]
        if position is None:
            continue
        if position < expected:
            continue  # a duplicate or a second stand-in, reported elsewhere
        while expected < position and expected not in in_file:
            expected += 1
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
    deployed: tuple[LoadedCert, ...], judged: Assessment, on_path: dict[int, int | None]
) -> list[Finding]:
    if not judged.complete:
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


def _link(chain: Chain, index: int, judged: Assessment) -> bool | None:
    """Whether certificate *index* is signed by the next one (None: the last, or unchecked)."""
    if index + 1 >= len(chain):
        return None
    child, issuer = chain[index], chain[index + 1]
    if issuer_key(child) != subject_key(issuer):
        return False
    if not judged.signatures.affordable(child, issuer):
        return None
    return judged.signatures.problem(child, issuer) is None


def _links(chain: Chain, judged: Assessment) -> list[Finding]:
    """A forged or damaged link between neighbours whose names do match."""
    already = {f.position for f in judged.findings if f.code is Code.BAD_SIGNATURE}
    found = []
    unchecked = 0
    for index in range(len(chain) - 1):
        child, issuer = chain[index], chain[index + 1]
        if issuer_key(child) != subject_key(issuer) or index in already:
            continue
        if child == issuer:
            continue
        if not judged.signatures.affordable(child, issuer):
            unchecked += 1
            continue
        problem = judged.signatures.problem(child, issuer)
        if problem is not None:
            found.append(Finding(
                Code.BAD_SIGNATURE, Severity.ERROR,
                f"Certificate {index} ({subject_text(child)}) is not signed by the key "
                f"of certificate {index + 1} ({subject_text(issuer)}), which has the "
                f"issuer's name ({problem}): the next certificate is a different CA "
                "with the same name; get the matching one.", index,
            ))
    limit = judged.signatures.limit()
    if unchecked and limit is not None:
        found.append(Finding(
            Code.LIMIT_REACHED, Severity.ERROR,
            f"certchain did not check whether {unchecked:,} certificates of the file are "
            f"signed by the certificate after them: it had spent {limit.describe()}; so "
            "many same-named CA certificates is how verifiers are made to hang, so remove "
            "the ones that do not belong.",
        ))
    return found


def _stale_stand_ins(
    chain: Chain, judged: Assessment, on_path: dict[int, int | None], policy: Policy
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
        if position is None or cert == judged.path[position]:
            continue
        if cert.not_valid_after_utc < policy.at:
            found.append(Finding(
                Code.EXPIRED_CROSS_SIGN, Severity.WARNING,
                f"Certificate {index} ({subject_text(cert)}, issued by {issuer_text(cert)}) "
                f"is a cross-signed copy of a CA on the path and expired on "
                f"{cert.not_valid_after_utc:%Y-%m-%d}: clients that still rely on it fail; "
                "remove it from the file.", index,
            ))
    return found


def _role(
    index: int, cert: x509.Certificate, judged: Assessment, on_path: dict[int, int | None]
) -> Role:
    position = on_path[index]
    if position is None:
        if cert == judged.leaf:
            return Role.LEAF
        if judged.complete:
            return Role.EXTRA
        # Beyond a missing issuer nothing is known of the path: say what it is
        # (a self-signature the budget cannot pay for is not claimed).
        return (
            Role.ROOT if judged.signatures.self_signed(cert)
            else Role.INTERMEDIATE if is_ca(cert)
            else Role.EXTRA
        )
    if position == 0:
        return Role.LEAF
    if position == len(judged.path) - 1 and judged.signatures.self_signed(cert):
        return Role.ROOT
    return Role.INTERMEDIATE
