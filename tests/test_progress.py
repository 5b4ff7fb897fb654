"""
Progress on a terminal: ``audit`` counts sites and ``verify`` of many files counts
files on stderr, only when a person watches (issue 12).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostkit import Host, fake_host
from pki import PKI, T0_ISO
from terminal import run_on_terminal

from certchain.cli import ExitCode, main
from certchain.cli import progress as progress_module


@pytest.fixture
def host(tmp_path: Path, pki: PKI) -> Host:
    """Three certbot lineages, one missing its intermediate."""
    host = fake_host(tmp_path, pki)
    for name in ("a.example.org", "b.example.org"):
        host.add_lineage(name)
    host.add_lineage("c.example.org", chain=False)
    return host


def chains(host: Host) -> list[str]:
    return [str(live / "fullchain.pem") for live in host.lineages.values()]


def audit_args(host: Host, *args: str) -> list[str]:
    return ["audit", "--root", str(host.root), "--trust", str(host.trust), "--at", T0_ISO, *args]


def verify_args(host: Host, *args: str) -> list[str]:
    return ["verify", *chains(host), "--trust", str(host.trust), "--at", T0_ISO, *args]


def on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run certchain with stdout and stderr on one pseudo-terminal: (status, what it showed)."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    status, output = run_on_terminal(
        [sys.executable, "-m", "certchain", *args], env, stderr_too=True)
    return status, output.decode()


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if stdout and stderr were a terminal (click then draws the bar's label only)."""
    monkeypatch.setattr(progress_module, "on_terminal", lambda: True)


class TestShown:
    def test_audit_on_a_terminal(self, runner: CliRunner, host: Host, watched: None) -> None:
        """audit shows its progress bar on stderr; stdout has the report alone."""
        result = runner.invoke(main, audit_args(host))

        assert result.stderr.startswith("Auditing")
        assert "Auditing" not in result.stdout and result.stdout.startswith("SERVER")

    def test_verify_of_many_files(self, runner: CliRunner, host: Host, watched: None) -> None:
        """verify of several files shows its progress bar on stderr."""
        result = runner.invoke(main, verify_args(host))

        assert "Verifying" in result.stderr
        assert "Verifying" not in result.stdout
        assert result.exit_code == ExitCode.CHAIN_PROBLEM

    def test_drawn_on_a_real_terminal(self, host: Host) -> None:
        """On a pseudo-terminal, the bar counts sites done of how many, then the table."""
        status, text = on_a_terminal(audit_args(host))

        assert status == ExitCode.CHAIN_PROBLEM
        assert re.search(r"Auditing.*3/3", text), text
        assert text.index("3/3") < text.index("SERVER")

    def test_verify_drawn_on_a_real_terminal(self, host: Host) -> None:
        """verify's bar is cleared before each report, so no report starts inside it."""
        status, text = on_a_terminal(verify_args(host))

        assert status == ExitCode.CHAIN_PROBLEM
        assert re.search(r"Verifying.*3/3", text), text
        for chain in chains(host):
            assert f"\r\x1b[K{chain}" in text  # each report starts on a cleared line


class TestNotShown:
    def test_not_when_piped(self, runner: CliRunner, host: Host) -> None:
        """Piped (click's runner is no terminal): no bar, for audit or verify."""
        for args in (audit_args(host), verify_args(host)):
            result = runner.invoke(main, args)
            assert result.stderr == "", args

    @pytest.mark.parametrize("flag", ["--quiet", "--json"])
    def test_not_with_quiet_or_json(
        self, runner: CliRunner, host: Host, watched: None, flag: str
    ) -> None:
        """--quiet and --json: no bar, even on a terminal."""
        for args in (audit_args(host, flag), verify_args(host, flag)):
            result = runner.invoke(main, args)
            assert "Auditing" not in result.stderr and "Verifying" not in result.stderr, args

    def test_not_for_one_file(self, runner: CliRunner, host: Host, watched: None) -> None:
        """verify of one file has nothing to count."""
        result = runner.invoke(main, ["verify", chains(host)[0], "--trust", str(host.trust),
                                      "--at", T0_ISO])

        assert result.stderr == "" and result.exit_code == ExitCode.OK
