"""
End to end with JupyterHub: the chained file certchain builds, set in
``jupyterhub_config.py`` by ``certchain config --write``, served for real.

A JupyterHub on 127.0.0.1 (dummy authenticator, free ports, everything in
tmp_path) fronted by configurable-http-proxy, which terminates TLS with
``c.JupyterHub.ssl_cert`` and ``ssl_key``.  A client that trusts only the
root must get HTTP 200 from ``/hub/api/`` for ``localhost``, and the
certificates the proxy sends must be exactly those of the chained file.
The negative case serves the leaf alone: the same client must refuse it.

The servers come from ``$CERTCHAIN_TEST_JUPYTERHUB`` and
``$CERTCHAIN_TEST_CHP`` (else PATH): missing, the tests skip, or fail
under ``CI=true`` (.ci/run installs both).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pki import PKI, T0_ISO, hierarchy, key_pem

from certchain.cli import ExitCode, main

HOSTNAME = "localhost"  # what the client asks for (SNI and name check); it dials 127.0.0.1
HOSTS = ("localhost", "127.0.0.1", "hub.example.org")  # the leaf's SANs
READY_TIMEOUT = 60.0  # JupyterHub + proxy usually answer within a few seconds
STOP_TIMEOUT = 15.0
REQUEST_TIMEOUT = 5.0
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


# -- the servers under test ---------------------------------------------------------------


@dataclass(frozen=True)
class Tools:
    """The executables the tests run."""

    jupyterhub: str
    chp: str
    openssl: str


def _find_tool(env_var: str, name: str) -> tuple[str | None, str]:
    """Return (path, how it was looked for): *env_var* when set, else *name* on PATH."""
    configured = os.environ.get(env_var)
    if configured:
        usable = os.path.isfile(configured) and os.access(configured, os.X_OK)
        if usable:
            return configured, f"${env_var}={configured}"
        return None, f"${env_var}={configured} (not an executable file)"
    return shutil.which(name), f"{name} on PATH (${env_var} unset)"


@pytest.fixture(scope="module")
def tools() -> Tools:
    """The JupyterHub, configurable-http-proxy and openssl executables, else skip (fail on CI)."""
    found = {
        "jupyterhub": _find_tool("CERTCHAIN_TEST_JUPYTERHUB", "jupyterhub"),
        "chp": _find_tool("CERTCHAIN_TEST_CHP", "configurable-http-proxy"),
        "openssl": (shutil.which("openssl"), "openssl on PATH"),
    }
    missing = [how for path, how in found.values() if path is None]
    if missing:
        reason = (
            "JupyterHub end-to-end test needs "
            + ", ".join(missing)
            + " (.ci/run installs them; point the variables at the executables)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    return Tools(**{key: path for key, (path, _) in found.items() if path})


def _free_ports(count: int) -> list[int]:
    """Return *count* distinct ports on 127.0.0.1 that were free a moment ago."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def base_config(folder: Path, tools: Tools, public: int, hub: int, api: int) -> str:
    """Return the test's own jupyterhub_config.py settings (certchain adds the TLS ones)."""
    return "\n".join([
        "c = get_config()  # noqa: F821",
        "c.JupyterHub.authenticator_class = 'dummy'",
        "c.JupyterHub.ip = '127.0.0.1'",
        f"c.JupyterHub.port = {public}",
        "c.JupyterHub.hub_ip = '127.0.0.1'",
        f"c.JupyterHub.hub_port = {hub}",
        f"c.JupyterHub.db_url = {'sqlite:///' + str(folder / 'jupyterhub.sqlite')!r}",
        f"c.JupyterHub.cookie_secret_file = {str(folder / 'jupyterhub_cookie_secret')!r}",
        f"c.JupyterHub.pid_file = {str(folder / 'jupyterhub.pid')!r}",
        "c.JupyterHub.log_level = 'DEBUG'",
        f"c.ConfigurableHTTPProxy.command = [{tools.chp!r}]",
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{api}'",
        f"c.ConfigurableHTTPProxy.pid_file = {str(folder / 'jupyterhub-proxy.pid')!r}",
        "",
    ])


@dataclass
class Hub:
    """A running JupyterHub, and the proxy it started."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    proxy_pid_file: Path
    proxy_pids: set[int] = field(default_factory=set)

    def note_proxy(self) -> None:
        """Remember the proxy's PID while its pid file exists (a clean stop removes it)."""
        with suppress(OSError, ValueError):
            self.proxy_pids.add(int(self.proxy_pid_file.read_text().strip()))

    def log_text(self) -> str:
        """Return JupyterHub's log (the proxy's output included)."""
        try:
            return self.log.read_text(errors="replace")
        except OSError as exc:
            return f"<no log: {exc}>"


StartHub = Callable[..., Hub]  # the start_hub fixture: (config, public port, [args]) -> Hub


def _alive(pid: int) -> bool:
    """Whether *pid* is a live process (a zombie waiting for its parent is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def _is_proxy(pid: int) -> bool:
    """Whether *pid* still runs configurable-http-proxy (and not a recycled PID)."""
    try:
        return b"configurable-http-proxy" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: trust the pid file
        return _alive(pid)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _signal(pid: int, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signum)


def _stop(hub: Hub) -> list[str]:
    """Stop *hub* and its proxy; return what survived (nothing, normally)."""
    hub.note_proxy()
    process = hub.process
    if process.poll() is None:
        process.terminate()  # SIGTERM: JupyterHub stops the proxy it started
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            _killpg(process.pid)
            process.wait(STOP_TIMEOUT)
    # The proxy runs in a session of its own (start_new_session), so it is not in
    # the hub's process group; a killed hub leaves it running: stop it by its PID.
    hub.note_proxy()
    survivors = []
    for pid in sorted(hub.proxy_pids):
        if not _is_proxy(pid) or _wait_gone(pid, 5.0):
            continue
        _signal(pid, signal.SIGTERM)
        if not _wait_gone(pid, 5.0):
            _signal(pid, signal.SIGKILL)
            if not _wait_gone(pid, 5.0):
                survivors.append(f"configurable-http-proxy (pid {pid})")
    _killpg(process.pid)  # anything else left in the group JupyterHub led (none expected)
    return survivors


def _killpg(pgid: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


@pytest.fixture
def start_hub(tools: Tools, tmp_path: Path) -> Iterator[StartHub]:
    """Start JupyterHub in tmp_path; stop it and its proxy afterwards, even on failure."""
    hubs: list[Hub] = []

    def start(config: Path, port: int, arguments: Sequence[str] = ()) -> Hub:
        env = {
            key: value for key, value in os.environ.items()
            if not key.startswith(("JUPYTERHUB_", "CONFIGPROXY_", "PYTHON"))
        }
        log = tmp_path / "jupyterhub.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [tools.jupyterhub, "-f", str(config), *arguments],
                cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for the last-resort kill
            )
        hub = Hub(process, port, log, tmp_path / "jupyterhub-proxy.pid")
        hubs.append(hub)
        return hub

    yield start
    survivors = [name for hub in hubs for name in _stop(hub)]
    if survivors:
        pytest.fail(f"still running after SIGKILL: {', '.join(survivors)}", pytrace=False)


@contextmanager
def log_on_failure(hub: Hub) -> Iterator[None]:
    """Print JupyterHub's log when the block fails (pytest shows it with the failure)."""
    try:
        yield
    except BaseException:
        print(f"---- JupyterHub log ({hub.log}) ----\n{hub.log_text()}", file=sys.stderr)
        raise


# -- the client -----------------------------------------------------------------------------


class LoopbackHTTPS(http.client.HTTPSConnection):
    """HTTPS to *host* (SNI, name check, Host header) over a connection to 127.0.0.1."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=REQUEST_TIMEOUT, context=context)
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        try:
            self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def get_api(port: int, context: ssl.SSLContext) -> tuple[int, bytes]:
    """GET https://localhost:PORT/hub/api/ (over 127.0.0.1); return the status and body."""
    connection = LoopbackHTTPS(HOSTNAME, port, context)
    try:
        connection.request("GET", "/hub/api/")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def trusting_only(root: Path) -> ssl.SSLContext:
    """Return a client context whose only trust anchor is *root*."""
    return ssl.create_default_context(cafile=str(root))


def wait_ready(hub: Hub, context: ssl.SSLContext) -> bytes:
    """
    Poll /hub/api/ until it answers 200 (bounded); return the body.

    A certificate verification error is the answer, not "not ready yet": it
    propagates at once.  Refused connections, resets and the proxy's 503
    before the hub's route exists are retried.
    """
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no attempt"
    while time.monotonic() < deadline:
        hub.note_proxy()
        if hub.process.poll() is not None:
            pytest.fail(f"JupyterHub exited with code {hub.process.returncode}:\n"
                        f"{hub.log_text()}", pytrace=False)
        try:
            status, body = get_api(hub.port, context)
        except ssl.SSLCertVerificationError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if status == 200:
                hub.note_proxy()
                return body
            last = f"HTTP {status}: {body[:200]!r}"
        time.sleep(0.25)
    pytest.fail(f"https://{HOSTNAME}:{hub.port}/hub/api/ not ready within {READY_TIMEOUT:.0f} s "
                f"(last: {last}):\n{hub.log_text()}", pytrace=False)


def unverified() -> ssl.SSLContext:
    """Return a client context that checks nothing (only to learn that the hub is up)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def served_chain(openssl: str, port: int) -> list[bytes]:
    """Return the certificates the server on 127.0.0.1:PORT sends for localhost, as DER."""
    result = subprocess.run(
        [openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", HOSTNAME,
         "-showcerts"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False,
    )
    blocks = _PEM_BLOCK.findall(result.stdout)
    assert blocks, f"openssl s_client saw no certificate:\n{result.stdout!r}\n{result.stderr!r}"
    return [x509.load_pem_x509_certificate(block).public_bytes(Encoding.DER) for block in blocks]


def file_chain(path: Path) -> list[bytes]:
    """Return the certificates in the PEM file *path*, in order, as DER."""
    return [cert.public_bytes(Encoding.DER)
            for cert in x509.load_pem_x509_certificates(path.read_bytes())]


def connect_compare(runner: CliRunner, site: Deployment, chained: Path) -> Result:
    """``certchain connect --compare``: what the proxy serves for localhost, against *chained*."""
    return runner.invoke(main, [
        "connect", f"127.0.0.1:{site.port}", "--servername", HOSTNAME, "--trust", str(site.root),
        "--compare", str(chained), "--at", T0_ISO, "--json",
    ])


# -- the deployment -------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    """The CA's files, the built chain and the configuration, all in one folder."""

    folder: Path
    root: Path
    key: Path
    leaf_only: Path
    chained: Path
    config: Path
    port: int


def deploy(runner: CliRunner, pki: PKI, tools: Tools, folder: Path) -> Deployment:
    """Build the chain with ``certchain build`` and set it with ``certchain config --write``."""
    hier = hierarchy(pki, *HOSTS)
    host = hier.leaf.write(folder / "host.crt")
    inter = hier.intermediate.write(folder / "inter.crt")
    root = hier.root.write(folder / "root.crt")
    key = folder / "host.key"
    key.write_bytes(key_pem(hier.leaf.key))
    leaf_only = hier.leaf.write(folder / "leaf-only.crt")

    built = runner.invoke(main, ["build", str(host), str(inter), str(root), "--key", str(key),
                                 "--hostname", HOSTNAME, "--at", T0_ISO])
    assert built.exit_code == ExitCode.OK, built.output
    chained = folder / "host-chained.crt"
    assert file_chain(chained)[0] == hier.leaf.cert.public_bytes(Encoding.DER)

    public, hub_port, api = _free_ports(3)
    config = folder / "jupyterhub_config.py"
    settings = base_config(folder, tools, public, hub_port, api)
    config.write_text(settings)
    configured = runner.invoke(main, ["config", str(chained), "--key", str(key),
                                      "--trust", str(root), "--hostname", HOSTNAME,
                                      "--write", str(config), "--at", T0_ISO])
    assert configured.exit_code == ExitCode.OK, configured.output
    assert config.read_text() == settings + (
        f"c.JupyterHub.ssl_cert = {str(chained)!r}\n"
        f"c.JupyterHub.ssl_key = {str(key)!r}\n"
    )
    return Deployment(folder, root, key, leaf_only, chained, config, public)


# -- the tests ------------------------------------------------------------------------------


def test_jupyterhub_serves_the_built_chain(
    runner: CliRunner, pki: PKI, tools: Tools, start_hub: StartHub, tmp_path: Path
) -> None:
    """JupyterHub set up by certchain answers a root-only client and serves the built chain."""
    site = deploy(runner, pki, tools, tmp_path)

    hub = start_hub(site.config, site.port)
    with log_on_failure(hub):
        body = wait_ready(hub, trusting_only(site.root))
        served = served_chain(tools.openssl, site.port)

        assert "version" in json.loads(body)
        assert served == file_chain(site.chained)
        assert len(served) == 3  # leaf, intermediate, root: what build wrote
        compared = connect_compare(runner, site, site.chained)
        assert compared.exit_code == ExitCode.OK, compared.output
        assert json.loads(compared.stdout)["compare"] == {
            "file": str(site.chained), "same": True}


def test_jupyterhub_without_the_intermediate_fails_verification(
    runner: CliRunner, pki: PKI, tools: Tools, start_hub: StartHub, tmp_path: Path
) -> None:
    """The same JupyterHub serving the leaf alone fails the client's certificate verification."""
    site = deploy(runner, pki, tools, tmp_path)
    before = site.config.read_text()
    # certchain refuses to build a chain without the intermediate, so the leaf
    # alone is written by hand; config reports the error and sets it anyway.
    forced = runner.invoke(main, ["config", str(site.leaf_only), "--key", str(site.key),
                                  "--trust", str(site.root), "--force",
                                  "--write", str(site.config), "--at", T0_ISO])
    assert forced.exit_code == ExitCode.CHAIN_PROBLEM, forced.output
    assert "missing-issuer" in forced.stderr
    assert site.config.read_text() == before.replace(str(site.chained), str(site.leaf_only))

    hub = start_hub(site.config, site.port)
    with log_on_failure(hub):
        wait_ready(hub, unverified())
        with pytest.raises(ssl.SSLCertVerificationError) as excinfo:
            get_api(site.port, trusting_only(site.root))
        served = served_chain(tools.openssl, site.port)

        assert "unable to get local issuer certificate" in str(excinfo.value)
        assert served == file_chain(site.leaf_only)
        compared = connect_compare(runner, site, site.chained)
        assert compared.exit_code == ExitCode.CHAIN_PROBLEM, compared.output
        doc = json.loads(compared.stdout)
        assert {"missing-issuer", "served-differs"} <= {f["code"] for f in doc["findings"]}


def test_jupyterhub_command_line_form_serves_the_built_chain(
    runner: CliRunner, pki: PKI, tools: Tools, start_hub: StartHub, tmp_path: Path
) -> None:
    """The `jupyterhub --ssl-cert ... --ssl-key ...` line certchain prints works as printed."""
    site = deploy(runner, pki, tools, tmp_path)
    # The TLS settings come from the command line alone this time.
    settings = site.config.read_text().split("c.JupyterHub.ssl_cert")[0]
    site.config.write_text(settings)
    printed = runner.invoke(main, ["config", str(site.chained), "--key", str(site.key),
                                   "--trust", str(site.root), "--format", "jupyterhub-cli",
                                   "--at", T0_ISO])
    assert printed.exit_code == ExitCode.OK, printed.output
    words = shlex.split(printed.stdout)
    assert words[:2] == ["jupyterhub", "--ssl-cert"]

    hub = start_hub(site.config, site.port, words[1:])
    with log_on_failure(hub):
        wait_ready(hub, trusting_only(site.root))
        assert served_chain(tools.openssl, site.port) == file_chain(site.chained)
        compared = connect_compare(runner, site, site.chained)
        assert compared.exit_code == ExitCode.OK, compared.output
