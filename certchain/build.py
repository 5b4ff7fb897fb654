"""
Assemble the chained certificate: pick the leaf, find and choose a path, judge it.

Pure: the inputs are loaded :class:`~certchain.model.Material`, the trust
store and the validation time; the result is data.  Nothing is printed,
read or written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID

from . import extensions
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
from .graph import (
    BUDGET_REASON,
    MAX_SIGNATURE_CHECKS,
    CertPool,
    DeadEnd,
    Identity,
    build_chains,
    identity,
    is_self_issued,
)
from .keys import key_matches
from .model import Chain, LoadedCert, LoadedKey, Material, TrustStore, fingerprint
from .names import covers_hostname, name_key
from .rules import WARN_DAYS, check_path, is_ca, is_self_signed, position_names, roles
from .strict import pedantic_objections, strict_objection

_NOTHING = Material()


@dataclass(frozen=True, slots=True)
class BuildResult:
    """The chosen chain and everything found while building it."""

    chain: Chain  # leaf first: the chosen path, or the longest partial one
    findings: tuple[Finding, ...]  # errors first, then warnings, then info
    complete: bool  # the chain ends at a trust anchor
    trusted: bool  # ... and that anchor is in the trust store
    key: LoadedKey | None  # the private key that matches the leaf, if found
    include_root: bool = True

    @property
    def ok(self) -> bool:
        """True when no finding is an error: the chain can be written."""
        return self.complete and not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def leaf(self) -> x509.Certificate:
        """The host (end-entity) certificate."""
        return self.chain[0]

    @property
    def output_chain(self) -> Chain:
        """What the chained file holds: the chain, less the root with ``--no-root``."""
        if not self.include_root and len(self.chain) > 1 and roles(self.chain)[-1] == "root":
            return self.chain[:-1]
        return self.chain


def build_chain(
    host: Material,
    candidates: Material = _NOTHING,
    *,
    store: TrustStore,
    at: datetime,
    keys: Material | None = None,
    hostname: str | None = None,
    strict: bool = False,
    include_root: bool = True,
    warn_days: int = WARN_DAYS,
    max_intermediates: int | None = None,
) -> BuildResult:
    """
    Order the certificates from the leaf in *host* up to a trust anchor.

    Args:
        host: the host certificate file's content; when it holds several
            certificates, the leaf is the end-entity certificate the others
            issue, and the others join the candidates.
        candidates: every other input; any order, duplicates allowed.
        store: the trust anchors.  With an explicit store (``--trust``) the
            chain must end at one of them; otherwise a self-signed root among
            the inputs is accepted with an ``untrusted-root`` warning.
        at: the validation time (timezone-aware).
        keys: private keys named explicitly (``--key``); when None, the keys
            found in *host* and *candidates* are used.
        hostname: a DNS name or IP address the leaf must cover.
        strict: make cryptography's web-PKI objection an error.
        include_root: whether the output keeps the self-signed root.
        warn_days: the ``expires-soon`` window.
        max_intermediates: refuse paths with more intermediates than this
            (self-issued ones, such as a CA's key rollover, do not count;
            the anchor does not count).  None: only the search's own limit.

    Raises:
        LoadError: *host* holds no certificate.
        AmbiguousLeaf: *host* holds several unrelated end-entity certificates.
        LoadError: *host* holds a CA certificate while *candidates* hold a
            host certificate (the arguments are in the wrong order).
    """
    certs, duplicates = _unique((*host.certs, *candidates.certs))
    leaf = pick_leaf(host)
    _check_order(leaf, host, candidates)
    inputs = [c.cert for c in certs]
    self_signed = [c for c in inputs if is_self_signed(c)]
    pool = CertPool(inputs)
    for root in store.roots:
        pool.add(root)
    trusted_ids = {identity(r) for r in store.roots}
    search = build_chains(leaf, pool, [*store.roots, *self_signed])

    judged = [
        (chain, _judge(chain, at, warn_days, store, trusted_ids, max_intermediates))
        for chain in search.chains
    ]
    found: list[Finding]
    if judged:
        chain, found = min(judged, key=lambda item: _preference(item[0], item[1], trusted_ids))
        complete = True
    else:
        dead = _deepest(search.dead_ends, leaf)
        chain = dead.path
        found = [*check_path(chain, at, warn_days=warn_days), _missing_link(dead, store)]
        complete = False
    trusted = complete and identity(chain[-1]) in trusted_ids

    if hostname is not None and not covers_hostname(leaf, hostname):
        found.append(_hostname_mismatch(leaf, hostname))
    explicit_keys = keys is not None
    key_source = keys if keys is not None else Material.merge([host, candidates])
    key, key_findings = _match_key(leaf, key_source, explicit_keys)
    found.extend(key_findings)
    if complete and not any(f.severity is Severity.ERROR for f in found):
        found.extend(_strict_findings(chain, at, hostname, strict))
    if complete and include_root and len(chain) > 1 and roles(chain)[-1] == "root":
        found.append(Finding(
            Code.ROOT_INCLUDED, Severity.INFO,
            f"{describe('root', chain[-1])} is included at the end, as the JupyterHub "
            "recipe does; clients must already trust it and ignore the copy sent, so "
            "--no-root may leave it out.",
            len(chain) - 1,
        ))
    found.extend(duplicates)
    found.extend(_unused(certs, chain, search.chains, search.dead_ends, complete))
    return BuildResult(tuple(chain), by_severity(found), complete, trusted, key, include_root)


def _strict_findings(
    chain: Chain, at: datetime, hostname: str | None, strict: bool
) -> list[Finding]:
    """The strict web-PKI verdict: cryptography's, then the rules it leaves out."""
    severity = Severity.ERROR if strict else Severity.WARNING
    found = []
    objection = strict_objection(chain, at, hostname)
    if objection is not None:
        found.append(Finding(
            Code.STRICT_POLICY, severity,
            f"cryptography's web-PKI verifier rejects the chain: {objection}.",
        ))
    names = position_names(chain)
    for index, reason in pedantic_objections(chain):
        found.append(Finding(
            Code.STRICT_POLICY, severity,
            f"{describe(names[index], chain[index])} breaks a web-PKI rule: {reason}.",
            index,
        ))
    return found


def pick_leaf(host: Material) -> x509.Certificate:
    """
    Return the end-entity certificate of the host file.

    With one certificate, that one.  With several (a "fullchain" file in any
    order), the one no other certificate in the file names as its issuer,
    preferring a certificate that is not a CA.

    Raises:
        LoadError: the file holds no certificate.
        AmbiguousLeaf: more than one certificate qualifies.
    """
    certs = [c.cert for c in _unique(host.certs)[0]]
    path = host.keys[0].source.path if host.keys else None
    if not certs:
        raise LoadError(
            path,
            "holds no certificate: the first input must be the host certificate.",
        )
    if len(certs) == 1:
        return certs[0]
    issuers = {name_key(c.issuer) for c in certs if not _self_issued(c)}
    tips = [c for c in certs if name_key(c.subject) not in issuers]
    end_entities = [c for c in tips if not is_ca(c)] or tips
    if len(end_entities) == 1:
        return end_entities[0]
    source = host.certs[0].source.path
    subjects = ", ".join(subject_text(c) for c in end_entities) or "none"
    raise AmbiguousLeaf(
        source,
        f"holds {len(certs)} certificates but no single host certificate among "
        f"them (candidates: {subjects}): pass the host certificate's own file first.",
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


def _self_issued(cert: x509.Certificate) -> bool:
    return name_key(cert.subject) == name_key(cert.issuer)


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


def _judge(
    chain: Chain, at: datetime, warn_days: int, store: TrustStore, trusted_ids: set[Identity],
    max_intermediates: int | None,
) -> list[Finding]:
    found = check_path(chain, at, warn_days=warn_days)
    if max_intermediates is not None:
        # Counted as cryptography's max_chain_depth and RFC 5280 6.1 count
        # them: not the leaf, not the anchor, not self-issued certificates.
        count = sum(1 for c in chain[1:-1] if not is_self_issued(c))
        if count > max_intermediates:
            found.append(Finding(
                Code.CHAIN_TOO_LONG, Severity.ERROR,
                f"The path has {count} intermediates, more than the {max_intermediates} "
                "allowed: use a shorter path.", None,
            ))
    if identity(chain[-1]) not in trusted_ids:
        last = len(chain) - 1
        who = describe(position_names(chain)[last], chain[-1])
        if store.explicit:
            found.append(Finding(
                Code.UNTRUSTED_ROOT, Severity.ERROR,
                f"The chain ends at {who}, which is not among the --trust anchors "
                f"({store.origin}): pass the right root with --trust.", last,
            ))
        else:
            found.append(Finding(
                Code.UNTRUSTED_ROOT, Severity.WARNING,
                f"The chain ends at {who}, which is not in the trust store "
                f"({store.origin}): fine for a private CA whose root your clients "
                "trust, otherwise browsers will refuse it.", last,
            ))
    return found


def _preference(
    chain: Chain, found: list[Finding], trusted_ids: set[Identity]
) -> tuple[object, ...]:
    """Sort key: valid first, then trusted, shortest, latest expiry, fingerprint."""
    errors = sum(1 for f in found if f.severity is Severity.ERROR)
    expiries = sorted(c.not_valid_after_utc.timestamp() for c in chain)
    return (
        errors > 0,
        identity(chain[-1]) not in trusted_ids,
        len(chain),
        errors,
        [-t for t in expiries],
        [fingerprint(c) for c in chain],
    )


def _deepest(dead_ends: tuple[DeadEnd, ...], leaf: x509.Certificate) -> DeadEnd:
    if not dead_ends:
        return DeadEnd((leaf,), ())
    return max(dead_ends, key=lambda d: (len(d.path), -dead_ends.index(d)))


def _missing_link(dead: DeadEnd, store: TrustStore) -> Finding:
    chain = dead.path
    index = len(chain) - 1
    cert = chain[index]
    who = describe(position_names(chain)[index], cert)
    if dead.too_long:
        return Finding(
            Code.CHAIN_TOO_LONG, Severity.ERROR,
            f"The path from the leaf is still not at a trust anchor after {len(chain)} "
            f"certificates (at {who}): clients give up on such chains; check for "
            "cross-signs that loop through many CAs and leave the extra ones out.", index,
        )
    if dead.rejected and all(r.reason == BUDGET_REASON for r in dead.rejected):
        return Finding(
            Code.MISSING_ISSUER, Severity.ERROR,
            f"certchain stopped after {MAX_SIGNATURE_CHECKS} signature checks before "
            f"finding the issuer of {who} among {len(dead.rejected)} certificates named "
            f"{issuer_text(cert)}: leave the unrelated copies out of the inputs.", index,
        )
    if dead.rejected:
        reasons = "; ".join(
            f"{subject_text(r.candidate)} ({fingerprint(r.candidate)[:16]}): {r.reason}"
            for r in dead.rejected[:3]
        )
        if len(dead.rejected) > 3:
            reasons += f"; and {len(dead.rejected) - 3} more"
        return Finding(
            Code.BAD_SIGNATURE, Severity.ERROR,
            f"{who} names {issuer_text(cert)} as its issuer, but no certificate of "
            f"that name signed it ({reasons}): the issuer given is a different CA "
            "with the same name, or the certificate is damaged; get the matching "
            "intermediate from your certificate authority.", index,
        )
    urls = _ca_issuers(cert)
    fetch = f"download it from {urls[0]} and add it to the inputs" if urls else (
        "get it from your certificate authority and add it to the inputs"
    )
    return Finding(
        Code.MISSING_ISSUER, Severity.ERROR,
        f"No issuer found for {who}: its issuer {issuer_text(cert)} is neither "
        f"among the inputs nor in the trust store ({store.origin}); {fetch}.", index,
    )


def _ca_issuers(cert: x509.Certificate) -> list[str]:
    aia = extensions.get(cert, x509.AuthorityInformationAccess)
    return [
        str(d.access_location.value)
        for d in aia or []
        if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def _hostname_mismatch(leaf: x509.Certificate, hostname: str) -> Finding:
    from .names import all_names, san_names

    covered = ", ".join(all_names(san_names(leaf))) or "no subjectAltName at all"
    return Finding(
        Code.HOSTNAME_MISMATCH, Severity.ERROR,
        f"{describe('leaf', leaf)} does not cover {hostname} (it covers: {covered}): "
        "use the certificate issued for this host, or fix --hostname.", 0,
    )


def _match_key(
    leaf: x509.Certificate, material: Material, explicit: bool
) -> tuple[LoadedKey | None, list[Finding]]:
    for loaded in material.keys:
        if key_matches(loaded.key, leaf):
            return loaded, []
    if material.keys:
        where = ", ".join(sorted({str(k.source) for k in material.keys}))
        given = "--key" if explicit else "the inputs"
        return None, [Finding(
            Code.KEY_MISMATCH, Severity.ERROR,
            f"The private key in {given} ({where}) does not belong to "
            f"{describe('leaf', leaf)}: find the key generated with this "
            "certificate's request, or re-issue the certificate.", 0,
        )]
    return None, [Finding(
        Code.NO_KEY, Severity.WARNING,
        f"No private key was found, so it is not known whether one matches "
        f"{describe('leaf', leaf)}: pass it with --key.", 0,
    )]


def _unused(
    certs: list[LoadedCert],
    chain: Chain,
    chains: tuple[Chain, ...],
    dead_ends: tuple[DeadEnd, ...],
    complete: bool,
) -> list[Finding]:
    used = {fingerprint(c) for c in chain}
    related = {fingerprint(c) for other in chains for c in other}
    related |= {fingerprint(c) for d in dead_ends for c in d.path}
    chain_names = {name_key(c.subject) for c in chain}
    found = []
    for loaded in certs:
        fp = loaded.sha256
        if fp in used:
            continue
        cert = loaded.cert
        if not complete:
            found.append(Finding(
                Code.UNUSED_CERT, Severity.INFO,
                f"{subject_text(cert)} from {loaded.source} could not be connected "
                "to the leaf; the missing issuer may link it.",
            ))
        elif fp in related or name_key(cert.subject) in chain_names:
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
