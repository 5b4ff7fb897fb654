"""
``certchain verify`` and ``certchain inspect`` through click's runner, plus real runs.

Every run passes ``--at T0_ISO``; generated files live in temporary folders,
stored fixtures come from ``testdata/formats``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import installed_script, testdata
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from pki import NOT_AFTER, PKI, T0, T0_ISO, Hierarchy, Issued, key_pem, new_key
from terminal import run_on_terminal

from certchain import load_file
from certchain.cli import PASSWORD_ENV, ExitCode, main
from certchain.layout import paint
from certchain.model import fingerprint

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
VERIFY_KEYS = {"file", "ok", "chain", "findings", "valid_until"}
CHAIN_KEYS = {"role", "subject", "issuer", "sha256", "not_before", "not_after"}
FINDING_KEYS = {"code", "severity", "message", "cert"}
ROLES = {"leaf", "intermediate", "root", "extra"}
INSPECT_KEYS = {"file", "certificates", "keys"}
# The per-certificate fields of certchain/inventory.py (_cert).
CERT_FIELDS = {
    "source", "subject", "issuer", "san", "serial", "not_before", "not_after", "days_left",
    "key", "signature", "sha256", "ski", "aki", "ca", "path_length", "aia", "crl",
    "key_usage", "ext_key_usage",
}
KEY_FIELDS = {"source", "type", "encrypted", "matches", "matches_elsewhere"}
REPAIR = "certchain build can repair this file: "
SUMMARY = re.compile(r"^(\d+) files: (\d+) ok, (\d+) with errors")
FORMATS_LEAF = "CN=formats.example.org,O=certchain formats fixtures"
DAYS_LEFT = (NOT_AFTER - T0).days
PFX_PASSWORD = "pfx-secret-42"


# ----------------------------------------------------------------- helpers


def verify(runner: CliRunner, *args: object, at: str = T0_ISO, **kwargs: Any) -> Result:
    """Run ``certchain verify ARGS --at AT``."""
    return runner.invoke(main, ["verify", *(str(a) for a in args), "--at", at], **kwargs)


def inspect(runner: CliRunner, *args: object, **kwargs: Any) -> Result:
    """Run ``certchain inspect ARGS --at T0``."""
    return runner.invoke(main, ["inspect", *(str(a) for a in args), "--at", T0_ISO], **kwargs)


def json_lines(text: str) -> list[dict[str, Any]]:
    """Parse one JSON object per line."""
    return [json.loads(line) for line in text.splitlines()]


def codes_in(doc: dict[str, Any]) -> dict[str, str]:
    """Return {code: severity} of a ``verify --json`` object."""
    return {f["code"]: f["severity"] for f in doc["findings"]}


def repair_command(stdout: str) -> str | None:
    """Return the ``certchain build`` command offered as a repair, or None."""
    lines = [ln for ln in stdout.splitlines() if ln.startswith(REPAIR)]
    assert len(lines) <= 1, stdout
    return lines[0][len(REPAIR):] if lines else None


def run_repair(runner: CliRunner, command: str) -> Result:
    """Run the printed repair command through click, with the time pinned to T0."""
    words = shlex.split(command)
    assert words[:2] == ["certchain", "build"], command
    # The words as printed, plus --at: nothing in the tests depends on today.
    return runner.invoke(main, [*words[1:], "--at", T0_ISO])


def cert_lines(stdout: str) -> list[str]:
    """Return the chain lines of a human verify report (``[i] role: ...``)."""
    return [ln for ln in stdout.splitlines() if re.search(r"\[\d+\] \w+: ", ln)]


def field_rows(stdout: str) -> dict[str, str]:
    """Return {name: value} of the indented rows of an inspect listing."""
    rows = {}
    for line in stdout.splitlines():
        match = re.match(r"^  (\S+(?: \S+)?)\s{2,}(.*)$", line)
        if match:
            rows[match[1]] = match[2]
    return rows


def assert_one_error_line(
    result: Result, names: Path | str, *, json_error: str | None = None
) -> None:
    """
    Exit 2, one ``Error:`` line on stderr naming *names*; nothing on stdout,
    or with *json_error* one JSON error object with that code.
    """
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    if json_error is None:
        assert result.stdout == ""
    else:
        (doc,) = json_lines(result.stdout)
        assert doc["ok"] is False
        assert doc["error"]["code"] == json_error
        assert str(names) in doc["error"]["message"]
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error:"), result.stderr
    assert str(names) in lines[0]
    assert "Traceback" not in result.stderr


def write(path: Path, *items: Issued, keys: tuple[Any, ...] = ()) -> Path:
    """Write *items* (then *keys*) as one PEM file."""
    path.write_bytes(b"".join(i.pem for i in items) + b"".join(key_pem(k) for k in keys))
    return path


def write_key(path: Path, key: Any) -> Path:
    """Write *key* as unencrypted PKCS#8 PEM."""
    path.write_bytes(key_pem(key))
    return path


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without a password or NO_COLOR, plus *extra*."""
    env = {k: v for k, v in os.environ.items() if k not in (PASSWORD_ENV, "NO_COLOR")}
    env.update(extra)
    return env


@dataclass(frozen=True)
class Site:
    """Deployed files of one hierarchy, written once per module (read-only)."""

    folder: Path
    hier: Hierarchy
    root: Path  # the trust anchor
    stranger: Path  # an unrelated root
    good: Path  # leaf, intermediate, root
    noroot: Path  # leaf, intermediate
    shuffled: Path  # intermediate, leaf, root: wrong-order
    lonely: Path  # the leaf alone: missing-issuer
    extra: Path  # leaf, intermediate, root, stranger: extra-cert
    key: Path  # the leaf's key
    other_key: Path  # a key of nothing here
    cert_only: Path  # a certificate where a key is expected

    @property
    def trust(self) -> tuple[str, str]:
        return ("--trust", str(self.root))


@pytest.fixture(autouse=True)
def _no_password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a password or NO_COLOR in the caller's environment out of every test."""
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, chain3: Hierarchy, pki: PKI) -> Site:
    """The shared hierarchy deployed in several ways."""
    folder = tmp_path_factory.mktemp("site")
    h = chain3
    stranger = pki.root("CLI Stranger Root")
    return Site(
        folder=folder,
        hier=h,
        root=write(folder / "root.pem", h.root),
        stranger=write(folder / "stranger.pem", stranger),
        good=write(folder / "good.pem", h.leaf, h.intermediate, h.root),
        noroot=write(folder / "noroot.pem", h.leaf, h.intermediate),
        shuffled=write(folder / "shuffled.pem", h.intermediate, h.leaf, h.root),
        lonely=write(folder / "lonely.pem", h.leaf),
        extra=write(folder / "extra.pem", h.leaf, h.intermediate, h.root, stranger),
        key=write_key(folder / "hub.key", h.leaf.key),
        other_key=write_key(folder / "other.key", new_key()),
        cert_only=write(folder / "cert-only.key", h.leaf),
    )


# --------------------------------------------------------------- exit codes


class TestExitCodes:
    def test_good_file_exits_0(self, runner: CliRunner, site: Site) -> None:
        """A good file exits 0 with an OK verdict and nothing on stderr."""
        result = verify(runner, site.good, *site.trust)

        assert result.exit_code == ExitCode.OK, result.output
        assert "OK: " in result.stdout
        assert result.stderr == ""

    def test_error_finding_exits_1(self, runner: CliRunner, site: Site) -> None:
        """A file with an error finding exits 1 with a FAIL verdict."""
        result = verify(runner, site.lonely, *site.trust)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "FAIL: " in result.stdout
        assert "missing-issuer" in result.stdout
        assert result.stderr == ""

    def test_warnings_only_exit_0(self, runner: CliRunner, site: Site) -> None:
        """A private root without --trust is only a warning: exit 0."""
        result = verify(runner, site.good)

        assert result.exit_code == ExitCode.OK, result.output
        assert "untrusted-root" in result.stdout
        assert result.stderr == ""

    def test_missing_file(self, runner: CliRunner, tmp_path: Path, site: Site) -> None:
        """A file that does not exist exits 2 with one Error line naming it."""
        missing = tmp_path / "absent.pem"

        assert_one_error_line(verify(runner, missing, *site.trust), missing)

    def test_missing_file_json(self, runner: CliRunner, tmp_path: Path, site: Site) -> None:
        """With --json a single unreadable file gives one Error line and one JSON error object."""
        missing = tmp_path / "absent.pem"

        result = verify(runner, missing, *site.trust, "--json")

        assert_one_error_line(result, missing, json_error="load-error")

    @pytest.mark.parametrize("name", ["junk.bin", "empty.crt", "text.txt", "truncated.pem"])
    def test_junk(self, runner: CliRunner, site: Site, name: str) -> None:
        """An unreadable file exits 2 with one Error line naming it."""
        path = testdata("formats", name)

        assert_one_error_line(verify(runner, path, *site.trust), path)

    def test_key_only_file(self, runner: CliRunner, site: Site) -> None:
        """A file without any certificate exits 2 with one Error line."""
        assert_one_error_line(verify(runner, site.key, *site.trust), site.key)

    def test_pkcs12_without_password(self, runner: CliRunner, site: Site) -> None:
        """An encrypted PKCS#12 without a password exits 2 (no prompt off a terminal)."""
        path = testdata("formats", "bundle.pfx")

        assert_one_error_line(verify(runner, path, *site.trust), path)

    def test_key_option_without_a_key(self, runner: CliRunner, site: Site) -> None:
        """--key naming a file without a private key exits 2."""
        result = verify(runner, site.good, *site.trust, "--key", site.cert_only)

        assert_one_error_line(result, site.cert_only)

    def test_unreadable_trust(self, runner: CliRunner, tmp_path: Path, site: Site) -> None:
        """--trust naming a missing file exits 2 with one Error line."""
        missing = tmp_path / "no-anchors.pem"

        assert_one_error_line(verify(runner, site.good, "--trust", missing), missing)

    def test_no_file_is_a_usage_error(self, runner: CliRunner) -> None:
        """verify without FILE exits 2 with a usage message."""
        result = verify(runner)

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert result.stdout == ""
        assert "Missing argument" in result.stderr

    def test_bad_time_is_a_usage_error(self, runner: CliRunner, site: Site) -> None:
        """An --at that is not ISO 8601 exits 2."""
        result = verify(runner, site.good, at="next tuesday")

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert result.stdout == ""
        assert "ISO 8601" in result.stderr


# ------------------------------------------------------------- human text


class TestHumanOutput:
    def test_chain_drawn_leaf_first(self, runner: CliRunner, site: Site) -> None:
        """One line per certificate, leaf at the top, with subject, issuer, expiry and days left."""
        result = verify(runner, site.good, *site.trust)

        assert result.exit_code == ExitCode.OK, result.output
        lines = result.stdout.splitlines()
        assert lines[0] == str(site.good)
        drawn = cert_lines(result.stdout)
        assert len(drawn) == 3
        h = site.hier
        for index, (line, issued, role) in enumerate(zip(
            drawn, [h.leaf, h.intermediate, h.root], ["leaf", "intermediate", "root"]
        )):
            assert f"[{index}] {role}: " in line
            assert issued.cert.subject.rfc4514_string() in line
            assert f"issuer {issued.cert.issuer.rfc4514_string()}" in line
            assert f"expires 2060-01-01, {DAYS_LEFT} days left" in line
        assert result.stderr == ""

    def test_link_marks_ok(self, runner: CliRunner, site: Site) -> None:
        """In a good file every certificate after the leaf is marked ok."""
        result = verify(runner, site.good, *site.trust)

        drawn = cert_lines(result.stdout)
        assert not re.match(r"^\s*(ok|NO)\b", drawn[0])
        assert all(re.match(r"^\s*ok\s", line) for line in drawn[1:]), drawn

    def test_link_marks_no(self, runner: CliRunner, site: Site) -> None:
        """In a shuffled file the broken links are marked NO."""
        result = verify(runner, site.shuffled, *site.trust)

        drawn = cert_lines(result.stdout)
        assert re.match(r"^\s*NO\s", drawn[1]), drawn
        assert "[1] leaf: " in drawn[1]

    def test_findings_then_verdict(self, runner: CliRunner, site: Site) -> None:
        """Findings follow the chain, each with severity and code; the verdict is the last line."""
        result = verify(runner, site.shuffled, *site.trust)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        lines = result.stdout.rstrip("\n").splitlines()
        findings_at = lines.index("Findings:")
        assert findings_at > max(lines.index(ln) for ln in cert_lines(result.stdout))
        assert re.match(r"^\s+error\s+wrong-order: ", lines[findings_at + 1])
        verdicts = [ln for ln in lines if ln.startswith(("OK", "FAIL"))]
        assert verdicts == ["FAIL: 1 error."]

    def test_ok_verdict_names_the_end_of_validity(self, runner: CliRunner, site: Site) -> None:
        """A passing file's verdict says until when the chain is valid."""
        result = verify(runner, site.noroot, *site.trust)

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stdout.rstrip("\n").splitlines()[-1] == (
            "OK: the chain verifies, valid until 2060-01-01."
        )

    def test_verdict_counts_warnings(self, runner: CliRunner, site: Site) -> None:
        """The verdict counts warnings too."""
        result = verify(runner, site.good)

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stdout.rstrip("\n").splitlines()[-1] == (
            "OK: the chain verifies, valid until 2060-01-01, 1 warning."
        )

    def test_expired_shows_days_ago(self, runner: CliRunner, tmp_path: Path, pki: PKI,
                                    site: Site) -> None:
        """An expired leaf's line says how long ago it expired."""
        leaf = pki.leaf(site.hier.intermediate, "hub.example.org",
                        not_after=T0 - dt.timedelta(days=10))
        path = write(tmp_path / "old.pem", leaf, site.hier.intermediate)

        result = verify(runner, path, *site.trust)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "expired 10 days ago" in cert_lines(result.stdout)[0]
        assert "expired" in result.stdout

    def test_no_colour_off_a_terminal(self, runner: CliRunner, site: Site) -> None:
        """The runner is not a terminal: no ANSI escape anywhere."""
        result = verify(runner, site.shuffled, *site.trust)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "\x1b[" not in result.stdout
        assert "\x1b[" not in result.stderr


# ------------------------------------------------------------------ repair


class TestRepair:
    def test_offered_for_wrong_order(self, runner: CliRunner, site: Site) -> None:
        """A wrong-order file gets the exact build command that rewrites it in place."""
        result = verify(runner, site.shuffled, *site.trust)

        command = repair_command(result.stdout)
        assert command is not None, result.stdout
        words = shlex.split(command)
        assert words[:3] == ["certchain", "build", str(site.shuffled)]
        assert words[-3:] == ["-o", str(site.shuffled), "--force"]
        assert ["--trust", str(site.root)] == words[3:5]

    @pytest.mark.parametrize("name", ["lonely", "good"])
    def test_not_offered(self, runner: CliRunner, site: Site, name: str) -> None:
        """No repair line for a good file, nor for a missing issuer that build cannot add."""
        result = verify(runner, getattr(site, name), *site.trust)

        assert repair_command(result.stdout) is None

    def test_not_offered_with_other_errors(self, runner: CliRunner, site: Site) -> None:
        """wrong-order with hostname-mismatch: build cannot fix it, so no repair line."""
        result = verify(runner, site.shuffled, *site.trust, "--hostname", "other.example.org")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert repair_command(result.stdout) is None

    @pytest.mark.parametrize("name", ["shuffled", "extra"])
    def test_running_it_makes_verify_pass(
        self, runner: CliRunner, tmp_path: Path, site: Site, name: str
    ) -> None:
        """Running the printed command rewrites the file so that verify then passes."""
        path = tmp_path / f"{name}.pem"
        shutil.copyfile(getattr(site, name), path)
        first = verify(runner, path, *site.trust)
        assert first.exit_code == ExitCode.CHAIN_PROBLEM, first.output
        command = repair_command(first.stdout)
        assert command is not None, first.stdout

        built = run_repair(runner, command)

        assert built.exit_code == ExitCode.OK, built.output
        again = verify(runner, path, *site.trust)
        assert again.exit_code == ExitCode.OK, again.output
        assert repair_command(again.stdout) is None

    def test_without_root_keeps_root_out(
        self, runner: CliRunner, tmp_path: Path, site: Site
    ) -> None:
        """A shuffled file without its root is repaired without adding the root."""
        h = site.hier
        path = write(tmp_path / "hub.pem", h.intermediate, h.leaf)
        command = repair_command(verify(runner, path, *site.trust).stdout)
        assert command is not None

        built = run_repair(runner, command)

        assert built.exit_code == ExitCode.OK, built.output
        assert [c.cert for c in load_file(path).certs] == [h.leaf.cert, h.intermediate.cert]

    def test_repair_keeps_the_private_key_in_the_file(
        self, runner: CliRunner, tmp_path: Path, site: Site
    ) -> None:
        """Following the repair of a cert+key file keeps the leaf's private key in the file."""
        h = site.hier
        path = write(tmp_path / "combined.pem", h.intermediate, h.leaf, keys=(h.leaf.key,))
        first = verify(runner, path, *site.trust)
        assert first.exit_code == ExitCode.CHAIN_PROBLEM, first.output
        command = repair_command(first.stdout)
        assert command is not None, first.stdout

        built = run_repair(runner, command)

        assert built.exit_code == ExitCode.OK, built.output
        assert load_file(path).keys, "the repair command deleted the private key"

    def test_repair_of_a_password_protected_pkcs12(
        self, runner: CliRunner, tmp_path: Path, site: Site
    ) -> None:
        """The repair of a shuffled, password-protected PKCS#12 file writes a new, good PEM file."""
        h = site.hier
        path = tmp_path / "hub.pfx"
        path.write_bytes(pkcs12.serialize_key_and_certificates(
            b"hub", h.leaf.key, h.leaf.cert, [h.root.cert, h.intermediate.cert],
            BestAvailableEncryption(PFX_PASSWORD.encode()),
        ))
        password = tmp_path / "password.txt"
        password.write_text(PFX_PASSWORD + "\n")
        first = verify(runner, path, *site.trust, "--password-file", password)
        assert first.exit_code == ExitCode.CHAIN_PROBLEM, first.output
        command = repair_command(first.stdout)
        assert command is not None, first.stdout

        original = path.read_bytes()
        built = run_repair(runner, command)

        assert built.exit_code == ExitCode.OK, built.output
        assert original == path.read_bytes(), "the PKCS#12 file must not be overwritten"
        fixed = tmp_path / "hub-fixed.crt"
        again = verify(runner, fixed, *site.trust)
        assert again.exit_code == ExitCode.OK, again.output


# -------------------------------------------------------------------- JSON


class TestJson:
    def test_single_file_is_one_document(self, runner: CliRunner, site: Site) -> None:
        """One file gives one JSON document with exactly the documented keys."""
        result = verify(runner, site.good, *site.trust, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        doc = json.loads(result.stdout)
        assert set(doc) == VERIFY_KEYS
        assert doc["file"] == str(site.good)
        assert doc["ok"] is True
        assert doc["valid_until"] == "2060-01-01T00:00:00Z"
        assert result.stderr == ""

    def test_chain_entries(self, runner: CliRunner, site: Site) -> None:
        """Each chain entry has the pinned keys, a role and the certificate's fingerprint."""
        result = verify(runner, site.good, *site.trust, "--json")

        doc = json.loads(result.stdout)
        h = site.hier
        assert [e["role"] for e in doc["chain"]] == ["leaf", "intermediate", "root"]
        for entry, issued in zip(doc["chain"], [h.leaf, h.intermediate, h.root]):
            assert set(entry) == CHAIN_KEYS
            assert entry["sha256"] == fingerprint(issued.cert)
            assert entry["subject"] == issued.cert.subject.rfc4514_string()
            assert entry["issuer"] == issued.cert.issuer.rfc4514_string()
            assert ISO_Z.match(entry["not_before"]) and ISO_Z.match(entry["not_after"])

    def test_finding_entries(self, runner: CliRunner, site: Site) -> None:
        """Each finding has the pinned keys: code, severity, message and the file index."""
        result = verify(runner, site.extra, *site.trust, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        doc = json.loads(result.stdout)
        assert doc["ok"] is False
        for finding in doc["findings"]:
            assert set(finding) == FINDING_KEYS
            assert finding["severity"] in {"error", "warning", "info"}
            assert finding["cert"] is None or isinstance(finding["cert"], int)
        extra = [f for f in doc["findings"] if f["code"] == "extra-cert"]
        assert [(f["severity"], f["cert"]) for f in extra] == [("error", 3)]
        assert {e["role"] for e in doc["chain"]} <= ROLES
        assert doc["chain"][3]["role"] == "extra"

    def test_valid_until_null_without_a_path(self, runner: CliRunner, site: Site) -> None:
        """Without a complete path valid_until is null."""
        result = verify(runner, site.lonely, *site.trust, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        doc = json.loads(result.stdout)
        assert doc["valid_until"] is None
        assert codes_in(doc) == {"missing-issuer": "error"}
        assert doc["findings"][0]["cert"] == 0

    def test_several_files_one_line_each(self, runner: CliRunner, site: Site) -> None:
        """Several files: one JSON object per line on stdout, the summary on stderr."""
        result = verify(runner, site.good, site.shuffled, site.noroot, *site.trust, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        docs = json_lines(result.stdout)
        assert [d["file"] for d in docs] == [str(site.good), str(site.shuffled), str(site.noroot)]
        assert [d["ok"] for d in docs] == [True, False, True]
        assert all(set(d) == VERIFY_KEYS for d in docs)
        assert result.stderr == "3 files: 2 ok, 1 with errors.\n"

    def test_no_repair_line_in_json(self, runner: CliRunner, site: Site) -> None:
        """--json output is JSON only, even for a repairable file."""
        result = verify(runner, site.shuffled, *site.trust, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert len(result.stdout.splitlines()) == 1
        assert codes_in(json.loads(result.stdout))["wrong-order"] == "error"


# ------------------------------------------------------------ several files


class TestSeveralFiles:
    def test_summary_and_exit_1(self, runner: CliRunner, site: Site) -> None:
        """Each file is judged; the summary ends the output; one bad file makes exit 1."""
        result = verify(runner, site.good, site.shuffled, site.noroot, *site.trust)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        lines = result.stdout.rstrip("\n").splitlines()
        assert lines[-1] == "3 files: 2 ok, 1 with errors."
        for path in (site.good, site.shuffled, site.noroot):
            assert str(path) in lines
        assert result.stderr == ""

    def test_all_good_exit_0(self, runner: CliRunner, site: Site) -> None:
        """Several good files exit 0 with a summary."""
        result = verify(runner, site.good, site.noroot, *site.trust)

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stdout.rstrip("\n").splitlines()[-1] == "2 files: 2 ok, 0 with errors."

    def test_single_file_has_no_summary(self, runner: CliRunner, site: Site) -> None:
        """One file gets no summary line."""
        result = verify(runner, site.good, *site.trust)

        assert not any(SUMMARY.match(ln) for ln in result.stdout.splitlines())

    def test_unreadable_among_several(self, runner: CliRunner, tmp_path: Path,
                                      site: Site) -> None:
        """An unreadable file: the others are judged, one Error line on stderr, exit 2."""
        missing = tmp_path / "absent.pem"

        result = verify(runner, site.good, missing, site.shuffled, *site.trust)

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        lines = result.stdout.splitlines()
        assert str(site.good) in lines and str(site.shuffled) in lines
        match = SUMMARY.match(lines[-1])
        assert match is not None, lines[-1]
        assert match.groups() == ("3", "1", "1")
        errors = result.stderr.splitlines()
        assert len(errors) == 1 and errors[0].startswith("Error:")
        assert str(missing) in errors[0]

    def test_unreadable_among_several_json(self, runner: CliRunner, tmp_path: Path,
                                           site: Site) -> None:
        """With --json every file gives its object (an error object for the unreadable one)."""
        junk = testdata("formats", "junk.bin")

        result = verify(runner, site.good, junk, site.noroot, *site.trust, "--json")

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        docs = json_lines(result.stdout)
        assert [d["file"] for d in docs] == [str(site.good), str(junk), str(site.noroot)]
        assert docs[1]["ok"] is False and docs[1]["error"]["code"] == "load-error"
        errors = result.stderr.splitlines()
        assert len(errors) == 2
        assert errors[0].startswith("Error:") and str(junk) in errors[0]
        match = SUMMARY.match(errors[1])
        assert match is not None and match.groups() == ("3", "2", "0")

    def test_each_file_judged_on_its_own(self, runner: CliRunner, site: Site) -> None:
        """A file's certificates do not complete another file's chain."""
        result = verify(runner, site.lonely, site.good, *site.trust, "--json")

        docs = json_lines(result.stdout)
        assert "missing-issuer" in codes_in(docs[0])
        assert docs[1]["ok"] is True


# ----------------------------------------------------------------- options


class TestOptions:
    def test_hostname_mismatch(self, runner: CliRunner, site: Site) -> None:
        """--hostname the leaf does not cover exits 1 with hostname-mismatch."""
        result = verify(runner, site.good, *site.trust, "--hostname", "other.example.org",
                        "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert codes_in(json.loads(result.stdout))["hostname-mismatch"] == "error"

    def test_hostname_match(self, runner: CliRunner, site: Site) -> None:
        """--hostname the leaf covers exits 0."""
        result = verify(runner, site.good, *site.trust, "--hostname", "hub.example.org")

        assert result.exit_code == ExitCode.OK, result.output

    def test_key_mismatch(self, runner: CliRunner, site: Site) -> None:
        """--key that is not the leaf's exits 1 with key-mismatch naming the key file."""
        result = verify(runner, site.good, *site.trust, "--key", site.other_key, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        doc = json.loads(result.stdout)
        (finding,) = [f for f in doc["findings"] if f["code"] == "key-mismatch"]
        assert finding["severity"] == "error"
        assert str(site.other_key) in finding["message"]

    def test_key_match(self, runner: CliRunner, site: Site) -> None:
        """--key with the leaf's key exits 0."""
        result = verify(runner, site.good, *site.trust, "--key", site.key)

        assert result.exit_code == ExitCode.OK, result.output
        assert "key-mismatch" not in result.stdout

    def test_trust_naming_another_root(self, runner: CliRunner, site: Site) -> None:
        """--trust naming another root makes untrusted-root an error: exit 1."""
        result = verify(runner, site.good, "--trust", site.stranger, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert codes_in(json.loads(result.stdout))["untrusted-root"] == "error"

    def test_default_store_is_certifi(self, runner: CliRunner, site: Site) -> None:
        """Without --trust the private root is untrusted-root, a warning naming certifi."""
        result = verify(runner, site.good, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        doc = json.loads(result.stdout)
        (finding,) = [f for f in doc["findings"] if f["code"] == "untrusted-root"]
        assert finding["severity"] == "warning"
        assert "certifi" in finding["message"]

    def test_warn_days(self, runner: CliRunner, tmp_path: Path, pki: PKI, site: Site) -> None:
        """A leaf with 10 days left warns by default and not with --warn-days 5."""
        leaf = pki.leaf(site.hier.intermediate, "hub.example.org",
                        not_after=T0 + dt.timedelta(days=10))
        path = write(tmp_path / "soon.pem", leaf, site.hier.intermediate)

        default = verify(runner, path, *site.trust, "--json")
        narrow = verify(runner, path, *site.trust, "--json", "--warn-days", "5")

        assert default.exit_code == ExitCode.OK, default.output
        assert codes_in(json.loads(default.stdout)).get("expires-soon") == "warning"
        assert narrow.exit_code == ExitCode.OK, narrow.output
        assert "expires-soon" not in codes_in(json.loads(narrow.stdout))

    def test_strict(self, runner: CliRunner, tmp_path: Path, pki: PKI, site: Site) -> None:
        """An intermediate without AKI warns (exit 0), and is an error with --strict (exit 1)."""
        ca = pki.intermediate(site.hier.root, "CLI No-AKI CA", include_aki=False)
        path = write(tmp_path / "no-aki.pem", pki.leaf(ca, "hub.example.org"), ca)

        lenient = verify(runner, path, *site.trust, "--json")
        strict = verify(runner, path, *site.trust, "--json", "--strict")

        assert lenient.exit_code == ExitCode.OK, lenient.output
        assert codes_in(json.loads(lenient.stdout))["strict-policy"] == "warning"
        assert strict.exit_code == ExitCode.CHAIN_PROBLEM, strict.output
        assert codes_in(json.loads(strict.stdout))["strict-policy"] == "error"

    def test_pkcs12_with_password_file(self, runner: CliRunner) -> None:
        """bundle.pfx with --password-file and its root trusted verifies."""
        result = verify(
            runner, testdata("formats", "bundle.pfx"),
            "--password-file", testdata("formats", "password.txt"),
            "--trust", testdata("formats", "trusted.pem"),
        )

        assert result.exit_code == ExitCode.OK, result.output
        assert FORMATS_LEAF in cert_lines(result.stdout)[0]
        assert result.stderr == ""

    def test_several_problems_in_one_run(self, runner: CliRunner, site: Site) -> None:
        """Every problem of a file is reported in one run."""
        result = verify(runner, site.shuffled, *site.trust, "--hostname", "other.example.org",
                        "--key", site.other_key, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert {"wrong-order", "hostname-mismatch", "key-mismatch", "root-included"} <= set(
            codes_in(json.loads(result.stdout))
        )


# ------------------------------------------------------------------ colour


class TestColour:
    def test_paint_on(self) -> None:
        """paint() wraps the text in an ANSI colour when enabled."""
        assert paint("FAIL", "red", True) == "\x1b[31mFAIL\x1b[0m"

    def test_paint_off(self) -> None:
        """paint() returns the text unchanged when disabled."""
        assert paint("FAIL", "red", False) == "FAIL"

    @staticmethod
    def run_on_terminal(site: Site, env: dict[str, str]) -> tuple[int, bytes]:
        """Run the installed verify with stdout on a pseudo-terminal; return (exit, output)."""
        return run_on_terminal(
            [installed_script(), "verify", str(site.shuffled), "--trust", str(site.root),
             "--at", T0_ISO], env,
        )

    def test_colour_on_a_terminal(self, site: Site) -> None:
        """On a terminal the verdict is coloured."""
        code, output = self.run_on_terminal(site, clean_env())

        assert code == ExitCode.CHAIN_PROBLEM
        assert b"\x1b[31mFAIL\x1b[0m" in output

    def test_no_colour_with_no_color(self, site: Site) -> None:
        """NO_COLOR turns colour off even on a terminal."""
        code, output = self.run_on_terminal(site, clean_env(NO_COLOR="1"))

        assert code == ExitCode.CHAIN_PROBLEM
        assert b"FAIL: 1 error." in output
        assert b"\x1b[" not in output


# -------------------------------------------------------------- subprocess


class TestInstalledScript:
    def test_several_files(self, site: Site) -> None:
        """The installed script judges several files: exit 1 and the summary line last."""
        proc = subprocess.run(
            [installed_script(), "verify", str(site.good), str(site.shuffled),
             str(site.noroot), "--trust", str(site.root), "--at", T0_ISO],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
            env=clean_env(),
        )

        assert proc.returncode == ExitCode.CHAIN_PROBLEM, proc.stdout + proc.stderr
        assert proc.stdout.rstrip("\n").splitlines()[-1] == "3 files: 2 ok, 1 with errors."
        assert "\x1b[" not in proc.stdout
        assert proc.stderr == ""


# ------------------------------------------------------------------ inspect


class TestInspect:
    def test_pkcs12_lists_certificates_and_key(self, runner: CliRunner) -> None:
        """bundle.pfx lists three certificates and the key, which matches certificate 0."""
        result = inspect(runner, testdata("formats", "bundle.pfx"),
                         "--password-file", testdata("formats", "password.txt"))

        assert result.exit_code == ExitCode.OK, result.output
        out = result.stdout
        assert f"Certificate 0: {FORMATS_LEAF}" in out
        assert "Certificate 2: CN=certchain Formats Root CA" in out
        assert "Certificate 3" not in out
        assert "Private key 0: EC P-256" in out
        assert re.search(r"^\s+matches\s+certificate 0$", out, re.M)
        assert result.stderr == ""

    def test_fields_of_a_certificate(self, runner: CliRunner) -> None:
        """Every field is shown: names, serial, validity, key, signature, hashes, CA, URLs."""
        path = testdata("formats", "leaf.der")
        cert = load_file(path).certs[0].cert

        result = inspect(runner, path)

        assert result.exit_code == ExitCode.OK, result.output
        fields = field_rows(result.stdout)
        assert fields["issuer"] == cert.issuer.rfc4514_string()
        assert fields["names"] == "DNS:formats.example.org"
        assert fields["serial"] == format(cert.serial_number, "x")
        days = (cert.not_valid_after_utc - T0).days
        assert fields["valid"] == (
            f"2025-01-01T00:00:00Z to 2075-01-01T00:00:00Z ({days} days left)"
        )
        assert fields["key"] == "EC P-256"
        assert fields["signature"] == "ecdsa-with-SHA256"
        assert fields["sha256"] == fingerprint(cert)
        assert re.fullmatch(r"([0-9a-f]{2}:){19}[0-9a-f]{2}", fields["ski"])
        assert re.fullmatch(r"([0-9a-f]{2}:){19}[0-9a-f]{2}", fields["aki"])
        assert fields["CA"] == "no"
        assert {"CA issuers", "OCSP", "CRL"} <= set(fields)

    def test_pkcs7(self, runner: CliRunner) -> None:
        """chain.p7b lists its three certificates and no key."""
        result = inspect(runner, testdata("formats", "chain.p7b"))

        assert result.exit_code == ExitCode.OK, result.output
        assert len(re.findall(r"^Certificate \d+: ", result.stdout, re.M)) == 3
        assert "Private key" not in result.stdout
        assert "CA          yes (pathLen 0)" in result.stdout

    def test_aia_url_and_expired(self, runner: CliRunner, tmp_path: Path, pki: PKI,
                                 site: Site) -> None:
        """A certificate's caIssuers URL is listed, and an expired one says so."""
        url = "http://ca.example.test/inter.crt"
        leaf = pki.leaf(site.hier.intermediate, "hub.example.org", aia_url=url,
                        not_after=T0 - dt.timedelta(days=3))
        path = write(tmp_path / "aia.pem", leaf)

        result = inspect(runner, path)

        assert result.exit_code == ExitCode.OK, result.output
        assert re.search(rf"^\s+CA issuers\s+{re.escape(url)}$", result.stdout, re.M)
        assert "EXPIRED 3 days ago" in result.stdout

    def test_key_matching_nothing(self, runner: CliRunner) -> None:
        """A lone key matches no listed certificate."""
        result = inspect(runner, testdata("formats", "rsa-traditional.key"))

        assert result.exit_code == ExitCode.OK, result.output
        assert "Private key 0: RSA 2048" in result.stdout
        assert re.search(r"^\s+matches\s+no listed certificate$", result.stdout, re.M)

    def test_several_files_get_headers(self, runner: CliRunner) -> None:
        """Several files are listed one after the other under a header each."""
        der = testdata("formats", "leaf.der")
        p7b = testdata("formats", "chain.p7b")

        result = inspect(runner, der, p7b)

        assert result.exit_code == ExitCode.OK, result.output
        lines = result.stdout.splitlines()
        assert lines.index(f"== {der}") < lines.index(f"== {p7b}")
        assert "\x1b[" not in result.stdout

    def test_json_one_object_per_file(self, runner: CliRunner) -> None:
        """--json gives one object per file per line, with pinned keys per certificate and key."""
        pfx = testdata("formats", "bundle.pfx")
        der = testdata("formats", "leaf.der")

        result = inspect(runner, pfx, der, "--json",
                         "--password-file", testdata("formats", "password.txt"))

        assert result.exit_code == ExitCode.OK, result.output
        docs = json_lines(result.stdout)
        assert [d["file"] for d in docs] == [str(pfx), str(der)]
        for doc in docs:
            assert set(doc) == INSPECT_KEYS
            for cert in doc["certificates"]:
                assert set(cert) == CERT_FIELDS
        assert [len(d["certificates"]) for d in docs] == [3, 1]
        (key,) = docs[0]["keys"]
        assert set(key) == KEY_FIELDS
        assert key["matches"] == [0]
        assert docs[1]["keys"] == []
        assert docs[0]["certificates"][0]["sha256"] == docs[1]["certificates"][0]["sha256"]
        assert result.stderr == ""

    @pytest.mark.parametrize("name", ["junk.bin", "empty.crt", "corrupt-base64.pem", "csr.pem"])
    def test_bad_input(self, runner: CliRunner, name: str) -> None:
        """Bad input exits 2 with one Error line naming the file."""
        path = testdata("formats", name)

        assert_one_error_line(inspect(runner, path), path)

    def test_missing_file(self, runner: CliRunner, tmp_path: Path) -> None:
        """A missing file exits 2 with one Error line."""
        missing = tmp_path / "absent.pem"

        assert_one_error_line(inspect(runner, missing), missing)

    def test_pkcs12_without_password(self, runner: CliRunner) -> None:
        """An encrypted PKCS#12 without a password exits 2 with one Error line."""
        path = testdata("formats", "bundle.pfx")

        assert_one_error_line(inspect(runner, path), path)

    def test_wrong_password(self, runner: CliRunner, tmp_path: Path) -> None:
        """A wrong password exits 2 with one Error line."""
        path = testdata("formats", "bundle.pfx")
        password = tmp_path / "wrong.txt"
        password.write_text("not-the-password\n")

        assert_one_error_line(inspect(runner, path, "--password-file", password), path)
