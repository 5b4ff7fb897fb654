"""
Option values are validated with a click error, never a traceback (issue 9):
times, day counts, depths and sizes, on every command; and a configuration
too deep for Python's parser is an error line, not a RecursionError.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from pki import T0, T0_ISO, Hierarchy, key_pem

from certchain.cli import ExitCode, main
from certchain.cli.common import MAX_WARN_DAYS
from certchain.cli.types import Instant, Size
from certchain.doctor import doctor_config
from certchain.findings import Code
from certchain.jhconfig import ConfigError, parse_settings, set_ssl
from certchain.policy import Policy
from certchain.trust import certifi_store

COMMANDS = ("build", "verify", "config", "doctor")


def invoke(runner: CliRunner, *args: object) -> Result:
    return runner.invoke(main, [str(a) for a in args])


@pytest.fixture
def site(tmp_path: Path, chain3: Hierarchy) -> Path:
    """hub.crt (leaf and intermediate), hub.key and root.crt."""
    (tmp_path / "hub.crt").write_bytes(chain3.leaf.pem + chain3.intermediate.pem)
    (tmp_path / "hub.key").write_bytes(key_pem(chain3.leaf.key))
    chain3.root.write(tmp_path / "root.crt")
    return tmp_path


def usage_error(result: Result, option: str) -> str:
    """Assert *result* is a usage error about *option*; return its message."""
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"Invalid value for '{option}'" in result.stderr
    return result.stderr


def first_arg(command: str, site: Path) -> list[Any]:
    """The positional arguments *command* needs."""
    return [site / "jupyterhub_config.py"] if command == "doctor" else [site / "hub.crt"]


# ------------------------------------------------------------ --at


class TestAt:
    @pytest.mark.parametrize("command", COMMANDS)
    def test_out_of_range_offset(self, runner: CliRunner, site: Path, command: str) -> None:
        """--at 0001-01-01T00:00:00+14:00 (before UTC's year 1) is a usage error everywhere."""
        result = invoke(runner, command, *first_arg(command, site),
                        "--at", "0001-01-01T00:00:00+14:00")

        message = usage_error(result, "--at")
        assert "out of range" in message

    def test_end_of_calendar(self, runner: CliRunner, site: Path) -> None:
        """9999-12-31T23:59:59-05:00 is past UTC's last day: a usage error."""
        result = invoke(runner, "verify", site / "hub.crt", "--at", "9999-12-31T23:59:59-05:00")

        usage_error(result, "--at")

    def test_json_gets_a_usage_object(self, runner: CliRunner, site: Path) -> None:
        """With --json the bad --at is a JSON error object of code usage."""
        result = invoke(runner, "verify", site / "hub.crt", "--json",
                        "--at", "0001-01-01T00:00:00+14:00")

        assert json.loads(result.stdout)["error"]["code"] == "usage"

    def test_extremes_that_fit(self, runner: CliRunner, site: Path) -> None:
        """The calendar's own ends in UTC are accepted (and judged: the chain is not valid then)."""
        for moment in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
            result = invoke(runner, "verify", site / "hub.crt", "--at", moment)
            assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output

    def test_param_type(self) -> None:
        """Instant raises click's BadParameter for a time UTC cannot hold."""
        with pytest.raises(click.BadParameter, match="out of range"):
            Instant().convert("0001-01-01T00:00:00+14:00", None, None)


# ------------------------------------------------------------ day counts, depths


class TestCounts:
    @pytest.mark.parametrize("command", COMMANDS)
    def test_warn_days_too_large(self, runner: CliRunner, site: Path, command: str) -> None:
        """--warn-days 10000000000 is a usage error naming the range, on every judging command."""
        result = invoke(runner, command, *first_arg(command, site),
                        "--warn-days", "10000000000", "--at", T0_ISO)

        assert f"0<=x<={MAX_WARN_DAYS}" in usage_error(result, "--warn-days")

    def test_warn_days_largest(self, runner: CliRunner, site: Path) -> None:
        """The largest --warn-days works: every certificate expires soon."""
        result = invoke(runner, "verify", site / "hub.crt", "--trust", site / "root.crt",
                        "--warn-days", MAX_WARN_DAYS, "--at", T0_ISO, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
        assert "expires-soon" in codes

    def test_max_depth(self, runner: CliRunner, site: Path) -> None:
        """--max-depth is 0 to 255."""
        result = invoke(runner, "verify", site / "hub.crt", "--max-depth", "256")

        assert "0<=x<=255" in usage_error(result, "--max-depth")


# ------------------------------------------------------------ sizes


class TestSize:
    @pytest.mark.parametrize(("text", "size"), [
        ("1", 1), ("1024", 1024), ("1K", 1024), ("1k", 1024), ("50M", 50 << 20),
        ("50MB", 50 << 20), ("50MiB", 50 << 20), ("1G", 1 << 30), ("4G", 4 << 30),
        (" 2 M ", 2 << 20),
    ])
    def test_accepted(self, text: str, size: int) -> None:
        """Bytes, or K, M, G (powers of 1024), with an optional B or iB."""
        assert Size().convert(text, None, None) == size

    @pytest.mark.parametrize("text", ["0", "-1", "", "1X", "1.5M", "5G", "1T", "9" * 40])
    def test_refused(self, text: str) -> None:
        """Zero, negatives, fractions, unknown units and more than 4G are refused."""
        with pytest.raises(click.BadParameter):
            Size().convert(text, None, None)

    @pytest.mark.parametrize("command", [*COMMANDS, "inspect"])
    def test_cli(self, runner: CliRunner, site: Path, command: str) -> None:
        """A bad --max-input-size is a usage error on every command that reads files."""
        result = invoke(runner, command, *first_arg(command, site), "--max-input-size", "lots")

        assert "is not a size" in usage_error(result, "--max-input-size")


# ------------------------------------------------------------ deep configurations


class TestDeepConfig:
    DEEP = "c.JupyterHub.ssl_cert = " + "+".join(["1"] * 200_000) + "\n"  # 391 KiB

    def test_library(self) -> None:
        """A 200,000-term expression is a ConfigError saying Python cannot parse it either."""
        with pytest.raises(ConfigError, match="nested too deeply for Python's parser"):
            parse_settings(self.DEEP)
        with pytest.raises(ConfigError, match="nested too deeply"):
            set_ssl(self.DEEP, Path("/a.crt"), Path("/a.key"))

    def test_doctor(self, runner: CliRunner, tmp_path: Path) -> None:
        """doctor on it: one Error line, exit 2, code config-error in JSON."""
        config = tmp_path / "jupyterhub_config.py"
        config.write_text(self.DEEP)

        result = invoke(runner, "doctor", config, "--json", "--at", T0_ISO)

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert json.loads(result.stdout)["error"]["code"] == "config-error"
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"Error: {config}: is nested too deeply")

    def test_config_write_leaves_it(self, runner: CliRunner, site: Path) -> None:
        """config --write on it refuses and leaves the file as it was."""
        config = site / "jupyterhub_config.py"
        config.write_text(self.DEEP)

        result = invoke(runner, "config", site / "hub.crt", "--key", site / "hub.key",
                        "--trust", site / "root.crt", "--write", config, "--at", T0_ISO)

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert config.read_text() == self.DEEP
        assert not config.with_name(config.name + ".bak").exists()

    def test_deep_value_is_a_finding(self, tmp_path: Path) -> None:
        """A value Python parses but certchain cannot evaluate is an unevaluated-config finding."""
        config = tmp_path / "jupyterhub_config.py"
        config.write_text("c.JupyterHub.ssl_cert = " + "-" * 1000 + "1\n")

        report = doctor_config(config, policy=Policy(store=certifi_store(), at=T0)).sites[0].report

        assert Code.UNEVALUATED_CONFIG in {f.code for f in report.findings}
