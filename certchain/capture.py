"""
A live server's chain: connect, upgrade with STARTTLS if asked, shake hands
trusting nothing, and keep the certificates exactly as the server sent them.

The one module that opens connections, used only when the user runs
``certchain connect``.  One deadline covers everything (the name lookup,
the connection, the STARTTLS exchange, the handshake): every wait is given
only the time left, so a server that trickles bytes cannot stretch it.  The
handshake runs over memory buffers (:class:`ssl.SSLObject`), so that each
read from the network has that bound.

What was sent, in order: Python 3.13 has ``SSLObject.get_unverified_chain()``
(DER bytes).  3.10 to 3.12 have the same call one level down, on the C
object behind it (``SSLObject._sslobj.get_unverified_chain()``, which
returns ``_ssl.Certificate`` objects; 3.13's public method is a wrapper of
it).  Both are OpenSSL's ``SSL_get_peer_cert_chain``: the server's
Certificate message, leaf first, nothing reordered or added.  A Python that
has neither is an error, never a judgement of the leaf alone (which would
report a missing intermediate that the server does send).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from contextlib import suppress
from typing import Any

from . import starttls
from .errors import ConnectError
from .fetch import TIMEOUT
from .findings import Remedy
from .results import Capture, endpoint

#: Seconds for the whole of one capture (``--timeout``): the same default as
#: a download's, since one option sets both.
DEFAULT_TIMEOUT = TIMEOUT
#: The port without ``--starttls``: HTTPS.
HTTPS_PORT = 443

_CHUNK = 16384  # one TLS record
_SECONDS = "{:g} s"

# OpenSSL's reasons when the answer to a ClientHello is no TLS record at all:
# a plain-HTTP server's "HTTP/1.1 400", an SSH banner, a mail greeting.
_NOT_TLS = {
    "WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "UNKNOWN_PROTOCOL",
    "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE", "WRONG_SSL_VERSION",
}
# What the usual alerts mean for someone who only wanted to see the chain.
_ALERT_HINTS = {
    "handshake_failure": "no TLS version or cipher suite in common, or the server "
                         "requires a client certificate",
    "protocol_version": "no TLS version in common",
    "unrecognized_name": "the server has no certificate for the name sent in SNI; "
                         "check the server name",
    "internal_error": "the server failed on its side; its log says why",
    "certificate_required": "the server requires a client certificate",
}


def parse_endpoint(text: str) -> tuple[str, int | None]:
    """
    Split ``HOST[:PORT]`` into the host and the port (None when not given).

    An IPv6 address takes brackets to carry a port (``[2001:db8::1]:8443``);
    a bare IPv6 address is the host alone.

    Raises:
        ValueError: not a host and port; the message says what to give.
    """
    host, port = text, ""
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r}: an IPv6 address in brackets, then :PORT if any.")
        host, port = inside, rest[1:]
        if rest and not port:
            raise ValueError(f"{text!r}: a port number after the colon.")
        _check_ipv6(host, text)
    elif text.count(":") == 1:
        host, port = text.split(":")
        if not port:
            raise ValueError(f"{text!r}: a port number after the colon.")
    elif ":" in text:
        _check_ipv6(text, text)
    if "://" in text or not host or any(c.isspace() or c in "/@?#\\" for c in host):
        raise ValueError(f"{text!r} is not HOST[:PORT]: give a host name or IP address and "
                         "an optional port (hub.example.org:8443, [2001:db8::1]:443).")
    if not port:
        return host, None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535.")
    return host, int(port)


def _check_ipv6(host: str, text: str) -> None:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise ValueError(f"{text!r}: {host!r} is not an IPv6 address.") from None


def capture_chain(
    host: str, port: int, *, servername: str | None = None, starttls_protocol: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Capture:
    """
    Connect to *host*:*port*, shake hands trusting nothing, return what was sent.

    Args:
        host: a DNS name or an IP address (IPv6 without brackets).
        port: the TCP port.
        servername: the name to send in SNI; None: *host* (an IP address
            sends none, as RFC 6066 3 requires).
        starttls_protocol: a protocol of :data:`certchain.starttls.PORTS` to
            upgrade from, or None for TLS from the first byte.
        timeout: seconds for everything, lookup to handshake.

    Raises:
        ConnectError: the name does not resolve, the port refuses or never
            answers, STARTTLS is refused, the handshake fails (the server's
            alert named), the server speaks no TLS, or sent no certificate.
    """
    where = endpoint(host, port)
    deadline = _Deadline(timeout, where)
    addresses = _resolve(host, port, deadline)
    sock, address = _connect(addresses, deadline)
    with sock:
        wire = _SocketWire(sock, deadline)
        if starttls_protocol is not None:
            local = sock.getsockname()[0]
            literal = f"[IPv6:{local}]" if ":" in local else f"[{local}]"
            try:
                starttls.upgrade(wire, starttls_protocol, client_name=literal)
            except starttls.Refused as exc:
                raise ConnectError(where, f"{exc}.") from None
            except OSError as exc:
                step = f"during the {starttls_protocol.upper()} exchange"
                raise deadline.failure(exc, step) from None
        name = servername if servername is not None else host
        tls, outgoing = _handshake(wire, name, deadline)
        version, cipher = tls.version() or "unknown", (tls.cipher() or ("unknown",))[0]
        chain = _served_chain(tls, where)
        _goodbye(tls, outgoing, wire)
    return Capture(
        host=host, port=port, address=address, servername=None if _is_ip(name) else name,
        starttls=starttls_protocol, version=version, cipher=cipher, chain=chain,
    )


class _Deadline:
    """The time left for one capture, and how a network error reads against it."""

    def __init__(self, seconds: float, where: str) -> None:
        self.seconds = seconds
        self.where = where
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; a timeout error when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("the time is up")
        return left

    def failure(self, exc: OSError, step: str, address: str | None = None) -> ConnectError:
        """*exc*, met while *step*, as one line for the user."""
        at = f" ({address})" if address else ""
        if isinstance(exc, TimeoutError):
            return ConnectError(
                self.where,
                f"no answer within {_SECONDS.format(self.seconds)} {step}{at}: the host may "
                "be down, a firewall may drop the packets, or the server may not speak "
                "this protocol on this port; check the host and port, or wait longer.",
                remedy=Remedy.RAISE_TIMEOUT,
            )
        if isinstance(exc, ConnectionRefusedError):
            return ConnectError(
                self.where,
                f"the connection was refused{at}: nothing listens on port "
                f"{self.where.rsplit(':', 1)[1]}, or a firewall rejects it; check the port.",
            )
        if isinstance(exc, ConnectionResetError):
            return ConnectError(self.where, f"the server reset the connection {step}{at}.")
        reason = exc.strerror or str(exc)
        return ConnectError(self.where, f"the network failed {step}{at}: {reason}.")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int, deadline: _Deadline) -> list[tuple[Any, ...]]:
    """The addresses of *host*, looked up within the deadline (getaddrinfo has no timeout)."""
    if _is_ip(host):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 0, "", (host, port))]
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            found["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            found["error"] = exc

    # A daemon thread: a resolver that hangs past the deadline is left behind.
    worker = threading.Thread(target=lookup, name="certchain-resolve", daemon=True)
    worker.start()
    with suppress(TimeoutError):
        worker.join(deadline.left())
    if "addresses" in found:
        return list(found["addresses"])
    error = found.get("error")
    if error is None:
        raise ConnectError(
            deadline.where,
            f"the name {host} was not resolved within {_SECONDS.format(deadline.seconds)}: "
            "check the DNS settings, or wait longer.", remedy=Remedy.RAISE_TIMEOUT,
        )
    reason = getattr(error, "strerror", None) or str(error)
    raise ConnectError(
        deadline.where, f"the name {host} cannot be resolved ({reason}): check its spelling."
    )


def _connect(addresses: list[tuple[Any, ...]], deadline: _Deadline) -> tuple[socket.socket, str]:
    """A connected socket to the first address that answers, and that address."""
    failure: ConnectError | None = None
    for family, kind, proto, _, sockaddr in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(deadline.left())
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            failure = deadline.failure(exc, "while connecting", sockaddr[0])
            if isinstance(exc, TimeoutError):
                break  # no time is left for another address
            continue
        return sock, str(sockaddr[0])
    assert failure is not None  # getaddrinfo never returns an empty list
    raise failure


class _SocketWire:
    """A socket whose every read and write is bounded by the deadline."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self.sock = sock
        self.deadline = deadline

    def send(self, data: bytes) -> None:
        self.sock.settimeout(self.deadline.left())
        self.sock.sendall(data)

    def recv(self) -> bytes:
        self.sock.settimeout(self.deadline.left())
        return self.sock.recv(_CHUNK)


def _context() -> ssl.SSLContext:
    """A client context that trusts nothing and accepts anything: the chain is judged later."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # See what old servers serve too (TLS 1.0, small keys, SHA-1): their
    # chain is then judged, and the version reported, rather than the
    # handshake failing before any certificate is seen.
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    with suppress(ssl.SSLError):
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    # A server without RFC 5746's renegotiation extension (pre-2010 stacks).
    context.options |= getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0)
    return context


def _handshake(
    wire: _SocketWire, name: str, deadline: _Deadline
) -> tuple[ssl.SSLObject, ssl.MemoryBIO]:
    """The completed handshake, and the buffer it writes to the server through."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    try:
        tls = _context().wrap_bio(
            incoming, outgoing, server_hostname=None if _is_ip(name) else name
        )
    except (ValueError, UnicodeError) as exc:
        raise ConnectError(deadline.where, f"{name!r} cannot be sent as SNI ({exc}).") from None
    try:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
            if outgoing.pending:
                wire.send(outgoing.read())
            data = wire.recv()
            if data:
                incoming.write(data)
            else:
                incoming.write_eof()
        if outgoing.pending:  # the client's Finished: the server expects it
            with suppress(OSError):
                wire.send(outgoing.read())
    except ssl.SSLError as exc:
        with suppress(OSError):  # our alert, if OpenSSL wrote one
            if outgoing.pending:
                wire.send(outgoing.read())
        raise _handshake_failure(exc, deadline) from None
    except OSError as exc:
        raise deadline.failure(exc, "during the TLS handshake") from None
    return tls, outgoing


def _goodbye(tls: ssl.SSLObject, outgoing: ssl.MemoryBIO, wire: _SocketWire) -> None:
    """Send close_notify without waiting for the server's, as clients do (best effort)."""
    with suppress(ssl.SSLError):
        tls.unwrap()  # wants the server's close_notify too: not waited for
    with suppress(OSError):
        if outgoing.pending:
            wire.send(outgoing.read())


def _handshake_failure(exc: ssl.SSLError, deadline: _Deadline) -> ConnectError:
    reason = str(getattr(exc, "reason", None) or "")
    said = f"{exc.reason}" if getattr(exc, "reason", None) else str(exc)
    if isinstance(exc, ssl.SSLEOFError) or reason == "UNEXPECTED_EOF_WHILE_READING":
        return ConnectError(
            deadline.where,
            "the server closed the connection during the TLS handshake: it may not speak "
            "TLS on this port (a protocol that starts in plain text needs STARTTLS), or it "
            "refuses the name sent in SNI.",
        )
    if reason in _NOT_TLS:
        return ConnectError(
            deadline.where,
            f"the server does not speak TLS on this port: its answer is no TLS record "
            f"({said}; a plain-HTTP server answers so, and a mail or database server that "
            "starts in plain text needs STARTTLS).",
        )
    alert = _alert(reason)
    if alert is not None:
        hint = _ALERT_HINTS.get(alert)
        return ConnectError(
            deadline.where,
            f"the TLS handshake failed: the server sent the alert {alert} ({said})"
            + (f": {hint}." if hint else "."),
        )
    return ConnectError(deadline.where, f"the TLS handshake failed ({said}).")


def _alert(reason: str) -> str | None:
    """The TLS alert an OpenSSL reason stands for (``SSLV3_ALERT_HANDSHAKE_FAILURE``), if any."""
    for prefix in ("SSLV3_ALERT_", "TLSV1_ALERT_", "TLSV13_ALERT_"):
        if reason.startswith(prefix):
            return reason[len(prefix):].lower()
    if reason == "TLSV1_UNRECOGNIZED_NAME":
        return "unrecognized_name"
    return None


def _served_chain(tls: ssl.SSLObject, where: str) -> tuple[bytes, ...]:
    """The certificates the server sent, as DER, in its order (see the module's note)."""
    public = getattr(tls, "get_unverified_chain", None)  # Python 3.13 and later
    if public is not None:
        chain = tuple(public() or ())
    else:
        inner = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)
        if inner is None:
            raise ConnectError(
                where,
                "this Python cannot read the certificates a server sends (CPython 3.10 and "
                "later can): run certchain with CPython.",
            )
        der = getattr(ssl, "_ssl").ENCODING_DER  # noqa: B009  # private: not in ssl's API
        chain = tuple(cert.public_bytes(der) for cert in inner() or ())
    if not chain:
        raise ConnectError(
            where, "the server sent no certificate (an anonymous or pre-shared-key cipher "
                   "suite): there is no chain to judge.",
        )
    return chain
