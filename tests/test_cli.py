"""
``certchain build`` through click's runner, plus two real subprocess runs.

Every run passes ``--at T0_ISO`` so nothing depends on today's date, and
every file lives in ``tmp_path``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from configtext import jupyterhub_values
from conftest import installed_script
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pki import PKI, T0, T0_ISO, Hierarchy, Issued, hierarchy, key_pem

from certchain.cli import PASSWORD_ENV, ExitCode, main

UTC = dt.timezone.utc
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
TOP_KEYS = {"ok", "output", "chain", "findings", "snippet", "combined"}
CERT_KEYS = {"role", "subject", "issuer", "sha256", "not_before", "not_after", "in_output"}
FINDING_KEYS = {"code", "severity", "message", "cert"}
PASSWORD = "correct-horse-7731"


# ----------------------------------------------------------------- helpers


@dataclass(frozen=True)
class PkiFiles:
    """A hierarchy written as PEM files in one folder (no key written)."""

    folder: Path
    host: Path
    inter: Path
    root: Path
    hier: Hierarchy

    @property
    def inputs(self) -> list[Path]:
        return [self.inter, self.root]

    @property
    def default_output(self) -> Path:
        return self.folder / "host-chained.crt"

    def expected(self, *, root: bool = True) -> bytes:
        certs = [self.hier.leaf, self.hier.intermediate] + ([self.hier.root] if root else [])
        return b"".join(c.pem for c in certs)

    def write_key(
        self, name: str = "host.key", key: Any = None, password: str | None = None
    ) -> Path:
        path = self.folder / name
        path.write_bytes(
            key_pem(key or self.hier.leaf.key, password.encode() if password else None)
        )
        return path


def write_hierarchy(folder: Path, hier: Hierarchy) -> PkiFiles:
    """Write *hier* as host.crt, inter.crt and root.crt in *folder*."""
    folder.mkdir(parents=True, exist_ok=True)
    return PkiFiles(
        folder,
        hier.leaf.write(folder / "host.crt"),
        hier.intermediate.write(folder / "inter.crt"),
        hier.root.write(folder / "root.crt"),
        hier,
    )


def build(runner: CliRunner, *args: object, at: str | None = T0_ISO, **kwargs: Any) -> Result:
    """Run ``certchain build ARGS --at AT``."""
    argv = ["build", *(str(a) for a in args)]
    if at is not None:
        argv += ["--at", at]
    return runner.invoke(main, argv, **kwargs)


def listing(folder: Path) -> list[str]:
    """Return the sorted names in *folder*."""
    return sorted(os.listdir(folder))


def snippet_of(stdout: str) -> str:
    """Return the two jupyterhub_config.py lines at the end of the text output."""
    lines = stdout.splitlines()
    config = [ln for ln in lines if ln.lstrip("# ").startswith("c.JupyterHub.")]
    assert len(config) == 2, stdout
    assert config == lines[-2:], stdout
    return "\n".join(config) + "\n"


def findings_by_code(result: Result) -> dict[str, str]:
    """Return {code: severity} from a ``--json`` run."""
    return {f["code"]: f["severity"] for f in json.loads(result.stdout)["findings"]}


def assert_one_error_line(result: Result, names: Path | str) -> None:
    """Exit 2, nothing on stdout, one ``Error:`` line on stderr naming *names*."""
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error:")
    assert str(names) in lines[0]
    assert "Traceback" not in result.stderr


@pytest.fixture(autouse=True)
def _no_password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a password in the caller's environment out of every test."""
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


@pytest.fixture
def files(tmp_path: Path, chain3: Hierarchy) -> PkiFiles:
    """The shared hierarchy written to ``tmp_path/ca``."""
    return write_hierarchy(tmp_path / "ca", chain3)


# ---------------------------------------------------------- chained output


class TestChainedFile:
    def test_default_output_beside_host(self, runner: CliRunner, files: PkiFiles) -> None:
        """Without -o, HOST-STEM-chained.crt beside HOST holds leaf, intermediate, root."""
        result = build(runner, files.host, *files.inputs)

        assert result.exit_code == ExitCode.OK, result.output
        assert files.expected() == files.default_output.read_bytes()
        assert result.stderr == ""
        assert f"Wrote 3 certificates to {files.default_output}" in result.stdout

    def test_pem_is_lf_only_one_block_per_cert(self, runner: CliRunner, files: PkiFiles) -> None:
        """The chained file is LF-only PEM with exactly one block per certificate, leaf first."""
        result = build(runner, files.host, *files.inputs)

        assert result.exit_code == ExitCode.OK, result.output
        data = files.default_output.read_bytes()
        assert b"\r" not in data
        assert data.endswith(b"-----END CERTIFICATE-----\n")
        assert data.count(b"-----BEGIN CERTIFICATE-----") == 3
        assert data.count(b"-----BEGIN ") == 3
        h = files.hier
        assert [h.leaf.cert, h.intermediate.cert, h.root.cert] == x509.load_pem_x509_certificates(
            data
        )

    def test_file_mode_is_0644(self, runner: CliRunner, files: PkiFiles) -> None:
        """The chained file is created with mode 0644 whatever the umask."""
        old = os.umask(0o077)
        try:
            result = build(runner, files.host, *files.inputs)
        finally:
            os.umask(old)

        assert result.exit_code == ExitCode.OK, result.output
        assert stat.S_IMODE(files.default_output.stat().st_mode) == 0o644

    def test_no_temp_files_left(self, runner: CliRunner, files: PkiFiles) -> None:
        """After a build the folder holds the inputs and the chained file, nothing else."""
        result = build(runner, files.host, *files.inputs)

        assert result.exit_code == ExitCode.OK, result.output
        assert listing(files.folder) == ["host-chained.crt", "host.crt", "inter.crt", "root.crt"]

    def test_no_root_leaves_root_out(self, runner: CliRunner, files: PkiFiles) -> None:
        """--no-root writes the leaf and the intermediate only."""
        result = build(runner, files.host, *files.inputs, "--no-root")

        assert result.exit_code == ExitCode.OK, result.output
        assert files.expected(root=False) == files.default_output.read_bytes()
        assert "Wrote 2 certificates" in result.stdout

    def test_key_among_inputs_is_never_written(self, runner: CliRunner, files: PkiFiles) -> None:
        """A private key among the inputs is used for the check, never copied to the output."""
        key = files.write_key("private.pem")

        result = build(runner, files.host, key, *files.inputs)

        assert result.exit_code == ExitCode.OK, result.output
        data = files.default_output.read_bytes()
        assert files.expected() == data
        assert b"PRIVATE KEY" not in data
        assert {"ssl_cert": str(files.default_output), "ssl_key": str(key)} == jupyterhub_values(
            snippet_of(result.stdout)
        )

    def test_key_inside_host_file_is_never_written(
        self, runner: CliRunner, files: PkiFiles
    ) -> None:
        """A host file holding the certificate and its key yields a chained file without the key."""
        combined = files.folder / "combined.pem"
        combined.write_bytes(files.hier.leaf.pem + key_pem(files.hier.leaf.key))

        result = build(runner, combined, *files.inputs)

        assert result.exit_code == ExitCode.OK, result.output
        data = (files.folder / "combined-chained.crt").read_bytes()
        assert files.expected() == data
        assert b"PRIVATE KEY" not in data

    def test_output_option(self, runner: CliRunner, files: PkiFiles, tmp_path: Path) -> None:
        """-o PATH writes there and the snippet names that path."""
        target = tmp_path / "elsewhere.pem"

        result = build(runner, files.host, *files.inputs, "-o", target)

        assert result.exit_code == ExitCode.OK, result.output
        assert files.expected() == target.read_bytes()
        assert not files.default_output.exists()
        assert str(target) == jupyterhub_values(snippet_of(result.stdout))["ssl_cert"]

    def test_stdout_output(self, runner: CliRunner, files: PkiFiles) -> None:
        """-o - puts only the PEM on stdout, the human text on stderr, and writes no file."""
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "-o", "-")

        assert result.exit_code == ExitCode.OK, result.output
        assert files.expected().decode() == result.stdout
        assert "CN=hub.example.org" in result.stderr
        assert "standard output" in result.stderr
        assert before == listing(files.folder)

    def test_stdout_output_with_json_is_usage_error(
        self, runner: CliRunner, files: PkiFiles
    ) -> None:
        """-o - with --json is a usage error (exit 2, a JSON error object) and writes nothing."""
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "-o", "-", "--json")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert json.loads(result.stdout)["error"]["code"] == "usage"
        assert "Error:" in result.stderr
        assert "--json" in result.stderr
        assert "Traceback" not in result.stderr
        assert before == listing(files.folder)

    def test_stdout_output_writes_nothing_on_chain_problem(
        self, runner: CliRunner, files: PkiFiles
    ) -> None:
        """-o - with a broken chain prints no PEM and exits 1."""
        result = build(runner, files.host, files.root, "-o", "-")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert result.stdout == ""
        assert "missing-issuer" in result.stderr


class TestOverwrite:
    def test_existing_output_not_replaced(self, runner: CliRunner, files: PkiFiles) -> None:
        """An existing output file is left untouched without --force (exit 2, one line)."""
        files.default_output.write_bytes(b"precious\n")
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs)

        assert_one_error_line(result, files.default_output)
        assert "--force" in result.stderr
        assert files.default_output.read_bytes() == b"precious\n"
        assert before == listing(files.folder)

    def test_force_replaces(self, runner: CliRunner, files: PkiFiles) -> None:
        """--force replaces an existing output with the chained file, mode 0644."""
        files.default_output.write_bytes(b"old\n")
        files.default_output.chmod(0o600)

        result = build(runner, files.host, *files.inputs, "--force")

        assert result.exit_code == ExitCode.OK, result.output
        assert files.expected() == files.default_output.read_bytes()
        assert stat.S_IMODE(files.default_output.stat().st_mode) == 0o644
        assert listing(files.folder) == ["host-chained.crt", "host.crt", "inter.crt", "root.crt"]


# ------------------------------------------------------------- text output


class TestTextOutput:
    def test_one_line_per_certificate(self, runner: CliRunner, files: PkiFiles) -> None:
        """Each certificate gets one line with its role, subject, issuer and expiry date."""
        result = build(runner, files.host, *files.inputs)

        assert result.exit_code == ExitCode.OK, result.output
        h = files.hier
        for role, issued in [("leaf", h.leaf), ("intermediate", h.intermediate), ("root", h.root)]:
            cert = issued.cert
            wanted = [
                role,
                cert.subject.rfc4514_string(),
                cert.issuer.rfc4514_string(),
                f"{cert.not_valid_after_utc:%Y-%m-%d}",
            ]
            matching = [ln for ln in result.stdout.splitlines() if all(w in ln for w in wanted)]
            assert len(matching) == 1, (role, result.stdout)
        assert result.stderr == ""

    def test_findings_are_listed(self, runner: CliRunner, files: PkiFiles) -> None:
        """Warnings such as untrusted-root for a private CA appear in the text output."""
        result = build(runner, files.host, *files.inputs)

        assert result.exit_code == ExitCode.OK, result.output
        assert "untrusted-root" in result.stdout
        assert result.stderr == ""

    def test_chain_problem_says_nothing_written(self, runner: CliRunner, files: PkiFiles) -> None:
        """A chain problem in text mode names the finding and says nothing was written."""
        result = build(runner, files.host, files.root)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "missing-issuer" in result.stdout
        assert "Nothing was written" in result.stdout
        assert "c.JupyterHub" not in result.stdout


# ----------------------------------------------------------------- snippet


class TestSnippet:
    def test_snippet_is_python_with_absolute_paths(
        self, runner: CliRunner, files: PkiFiles
    ) -> None:
        """The two config lines parse as Python and hold the absolute paths of chain and key."""
        key = files.write_key()

        result = build(runner, files.host, *files.inputs)

        assert result.exit_code == ExitCode.OK, result.output
        values = jupyterhub_values(snippet_of(result.stdout))
        assert {"ssl_cert": str(files.default_output), "ssl_key": str(key)} == values
        assert all(os.path.isabs(v) for v in values.values())

    def test_relative_arguments_give_absolute_paths(
        self, runner: CliRunner, files: PkiFiles, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Relative HOST and key paths still give absolute paths in the snippet."""
        files.write_key()
        monkeypatch.chdir(files.folder)

        result = build(runner, "host.crt", "inter.crt", "root.crt")

        assert result.exit_code == ExitCode.OK, result.output
        values = jupyterhub_values(snippet_of(result.stdout))
        assert Path(values["ssl_cert"]).is_absolute() and Path(values["ssl_key"]).is_absolute()
        assert os.path.samefile(values["ssl_cert"], files.default_output)
        assert os.path.samefile(values["ssl_key"], files.folder / "host.key")

    def test_awkward_directory_name(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy
    ) -> None:
        """Paths with spaces, quotes and a backslash stay valid Python with the exact values."""
        files = write_hierarchy(tmp_path / 'O\'Brien "hub" certs\\x y', chain3)
        key = files.write_key()

        result = build(runner, files.host, *files.inputs)

        assert result.exit_code == ExitCode.OK, result.output
        values = jupyterhub_values(snippet_of(result.stdout))
        assert {"ssl_cert": str(files.default_output), "ssl_key": str(key)} == values
        assert files.expected() == Path(values["ssl_cert"]).read_bytes()

    def test_without_key_the_key_line_is_a_comment(
        self, runner: CliRunner, files: PkiFiles
    ) -> None:
        """Without any key the file is still written and the ssl_key line is a --key comment."""
        result = build(runner, files.host, *files.inputs)

        assert result.exit_code == ExitCode.OK, result.output
        assert files.expected() == files.default_output.read_bytes()
        snippet = snippet_of(result.stdout)
        key_line = snippet.splitlines()[1]
        assert key_line.startswith("# c.JupyterHub.ssl_key")
        assert "--key" in key_line
        assert {"ssl_cert": str(files.default_output)} == jupyterhub_values(snippet)

    def test_sibling_key_is_found(self, runner: CliRunner, files: PkiFiles) -> None:
        """HOST-STEM.key beside HOST is used when no other key is given."""
        key = files.write_key("host.key")

        result = build(runner, files.host, *files.inputs, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        assert "no-key" not in findings_by_code(result)
        assert str(key) == jupyterhub_values(json.loads(result.stdout)["snippet"])["ssl_key"]

    def test_key_option_wins_over_sibling(
        self, runner: CliRunner, files: PkiFiles, pki: PKI
    ) -> None:
        """--key is used instead of a (wrong) HOST-STEM.key beside HOST."""
        files.write_key("host.key", key=pki.root().key)
        right = files.write_key("right.key")

        result = build(runner, files.host, *files.inputs, "--key", right)

        assert result.exit_code == ExitCode.OK, result.output
        assert str(right) == jupyterhub_values(snippet_of(result.stdout))["ssl_key"]

    def test_key_in_inputs_wins_over_sibling(
        self, runner: CliRunner, files: PkiFiles, pki: PKI
    ) -> None:
        """A key among the inputs is used instead of a (wrong) HOST-STEM.key beside HOST."""
        files.write_key("host.key", key=pki.root().key)
        right = files.write_key("right.key")

        result = build(runner, files.host, right, *files.inputs)

        assert result.exit_code == ExitCode.OK, result.output
        assert str(right) == jupyterhub_values(snippet_of(result.stdout))["ssl_key"]


# ------------------------------------------------------------- exit codes


class TestChainProblems:
    def assert_nothing_written(self, files: PkiFiles, before: list[str]) -> None:
        assert before == listing(files.folder)
        assert not files.default_output.exists()

    def test_missing_intermediate(self, runner: CliRunner, files: PkiFiles) -> None:
        """A leaf without its intermediate exits 1 with missing-issuer and writes nothing."""
        before = listing(files.folder)

        result = build(runner, files.host, files.root, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert findings_by_code(result)["missing-issuer"] == "error"
        assert result.stderr == ""
        self.assert_nothing_written(files, before)

    def test_key_mismatch(self, runner: CliRunner, files: PkiFiles, pki: PKI) -> None:
        """A key that does not belong to the leaf exits 1 with key-mismatch."""
        wrong = files.write_key("wrong.key", key=pki.root().key)
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "--key", wrong, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert findings_by_code(result)["key-mismatch"] == "error"
        self.assert_nothing_written(files, before)

    def test_hostname_mismatch(self, runner: CliRunner, files: PkiFiles) -> None:
        """--hostname that the leaf does not cover exits 1 with hostname-mismatch."""
        before = listing(files.folder)

        result = build(
            runner, files.host, *files.inputs, "--hostname", "other.example.org", "--json"
        )

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert findings_by_code(result)["hostname-mismatch"] == "error"
        self.assert_nothing_written(files, before)

    def test_hostname_match(self, runner: CliRunner, tmp_path: Path, pki: PKI) -> None:
        """--hostname covered by the leaf (DNS name or IP address) passes."""
        files = write_hierarchy(tmp_path, hierarchy(pki, "hub.example.org", "192.0.2.7"))

        for name in ["hub.example.org", "192.0.2.7"]:
            result = build(
                runner, files.host, *files.inputs, "--hostname", name, "--json", "--force"
            )

            assert result.exit_code == ExitCode.OK, result.output
            assert "hostname-mismatch" not in findings_by_code(result)

    def test_expired(self, runner: CliRunner, tmp_path: Path, pki: PKI) -> None:
        """A leaf expired at --at exits 1 with expired."""
        root = pki.root()
        inter = pki.intermediate(root)
        leaf = pki.leaf(inter, not_after=T0 - dt.timedelta(days=1))
        files = write_hierarchy(tmp_path, Hierarchy(root, inter, leaf))
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert findings_by_code(result)["expired"] == "error"
        self.assert_nothing_written(files, before)

    def test_trust_other_root(
        self, runner: CliRunner, files: PkiFiles, pki: PKI, tmp_path: Path
    ) -> None:
        """With --trust naming a different root the chain is untrusted-root, exit 1."""
        other = pki.root("Other Root").write(tmp_path / "other-root.pem")
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "--trust", other, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert findings_by_code(result)["untrusted-root"] == "error"
        self.assert_nothing_written(files, before)

    def test_private_ca_without_trust_is_a_warning(
        self, runner: CliRunner, files: PkiFiles
    ) -> None:
        """A private CA's root without --trust gives an untrusted-root warning and exit 0."""
        result = build(runner, files.host, *files.inputs, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        assert findings_by_code(result)["untrusted-root"] == "warning"
        assert files.default_output.exists()

    def test_trust_right_root_file(
        self, runner: CliRunner, files: PkiFiles, tmp_path: Path
    ) -> None:
        """--trust with the chain's root gives no untrusted-root finding."""
        anchor = files.hier.root.write(tmp_path / "anchor.pem")

        result = build(runner, files.host, *files.inputs, "--trust", anchor, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        assert "untrusted-root" not in findings_by_code(result)

    def test_trust_directory(
        self, runner: CliRunner, files: PkiFiles, pki: PKI, tmp_path: Path
    ) -> None:
        """--trust accepts a directory of PEM files and is repeatable."""
        anchors = tmp_path / "anchors"
        anchors.mkdir()
        files.hier.root.write(anchors / "root.pem")
        other = pki.root("Other Root").write(tmp_path / "other.pem")

        result = build(
            runner, files.host, *files.inputs, "--trust", other, "--trust", anchors, "--json"
        )

        assert result.exit_code == ExitCode.OK, result.output
        assert "untrusted-root" not in findings_by_code(result)

    def test_strict(self, runner: CliRunner, tmp_path: Path, pki: PKI) -> None:
        """A leaf without an AKI is a strict-policy warning, and an error with --strict."""
        root = pki.root()
        inter = pki.intermediate(root)
        files = write_hierarchy(
            tmp_path, Hierarchy(root, inter, pki.leaf(inter, include_aki=False))
        )
        common = [files.host, *files.inputs, "--trust", files.root, "--json"]

        lenient = build(runner, *common, "-o", tmp_path / "lenient.crt")
        strict = build(runner, *common, "-o", tmp_path / "strict.crt", "--strict")

        assert lenient.exit_code == ExitCode.OK, lenient.output
        assert findings_by_code(lenient)["strict-policy"] == "warning"
        assert strict.exit_code == ExitCode.CHAIN_PROBLEM, strict.output
        assert findings_by_code(strict)["strict-policy"] == "error"
        assert not (tmp_path / "strict.crt").exists()

    def test_warn_days(self, runner: CliRunner, tmp_path: Path, pki: PKI) -> None:
        """A leaf expiring within --warn-days days warns (exit 0); a shorter window does not."""
        root = pki.root()
        inter = pki.intermediate(root)
        leaf = pki.leaf(inter, not_after=T0 + dt.timedelta(days=10))
        files = write_hierarchy(tmp_path, Hierarchy(root, inter, leaf))

        wide = build(
            runner,
            files.host,
            *files.inputs,
            "--json",
            "--warn-days",
            "30",
            "-o",
            tmp_path / "a.crt",
        )
        narrow = build(
            runner,
            files.host,
            *files.inputs,
            "--json",
            "--warn-days",
            "5",
            "-o",
            tmp_path / "b.crt",
        )

        assert wide.exit_code == ExitCode.OK, wide.output
        assert findings_by_code(wide)["expires-soon"] == "warning"
        assert narrow.exit_code == ExitCode.OK, narrow.output
        assert "expires-soon" not in findings_by_code(narrow)


class TestAt:
    @pytest.fixture
    def files(self, tmp_path: Path, pki: PKI) -> PkiFiles:
        """A hierarchy whose leaf expires at 2030-06-01T12:00:00Z."""
        root = pki.root()
        inter = pki.intermediate(root)
        leaf = pki.leaf(inter, not_after=dt.datetime(2030, 6, 1, 12, 0, 0, tzinfo=UTC))
        return write_hierarchy(tmp_path, Hierarchy(root, inter, leaf))

    @pytest.fixture
    def far_east(self) -> Iterator[None]:
        """Run with a local time zone far from UTC, so a naive time read as local would differ."""
        old = os.environ.get("TZ")
        os.environ["TZ"] = "Asia/Tokyo"
        time.tzset()
        try:
            yield
        finally:
            if old is None:
                del os.environ["TZ"]
            else:
                os.environ["TZ"] = old
            time.tzset()

    @pytest.mark.parametrize(
        ("moment", "expired"),
        [
            # Boundary: the leaf's not_after, 2030-06-01T12:00:00Z, is still valid.
            ("2030-06-01T12:00:00Z", False),
            ("2030-06-01T12:00:01Z", True),
            ("2030-06-01T11:59:59Z", False),
            # Naive times are UTC.
            ("2030-06-01T12:00:00", False),
            ("2030-06-01T12:00:01", True),
            # Offsets are honoured: 14:00+02:00 is 12:00Z.
            ("2030-06-01T14:00:00+02:00", False),
            ("2030-06-01T14:00:01+02:00", True),
            ("2030-06-01T06:59:59-05:00", False),
            ("2030-06-01T07:00:01-05:00", True),
        ],
    )
    def test_moment(
        self, runner: CliRunner, files: PkiFiles, far_east: None, moment: str, expired: bool
    ) -> None:
        """--at takes ISO 8601 with Z, an offset, or naive as UTC; tested at not_after +/- 1 s."""
        result = build(runner, files.host, *files.inputs, "--json", at=moment)

        if expired:
            assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
            assert findings_by_code(result)["expired"] == "error"
        else:
            assert result.exit_code == ExitCode.OK, result.output
            assert "expired" not in findings_by_code(result)

    @pytest.mark.parametrize(
        "moment", ["yesterday", "2030-13-01T00:00:00Z", "", "2030-01-01T00:00:00+25:00"]
    )
    def test_bad_value(self, runner: CliRunner, files: PkiFiles, moment: str) -> None:
        """A --at value that is not ISO 8601 is a usage error (exit 2) and writes nothing."""
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, at=moment)

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert result.stdout == ""
        assert "--at" in result.stderr
        assert "Traceback" not in result.stderr
        assert before == listing(files.folder)


# --------------------------------------------------------------- bad input


class TestBadInput:
    def test_missing_input(self, runner: CliRunner, files: PkiFiles) -> None:
        """A missing input file is one Error: line naming it, exit 2, nothing written."""
        missing = files.folder / "nope.crt"
        before = listing(files.folder)

        result = build(runner, files.host, files.inter, missing)

        assert_one_error_line(result, missing)
        assert before == listing(files.folder)

    def test_missing_host(self, runner: CliRunner, files: PkiFiles) -> None:
        """A missing HOST file is one Error: line naming it, exit 2."""
        missing = files.folder / "nohost.crt"
        before = listing(files.folder)

        result = build(runner, missing, *files.inputs)

        assert_one_error_line(result, missing)
        assert before == listing(files.folder)

    def test_empty_file(self, runner: CliRunner, files: PkiFiles) -> None:
        """An empty input is one Error: line naming it, exit 2, nothing written."""
        empty = files.folder / "empty.crt"
        empty.write_bytes(b"")
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, empty)

        assert_one_error_line(result, empty)
        assert before == listing(files.folder)

    @pytest.mark.parametrize(
        "junk",
        [
            b"hello, this is not a certificate\n",
            b"\x00\x01\x02\x03garbage\xff",
            b"\x30\x82\x01\x00junk",
        ],
        ids=["text", "binary", "der-like"],
    )
    def test_junk_file(self, runner: CliRunner, files: PkiFiles, junk: bytes) -> None:
        """An input that is neither a certificate nor a key is one Error: line naming it, exit 2."""
        bad = files.folder / "junk.crt"
        bad.write_bytes(junk)
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, bad)

        assert_one_error_line(result, bad)
        assert before == listing(files.folder)

    def test_truncated_pem(self, runner: CliRunner, files: PkiFiles) -> None:
        """A PEM block without its END line is one Error: line naming the file, exit 2."""
        bad = files.folder / "cut.crt"
        bad.write_bytes(files.hier.intermediate.pem[:200])
        before = listing(files.folder)

        result = build(runner, files.host, bad, files.root)

        assert_one_error_line(result, bad)
        assert before == listing(files.folder)

    def test_missing_key_option_file(self, runner: CliRunner, files: PkiFiles) -> None:
        """A --key file that does not exist is one Error: line naming it, exit 2."""
        missing = files.folder / "missing.key"
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "--key", missing)

        assert_one_error_line(result, missing)
        assert before == listing(files.folder)

    def test_key_option_without_key(self, runner: CliRunner, files: PkiFiles) -> None:
        """A --key file holding no private key is one Error: line naming it, exit 2."""
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "--key", files.root)

        assert_one_error_line(result, files.root)
        assert before == listing(files.folder)

    def test_missing_trust_path(self, runner: CliRunner, files: PkiFiles, tmp_path: Path) -> None:
        """A --trust path that does not exist is one Error: line naming it, exit 2."""
        missing = tmp_path / "no-anchors.pem"
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "--trust", missing)

        assert_one_error_line(result, missing)
        assert before == listing(files.folder)

    def test_junk_trust_file(self, runner: CliRunner, files: PkiFiles, tmp_path: Path) -> None:
        """A --trust file without certificates is one Error: line naming it, no certifi fallback."""
        junk = tmp_path / "anchors.pem"
        junk.write_bytes(b"not a bundle\n")
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "--trust", junk)

        assert_one_error_line(result, junk)
        assert before == listing(files.folder)

    def test_host_without_certificate(self, runner: CliRunner, files: PkiFiles) -> None:
        """A HOST file that holds only a key is one Error: line naming it, exit 2."""
        key = files.write_key("host.pem")
        before = listing(files.folder)

        result = build(runner, key, *files.inputs)

        assert_one_error_line(result, key)
        assert before == listing(files.folder)

    def test_output_folder_missing(
        self, runner: CliRunner, files: PkiFiles, tmp_path: Path
    ) -> None:
        """An -o path in a missing folder is one Error: line naming it, exit 2."""
        target = tmp_path / "no" / "such" / "out.crt"
        before = listing(tmp_path)

        result = build(runner, files.host, *files.inputs, "-o", target)

        assert_one_error_line(result, target)
        assert before == listing(tmp_path)
        assert before == ["ca"]

    def test_missing_password_file(
        self, runner: CliRunner, files: PkiFiles, tmp_path: Path
    ) -> None:
        """A --password-file that does not exist is one Error: line naming it, exit 2."""
        missing = tmp_path / "pw.txt"
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "--password-file", missing)

        assert_one_error_line(result, missing)
        assert before == listing(files.folder)


# ---------------------------------------------------------------- password


class TestPassword:
    @pytest.fixture
    def enc_key(self, files: PkiFiles) -> Path:
        """The leaf's key as encrypted PKCS#8, under a name that is not discovered automatically."""
        return files.write_key("enc.key", password=PASSWORD)

    def assert_secret_hidden(self, result: Result, secret: str = PASSWORD) -> None:
        assert secret not in result.stdout
        assert secret not in result.stderr

    def test_password_file(
        self, runner: CliRunner, files: PkiFiles, enc_key: Path, tmp_path: Path
    ) -> None:
        """--password-file decrypts an encrypted PKCS#8 key; the password is never shown."""
        pw = tmp_path / "pw.txt"
        pw.write_text(PASSWORD + "\n")

        result = build(
            runner, files.host, *files.inputs, "--key", enc_key, "--password-file", pw, "--json"
        )

        assert result.exit_code == ExitCode.OK, result.output
        codes = findings_by_code(result)
        assert "key-mismatch" not in codes and "no-key" not in codes
        assert files.expected() == files.default_output.read_bytes()
        self.assert_secret_hidden(result)

    def test_env_var(self, runner: CliRunner, files: PkiFiles, enc_key: Path) -> None:
        """CERTCHAIN_KEY_PASSWORD decrypts an encrypted key among the inputs, never shown."""
        result = build(runner, files.host, enc_key, *files.inputs, env={PASSWORD_ENV: PASSWORD})

        assert result.exit_code == ExitCode.OK, result.output
        data = files.default_output.read_bytes()
        assert files.expected() == data
        assert b"PRIVATE KEY" not in data
        self.assert_secret_hidden(result)

    def test_text_output_hides_password(
        self, runner: CliRunner, files: PkiFiles, enc_key: Path
    ) -> None:
        """The text report with an encrypted key holds no password and a valid snippet."""
        result = build(
            runner, files.host, *files.inputs, "--key", enc_key, env={PASSWORD_ENV: PASSWORD}
        )

        assert result.exit_code == ExitCode.OK, result.output
        self.assert_secret_hidden(result)
        assert str(files.default_output) == jupyterhub_values(snippet_of(result.stdout))["ssl_cert"]

    def test_wrong_password_file(
        self, runner: CliRunner, files: PkiFiles, enc_key: Path, tmp_path: Path
    ) -> None:
        """A wrong password is one Error: line naming the key file, exit 2, password hidden."""
        pw = tmp_path / "pw.txt"
        pw.write_text("wrong-battery-staple\n")
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "--key", enc_key, "--password-file", pw)

        assert_one_error_line(result, enc_key)
        self.assert_secret_hidden(result, "wrong-battery-staple")
        assert before == listing(files.folder)

    def test_wrong_password_env(self, runner: CliRunner, files: PkiFiles, enc_key: Path) -> None:
        """A wrong password from the environment is one Error: line naming the key file, exit 2."""
        before = listing(files.folder)

        result = build(
            runner, files.host, enc_key, *files.inputs, env={PASSWORD_ENV: "wrong-battery-staple"}
        )

        assert_one_error_line(result, enc_key)
        self.assert_secret_hidden(result, "wrong-battery-staple")
        assert before == listing(files.folder)

    def test_no_password_without_tty(
        self, runner: CliRunner, files: PkiFiles, enc_key: Path
    ) -> None:
        """An encrypted key, no password and no terminal: one Error: line, no prompt, exit 2."""
        before = listing(files.folder)

        result = build(runner, files.host, *files.inputs, "--key", enc_key, input="")

        assert_one_error_line(result, enc_key)
        assert "--password-file" in result.stderr
        assert "Password:" not in result.stderr
        assert before == listing(files.folder)

    def test_prompt_on_tty(
        self, runner: CliRunner, files: PkiFiles, enc_key: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On a terminal the password is asked once, hidden, on stderr, and never shown."""
        import click.testing

        monkeypatch.setattr(
            click.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False
        )

        result = build(runner, files.host, *files.inputs, "--key", enc_key, input=PASSWORD + "\n")

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stderr.count("Password") == 1
        self.assert_secret_hidden(result)
        assert files.expected() == files.default_output.read_bytes()

    def test_no_bare_password_option(self, runner: CliRunner, files: PkiFiles) -> None:
        """There is no --password option (a password on the command line would leak)."""
        help_result = runner.invoke(main, ["build", "--help"])
        used = build(runner, files.host, *files.inputs, "--password", PASSWORD)

        assert help_result.exit_code == ExitCode.OK
        assert "--password-file" in help_result.stdout
        assert re.search(r"--password(?!-file)", help_result.stdout) is None
        assert used.exit_code == ExitCode.BAD_INPUT
        assert not files.default_output.exists()


# -------------------------------------------------------------------- JSON


class TestJson:
    def test_schema(self, runner: CliRunner, files: PkiFiles) -> None:
        """--json prints one object with exactly the documented keys and types."""
        key = files.write_key()

        result = build(runner, files.host, *files.inputs, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stderr == ""
        doc = json.loads(result.stdout)
        assert set(doc) == TOP_KEYS
        assert doc["ok"] is True
        assert str(files.default_output) == doc["output"]
        assert {"ssl_cert": str(files.default_output), "ssl_key": str(key)} == jupyterhub_values(
            doc["snippet"]
        )
        assert len(doc["chain"]) == 3
        for entry in doc["chain"]:
            assert set(entry) == CERT_KEYS
            assert all(isinstance(entry[k], str) for k in CERT_KEYS - {"in_output"})
            assert entry["in_output"] is True
        assert doc["findings"]
        for finding in doc["findings"]:
            assert set(finding) == FINDING_KEYS
            assert finding["severity"] in {"error", "warning", "info"}
            assert isinstance(finding["code"], str) and isinstance(finding["message"], str)
            assert finding["cert"] is None or type(finding["cert"]) is int

    def test_chain_entries(self, runner: CliRunner, files: PkiFiles) -> None:
        """Each chain entry has the role, RFC 4514 names, DER SHA-256 and ISO 8601 UTC dates."""
        result = build(runner, files.host, *files.inputs, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        h = files.hier
        chain = json.loads(result.stdout)["chain"]
        for entry, role, issued in zip(
            chain, ["leaf", "intermediate", "root"], [h.leaf, h.intermediate, h.root]
        ):
            cert = issued.cert
            assert role == entry["role"]
            assert cert.subject.rfc4514_string() == entry["subject"]
            assert cert.issuer.rfc4514_string() == entry["issuer"]
            assert hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest() == entry["sha256"]
            assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
            assert ISO_Z.match(entry["not_before"]) and ISO_Z.match(entry["not_after"])
            assert entry["not_before"] == "2020-01-01T00:00:00Z"
            assert entry["not_after"] == "2060-01-01T00:00:00Z"

    def test_failure(self, runner: CliRunner, files: PkiFiles) -> None:
        """A failed build reports ok false, output and snippet null, nothing in the output."""
        result = build(runner, files.host, files.root, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        doc = json.loads(result.stdout)
        assert set(doc) == TOP_KEYS
        assert doc["ok"] is False
        assert doc["output"] is None
        assert doc["snippet"] is None
        assert all(entry["in_output"] is False for entry in doc["chain"])
        assert doc["chain"][0]["role"] == "leaf"
        missing = [f for f in doc["findings"] if f["code"] == "missing-issuer"]
        assert len(missing) == 1
        assert missing[0]["severity"] == "error"
        assert type(missing[0]["cert"]) is int

    def test_no_root(self, runner: CliRunner, files: PkiFiles) -> None:
        """With --no-root the root is listed but not in_output."""
        result = build(runner, files.host, *files.inputs, "--json", "--no-root")

        assert result.exit_code == ExitCode.OK, result.output
        chain = json.loads(result.stdout)["chain"]
        assert [(e["role"], e["in_output"]) for e in chain] == [
            ("leaf", True),
            ("intermediate", True),
            ("root", False),
        ]

    def test_no_key_snippet(self, runner: CliRunner, files: PkiFiles) -> None:
        """Without a key the JSON snippet holds the commented ssl_key line and a no-key warning."""
        result = build(runner, files.host, *files.inputs, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        doc = json.loads(result.stdout)
        assert findings_by_code(result)["no-key"] == "warning"
        assert doc["snippet"].splitlines()[1].startswith("# c.JupyterHub.ssl_key")


# ------------------------------------------------------------ permutations


class TestPermutations:
    @pytest.fixture(scope="class")
    @classmethod
    def four(cls, pki: PKI) -> tuple[Issued, Issued, Issued, Issued]:
        """root -> intermediate 1 -> intermediate 2 -> leaf."""
        root = pki.root()
        inter1 = pki.intermediate(root, "Test Intermediate 1")
        inter2 = pki.intermediate(inter1, "Test Intermediate 2")
        return root, inter1, inter2, pki.leaf(inter2)

    @pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=str)
    def test_three_ca_files_any_order(
        self, runner: CliRunner, tmp_path: Path, four: tuple[Issued, ...], order: tuple[int, ...]
    ) -> None:
        """Two intermediates and a root in any order give the same chained file bytes."""
        root, inter1, inter2, leaf = four
        host = leaf.write(tmp_path / "host.crt")
        cas = [
            inter2.write(tmp_path / "a.crt"),
            root.write(tmp_path / "b.crt"),
            inter1.write(tmp_path / "c.crt"),
        ]

        result = build(runner, host, *(cas[i] for i in order))

        assert result.exit_code == ExitCode.OK, result.output
        expected = leaf.pem + inter2.pem + inter1.pem + root.pem
        assert expected == (tmp_path / "host-chained.crt").read_bytes()

    @pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=str)
    def test_intermediate_root_and_key_any_order(
        self, runner: CliRunner, files: PkiFiles, order: tuple[int, ...]
    ) -> None:
        """The intermediate, root and key in any order give the same bytes and key line."""
        key = files.write_key("private.pem")
        inputs = [files.inter, files.root, key]

        result = build(runner, files.host, *(inputs[i] for i in order))

        assert result.exit_code == ExitCode.OK, result.output
        assert files.expected() == files.default_output.read_bytes()
        assert str(key) == jupyterhub_values(snippet_of(result.stdout))["ssl_key"]


# -------------------------------------------------------------- subprocess


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    env["PYTHONWARNINGS"] = "error"
    return env


class TestSubprocess:
    def test_python_m_version(self) -> None:
        """``python -m certchain --version`` prints the installed version and exits 0."""
        from importlib.metadata import version

        proc = subprocess.run(
            [sys.executable, "-m", "certchain", "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            env=_clean_env(),
        )

        assert proc.returncode == 0, proc.stderr
        assert version("certchain") in proc.stdout
        assert proc.stderr == ""

    def test_installed_script_full_build(self, files: PkiFiles) -> None:
        """The installed certchain script builds the chained file and prints a valid snippet."""
        key = files.write_key()

        proc = subprocess.run(
            [
                installed_script(),
                "build",
                str(files.host),
                str(files.inter),
                str(files.root),
                "--at",
                T0_ISO,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            env=_clean_env(),
            cwd=files.folder,
        )

        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        assert files.expected() == files.default_output.read_bytes()
        assert stat.S_IMODE(files.default_output.stat().st_mode) == 0o644
        assert {"ssl_cert": str(files.default_output), "ssl_key": str(key)} == jupyterhub_values(
            snippet_of(proc.stdout)
        )

    def test_installed_script_bad_input(self, files: PkiFiles) -> None:
        """The installed script reports a missing file as one Error: line and exit 2."""
        missing = files.folder / "nope.crt"

        proc = subprocess.run(
            [installed_script(), "build", str(files.host), str(missing), "--at", T0_ISO],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            env=_clean_env(),
        )

        assert proc.returncode == 2
        assert proc.stdout == ""
        assert len(proc.stderr.splitlines()) == 1, proc.stderr
        assert proc.stderr.startswith("Error:") and str(missing) in proc.stderr
