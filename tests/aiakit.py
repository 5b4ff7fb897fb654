"""
An HTTP server on 127.0.0.1 serving issuers as a CA's caIssuers URL does; it misbehaves on demand.

Started and stopped by the ``aia_server`` fixture; each test sets its
routes.  Everything stays on the loopback interface: the tests never need a
network.  Also the ``fetch_env`` fixture: the cache of fetched issuers in
``tmp_path`` (never the real home) and no proxy from the environment.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                   "ALL_PROXY", "no_proxy", "NO_PROXY")


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.PEM)


def p7c(*certs: x509.Certificate, encoding: Encoding = Encoding.DER) -> bytes:
    """A PKCS#7 certs-only bundle (``.p7c``), DER or PEM."""
    return pkcs7.serialize_certificates(list(certs), encoding)


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    location: str | None = None  # a redirect's target
    length: bool = True  # send Content-Length
    trickle: bool = False  # send the headers, then a byte now and then, forever
    stall: bool = False  # send nothing at all, forever


@dataclass
class AiaServer:
    """The server's routes and the requests it received."""

    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    httpd: http.server.ThreadingHTTPServer | None = None

    def stop(self) -> None:
        """Stop answering: the port is closed (a second run must do without)."""
        self.stopping.set()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def serve(self, path: str, body: bytes = b"", **knobs: object) -> str:
        """Answer *path* with *body* (or as *knobs* say); return its URL."""
        self.routes[path] = Route(body, **knobs)  # type: ignore[arg-type]
        return self.url(path)


def _handler(server: AiaServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.hits.append(self.path)
            route = server.routes.get(self.path)
            if route is None:
                self.send_error(404, "Not Found")
                return
            if route.stall:
                server.stopping.wait(30)
                return
            self.send_response(route.status)
            if route.location is not None:
                self.send_header("Location", route.location)
            if route.length:
                size = 1_000_000 if route.trickle else len(route.body)
                self.send_header("Content-Length", str(size))
            self.send_header("Content-Type", "application/pkix-cert")
            self.end_headers()
            if route.trickle:
                self._trickle()
                return
            with contextlib.suppress(OSError):  # the client gave up (too big): its right
                self.wfile.write(route.body)

        def _trickle(self) -> None:
            deadline = time.monotonic() + 30
            try:
                while not server.stopping.is_set() and time.monotonic() < deadline:
                    self.wfile.write(b"0")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def aia_server() -> Iterator[AiaServer]:
    """An HTTP server on 127.0.0.1, stopped after the test."""
    state = AiaServer("")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.httpd = httpd
    state.base = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop()
        thread.join(5)


@pytest.fixture
def fetch_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the cache at ``tmp_path/cache`` and drop proxy settings; return the cache folder."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "certchain"


def aia(*urls: str) -> tuple[tuple[x509.ExtensionType, bool], ...]:
    """An AIA extension with these caIssuers URLs, for ``extra_extensions``."""
    return ((x509.AuthorityInformationAccess([
        x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(u)
        )
        for u in urls
    ]), False),)
