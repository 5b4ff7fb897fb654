"""
``certchain connect`` through click's runner, against servers on 127.0.0.1
that the tests start (tests/tlskit.py).  Every run pins ``--at``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tlskit
from aiakit import AiaServer, aia_server, fetch_env
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pki import PKI, T0_ISO, Hierarchy, Issued, hierarchy
from trustkit import as_system_store

from certchain.cli import ExitCode, main
from certchain.starttls import PORTS

__all__ = ["aia_server", "fetch_env"]  # fixtures

LOOPBACK = "127.0.0.1"
HOST = "hub.example.org"
AIA = "http://ca.example.org/intermediate.der"
TOP_KEYS = {"server", "address", "servername", "starttls", "tls_version", "cipher", "ok",
            "chain", "findings", "valid_until", "compare", "saved"}
SLACK = 3.0  # seconds past --timeout a run may take on a slow machine
Serve = Callable[..., int]  # the serve fixture: (*certs, handler="tls") -> port


@dataclass(frozen=True)
class Site:
    """A hierarchy, its root as a trust file, and server contexts serving its chains."""

    folder: Path
    hier: Hierarchy
    root: Path
    chained: Path  # what the servers should serve: leaf, intermediate


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """hub.example.org (and 127.0.0.1), its leaf naming a caIssuers URL."""
    folder = tmp_path_factory.mktemp("site")
    hier = hierarchy(PKI(), HOST, LOOPBACK, aia_url=AIA)
    root = hier.root.write(folder / "root.pem")
    chained = folder / "hub-chained.crt"
    chained.write_bytes(hier.leaf.pem + hier.intermediate.pem)
    return Site(folder, hier, root, chained)


def connect(runner: CliRunner, *args: object) -> Result:
    """Run ``certchain connect ARGS --at T0_ISO``."""
    return runner.invoke(main, ["connect", *(str(a) for a in args), "--at", T0_ISO])


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., int]]:
    """Start servers of chosen certificates (sent in the order given; the first is the leaf)."""
    with ExitStack() as stack:
        started = itertools.count()

        def start(*certs: Issued, handler: str = "tls") -> int:
            context = tlskit.server_context(tmp_path, f"server{next(started)}", list(certs),
                                            certs[0])
            wrap = getattr(tlskit, handler)
            return int(stack.enter_context(tlskit.serving(wrap(context))))

        yield start


def findings(result: Result) -> dict[str, str]:
    """{code: severity} of a --json run."""
    return {f["code"]: f["severity"] for f in json.loads(result.stdout)["findings"]}


class TestServedChains:
    def test_full_chain(self, runner: CliRunner, site: Site, serve: Serve) -> None:
        """A full chain: exit 0, the server, SNI, TLS version and cipher in the heading."""
        port = serve(site.hier.leaf, site.hier.intermediate)

        result = connect(runner, f"{LOOPBACK}:{port}", "--servername", HOST,
                         "--trust", site.root)

        assert ExitCode.OK == result.exit_code, result.output
        first = result.stdout.splitlines()[0]
        assert first.startswith(f"{LOOPBACK}:{port} ({LOOPBACK}, SNI {HOST}): TLSv1.")
        assert "[0] leaf: CN=hub.example.org" in result.stdout
        assert "[1] intermediate: CN=Test Intermediate" in result.stdout
        assert "OK: the chain verifies" in result.stdout
        assert result.stderr == ""

    def test_json(self, runner: CliRunner, site: Site, serve: Serve) -> None:
        """--json: verify's keys, plus the server, SNI, version and cipher."""
        port = serve(site.hier.leaf, site.hier.intermediate)

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root, "--json")

        assert ExitCode.OK == result.exit_code, result.output
        doc = json.loads(result.stdout)
        assert set(doc) == TOP_KEYS
        assert doc["server"] == f"{LOOPBACK}:{port}"
        assert doc["servername"] is None  # an IP address sends no SNI
        assert doc["tls_version"].startswith("TLSv1.")
        assert doc["cipher"]
        assert [c["role"] for c in doc["chain"]] == ["leaf", "intermediate"]
        assert doc["ok"] is True and doc["compare"] is None and doc["saved"] is None

    def test_leaf_alone(self, runner: CliRunner, site: Site, serve: Serve) -> None:
        """The leaf alone: exit 1, missing-issuer for live clients, the build command to run."""
        port = serve(site.hier.leaf)

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root, "--json")

        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        (missing,) = [f for f in json.loads(result.stdout)["findings"]
                      if f["code"] == "missing-issuer"]
        message = missing["message"]
        assert "curl, wget, Python, Java, Node and most API clients fail" in message
        hint = message.rsplit(" (", 1)[1]
        assert hint.startswith("--save 127.0.0.1.pem, then certchain build 127.0.0.1.pem")
        assert f"--trust {site.root} --at 2030-01-01T00:00:00Z --fetch-missing" in hint
        assert hint.endswith("writes 127.0.0.1-chained.crt, the file to serve).")

    def test_leaf_alone_saved(
        self, runner: CliRunner, site: Site, serve: Serve, tmp_path: Path
    ) -> None:
        """With --save, the build command reads the saved file; no second step is asked for."""
        port = serve(site.hier.leaf)
        saved = tmp_path / "served.pem"

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root, "--save", saved)

        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        command = f"certchain build {saved} --trust {site.root} --at 2030-01-01T00:00:00Z " \
                  "--fetch-missing writes served-chained.crt, the file to serve"
        assert command in result.stdout
        assert f"Saved the 1 certificate it sent to {saved}." in result.stdout

    def test_wrong_order(self, runner: CliRunner, site: Site, serve: Serve) -> None:
        """Leaf, root, intermediate: wrong-order, exit 1, as verify says of a file."""
        port = serve(site.hier.leaf, site.hier.root, site.hier.intermediate)

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root, "--json")

        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert findings(result)["wrong-order"] == "error"

    def test_same_report_as_verify(
        self, runner: CliRunner, site: Site, serve: Serve, tmp_path: Path
    ) -> None:
        """connect's findings are verify's on the same certificates saved to a file."""
        port = serve(site.hier.leaf, site.hier.root, site.hier.intermediate)
        saved = tmp_path / "served.pem"

        live = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root, "--json",
                       "--save", saved)
        offline = runner.invoke(main, ["verify", str(saved), "--trust", str(site.root),
                                       "--hostname", LOOPBACK, "--at", T0_ISO, "--json"])

        live_doc, file_doc = json.loads(live.stdout), json.loads(offline.stdout)
        assert live.exit_code == offline.exit_code == ExitCode.CHAIN_PROBLEM
        assert [(f["code"], f["cert"]) for f in live_doc["findings"]] == [
            (f["code"], f["cert"]) for f in file_doc["findings"]]
        assert live_doc["chain"] == file_doc["chain"]

    def test_expired(self, runner: CliRunner, site: Site, serve: Serve) -> None:
        """An expired leaf at the pinned time (--at): expired, exit 1."""
        old = PKI().leaf(site.hier.intermediate, HOST,
                         not_after=dt.datetime(2029, 6, 1, tzinfo=dt.timezone.utc))
        port = serve(old, site.hier.intermediate)

        result = connect(runner, f"{LOOPBACK}:{port}", "--servername", HOST,
                         "--trust", site.root, "--json")

        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert findings(result)["expired"] == "error"

    def test_sni(self, runner: CliRunner, site: Site, tmp_path: Path) -> None:
        """--servername chooses the chain of an SNI-dependent server and the name checked."""
        other = hierarchy(PKI(), "other.example.org")
        default = tlskit.server_context(tmp_path, "d", [site.hier.leaf, site.hier.intermediate],
                                        site.hier.leaf)
        named = tlskit.server_context(tmp_path, "o", [other.leaf, other.intermediate],
                                      other.leaf)
        server = tlskit.by_name(default, {"other.example.org": named})
        with tlskit.serving(tlskit.tls(server)) as port:
            mine = connect(runner, f"{LOOPBACK}:{port}", "--servername", HOST,
                           "--trust", site.root, "--json")
            theirs = connect(runner, f"{LOOPBACK}:{port}", "--servername", "other.example.org",
                             "--trust", site.root, "--json")

        assert ExitCode.OK == mine.exit_code, mine.output
        assert json.loads(theirs.stdout)["chain"][0]["subject"] == "CN=other.example.org"
        assert json.loads(theirs.stdout)["servername"] == "other.example.org"
        # Another CA: not trusted here, but the name checked is the SNI name.
        assert "hostname-mismatch" not in findings(theirs)

    def test_hostname_defaults_to_host(self, runner: CliRunner, site: Site, tmp_path: Path,
                                       serve: Serve) -> None:
        """Without --servername or --hostname, the leaf must cover HOST."""
        named_only = PKI().leaf(site.hier.intermediate, HOST)  # no 127.0.0.1 SAN
        port = serve(named_only, site.hier.intermediate)

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root, "--json")
        checked = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root, "--json",
                          "--hostname", HOST)

        assert findings(result)["hostname-mismatch"] == "error"
        assert "does not cover 127.0.0.1" in result.stdout
        assert ExitCode.OK == checked.exit_code, checked.output

    def test_trust_system(self, runner: CliRunner, site: Site, serve: Serve, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
        """--trust system judges against the OS store (here: the test root, via SSL_CERT_FILE)."""
        as_system_store(monkeypatch, tmp_path, site.hier.root)
        port = serve(site.hier.leaf, site.hier.intermediate)

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", "system")

        assert ExitCode.OK == result.exit_code, result.output

    def test_quiet(self, runner: CliRunner, site: Site, serve: Serve) -> None:
        """-q prints only the error lines, naming the server."""
        port = serve(site.hier.leaf)

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root, "-q")

        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert result.stdout.startswith(f"{LOOPBACK}:{port}: error missing-issuer: ")


class TestStartTLS:
    @pytest.mark.parametrize("protocol", sorted(PORTS))
    def test_protocol(self, runner: CliRunner, site: Site, serve: Serve, protocol: str) -> None:
        """Each --starttls protocol upgrades, and the chain is judged: exit 0."""
        port = serve(site.hier.leaf, site.hier.intermediate, handler=protocol)

        result = connect(runner, f"{LOOPBACK}:{port}", "--starttls", protocol,
                         "--trust", site.root, "--json")

        assert ExitCode.OK == result.exit_code, result.output
        assert json.loads(result.stdout)["starttls"] == protocol

    def test_refused(self, runner: CliRunner, site: Site, tmp_path: Path) -> None:
        """A server that refuses the upgrade: exit 2, one line quoting its answer."""
        context = tlskit.server_context(tmp_path, "p", [site.hier.leaf], site.hier.leaf)
        with tlskit.serving(tlskit.pop3(context, agree=False)) as port:
            result = connect(runner, f"{LOOPBACK}:{port}", "--starttls", "pop3")

        assert ExitCode.BAD_INPUT == result.exit_code
        assert result.stderr == (
            f"Error: {LOOPBACK}:{port}: the POP3 server refused STLS: '-ERR STLS not here'.\n")

    def test_default_port(self, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without a port, --starttls uses its protocol's, else 443 (no connection made here)."""
        asked: list[tuple[str, int]] = []

        def record(host: str, port: int, **kwargs: Any) -> None:
            asked.append((host, port))
            raise SystemExit(0)

        # certchain.cli.connect is the command there; the module is in sys.modules.
        monkeypatch.setattr(importlib.import_module("certchain.cli.connect"), "capture_chain",
                            record)
        for args in (["mail.example.org", "--starttls", "smtp"], ["[2001:db8::1]"],
                     ["db.example.org", "--starttls", "postgres"]):
            connect(runner, *args)

        assert asked == [("mail.example.org", 25), ("2001:db8::1", 443), ("db.example.org", 5432)]


class TestErrors:
    def assert_one_line(self, result: Result, fragment: str) -> str:
        assert ExitCode.BAD_INPUT == result.exit_code, result.output
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith("Error: ") and fragment in line, line
        assert "Traceback" not in result.output
        return line

    def test_refused_port(self, runner: CliRunner) -> None:
        """A refused port: exit 2, one line, at once."""
        port = tlskit.refused_port()
        start = time.monotonic()

        result = connect(runner, f"{LOOPBACK}:{port}", "--timeout", 5)

        self.assert_one_line(result, "the connection was refused")
        assert time.monotonic() - start < 5

    def test_silent_port(self, runner: CliRunner) -> None:
        """A port that never answers: exit 2 within --timeout, the flag named to wait longer."""
        with tlskit.silent() as port:
            start = time.monotonic()
            result = connect(runner, f"{LOOPBACK}:{port}", "--timeout", 1)
            elapsed = time.monotonic() - start

        line = self.assert_one_line(result, "no answer within 1 s during the TLS handshake")
        assert line.endswith("(--timeout SECONDS).")
        assert elapsed < 1 + SLACK

    def test_plain_http(self, runner: CliRunner) -> None:
        """A plain-HTTP server: exit 2, one line saying it does not speak TLS."""
        with tlskit.serving(tlskit.plain_http) as port:
            result = connect(runner, f"{LOOPBACK}:{port}")

        self.assert_one_line(result, "does not speak TLS on this port")

    def test_alert(self, runner: CliRunner, site: Site, tmp_path: Path) -> None:
        """A handshake failure: exit 2, one line naming the server's alert."""
        strict = tlskit.by_name(
            tlskit.server_context(tmp_path, "s", [site.hier.leaf], site.hier.leaf), {},
            strict=True,
        )
        with tlskit.serving(tlskit.tls(strict)) as port:
            result = connect(runner, f"{LOOPBACK}:{port}", "--servername", "nobody.example.org")

        self.assert_one_line(result, "the server sent the alert unrecognized_name")

    def test_dns(self, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
        """A name that does not resolve: exit 2, one line (the lookup is faked: no network)."""
        def fail(*args: object, **kwargs: object) -> list[Any]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        monkeypatch.setattr(socket, "getaddrinfo", fail)

        result = connect(runner, "nowhere.example.org")

        self.assert_one_line(result, "the name nowhere.example.org cannot be resolved")

    def test_json_error(self, runner: CliRunner) -> None:
        """With --json, a connection error is a connect-error object."""
        port = tlskit.refused_port()

        result = connect(runner, f"{LOOPBACK}:{port}", "--json")

        assert ExitCode.BAD_INPUT == result.exit_code
        error = json.loads(result.stdout)["error"]
        assert error["code"] == "connect-error"

    @pytest.mark.parametrize(("target", "fragment"), [
        ("https://hub.example.org/", "not HOST[:PORT]"),
        ("hub.example.org:99999", "1 to 65535"),
        ("[hub.example.org]:443", "not an IPv6 address"),
    ])
    def test_bad_target(self, runner: CliRunner, target: str, fragment: str) -> None:
        """A HOST[:PORT] that is none is a usage error."""
        result = connect(runner, target)

        assert ExitCode.BAD_INPUT == result.exit_code
        assert fragment in result.stderr

    def test_bad_timeout(self, runner: CliRunner) -> None:
        """--timeout 0 is a usage error."""
        result = connect(runner, "hub.example.org", "--timeout", 0)

        assert ExitCode.BAD_INPUT == result.exit_code
        assert "Invalid value for '--timeout'" in result.stderr


class TestCompare:
    def test_same(self, runner: CliRunner, site: Site, serve: Serve) -> None:
        """The server serves the file: exit 0, said in text and JSON."""
        port = serve(site.hier.leaf, site.hier.intermediate)

        text = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root,
                       "--compare", site.chained)
        doc = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root,
                      "--compare", site.chained, "--json")

        assert ExitCode.OK == text.exit_code, text.output
        assert f"The server serves the chain in {site.chained}, in the same order." in text.stdout
        assert json.loads(doc.stdout)["compare"] == {"file": str(site.chained), "same": True}

    def test_differs(self, runner: CliRunner, site: Site, serve: Serve) -> None:
        """An intermediate not served: served-differs, exit 1, the usual cause named."""
        port = serve(site.hier.leaf)

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root,
                         "--compare", site.chained, "--json")

        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        doc = json.loads(result.stdout)
        assert doc["compare"] == {"file": str(site.chained), "same": False}
        (differs,) = [f for f in doc["findings"] if f["code"] == "served-differs"]
        assert differs["severity"] == "error"
        assert "does not send certificate 1" in differs["message"]
        assert "not restarted or reloaded" in differs["message"]

    def test_older_leaf(self, runner: CliRunner, site: Site, serve: Serve,
                        tmp_path: Path) -> None:
        """The file renewed, the server not reloaded: its leaf is older, both expiries named."""
        renewed = PKI().leaf(site.hier.intermediate, HOST, LOOPBACK,
                             not_before=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc),
                             not_after=dt.datetime(2061, 1, 1, tzinfo=dt.timezone.utc))
        local = tmp_path / "renewed-chained.crt"
        local.write_bytes(renewed.pem + site.hier.intermediate.pem)
        port = serve(site.hier.leaf, site.hier.intermediate)

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root, "--compare", local)

        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert ("the server's leaf (CN=hub.example.org, expires 2060-01-01) is older than the "
                f"leaf of {local} (CN=hub.example.org, expires 2061-01-01)") in result.stdout

    def test_missing_file(self, runner: CliRunner) -> None:
        """A --compare file that does not exist: exit 2 before any connection."""
        result = connect(runner, f"{LOOPBACK}:{tlskit.refused_port()}", "--compare",
                         "/nonexistent/chained.crt")

        assert ExitCode.BAD_INPUT == result.exit_code
        assert "/nonexistent/chained.crt" in result.stderr
        assert "refused" not in result.stderr


class TestSave:
    def test_writes_served_order(self, runner: CliRunner, site: Site, serve: Serve,
                                 tmp_path: Path) -> None:
        """--save writes the certificates as sent, in order, as PEM (mode 0644)."""
        port = serve(site.hier.leaf, site.hier.root, site.hier.intermediate)
        saved = tmp_path / "served.pem"

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root, "--save", saved)

        assert ExitCode.CHAIN_PROBLEM == result.exit_code  # wrong order: saved all the same
        assert x509.load_pem_x509_certificates(saved.read_bytes()) == [
            site.hier.leaf.cert, site.hier.root.cert, site.hier.intermediate.cert]
        assert saved.stat().st_mode & 0o777 == 0o644

    def test_no_clobber(self, runner: CliRunner, tmp_path: Path) -> None:
        """An existing file without --force: exit 2 before connecting; the file untouched."""
        saved = tmp_path / "served.pem"
        saved.write_text("keep me\n")

        result = connect(runner, f"{LOOPBACK}:{tlskit.refused_port()}", "--save", saved)

        assert ExitCode.BAD_INPUT == result.exit_code
        assert "already exists" in result.stderr and "--force" in result.stderr
        assert "refused" not in result.stderr  # refused before connecting
        assert saved.read_text() == "keep me\n"

    def test_force(self, runner: CliRunner, site: Site, serve: Serve, tmp_path: Path) -> None:
        """--force replaces the file."""
        port = serve(site.hier.leaf, site.hier.intermediate)
        saved = tmp_path / "served.pem"
        saved.write_text("old\n")

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", site.root, "--save", saved,
                         "--force")

        assert ExitCode.OK == result.exit_code, result.output
        assert len(x509.load_pem_x509_certificates(saved.read_bytes())) == 2

    def test_dash(self, runner: CliRunner) -> None:
        """--save - is a usage error: stdout carries the report."""
        result = connect(runner, "hub.example.org", "--save", "-")

        assert ExitCode.BAD_INPUT == result.exit_code
        assert "--save needs a file" in result.stderr


class TestNoNetworkElsewhere:
    @pytest.mark.parametrize("command", ["build", "verify", "inspect"])
    def test_other_commands_never_connect(
        self, runner: CliRunner, site: Site, command: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """build, verify and inspect open no connection and look up no name."""
        def forbidden(*args: object, **kwargs: object) -> None:
            raise AssertionError("a network call outside connect")

        monkeypatch.setattr(socket, "getaddrinfo", forbidden)
        monkeypatch.setattr(socket.socket, "connect", forbidden)
        args = {
            "build": [site.chained, site.root, "-o", "-"],
            "verify": [site.chained, "--trust", site.root, "--json"],
            "inspect": [site.chained, "--json"],
        }[command]

        result = runner.invoke(main, [command, *map(str, args), "--at", T0_ISO])

        assert ExitCode.OK == result.exit_code, result.output


def test_help(runner: CliRunner) -> None:
    """connect --help documents its options and exit codes."""
    result = runner.invoke(main, ["connect", "--help"])

    assert ExitCode.OK == result.exit_code
    for option in ("--servername", "--starttls", "--timeout", "--compare", "--save", "--trust",
                   "--hostname", "--strict", "--allow-weak", "--json"):
        assert option in result.stdout
    assert "unreachable server" in result.stdout


class TestFetchMissing:
    def test_the_missing_issuer_is_fetched_and_still_missing_from_what_is_served(
        self, runner: CliRunner, serve: Serve, aia_server: AiaServer, fetch_env: Path,
        tmp_path: Path,
    ) -> None:
        """connect --fetch-missing: the issuer is fetched to judge the rest; the site lacks it."""
        pki = PKI()
        root = pki.root()
        inter = pki.intermediate(root)
        url = aia_server.url("/inter.der")
        leaf = pki.leaf(inter, HOST, LOOPBACK, aia_url=url)
        aia_server.serve("/inter.der", inter.cert.public_bytes(Encoding.DER))
        trust = root.write(tmp_path / "root.pem")
        port = serve(leaf)

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", trust, "--fetch-missing",
                         "--json")

        assert ExitCode.CHAIN_PROBLEM == result.exit_code, result.output
        found = findings(result)
        assert found["fetched-issuer"] == "info"
        assert found["missing-issuer"] == "error"  # curl, Python, Java... still fail
        (fetched,) = [f for f in json.loads(result.stdout)["findings"]
                      if f["code"] == "fetched-issuer"]
        assert fetched["download"]["url"] == url

    def test_without_the_flag_nothing_is_fetched(
        self, runner: CliRunner, serve: Serve, aia_server: AiaServer, fetch_env: Path,
        tmp_path: Path,
    ) -> None:
        """connect without --fetch-missing asks nothing of the caIssuers URL."""
        pki = PKI()
        root = pki.root()
        inter = pki.intermediate(root)
        leaf = pki.leaf(inter, HOST, LOOPBACK, aia_url=aia_server.url("/inter.der"))
        aia_server.serve("/inter.der", inter.cert.public_bytes(Encoding.DER))
        port = serve(leaf)

        result = connect(runner, f"{LOOPBACK}:{port}", "--trust", root.write(tmp_path / "r.pem"),
                         "--json")

        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert "fetched-issuer" not in findings(result)
        assert aia_server.hits == []
