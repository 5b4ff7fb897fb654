"""
Missing issuers fetched from their caIssuers URLs, where the path search stops.

When no path reaches a trust anchor and the policy has a fetcher
(``--fetch-missing``), each dead end's certificate is asked where its issuer
is (Authority Information Access, caIssuers: RFC 5280 4.2.2.1); what that
URL serves (DER, PEM or PKCS#7) is read, and a certificate of it is added to
the candidates only when its signature proves that it issued the
certificate that named the URL (or, in a PKCS#7 bundle, another certificate
so proven).  Then the search runs again, up the chain, until a path is
complete, nothing new is found, or a limit is reached.  Everything that was
fetched, or failed to be, is a finding: ``fetched-issuer`` (info) or
``fetch-failed`` (warning); nothing fetched is a silent candidate.

Browsers do this (and cache what they fetched), which is why a server that
sends its leaf alone looks fine in a browser; OpenSSL, Python, curl, Java
and most API clients do not, so a served file still needs the issuer in it:
a fetched issuer on the path of a served file is a ``missing-issuer`` error.

Pure but for the fetcher the policy hands in; no fetcher, no network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509

from .certs import ca_issuer_urls
from .fetch import Fetcher, FetchError, FetchProblem, certificates, is_http
from .findings import (
    CertName,
    Code,
    Download,
    Finding,
    Severity,
    issuer_text,
    sentence,
    subject_text,
)
from .graph import DeadEnd, Search, SignatureChecks
from .model import Chain, fingerprint
from .names import issuer_key, subject_key
from .policy import Policy
from .pool import CertPool

#: The most caIssuers URLs tried for one leaf (the fetcher has its own limit
#: of downloads per run; this bounds the work of URLs answered from its cache).
MAX_URLS = 16


@dataclass(frozen=True, slots=True)
class Attempt:
    """One caIssuers URL tried: what it gave, or why it gave nothing."""

    url: str
    child: x509.Certificate  # the certificate that names the URL
    issuers: tuple[x509.Certificate, ...] = ()  # proven by their signatures, in the candidates
    cached: bool = False  # what it served came from the fetcher's cache
    note: str | None = None  # why it could not be cached
    ignored: int = 0  # certificates it served that issued none of these
    problem: FetchProblem | None = None
    detail: str = ""  # the problem in words


@dataclass(frozen=True, slots=True)
class Fetches:
    """Every URL tried for one judgement."""

    attempts: tuple[Attempt, ...] = ()

    def findings(
        self, path: Chain, names: tuple[CertName, ...], served: bool
    ) -> list[Finding]:
        """
        Report each attempt, naming certificates as the chosen *path* does.

        For a *served* file, each fetched certificate the path goes through
        (not the anchor at its end) is also a ``missing-issuer`` error: the
        file lacks it, and clients that do not fetch fail.
        """
        found: list[Finding] = []
        on_path = {fingerprint(c): i for i, c in enumerate(path)}
        for attempt in self.attempts:
            if attempt.problem is not None:
                found.append(_failed(attempt, path, names, on_path, served))
                continue
            for number, issuer in enumerate(attempt.issuers):
                found.append(_fetched(attempt, number, issuer, names, on_path))
                index = on_path.get(fingerprint(issuer))
                if served and index is not None and 0 < index < len(path) - 1:
                    found.append(_not_served(attempt, index, names))
        return found


def fetchable(cert: x509.Certificate) -> bool:
    """Whether *cert* names an http(s) URL where its issuer can be fetched."""
    return any(is_http(url) for url in ca_issuer_urls(cert))


def complete(
    search: Callable[[], Search], pool: CertPool, policy: Policy
) -> tuple[Search, Fetches]:
    """
    Run *search*; while it finds no path, fetch missing issuers into *pool* and run it again.

    Without ``policy.fetcher``, this is *search* alone.  A search cut short
    by its own bounds is not extended: it did not finish looking.
    """
    found = search()
    fetcher = policy.fetcher
    if fetcher is None:
        return found, Fetches()
    attempts: list[Attempt] = []
    tried: set[str] = set()
    checks = SignatureChecks()  # the budget of the proofs, as the search has its own
    while not found.chains and found.limit is None:
        if not _fetch_round(found.dead_ends, fetcher, pool, tried, attempts, checks):
            break
        found = search()
    return found, Fetches(tuple(attempts))


def _fetch_round(
    dead_ends: Sequence[DeadEnd], fetcher: Fetcher, pool: CertPool, tried: set[str],
    attempts: list[Attempt], checks: SignatureChecks,
) -> bool:
    """Fetch the issuer of the deepest dead end that has one to fetch; whether one was added."""
    ends = sorted(
        (d for d in dead_ends if not d.too_long and not d.unchecked),
        key=lambda d: -len(d.path),
    )
    for dead in ends:
        child = dead.path[-1]
        # http(s) first: an ldap: URL beside them (Active Directory's) is
        # reported only when the http ones gave nothing.
        urls = sorted(ca_issuer_urls(child), key=lambda u: not is_http(u))
        for url in urls:
            if url in tried:
                continue
            if len(tried) >= MAX_URLS:
                attempts.append(Attempt(
                    url, child, problem=FetchProblem.LIMIT_REACHED,
                    detail=f"certchain tries at most {MAX_URLS} caIssuers URLs for one leaf",
                ))
                return False
            tried.add(url)
            attempt = _attempt(fetcher, url, child, checks)
            attempts.append(attempt)
            if attempt.problem is FetchProblem.LIMIT_REACHED:
                return False  # every other URL would say the same
            new = [c for c in attempt.issuers if c not in pool]
            for cert in new:
                pool.add(cert)
            if new:
                return True
    return False


def _attempt(
    fetcher: Fetcher, url: str, child: x509.Certificate, checks: SignatureChecks
) -> Attempt:
    if not is_http(url):
        return Attempt(
            url, child, problem=FetchProblem.BAD_URL,
            detail="certchain fetches only http and https URLs",
        )
    try:
        got = fetcher.fetch(url)
    except FetchError as exc:
        return Attempt(url, child, problem=exc.problem, detail=exc.detail)
    try:
        served = certificates(got.data)
    except FetchError as exc:
        return Attempt(url, child, cached=got.cached, problem=exc.problem, detail=exc.detail)
    unique = list({fingerprint(c): c for c in served if c != child}.values())
    proven = _proven(child, unique, checks)
    if not proven:
        shown = ", ".join(subject_text(c) for c in unique[:3]) or subject_text(child)
        more = f" and {len(unique) - 3} more" if len(unique) > 3 else ""
        return Attempt(
            url, child, cached=got.cached, problem=FetchProblem.WRONG_ISSUER,
            detail=(
                f"what it serves ({shown}{more}) is not the issuer: no certificate there is "
                f"named {issuer_text(child)} and signed it"
            ),
        )
    return Attempt(
        url, child, tuple(proven), got.cached, got.note, ignored=len(unique) - len(proven)
    )


def _proven(
    child: x509.Certificate, served: list[x509.Certificate], checks: SignatureChecks
) -> list[x509.Certificate]:
    """The certificates of *served* that issued *child*, or one of them, by signature."""
    proven: list[x509.Certificate] = []
    left = list(served)
    waiting = [child]
    while waiting:
        current = waiting.pop()
        for cert in list(left):
            if subject_key(cert) != issuer_key(current):
                continue
            if not checks.affordable(current, cert) or checks.problem(current, cert) is not None:
                continue
            proven.append(cert)
            left.remove(cert)
            waiting.append(cert)
    return proven


# ------------------------------------------------------------------ findings


def _named(
    cert: x509.Certificate, names: tuple[CertName, ...], on_path: dict[str, int]
) -> tuple[str, int | None]:
    """How the findings name *cert*: as the path does, else by its subject."""
    index = on_path.get(fingerprint(cert))
    if index is None:
        return f"the certificate {subject_text(cert)}", None
    return names[index].text, names[index].position


def _fetched(
    attempt: Attempt, number: int, issuer: x509.Certificate, names: tuple[CertName, ...],
    on_path: dict[str, int],
) -> Finding:
    """The ``fetched-issuer`` finding of the *number*-th issuer an attempt gave."""
    name, position = _named(issuer, names, on_path)
    child, _ = _named(attempt.child, names, on_path)
    how = "read from the cache, as downloaded from" if attempt.cached else "downloaded from"
    text = (
        f"{sentence(name)} was {how} {attempt.url}, the caIssuers URL of {child}; its "
        "signature proves the link"
    )
    text += "." if fingerprint(issuer) in on_path else (
        ", but the chosen path does not go through it."
    )
    if attempt.ignored and number == 0:
        text += (
            f" {attempt.ignored} other {'certificate' if attempt.ignored == 1 else 'certificates'}"
            " served there issued none of these and were not used."
        )
    if attempt.note and number == 0:
        text += f" It could not be cached: {attempt.note}."
    return Finding(
        Code.FETCHED_ISSUER, Severity.INFO, text, position,
        download=Download(attempt.url, attempt.cached),
    )


def _failed(
    attempt: Attempt, path: Chain, names: tuple[CertName, ...], on_path: dict[str, int],
    served: bool,
) -> Finding:
    child, position = _named(attempt.child, names, on_path)
    index = on_path.get(fingerprint(attempt.child))
    if index is not None and index < len(path) - 1:
        fix = "its issuer was found another way."
    else:
        where = "the file after it" if served else "the inputs"
        fix = f"download the issuer yourself and add it to {where}."
    assert attempt.problem is not None
    return Finding(
        Code.FETCH_FAILED, Severity.WARNING,
        f"The issuer of {child} could not be fetched from {attempt.url}: {attempt.detail}; "
        f"{fix}", position,
        download=Download(attempt.url, attempt.cached, attempt.problem.value),
    )


def _not_served(attempt: Attempt, index: int, names: tuple[CertName, ...]) -> Finding:
    child, issuer = names[index - 1], names[index]
    return Finding(
        Code.MISSING_ISSUER, Severity.ERROR,
        f"{sentence(issuer.text)}, the issuer of {child}, is not in the file: certchain "
        f"fetched it from {attempt.url} to judge the rest of the path, but clients that do "
        "not fetch issuers (OpenSSL, Python, curl, Java, most API clients) fail; add it "
        f"to the file after {child}.", child.position,
        download=Download(attempt.url, attempt.cached),
    )
