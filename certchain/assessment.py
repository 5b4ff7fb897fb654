"""
The one judgement every command shares.

From a leaf, a pile of candidate certificates, the keys at hand and a
:class:`~certchain.policy.Policy`: search the paths, judge each, choose one,
diagnose the dead ends, match the key, check the hostname and give the strict
verdict.  ``build``, ``verify`` and ``doctor`` are views of this judgement:
each adds only what concerns its own input (a bundle's unused certificates, a
file's order), and names the certificates its own way (a :data:`Naming`).
Pure: nothing is read, printed or timed here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from cryptography import x509

from .certs import (
    Identity,
    ca_issuer_urls,
    identity,
    is_ca,
    is_self_issued,
    is_self_signed,
    path_roles,
)
from .errors import AmbiguousLeaf, LoadError
from .findings import (
    CertName,
    Code,
    Finding,
    Remedy,
    Severity,
    by_severity,
    issuer_text,
    sentence,
    subject_text,
)
from .graph import DeadEnd, Limit, Search, SignatureChecks, build_chains
from .keys import key_matches
from .model import (
    Chain,
    LoadedCert,
    LoadedKey,
    Material,
    Role,
    copies,
    fingerprint,
    serial_number,
)
from .names import NameCheckBudget, all_names, covers_hostname, issuer_key, san_names, subject_key
from .policy import Policy
from .pool import CertPool
from .rawcert import fields_of
from .rules import check_path
from .strict import pedantic_objections, strict_objection

#: How a result names the certificates of a path (leaf first), one name each.
Naming = Callable[[Chain], tuple[CertName, ...]]


def describe(role: str, cert: x509.Certificate) -> str:
    """
    Name a certificate for a message.

    ``the leaf (CN=example.com)``, ``the root (...)``, and for a numbered role
    ``intermediate 1 (CN=R11)``.
    """
    article = "" if role[-1:].isdigit() else "the "
    return f"{article}{role} ({subject_text(cert)})"


def path_naming(chain: Chain) -> tuple[CertName, ...]:
    """Name each certificate by its place in *chain*: the leaf, intermediate 1, the root."""
    return tuple(
        CertName(describe(f"intermediate {i}" if role is Role.INTERMEDIATE else role.value, c), i)
        for i, (c, role) in enumerate(zip(chain, path_roles(chain)))
    )


class Assessment(NamedTuple):
    """The judgement of one leaf: its chosen path and every finding about it."""

    leaf: x509.Certificate
    path: Chain  # leaf first: the chosen path, or the deepest partial one
    names: tuple[CertName, ...]  # how the findings name each certificate of `path`
    complete: bool  # the path ends at a trust anchor
    trusted: bool  # ... and that anchor is in the trust store
    key: LoadedKey | None  # the key that matches the leaf, if one was at hand
    findings: tuple[Finding, ...]  # errors first
    paths: tuple[Chain, ...]  # every complete path found
    explored: frozenset[x509.Certificate]  # every certificate the search reached
    signatures: SignatureChecks  # the links already checked

    @property
    def roles(self) -> tuple[Role, ...]:
        """The role of each certificate of `path`."""
        return path_roles(self.path)


def assess(
    leaf: x509.Certificate,
    candidates: Sequence[x509.Certificate | LoadedCert],
    policy: Policy,
    *,
    keys: Sequence[LoadedKey] = (),
    naming: Naming = path_naming,
    served: bool = False,
) -> Assessment:
    """
    Judge *leaf* with *candidates* as possible issuers, under *policy*.

    Candidates may be given as loaded (:class:`~certchain.model.LoadedCert`),
    so that the search indexes them by the raw names the loader read.

    Self-signed candidates are anchors too: a path may end at one, with an
    ``untrusted-root`` finding (an error when the store was chosen by the
    user).  The key that matches the leaf is looked for among *keys*; when
    none does, that is a ``key-mismatch`` error (no keys: no finding).

    *served* says what the candidates are, for the fixes the messages give:
    a file as a server sends it (``verify``, ``doctor``, ``config``: a
    missing issuer is added to the file, or a private root is given as a
    trust anchor), or else a bundle of inputs (``build``: it is added to the
    inputs).
    """
    store = policy.store
    pool = CertPool(candidates)
    for root in store.roots:
        pool.add(root)
    trusted_ids = {identity(r) for r in store.roots}
    # Self-signed candidates are anchors too, found as the search reaches them.
    # With a fetcher, missing issuers are fetched into the pool (aia.py,
    # imported only then: a run that fetches nothing loads no fetching code).
    fetched = None
    if policy.fetcher is None:
        search = build_chains(leaf, pool, store.roots, self_signed=True)
    else:
        from . import aia

        search, fetched = aia.complete(
            lambda: build_chains(leaf, pool, store.roots, self_signed=True), pool, policy
        )

    budget = NameCheckBudget()  # one for the whole judgement, every path weighed
    judged = [
        (chain, names, _judge(chain, names, policy, trusted_ids, budget))
        for chain in search.chains
        for names in [naming(chain)]
    ]
    if judged:
        path, names, found = min(
            judged, key=lambda item: _preference(item[0], item[2], trusted_ids)
        )
        complete = True
        if search.limit is not None and _unsettled(found, path, trusted_ids):
            found = [*found, _cut_short(search.limit, len(judged), served)]
    else:
        dead = _deepest(search, leaf)
        path, names = dead.path, naming(dead.path)
        found = [
            *check_path(path, policy, names, budget),
            _missing_link(dead, names[-1], policy, served, search.limit),
        ]
        complete = False
    found = _no_leaf(found, leaf, names[0], served)
    if fetched is not None:
        found += fetched.findings(path, names, served)
    trusted = complete and identity(path[-1]) in trusted_ids
    found += _issuer_expiry(path, names)
    if policy.hostname is not None and not covers_hostname(leaf, policy.hostname):
        found.append(_hostname_mismatch(leaf, names[0], policy.hostname))
    key = next((k for k in keys if key_matches(k.key, leaf)), None)
    if keys and key is None:
        found.append(_key_mismatch(keys, names[0]))
    if complete and not any(f.severity is Severity.ERROR for f in found):
        found += _strict_findings(path, names, policy)
    return Assessment(
        leaf=leaf, path=path, names=names, complete=complete, trusted=trusted, key=key,
        findings=by_severity(found), paths=search.chains, explored=search.reached,
        signatures=search.signatures,
    )


def above_anchor(
    judged: Assessment, unused: Sequence[x509.Certificate | LoadedCert]
) -> set[x509.Certificate]:
    """
    Return the certificates among *unused* that issued the anchor, or its issuer...

    With an intermediate given as the trust anchor (``--trust int.crt``), its
    root among the inputs is not unrelated to the leaf: the chain simply
    ends below it.  The signatures are checked from the judgement's budget.
    """
    above: set[x509.Certificate] = set()
    if not judged.complete:
        return above
    checks = judged.signatures  # the judgement's budget: what it cannot pay for stays unknown
    current = judged.path[-1]
    if checks.self_signed(current) is not False:
        return above
    pool = CertPool(unused)  # indexed only when the anchor has an issuer to look for
    while checks.self_signed(current) is False:
        issuer = next(
            (c for c in pool.named(current)
             if c not in above
             and checks.affordable(current, c) and checks.problem(current, c) is None),
            None,
        )
        if issuer is None:
            break
        above.add(issuer)
        current = issuer
    return above


# ------------------------------------------------------------------ the leaf


def pick_leaf(host: Material) -> x509.Certificate:
    """
    Return the end-entity certificate of a host file.

    With one certificate, that one.  With several (a "fullchain" file in any
    order), the one no other certificate in the file names as its issuer,
    preferring a certificate that is not a CA.

    Raises:
        LoadError: the file holds no certificate.
        AmbiguousLeaf: more than one certificate qualifies.
    """
    certs = copies([c.cert for c in host.certs], lambda cert: cert)[0]
    if not certs:
        path = host.keys[0].source.path if host.keys else None
        raise LoadError(
            path,
            "holds no certificate: the first input must be the host certificate.",
        )
    if len(certs) == 1:
        return certs[0]
    # Names compared by their bytes first; only when that finds no single
    # leaf, once normalised (a name may be encoded two ways).
    for key in (_raw_name, _normal_name):
        issuers = {key(c, "issuer") for c in certs if not is_self_issued(c)}
        tips = [c for c in certs if key(c, "subject") not in issuers]
        end_entities = [c for c in tips if not is_ca(c)] or tips
        if len(end_entities) == 1:
            return end_entities[0]
    raise AmbiguousLeaf(
        host.certs[0].source.path,
        f"holds {len(certs)} certificates but no single host certificate among "
        f"them ({_candidates(end_entities)}",
    )


def _raw_name(cert: x509.Certificate, field: str) -> object:
    raw = fields_of(cert)
    return raw.subject if field == "subject" else raw.issuer


def _normal_name(cert: x509.Certificate, field: str) -> object:
    return subject_key(cert) if field == "subject" else issuer_key(cert)


def _candidates(end_entities: list[x509.Certificate]) -> str:
    """The ambiguous leaves, told apart by serial and expiry, and which one to keep."""
    if not end_entities:
        return "candidates: none): pass the host certificate's own file first."
    listed = "; ".join(
        f"{subject_text(c)}, serial {serial_number(c):x}, expires "
        f"{c.not_valid_after_utc:%Y-%m-%d}" for c in end_entities
    )
    if len({subject_key(c) for c in end_entities}) > 1:
        return f"candidates: {listed}): pass the host certificate's own file first."
    # The same host certified several times (a renewal pasted next to the old
    # certificate): the one issued last is the one to keep.
    newest = max(end_entities, key=lambda c: (c.not_valid_before_utc, c.not_valid_after_utc))
    return (
        f"candidates: {listed}): the most recent is serial {serial_number(newest):x} "
        f"(issued {newest.not_valid_before_utc:%Y-%m-%d}); keep only it in the file, "
        "or pass its own file first."
    )


def deployed_leaf(material: Material) -> x509.Certificate:
    """
    Return the leaf of a deployed file: its end-entity certificate, else the first.

    A file of CA certificates with no end entity (a chain file) is judged
    from its first certificate, as a server would send it.
    """
    try:
        leaf = pick_leaf(material)
    except AmbiguousLeaf:
        return material.certs[0].cert
    first = material.certs[0].cert
    return first if is_ca(leaf) and leaf != first and is_ca(first) else leaf


# ------------------------------------------------------------------ judging


def _judge(
    chain: Chain, names: tuple[CertName, ...], policy: Policy,
    trusted_ids: set[Identity], budget: NameCheckBudget,
) -> list[Finding]:
    found = check_path(chain, policy, names, budget)
    limit = policy.max_intermediates
    if limit is not None:
        # Counted as cryptography's max_chain_depth and RFC 5280 6.1 count
        # them: not the leaf, not the anchor, not self-issued certificates.
        count = sum(1 for c in chain[1:-1] if not is_self_issued(c))
        if count > limit:
            found.append(Finding(
                Code.CHAIN_TOO_LONG, Severity.ERROR,
                f"The path has {count} intermediates, more than the {limit} "
                "allowed: use a shorter path.",
            ))
    if identity(chain[-1]) not in trusted_ids:
        found.append(_untrusted(chain, names[-1], policy))
    return found


def _untrusted(chain: Chain, name: CertName, policy: Policy) -> Finding:
    store = policy.store
    if store.explicit:
        return Finding(
            Code.UNTRUSTED_ROOT, Severity.ERROR,
            f"The chain ends at {name}, which is not among the trust anchors given "
            f"({store.origin}): give the right root as a trust anchor.",
            name.position, Remedy.TRUST_ROOT,
        )
    return Finding(
        Code.UNTRUSTED_ROOT, Severity.WARNING,
        f"The chain ends at {name}, which is not in the trust store "
        f"({store.origin}): fine for a private CA whose root your clients "
        "trust, otherwise browsers will refuse it.", name.position,
    )


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


def _issuer_expiry(path: Chain, names: tuple[CertName, ...]) -> list[Finding]:
    found = []
    for (child, child_name), (issuer, issuer_name) in itertools.pairwise(zip(path, names)):
        if issuer.not_valid_after_utc < child.not_valid_after_utc:
            found.append(Finding(
                Code.ISSUER_EXPIRES_FIRST, Severity.WARNING,
                f"{sentence(issuer_name.text)} expires on "
                f"{issuer.not_valid_after_utc:%Y-%m-%d}, before {child_name} "
                f"({child.not_valid_after_utc:%Y-%m-%d}) that it issued: the chain "
                "stops working then; plan the renewal.", issuer_name.position,
            ))
    return found


def _strict_findings(path: Chain, names: tuple[CertName, ...], policy: Policy) -> list[Finding]:
    """The strict web-PKI verdict: cryptography's, then the rules it leaves out."""
    severity = Severity.ERROR if policy.strict else Severity.WARNING
    found = []
    objection = strict_objection(path, policy.at, policy.hostname)
    if objection is not None:
        text, position = _named_in(objection, path, names)
        found.append(Finding(
            Code.STRICT_POLICY, severity,
            f"cryptography's web-PKI verifier rejects the chain: {text}.", position,
        ))
    for index, reason in pedantic_objections(path):
        found.append(Finding(
            Code.STRICT_POLICY, severity,
            f"{sentence(names[index].text)} breaks a web-PKI rule: {reason}.",
            names[index].position,
        ))
    return found


# cryptography's verification errors show a certificate as its repr:
# "<Certificate(subject=<Name(CN=hub.example.org)>, ...)>".
_CERT_REPR = re.compile(r"<Certificate\(subject=<Name\((.*?)\)>, \.\.\.\)>")
# ... and an algorithm as its Rust debug form: "AlgorithmIdentifier { oid:
# DefinedByMarker(PhantomData<...>), params: RsaWithSha1(Some(())) }"; the
# parameters' variant names the algorithm.
_ALGORITHM_DEBUG = re.compile(r"AlgorithmIdentifier \{ oid: .*?, params: (\w+)[^}]*\}")


def _named_in(
    text: str, path: Chain, names: tuple[CertName, ...]
) -> tuple[str, int | None]:
    """
    Return *text* with each certificate repr replaced by the name messages use.

    Also the position of the one certificate named, if exactly one is.  A
    repr shared by two certificates of the path (the same subject) is named
    by its subject only.
    """
    shown: dict[str, list[CertName]] = {}
    for cert, name in zip(path, names):
        shown.setdefault(repr(cert), []).append(name)
    named = []
    for form, owners in shown.items():
        if form in text and len(owners) == 1:
            text = text.replace(form, owners[0].text)
            named.append(owners[0])
    text, others = _CERT_REPR.subn(lambda m: f"the certificate {m.group(1)}", text)
    text = _ALGORITHM_DEBUG.sub(r"\1", text)
    position = named[0].position if len(named) == 1 and not others else None
    return text, position


# ------------------------------------------------------------------ dead ends


def _deepest(search: Search, leaf: x509.Certificate) -> DeadEnd:
    """
    The longest partial path; the first found among equals.

    When a bound cut the search short, the longest of those it cut, if any:
    that is where the issuer may have been left unchecked.
    """
    dead_ends = search.dead_ends
    if search.limit is not None:
        dead_ends = tuple(d for d in dead_ends if d.unchecked) or dead_ends
    if not dead_ends:
        return DeadEnd((leaf,), ())
    return max(dead_ends, key=lambda d: len(d.path))  # max keeps the first


def _unsettled(found: list[Finding], path: Chain, trusted_ids: set[Identity]) -> bool:
    """
    Whether another path could be better than the one chosen.

    It could when the chosen one is not trusted, or has an error that is not
    the leaf's own (every path shares the leaf).
    """
    return identity(path[-1]) not in trusted_ids or any(
        f.severity is Severity.ERROR and f.position != 0 for f in found
    )


def _cut_short(limit: Limit, paths: int, served: bool) -> Finding:
    inputs = "the file" if served else "the inputs"
    return Finding(
        Code.LIMIT_REACHED, Severity.ERROR,
        f"certchain stopped the path search at {limit.describe()}, after finding "
        f"{paths} {'path' if paths == 1 else 'paths'}, the best of which has problems: a "
        f"better path through {inputs} may have been left unexamined; so many same-named, "
        "re-issued or cross-signed CA certificates is how path building is made to hang, "
        f"so leave the ones that do not belong out of {inputs}.",
    )


def _missing_link(
    dead: DeadEnd, name: CertName, policy: Policy, served: bool, limit: Limit | None
) -> Finding:
    chain = dead.path
    cert = chain[-1]
    inputs = "the file" if served else "the inputs"
    if limit is not None:
        # Never "missing" nor "not signed" nor "too long": the search did not finish.
        unchecked = dead.unchecked
        left = (
            f" ({unchecked:,} {'certificate' if unchecked == 1 else 'certificates'} named "
            f"{issuer_text(cert)} left unchecked)" if unchecked else ""
        )
        return Finding(
            Code.LIMIT_REACHED, Severity.ERROR,
            f"certchain stopped the path search at {limit.describe()} before it could link "
            f"{name} to a trust anchor{left}: the chain is refused because it cannot be "
            "judged within bounds; so many same-named, re-issued or cross-signed CA "
            "certificates is how path building is made to hang, so leave the ones that do "
            f"not belong out of {inputs}.", name.position,
        )
    if dead.too_long:
        return Finding(
            Code.CHAIN_TOO_LONG, Severity.ERROR,
            f"The path from the leaf is still not at a trust anchor after {len(chain)} "
            f"certificates (at {name}): clients give up on such chains; check for "
            "cross-signs that loop through many CAs and leave the extra ones out.",
            name.position,
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
            f"{sentence(name.text)} names {issuer_text(cert)} as its issuer, but no "
            f"certificate of that name signed it ({reasons}): the issuer given is a "
            "different CA with the same name, or the certificate is damaged; get the "
            "matching intermediate from your certificate authority.", name.position,
        )
    urls = ca_issuer_urls(cert)
    where = f"download it from {urls[0]}" if urls else "get it from your certificate authority"
    fetch = None
    if policy.fetcher is None:
        from .aia import fetchable

        fetch = Remedy.FETCH_MISSING if fetchable(cert) else None
    if not served:
        return Finding(
            Code.MISSING_ISSUER, Severity.ERROR,
            f"No issuer found for {name}: its issuer {issuer_text(cert)} is neither "
            f"among the inputs nor in the trust store ({policy.store.origin}); "
            f"{where} and add it to the inputs.", name.position, fetch,
        )
    # A served file has no "inputs" to add to: an intermediate belongs in the
    # file; a private CA's root (what `build --no-root` leaves out) is given
    # to the verifier as a trust anchor instead.
    return Finding(
        Code.MISSING_ISSUER, Severity.ERROR,
        f"No issuer found for {name}: its issuer {issuer_text(cert)} is neither in "
        f"the file nor in the trust store ({policy.store.origin}); if it is an "
        f"intermediate, {where} and add it to the file after {name}; if it is the "
        "root of a private CA, give that root as a trust anchor.",
        name.position, fetch or Remedy.TRUST_ROOT,
    )


def _no_leaf(
    found: list[Finding], leaf: x509.Certificate, name: CertName, served: bool
) -> list[Finding]:
    """
    Say ``no-leaf`` where the "leaf" is a CA certificate that is no host certificate.

    A file of CA certificates only (``verify int.crt``) is judged from its
    first one.  When that CA certificate's keyUsage allows no TLS use, the
    ``key-usage`` error is true but its fix (a new certificate from the CA)
    is not: the host certificate is missing, so ``no-leaf`` replaces it.  An
    intermediate that names no host (no DNS or IP subjectAltName) is no host
    certificate either, even when its keyUsage would allow TLS.  A CA
    certificate that names a host and may serve TLS stays a leaf, as OpenSSL
    serves it (strict mode refuses it); so does a self-signed one, which is
    what ``openssl req -x509`` makes for a host by default.
    """
    if not is_ca(leaf):
        return found
    refused = [f for f in found if f.code is Code.KEY_USAGE and f.position == name.position]
    if refused:
        what = "whose keyUsage allows no TLS server use"
    elif is_self_signed(leaf) or any(
        isinstance(n, (x509.DNSName, x509.IPAddress)) for n in san_names(leaf)
    ):
        return found
    else:
        what = "that names no host (no DNS or IP subjectAltName)"
    fix = (
        "a server sends its own certificate first; give the file that starts with "
        "the host certificate" if served
        else "give the host certificate's file first"
    )
    where = "the file" if served else "the host file"
    return [f for f in found if f not in refused] + [Finding(
        Code.NO_LEAF, Severity.ERROR,
        f"{sentence(name.text)} is a CA certificate {what}, and {where} holds no host "
        f"certificate: {fix}.", name.position,
    )]


# ------------------------------------------------------------- name and key


def _hostname_mismatch(leaf: x509.Certificate, name: CertName, hostname: str) -> Finding:
    covered = ", ".join(all_names(san_names(leaf))) or "no subjectAltName at all"
    return Finding(
        Code.HOSTNAME_MISMATCH, Severity.ERROR,
        f"{sentence(name.text)} does not cover {hostname} (it covers: {covered}): "
        "use the certificate issued for this host, or check the name asked for.",
        name.position, Remedy.FIX_HOSTNAME,
    )


def _key_mismatch(keys: Sequence[LoadedKey], name: CertName) -> Finding:
    where = ", ".join(sorted({str(k.source) for k in keys}))
    return Finding(
        Code.KEY_MISMATCH, Severity.ERROR,
        f"The private key given ({where}) does not belong to {name}: find the key "
        "generated with this certificate's request, or re-issue the certificate.",
        name.position,
    )
