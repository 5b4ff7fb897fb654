"""
The default fetcher: the standard library's urllib, bounded.

It is bounded as a fetch of a stranger's URL must be: http and https only, a
deadline per request, a size cap, at most three redirects and only to
http(s), and a number of downloads per fetcher (one fetcher per run).  What
it downloaded and could read as certificates is kept in a cache
(:mod:`certchain.cache`), so a second run works offline.  Imported only by a
run that fetches (``--fetch-missing``): urllib and http.client cost the
start-up of every other run.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.error
import urllib.request
from contextlib import suppress
from email.message import Message
from pathlib import Path
from typing import TypeVar
from urllib.parse import urljoin

import certifi

from .cache import IssuerCache
from .fetch import (
    MAX_BYTES,
    MAX_DOWNLOADS,
    MAX_REDIRECTS,
    TIMEOUT,
    Fetched,
    FetchError,
    FetchProblem,
    certificates,
    is_http,
)
from .reading import size_text

_REDIRECTS = {301, 302, 303, 307, 308}

_USER_AGENT = "certchain (AIA caIssuers fetch)"


class UrllibFetcher:
    """
    The default fetcher: the standard library's urllib, bounded.

    Args:
        timeout: seconds one request may take in all, redirects included.
        max_bytes: the most bytes read from one URL.
        max_downloads: the most downloads this fetcher makes (one fetcher
            per run: the CLI makes one per command); past it, every URL not
            in the cache is a ``limit-reached`` problem.
        cache: the folder of the cache (:func:`certchain.cache.cache_folder`),
            or None for none.  Only what reads as certificates is kept.

    HTTPS servers are verified against certifi's bundle; what they serve is
    judged by its signature anyway.  Proxies are taken from the environment,
    as urllib does (``https_proxy``, ``no_proxy``).
    """

    def __init__(
        self, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES,
        max_downloads: int = MAX_DOWNLOADS, cache: Path | None = None,
    ) -> None:
        if not timeout > 0 or max_bytes < 1 or max_downloads < 0:
            raise ValueError("the fetch limits must be positive")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_downloads = max_downloads
        self.cache = IssuerCache(cache) if cache is not None else None
        self.downloads = 0  # made so far
        # Each URL is asked once per run: several files of one run naming the
        # same issuer (or the same dead URL) cost one download (or one timeout).
        self._answers: dict[str, Fetched | FetchError] = {}

    def fetch(self, url: str) -> Fetched:
        """Return what *url* serves, from the cache if it holds it (see :class:`Fetcher`)."""
        earlier = self._answers.get(url)
        if isinstance(earlier, FetchError):
            raise FetchError(earlier.problem, earlier.detail)
        if earlier is not None:
            return earlier
        try:
            answer = self._fetch(url)
        except FetchError as exc:
            self._answers[url] = exc
            raise
        self._answers[url] = answer
        return answer

    def _fetch(self, url: str) -> Fetched:
        if not is_http(url):
            raise FetchError(FetchProblem.BAD_URL, "certchain fetches only http and https URLs")
        if self.cache is not None:
            kept = self.cache.read(url)
            if kept is not None and _readable(kept):  # else damaged: fetched again
                return Fetched(kept, cached=True)
        if self.downloads >= self.max_downloads:
            raise FetchError(
                FetchProblem.LIMIT_REACHED,
                f"certchain had already made {self.max_downloads} downloads, the most in one run",
            )
        self.downloads += 1
        data = _Request(self, url).run()
        note = None
        if self.cache is not None and _readable(data):  # only certificates are kept
            note = self.cache.write(url, data)
        return Fetched(data, note=note)


def _readable(data: bytes) -> bool:
    try:
        certificates(data)
    except FetchError:
        return False
    return True


class _Request:
    """One download: its deadline, the sockets it opened, its redirects."""

    def __init__(self, fetcher: UrllibFetcher, url: str) -> None:
        self.url = url
        self.timeout = fetcher.timeout
        self.max_bytes = fetcher.max_bytes
        self.deadline = time.monotonic() + fetcher.timeout
        self.sockets: list[socket.socket] = []
        context = ssl.create_default_context(cafile=certifi.where())
        self.opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler(),
            _HTTPHandler(self.sockets),
            _HTTPSHandler(self.sockets, context),
            urllib.request.HTTPDefaultErrorHandler(),  # every status not 2xx raises HTTPError
            urllib.request.HTTPErrorProcessor(),
        ):
            self.opener.add_handler(handler)

    def run(self) -> bytes:
        url = self.url
        for hop in range(MAX_REDIRECTS + 1):
            target = self._open(url)
            if isinstance(target, bytes):
                return target
            if hop == MAX_REDIRECTS:
                break
            url = target
        raise FetchError(
            FetchProblem.REDIRECT_REFUSED,
            f"it redirects more than {MAX_REDIRECTS} times (the last time to {url})",
        )

    def _open(self, url: str) -> bytes | str:
        """Return the body *url* serves, or the URL it redirects to."""
        self.sockets.clear()  # a redirect's connection is closed
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        try:
            with self.opener.open(request, timeout=self._left()) as response:
                return self._read(response)
        except urllib.error.HTTPError as exc:
            with exc:
                if exc.code in _REDIRECTS:
                    return _redirect(url, exc.headers)
                raise FetchError(
                    FetchProblem.HTTP_STATUS, f"the server answers HTTP {exc.code} {exc.reason}"
                ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timed_out() from None
            raise FetchError(
                FetchProblem.CONNECTION, f"it cannot be reached ({exc.reason})"
            ) from None
        except TimeoutError:
            raise self._timed_out() from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise FetchError(
                FetchProblem.CONNECTION, f"the download failed ({exc or type(exc).__name__})"
            ) from None

    def _read(self, response: http.client.HTTPResponse) -> bytes:
        length = response.headers.get("Content-Length", "")
        if length.strip().isdigit() and int(length) > self.max_bytes:
            raise self._too_big()
        chunks: list[bytes] = []
        size = 0
        while True:
            left = self._left()
            for sock in self.sockets:  # each read waits no longer than the time left
                with suppress(OSError):
                    sock.settimeout(left)
            chunk = response.read1(65536)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_big()
            chunks.append(chunk)

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._timed_out()
        return left

    def _timed_out(self) -> FetchError:
        return FetchError(
            FetchProblem.TIMEOUT, f"no complete answer within {self.timeout:g} s"
        )

    def _too_big(self) -> FetchError:
        return FetchError(
            FetchProblem.TOO_BIG,
            f"it serves more than {size_text(self.max_bytes)}, more than an issuer takes",
        )


def _redirect(url: str, headers: Message) -> str:
    location = headers.get("Location")
    if not location:
        raise FetchError(FetchProblem.REDIRECT_REFUSED, "it redirects without a Location")
    target = urljoin(url, location)
    if not is_http(target):
        raise FetchError(
            FetchProblem.REDIRECT_REFUSED,
            f"it redirects to {target}, and certchain follows redirects only to http and https",
        )
    return target


# urllib makes the connection inside its handlers; these keep its socket, so
# that each read of the body waits no longer than the request has left (a
# socket timeout alone bounds each read, not a body that trickles forever).


C = TypeVar("C", bound=http.client.HTTPConnection)


def _recording(base: type[C], sockets: list[socket.socket]) -> type[C]:
    """*base* (HTTP or HTTPS), noting each socket it connects in *sockets*."""

    class Connection(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            super().connect()
            sockets.append(self.sock)

    return Connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, sockets: list[socket.socket]) -> None:
        super().__init__()
        self.sockets = sockets

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_recording(http.client.HTTPConnection, self.sockets), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, sockets: list[socket.socket], context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self.sockets = sockets
        self.context = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = _recording(http.client.HTTPSConnection, self.sockets)
        return self.do_open(connection, req, context=self.context)
