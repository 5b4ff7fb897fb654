"""
How the output reaches the user: the key file a command writes, hints per
command, failures of stdout itself, Ctrl-C, JSON for every failure,
``--quiet``, colour, width and shell completion (issue 8).

CLI tests run the real commands through click's runner; output failures,
signals, terminals and completion run ``python -m certchain`` (or the
installed script) as a real process.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import installed_script
from pki import PKI, T0, T0_ISO, Hierarchy, key_pem
from terminal import run_on_terminal

from certchain import Finding
from certchain.cli import ExitCode, main
from certchain.findings import Code, Severity
from certchain.layout import shorten_middle, visible_len, wrap_line
from certchain.report import (
    build_dict,
    build_text,
    chain_lines,
    error_dict,
    error_lines,
    finding_lines,
)

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RED = "\x1b[31m"
LONG_ORG = "A Very Long Organisation Name For Reports Inc"
PASSWORD = b"output-secret-5"


def run(runner: CliRunner, *args: object, **kwargs: Any) -> Result:
    """Run certchain with *args* and ``--at T0``."""
    return runner.invoke(main, [*(str(a) for a in args), "--at", T0_ISO], **kwargs)


def python_certchain(*args: object, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m certchain ARGS --at T0`` as a real process (output captured)."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(
        [sys.executable, "-m", "certchain", *(str(a) for a in args), "--at", T0_ISO],
        timeout=60, check=False, **kwargs,
    )


@pytest.fixture
def site(tmp_path: Path, chain3: Hierarchy) -> Path:
    """host.crt, host.key, inter.crt, root.crt and chain.pem (leaf + intermediate)."""
    folder = tmp_path / "site"
    folder.mkdir()
    chain3.leaf.write(folder / "host.crt")
    (folder / "host.key").write_bytes(key_pem(chain3.leaf.key))
    chain3.intermediate.write(folder / "inter.crt")
    chain3.root.write(folder / "root.crt")
    (folder / "chain.pem").write_bytes(chain3.leaf.pem + chain3.intermediate.pem)
    return folder


def names_in(folder: Path) -> list[str]:
    """The names in *folder*, hidden ones included."""
    return sorted(os.listdir(folder))


# ------------------------------------------------------------------ HAProxy


class TestHaproxy:
    def test_relative_combined_is_absolute_in_the_snippet(
        self, runner: CliRunner, site: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`--combined w/hap.pem` prints `crt /abs/w/hap.pem`, as config does."""
        monkeypatch.chdir(site)
        (site / "w").mkdir()

        built = run(runner, "build", "host.crt", "inter.crt", "root.crt", "--format", "haproxy",
                    "--combined", "w/hap.pem")
        configured = run(runner, "config", "host-chained.crt", "--trust", "root.crt",
                         "--format", "haproxy", "--combined", "w/hap2.pem")

        assert built.exit_code == ExitCode.OK, built.output
        assert configured.exit_code == ExitCode.OK, configured.output
        absolute = site / "w" / "hap.pem"
        assert f"bind :443 ssl crt {absolute}\n" in built.stdout
        assert f"bind :443 ssl crt {site / 'w' / 'hap2.pem'}\n" == configured.stdout.splitlines(
            keepends=True)[-1]

    def test_report_says_the_key_file_and_its_mode(
        self, runner: CliRunner, site: Path
    ) -> None:
        """The text report says the key and chain were written, with mode 0600."""
        combined = site / "hap.pem"

        result = run(runner, "build", site / "host.crt", site / "inter.crt", site / "root.crt",
                     "--format", "haproxy", "--combined", combined)

        assert result.exit_code == ExitCode.OK, result.output
        assert f"Wrote the key and chain to {combined} (mode 0600).\n" in result.stdout
        assert stat.S_IMODE(combined.stat().st_mode) == 0o600

    def test_json_says_it(self, runner: CliRunner, site: Path) -> None:
        """--json has combined: {path, mode}; null without --combined."""
        combined = site / "hap.pem"
        args = (site / "host.crt", site / "inter.crt", site / "root.crt", "--json")

        with_key = run(runner, "build", *args, "--combined", combined, "-o", site / "a.crt")
        without = run(runner, "build", *args, "-o", site / "b.crt")

        assert json.loads(with_key.stdout)["combined"] == {"path": str(combined), "mode": "0600"}
        assert json.loads(without.stdout)["combined"] is None

    def test_library_report(self, chain3: Hierarchy) -> None:
        """build_text and build_dict say which key file was written, and its mode."""
        from certchain import Material, Policy, TrustStore, build_chain, load_bytes

        result = build_chain(
            load_bytes(chain3.leaf.pem), load_bytes(chain3.intermediate.pem + chain3.root.pem),
            policy=Policy(store=TrustStore((), "none"), at=T0), keys=Material(),
        )
        where = Path("/srv/hub/hap.pem")

        text = build_text(result, Path("host.crt"), "/srv/hub/x.crt", None, combined=where)

        assert "Wrote the key and chain to /srv/hub/hap.pem (mode 0600).\n" in text
        assert build_dict(result, "/srv/hub/x.crt", None, combined=where)["combined"] == {
            "path": "/srv/hub/hap.pem", "mode": "0600"}
        assert "Wrote the key" not in build_text(result, Path("host.crt"), None, None)

    def test_config_says_it(self, runner: CliRunner, site: Path) -> None:
        """config says on stderr that it wrote the key file, and its mode."""
        built = run(runner, "build", site / "host.crt", site / "inter.crt", site / "root.crt")
        combined = site / "hap.pem"

        result = run(runner, "config", site / "host-chained.crt", "--trust", site / "root.crt",
                     "--format", "haproxy", "--combined", combined)

        assert built.exit_code == result.exit_code == ExitCode.OK, result.output
        assert f"Wrote the key and chain to {combined} (mode 0600)." in result.stderr

    def test_chain_to_stdout_still_writes_the_combined_file(
        self, runner: CliRunner, site: Path
    ) -> None:
        """`-o - --combined F` prints the chain and writes F (mode 0600), and says so."""
        combined = site / "hap.pem"

        result = run(runner, "build", site / "host.crt", site / "inter.crt", site / "root.crt",
                     "-o", "-", "--combined", combined)

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stdout.startswith("-----BEGIN CERTIFICATE-----")
        assert combined.stat().st_mode & 0o777 == 0o600
        assert b"PRIVATE KEY" in combined.read_bytes()
        assert f"Wrote the key and chain to {combined} (mode 0600)." in result.stderr

    @pytest.mark.parametrize("command", ["build", "config"])
    def test_combined_dash_is_refused(
        self, runner: CliRunner, site: Path, monkeypatch: pytest.MonkeyPatch, command: str
    ) -> None:
        """`--combined -` is a usage error: no file named '-', nothing written, exit 2."""
        monkeypatch.chdir(site)
        run(runner, "build", "host.crt", "inter.crt", "root.crt")
        before = names_in(site)
        first = ["host.crt", "inter.crt", "root.crt"] if command == "build" else [
            "host-chained.crt", "--trust", "root.crt"]

        result = run(runner, command, *first, "--format", "haproxy", "--combined", "-",
                     "--force")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "holds the private key" in result.stderr
        assert names_in(site) == before
        assert not (site / "-").exists()


# ------------------------------------------------------------ hints per command


class TestExistingOutputHints:
    def test_config_combined_exists(self, runner: CliRunner, site: Path) -> None:
        """config onto an existing --combined file hints --force, never -o."""
        run(runner, "build", site / "host.crt", site / "inter.crt", site / "root.crt")
        combined = site / "hap.pem"
        combined.write_text("keep me\n")

        result = run(runner, "config", site / "host-chained.crt", "--trust", site / "root.crt",
                     "--format", "haproxy", "--combined", combined)

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "--force replaces it" in result.stderr
        assert re.search(r"\s-o\s", result.stderr) is None
        assert combined.read_text() == "keep me\n"

    def test_build_combined_exists(self, runner: CliRunner, site: Path) -> None:
        """build onto an existing --combined file names --combined, not -o."""
        combined = site / "hap.pem"
        combined.write_text("keep me\n")

        result = run(runner, "build", site / "host.crt", site / "inter.crt", site / "root.crt",
                     "--combined", combined)

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "another --combined FILE writes elsewhere" in result.stderr
        assert "-o writes" not in result.stderr

    def test_build_output_exists_keeps_its_hint(self, runner: CliRunner, site: Path) -> None:
        """build onto an existing chained file still hints -o."""
        (site / "host-chained.crt").write_text("old\n")

        result = run(runner, "build", site / "host.crt", site / "inter.crt")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "(--force replaces it; -o writes elsewhere)." in result.stderr


# ------------------------------------------------------------ output failures


class TestOutputFailures:
    def test_full_disk(self, site: Path) -> None:
        """stdout on /dev/full: one Error: line, exit 2, no traceback."""
        with open("/dev/full", "wb") as full:
            done = python_certchain("verify", site / "chain.pem", "--trust", site / "root.crt",
                                    stdout=full, stderr=subprocess.PIPE)

        assert done.returncode == ExitCode.BAD_INPUT
        assert done.stderr.decode().splitlines() == [
            "Error: the output cannot be written: No space left on device."
        ]

    def test_closed_pipe(self, site: Path) -> None:
        """A stdout pipe closed by its reader ends the run quietly (exit 141)."""
        read, write = os.pipe()
        os.close(read)  # the reader is gone before the first byte: like `| head -0`
        try:
            done = python_certchain("inspect", site / "chain.pem", stdout=write,
                                    stderr=subprocess.PIPE)
        finally:
            os.close(write)

        assert done.returncode == 141
        assert done.stderr == b""

    def test_pipe_closed_after_the_first_line(self, site: Path) -> None:
        """`| head -1`: the reader takes one line and leaves; no traceback."""
        many = [site / "chain.pem"] * 200
        reader = subprocess.Popen(["head", "-1"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        assert reader.stdin is not None
        assert reader.stdout is not None
        done = python_certchain("inspect", *many, stdout=reader.stdin, stderr=subprocess.PIPE)
        reader.stdin.close()
        first = reader.stdout.read()
        reader.stdout.close()
        reader.wait(timeout=60)

        assert first.startswith(b"== ")
        assert done.returncode == 141
        assert b"Traceback" not in done.stderr and done.stderr == b""

    def test_ctrl_c_while_writing_leaves_nothing(self, site: Path) -> None:
        """SIGINT while the chained file is written: exit 130, no file, no temporary file."""
        hook = (
            "import os, signal, sys\n"
            "def interrupted(fd):\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "os.fsync = interrupted\n"
            "from certchain.cli import main\n"
            "sys.argv[0] = 'certchain'\n"
            "main()\n"
        )
        before = names_in(site)

        done = subprocess.run(
            [sys.executable, "-c", hook, "build", str(site / "host.crt"), str(site / "inter.crt"),
             str(site / "root.crt"), "--at", T0_ISO],
            capture_output=True, timeout=60, check=False,
        )

        assert done.returncode == 130, done.stderr
        assert b"Traceback" not in done.stderr
        assert names_in(site) == before

    def test_ctrl_c_while_reading_stdin(self, site: Path) -> None:
        """SIGINT while `verify -` waits for its input: exit 130, nothing printed."""
        hook = (
            "import io, os, signal, sys, time\n"
            "class Slow(io.RawIOBase):\n"
            "    def readable(self): return True\n"
            "    def readinto(self, buffer):\n"
            "        os.kill(os.getpid(), signal.SIGINT)\n"
            "        time.sleep(30)\n"
            "sys.stdin = io.TextIOWrapper(io.BufferedReader(Slow()))\n"
            "from certchain.cli import main\n"
            "sys.argv[0] = 'certchain'\n"
            "main()\n"
        )

        done = subprocess.run(
            [sys.executable, "-c", hook, "verify", "-", "--at", T0_ISO],
            capture_output=True, timeout=60, check=False,
        )

        assert done.returncode == 130
        assert done.stdout == b""
        assert b"Traceback" not in done.stderr


# ------------------------------------------------------------- JSON on exit 2


class TestJsonErrors:
    def assert_error(self, result: Result, code: str, file: Path | None) -> dict[str, Any]:
        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        (line,) = result.stdout.splitlines()
        doc: dict[str, Any] = json.loads(line)
        assert doc["ok"] is False
        assert set(doc["error"]) == {"code", "file", "message"}
        assert doc["error"]["code"] == code
        assert doc["error"]["file"] == (str(file) if file is not None else None)
        assert result.stderr.startswith("Error:") or "Error:" in result.stderr
        return doc

    def test_library_shape(self) -> None:
        """error_dict is {ok: false, error: {code, file, message}}."""
        assert error_dict("load-error", "x: gone.", "x") == {
            "ok": False, "error": {"code": "load-error", "file": "x", "message": "x: gone."}}

    def test_build_missing_input(self, runner: CliRunner, site: Path) -> None:
        """build --json with a missing input prints a load-error object naming it."""
        missing = site / "absent.crt"

        self.assert_error(run(runner, "build", site / "host.crt", missing, "--json"),
                          "load-error", missing)

    def test_build_password_required(self, runner: CliRunner, site: Path,
                                     chain3: Hierarchy) -> None:
        """An encrypted key without a password is password-required."""
        enc = site / "enc.key"
        enc.write_bytes(key_pem(chain3.leaf.key, PASSWORD))

        self.assert_error(
            run(runner, "build", site / "host.crt", site / "inter.crt", "--key", enc, "--json",
                input=""),
            "password-required", enc)

    def test_build_ambiguous_leaf(self, runner: CliRunner, site: Path, pki: PKI,
                                  chain3: Hierarchy) -> None:
        """A host file with two leaves is ambiguous-leaf."""
        host = site / "two.crt"
        host.write_bytes(chain3.leaf.pem + pki.leaf(chain3.intermediate).pem)

        self.assert_error(run(runner, "build", host, "--json"), "ambiguous-leaf", host)

    def test_build_output_exists(self, runner: CliRunner, site: Path) -> None:
        """An existing output is output-exists."""
        out = site / "host-chained.crt"
        out.write_text("old\n")

        self.assert_error(run(runner, "build", site / "host.crt", site / "inter.crt", "--json"),
                          "output-exists", out)

    def test_build_usage(self, runner: CliRunner, site: Path) -> None:
        """A usage error (haproxy without --combined) is usage, with no file."""
        doc = self.assert_error(
            run(runner, "build", site / "host.crt", "--format", "haproxy", "--json"),
            "usage", None)
        assert "--combined" in doc["error"]["message"]

    def test_bad_option_value(self, runner: CliRunner, site: Path) -> None:
        """Even a value click refuses (--warn-days -1) gives the JSON object."""
        self.assert_error(run(runner, "verify", site / "chain.pem", "--warn-days", "-1",
                              "--json"), "usage", None)

    def test_verify_trust_store(self, runner: CliRunner, site: Path) -> None:
        """An unreadable trust store is trust-store-error."""
        result = run(runner, "verify", site / "chain.pem", "--trust", site / "absent.pem",
                     "--json")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert json.loads(result.stdout)["error"]["code"] == "trust-store-error"

    def test_inspect_pkcs12(self, runner: CliRunner) -> None:
        """inspect --json of a PKCS#12 without its password is password-required."""
        from conftest import testdata

        pfx = testdata("formats", "bundle.pfx")
        result = run(runner, "inspect", pfx, "--json", input="")

        doc = self.assert_error(result, "password-required", pfx)
        assert doc["file"] == str(pfx)

    def test_doctor_missing_config(self, runner: CliRunner, tmp_path: Path) -> None:
        """doctor --json of a missing configuration is load-error."""
        config = tmp_path / "jupyterhub_config.py"

        self.assert_error(run(runner, "doctor", config, "--json"), "load-error", config)

    def test_no_json_no_object(self, runner: CliRunner, site: Path) -> None:
        """Without --json, exit 2 still prints nothing on stdout."""
        result = run(runner, "build", site / "host.crt", site / "absent.crt")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert result.stdout == ""


# ----------------------------------------------------------------- --quiet


class TestQuiet:
    def test_build_success_prints_nothing(self, runner: CliRunner, site: Path) -> None:
        """build -q of a good chain prints nothing and writes the file."""
        result = run(runner, "build", site / "host.crt", site / "inter.crt", site / "root.crt",
                     "-q")

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stdout == result.stderr == ""
        assert (site / "host-chained.crt").exists()

    def test_build_errors_only(self, runner: CliRunner, site: Path) -> None:
        """build -q of a broken chain prints only its error lines, naming the host file."""
        result = run(runner, "build", site / "host.crt", "--quiet")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM
        lines = result.stdout.splitlines()
        assert lines and all(ln.startswith(f"{site / 'host.crt'}: error ") for ln in lines)
        assert "warning" not in result.stdout

    def test_verify_warnings_are_silent(self, runner: CliRunner, site: Path) -> None:
        """verify -q of a file with warnings only prints nothing, exit 0."""
        result = run(runner, "verify", site / "chain.pem", site / "chain.pem", "--trust",
                     site / "root.crt", "-q", "--warn-days", "100000")

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stdout == result.stderr == ""

    def test_verify_errors(self, runner: CliRunner, site: Path) -> None:
        """verify -q prints one line per error, naming the file."""
        result = run(runner, "verify", site / "chain.pem", "-q")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM
        (line,) = result.stdout.splitlines()
        assert line.startswith(f"{site / 'chain.pem'}: error missing-issuer: ")

    def test_config_prints_only_the_lines(self, runner: CliRunner, site: Path) -> None:
        """config -q prints the configuration lines and nothing on stderr."""
        run(runner, "build", site / "host.crt", site / "inter.crt", site / "root.crt")

        result = run(runner, "config", site / "host-chained.crt", "-q")

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stderr == ""
        assert result.stdout.startswith("c.JupyterHub.ssl_cert = ")

    def test_config_errors_only(self, runner: CliRunner, site: Path) -> None:
        """config -q of a broken chain prints its error lines only, on stderr."""
        result = run(runner, "config", site / "chain.pem", "-q")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM
        assert result.stdout == ""
        assert all(": error " in ln for ln in result.stderr.splitlines())

    def test_doctor_and_inspect(self, runner: CliRunner, site: Path, tmp_path: Path) -> None:
        """doctor -q prints only errors; inspect -q prints nothing."""
        config = tmp_path / "jupyterhub_config.py"
        config.write_text(f"c.JupyterHub.ssl_cert = {str(site / 'chain.pem')!r}\n")

        doctor = run(runner, "doctor", config, "-q")
        inspect = run(runner, "inspect", site / "chain.pem", "-q")

        assert doctor.exit_code == ExitCode.CHAIN_PROBLEM
        assert all(ln.startswith(f"{config}: error ") for ln in doctor.stdout.splitlines())
        assert inspect.exit_code == ExitCode.OK
        assert inspect.stdout == ""

    def test_error_lines_library(self) -> None:
        """error_lines keeps only the errors, each naming the file."""
        found = [Finding(Code.EXPIRED, Severity.ERROR, "It expired."),
                 Finding(Code.NO_KEY, Severity.WARNING, "No key.")]

        assert error_lines(found, "f.pem") == ["f.pem: error expired: It expired."]


# ------------------------------------------------------------------ colour


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make click's runner streams say they are a terminal, 200 columns wide."""
    import click.testing

    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True,
                        raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("NO_COLOR", raising=False)


class TestColour:
    @pytest.mark.usefixtures("terminal")
    def test_build_colours_severities(self, runner: CliRunner, site: Path) -> None:
        """build on a terminal colours severities as verify does."""
        result = run(runner, "build", site / "host.crt", color=True)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM
        assert f"{RED}error  \x1b[0m" in result.stdout

    @pytest.mark.usefixtures("terminal")
    def test_no_color(self, runner: CliRunner, site: Path,
                      monkeypatch: pytest.MonkeyPatch) -> None:
        """NO_COLOR turns colour off on a terminal, for build, inspect and config."""
        monkeypatch.setenv("NO_COLOR", "1")
        run(runner, "build", site / "host.crt", site / "inter.crt", site / "root.crt")

        results = [run(runner, "build", site / "host.crt", "-o", site / "x.crt", color=True),
                   run(runner, "inspect", site / "chain.pem", color=True),
                   run(runner, "config", site / "chain.pem", color=True)]

        assert all("\x1b[" not in r.output for r in results)

    @pytest.mark.usefixtures("terminal")
    def test_inspect_and_config(self, runner: CliRunner, site: Path, pki: PKI,
                                chain3: Hierarchy) -> None:
        """inspect colours an expired certificate red; config colours its findings."""
        import datetime as dt

        expired = pki.leaf(chain3.intermediate, not_after=dt.datetime(2029, 1, 1,
                                                                    tzinfo=dt.timezone.utc))
        path = expired.write(site / "old.crt")

        inspected = run(runner, "inspect", path, color=True)
        configured = run(runner, "config", site / "chain.pem", color=True)

        assert f"{RED}EXPIRED" in inspected.stdout
        assert f"{RED}error  \x1b[0m" in configured.stderr

    def test_piped_has_no_colour(self, runner: CliRunner, site: Path) -> None:
        """Without a terminal there is no colour."""
        result = run(runner, "build", site / "host.crt", color=True)

        assert "\x1b[" not in result.output


# ------------------------------------------------------------------- width


def on_terminal(columns: int, *args: object) -> str:
    """Run ``python -m certchain ARGS`` on a terminal *columns* wide; return its text."""
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    _, output = run_on_terminal(
        [sys.executable, "-m", "certchain", *(str(a) for a in args), "--at", T0_ISO], env
    )
    return output.decode().replace("\r\n", "\n")


@pytest.fixture
def wide(tmp_path: Path, pki: PKI) -> Path:
    """A chain whose subjects are far longer than a narrow terminal."""
    root = pki.root(f"Root CA of {LONG_ORG}")
    inter = pki.intermediate(root, f"Issuing CA of {LONG_ORG}")
    leaf = pki.leaf(inter, "hub.example.org")
    path = tmp_path / "wide.pem"
    path.write_bytes(leaf.pem + inter.pem)
    root.write(tmp_path / "root.crt")
    return path


class TestWidth:
    def test_library_shortens_in_the_middle(self) -> None:
        """shorten_middle keeps the start and the end."""
        assert shorten_middle("CN=certchain Demo Intermediate,O=Demo", 20) == "CN=certch...e,O=Demo"
        assert shorten_middle("short", 20) == "short"

    def test_library_chain_lines_fit(self, wide: Path) -> None:
        """chain_lines with a width fits every line; without, subjects are whole."""
        from certchain import load_file
        from certchain.model import Role

        chain = tuple(c.cert for c in load_file(wide).certs)
        roles = (Role.LEAF, Role.INTERMEDIATE)

        narrow = chain_lines(chain, roles, width=100)
        tight = chain_lines(chain, roles, width=40)
        whole = chain_lines(chain, roles)

        assert len(narrow) == 2
        assert all(len(line) <= 100 for line in narrow)
        assert "..." in narrow[1]
        assert all(len(line) <= 40 for line in tight)
        assert LONG_ORG in whole[1]

    def test_library_wraps_messages(self) -> None:
        """finding_lines wraps a long message under its code, colour kept."""
        finding = Finding(Code.EXPIRED, Severity.ERROR, "word " * 40)

        lines = finding_lines([finding], colour=True, width=50)

        assert len(lines) > 2
        assert all(visible_len(ln) <= 50 for ln in lines)
        assert lines[0].startswith(f"  {RED}error  ")
        assert wrap_line("x" * 120, 40)[1].startswith("    ")

    def test_verify_on_a_narrow_terminal(self, wide: Path) -> None:
        """verify on a 60-column terminal: no line longer, subjects shortened."""
        text = on_terminal(60, "verify", wide)

        lines = text.splitlines()
        assert lines, text
        assert max(len(ANSI.sub("", ln)) for ln in lines) <= 60, text
        assert "..." in text
        assert LONG_ORG not in text

    def test_build_and_inspect_on_a_narrow_terminal(self, wide: Path, tmp_path: Path) -> None:
        """build and inspect fit a 50-column terminal too."""
        for args in (("build", wide, "-o", tmp_path / "out.crt"), ("inspect", wide)):
            text = on_terminal(50, *args)

            assert text, args
            assert max(len(ln) for ln in text.splitlines()) <= 50, text

    def test_piped_keeps_subjects_whole(self, wide: Path) -> None:
        """Piped, the same report keeps every subject whole."""
        done = python_certchain("verify", wide, env={**os.environ, "COLUMNS": "60"})

        assert LONG_ORG in done.stdout.decode()


# ---------------------------------------------------------- shell completion


class TestCompletion:
    @pytest.mark.parametrize(("shell", "marker"), [
        ("bash", "_certchain_completion"),
        ("zsh", "#compdef certchain"),
        ("fish", "complete --no-files --command certchain"),
    ])
    def test_script_is_produced(self, shell: str, marker: str) -> None:
        """`_CERTCHAIN_COMPLETE={shell}_source certchain` prints the completion script."""
        done = subprocess.run(
            [installed_script()], env={**os.environ, "_CERTCHAIN_COMPLETE": f"{shell}_source"},
            capture_output=True, timeout=60, check=False,
        )

        assert done.returncode == 0, done.stderr
        assert marker in done.stdout.decode()

    def test_commands_complete(self) -> None:
        """Completing `certchain ver` offers verify."""
        env = {**os.environ, "_CERTCHAIN_COMPLETE": "bash_complete",
               "COMP_WORDS": "certchain ver", "COMP_CWORD": "1"}

        done = subprocess.run([installed_script()], env=env, capture_output=True, timeout=60,
                              check=False)

        assert "plain,verify" in done.stdout.decode().splitlines()
