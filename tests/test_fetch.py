"""
The default fetcher (``UrllibFetcher``) and the cache of fetched issuers, on 127.0.0.1.

Every limit the issue sets is shown: http(s) only, the timeout, the size
cap, three redirects and only to http(s), ten downloads per run; and the
cache: keyed by URL, atomic, offline on a second run, a damaged entry
fetched again, never an error.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from aiakit import AiaServer, aia_server, der, fetch_env, p7c, pem
from cryptography.hazmat.primitives.serialization import Encoding
from pki import PKI, Hierarchy

from certchain.cache import IssuerCache, cache_folder
from certchain.fetch import (
    MAX_BYTES,
    FetchError,
    FetchProblem,
    certificates,
    is_http,
)
from certchain.fetcher import UrllibFetcher

__all__ = ["aia_server", "fetch_env"]  # fixtures


def problem_of(fetcher: UrllibFetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(url)
    return caught.value


class TestFormats:
    @pytest.mark.parametrize("form", ["der", "pem", "p7c-der", "p7c-pem"])
    def test_each_form_is_read(self, aia_server: AiaServer, chain3: Hierarchy, form: str) -> None:
        """DER, PEM and PKCS#7 (DER and PEM) come back as served, and read as certificates."""
        inter = chain3.intermediate.cert
        body = {
            "der": der(inter), "pem": pem(inter), "p7c-der": p7c(inter),
            "p7c-pem": p7c(inter, encoding=Encoding.PEM),
        }[form]
        got = UrllibFetcher().fetch(aia_server.serve("/int", body))
        assert body == got.data
        assert not got.cached
        assert (inter,) == certificates(got.data)

    def test_every_certificate_of_a_bundle(self, chain3: Hierarchy) -> None:
        """All the certificates of a PKCS#7 bundle are read (a SET OF: in no set order)."""
        bundle = p7c(chain3.intermediate.cert, chain3.root.cert)
        assert {chain3.intermediate.cert, chain3.root.cert} == set(certificates(bundle))

    @pytest.mark.parametrize("body", [b"", b"<html>Not here</html>", b"\x30\x03\x02\x01\x01"])
    def test_not_a_certificate(self, body: bytes) -> None:
        """Anything else is NOT_A_CERTIFICATE, never an exception of another kind."""
        with pytest.raises(FetchError) as caught:
            certificates(body)
        assert FetchProblem.NOT_A_CERTIFICATE is caught.value.problem


class TestLimits:
    @pytest.mark.parametrize("url", [
        "file:///etc/passwd", "ldap://ldap.example.org/cn=CA", "ftp://example.org/ca.crt",
        "http://", "http://exa mple.org/ca.crt", "http://example.org/\nca.crt",
    ])
    def test_only_http_and_https(self, aia_server: AiaServer, url: str) -> None:
        """A URL that is not http(s) with a host is refused before any connection."""
        assert not is_http(url)
        assert FetchProblem.BAD_URL is problem_of(UrllibFetcher(), url).problem
        assert [] == aia_server.hits

    def test_redirects_are_followed(self, aia_server: AiaServer, chain3: Hierarchy) -> None:
        """Three redirects are followed (a relative Location too)."""
        aia_server.serve("/int", der(chain3.intermediate.cert))
        aia_server.serve("/r3", status=302, location="/int")
        aia_server.serve("/r2", status=301, location=aia_server.url("/r3"))
        url = aia_server.serve("/r1", status=307, location="r2")
        assert der(chain3.intermediate.cert) == UrllibFetcher().fetch(url).data
        assert ["/r1", "/r2", "/r3", "/int"] == aia_server.hits

    def test_a_fourth_redirect_is_refused(self, aia_server: AiaServer) -> None:
        """More than three redirects: REDIRECT_REFUSED."""
        for n in range(5):
            aia_server.serve(f"/r{n}", status=302, location=f"/r{n + 1}")
        error = problem_of(UrllibFetcher(), aia_server.url("/r0"))
        assert FetchProblem.REDIRECT_REFUSED is error.problem
        assert "more than 3 times" in error.detail
        assert 4 == len(aia_server.hits)

    @pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "data:,x"])
    def test_a_redirect_elsewhere_is_refused(self, aia_server: AiaServer, target: str) -> None:
        """A redirect to file:, ftp: or data: is refused, and nothing is read from there."""
        url = aia_server.serve("/to-file", status=302, location=target)
        error = problem_of(UrllibFetcher(), url)
        assert FetchProblem.REDIRECT_REFUSED is error.problem
        assert target in error.detail

    @pytest.mark.parametrize("knob", ["trickle", "stall"])
    def test_timeout(self, aia_server: AiaServer, knob: str) -> None:
        """A response that never ends, or never starts, is given up at the timeout."""
        url = aia_server.serve("/slow", **{knob: True})
        start = time.monotonic()
        error = problem_of(UrllibFetcher(timeout=1), url)
        elapsed = time.monotonic() - start
        assert FetchProblem.TIMEOUT is error.problem
        assert "within 1 s" in error.detail
        assert 0.9 < elapsed < 2.5

    @pytest.mark.parametrize("length", [True, False])
    def test_size_cap(self, aia_server: AiaServer, length: bool) -> None:
        """A body over 1 MiB is refused, announced or not."""
        url = aia_server.serve("/huge", b"0" * (MAX_BYTES + 1), length=length)
        error = problem_of(UrllibFetcher(), url)
        assert FetchProblem.TOO_BIG is error.problem
        assert "1 MiB" in error.detail

    def test_exactly_the_cap_is_read(self, aia_server: AiaServer) -> None:
        """A body of exactly the cap is read whole."""
        url = aia_server.serve("/big", b"0" * 1000, length=False)
        assert 1000 == len(UrllibFetcher(max_bytes=1000).fetch(url).data)

    def test_http_error(self, aia_server: AiaServer) -> None:
        """A 404 is HTTP_STATUS, quoting the status."""
        error = problem_of(UrllibFetcher(), aia_server.url("/gone"))
        assert FetchProblem.HTTP_STATUS is error.problem
        assert "HTTP 404" in error.detail

    def test_refused_port(self, aia_server: AiaServer) -> None:
        """A port where nothing listens is CONNECTION."""
        url = aia_server.url("/int")
        aia_server.stop()
        assert FetchProblem.CONNECTION is problem_of(UrllibFetcher(), url).problem

    def test_ten_downloads(self, aia_server: AiaServer) -> None:
        """Past its downloads, the fetcher refuses without connecting; each URL is asked once."""
        fetcher = UrllibFetcher(max_downloads=10)
        for n in range(10):
            assert FetchProblem.HTTP_STATUS is problem_of(fetcher, aia_server.url(f"/{n}")).problem
        problem_of(fetcher, aia_server.url("/0"))  # asked before: answered again, not fetched
        error = problem_of(fetcher, aia_server.url("/10"))
        assert FetchProblem.LIMIT_REACHED is error.problem
        assert "10 downloads" in error.detail
        assert 10 == len(aia_server.hits) == fetcher.downloads

    @pytest.mark.parametrize("value", [0, -1, float("nan")])
    def test_absurd_timeout(self, value: float) -> None:
        """A timeout that is not positive is a ValueError."""
        with pytest.raises(ValueError, match="positive"):
            UrllibFetcher(timeout=value)


class TestCache:
    def test_folder(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """$XDG_CACHE_HOME/certchain, else ~/.cache/certchain (a relative one is ignored)."""
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        xdg = str(tmp_path / "xdg")
        assert tmp_path / "xdg" / "certchain" == cache_folder({"XDG_CACHE_HOME": xdg})
        home_cache = tmp_path / "home" / ".cache" / "certchain"
        assert home_cache == cache_folder({})
        assert home_cache == cache_folder({"XDG_CACHE_HOME": ""})
        assert home_cache == cache_folder({"XDG_CACHE_HOME": "relative/cache"})
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
        assert tmp_path / "xdg" / "certchain" == cache_folder()

    def test_keyed_by_url(self, tmp_path: Path) -> None:
        """An entry is named by the SHA-256 of its URL, and holds the body after a checksum line."""
        cache = IssuerCache(tmp_path)
        assert cache.write("http://ca.example/int.crt", b"body") is None
        digest = hashlib.sha256(b"http://ca.example/int.crt").hexdigest()
        assert [f"aia-{digest}"] == os.listdir(tmp_path)
        assert b"body" == cache.read("http://ca.example/int.crt")
        assert cache.read("http://ca.example/other.crt") is None

    @pytest.mark.parametrize("damage", ["flip", "truncate", "header", "empty", "directory"])
    def test_damaged_entry_is_absent(self, tmp_path: Path, damage: str) -> None:
        """A damaged entry reads as absent, never as an error."""
        cache = IssuerCache(tmp_path)
        cache.write("http://ca.example/int.crt", b"certificate bytes")
        entry = cache.entry("http://ca.example/int.crt")
        data = entry.read_bytes()
        if damage == "flip":
            entry.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        elif damage == "truncate":
            entry.write_bytes(data[:-3])
        elif damage == "header":
            entry.write_bytes(b"garbage\n" + data.partition(b"\n")[2])
        elif damage == "empty":
            entry.write_bytes(b"")
        else:
            entry.unlink()
            entry.mkdir()
        assert cache.read("http://ca.example/int.crt") is None

    def test_unwritable_cache_says_why(self, tmp_path: Path) -> None:
        """A cache folder that cannot be made is a reason, not an exception."""
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        reason = IssuerCache(blocker / "certchain").write("http://ca.example/int.crt", b"x")
        assert reason is not None
        assert "cannot be made" in reason

    def test_offline_second_run(
        self, aia_server: AiaServer, chain3: Hierarchy, tmp_path: Path
    ) -> None:
        """What a URL served is kept, and a second run gets it with the server stopped."""
        url = aia_server.serve("/int", der(chain3.intermediate.cert))
        first = UrllibFetcher(cache=tmp_path).fetch(url)
        aia_server.stop()
        second = UrllibFetcher(cache=tmp_path).fetch(url)
        assert (False, True) == (first.cached, second.cached)
        assert first.data == second.data

    def test_damaged_entry_is_fetched_again(
        self, aia_server: AiaServer, chain3: Hierarchy, tmp_path: Path
    ) -> None:
        """A damaged entry is fetched again and replaced."""
        url = aia_server.serve("/int", der(chain3.intermediate.cert))
        UrllibFetcher(cache=tmp_path).fetch(url)
        entry = IssuerCache(tmp_path).entry(url)
        entry.write_bytes(entry.read_bytes()[:-10])
        again = UrllibFetcher(cache=tmp_path).fetch(url)
        assert not again.cached
        assert 2 == len(aia_server.hits)
        assert der(chain3.intermediate.cert) == IssuerCache(tmp_path).read(url)

    def test_entry_that_is_no_certificate_is_fetched_again(
        self, aia_server: AiaServer, chain3: Hierarchy, tmp_path: Path
    ) -> None:
        """An entry whose checksum holds but which reads as no certificate is fetched again."""
        url = aia_server.serve("/int", der(chain3.intermediate.cert))
        IssuerCache(tmp_path).write(url, b"not a certificate")
        assert not UrllibFetcher(cache=tmp_path).fetch(url).cached
        assert 1 == len(aia_server.hits)

    def test_only_certificates_are_kept(self, aia_server: AiaServer, tmp_path: Path) -> None:
        """A body that is no certificate is returned but not cached."""
        url = aia_server.serve("/page", b"<html>hello</html>")
        folder = tmp_path / "cache"
        assert b"<html>hello</html>" == UrllibFetcher(cache=folder).fetch(url).data
        assert not folder.exists()

    def test_cache_hits_are_not_downloads(
        self, aia_server: AiaServer, pki: PKI, tmp_path: Path
    ) -> None:
        """A fetcher whose downloads are used up still answers from the cache."""
        url = aia_server.serve("/int", der(pki.root().cert))
        UrllibFetcher(cache=tmp_path).fetch(url)
        spent = UrllibFetcher(cache=tmp_path, max_downloads=0)
        assert spent.fetch(url).cached
        assert FetchProblem.LIMIT_REACHED is problem_of(spent, aia_server.url("/x")).problem

    def test_unwritable_cache_is_a_note(
        self, aia_server: AiaServer, chain3: Hierarchy, tmp_path: Path
    ) -> None:
        """A cache that cannot be written: the download still counts, with a note why."""
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        url = aia_server.serve("/int", der(chain3.intermediate.cert))
        got = UrllibFetcher(cache=blocker / "certchain").fetch(url)
        assert der(chain3.intermediate.cert) == got.data
        assert got.note is not None and "cannot be made" in got.note
