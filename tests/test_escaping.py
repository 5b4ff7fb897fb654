"""
Text from certificates and files cannot forge certchain's output or drive the terminal.

A certificate whose common name is ``"evil\\n OK: the chain verifies"``, a CA
named with an OSC title sequence, SANs and URLs with ESC and line breaks,
file names with control characters: every text line shows them escaped
(``\\n``, ``\\x1b``), on a terminal and off it, and JSON escapes them as
JSON does.  Both the library's renderers and the real CLI are checked.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from configtext import jupyterhub_values
from cryptography import x509
from pki import PKI, T0, T0_ISO, Issued
from terminal import run_on_terminal

from certchain import build_chain, inspect_material, load_bytes, verify_chain
from certchain.cli import ExitCode, main
from certchain.layout import escape, escape_lines
from certchain.model import TrustStore
from certchain.policy import Policy
from certchain.report import build_text, error_lines, finding_lines, inspect_text, verify_text

#: A line break that would start a forged verdict line.
EVIL_CN = "evil\n OK: the chain verifies"
#: An OSC sequence that sets the terminal's title, then a C1 CSI (clear the
#: screen) and a right-to-left override.
EVIL_CA = "\x1b]0;pwned\x07Evil CA\x9b2J\u202e"
#: URL and DNS name: ASCII only, but ESC, CR and LF are ASCII.
EVIL_URL = "http://ca.example/\x1b[2J\r\nOK: fetched"
EVIL_DNS = "x\x1b[31m\n.example.org"
#: What must never reach the output raw (our own colours are off: NO_COLOR).
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\r")


@dataclass(frozen=True)
class Evil:
    root: Issued
    inter: Issued
    leaf: Issued


@pytest.fixture(scope="module")
def evil(pki: PKI) -> Evil:
    """A root, a CA named EVIL_CA (AIA: EVIL_URL), a leaf named EVIL_CN with EVIL_DNS."""
    root = pki.root()
    inter = pki.intermediate(root, EVIL_CA, aia_url=EVIL_URL)
    leaf = pki.leaf(
        inter, "hub.example.org", cn=EVIL_CN, aia_url=EVIL_URL,
        san=[x509.DNSName("hub.example.org"), x509.DNSName(EVIL_DNS)],
    )
    return Evil(root, inter, leaf)


def assert_not_forged(text: str) -> None:
    """No raw control character, and no line of *text* that starts as a verdict would."""
    for raw in RAW:
        assert raw not in text, (raw, text)
    for line in text.split("\n"):
        assert not line.lstrip().startswith("OK:"), line
    # What the certificate holds is shown, escaped, not dropped.
    assert "evil\\n OK: the chain verifies" in text or "\\x1b]0;pwned\\x07" in text, text


def run(runner: CliRunner, *args: object) -> Result:
    return runner.invoke(main, [*(str(a) for a in args), "--at", T0_ISO])


# ------------------------------------------------------------------ escape


class TestEscape:
    def test_control_characters(self) -> None:
        """Line breaks, ESC, BEL, C1 and format characters become escapes; the rest stays."""
        assert escape(EVIL_CN) == "evil\\n OK: the chain verifies"
        assert escape(EVIL_CA) == "\\x1b]0;pwned\\x07Evil CA\\x9b2J\\u202e"
        assert escape("tab\there\r\u2028") == "tab\\there\\r\\u2028"
        assert escape("CN=Bücher, O=Ünï 日本") == "CN=Bücher, O=Ünï 日本"

    def test_undecodable_file_name(self) -> None:
        """A lone surrogate (a file name that is not UTF-8) is escaped, so it can be printed."""
        name = os.fsdecode(b"/srv/\xff.crt")

        assert escape(name) == "/srv/\\udcff.crt"
        escape(name).encode("utf-8")

    def test_idempotent(self) -> None:
        """Escaping twice changes nothing: the result is printable."""
        once = escape(EVIL_CA + EVIL_CN)

        assert once.isprintable()
        assert escape(once) == once

    def test_lines_keep_our_breaks(self) -> None:
        """escape_lines keeps the line breaks and tabs of certchain's own text, escapes the rest."""
        assert escape_lines("one\x1b[2J\n\ttwo") == "one\\x1b[2J\n\ttwo"


# ----------------------------------------------------------------- library


@pytest.fixture(scope="module")
def policy(evil: Evil) -> Policy:
    return Policy(store=TrustStore((evil.root.cert,), "test", explicit=True), at=T0)


class TestRenderers:
    def test_build_text(self, evil: Evil, policy: Policy) -> None:
        """build_text shows the leaf's and the CA's names escaped."""
        host = load_bytes(evil.leaf.pem)
        result = build_chain(host, load_bytes(evil.inter.pem + evil.root.pem), policy=policy)

        text = build_text(result, Path("host\x1b[2J.crt"), "out.crt", None)

        assert_not_forged(text)
        assert "CN=evil\\n OK: the chain verifies" in text

    def test_verify_text_and_findings(self, evil: Evil, policy: Policy) -> None:
        """verify_text and finding_lines escape the missing issuer's name and its URL."""
        report = verify_chain(load_bytes(evil.leaf.pem), policy=policy)
        assert not report.ok

        text = verify_text(report, "leaf\n OK: forged.pem", T0)

        assert_not_forged(text)
        assert "\\x1b[2J\\r\\nOK: fetched" in text
        assert text.splitlines()[-1].startswith("FAIL:")
        lines = finding_lines(report.findings) + error_lines(report.findings, "a\x1b.pem")
        assert_not_forged("\n".join(lines))

    def test_inspect_text(self, evil: Evil) -> None:
        """inspect_text escapes subject, SANs, URLs and the source."""
        items = inspect_material(load_bytes(evil.leaf.pem + evil.inter.pem), T0)

        text = inspect_text(items)

        assert_not_forged(text)
        assert "DNS:x\\x1b[31m\\n.example.org" in text

    def test_json_keeps_the_text(self, evil: Evil) -> None:
        """The library's dictionaries keep the raw text; json.dumps escapes it as JSON does."""
        items = inspect_material(load_bytes(evil.leaf.pem), T0)

        encoded = json.dumps(items)

        assert encoded.isascii() and encoded.isprintable()
        assert json.loads(encoded)["certificates"][0]["subject"] == f"CN={EVIL_CN}"


# --------------------------------------------------------------------- CLI


@pytest.fixture
def site(tmp_path: Path, evil: Evil) -> Path:
    """leaf.pem (the evil leaf alone: its issuer is missing), inter.crt, root.crt."""
    evil.leaf.write(tmp_path / "leaf.pem")
    evil.inter.write(tmp_path / "inter.crt")
    evil.root.write(tmp_path / "root.crt")
    return tmp_path


class TestCli:
    def test_build(self, runner: CliRunner, site: Path) -> None:
        """build prints the chain with the names escaped; the snippet stays valid Python."""
        result = run(runner, "build", site / "leaf.pem", site / "inter.crt", site / "root.crt",
                     "--trust", site / "root.crt")

        assert result.exit_code == ExitCode.OK, result.output
        assert_not_forged(result.output)
        snippet = result.stdout[result.stdout.index("c.JupyterHub.ssl_cert"):]
        assert jupyterhub_values(snippet)["ssl_cert"] == str(site / "leaf-chained.crt")

    @pytest.mark.parametrize("quiet", [[], ["--quiet"]])
    def test_verify(self, runner: CliRunner, site: Path, quiet: list[str]) -> None:
        """verify (and verify -q) escapes subjects, issuers and URLs in lines and findings."""
        result = run(runner, "verify", site / "leaf.pem", "--trust", site / "root.crt", *quiet)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert_not_forged(result.output)

    def test_verify_file_name(self, runner: CliRunner, site: Path, evil: Evil) -> None:
        """A file name with a line break and ESC is escaped in the report and the repair command."""
        odd = site / "x\n OK: the chain verifies\x1b]0;t\x07.pem"
        odd.write_bytes(evil.inter.pem + evil.leaf.pem)

        result = run(runner, "verify", odd, "--trust", site / "root.crt")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert_not_forged(result.output)
        assert "certchain build can repair this file" in result.stdout

    def test_inspect(self, runner: CliRunner, site: Path) -> None:
        """inspect escapes subject, SANs and AIA URLs."""
        result = run(runner, "inspect", site / "leaf.pem", site / "inter.crt")

        assert result.exit_code == ExitCode.OK, result.output
        assert_not_forged(result.output)

    def test_error_line(self, runner: CliRunner, site: Path, pki: PKI, evil: Evil) -> None:
        """An Error: line naming a certificate or a file escapes them; its JSON keeps them."""
        other = pki.leaf(evil.inter, "other.example.org", cn=EVIL_CA)
        both = site / "both\x1b]0;pwned\x07.pem"
        both.write_bytes(evil.leaf.pem + other.pem)  # two host certificates: ambiguous

        result = run(runner, "build", both, site / "inter.crt")
        as_json = run(runner, "build", both, site / "inter.crt", "--json")

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert result.stderr.startswith("Error:")
        assert_not_forged(result.stderr)
        assert as_json.stdout.isascii()
        error = json.loads(as_json.stdout)["error"]
        assert str(both) in error["message"] and EVIL_CN in error["message"]

    def test_missing_file_named_with_controls(self, runner: CliRunner, site: Path) -> None:
        """A missing file whose name holds an OSC sequence is named escaped in the Error: line."""
        result = run(runner, "verify", site / "\x1b]0;pwned\x07.pem")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "\\x1b]0;pwned\\x07.pem" in result.stderr
        assert "\x1b" not in result.output

    def test_doctor(self, runner: CliRunner, site: Path) -> None:
        """doctor escapes the paths a configuration names, in text; JSON keeps them exact."""
        config = site / "jupyterhub_config.py"
        bad = "/srv/\x1b]0;pwned\x07\n OK: the chain verifies.crt"
        config.write_text(f"c.JupyterHub.ssl_cert = {bad!r}\nc.JupyterHub.ssl_key = {bad!r}\n")

        text = run(runner, "doctor", config)
        as_json = run(runner, "doctor", config, "--json")

        assert text.exit_code == as_json.exit_code == ExitCode.CHAIN_PROBLEM
        for raw in RAW:
            assert raw not in text.output
        assert not any(line.lstrip().startswith("OK:") for line in text.output.splitlines())
        assert as_json.stdout.isascii()
        messages = [f["message"] for f in json.loads(as_json.stdout)["findings"]]
        assert any(bad in m for m in messages)

    def test_json_is_escaped_by_json(self, runner: CliRunner, site: Path) -> None:
        """verify --json holds no raw control character and gives the names back exactly."""
        result = run(runner, "verify", site / "leaf.pem", "--trust", site / "root.crt", "--json")

        assert result.stdout.isascii() and result.stdout.rstrip("\n").isprintable()
        doc = json.loads(result.stdout)
        assert doc["chain"][0]["subject"] == f"CN={EVIL_CN}"
        assert any(EVIL_URL in f["message"] for f in doc["findings"])

    def test_snippet_path_with_escape_is_refused(
        self, runner: CliRunner, tmp_path: Path, evil: Evil
    ) -> None:
        """A path with ESC cannot be written safely in a shell line: exit 2, nothing written."""
        folder = tmp_path / "a\x1b]0;t\x07b"
        folder.mkdir()
        host = evil.leaf.write(folder / "host.crt")
        inter = evil.inter.write(folder / "inter.crt")
        root = evil.root.write(folder / "root.crt")

        result = run(runner, "build", host, inter, root, "--format", "jupyterhub-cli")

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert "control character" in result.stderr
        assert "\x1b" not in result.output
        assert sorted(os.listdir(folder)) == ["host.crt", "inter.crt", "root.crt"]


class TestTerminal:
    @pytest.mark.parametrize("command", ["verify", "inspect"])
    def test_on_a_terminal(self, site: Path, command: str) -> None:
        """On a terminal (a pty, 80 columns) nothing raw reaches it and no line is forged."""
        env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}

        status, output = run_on_terminal(
            [sys.executable, "-m", "certchain", command, str(site / "leaf.pem"),
             "--at", T0_ISO], env,
        )

        text = output.decode().replace("\r\n", "\n")
        assert status in (ExitCode.OK, ExitCode.CHAIN_PROBLEM), text
        assert_not_forged(text)
