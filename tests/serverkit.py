"""
Running real servers in tests: find the binary, pick a port, check, start, wait, stop.

Everything a server writes (configuration, pid file, logs, temporary
directories) goes under the test's own folder; every wait has a deadline.
A missing binary skips the test locally and fails it under ``CI=true``,
where a missing dependency is a broken pipeline, not a reason to skip.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

HOSTNAME = "hub.example.org"
LOOPBACK = "127.0.0.1"
READY_TIMEOUT = 20.0  # seconds for a server to accept connections
STOP_TIMEOUT = 10.0  # seconds for a server to exit after SIGTERM (then SIGKILL)
IO_TIMEOUT = 10.0  # seconds for one handshake, one request, one command
START_ATTEMPTS = 3  # a free port can be taken between choosing and binding it
SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")  # not on every user's PATH

#: HAProxy's global and defaults sections for a test: logs on stderr, short timeouts.
HAPROXY_HEAD = """\
global
    log stderr format raw local0 info
defaults
    mode http
    log global
    timeout connect 5s
    timeout client 5s
    timeout server 5s
"""



def nginx_paths(run: Path) -> str:
    """The lines of an ``http`` block that keep nginx's logs and temporary files in *run*."""
    return "".join(
        f'    {name} "{run}/{folder}";\n' for name, folder in [
            ("access_log", "access.log"), ("client_body_temp_path", "client_body"),
            ("proxy_temp_path", "proxy"), ("fastcgi_temp_path", "fastcgi"),
            ("uwsgi_temp_path", "uwsgi"), ("scgi_temp_path", "scgi"),
        ]
    )


_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
_PORT_TAKEN = "address already in use"


def in_ci() -> bool:
    """Whether the tests run in CI (``CI=true``), where a missing tool is a failure."""
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip the test for *reason*, or fail it under ``CI=true``."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)", pytrace=False)
    pytest.skip(f"{reason} (.ci/run installs it; under CI=true this is a failure)")


def require_binary(name: str) -> str:
    """Return the path of the program *name* (searching the sbin folders too), or skip/fail."""
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))
    if found is None:
        unavailable(f"{name} is not installed")
    return found


def require_file(path: Path, what: str) -> Path:
    """Return *path* if it exists, or skip/fail saying *what* is missing."""
    if not path.exists():
        unavailable(f"{what} is not installed ({path} is missing)")
    return path


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Launch:
    """How to check and run one configured server."""

    check: Sequence[str]  # the server's own configuration test
    check_ok: str  # what that test prints on success
    run: Sequence[str]  # the server in the foreground
    logs: Sequence[Path] = ()  # log files the server writes itself (shown on failure)


@dataclass
class Running:
    """A started server process, its port and its logs."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    output: Path  # the process's stdout and stderr
    launch: Launch

    def logs(self) -> str:
        """Return everything the server logged so far, for failure messages."""
        parts = []
        for path in (self.output, *self.launch.logs):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            parts.append(f"--- {path.name} ---\n{text.rstrip()}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop the server: SIGTERM, a bounded wait, then SIGKILL to its process group."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                # start_new_session made the server the leader of its own group:
                # this reaches its workers and nothing else.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)


@dataclass
class Servers:
    """Starts servers in *workdir* and stops each of them when the test ends."""

    workdir: Path
    started: list[Running] = field(default_factory=list)

    def start(self, name: str, configure: Callable[[int], Launch]) -> Running:
        """
        Configure *name* for a free port, run its config test, start it and wait until it listens.

        *configure* writes the configuration for a port and returns the
        commands.  A port taken in the meantime is retried with another one.
        """
        for attempt in range(1, START_ATTEMPTS + 1):
            port = free_port()
            launch = configure(port)
            check = subprocess.run(
                launch.check, capture_output=True, text=True, timeout=IO_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
            said = (check.stdout + check.stderr).strip()
            assert check.returncode == 0 and launch.check_ok in said, (
                f"{name} rejected the configuration ({' '.join(launch.check)}):\n{said}"
            )
            server = self._spawn(name, port, launch, attempt)
            if _wait_listening(server):
                return server
            server.stop()
            logs = server.logs()
            if attempt < START_ATTEMPTS and _PORT_TAKEN in logs.lower():
                continue
            pytest.fail(f"{name} did not start listening on {LOOPBACK}:{port} "
                        f"(exit code {server.process.returncode}):\n{logs}", pytrace=False)
        raise AssertionError("unreachable")  # pragma: no cover

    def _spawn(self, name: str, port: int, launch: Launch, attempt: int) -> Running:
        output = self.workdir / f"{name}-{attempt}.out"
        with output.open("wb") as sink:
            process = subprocess.Popen(
                launch.run, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                cwd=self.workdir, start_new_session=True,
            )
        server = Running(name, port, process, output, launch)
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        """Stop every server started (the fixture's finalizer)."""
        while self.started:
            self.started.pop().stop()


def _wait_listening(server: Running) -> bool:
    """
    Poll until the server itself listens on its port; False if it exits or time is up.

    Accepting a connection is not enough: if another program took the port
    after :func:`free_port` chose it, that program would answer.  On Linux
    the listening socket must be one of the server's own file descriptors.
    """
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        if _holds_listener(server.process.pid, server.port) is not False:
            try:
                with socket.create_connection((LOOPBACK, server.port), timeout=0.5):
                    return True
            except OSError:
                pass
        time.sleep(0.05)
    return False


def _holds_listener(pid: int, port: int) -> bool | None:
    """Whether process *pid* holds the socket listening on *port*; None if /proc cannot tell."""
    try:
        table = Path("/proc/net/tcp").read_text()
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    listening = set()
    for line in table.splitlines()[1:]:
        fields = line.split()  # sl local_address rem_address st ... uid timeout inode
        if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            listening.add(f"socket:[{fields[9]}]")
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in listening:
                return True
        except OSError:  # the descriptor was closed meanwhile
            continue
    return False


@dataclass(frozen=True)
class Exchange:
    """What a verified client saw: the leaf, and the head of the HTTP response."""

    leaf_der: bytes
    peer: dict[str, object]
    response: bytes


def https_get(port: int, cafile: Path, hostname: str = HOSTNAME) -> Exchange:
    """Handshake trusting only *cafile* and verifying *hostname*, then GET / over it."""
    context = ssl.create_default_context(cafile=str(cafile))
    with (
        socket.create_connection((LOOPBACK, port), timeout=IO_TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        peer = tls.getpeercert()
        tls.sendall(f"GET / HTTP/1.0\r\nHost: {hostname}\r\n\r\n".encode())
        response = b""
        for _ in range(64):  # the head is a few hundred bytes; bounded anyway
            data = tls.recv(4096)
            response += data
            if not data or b"\r\n\r\n" in response:
                break
    assert der is not None and peer is not None
    return Exchange(der, dict(peer), response)


def served_chain(openssl: str, port: int, hostname: str = HOSTNAME) -> list[bytes]:
    """Return the certificates the server sends (DER, in order), read with ``openssl s_client``."""
    shown = subprocess.run(
        [openssl, "s_client", "-connect", f"{LOOPBACK}:{port}", "-servername", hostname,
         "-showcerts"],
        input=b"", capture_output=True, timeout=IO_TIMEOUT,
    )
    blocks = _PEM_CERT.findall(shown.stdout)
    assert blocks, f"openssl s_client saw no certificate:\n{shown.stderr.decode(errors='replace')}"
    return [x509.load_pem_x509_certificate(b).public_bytes(Encoding.DER) for b in blocks]


def pem_certificates(path: Path) -> list[bytes]:
    """Return the certificates of the PEM file *path* (DER, in order)."""
    return [x509.load_pem_x509_certificate(b).public_bytes(Encoding.DER)
            for b in _PEM_CERT.findall(path.read_bytes())]


def drop_certificate(path: Path, cert: x509.Certificate) -> None:
    """Rewrite the PEM file *path* in place without *cert* (keys and other certificates stay)."""
    unwanted = cert.public_bytes(Encoding.DER)
    data = path.read_bytes()
    kept = data
    for block in _PEM_CERT.findall(data):
        if x509.load_pem_x509_certificate(block).public_bytes(Encoding.DER) == unwanted:
            kept = kept.replace(block + b"\n", b"", 1)
    assert kept != data, f"{path} does not hold {cert.subject.rfc4514_string()}"
    path.write_bytes(kept)  # same inode: the mode (0600 for a combined file) is kept
