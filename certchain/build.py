"""
``build``'s view of the judgement: the inputs as an unordered bundle.

The core (:mod:`certchain.assessment`) picks the path; this view adds what
concerns a pile of files handed over by a CA: the leaf comes from the host
file, copies are merged, certificates left out are named, the root may be
kept or left out, and a missing key is worth a warning.  Pure.
"""

from __future__ import annotations

from cryptography import x509

from .assessment import Assessment, assess, pick_leaf
from .certs import is_ca
from .errors import LoadError
from .findings import (
    CertName,
    Code,
    Finding,
    Remedy,
    Severity,
    by_severity,
    sentence,
    subject_text,
)
from .model import LoadedCert, LockedKey, Material, Role, fingerprint
from .names import NameKey, name_key
from .policy import Policy
from .results import BuildResult

_NOTHING = Material()


def build_chain(
    host: Material,
    candidates: Material = _NOTHING,
    *,
    policy: Policy,
    keys: Material | None = None,
    include_root: bool = True,
) -> BuildResult:
    """
    Order the certificates from the leaf in *host* up to a trust anchor.

    Args:
        host: the host certificate file's content; when it holds several
            certificates, the leaf is the end-entity certificate the others
            issue, and the others join the candidates.
        candidates: every other input; any order, duplicates allowed.
        policy: the trust anchors, the time and the rules to judge by.
        keys: the private keys the user named or that were found beside the
            host file (a key left closed, ``keys.locked``, is named in the
            ``no-key`` warning); when None, the keys found in *host* and
            *candidates* are tried.
        include_root: whether the output keeps the self-signed root.

    Raises:
        LoadError: *host* holds no certificate.
        AmbiguousLeaf: *host* holds several unrelated end-entity certificates.
        LoadError: *host* holds a CA certificate while *candidates* hold a
            host certificate (the arguments are in the wrong order).
    """
    certs, duplicates = _unique((*host.certs, *candidates.certs))
    leaf = pick_leaf(host)
    _check_order(leaf, host, candidates)
    at_hand = keys if keys is not None else Material.merge([host, candidates])
    judged = assess(leaf, [c.cert for c in certs], policy, keys=at_hand.keys)
    found = list(judged.findings)
    if not at_hand.keys:
        found.append(_no_key(judged.names[0], next(iter(at_hand.locked), None)))
    roles = judged.roles
    if judged.complete and include_root and len(judged.path) > 1 and roles[-1] is Role.ROOT:
        found.append(Finding(
            Code.ROOT_INCLUDED, Severity.INFO,
            f"{sentence(judged.names[-1].text)} is included at the end, as the JupyterHub "
            "recipe does; clients must already trust it and ignore the copy sent, so it "
            "may be left out.", len(judged.path) - 1, Remedy.LEAVE_OUT_ROOT,
        ))
    found += duplicates
    found += _unused(certs, judged)
    return BuildResult(
        chain=judged.path, roles=roles, findings=by_severity(found),
        complete=judged.complete, trusted=judged.trusted, key=judged.key,
        include_root=include_root,
    )


def _check_order(leaf: x509.Certificate, host: Material, candidates: Material) -> None:
    """Refuse a CA certificate as the host when a host certificate is among the rest."""
    # `certchain build root.crt host.crt` is a mix-up of the argument order:
    # building "a chain" of the root alone would write a useless file and
    # exit 0.  A lone self-signed host certificate with cA=TRUE (what
    # `openssl req -x509` makes by default) stays acceptable.
    if not is_ca(leaf):
        return
    hosts = [c for c in candidates.certs if not is_ca(c.cert)]
    if hosts:
        raise LoadError(
            host.certs[0].source.path,
            f"holds a CA certificate ({subject_text(leaf)}), not a host certificate, "
            f"while {hosts[0].source.path} holds one ({subject_text(hosts[0].cert)}): "
            "give the host certificate's file first.",
        )


def _unique(certs: tuple[LoadedCert, ...]) -> tuple[list[LoadedCert], list[Finding]]:
    seen: dict[str, list[LoadedCert]] = {}
    for loaded in certs:
        seen.setdefault(loaded.sha256, []).append(loaded)
    findings = [
        Finding(
            Code.DUPLICATE_CERT, Severity.INFO,
            f"{subject_text(copies[0].cert)} was given {len(copies)} times "
            f"({', '.join(str(c.source) for c in copies)}); the copies were merged.",
        )
        for copies in seen.values()
        if len(copies) > 1
    ]
    return [copies[0] for copies in seen.values()], findings


def _above_anchor(judged: Assessment, unused: list[x509.Certificate]) -> set[str]:
    """
    The fingerprints of the unused certificates that issued the anchor, or its issuer...

    With an intermediate given as the trust anchor (``--trust int.crt``), its
    root among the inputs is not unrelated to the leaf: the chain simply
    ends below it.
    """
    above: set[str] = set()
    if not judged.complete:
        return above
    checks = judged.signatures  # the judgement's budget: what it cannot pay for stays unknown
    by_subject: dict[NameKey, list[x509.Certificate]] = {}
    for cert in unused:
        by_subject.setdefault(name_key(cert.subject), []).append(cert)
    current = judged.path[-1]
    while checks.self_signed(current) is False:
        issuer = next(
            (c for c in by_subject.get(name_key(current.issuer), ())
             if fingerprint(c) not in above
             and checks.affordable(current, c) and checks.problem(current, c) is None),
            None,
        )
        if issuer is None:
            break
        above.add(fingerprint(issuer))
        current = issuer
    return above


def _unused(certs: list[LoadedCert], judged: Assessment) -> list[Finding]:
    used = {fingerprint(c) for c in judged.path}
    path_names = {name_key(c.subject) for c in judged.path}
    above = _above_anchor(judged, [c.cert for c in certs if c.sha256 not in used])
    found = []
    for loaded in certs:
        if loaded.sha256 in used:
            continue
        cert = loaded.cert
        if fingerprint(cert) in above:
            found.append(Finding(
                Code.UNUSED_CERT, Severity.INFO,
                f"{subject_text(cert)} from {loaded.source} is above the trust anchor "
                f"{subject_text(judged.path[-1])}, where the chain ends; it is left out.",
            ))
        elif not judged.complete:
            found.append(Finding(
                Code.UNUSED_CERT, Severity.INFO,
                f"{subject_text(cert)} from {loaded.source} could not be connected "
                "to the leaf; the missing issuer may link it.",
            ))
        elif loaded.sha256 in judged.explored or name_key(cert.subject) in path_names:
            found.append(Finding(
                Code.UNUSED_CERT, Severity.INFO,
                f"{subject_text(cert)} from {loaded.source} is an alternative "
                "path (a cross-sign or an older issue) that was not chosen; it is "
                "left out.",
            ))
        else:
            found.append(Finding(
                Code.UNUSED_CERT, Severity.WARNING,
                f"{subject_text(cert)} from {loaded.source} is unrelated to "
                "this host certificate and is left out: check that it is the file "
                "you meant to give.",
            ))
    return found


def _no_key(leaf: CertName, locked: LockedKey | None) -> Finding:
    if locked is None:
        return Finding(
            Code.NO_KEY, Severity.WARNING,
            f"No private key was found, so it is not known whether one matches "
            f"{leaf}: give the key.", 0, Remedy.GIVE_KEY,
        )
    why = (
        "the password given does not open it" if locked.wrong_password
        else "it is encrypted and no password was given"
    )
    return Finding(
        Code.NO_KEY, Severity.WARNING,
        f"The key file {locked.source.path} was found beside the host certificate, but {why}, "
        f"so it is not known whether it matches {leaf}: give its password.",
        0, Remedy.GIVE_PASSWORD,
    )
