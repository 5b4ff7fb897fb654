"""
``certchain config``, ``certchain doctor`` and ``certchain build --format/--combined``
through click's runner.

Every run passes ``--at T0_ISO`` and ``--trust`` the test root (no network, no
clock), and every file lives in ``tmp_path``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pki import PKI, T0_ISO, Hierarchy, key_pem, new_key

from certchain.cli import PASSWORD_ENV, ExitCode, main
from certchain.jhconfig import parse_settings
from certchain.snippets import ServedFiles, render

PASSWORD = "correct-horse-7731"
JSON_KEYS = {"file", "ok", "chain", "findings", "valid_until"}
# doctor's objects add the site: its server, name, names, where, and files.
DOCTOR_JSON_KEYS = JSON_KEYS | {"server", "site", "names", "where", "chain_file", "key_file"}

AWKWARD_FOLDERS = [
    "my hub",
    "O'Brien",
    'say "hi"',
    "back\\slash",
    "both ' and \"",
    "ünïcødé ☃",
]


# ----------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Deployed:
    """A chained file (leaf + intermediate) with its key (0600) and the root, in one folder."""

    folder: Path
    chain: Path
    key: Path
    root: Path
    hier: Hierarchy

    @property
    def jupyterhub_lines(self) -> str:
        """The two lines ``config`` prints for this chain and key."""
        return (
            f"c.JupyterHub.ssl_cert = {str(self.chain)!r}\n"
            f"c.JupyterHub.ssl_key = {str(self.key)!r}\n"
        )

    @property
    def chain_bytes(self) -> bytes:
        """The PEM of the chained file."""
        return self.hier.leaf.pem + self.hier.intermediate.pem


def deploy(folder: Path, hier: Hierarchy, chain_name: str = "host-chained.crt",
           key_name: str | None = "host.key") -> Deployed:
    """Write *hier*'s chained file, key (mode 0600) and root into *folder*."""
    folder.mkdir(parents=True, exist_ok=True)
    chain = folder / chain_name
    chain.write_bytes(hier.leaf.pem + hier.intermediate.pem)
    key = folder / (key_name or "unused.key")
    if key_name is not None:
        key.write_bytes(hier.leaf.key_pem)
        key.chmod(0o600)
    root = folder.parent / f"{folder.name}-root.crt"
    return Deployed(folder, chain, key, hier.root.write(root), hier)


def config(runner: CliRunner, d: Deployed, *args: object, **kwargs: Any) -> Result:
    """Run ``certchain config ARGS --trust ROOT --at T0``."""
    argv = ["config", *(str(a) for a in args), "--trust", str(d.root), "--at", T0_ISO]
    return runner.invoke(main, argv, **kwargs)


def doctor(runner: CliRunner, d: Deployed, *args: object, **kwargs: Any) -> Result:
    """Run ``certchain doctor ARGS --trust ROOT --at T0``."""
    argv = ["doctor", *(str(a) for a in args), "--trust", str(d.root), "--at", T0_ISO]
    return runner.invoke(main, argv, **kwargs)


def build(runner: CliRunner, d: Deployed, host: Path, *args: object) -> Result:
    """Run ``certchain build HOST INTER ROOT ARGS --trust ROOT --at T0`` (INTER beside HOST)."""
    inter = host.with_name("inter.crt")
    argv = ["build", str(host), str(inter), str(d.root), *(str(a) for a in args),
            "--trust", str(d.root), "--at", T0_ISO]
    return runner.invoke(main, argv)


def assert_one_error_line(result: Result, *words: str) -> None:
    """Exit 2, nothing on stdout, one ``Error:`` line on stderr holding each of *words*."""
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert "" == result.stdout
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert 1 == len(errors), result.stderr
    for word in words:
        assert word in result.stderr
    assert "Traceback" not in result.stderr


def python_values(text: str) -> dict[str, str]:
    """Parse *text* as Python and return {trait: value} of its ``c.JupyterHub.X = '...'`` lines."""
    values = {}
    for node in ast.parse(text).body:
        assert isinstance(node, ast.Assign), ast.dump(node)
        (target,) = node.targets
        assert isinstance(target, ast.Attribute)
        assert isinstance(target.value, ast.Attribute) and target.value.attr == "JupyterHub"
        assert isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        values[target.attr] = node.value.value
    return values


def directive_values(text: str) -> dict[str, str]:
    """Return {directive: value} of an nginx or httpd snippet, unquoted as the servers do."""
    values = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r'(\S+)\s+"((?:[^"\\]|\\.)*)";?', line)
        assert match is not None, line
        values[match[1]] = re.sub(r"\\(.)", r"\1", match[2])
    return values


def crt_of(text: str) -> str:
    """Return the ``crt`` path of a haproxy snippet, split as HAProxy and a POSIX shell do."""
    (bind,) = [ln for ln in text.splitlines() if not ln.startswith("#")]
    words = shlex.split(bind)
    assert ["bind", ":443", "ssl", "crt"] == words[:4]
    return words[4]


def json_findings(result: Result) -> dict[str, str]:
    """Return {code: severity} of a ``--json`` run."""
    return {f["code"]: f["severity"] for f in json.loads(result.stdout)["findings"]}


def listing(folder: Path) -> list[str]:
    """Return the sorted names in *folder*."""
    return sorted(os.listdir(folder))


@pytest.fixture(autouse=True)
def _no_password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a password in the caller's environment out of every test."""
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


@pytest.fixture
def d(tmp_path: Path, chain3: Hierarchy) -> Deployed:
    """The shared hierarchy deployed as host-chained.crt and host.key in ``tmp_path/hub``."""
    return deploy(tmp_path / "hub", chain3)


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    """A file holding PASSWORD and a newline."""
    path = tmp_path / "pw.txt"
    path.write_text(PASSWORD + "\n")
    return path


# ------------------------------------------------------------------ config


class TestConfigFormats:
    def test_default_is_jupyterhub(self, runner: CliRunner, d: Deployed) -> None:
        """Without --format, stdout is exactly the two c.JupyterHub lines with absolute paths."""
        result = config(runner, d, d.chain)

        assert result.exit_code == ExitCode.OK, result.output
        assert d.jupyterhub_lines == result.stdout
        assert result.stderr.startswith(f"{d.chain}: verified.")

    def test_relative_chain_gives_absolute_paths(
        self, runner: CliRunner, d: Deployed, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A relative CHAIN gives absolute paths for the chain and the discovered key."""
        monkeypatch.chdir(d.folder)

        result = config(runner, d, "host-chained.crt")

        assert result.exit_code == ExitCode.OK, result.output
        assert d.jupyterhub_lines == result.stdout

    @pytest.mark.parametrize("fmt", ["jupyterhub", "jupyterhub-cli", "nginx", "apache"])
    def test_stdout_is_the_snippet_only(self, runner: CliRunner, d: Deployed, fmt: str) -> None:
        """Stdout is exactly the renderer's text; the verdict goes to stderr."""
        result = config(runner, d, d.chain, "--format", fmt)

        assert result.exit_code == ExitCode.OK, result.output
        assert render(fmt, ServedFiles(d.chain, d.key)) == result.stdout
        assert "verified" in result.stderr
        assert "verified" not in result.stdout

    def test_jupyterhub_cli(self, runner: CliRunner, d: Deployed) -> None:
        """--format jupyterhub-cli prints the jupyterhub command with --ssl-cert and --ssl-key."""
        result = config(runner, d, d.chain, "--format", "jupyterhub-cli")

        assert result.exit_code == ExitCode.OK, result.output
        assert ["jupyterhub", "--ssl-cert", str(d.chain), "--ssl-key", str(d.key)] == (
            shlex.split(result.stdout)
        )

    def test_nginx(self, runner: CliRunner, d: Deployed) -> None:
        """--format nginx prints the two ssl_certificate directives."""
        result = config(runner, d, d.chain, "--format", "nginx")

        assert result.exit_code == ExitCode.OK, result.output
        assert (
            "# inside the server { listen 443 ssl; ... } block\n"
            f'ssl_certificate     "{d.chain}";\n'
            f'ssl_certificate_key "{d.key}";\n'
        ) == result.stdout

    def test_apache(self, runner: CliRunner, d: Deployed) -> None:
        """--format apache prints SSLCertificateFile and SSLCertificateKeyFile (httpd 2.4.8+)."""
        result = config(runner, d, d.chain, "--format", "apache")

        assert result.exit_code == ExitCode.OK, result.output
        assert {"SSLCertificateFile": str(d.chain), "SSLCertificateKeyFile": str(d.key)} == (
            directive_values(result.stdout)
        )
        assert "2.4.8" in result.stdout

    def test_unknown_format(self, runner: CliRunner, d: Deployed) -> None:
        """An unknown --format is a usage error (exit 2) with nothing on stdout."""
        result = config(runner, d, d.chain, "--format", "caddy")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "" == result.stdout
        assert "caddy" in result.stderr


class TestConfigQuoting:
    @pytest.fixture(params=AWKWARD_FOLDERS)
    def odd(self, request: pytest.FixtureRequest, tmp_path: Path, chain3: Hierarchy) -> Deployed:
        """The hierarchy deployed in a folder with an awkward name."""
        return deploy(tmp_path / request.param, chain3)

    def test_jupyterhub(self, runner: CliRunner, odd: Deployed) -> None:
        """The jupyterhub lines parse as Python to the exact paths."""
        result = config(runner, odd, odd.chain)

        assert result.exit_code == ExitCode.OK, result.output
        assert {"ssl_cert": str(odd.chain), "ssl_key": str(odd.key)} == python_values(
            result.stdout
        )

    def test_jupyterhub_cli(self, runner: CliRunner, odd: Deployed) -> None:
        """The jupyterhub command splits back to the exact paths."""
        result = config(runner, odd, odd.chain, "--format", "jupyterhub-cli")

        assert result.exit_code == ExitCode.OK, result.output
        assert ["jupyterhub", "--ssl-cert", str(odd.chain), "--ssl-key", str(odd.key)] == (
            shlex.split(result.stdout)
        )

    @pytest.mark.parametrize("fmt", ["nginx", "apache"])
    def test_directives(self, runner: CliRunner, odd: Deployed, fmt: str) -> None:
        """nginx and httpd read the exact paths back from the quoted directives."""
        result = config(runner, odd, odd.chain, "--format", fmt)

        assert result.exit_code == ExitCode.OK, result.output
        assert {str(odd.chain), str(odd.key)} == set(directive_values(result.stdout).values())

    @pytest.mark.parametrize("fmt", ["nginx", "apache"])
    def test_directive_escapes(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy, fmt: str
    ) -> None:
        """A double quote is written \\" and a backslash \\\\ in nginx and httpd values."""
        odd = deploy(tmp_path / 'a "b" \\c', chain3)

        result = config(runner, odd, odd.chain, "--format", fmt)

        assert result.exit_code == ExitCode.OK, result.output
        assert 'a \\"b\\" \\\\c' in result.stdout

    def test_haproxy(self, runner: CliRunner, odd: Deployed) -> None:
        """HAProxy's crt argument is shell-quoted and splits back to the exact path."""
        combined = odd.folder / "hub combined.pem"

        result = config(runner, odd, odd.chain, "--format", "haproxy", "--combined", combined)

        assert result.exit_code == ExitCode.OK, result.output
        assert str(combined) == crt_of(result.stdout)
        assert f"bind :443 ssl crt {shlex.quote(str(combined))}\n" in result.stdout

    @pytest.mark.parametrize("folder", ["price$5", "${host}", "$"])
    def test_dollar_refused_for_nginx(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy, folder: str
    ) -> None:
        """A '$' in an nginx path is refused: exit 2, one error line, nothing on stdout."""
        odd = deploy(tmp_path / folder, chain3)

        result = config(runner, odd, odd.chain, "--format", "nginx")

        assert_one_error_line(result, "$")

    def test_variable_refused_for_apache(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy
    ) -> None:
        """'${' in an apache path is refused: exit 2, one error line, nothing on stdout."""
        odd = deploy(tmp_path / "${APACHE_DIR}", chain3)

        result = config(runner, odd, odd.chain, "--format", "apache")

        assert_one_error_line(result, "${")

    def test_plain_dollar_allowed_for_apache(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy
    ) -> None:
        """A '$' not followed by '{' is fine for httpd."""
        odd = deploy(tmp_path / "price$5", chain3)

        result = config(runner, odd, odd.chain, "--format", "apache")

        assert result.exit_code == ExitCode.OK, result.output
        assert str(odd.chain) == directive_values(result.stdout)["SSLCertificateFile"]

    @pytest.mark.parametrize("fmt", ["nginx", "apache"])
    def test_line_break_refused(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy, fmt: str
    ) -> None:
        """A line break in a path is refused for nginx and apache: exit 2, nothing on stdout."""
        odd = deploy(tmp_path / "line\nbreak", chain3)

        result = config(runner, odd, odd.chain, "--format", fmt)

        assert_one_error_line(result, "line break")

    def test_line_break_refused_for_haproxy(
        self, runner: CliRunner, d: Deployed, tmp_path: Path
    ) -> None:
        """A line break in the --combined path is refused for haproxy, and no key file is left."""
        folder = tmp_path / "line\nbreak"
        folder.mkdir()
        combined = folder / "hub.pem"

        result = config(runner, d, d.chain, "--format", "haproxy", "--combined", combined)

        assert_one_error_line(result, "line break")
        assert [] == listing(folder)

    @pytest.mark.parametrize("fmt", ["jupyterhub", "jupyterhub-cli"])
    def test_line_break_fine_for_jupyterhub(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy, fmt: str
    ) -> None:
        """A line break survives Python's and the shell's quoting."""
        odd = deploy(tmp_path / "line\nbreak", chain3)

        result = config(runner, odd, odd.chain, "--format", fmt)

        assert result.exit_code == ExitCode.OK, result.output
        if fmt == "jupyterhub":
            assert str(odd.chain) == python_values(result.stdout)["ssl_cert"]
        else:
            assert str(odd.chain) == shlex.split(result.stdout)[2]


class TestConfigHaproxy:
    def test_needs_combined(self, runner: CliRunner, d: Deployed) -> None:
        """--format haproxy without --combined is a usage error (exit 2) and writes nothing."""
        before = listing(d.folder)

        result = config(runner, d, d.chain, "--format", "haproxy")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "" == result.stdout
        assert "--combined" in result.stderr
        assert before == listing(d.folder)

    def test_combined_file(self, runner: CliRunner, d: Deployed) -> None:
        """--combined writes the chain then the unencrypted key, mode 0600, and names it."""
        combined = d.folder / "hub.pem"
        old = os.umask(0)
        try:
            result = config(runner, d, d.chain, "--format", "haproxy", "--combined", combined)
        finally:
            os.umask(old)

        assert result.exit_code == ExitCode.OK, result.output
        assert f"# in the frontend section\nbind :443 ssl crt {combined}\n" == result.stdout
        assert d.chain_bytes + key_pem(d.hier.leaf.key) == combined.read_bytes()
        assert 0o600 == stat.S_IMODE(combined.stat().st_mode)
        assert ["host-chained.crt", "host.key", "hub.pem"] == listing(d.folder)

    def test_combined_loads_into_ssl(self, runner: CliRunner, d: Deployed) -> None:
        """A TLS server loads the combined file on its own (certificate and key)."""
        combined = d.folder / "hub.pem"

        result = config(runner, d, d.chain, "--format", "haproxy", "--combined", combined)

        assert result.exit_code == ExitCode.OK, result.output
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(combined)

    def test_relative_combined_is_absolute(
        self, runner: CliRunner, d: Deployed, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A relative --combined path is written there and named absolutely."""
        monkeypatch.chdir(d.folder)

        result = config(runner, d, d.chain, "--format", "haproxy", "--combined", "hub.pem")

        assert result.exit_code == ExitCode.OK, result.output
        assert str(d.folder / "hub.pem") == crt_of(result.stdout)
        assert (d.folder / "hub.pem").exists()

    def test_existing_combined_not_replaced(self, runner: CliRunner, d: Deployed) -> None:
        """An existing --combined file is kept without --force (exit 2, nothing on stdout)."""
        combined = d.folder / "hub.pem"
        combined.write_bytes(b"precious\n")

        result = config(runner, d, d.chain, "--format", "haproxy", "--combined", combined)

        assert_one_error_line(result, str(combined), "--force")
        assert b"precious\n" == combined.read_bytes()

    def test_force_replaces_combined(self, runner: CliRunner, d: Deployed) -> None:
        """--force replaces an existing --combined file, with mode 0600."""
        combined = d.folder / "hub.pem"
        combined.write_bytes(b"old\n")
        combined.chmod(0o644)

        result = config(runner, d, d.chain, "--format", "haproxy", "--combined", combined,
                        "--force")

        assert result.exit_code == ExitCode.OK, result.output
        assert combined.read_bytes().startswith(d.hier.leaf.pem)
        assert 0o600 == stat.S_IMODE(combined.stat().st_mode)

    def test_combined_decrypts_encrypted_key(
        self, runner: CliRunner, d: Deployed, password_file: Path
    ) -> None:
        """With an encrypted key and its password, the combined file holds the key unencrypted."""
        d.key.write_bytes(key_pem(d.hier.leaf.key, PASSWORD.encode()))
        combined = d.folder / "hub.pem"

        result = config(runner, d, d.chain, "--format", "haproxy", "--combined", combined,
                        "--password-file", password_file)

        assert result.exit_code == ExitCode.OK, result.output
        data = combined.read_bytes()
        assert b"ENCRYPTED" not in data
        assert PASSWORD.encode() not in data
        key = serialization.load_pem_private_key(data, password=None)
        assert key.public_key() == d.hier.leaf.key.public_key()

    def test_combined_needs_a_key(self, runner: CliRunner, d: Deployed) -> None:
        """Without any key, --combined is refused (exit 2) and no file is written."""
        d.key.unlink()
        combined = d.folder / "hub.pem"

        result = config(runner, d, d.chain, "--format", "haproxy", "--combined", combined)

        assert_one_error_line(result, "--key")
        assert not combined.exists()

    def test_combined_with_jupyterhub_format(self, runner: CliRunner, d: Deployed) -> None:
        """--combined with the default format writes the file and still prints the two lines."""
        combined = d.folder / "hub.pem"

        result = config(runner, d, d.chain, "--combined", combined)

        assert result.exit_code == ExitCode.OK, result.output
        assert d.jupyterhub_lines == result.stdout
        assert 0o600 == stat.S_IMODE(combined.stat().st_mode)


class TestConfigVerifiesFirst:
    def test_missing_intermediate(self, runner: CliRunner, d: Deployed) -> None:
        """A chain with an error exits 1 with the findings on stderr and nothing on stdout."""
        d.chain.write_bytes(d.hier.leaf.pem)

        result = config(runner, d, d.chain)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "" == result.stdout
        assert "missing-issuer" in result.stderr
        assert "--force" in result.stderr

    def test_force_prints_anyway(self, runner: CliRunner, d: Deployed) -> None:
        """--force prints the lines despite the error, and still exits 1."""
        d.chain.write_bytes(d.hier.leaf.pem)

        result = config(runner, d, d.chain, "--force")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert d.jupyterhub_lines == result.stdout
        assert "missing-issuer" in result.stderr

    def test_key_mismatch(self, runner: CliRunner, d: Deployed) -> None:
        """A key that does not match the leaf exits 1 with nothing on stdout."""
        other = d.folder / "other.key"
        other.write_bytes(key_pem(new_key()))

        result = config(runner, d, d.chain, "--key", other)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "" == result.stdout
        assert "key-mismatch" in result.stderr

    def test_expired(self, runner: CliRunner, d: Deployed) -> None:
        """A chain expired at --at exits 1 with nothing on stdout."""
        argv = ["config", str(d.chain), "--trust", str(d.root), "--at", "2070-01-01T00:00:00Z"]

        result = runner.invoke(main, argv)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "" == result.stdout
        assert "expired" in result.stderr

    def test_hostname(self, runner: CliRunner, d: Deployed) -> None:
        """--hostname is checked: the leaf's own name passes, another name exits 1."""
        good = config(runner, d, d.chain, "--hostname", "hub.example.org")
        bad = config(runner, d, d.chain, "--hostname", "other.example.org")

        assert good.exit_code == ExitCode.OK, good.output
        assert d.jupyterhub_lines == good.stdout
        assert bad.exit_code == ExitCode.CHAIN_PROBLEM, bad.output
        assert "" == bad.stdout
        assert "hostname-mismatch" in bad.stderr

    def test_warnings_go_to_stderr(self, runner: CliRunner, d: Deployed) -> None:
        """Warnings do not stop the lines: exit 0, lines on stdout, warnings on stderr."""
        result = config(runner, d, d.chain, "--warn-days", "20000")

        assert result.exit_code == ExitCode.OK, result.output
        assert d.jupyterhub_lines == result.stdout
        assert "expires-soon" in result.stderr

    def test_strict(self, runner: CliRunner, tmp_path: Path, pki: PKI) -> None:
        """A leaf without an AKI passes with a warning, and is an error with --strict."""
        root = pki.root()
        inter = pki.intermediate(root)
        odd = deploy(tmp_path / "noaki", Hierarchy(root, inter, pki.leaf(inter, include_aki=False)))

        lenient = config(runner, odd, odd.chain)
        strict = config(runner, odd, odd.chain, "--strict")

        assert lenient.exit_code == ExitCode.OK, lenient.output
        assert odd.jupyterhub_lines == lenient.stdout
        assert "strict-policy" in lenient.stderr
        assert strict.exit_code == ExitCode.CHAIN_PROBLEM, strict.output
        assert "" == strict.stdout
        assert "strict-policy" in strict.stderr

    def test_error_writes_nothing(self, runner: CliRunner, d: Deployed) -> None:
        """A chain error leaves --write's file and --combined's file alone."""
        d.chain.write_bytes(d.hier.leaf.pem)
        conf = d.folder / "jupyterhub_config.py"
        conf.write_text("c.JupyterHub.port = 443\n")
        before = listing(d.folder)

        result = config(runner, d, d.chain, "--write", conf, "--combined", d.folder / "c.pem")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "c.JupyterHub.port = 443\n" == conf.read_text()
        assert before == listing(d.folder)

    def test_missing_chain(self, runner: CliRunner, d: Deployed) -> None:
        """A CHAIN that does not exist exits 2 with one error line naming it."""
        result = config(runner, d, d.folder / "nope.crt")

        assert_one_error_line(result, "nope.crt")


class TestConfigKeyDiscovery:
    def test_host_key_for_chained_file(self, runner: CliRunner, d: Deployed) -> None:
        """HOST.key is found for HOST-chained.crt."""
        result = config(runner, d, d.chain)

        assert result.exit_code == ExitCode.OK, result.output
        assert str(d.folder / "host.key") == python_values(result.stdout)["ssl_key"]

    def test_chain_stem_key(self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy) -> None:
        """CHAIN-STEM.key is found for any CHAIN name."""
        site = deploy(tmp_path / "site", chain3, chain_name="site.pem", key_name="site.key")

        result = config(runner, site, site.chain)

        assert result.exit_code == ExitCode.OK, result.output
        assert str(site.key) == python_values(result.stdout)["ssl_key"]

    def test_chain_stem_key_wins_over_host_key(self, runner: CliRunner, d: Deployed) -> None:
        """host-chained.key is preferred to host.key for host-chained.crt."""
        d.key.write_bytes(key_pem(new_key()))  # host.key: the wrong key
        stem_key = d.folder / "host-chained.key"
        stem_key.write_bytes(d.hier.leaf.key_pem)

        result = config(runner, d, d.chain)

        assert result.exit_code == ExitCode.OK, result.output
        assert str(stem_key) == python_values(result.stdout)["ssl_key"]

    def test_key_inside_chain(self, runner: CliRunner, d: Deployed) -> None:
        """A key inside CHAIN is used, even when a sibling key file exists (--force prints it)."""
        both = d.folder / "host-chained.crt"
        both.write_bytes(d.chain_bytes + d.hier.leaf.key_pem)
        d.key.write_bytes(key_pem(new_key()))  # a wrong sibling

        result = config(runner, d, both, "--force")

        # The key is in the certificate file: refused (tests/test_server_files.py).
        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "unreadable-by-server" in result.stderr
        assert {"ssl_cert": str(both), "ssl_key": str(both)} == python_values(result.stdout)

    def test_key_option_wins(self, runner: CliRunner, d: Deployed, tmp_path: Path) -> None:
        """--key is used instead of any sibling."""
        elsewhere = tmp_path / "keys" / "hub.pem"
        elsewhere.parent.mkdir()
        elsewhere.write_bytes(d.hier.leaf.key_pem)
        d.key.write_bytes(key_pem(new_key()))

        result = config(runner, d, d.chain, "--key", elsewhere)

        assert result.exit_code == ExitCode.OK, result.output
        assert str(elsewhere) == python_values(result.stdout)["ssl_key"]

    def test_no_key(self, runner: CliRunner, d: Deployed) -> None:
        """Without a key the second line is a comment telling to pass --key; exit 0."""
        d.key.unlink()

        result = config(runner, d, d.chain)

        assert result.exit_code == ExitCode.OK, result.output
        lines = result.stdout.splitlines()
        assert f"c.JupyterHub.ssl_cert = {str(d.chain)!r}" == lines[0]
        assert lines[1].startswith("# c.JupyterHub.ssl_key = ...")
        assert "--key" in lines[1]

    def test_encrypted_key_with_password(
        self, runner: CliRunner, d: Deployed, password_file: Path
    ) -> None:
        """An encrypted key is checked with the password, refused, and --force's comment
        gives the openssl command."""
        d.key.write_bytes(key_pem(d.hier.leaf.key, PASSWORD.encode()))

        result = config(runner, d, d.chain, "--password-file", password_file, "--force")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "key-encrypted" in result.stderr
        assert "key-mismatch" not in result.stderr
        line = result.stdout.splitlines()[1]
        assert line.startswith("# c.JupyterHub.ssl_key = ...")
        assert f"openssl pkey -in {d.key}" in line
        assert PASSWORD not in result.stdout + result.stderr

    def test_encrypted_key_without_password(self, runner: CliRunner, d: Deployed) -> None:
        """An encrypted sibling key without a password (not a terminal) is a key-encrypted
        error, exit 1, nothing printed."""
        d.key.write_bytes(key_pem(d.hier.leaf.key, PASSWORD.encode()))

        result = config(runner, d, d.chain)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "" == result.stdout
        assert "key-encrypted" in result.stderr
        assert "no password was given" in result.stderr

    def test_named_encrypted_key_without_password(self, runner: CliRunner, d: Deployed) -> None:
        """An encrypted key named with --key, without a password, exits 2 naming the option."""
        d.key.write_bytes(key_pem(d.hier.leaf.key, PASSWORD.encode()))

        result = config(runner, d, d.chain, "--key", d.key)

        assert_one_error_line(result, "--password-file")

    def test_pkcs12_key(self, runner: CliRunner, d: Deployed) -> None:
        """A --key in PKCS#12 is checked, refused, and --force's comment gives the openssl
        pkcs12 command."""
        p12 = d.folder / "hub.p12"
        p12.write_bytes(pkcs12.serialize_key_and_certificates(
            b"hub", d.hier.leaf.key, d.hier.leaf.cert, None, serialization.NoEncryption(),
        ))

        result = config(runner, d, d.chain, "--key", p12, "--force")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "unreadable-by-server" in result.stderr
        assert f"openssl pkcs12 -in {p12}" in result.stdout.splitlines()[1]

    def test_key_option_without_key(self, runner: CliRunner, d: Deployed) -> None:
        """A --key file holding no key exits 2."""
        result = config(runner, d, d.chain, "--key", d.root)

        assert_one_error_line(result, "no private key")


class TestConfigWrite:
    def sample(self, d: Deployed, eol: str) -> tuple[bytes, bytes]:
        """Return a configuration with every kind of awkwardness, and its expected update."""
        template = (
            "# -*- coding: utf-8 -*-{eol}"
            "# Überall ☃ 証明書{eol}"
            "c = get_config()  #noqa{eol}"
            "c.Spawner.default_url = '/lab'{eol}"
            "x = 1; c.JupyterHub.ssl_cert = {cert}  # from the CA{eol}"
            "c.JupyterHub.ssl_key = ({eol}"
            "    {key}{eol}"
            "){eol}"
            "c.JupyterHub.ip = ''  # ☃{eol}"
        )
        before = template.format(cert="'old-chained.crt'", key=f"'/old/'{eol}    'host.key'",
                                 eol=eol)
        after = template.format(cert=repr(str(d.chain)), key=repr(str(d.key)), eol=eol)
        return before.encode(), after.encode()

    def test_creates_missing_file(self, runner: CliRunner, d: Deployed, tmp_path: Path) -> None:
        """A missing file is created holding the two lines; stdout is still only the snippet."""
        conf = tmp_path / "etc" / "jupyterhub_config.py"
        conf.parent.mkdir()

        result = config(runner, d, d.chain, "--write", conf)

        assert result.exit_code == ExitCode.OK, result.output
        assert d.jupyterhub_lines == result.stdout
        assert d.jupyterhub_lines == conf.read_text(encoding="utf-8")
        assert "created" in result.stderr
        assert ["jupyterhub_config.py"] == listing(conf.parent)

    @pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["LF", "CRLF"])
    def test_replaces_in_place(self, runner: CliRunner, d: Deployed, eol: str) -> None:
        """Assignments are replaced in place, other bytes stay, and .bak holds the old file."""
        conf = d.folder / "jupyterhub_config.py"
        before, after = self.sample(d, eol)
        conf.write_bytes(before)

        result = config(runner, d, d.chain, "--write", conf)

        assert result.exit_code == ExitCode.OK, result.output
        assert d.jupyterhub_lines == result.stdout
        assert after == conf.read_bytes()
        assert before == (d.folder / "jupyterhub_config.py.bak").read_bytes()
        assert "jupyterhub_config.py.bak" in result.stderr

    @pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["LF", "CRLF"])
    def test_appends_when_absent(self, runner: CliRunner, d: Deployed, eol: str) -> None:
        """Without ssl settings the two lines are appended after the untouched original."""
        conf = d.folder / "jupyterhub_config.py"
        original = f"# ☃{eol}c.JupyterHub.port = 443{eol}c.Spawner.ssl_cert = 'keep'".encode()
        conf.write_bytes(original)

        result = config(runner, d, d.chain, "--write", conf)

        assert result.exit_code == ExitCode.OK, result.output
        data = conf.read_bytes()
        assert data.startswith(original)
        assert {"ssl_cert": str(d.chain), "ssl_key": str(d.key)} == {
            s.trait: s.value for s in parse_settings(data.decode()) if s.section == "JupyterHub"
            and s.trait.startswith("ssl_")
        }

    @pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["LF", "CRLF"])
    def test_second_run_changes_nothing(self, runner: CliRunner, d: Deployed, eol: str) -> None:
        """Running it twice leaves the file and the .bak as the first run left them."""
        conf = d.folder / "jupyterhub_config.py"
        before, after = self.sample(d, eol)
        conf.write_bytes(before)
        backup = d.folder / "jupyterhub_config.py.bak"

        first = config(runner, d, d.chain, "--write", conf)
        second = config(runner, d, d.chain, "--write", conf)

        assert first.exit_code == ExitCode.OK, first.output
        assert second.exit_code == ExitCode.OK, second.output
        assert d.jupyterhub_lines == second.stdout
        assert after == conf.read_bytes()
        assert before == backup.read_bytes()  # not rewritten with the first run's output
        assert "nothing changed" in second.stderr

    @pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
    def test_mode_is_preserved(self, runner: CliRunner, d: Deployed, mode: int) -> None:
        """The configuration keeps its permissions."""
        conf = d.folder / "jupyterhub_config.py"
        conf.write_text("c.JupyterHub.port = 443\n")
        conf.chmod(mode)

        result = config(runner, d, d.chain, "--write", conf)

        assert result.exit_code == ExitCode.OK, result.output
        assert mode == stat.S_IMODE(conf.stat().st_mode)

    @pytest.mark.parametrize("text", [
        b"c.JupyterHub.ssl_cert = 'unterminated\n",
        b"def broken(:\n    pass\n",
        b"c.JupyterHub.port = 443\n\x00\n",
    ])
    def test_invalid_python_is_refused(self, runner: CliRunner, d: Deployed, text: bytes) -> None:
        """A file that is not valid Python exits 2 and is left alone, with no .bak."""
        conf = d.folder / "jupyterhub_config.py"
        conf.write_bytes(text)
        before = listing(d.folder)

        result = config(runner, d, d.chain, "--write", conf)

        assert_one_error_line(result, "not valid Python")
        assert text == conf.read_bytes()
        assert before == listing(d.folder)

    def test_not_utf8_is_refused(self, runner: CliRunner, d: Deployed) -> None:
        """A file that is not UTF-8 exits 2 and is left alone, with no .bak."""
        conf = d.folder / "jupyterhub_config.py"
        conf.write_bytes(b"# caf\xe9\nc.JupyterHub.port = 443\n")
        before = listing(d.folder)

        result = config(runner, d, d.chain, "--write", conf)

        assert_one_error_line(result, str(conf))
        assert b"# caf\xe9\nc.JupyterHub.port = 443\n" == conf.read_bytes()
        assert before == listing(d.folder)

    def test_no_key_is_refused(self, runner: CliRunner, d: Deployed) -> None:
        """Without a usable key file the configuration is not changed (exit 2)."""
        d.key.unlink()
        conf = d.folder / "jupyterhub_config.py"
        conf.write_text("c.JupyterHub.port = 443\n")

        result = config(runner, d, d.chain, "--write", conf)

        assert_one_error_line(result, str(conf))
        assert "c.JupyterHub.port = 443\n" == conf.read_text()
        assert not (d.folder / "jupyterhub_config.py.bak").exists()

    def test_awkward_folder(self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy) -> None:
        """Paths with quotes, backslashes and non-ASCII are written as exact literals."""
        odd = deploy(tmp_path / "both ' and \" \\ ☃", chain3)
        conf = tmp_path / "jupyterhub_config.py"
        conf.write_text("c.JupyterHub.ssl_cert = 'old'\n")

        result = config(runner, odd, odd.chain, "--write", conf)

        assert result.exit_code == ExitCode.OK, result.output
        assert {"ssl_cert": str(odd.chain), "ssl_key": str(odd.key)} == python_values(
            conf.read_text(encoding="utf-8")
        )

    def test_relative_write_path(
        self, runner: CliRunner, d: Deployed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A relative --write path is the working directory's file; the paths in it are absolute."""
        work = tmp_path / "work"
        work.mkdir()
        monkeypatch.chdir(work)

        result = config(runner, d, d.chain, "--write", "jupyterhub_config.py")

        assert result.exit_code == ExitCode.OK, result.output
        assert d.jupyterhub_lines == (work / "jupyterhub_config.py").read_text()

    def test_other_format_still_writes_jupyterhub(self, runner: CliRunner, d: Deployed) -> None:
        """--format nginx prints nginx lines while --write sets the JupyterHub settings."""
        conf = d.folder / "jupyterhub_config.py"

        result = config(runner, d, d.chain, "--format", "nginx", "--write", conf)

        assert result.exit_code == ExitCode.OK, result.output
        assert render("nginx", ServedFiles(d.chain, d.key)) == result.stdout
        assert d.jupyterhub_lines == conf.read_text()

    def test_doctor_accepts_the_result(self, runner: CliRunner, d: Deployed) -> None:
        """doctor finds nothing wrong with a configuration config --write produced."""
        conf = d.folder / "jupyterhub_config.py"
        conf.write_text("c.JupyterHub.port = 443\n")

        written = config(runner, d, d.chain, "--write", conf)
        checked = doctor(runner, d, conf, "--json")

        assert written.exit_code == ExitCode.OK, written.output
        assert checked.exit_code == ExitCode.OK, checked.output
        assert {} == json_findings(checked)


# ------------------------------------------------------------------- build


class TestBuildFormat:
    @pytest.fixture
    def host(self, d: Deployed) -> Path:
        """The leaf alone as host.crt, beside host.key and inter.crt."""
        d.hier.intermediate.write(d.folder / "inter.crt")
        return d.hier.leaf.write(d.folder / "host.crt")

    def test_default_lines_match_config(self, runner: CliRunner, d: Deployed, host: Path) -> None:
        """build's jupyterhub lines are the ones config prints for the file it wrote."""
        d.chain.unlink()

        built = build(runner, d, host)
        configured = config(runner, d, d.chain)

        assert built.exit_code == ExitCode.OK, built.output
        assert configured.exit_code == ExitCode.OK, configured.output
        assert built.stdout.endswith(configured.stdout)
        assert d.jupyterhub_lines == configured.stdout

    @pytest.mark.parametrize("fmt", ["jupyterhub-cli", "nginx", "apache"])
    def test_format(self, runner: CliRunner, d: Deployed, host: Path, fmt: str) -> None:
        """build --format prints that server's lines for the chained file and the sibling key."""
        d.chain.unlink()

        result = build(runner, d, host, "--format", fmt)

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stdout.endswith(render(fmt, ServedFiles(d.chain, d.key)))
        assert "c.JupyterHub" not in result.stdout

    def test_nginx(self, runner: CliRunner, d: Deployed, host: Path) -> None:
        """build --format nginx names the written chained file and the key."""
        d.chain.unlink()

        result = build(runner, d, host, "--format", "nginx")

        assert result.exit_code == ExitCode.OK, result.output
        assert f'ssl_certificate     "{d.chain}";' in result.stdout.splitlines()
        assert f'ssl_certificate_key "{d.key}";' in result.stdout.splitlines()

    def test_haproxy_combined(self, runner: CliRunner, d: Deployed, host: Path) -> None:
        """build --format haproxy --combined F writes F (chain then key, mode 0600) and names it."""
        d.chain.unlink()
        combined = d.folder / "hub.pem"

        result = build(runner, d, host, "--format", "haproxy", "--combined", combined)

        assert result.exit_code == ExitCode.OK, result.output
        assert f"bind :443 ssl crt {combined}" in result.stdout.splitlines()
        data = combined.read_bytes()
        certs = x509.load_pem_x509_certificates(data)
        assert [d.hier.leaf.cert, d.hier.intermediate.cert, d.hier.root.cert] == certs
        assert data.endswith(key_pem(d.hier.leaf.key))
        assert 0o600 == stat.S_IMODE(combined.stat().st_mode)

    def test_haproxy_needs_combined(self, runner: CliRunner, d: Deployed, host: Path) -> None:
        """build --format haproxy without --combined is a usage error and writes nothing."""
        d.chain.unlink()
        before = listing(d.folder)

        result = build(runner, d, host, "--format", "haproxy")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "" == result.stdout
        assert "--combined" in result.stderr
        assert before == listing(d.folder)


# ------------------------------------------------------------------ doctor


class TestDoctorCli:
    def write_config(self, d: Deployed, extra: str = "") -> Path:
        """Write a configuration naming *d*'s files, plus *extra*, and return its path."""
        path = d.folder / "jupyterhub_config.py"
        path.write_text(d.jupyterhub_lines + extra, encoding="utf-8")
        return path

    def test_default_config_in_working_directory(
        self, runner: CliRunner, d: Deployed, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without an argument, ./jupyterhub_config.py is checked."""
        self.write_config(d)
        monkeypatch.chdir(d.folder)

        result = doctor(runner, d)

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stdout.startswith("jupyterhub_config.py\n")
        assert "OK" in result.stdout
        assert "" == result.stderr

    def test_default_config_missing(
        self, runner: CliRunner, d: Deployed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without an argument and without ./jupyterhub_config.py, exit 2 naming the file."""
        monkeypatch.chdir(tmp_path)

        result = doctor(runner, d)

        assert_one_error_line(result, "jupyterhub_config.py")

    def test_json(self, runner: CliRunner, d: Deployed) -> None:
        """--json prints one object with verify's keys and the site's; file is as given."""
        conf = self.write_config(d)

        result = doctor(runner, d, conf, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        assert 1 == len(result.stdout.splitlines())
        data = json.loads(result.stdout)
        assert DOCTOR_JSON_KEYS == set(data)
        assert str(conf) == data["file"]
        assert ("jupyterhub", str(d.chain)) == (data["server"], data["chain_file"])
        assert data["ok"] is True
        assert ["leaf", "intermediate"] == [c["role"] for c in data["chain"]]
        assert [] == data["findings"]
        assert "2060-01-01T00:00:00Z" == data["valid_until"]
        assert "" == result.stderr

    def test_error_exits_1(self, runner: CliRunner, d: Deployed) -> None:
        """A key that does not match exits 1, with key-mismatch in the JSON."""
        d.key.write_bytes(key_pem(new_key()))
        conf = self.write_config(d)

        result = doctor(runner, d, conf, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert json.loads(result.stdout)["ok"] is False
        assert "error" == json_findings(result)["key-mismatch"]

    def test_warnings_exit_0(self, runner: CliRunner, d: Deployed) -> None:
        """Warnings only (ip '*', a group-readable key) exit 0 and are listed in the text."""
        d.key.chmod(0o640)
        conf = self.write_config(d, "c.JupyterHub.ip = '*'\n")

        result = doctor(runner, d, conf)

        assert result.exit_code == ExitCode.OK, result.output
        assert "ip-wildcard" in result.stdout
        assert "key-permissions" in result.stdout
        assert "2 warnings" in result.stdout

    def test_invalid_python_exits_2(self, runner: CliRunner, d: Deployed) -> None:
        """A configuration that is not valid Python exits 2 and is left alone."""
        conf = d.folder / "jupyterhub_config.py"
        conf.write_bytes(b"c.JupyterHub.ssl_cert = (\n")

        result = doctor(runner, d, conf)

        assert_one_error_line(result, "not valid Python")
        assert b"c.JupyterHub.ssl_cert = (\n" == conf.read_bytes()

    def test_never_executes(self, runner: CliRunner, d: Deployed) -> None:
        """Code in the configuration does not run: no sentinel file, no SystemExit(3)."""
        sentinel = d.folder / "SENTINEL"
        conf = d.folder / "jupyterhub_config.py"
        conf.write_text(
            f"open({str(sentinel)!r}, 'w').write('ran')\n"
            "raise SystemExit(3)\n" + d.jupyterhub_lines
        )

        result = doctor(runner, d, conf, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        assert not sentinel.exists()
        assert {} == json_findings(result)

    def test_ssl_not_set(self, runner: CliRunner, d: Deployed) -> None:
        """Without ssl settings: exit 0, an ssl-not-set warning, no chain, no valid_until."""
        conf = d.folder / "jupyterhub_config.py"
        conf.write_text("c.JupyterHub.port = 8000\n")

        result = doctor(runner, d, conf, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        data = json.loads(result.stdout)
        assert ([], None) == (data["chain"], data["valid_until"])
        assert {"ssl-not-set": "warning"} == json_findings(result)

    def test_hostname_from_bind_url(self, runner: CliRunner, d: Deployed) -> None:
        """bind_url's host is checked: another name than the leaf's exits 1."""
        conf = self.write_config(d, "c.JupyterHub.bind_url = 'https://other.example.org/'\n")

        result = doctor(runner, d, conf, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "error" == json_findings(result)["hostname-mismatch"]

    def test_hostname_option_wins(self, runner: CliRunner, d: Deployed) -> None:
        """--hostname replaces bind_url's host."""
        conf = self.write_config(d, "c.JupyterHub.bind_url = 'https://other.example.org/'\n")

        result = doctor(runner, d, conf, "--hostname", "hub.example.org", "--json")

        assert result.exit_code == ExitCode.OK, result.output
        assert {} == json_findings(result)

    def test_relative_paths(
        self, runner: CliRunner, d: Deployed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Relative ssl paths resolve against the configuration's folder, whatever the cwd."""
        conf = d.folder / "jupyterhub_config.py"
        conf.write_text("c.JupyterHub.ssl_cert = 'host-chained.crt'\n"
                        "c.JupyterHub.ssl_key = 'host.key'\n")
        monkeypatch.chdir(tmp_path)

        result = doctor(runner, d, conf, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        assert {} == json_findings(result)

    def test_missing_file(self, runner: CliRunner, d: Deployed) -> None:
        """A chained file that does not exist is a file-not-found error: exit 1."""
        d.chain.unlink()
        conf = self.write_config(d)

        result = doctor(runner, d, conf, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "error" == json_findings(result)["file-not-found"]

    def test_unevaluated(self, runner: CliRunner, d: Deployed) -> None:
        """An ssl_cert set by an expression is reported as unevaluated-config, not guessed."""
        conf = d.folder / "jupyterhub_config.py"
        conf.write_text(
            "import os\n"
            f"d = {str(d.folder)!r}\n"
            "c.JupyterHub.ssl_cert = os.path.join(d, 'host-chained.crt')\n"
            f"c.JupyterHub.ssl_key = {str(d.key)!r}\n"
        )

        result = doctor(runner, d, conf, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        assert {"unevaluated-config": "warning"} == json_findings(result)

    def test_hub_ip_unreachable(self, runner: CliRunner, d: Deployed) -> None:
        """DockerSpawner with the default hub_ip is a hub-ip-unreachable warning (exit 0)."""
        conf = self.write_config(d, "c.JupyterHub.spawner_class = 'dockerspawner.DockerSpawner'\n")

        result = doctor(runner, d, conf, "--json")

        assert result.exit_code == ExitCode.OK, result.output
        assert {"hub-ip-unreachable": "warning"} == json_findings(result)

    def test_strict(self, runner: CliRunner, tmp_path: Path, pki: PKI) -> None:
        """--strict makes the strict verifier's objection an error: exit 1."""
        root = pki.root()
        inter = pki.intermediate(root)
        odd = deploy(tmp_path / "noaki", Hierarchy(root, inter, pki.leaf(inter, include_aki=False)))
        conf = self.write_config(odd)

        lenient = doctor(runner, odd, conf, "--json")
        strict = doctor(runner, odd, conf, "--json", "--strict")

        assert lenient.exit_code == ExitCode.OK, lenient.output
        assert "warning" == json_findings(lenient)["strict-policy"]
        assert strict.exit_code == ExitCode.CHAIN_PROBLEM, strict.output
        assert "error" == json_findings(strict)["strict-policy"]

    def test_password_file(self, runner: CliRunner, d: Deployed, password_file: Path) -> None:
        """--password-file decrypts ssl_key for the match check; its encryption is an error."""
        d.key.write_bytes(key_pem(d.hier.leaf.key, PASSWORD.encode()))
        conf = self.write_config(d)

        result = doctor(runner, d, conf, "--password-file", password_file, "--json")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "error" == json_findings(result)["key-encrypted"]
        assert "file-unreadable" not in json_findings(result)
        assert "key-mismatch" not in json_findings(result)
        assert PASSWORD not in result.output
        assert PASSWORD not in result.stdout + result.stderr
