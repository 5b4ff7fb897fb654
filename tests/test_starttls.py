"""Tests for certchain.starttls: each protocol's minimal upgrade, over a scripted wire."""

from __future__ import annotations

import struct

import pytest

from certchain.starttls import PORTS, Refused, upgrade

CLIENT = "[127.0.0.1]"


class Script:
    """A wire that plays a server's replies, one per read, and records what the client sent."""

    def __init__(self, *replies: bytes) -> None:
        self.replies = list(replies)
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def recv(self) -> bytes:
        return self.replies.pop(0) if self.replies else b""


SMTP_OK = (
    b"220 mail.test ESMTP\r\n",
    b"250-mail.test\r\n250-PIPELINING\r\n",
    b"250 STARTTLS\r\n",
    b"220 2.0.0 Ready to start TLS\r\n",
)


class TestSmtp:
    def test_exchange(self) -> None:
        """SMTP: greeting, EHLO with an address literal, STARTTLS, and nothing more."""
        wire = Script(*SMTP_OK)

        upgrade(wire, "smtp", client_name=CLIENT)

        assert wire.sent == [b"EHLO [127.0.0.1]\r\n", b"STARTTLS\r\n"]

    def test_not_offered(self) -> None:
        """An EHLO answer without STARTTLS is refused before asking for it."""
        wire = Script(b"220 mail.test\r\n", b"250-mail.test\r\n250 SIZE 100\r\n")

        with pytest.raises(Refused, match="does not offer STARTTLS"):
            upgrade(wire, "smtp", client_name=CLIENT)
        assert wire.sent == [b"EHLO [127.0.0.1]\r\n"]

    def test_refused(self) -> None:
        """A 454 answer to STARTTLS is quoted."""
        wire = Script(*SMTP_OK[:3], b"454 4.7.0 TLS not available\r\n")

        with pytest.raises(Refused, match=r"refused STARTTLS: '454 4\.7\.0 TLS not available'"):
            upgrade(wire, "smtp", client_name=CLIENT)

    def test_session_refused(self) -> None:
        """A 554 greeting means no session at all."""
        with pytest.raises(Refused, match="refused the session"):
            upgrade(Script(b"554 go away\r\n"), "smtp", client_name=CLIENT)

    def test_data_after_go_ahead(self) -> None:
        """Bytes after the 220 and before the handshake are refused (CVE-2011-0411)."""
        wire = Script(*SMTP_OK[:3], b"220 Ready\r\n250 injected\r\n")

        with pytest.raises(Refused, match="sent data after agreeing"):
            upgrade(wire, "smtp", client_name=CLIENT)

    def test_not_smtp(self) -> None:
        """A server that answers in another protocol is named as such."""
        with pytest.raises(Refused, match="does not speak SMTP"):
            upgrade(Script(b"SSH-2.0-OpenSSH_9.2\r\n"), "smtp", client_name=CLIENT)

    def test_closed(self) -> None:
        """A server that closes mid-exchange says so, with what it had sent."""
        with pytest.raises(Refused, match="closed the connection during the SMTP exchange"):
            upgrade(Script(b"220 mail"), "smtp", client_name=CLIENT)

    def test_endless_line(self) -> None:
        """A line without end is cut at a bound, not read forever."""
        wire = Script(*([b"x" * 1000] * 10))

        with pytest.raises(Refused, match="longer than"):
            upgrade(wire, "smtp", client_name=CLIENT)


class TestImap:
    def test_exchange(self) -> None:
        """IMAP: greeting, a tagged STARTTLS, untagged lines skipped, tagged OK."""
        wire = Script(b"* OK ready\r\n", b"* CAPABILITY IMAP4rev1\r\nC1 OK Begin TLS\r\n")

        upgrade(wire, "imap", client_name=CLIENT)

        assert wire.sent == [b"C1 STARTTLS\r\n"]

    @pytest.mark.parametrize("status", [b"NO", b"BAD"])
    def test_refused(self, status: bytes) -> None:
        """A tagged NO or BAD is quoted."""
        wire = Script(b"* OK ready\r\n", b"C1 " + status + b" not now\r\n")

        with pytest.raises(Refused, match="refused STARTTLS"):
            upgrade(wire, "imap", client_name=CLIENT)

    def test_preauth(self) -> None:
        """A PREAUTH greeting allows no STARTTLS (RFC 3501 6.2.1)."""
        with pytest.raises(Refused, match="PREAUTH"):
            upgrade(Script(b"* PREAUTH hello\r\n"), "imap", client_name=CLIENT)

    def test_bye(self) -> None:
        """A BYE greeting refuses the session."""
        with pytest.raises(Refused, match="refused the session"):
            upgrade(Script(b"* BYE busy\r\n"), "imap", client_name=CLIENT)


class TestPop3:
    def test_exchange(self) -> None:
        """POP3: greeting, STLS, +OK."""
        wire = Script(b"+OK POP3 ready\r\n", b"+OK begin\r\n")

        upgrade(wire, "pop3", client_name=CLIENT)

        assert wire.sent == [b"STLS\r\n"]

    def test_refused(self) -> None:
        """-ERR to STLS is quoted."""
        with pytest.raises(Refused, match="refused STLS: '-ERR no'"):
            upgrade(Script(b"+OK hi\r\n", b"-ERR no\r\n"), "pop3", client_name=CLIENT)


class TestFtp:
    def test_exchange(self) -> None:
        """FTP: a multi-line greeting (free text inside), AUTH TLS, 234."""
        wire = Script(b"220-Welcome\r\n any text\r\n220 Ready\r\n", b"234 go\r\n")

        upgrade(wire, "ftp", client_name=CLIENT)

        assert wire.sent == [b"AUTH TLS\r\n"]

    def test_refused(self) -> None:
        """A 5xx answer to AUTH TLS is quoted."""
        with pytest.raises(Refused, match="refused AUTH TLS: '502 no'"):
            upgrade(Script(b"220 hi\r\n", b"502 no\r\n"), "ftp", client_name=CLIENT)

    def test_not_ready(self) -> None:
        """A 120 greeting (not ready yet) is not a go."""
        with pytest.raises(Refused, match="not ready"):
            upgrade(Script(b"120 in 5 minutes\r\n"), "ftp", client_name=CLIENT)


class TestPostgres:
    def test_exchange(self) -> None:
        """PostgreSQL: the 8-byte SSLRequest, answered S."""
        wire = Script(b"S")

        upgrade(wire, "postgres", client_name=CLIENT)

        assert wire.sent == [struct.pack("!ii", 8, 80877103)]

    def test_refused(self) -> None:
        """N: TLS is off on that server."""
        with pytest.raises(Refused, match="does not accept TLS"):
            upgrade(Script(b"N"), "postgres", client_name=CLIENT)

    def test_data_after_s(self) -> None:
        """Bytes after the S are refused (CVE-2021-23222)."""
        with pytest.raises(Refused, match="sent data after agreeing"):
            upgrade(Script(b"Sxyz"), "postgres", client_name=CLIENT)

    def test_not_postgres(self) -> None:
        """Anything but S or N is another protocol."""
        with pytest.raises(Refused, match="as PostgreSQL does"):
            upgrade(Script(b"E"), "postgres", client_name=CLIENT)


def test_unknown_protocol() -> None:
    """A protocol outside PORTS is a ValueError naming the known ones."""
    with pytest.raises(ValueError, match="smtp"):
        upgrade(Script(), "xmpp", client_name=CLIENT)


def test_default_ports() -> None:
    """Each protocol's default port is the one IANA assigns to its plain-text form."""
    assert PORTS == {"smtp": 25, "imap": 143, "pop3": 110, "ftp": 21, "postgres": 5432}
