"""
Tests for certchain.capture: what a live server sends, exactly, within one deadline.

Every server runs on 127.0.0.1 in a thread of the test (tests/tlskit.py).
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tlskit
from cryptography.hazmat.primitives.serialization import Encoding
from pki import PKI, Hierarchy, Issued, hierarchy

from certchain import capture as capture_module
from certchain.capture import capture_chain, parse_endpoint
from certchain.errors import ConnectError
from certchain.findings import Remedy
from certchain.starttls import PORTS

LOOPBACK = "127.0.0.1"
HOST = "hub.example.org"
SLACK = 3.0  # seconds a run may take past its timeout (thread start, a slow CI machine)


def der(*issued: Issued) -> tuple[bytes, ...]:
    """The DER of each certificate, in order."""
    return tuple(i.cert.public_bytes(Encoding.DER) for i in issued)


@dataclass(frozen=True)
class Contexts:
    """Server contexts over one hierarchy, each serving another chain."""

    hier: Hierarchy
    full: ssl.SSLContext  # leaf, intermediate
    leaf_only: ssl.SSLContext
    wrong_order: ssl.SSLContext  # leaf, root, intermediate
    other: Hierarchy
    other_full: ssl.SSLContext  # another host's chain, for SNI


@pytest.fixture(scope="module")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> Contexts:
    """The server contexts, their files in a folder of this module's."""
    folder = tmp_path_factory.mktemp("servers")
    pki = PKI()
    hier = hierarchy(pki, HOST, LOOPBACK)
    other = hierarchy(pki, "other.example.org")
    leaf, inter, root = hier.leaf, hier.intermediate, hier.root
    return Contexts(
        hier=hier,
        full=tlskit.server_context(folder, "full", [leaf, inter], leaf),
        leaf_only=tlskit.server_context(folder, "leaf", [leaf], leaf),
        wrong_order=tlskit.server_context(folder, "wrong", [leaf, root, inter], leaf),
        other=other,
        other_full=tlskit.server_context(
            folder, "other", [other.leaf, other.intermediate], other.leaf
        ),
    )


@pytest.fixture
def full_port(contexts: Contexts) -> Iterator[int]:
    """A TLS server serving leaf and intermediate."""
    with tlskit.serving(tlskit.tls(contexts.full)) as port:
        yield port


class TestParseEndpoint:
    @pytest.mark.parametrize(("text", "expected"), [
        ("hub.example.org", ("hub.example.org", None)),
        ("hub.example.org:8443", ("hub.example.org", 8443)),
        ("127.0.0.1:443", ("127.0.0.1", 443)),
        ("[::1]", ("::1", None)),
        ("[2001:db8::1]:8443", ("2001:db8::1", 8443)),
        ("2001:db8::1", ("2001:db8::1", None)),
    ])
    def test_forms(self, text: str, expected: tuple[str, int | None]) -> None:
        """HOST, HOST:PORT, an IPv6 address in brackets with or without a port, a bare one."""
        assert parse_endpoint(text) == expected

    @pytest.mark.parametrize(("text", "fragment"), [
        ("hub:0", "1 to 65535"),
        ("hub:65536", "1 to 65535"),
        ("hub:https", "1 to 65535"),
        ("hub:", "port number after"),
        ("[::1", "brackets"),
        ("[::1]x", "brackets"),
        ("[hub]:443", "not an IPv6 address"),
        ("https://hub.example.org/", "not HOST[:PORT]"),
        ("user@hub", "not HOST[:PORT]"),
        ("", "not HOST[:PORT]"),
        ("hub:1:2:3", "not an IPv6 address"),
    ])
    def test_refused(self, text: str, fragment: str) -> None:
        """Anything else is a ValueError saying what to give."""
        with pytest.raises(ValueError, match=fragment.replace("[", r"\[")):
            parse_endpoint(text)


class TestCapture:
    def test_full_chain_as_served(self, contexts: Contexts, full_port: int) -> None:
        """The certificates come back exactly as the server sent them, with version and cipher."""
        got = capture_chain(LOOPBACK, full_port, servername=HOST)

        assert got.chain == der(contexts.hier.leaf, contexts.hier.intermediate)
        assert got.version in {"TLSv1.2", "TLSv1.3"}
        assert got.cipher
        assert (got.host, got.port, got.address, got.servername) == (
            LOOPBACK, full_port, LOOPBACK, HOST)
        assert got.endpoint == f"{LOOPBACK}:{full_port}"

    def test_leaf_alone(self, contexts: Contexts) -> None:
        """A server that sends its leaf alone gives a chain of one."""
        with tlskit.serving(tlskit.tls(contexts.leaf_only)) as port:
            got = capture_chain(LOOPBACK, port)

        assert got.chain == der(contexts.hier.leaf)

    def test_wrong_order_kept(self, contexts: Contexts) -> None:
        """The order is the server's, not a rebuilt one."""
        hier = contexts.hier
        with tlskit.serving(tlskit.tls(contexts.wrong_order)) as port:
            got = capture_chain(LOOPBACK, port)

        assert got.chain == der(hier.leaf, hier.root, hier.intermediate)

    def test_sni_chooses_the_chain(self, contexts: Contexts, tmp_path: Path) -> None:
        """The name sent in SNI chooses what an SNI-dependent server sends."""
        chooser = tlskit.by_name(
            tlskit.server_context(tmp_path, "default", [contexts.hier.leaf], contexts.hier.leaf),
            {"other.example.org": contexts.other_full},
        )
        with tlskit.serving(tlskit.tls(chooser)) as port:
            plain = capture_chain(LOOPBACK, port, servername=HOST)
            other = capture_chain(LOOPBACK, port, servername="other.example.org")

        assert plain.chain == der(contexts.hier.leaf)
        assert other.chain == der(contexts.other.leaf, contexts.other.intermediate)
        assert other.servername == "other.example.org"

    def test_ipv6(self, contexts: Contexts) -> None:
        """An IPv6 literal is connected to as such (skipped where ::1 is not configured)."""
        with ExitStack() as stack:
            try:
                port = stack.enter_context(tlskit.serving(tlskit.tls(contexts.full), host="::1"))
            except OSError as exc:
                pytest.skip(f"no IPv6 loopback here: {exc}")
            got = capture_chain("::1", port, servername=HOST)

        assert got.endpoint == f"[::1]:{port}"
        assert got.address == "::1"
        assert got.chain == der(contexts.hier.leaf, contexts.hier.intermediate)

    def test_ip_sends_no_sni(self, full_port: int) -> None:
        """An IP address is never sent as SNI (RFC 6066 3)."""
        assert capture_chain(LOOPBACK, full_port).servername is None

    @pytest.mark.parametrize("protocol", sorted(PORTS))
    def test_starttls(self, contexts: Contexts, protocol: str) -> None:
        """Each STARTTLS protocol upgrades, then the chain is captured as over plain TLS."""
        handler = getattr(tlskit, protocol)(contexts.full)
        with tlskit.serving(handler) as port:
            got = capture_chain(LOOPBACK, port, starttls_protocol=protocol)

        assert got.chain == der(contexts.hier.leaf, contexts.hier.intermediate)
        assert got.starttls == protocol

    @pytest.mark.parametrize(("protocol", "refusal", "fragment"), [
        ("smtp", {"offer": False}, "does not offer STARTTLS"),
        ("smtp", {"answer": b"454 4.7.0 TLS not available"}, "refused STARTTLS: '454"),
        ("smtp", {"after": b"250 injected\r\n"}, "sent data after agreeing"),
        ("imap", {"status": b"NO"}, "refused STARTTLS: 'C1 NO"),
        ("pop3", {"agree": False}, "refused STLS: '-ERR"),
        ("ftp", {"agree": False}, "refused AUTH TLS: '502"),
        ("postgres", {"agree": False}, "does not accept TLS"),
    ])
    def test_starttls_refused(
        self, contexts: Contexts, protocol: str, refusal: dict[str, Any], fragment: str
    ) -> None:
        """A server that refuses the upgrade is a ConnectError quoting its answer."""
        handler = getattr(tlskit, protocol)(contexts.full, **refusal)
        with tlskit.serving(handler) as port, pytest.raises(ConnectError) as info:
            capture_chain(LOOPBACK, port, starttls_protocol=protocol)

        assert fragment in str(info.value)
        assert str(info.value).startswith(f"{LOOPBACK}:{port}: ")


class TestFailures:
    def test_refused_port(self) -> None:
        """A port nothing listens on: refused, at once."""
        port = tlskit.refused_port()
        start = time.monotonic()

        with pytest.raises(ConnectError, match="connection was refused"):
            capture_chain(LOOPBACK, port, timeout=5)
        assert time.monotonic() - start < 5

    def test_silent_port(self) -> None:
        """A port that never answers fails within the timeout, and says so."""
        with tlskit.silent() as port:
            start = time.monotonic()
            with pytest.raises(ConnectError) as info:
                capture_chain(LOOPBACK, port, timeout=1)
            elapsed = time.monotonic() - start

        assert 1 <= elapsed < 1 + SLACK
        assert "no answer within 1 s during the TLS handshake" in str(info.value)
        assert info.value.remedy is Remedy.RAISE_TIMEOUT

    def test_silent_starttls(self, full_port: int) -> None:
        """STARTTLS to a server that waits for a ClientHello times out in the exchange."""
        with pytest.raises(ConnectError, match="during the SMTP exchange"):
            capture_chain(LOOPBACK, full_port, starttls_protocol="smtp", timeout=1)

    def test_plain_http(self) -> None:
        """A plain-HTTP server's answer is no TLS record: said so."""
        with tlskit.serving(tlskit.plain_http) as port, pytest.raises(ConnectError) as info:
            capture_chain(LOOPBACK, port)

        assert "does not speak TLS on this port" in str(info.value)
        assert "plain-HTTP" in str(info.value)

    def test_alert(self, contexts: Contexts, tmp_path: Path) -> None:
        """A handshake the server aborts names the alert it sent."""
        strict = tlskit.by_name(
            tlskit.server_context(tmp_path, "strict", [contexts.hier.leaf], contexts.hier.leaf),
            {}, strict=True,
        )
        with tlskit.serving(tlskit.tls(strict)) as port, pytest.raises(ConnectError) as info:
            capture_chain(LOOPBACK, port, servername="unknown.example.org")

        assert "the server sent the alert unrecognized_name" in str(info.value)

    def test_dns_failure(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A name that does not resolve is one line naming it (no network: the lookup is faked)."""
        def fail(*args: object, **kwargs: object) -> list[Any]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        monkeypatch.setattr(socket, "getaddrinfo", fail)

        with pytest.raises(ConnectError) as info:
            capture_chain("nowhere.example.org", 443)

        assert str(info.value) == (
            "nowhere.example.org:443: the name nowhere.example.org cannot be resolved "
            "(Name or service not known): check its spelling."
        )

    def test_dns_hang(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A lookup that hangs is given up at the deadline (getaddrinfo has no timeout)."""
        release = threading.Event()

        def hang(*args: object, **kwargs: object) -> list[Any]:
            release.wait(10)
            return []

        monkeypatch.setattr(socket, "getaddrinfo", hang)
        start = time.monotonic()
        try:
            with pytest.raises(ConnectError, match=r"was not resolved within 0\.5 s"):
                capture_chain("slow.example.org", 443, timeout=0.5)
            assert time.monotonic() - start < 0.5 + SLACK
        finally:
            release.set()  # the lookup thread ends now, not during later tests


class TestServedChain:
    """Which call reads the chain as sent, per Python version."""

    def test_this_python_has_one(self) -> None:
        """Python 3.13+ has the public call, 3.10-3.12 the C object's (what capture relies on)."""
        public = hasattr(ssl.SSLObject, "get_unverified_chain")
        private = hasattr(getattr(ssl, "_ssl")._SSLSocket, "get_unverified_chain")  # noqa: B009

        assert public or private
        assert public == (sys.version_info >= (3, 13))

    def test_private_fallback(self) -> None:
        """Without the public call, the C object's call gives the same DER."""
        class Cert:
            def public_bytes(self, encoding: int) -> bytes:
                assert encoding == getattr(ssl, "_ssl").ENCODING_DER  # noqa: B009
                return b"DER"

        class Inner:
            def get_unverified_chain(self) -> list[Cert]:
                return [Cert(), Cert()]

        class Old:
            _sslobj = Inner()

        assert capture_module._served_chain(Old(), "h:1") == (b"DER", b"DER")  # type: ignore[arg-type]

    def test_neither(self) -> None:
        """A Python with neither call is an error, never a judgement of the leaf alone."""
        class Bare:
            pass

        with pytest.raises(ConnectError, match="cannot read the certificates"):
            capture_module._served_chain(Bare(), "h:1")  # type: ignore[arg-type]

    def test_no_certificate(self) -> None:
        """An empty chain (an anonymous cipher suite) is an error: nothing to judge."""
        class Anonymous:
            def get_unverified_chain(self) -> list[bytes]:
                return []

        with pytest.raises(ConnectError, match="sent no certificate"):
            capture_module._served_chain(Anonymous(), "h:1")  # type: ignore[arg-type]



def test_public_api() -> None:
    """connect's library calls are part of the stable API (certchain.__all__)."""
    import certchain

    for name in ("capture_chain", "judge_capture", "served_differs", "Capture", "ConnectError",
                 "system_store", "store_from_specs"):
        assert name in certchain.__all__
        assert getattr(certchain, name) is not None
