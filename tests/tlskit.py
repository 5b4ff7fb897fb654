"""
Servers on 127.0.0.1 for ``certchain connect``: TLS, STARTTLS, plain HTTP, silent.

Each server is a thread that accepts connections until the test's ``with``
block ends, and runs a handler on each one: Python's ``ssl`` serves the
chain of a PEM file in the file's order (the certificate that matches the
key first, then the others as they stand: ``SSL_CTX_use_certificate_chain_file``).
The STARTTLS handlers are the server side of each protocol's minimal
exchange, written here from the RFCs, and refuse on demand.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from pki import Issued, key_pem

LOOPBACK = "127.0.0.1"
IO_TIMEOUT = 10.0  # seconds a handler waits for the client

Handler = Callable[[socket.socket], None]


def server_context(folder: Path, name: str, chain: list[Issued], key_of: Issued) -> ssl.SSLContext:
    """A server context serving *chain* in that order (the first must match *key_of*'s key)."""
    certfile = folder / f"{name}.pem"
    keyfile = folder / f"{name}.key"
    certfile.write_bytes(b"".join(c.pem for c in chain))
    keyfile.write_bytes(key_pem(key_of.key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certfile), str(keyfile))
    return context


def by_name(default: ssl.SSLContext, names: Mapping[str, ssl.SSLContext], *,
            strict: bool = False) -> ssl.SSLContext:
    """*default*, switching to ``names[SNI]`` in the handshake; others refused if *strict*."""

    def choose(sock: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> int | None:
        if name is not None and name in names:
            sock.context = names[name]
        elif strict:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        return None

    default.sni_callback = choose
    return default


def tls(context: ssl.SSLContext) -> Handler:
    """Shake hands with *context*, then wait for the client to leave."""

    def handle(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as tls_conn:
            tls_conn.recv(1)

    return handle


@contextmanager
def serving(handler: Handler, host: str = LOOPBACK) -> Iterator[int]:
    """Run *handler* on every connection to a new port of *host* (127.0.0.1); yield the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, 0), family=family)
    listener.settimeout(0.1)
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def handle(conn: socket.socket) -> None:
        with conn, suppress(OSError, ssl.SSLError, ValueError):
            conn.settimeout(IO_TIMEOUT)
            handler(conn)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=handle, args=(conn,), daemon=True)
            workers.append(worker)
            worker.start()

    acceptor = threading.Thread(target=accept, name="tlskit-accept", daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        acceptor.join(IO_TIMEOUT)
        listener.close()
        for worker in workers:
            worker.join(IO_TIMEOUT)


@contextmanager
def silent() -> Iterator[int]:
    """A port that accepts connections and never says a word; yield the port."""
    listener = socket.create_server((LOOPBACK, 0))
    try:
        yield listener.getsockname()[1]  # the kernel completes the TCP handshake alone
    finally:
        listener.close()


def refused_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def plain_http(conn: socket.socket) -> None:
    """What a plain-HTTP server does with a ClientHello: 400 Bad Request, and close."""
    conn.recv(4096)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


# ------------------------------------------------------------------ STARTTLS


def _line(conn: socket.socket) -> bytes:
    """One line from the client, read byte by byte (never into its TLS handshake)."""
    line = b""
    while not line.endswith(b"\n"):
        byte = conn.recv(1)
        if not byte:
            raise ConnectionError("the client left")
        line += byte
    return line.rstrip(b"\r\n")


def _then_tls(conn: socket.socket, context: ssl.SSLContext) -> None:
    tls(context)(conn)


def smtp(context: ssl.SSLContext, *, offer: bool = True, answer: bytes = b"220 2.0.0 Ready",
         after: bytes = b"") -> Handler:
    """RFC 3207: greet, answer EHLO (listing STARTTLS if *offer*), answer STARTTLS."""

    def handle(conn: socket.socket) -> None:
        conn.sendall(b"220 mail.test ESMTP certchain tests\r\n")
        assert _line(conn).startswith(b"EHLO ")
        extensions = [b"mail.test", b"PIPELINING", b"SIZE 10240000"] + (
            [b"STARTTLS"] if offer else [])
        reply = b"".join(b"250-" + e + b"\r\n" for e in extensions[:-1])
        conn.sendall(reply + b"250 " + extensions[-1] + b"\r\n")
        if not offer:
            return
        assert _line(conn) == b"STARTTLS"
        conn.sendall(answer + b"\r\n" + after)
        if answer.startswith(b"220") and not after:
            _then_tls(conn, context)

    return handle


def imap(context: ssl.SSLContext, *, status: bytes = b"OK") -> Handler:
    """RFC 3501 6.2.1: greet, answer STARTTLS with its tag (an untagged line first)."""

    def handle(conn: socket.socket) -> None:
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] certchain tests ready\r\n")
        tag, command = _line(conn).split(b" ", 1)
        assert command == b"STARTTLS"
        conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS\r\n" + tag + b" " + status
                     + b" Begin TLS negotiation now\r\n")
        if status == b"OK":
            _then_tls(conn, context)

    return handle


def pop3(context: ssl.SSLContext, *, agree: bool = True) -> Handler:
    """RFC 2595 4: greet, answer STLS."""

    def handle(conn: socket.socket) -> None:
        conn.sendall(b"+OK certchain tests POP3 ready\r\n")
        assert _line(conn) == b"STLS"
        conn.sendall(b"+OK Begin TLS negotiation\r\n" if agree else b"-ERR STLS not here\r\n")
        if agree:
            _then_tls(conn, context)

    return handle


def ftp(context: ssl.SSLContext, *, agree: bool = True) -> Handler:
    """RFC 4217 4: greet (a multi-line reply), answer AUTH TLS."""

    def handle(conn: socket.socket) -> None:
        conn.sendall(b"220-Welcome to the certchain tests\r\n free text, RFC 959 allows it\r\n"
                     b"220 Ready\r\n")
        assert _line(conn) == b"AUTH TLS"
        conn.sendall(b"234 AUTH TLS successful\r\n" if agree else b"502 Not implemented\r\n")
        if agree:
            _then_tls(conn, context)

    return handle


def postgres(context: ssl.SSLContext, *, agree: bool = True) -> Handler:
    """PostgreSQL's SSLRequest: 8 bytes in, ``S`` (or ``N``) out."""

    def handle(conn: socket.socket) -> None:
        request = b""
        while len(request) < 8:
            request += conn.recv(8 - len(request))
        assert struct.unpack("!ii", request) == (8, 80877103)
        conn.sendall(b"S" if agree else b"N")
        if agree:
            _then_tls(conn, context)

    return handle
