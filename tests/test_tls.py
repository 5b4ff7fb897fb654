"""
End-to-end proof: a chained file built by the CLI serves a real TLS handshake.

A server on 127.0.0.1 (port 0, one connection, in a thread) loads the files
with ``ssl.SSLContext.load_cert_chain``; a client that trusts only the root
must complete the handshake for ``hub.example.org``.  The negative case is
the same handshake with the leaf alone, which the client must refuse.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding
from pki import T0_ISO, Hierarchy, key_pem

from certchain.cli import ExitCode, main

HOSTNAME = "hub.example.org"
TIMEOUT = 10.0


@dataclass
class ServerOutcome:
    """What the server thread saw."""

    completed: bool = False
    errors: list[BaseException] = field(default_factory=list)


@contextmanager
def tls_server(certfile: Path, keyfile: Path) -> Iterator[tuple[int, ServerOutcome]]:
    """Serve one TLS connection on 127.0.0.1 with *certfile*, *keyfile*; yield (port, outcome)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certfile), str(keyfile))
    outcome = ServerOutcome()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError as exc:
            outcome.errors.append(exc)
            return
        with conn:
            conn.settimeout(TIMEOUT)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    data = tls.recv(16)
                    tls.sendall(data)
                    outcome.completed = True
            except (ssl.SSLError, OSError) as exc:
                outcome.errors.append(exc)

    thread = threading.Thread(target=serve, name="tls-server", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], outcome
    finally:
        thread.join(TIMEOUT * 2)
        listener.close()
        assert not thread.is_alive(), "the server thread did not finish"


def client_handshake(port: int, cafile: Path) -> tuple[dict[str, object], bytes, bytes]:
    """Connect trusting only *cafile*; return the peer cert (dict and DER) and the echo."""
    context = ssl.create_default_context(cafile=str(cafile))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=HOSTNAME) as tls,
    ):
        tls.sendall(b"ping")
        echo = tls.recv(16)
        peer = tls.getpeercert()
        der = tls.getpeercert(binary_form=True)
    assert peer is not None and der is not None
    return dict(peer), der, echo


@dataclass(frozen=True)
class Served:
    """The files of one CLI build, plus the client's trust file."""

    chained: Path
    key: Path
    leaf_only: Path
    root_only: Path


def cli_build(runner: CliRunner, folder: Path, hier: Hierarchy, *extra: str) -> Served:
    """Write the CA's files to *folder*, run ``certchain build`` and return the paths."""
    folder.mkdir()
    host = hier.leaf.write(folder / "hub.crt")
    inter = hier.intermediate.write(folder / "chain.crt")
    root = hier.root.write(folder / "root.crt")
    key = folder / "hub.key"
    key.write_bytes(key_pem(hier.leaf.key))
    result = runner.invoke(
        main, ["build", str(host), str(root), str(inter), "--at", T0_ISO, *extra]
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stderr == ""
    root_only = hier.root.write(folder.parent / "root_only.pem")
    return Served(folder / "hub-chained.crt", key, host, root_only)


class TestHandshake:
    def test_chained_file_serves_verified_handshake(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy
    ) -> None:
        """A client trusting only the root completes the handshake with the CLI's chained file."""
        served = cli_build(runner, tmp_path / "ca", chain3)

        with tls_server(served.chained, served.key) as (port, outcome):
            peer, der, echo = client_handshake(port, served.root_only)

        assert echo == b"ping"
        assert chain3.leaf.cert.public_bytes(Encoding.DER) == der
        assert peer["subjectAltName"] == (("DNS", HOSTNAME),)
        assert outcome.completed
        assert outcome.errors == []

    def test_no_root_chained_file_serves_verified_handshake(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy
    ) -> None:
        """The --no-root chained file (leaf and intermediate) also completes the handshake."""
        served = cli_build(runner, tmp_path / "ca", chain3, "--no-root")

        with tls_server(served.chained, served.key) as (port, outcome):
            _, der, echo = client_handshake(port, served.root_only)

        assert echo == b"ping"
        assert chain3.leaf.cert.public_bytes(Encoding.DER) == der
        assert outcome.completed

    def test_leaf_alone_fails_verification(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy
    ) -> None:
        """The same handshake with the leaf alone (no intermediate) fails verification."""
        served = cli_build(runner, tmp_path / "ca", chain3)

        with (
            tls_server(served.leaf_only, served.key) as (port, outcome),
            pytest.raises(ssl.SSLCertVerificationError) as excinfo,
        ):
            client_handshake(port, served.root_only)

        assert "unable to get local issuer certificate" in str(excinfo.value)
        assert not outcome.completed
        assert outcome.errors
