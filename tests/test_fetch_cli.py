"""
``--fetch-missing``, ``--timeout`` and ``--no-cache`` through the CLI, with a server on 127.0.0.1.

Every run points the cache at ``tmp_path`` (``fetch_env``) and passes
``--at T0_ISO``; no test needs a network.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiakit import AiaServer, aia, aia_server, der, fetch_env, p7c, pem
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.serialization import Encoding
from pki import PKI, T0_ISO, Issued

from certchain.cache import IssuerCache
from certchain.cli import ExitCode, main

__all__ = ["aia_server", "fetch_env"]  # fixtures


@dataclass
class Setup:
    """A leaf alone on disk, its root as the trust anchor, its intermediate on the server."""

    folder: Path
    host: Path
    root_file: Path
    root: Issued
    inter: Issued
    leaf: Issued
    url: str

    def run(self, runner: CliRunner, command: str, *args: object) -> Result:
        argv = [command, str(self.host), "--trust", str(self.root_file), "--at", T0_ISO]
        return runner.invoke(main, [*argv, *(str(a) for a in args)])

    def build(self, runner: CliRunner, *args: object) -> Result:
        return self.run(runner, "build", "-o", self.folder / "out.crt", "--force", *args)


def setup(pki: PKI, folder: Path, url: str, *, upper_url: str | None = None) -> Setup:
    folder.mkdir(exist_ok=True)
    root = pki.root()
    inter = pki.intermediate(root, aia_url=upper_url)
    leaf = pki.leaf(inter, "hub.example.org", aia_url=url)
    return Setup(
        folder, leaf.write(folder / "host.crt"), root.write(folder / "root.crt"),
        root, inter, leaf, url,
    )


@pytest.fixture
def served(pki: PKI, aia_server: AiaServer, tmp_path: Path, fetch_env: Path) -> Setup:
    """The usual case: the intermediate served as DER at /int.der."""
    made = setup(pki, tmp_path / "files", aia_server.url("/int.der"))
    aia_server.serve("/int.der", der(made.inter.cert))
    return made


def findings(result: Result) -> list[dict[str, Any]]:
    return list(json.loads(result.stdout)["findings"])


def of_code(result: Result, code: str) -> list[dict[str, Any]]:
    return [f for f in findings(result) if f["code"] == code]


class TestOffByDefault:
    def test_missing_issuer_suggests_the_flag(
        self, runner: CliRunner, served: Setup, aia_server: AiaServer
    ) -> None:
        """Without --fetch-missing: exit 1, the URL named, the flag suggested, no request."""
        result = served.build(runner)
        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert served.url in result.stdout
        assert "(--fetch-missing downloads it)." in result.stdout
        assert [] == aia_server.hits

    def test_verify_suggests_build(self, runner: CliRunner, served: Setup) -> None:
        """verify's missing-issuer suggests the build that fetches it."""
        result = served.run(runner, "verify")
        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert "(certchain build --fetch-missing adds it)." in result.stdout

    @pytest.mark.parametrize("command", ["build", "verify"])
    def test_no_connection_without_the_flag(
        self, runner: CliRunner, served: Setup, monkeypatch: pytest.MonkeyPatch, command: str
    ) -> None:
        """No socket connects without --fetch-missing (--timeout and --no-cache given or not)."""

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("a network connection was made without --fetch-missing")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket.socket, "connect_ex", refuse)
        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(socket, "getaddrinfo", refuse)
        result = served.run(runner, command, "--timeout", "3", "--no-cache", "--json")
        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert of_code(result, "missing-issuer")
        assert not of_code(result, "fetch-failed")

    def test_the_patch_would_catch_a_connection(
        self, runner: CliRunner, served: Setup, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The patch above is real: with --fetch-missing the same run trips it."""

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("a network connection")

        monkeypatch.setattr(socket, "create_connection", refuse)
        result = served.run(runner, "build", "--fetch-missing", "--no-cache", "-o", "-")
        assert isinstance(result.exception, AssertionError)

    @pytest.mark.parametrize("command", ["build", "verify", "config", "doctor"])
    def test_every_judging_command_has_the_options(self, runner: CliRunner, command: str) -> None:
        """The options come with the shared judging options."""
        result = runner.invoke(main, [command, "--help"])
        for option in ("--fetch-missing", "--timeout", "--no-cache"):
            assert option in result.stdout


class TestBuild:
    @pytest.mark.parametrize("form", ["der", "pem", "p7c-der", "p7c-pem"])
    def test_each_form(
        self, runner: CliRunner, served: Setup, aia_server: AiaServer, form: str
    ) -> None:
        """DER, PEM and PKCS#7 (DER, PEM) issuers complete the chain that is written."""
        cert = served.inter.cert
        body = {
            "der": der(cert), "pem": pem(cert), "p7c-der": p7c(cert),
            "p7c-pem": p7c(cert, encoding=Encoding.PEM),
        }[form]
        aia_server.serve("/int.der", body)
        result = served.build(runner, "--fetch-missing", "--json")
        assert ExitCode.OK == result.exit_code, result.stdout
        written = (served.folder / "out.crt").read_bytes()
        assert served.leaf.pem + served.inter.pem + served.root.pem == written
        [fetched] = of_code(result, "fetched-issuer")
        assert {"url": served.url, "cached": False, "reason": None} == fetched["download"]
        assert ("info", 1) == (fetched["severity"], fetched["cert"])

    def test_text_names_url_and_source(self, runner: CliRunner, served: Setup) -> None:
        """The text report names the URL and whether it came from the network or the cache."""
        first = served.build(runner, "--fetch-missing")
        assert ExitCode.OK == first.exit_code, first.stderr
        assert f"fetched-issuer: Intermediate 1 (CN=Test Intermediate,O=certchain tests) " \
               f"was downloaded from {served.url}" in first.stdout
        second = served.build(runner, "--fetch-missing")
        assert f"was read from the cache, as downloaded from {served.url}" in second.stdout

    def test_two_fetches_up_the_chain(
        self, runner: CliRunner, pki: PKI, aia_server: AiaServer, tmp_path: Path, fetch_env: Path
    ) -> None:
        """The leaf's issuer, then that issuer's, each from its own URL."""
        root = pki.root()
        upper = pki.intermediate(root, "Upper CA")
        lower = pki.intermediate(upper, "Lower CA", aia_url=aia_server.url("/upper.p7c"))
        leaf = pki.leaf(lower, aia_url=aia_server.url("/lower.crt"))
        aia_server.serve("/lower.crt", pem(lower.cert))
        aia_server.serve("/upper.p7c", p7c(upper.cert))
        out = tmp_path / "out.crt"
        result = runner.invoke(main, [
            "build", str(leaf.write(tmp_path / "host.crt")), "--trust",
            str(root.write(tmp_path / "root.crt")), "--at", T0_ISO, "--fetch-missing",
            "-o", str(out), "--json",
        ])
        assert ExitCode.OK == result.exit_code, result.stdout
        assert leaf.pem + lower.pem + upper.pem + root.pem == out.read_bytes()
        assert ["/lower.crt", "/upper.p7c"] == aia_server.hits
        assert [1, 2] == [f["cert"] for f in of_code(result, "fetched-issuer")]


class TestProblems:
    @pytest.mark.parametrize(("path", "knobs", "reason"), [
        ("/wrong", {"body": "wrong"}, "wrong-issuer"),
        ("/gone", None, "http-status"),
        ("/page", {"body": b"<html>Moved</html>"}, "not-a-certificate"),
        ("/huge", {"body": b"0" * (1024 * 1024 + 1)}, "too-big"),
        ("/to-file", {"status": 302, "location": "file:///etc/passwd"}, "redirect-refused"),
        ("/loop", {"status": 302, "location": "/loop"}, "redirect-refused"),
    ])
    def test_reason(
        self, runner: CliRunner, pki: PKI, aia_server: AiaServer, tmp_path: Path,
        fetch_env: Path, path: str, knobs: dict[str, Any] | None, reason: str,
    ) -> None:
        """Each way a URL fails is a fetch-failed warning naming it, and missing-issuer stays."""
        made = setup(pki, tmp_path / "files", aia_server.url(path))
        if knobs is not None:
            if knobs.get("body") == "wrong":
                knobs = {"body": der(pki.intermediate(pki.root()).cert)}
            aia_server.serve(path, **knobs)
        result = made.build(runner, "--fetch-missing", "--json")
        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        [failed] = of_code(result, "fetch-failed")
        assert ("warning", 0) == (failed["severity"], failed["cert"])
        assert {"url": made.url, "cached": False, "reason": reason} == failed["download"]
        assert made.url in failed["message"]
        assert of_code(result, "missing-issuer")
        assert not (made.folder / "out.crt").exists()

    def test_redirect_is_followed(
        self, runner: CliRunner, pki: PKI, aia_server: AiaServer, tmp_path: Path, fetch_env: Path
    ) -> None:
        """A redirect to http(s) is followed."""
        made = setup(pki, tmp_path / "files", aia_server.url("/old"))
        aia_server.serve("/old", status=301, location=aia_server.url("/int.der"))
        aia_server.serve("/int.der", der(made.inter.cert))
        result = made.build(runner, "--fetch-missing")
        assert ExitCode.OK == result.exit_code, result.stderr
        assert ["/old", "/int.der"] == aia_server.hits

    def test_timeout(
        self, runner: CliRunner, pki: PKI, aia_server: AiaServer, tmp_path: Path, fetch_env: Path
    ) -> None:
        """A response that never ends is given up after --timeout seconds."""
        made = setup(pki, tmp_path / "files", aia_server.serve("/slow", trickle=True))
        start = time.monotonic()
        result = made.build(runner, "--fetch-missing", "--timeout", "1", "--json")
        assert time.monotonic() - start < 3
        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        [failed] = of_code(result, "fetch-failed")
        assert "timeout" == failed["download"]["reason"]
        assert "no complete answer within 1 s" in failed["message"]

    @pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "601", "1e9", "ten", ""])
    def test_absurd_timeout_is_a_usage_error(
        self, runner: CliRunner, served: Setup, value: str
    ) -> None:
        """--timeout takes 0.1 to 600 seconds; anything else is exit 2 before any work."""
        result = served.build(runner, "--fetch-missing", "--timeout", value)
        assert ExitCode.BAD_INPUT == result.exit_code
        assert "--timeout" in result.stderr

    def test_url_with_control_characters_is_escaped(
        self, runner: CliRunner, pki: PKI, tmp_path: Path, fetch_env: Path
    ) -> None:
        """A URL with an escape sequence is refused, and shown escaped."""
        made = setup(pki, tmp_path / "files", "http://ca.example/\x1b[31mred")
        result = made.build(runner, "--fetch-missing")
        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert "\x1b" not in result.stdout
        assert "http://ca.example/\\x1b[31mred: certchain fetches only http and https" in (
            result.stdout
        )


class TestCache:
    def test_second_run_offline(
        self, runner: CliRunner, served: Setup, aia_server: AiaServer, fetch_env: Path
    ) -> None:
        """A second run works with the server stopped, from $XDG_CACHE_HOME/certchain."""
        assert ExitCode.OK == served.build(runner, "--fetch-missing").exit_code
        assert [p.name.startswith("aia-") for p in fetch_env.iterdir()] == [True]
        aia_server.stop()
        result = served.build(runner, "--fetch-missing", "--json")
        assert ExitCode.OK == result.exit_code
        [fetched] = of_code(result, "fetched-issuer")
        assert fetched["download"]["cached"] is True

    def test_home_cache_without_xdg(
        self, runner: CliRunner, served: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without XDG_CACHE_HOME, the cache is ~/.cache/certchain."""
        monkeypatch.delenv("XDG_CACHE_HOME")
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        assert ExitCode.OK == served.build(runner, "--fetch-missing").exit_code
        assert 1 == len(list((tmp_path / "home" / ".cache" / "certchain").iterdir()))

    def test_damaged_entry_is_fetched_again(
        self, runner: CliRunner, served: Setup, aia_server: AiaServer, fetch_env: Path
    ) -> None:
        """A damaged cache entry is ignored and fetched again, never an error."""
        served.build(runner, "--fetch-missing")
        entry = IssuerCache(fetch_env).entry(served.url)
        entry.write_bytes(entry.read_bytes()[:200])
        result = served.build(runner, "--fetch-missing", "--json")
        assert ExitCode.OK == result.exit_code
        assert of_code(result, "fetched-issuer")[0]["download"]["cached"] is False
        assert 2 == len(aia_server.hits)
        aia_server.stop()
        assert ExitCode.OK == served.build(runner, "--fetch-missing").exit_code  # repaired

    def test_no_cache(
        self, runner: CliRunner, served: Setup, aia_server: AiaServer, fetch_env: Path
    ) -> None:
        """--no-cache neither writes nor reads the cache."""
        assert ExitCode.OK == served.build(runner, "--fetch-missing", "--no-cache").exit_code
        assert not fetch_env.exists()
        served.build(runner, "--fetch-missing")  # now cached
        aia_server.stop()
        result = served.build(runner, "--fetch-missing", "--no-cache", "--json")
        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert "connection" == of_code(result, "fetch-failed")[0]["download"]["reason"]

    def test_unwritable_cache_is_no_error(
        self, runner: CliRunner, served: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A cache that cannot be written: the build succeeds, and the finding says why."""
        blocker = tmp_path / "blocker"
        blocker.write_text("a file where the cache folder would be")
        monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
        result = served.build(runner, "--fetch-missing")
        assert ExitCode.OK == result.exit_code
        assert "It could not be cached: the cache folder" in result.stdout


class TestVerify:
    def test_leaf_alone_and_the_repair(
        self, runner: CliRunner, served: Setup, aia_server: AiaServer
    ) -> None:
        """verify fetches to judge the path, says the file lacks it; its repair works offline."""
        result = served.run(runner, "verify", "--fetch-missing")
        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert "is not in the file: certchain fetched it from" in result.stdout
        assert "fetched-issuer:" in result.stdout
        repair = next(ln for ln in result.stdout.splitlines() if "can repair this file" in ln)
        command = repair.split(": ", 1)[1].split()
        assert "--fetch-missing" in command
        aia_server.stop()
        fixed = runner.invoke(main, command[1:])
        assert ExitCode.OK == fixed.exit_code, fixed.stderr
        assert served.leaf.pem + served.inter.pem == served.host.read_bytes()
        again = served.run(runner, "verify")
        assert ExitCode.OK == again.exit_code, again.stdout

    def test_downloads_are_shared_by_the_files_of_a_run(
        self, runner: CliRunner, pki: PKI, aia_server: AiaServer, tmp_path: Path, fetch_env: Path
    ) -> None:
        """Ten downloads per run, across files; the limit reached is reported as such."""
        root = pki.root()
        inter = pki.intermediate(root)
        files = []
        for n in range(2):
            urls = [aia_server.url(f"/{n}/{k}") for k in range(6)]
            leaf = pki.leaf(inter, extra_extensions=aia(*urls))
            files.append(str(leaf.write(tmp_path / f"host{n}.crt")))
        result = runner.invoke(main, [
            "verify", *files, "--trust", str(root.write(tmp_path / "root.crt")), "--at", T0_ISO,
            "--fetch-missing", "--json",
        ])
        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert 10 == len(aia_server.hits)
        reports = [json.loads(line) for line in result.stdout.splitlines()]
        reasons = [
            [f["download"]["reason"] for f in r["findings"] if f["code"] == "fetch-failed"]
            for r in reports
        ]
        assert ["http-status"] * 6 == reasons[0]
        assert ["http-status"] * 4 + ["limit-reached"] == reasons[1]
        [limit] = [f for f in reports[1]["findings"]
                   if f.get("download", {}).get("reason") == "limit-reached"]
        assert "10 downloads, the most in one run" in limit["message"]

    def test_same_issuer_for_several_files_is_fetched_once(
        self, runner: CliRunner, served: Setup, pki: PKI, aia_server: AiaServer, tmp_path: Path
    ) -> None:
        """Files of one run that name the same URL cost one download, even with --no-cache."""
        other = pki.leaf(served.inter, "other.example.org", aia_url=served.url)
        result = runner.invoke(main, [
            "verify", str(served.host), str(other.write(tmp_path / "other.crt")), "--trust",
            str(served.root_file), "--at", T0_ISO, "--fetch-missing", "--no-cache",
        ])
        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        assert ["/int.der"] == aia_server.hits
