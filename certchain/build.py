"""
``build``'s view of the judgement: the inputs as an unordered bundle.

The core (:mod:`certchain.assessment`) picks the path; this view adds what
concerns a pile of files handed over by a CA: the leaf comes from the host
file, copies are merged, certificates left out are named, the root may be
kept or left out, and a missing key is worth a warning.  Pure.
"""

from __future__ import annotations

from cryptography import x509

from .assessment import Assessment, above_anchor, assess, pick_leaf
from .certs import is_ca
from .errors import LoadError
from .findings import (
    SAME_KIND_LIMIT,
    SAME_KIND_SHOWN,
    CertName,
    Code,
    Finding,
    Remedy,
    Severity,
    by_severity,
    sentence,
    subject_text,
)
from .model import LoadedCert, LockedKey, Material, Role, copies
from .policy import Policy
from .rawcert import fields_of
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
    judged = assess(leaf, certs, policy, keys=at_hand.keys)
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
    firsts, repeated = copies(certs, lambda loaded: loaded.cert)
    findings = [
        Finding(
            Code.DUPLICATE_CERT, Severity.INFO,
            f"{subject_text(same[0].cert)} was given {len(same)} times "
            f"({', '.join(str(c.source) for c in same)}); the copies were merged.",
        )
        for same in repeated
    ]
    return firsts, findings


def _unused(certs: list[LoadedCert], judged: Assessment) -> list[Finding]:
    # Certificates are compared only when their signature or subject (cheap
    # byte strings) says they may be the same: a bundle of 100,000 costs
    # dictionary lookups, not 100,000 comparisons.
    used = set(judged.path)
    used_signatures = {c.signature for c in used}
    above = above_anchor(judged, certs) - used
    path_subjects = {fields_of(c).subject for c in judged.path}
    explored_subjects = {fields_of(c).subject for c in judged.explored}
    kinds: dict[str, list[LoadedCert]] = {
        "above": [], "unlinked": [], "alternative": [], "unrelated": [],
    }
    for loaded in certs:
        cert, raw = loaded.cert, loaded.raw
        if cert.signature in used_signatures and cert in used:
            continue
        subject = raw.subject if raw is not None else fields_of(cert).subject
        if above and cert in above:
            kinds["above"].append(loaded)
        elif not judged.complete:
            kinds["unlinked"].append(loaded)
        elif subject in path_subjects or (
            subject in explored_subjects and cert in judged.explored
        ):
            kinds["alternative"].append(loaded)
        else:
            kinds["unrelated"].append(loaded)
    found = []
    for kind, left_out in kinds.items():
        if not left_out:
            continue
        severity, one, many = _LEFT_OUT[kind]
        anchor = subject_text(judged.path[-1])
        # One finding each, up to a screenful; past that one finding that
        # counts them (a bundle of 10,000 CAs gives one warning, not 10,000).
        if len(left_out) <= SAME_KIND_LIMIT:
            found += [
                Finding(Code.UNUSED_CERT, severity, one.format(
                    cert=f"{subject_text(c.cert)} from {c.source}", anchor=anchor,
                ))
                for c in left_out
            ]
        else:
            named = "; ".join(
                f"{subject_text(c.cert)} from {c.source}" for c in left_out[:SAME_KIND_SHOWN]
            )
            found.append(Finding(Code.UNUSED_CERT, severity, many.format(
                count=f"{len(left_out):,}", named=named,
                more=f"{len(left_out) - SAME_KIND_SHOWN:,}", anchor=anchor,
            )))
    return found


#: Why a certificate was left out: severity, the message for one, for many.
_LEFT_OUT: dict[str, tuple[Severity, str, str]] = {
    "above": (
        Severity.INFO,
        "{cert} is above the trust anchor {anchor}, where the chain ends; it is left out.",
        "{count} certificates are above the trust anchor {anchor}, where the chain ends, "
        "and are left out ({named}; and {more} more).",
    ),
    "unlinked": (
        Severity.INFO,
        "{cert} could not be connected to the leaf; the missing issuer may link it.",
        "{count} certificates could not be connected to the leaf ({named}; and {more} "
        "more); the missing issuer may link them.",
    ),
    "alternative": (
        Severity.INFO,
        "{cert} is an alternative path (a cross-sign or an older issue) or shares the name "
        "of a certificate in the chain, and was not chosen; it is left out.",
        "{count} certificates are alternative paths (cross-signs or older issues) or "
        "share the name of a certificate in the chain, and were not chosen ({named}; and "
        "{more} more); they are left out.",
    ),
    "unrelated": (
        Severity.WARNING,
        "{cert} is unrelated to this host certificate and is left out: check that it is "
        "the file you meant to give.",
        "{count} certificates are unrelated to this host certificate and are left out "
        "({named}; and {more} more): check that these are the files you meant to give.",
    ),
}


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
