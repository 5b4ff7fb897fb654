"""
STARTTLS: the plain-text exchange that turns a mail, file or database
connection into a TLS one, before the handshake.

Each protocol's upgrade is the minimal exchange its RFC defines, and nothing
more (no login, no second EHLO: the handshake is all certchain wants):

- SMTP, RFC 3207: the ``220`` greeting, ``EHLO``, whose answer must list
  ``STARTTLS``, then ``STARTTLS`` answered ``220``;
- IMAP, RFC 3501 6.2.1: the ``* OK`` greeting, then ``STARTTLS`` answered
  with its tag and ``OK``;
- POP3, RFC 2595 4: the ``+OK`` greeting, then ``STLS`` answered ``+OK``;
- FTP, RFC 4217 4: the ``220`` greeting, then ``AUTH TLS`` answered ``234``;
- PostgreSQL (its protocol's "SSL Session Encryption"): the 8-byte
  ``SSLRequest``, answered by the single byte ``S``.

A server that sends anything after its go-ahead, before the handshake, is
refused: those bytes would be read as part of the TLS session (the command
injection of CVE-2011-0411 and, for PostgreSQL, CVE-2021-23222).  Pure
protocol logic over a :class:`Wire`; the network and its deadline are the
caller's (:mod:`certchain.capture`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Protocol

#: The protocols ``--starttls`` knows, and the port each listens on by default.
PORTS = {"smtp": 25, "imap": 143, "pop3": 110, "ftp": 21, "postgres": 5432}

_MAX_LINE = 4096  # bytes in one line of a reply (SMTP allows 512, IMAP more)
_MAX_LINES = 200  # lines in one reply (an EHLO answer has a dozen)
_SHOWN = 120  # characters of a reply quoted in a message
# PostgreSQL's SSLRequest: length 8, then the request code 1234 << 16 | 5679.
_SSL_REQUEST = struct.pack("!ii", 8, 80877103)


class Wire(Protocol):
    """A connection in plain text, with the caller's deadline on every read."""

    def send(self, data: bytes) -> None:
        """Send all of *data*."""

    def recv(self) -> bytes:
        """Return the bytes that arrived (at least one), or ``b""`` when the server closed."""


class Refused(Exception):
    """The server did not agree to start TLS; the message says how (a sentence fragment)."""


def upgrade(wire: Wire, protocol: str, *, client_name: str) -> None:
    """
    Run *protocol*'s STARTTLS exchange on *wire*, up to the point where TLS starts.

    Args:
        wire: the connection, just opened.
        protocol: one of :data:`PORTS`.
        client_name: how the client names itself where the protocol asks
            (SMTP's ``EHLO``): an address literal such as ``[192.0.2.7]``.

    Raises:
        Refused: the server refused, closed, or spoke another protocol.
        ValueError: *protocol* is not one of :data:`PORTS`.
    """
    steps: dict[str, Callable[[_Lines], None]] = {
        "smtp": lambda lines: _smtp(lines, client_name),
        "imap": _imap,
        "pop3": _pop3,
        "ftp": _ftp,
        "postgres": _postgres,
    }
    if protocol not in steps:
        raise ValueError(f"unknown STARTTLS protocol {protocol!r}: one of {', '.join(PORTS)}")
    lines = _Lines(wire, protocol)
    steps[protocol](lines)
    lines.done()


def _smtp(lines: _Lines, client_name: str) -> None:
    code, reply = lines.reply()
    if code != 220:
        raise Refused(f"the SMTP server refused the session: it greeted with {_shown(reply)}")
    lines.send(f"EHLO {client_name}")
    code, reply = lines.reply()
    if code != 250:
        raise Refused(f"the SMTP server answered EHLO with {_shown(reply)}")
    keywords = {line[4:].split(maxsplit=1)[0].upper() for line in reply if line[4:].strip()}
    if "STARTTLS" not in keywords:
        raise Refused("the SMTP server does not offer STARTTLS (its EHLO answer does not list it)")
    lines.send("STARTTLS")
    code, reply = lines.reply()
    if code != 220:
        raise Refused(f"the SMTP server refused STARTTLS: {_shown(reply)}")


def _imap(lines: _Lines) -> None:
    greeting = lines.line()
    status = greeting.split(maxsplit=2)[1:2]
    if not greeting.startswith("* ") or status[0].upper() not in {"OK", "PREAUTH", "BYE"}:
        raise Refused(f"the server did not greet as IMAP does: {_shown([greeting])}")
    if status[0].upper() == "BYE":
        raise Refused(f"the IMAP server refused the session: {_shown([greeting])}")
    if status[0].upper() == "PREAUTH":
        # RFC 3501 6.2.1: STARTTLS exists only in the not-authenticated state.
        raise Refused("the IMAP server greeted with PREAUTH, a state in which STARTTLS is "
                      "not allowed (RFC 3501)")
    lines.send("C1 STARTTLS")
    for _ in range(_MAX_LINES):
        line = lines.line()
        if line.startswith("* "):
            continue  # an untagged answer (a CAPABILITY the server volunteers)
        if not line.startswith("C1 "):
            raise Refused(f"the IMAP server answered STARTTLS with {_shown([line])}")
        if line[3:].split(maxsplit=1)[:1] != ["OK"]:
            raise Refused(f"the IMAP server refused STARTTLS: {_shown([line])}")
        return
    raise Refused(f"the IMAP server sent more than {_MAX_LINES} lines without answering STARTTLS")


def _pop3(lines: _Lines) -> None:
    greeting = lines.line()
    if not greeting.startswith("+OK"):
        raise Refused(f"the POP3 server refused the session: it greeted with {_shown([greeting])}")
    lines.send("STLS")
    answer = lines.line()
    if not answer.startswith("+OK"):
        raise Refused(f"the POP3 server refused STLS: {_shown([answer])}")


def _ftp(lines: _Lines) -> None:
    code, reply = lines.reply()
    if code != 220:
        raise Refused(f"the FTP server is not ready: it greeted with {_shown(reply)}")
    lines.send("AUTH TLS")
    code, reply = lines.reply()
    if code != 234:
        raise Refused(f"the FTP server refused AUTH TLS: {_shown(reply)}")


def _postgres(lines: _Lines) -> None:
    lines.wire.send(_SSL_REQUEST)
    answer = lines.take(1)
    if answer == b"N":
        raise Refused("the PostgreSQL server does not accept TLS (it answered N to the "
                      "SSLRequest: ssl is off in its configuration)")
    if answer != b"S":
        raise Refused(f"the server did not answer the SSLRequest as PostgreSQL does "
                      f"(it sent {answer!r})")


class _Lines:
    """Lines of a text protocol read from a wire, never past what the caller takes."""

    def __init__(self, wire: Wire, protocol: str) -> None:
        self.wire = wire
        self.protocol = protocol
        self.buffer = b""

    def send(self, command: str) -> None:
        self.wire.send(command.encode("ascii") + b"\r\n")

    def _fill(self) -> None:
        data = self.wire.recv()
        if not data:
            partial = self.buffer.decode("utf-8", "replace")
            said = f" after {_shown([partial])}" if partial else ""
            raise Refused(
                f"the server closed the connection during the {self.protocol.upper()} "
                f"exchange{said}"
            )
        self.buffer += data

    def take(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self._fill()
        taken, self.buffer = self.buffer[:count], self.buffer[count:]
        return taken

    def line(self) -> str:
        while b"\n" not in self.buffer:
            if len(self.buffer) > _MAX_LINE:
                raise Refused(f"the server sent a line longer than {_MAX_LINE} bytes: it does "
                              f"not speak {self.protocol.upper()} on this port")
            self._fill()
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self) -> tuple[int, list[str]]:
        """An SMTP or FTP reply: ``250-...`` lines up to the one with ``250 `` (RFC 5321 4.2.1)."""
        first = self.line()
        if len(first) < 3 or not first[:3].isdigit() or first[3:4] not in {"", " ", "-"}:
            raise Refused(f"the server does not speak {self.protocol.upper()} on this port: "
                          f"it sent {_shown([first])}")
        reply = [first]
        # An FTP reply's middle lines may be any text (RFC 959 4.2): only "CODE "
        # ends it; an SMTP reply's middle lines all start with "CODE-".
        end = first[:3] + " "
        while reply[-1][3:4] == "-" or (len(reply) > 1 and not reply[-1].startswith(end)):
            if len(reply) >= _MAX_LINES:
                raise Refused(f"the server sent a reply of more than {_MAX_LINES} lines")
            reply.append(self.line())
        return int(first[:3]), reply

    def done(self) -> None:
        """Refuse a server that sent more than its go-ahead before the handshake."""
        if self.buffer:
            raise Refused(
                f"the {self.protocol.upper()} server sent data after agreeing to start TLS, "
                "before the handshake (what a command injection looks like)"
            )


def _shown(reply: list[str]) -> str:
    """A reply quoted in a message: its lines joined, cut to a readable length."""
    text = " / ".join(line.strip() for line in reply)
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")
