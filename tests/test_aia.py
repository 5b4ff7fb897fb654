"""
Missing issuers fetched over AIA, through the library: ``Policy.fetcher`` and the core's loop.

A fetcher is an interface: these tests hand the judgement fetchers of their
own (a dictionary of URLs, one that fails the test if called) and the
default ``UrllibFetcher`` against a server on 127.0.0.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiakit import AiaServer, aia, aia_server, der, fetch_env, p7c, pem
from pki import PKI, T0, Issued

from certchain import (
    Code,
    Finding,
    Material,
    Policy,
    Remedy,
    Severity,
    TrustStore,
    build_chain,
    load_bytes,
    verify_chain,
)
from certchain.aia import MAX_URLS
from certchain.fetch import Fetched, Fetcher, FetchError, FetchProblem
from certchain.fetcher import UrllibFetcher

__all__ = ["aia_server", "fetch_env"]  # fixtures

BASE = "http://ca.example"


@dataclass
class DictFetcher:
    """A fetcher without network: URL -> what it serves, or the FetchError it raises."""

    answers: dict[str, bytes | FetchError] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    cached: bool = False

    def fetch(self, url: str) -> Fetched:
        self.asked.append(url)
        answer = self.answers.get(url)
        if answer is None:
            raise FetchError(FetchProblem.HTTP_STATUS, "the server answers HTTP 404 Not Found")
        if isinstance(answer, FetchError):
            raise answer
        return Fetched(answer, cached=self.cached)


class Forbidden:
    """A fetcher that fails the test if anything asks it."""

    def fetch(self, url: str) -> Fetched:
        raise AssertionError(f"no network was asked for, yet {url} was fetched")


def anchors(*roots: Issued) -> TrustStore:
    return TrustStore(tuple(r.cert for r in roots), "test anchors", explicit=True)


def policy(root: Issued, fetcher: Fetcher | None) -> Policy:
    return Policy(store=anchors(root), at=T0, fetcher=fetcher)


def only(findings: tuple[Finding, ...], code: Code) -> list[Finding]:
    return [f for f in findings if f.code is code]


@dataclass
class Ladder:
    """root -> upper -> lower -> leaf; the leaf names lower's URL, lower names upper's."""

    root: Issued
    upper: Issued
    lower: Issued
    leaf: Issued

    def host(self) -> Material:
        return load_bytes(self.leaf.pem)


def ladder(pki: PKI, base: str = BASE) -> Ladder:
    root = pki.root()
    upper = pki.intermediate(root, "Upper CA")
    lower = pki.intermediate(upper, "Lower CA", aia_url=f"{base}/upper.der")
    leaf = pki.leaf(lower, "hub.example.org", aia_url=f"{base}/lower.der")
    return Ladder(root, upper, lower, leaf)


class TestNoFetcher:
    def test_default_is_no_network(self) -> None:
        """A policy has no fetcher unless one is given."""
        assert Policy(store=anchors(), at=T0).fetcher is None

    def test_missing_issuer_suggests_fetching(self, pki: PKI) -> None:
        """Without a fetcher, missing-issuer names the URL and the FETCH_MISSING remedy."""
        chain = ladder(pki)
        result = build_chain(chain.host(), policy=policy(chain.root, None))
        [missing] = only(result.findings, Code.MISSING_ISSUER)
        assert f"{BASE}/lower.der" in missing.message
        assert Remedy.FETCH_MISSING is missing.remedy

    def test_served_missing_issuer_suggests_fetching(self, pki: PKI) -> None:
        """In a served file too (the trust-anchor advice stays in the words)."""
        chain = ladder(pki)
        report = verify_chain(chain.host(), policy=policy(chain.root, None))
        [missing] = only(report.findings, Code.MISSING_ISSUER)
        assert Remedy.FETCH_MISSING is missing.remedy
        assert "trust anchor" in missing.message

    def test_no_http_url_no_suggestion(self, pki: PKI) -> None:
        """A certificate naming only an ldap: URL gets no suggestion to fetch."""
        root = pki.root()
        inter = pki.intermediate(root)
        leaf = pki.leaf(inter, extra_extensions=aia("ldap://dc.example/CN=CA?cACertificate"))
        result = build_chain(load_bytes(leaf.pem), policy=policy(root, None))
        [missing] = only(result.findings, Code.MISSING_ISSUER)
        assert missing.remedy is None

    def test_complete_chain_never_fetches(self, pki: PKI) -> None:
        """A chain that needs nothing fetched never asks the fetcher."""
        chain = ladder(pki)
        given = load_bytes(chain.lower.pem + chain.upper.pem)
        result = build_chain(chain.host(), given, policy=policy(chain.root, Forbidden()))
        assert result.ok


class TestFetching:
    @pytest.mark.parametrize("form", ["der", "pem", "p7c"])
    def test_two_fetches_up_the_chain(self, pki: PKI, form: str) -> None:
        """The leaf's issuer is fetched, then that issuer's: the chain is complete."""
        chain = ladder(pki)
        encode = {"der": der, "pem": pem, "p7c": p7c}[form]
        fetcher = DictFetcher({
            f"{BASE}/lower.der": encode(chain.lower.cert),
            f"{BASE}/upper.der": encode(chain.upper.cert),
        })
        result = build_chain(chain.host(), policy=policy(chain.root, fetcher))
        assert result.ok, result.findings
        assert (chain.leaf.cert, chain.lower.cert, chain.upper.cert, chain.root.cert) == (
            result.chain
        )
        assert [f"{BASE}/lower.der", f"{BASE}/upper.der"] == fetcher.asked
        fetched = only(result.findings, Code.FETCHED_ISSUER)
        assert [1, 2] == [f.position for f in fetched]
        assert all(f.severity is Severity.INFO for f in fetched)
        assert fetched[0].download is not None
        assert (f"{BASE}/lower.der", False, None) == (
            fetched[0].download.url, fetched[0].download.cached, fetched[0].download.reason
        )
        assert "downloaded from http://ca.example/lower.der" in fetched[0].message

    def test_from_the_cache(self, pki: PKI) -> None:
        """What the fetcher had cached is said to come from the cache."""
        chain = ladder(pki)
        fetcher = DictFetcher({
            f"{BASE}/lower.der": der(chain.lower.cert), f"{BASE}/upper.der": der(chain.upper.cert),
        }, cached=True)
        result = build_chain(chain.host(), policy=policy(chain.root, fetcher))
        fetched = only(result.findings, Code.FETCHED_ISSUER)
        assert all(f.download is not None and f.download.cached for f in fetched)
        assert "read from the cache" in fetched[0].message

    def test_bundle_proves_its_own_chain(self, pki: PKI) -> None:
        """A PKCS#7 bundle's certificates are used when they issued one another; others are not."""
        chain = ladder(pki)
        stranger = pki.root("Stranger Root")
        fetcher = DictFetcher({
            f"{BASE}/lower.der": p7c(chain.lower.cert, chain.upper.cert, stranger.cert),
        })
        result = build_chain(chain.host(), policy=policy(chain.root, fetcher))
        assert result.ok, result.findings
        assert [f"{BASE}/lower.der"] == fetcher.asked  # upper came in the same bundle
        assert stranger.cert not in result.chain
        fetched = only(result.findings, Code.FETCHED_ISSUER)
        assert 2 == len(fetched)
        assert "1 other certificate served there issued none of these" in fetched[0].message

    def test_wrong_issuer_is_never_a_candidate(self, pki: PKI) -> None:
        """A same-named CA with another key is a fetch-failed warning, never in the chain."""
        chain = ladder(pki)
        impostor = pki.intermediate(chain.upper, "Lower CA")  # the name, not the key
        fetcher = DictFetcher({f"{BASE}/lower.der": der(impostor.cert)})
        result = build_chain(chain.host(), policy=policy(chain.root, fetcher))
        assert not result.ok
        assert impostor.cert not in result.chain
        [failed] = only(result.findings, Code.FETCH_FAILED)
        assert Severity.WARNING is failed.severity
        assert failed.download is not None and "wrong-issuer" == failed.download.reason
        assert "is not the issuer" in failed.message
        [missing] = only(result.findings, Code.MISSING_ISSUER)
        assert missing.remedy is None  # fetching was tried: no flag to suggest

    @pytest.mark.parametrize("problem", list(FetchProblem))
    def test_each_problem_is_a_finding(self, pki: PKI, problem: FetchProblem) -> None:
        """Whatever the fetcher raises is a fetch-failed warning with the reason as data."""
        chain = ladder(pki)
        fetcher = DictFetcher({f"{BASE}/lower.der": FetchError(problem, "it went wrong")})
        result = build_chain(chain.host(), policy=policy(chain.root, fetcher))
        [failed] = only(result.findings, Code.FETCH_FAILED)
        assert failed.download is not None and problem.value == failed.download.reason
        assert (
            "The issuer of the leaf (CN=hub.example.org) could not be fetched from "
            "http://ca.example/lower.der: it went wrong; download the issuer yourself and "
            "add it to the inputs." == failed.message
        )
        assert 0 == failed.position
        assert only(result.findings, Code.MISSING_ISSUER)

    def test_not_a_certificate(self, pki: PKI) -> None:
        """A body that holds no certificate is a not-a-certificate warning."""
        chain = ladder(pki)
        fetcher = DictFetcher({f"{BASE}/lower.der": b"<html>moved</html>"})
        result = build_chain(chain.host(), policy=policy(chain.root, fetcher))
        [failed] = only(result.findings, Code.FETCH_FAILED)
        assert failed.download is not None and "not-a-certificate" == failed.download.reason

    def test_second_url_after_a_failure(self, pki: PKI) -> None:
        """A URL that fails is reported; the next one is tried, and the failure says so."""
        root = pki.root()
        inter = pki.intermediate(root)
        leaf = pki.leaf(inter, extra_extensions=aia(f"{BASE}/gone", f"{BASE}/int.der"))
        fetcher = DictFetcher({f"{BASE}/int.der": der(inter.cert)})
        result = build_chain(load_bytes(leaf.pem), policy=policy(root, fetcher))
        assert result.ok
        [failed] = only(result.findings, Code.FETCH_FAILED)
        assert failed.message.endswith("its issuer was found another way.")

    def test_only_http_urls_are_asked(self, pki: PKI) -> None:
        """An ldap: URL is reported as bad-url, after the http one, and never asked."""
        root = pki.root()
        inter = pki.intermediate(root)
        leaf = pki.leaf(inter, extra_extensions=aia("ldap://dc.example/CN=CA", f"{BASE}/int"))
        fetcher = DictFetcher()
        result = build_chain(load_bytes(leaf.pem), policy=policy(root, fetcher))
        assert [f"{BASE}/int"] == fetcher.asked
        reasons = [f.download.reason for f in only(result.findings, Code.FETCH_FAILED)
                   if f.download is not None]
        assert ["http-status", "bad-url"] == reasons

    def test_urls_per_leaf_are_bounded(self, pki: PKI) -> None:
        """A certificate naming many URLs gets MAX_URLS tries and a limit-reached finding."""
        root = pki.root()
        inter = pki.intermediate(root)
        urls = [f"{BASE}/{n}" for n in range(MAX_URLS + 5)]
        leaf = pki.leaf(inter, extra_extensions=aia(*urls))
        fetcher = DictFetcher()
        result = build_chain(load_bytes(leaf.pem), policy=policy(root, fetcher))
        assert urls[:MAX_URLS] == fetcher.asked
        failed = only(result.findings, Code.FETCH_FAILED)
        assert MAX_URLS + 1 == len(failed)
        assert failed[-1].download is not None
        assert "limit-reached" == failed[-1].download.reason

    def test_the_run_limit_stops_the_loop(self, pki: PKI) -> None:
        """Once the fetcher's limit is reached, nothing more is asked."""
        root = pki.root()
        inter = pki.intermediate(root)
        leaf = pki.leaf(inter, extra_extensions=aia(f"{BASE}/a", f"{BASE}/b"))
        limit = FetchError(FetchProblem.LIMIT_REACHED, "10 downloads made")
        fetcher = DictFetcher({f"{BASE}/a": limit})
        result = build_chain(load_bytes(leaf.pem), policy=policy(root, fetcher))
        assert [f"{BASE}/a"] == fetcher.asked
        assert 1 == len(only(result.findings, Code.FETCH_FAILED))

    def test_other_exceptions_propagate(self, pki: PKI) -> None:
        """A fetcher's own bug is not swallowed as a finding."""
        chain = ladder(pki)
        with pytest.raises(AssertionError, match="no network"):
            build_chain(chain.host(), policy=policy(chain.root, Forbidden()))


class TestServed:
    def test_fetched_issuer_is_still_missing_from_the_file(self, pki: PKI) -> None:
        """A served leaf alone: the path is judged whole, and the file still lacks the issuers."""
        chain = ladder(pki)
        fetcher = DictFetcher({
            f"{BASE}/lower.der": der(chain.lower.cert), f"{BASE}/upper.der": der(chain.upper.cert),
        })
        report = verify_chain(chain.host(), policy=policy(chain.root, fetcher))
        assert report.complete
        assert not report.ok
        missing = only(report.findings, Code.MISSING_ISSUER)
        assert 2 == len(missing)
        assert all(f.download is not None for f in missing)
        assert "is not in the file" in missing[0].message
        assert "add it to the file after certificate 0" in missing[0].message
        assert 2 == len(only(report.findings, Code.FETCHED_ISSUER))
        assert report.repairable  # certchain build --fetch-missing writes it

    def test_a_gap_is_no_wrong_order(self, pki: PKI) -> None:
        """Leaf and root served, the intermediate fetched: missing-issuer only, not wrong-order."""
        root = pki.root()
        inter = pki.intermediate(root)
        leaf = pki.leaf(inter, aia_url=f"{BASE}/int.der")
        fetcher = DictFetcher({f"{BASE}/int.der": der(inter.cert)})
        report = verify_chain(load_bytes(leaf.pem + root.pem), policy=policy(root, fetcher))
        errors = [f.code for f in report.findings if f.severity is Severity.ERROR]
        assert [Code.MISSING_ISSUER] == errors
        assert report.repairable

    def test_fetched_root_need_not_be_served(self, pki: PKI) -> None:
        """A fetched self-signed root ends the path; a file needs no root, so no error for it."""
        root = pki.root("Private Root")
        inter = pki.intermediate(root, aia_url=f"{BASE}/root.der")
        leaf = pki.leaf(inter)
        fetcher = DictFetcher({f"{BASE}/root.der": der(root.cert)})
        store = TrustStore((), "an empty store")  # chosen by no one: a private root warns
        report = verify_chain(
            load_bytes(leaf.pem + inter.pem), policy=Policy(store=store, at=T0, fetcher=fetcher)
        )
        assert report.complete
        assert report.ok, report.findings
        assert root.cert == report.path[-1]
        assert {Code.FETCHED_ISSUER, Code.UNTRUSTED_ROOT} <= {f.code for f in report.findings}
        assert not only(report.findings, Code.MISSING_ISSUER)

    def test_unfetched_missing_issuer_is_not_repairable(self, pki: PKI) -> None:
        """A missing issuer that could not be fetched is no repair build can make."""
        chain = ladder(pki)
        report = verify_chain(chain.host(), policy=policy(chain.root, DictFetcher()))
        assert not report.repairable

    def test_served_file_with_its_intermediates_fetches_nothing(self, pki: PKI) -> None:
        """A complete file never asks the fetcher."""
        chain = ladder(pki)
        material = load_bytes(chain.leaf.pem + chain.lower.pem + chain.upper.pem)
        assert verify_chain(material, policy=policy(chain.root, Forbidden())).ok


class TestDefaultFetcher:
    def test_build_over_http_then_offline(
        self, pki: PKI, aia_server: AiaServer, tmp_path: Path
    ) -> None:
        """UrllibFetcher fetches up the chain, and a second run works with the server stopped."""
        chain = ladder(pki, aia_server.base)
        aia_server.serve("/lower.der", der(chain.lower.cert))
        aia_server.serve("/upper.der", pem(chain.upper.cert))
        first = build_chain(
            chain.host(), policy=policy(chain.root, UrllibFetcher(cache=tmp_path))
        )
        assert first.ok
        aia_server.stop()
        second = build_chain(
            chain.host(), policy=policy(chain.root, UrllibFetcher(cache=tmp_path))
        )
        assert second.ok
        assert first.chain == second.chain
        assert all(
            f.download is not None and f.download.cached
            for f in only(second.findings, Code.FETCHED_ISSUER)
        )
