"""
``--trust certifi|system|PATH`` on the judging commands: the stores merge, a
missing system store is one error line, and suggested commands repeat them.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pki import PKI, T0, T0_ISO, Hierarchy
from trustkit import as_system_store, no_system_store  # noqa: F401  # a fixture

from certchain.cli import ExitCode, main
from certchain.deploy import chain_command
from certchain.policy import Policy
from certchain.trust import store_from_specs

REPAIR = "certchain build can repair this file: "


def verify(runner: CliRunner, *args: object) -> Result:
    """Run ``certchain verify ARGS --at T0_ISO``."""
    return runner.invoke(main, ["verify", *(str(a) for a in args), "--at", T0_ISO])


@pytest.fixture
def served(tmp_path: Path, chain3: Hierarchy) -> Path:
    """A chained file (leaf, intermediate) whose root only the test stores hold."""
    path = tmp_path / "hub-chained.crt"
    path.write_bytes(chain3.leaf.pem + chain3.intermediate.pem)
    return path


class TestSystem:
    def test_system_store_trusts_its_roots(
        self, runner: CliRunner, served: Path, chain3: Hierarchy, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """--trust system trusts the roots of the bundle $SSL_CERT_FILE names."""
        as_system_store(monkeypatch, tmp_path, chain3.root)

        result = verify(runner, served, "--trust", "system", "--json")

        assert ExitCode.OK == result.exit_code, result.output
        doc = json.loads(result.stdout)
        assert "untrusted-root" not in {f["code"] for f in doc["findings"]}

    def test_system_store_without_the_root(
        self, runner: CliRunner, served: Path, pki_other_root: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A chain whose root the system store lacks is an error (its issuer is missing)."""
        monkeypatch.setenv("SSL_CERT_FILE", str(pki_other_root))
        empty = tmp_path / "empty"
        empty.mkdir()
        monkeypatch.setenv("SSL_CERT_DIR", str(empty))

        result = verify(runner, served, "--trust", "system", "--json")

        assert ExitCode.CHAIN_PROBLEM == result.exit_code, result.output
        codes = {f["code"]: f["severity"] for f in json.loads(result.stdout)["findings"]}
        assert codes["missing-issuer"] == "error"
        assert "system (" in result.stdout

    @pytest.mark.usefixtures("no_system_store")
    def test_no_system_store(self, runner: CliRunner, served: Path) -> None:
        """Where there is no system store, --trust system is one error line and exit 2."""
        result = verify(runner, served, "--trust", "system")

        assert ExitCode.BAD_INPUT == result.exit_code
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith("Error: no system trust store was found")

    @pytest.mark.usefixtures("no_system_store")
    def test_no_system_store_json(self, runner: CliRunner, served: Path) -> None:
        """With --json, the missing system store is a trust-store-error object."""
        result = verify(runner, served, "--trust", "system", "--json")

        assert ExitCode.BAD_INPUT == result.exit_code
        assert json.loads(result.stdout)["error"]["code"] == "trust-store-error"

    def test_build_with_system(
        self, runner: CliRunner, chain3: Hierarchy, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """build --trust system completes the chain with a root of the system store."""
        as_system_store(monkeypatch, tmp_path, chain3.root)
        host = chain3.leaf.write(tmp_path / "hub.crt")
        inter = chain3.intermediate.write(tmp_path / "inter.crt")

        result = runner.invoke(main, ["build", str(host), str(inter), "--trust", "system",
                                      "--at", T0_ISO, "--json"])

        assert ExitCode.OK == result.exit_code, result.output
        assert [c["role"] for c in json.loads(result.stdout)["chain"]] == [
            "leaf", "intermediate", "root"]


class TestMerged:
    def test_certifi_explicit_refuses_a_private_root(
        self, runner: CliRunner, served: Path
    ) -> None:
        """--trust certifi names Mozilla's roots as the clients' store: a private CA fails."""
        result = verify(runner, served, "--trust", "certifi", "--json")

        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        codes = {f["code"]: f["severity"] for f in json.loads(result.stdout)["findings"]}
        assert codes["missing-issuer"] == "error"

    def test_certifi_and_a_private_root(
        self, runner: CliRunner, served: Path, chain3: Hierarchy, tmp_path: Path
    ) -> None:
        """--trust certifi --trust ROOT merges both stores: the private chain verifies."""
        root = chain3.root.write(tmp_path / "root.pem")

        result = verify(runner, served, "--trust", "certifi", "--trust", root)

        assert ExitCode.OK == result.exit_code, result.output

    def test_path_called_system(
        self, runner: CliRunner, served: Path, chain3: Hierarchy, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """./system is a file, not the system store."""
        chain3.root.write(tmp_path / "system")
        monkeypatch.chdir(tmp_path)

        result = verify(runner, served, "--trust", "./system")

        assert ExitCode.OK == result.exit_code, result.output


class TestSuggestedCommands:
    def test_repair_repeats_named_stores(
        self, runner: CliRunner, chain3: Hierarchy, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """verify's repair command gives --trust system and the paths again, as given."""
        as_system_store(monkeypatch, tmp_path, chain3.root)
        wrong = tmp_path / "wrong.crt"
        wrong.write_bytes(chain3.intermediate.pem + chain3.leaf.pem)
        extra = chain3.root.write(tmp_path / "extra.pem")

        result = verify(runner, wrong, "--trust", "system", "--trust", extra)

        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith(REPAIR)]
        words = shlex.split(line[len(REPAIR):])
        assert words[3:7] == ["--trust", "system", "--trust", str(extra)]

    def test_chain_command_repeats_named_stores(
        self, chain3: Hierarchy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The build command config and doctor suggest names the stores, then the paths."""
        as_system_store(monkeypatch, tmp_path, chain3.root)
        root = chain3.root.write(tmp_path / "root.pem")
        policy = Policy(store=store_from_specs(["system", "certifi", root]), at=T0)

        words = shlex.split(chain_command(tmp_path / "hub.p7b", policy))

        assert words[3:9] == ["--trust", "system", "--trust", "certifi", "--trust", str(root)]


@pytest.fixture
def pki_other_root(tmp_path: Path) -> Path:
    """A bundle holding an unrelated root."""
    path = tmp_path / "other-root.pem"
    PKI().root("Other Root").write(path)
    return path
