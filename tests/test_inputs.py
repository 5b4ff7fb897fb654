"""
What the commands accept: ``-`` for standard input, host names that are host
names, and what ``inspect`` shows of keys and usages (issue 8).

Library tests call the loader and ``inspect_material``; CLI tests run the
real commands (click's runner, and a real pipe for standard input).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import testdata
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
)
from cryptography.x509.oid import ExtendedKeyUsageOID
from pki import PKI, T0, T0_ISO, Hierarchy, key_pem
from serverkit import LOOPBACK, Launch, Servers, require_binary

from certchain import LoadError, Material, PasswordRequired, load_bytes, load_file
from certchain.cli import ExitCode, main
from certchain.inventory import inspect_material
from certchain.load import STDIN, load_stream

PASSWORD = b"inputs-secret-9"


def run(runner: CliRunner, *args: object, **kwargs: Any) -> Result:
    """Run certchain with *args* and ``--at T0``."""
    return runner.invoke(main, [*(str(a) for a in args), "--at", T0_ISO], **kwargs)


def json_lines(text: str) -> list[dict[str, Any]]:
    """One JSON object per line."""
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def site(tmp_path: Path, chain3: Hierarchy) -> Path:
    """A folder with hub.crt, hub.key, enc.key (encrypted), chain.pem, root.crt."""
    chain3.leaf.write(tmp_path / "hub.crt")
    (tmp_path / "hub.key").write_bytes(key_pem(chain3.leaf.key))
    (tmp_path / "enc.key").write_bytes(key_pem(chain3.leaf.key, PASSWORD))
    (tmp_path / "chain.pem").write_bytes(chain3.leaf.pem + chain3.intermediate.pem)
    chain3.root.write(tmp_path / "root.crt")
    return tmp_path


# ----------------------------------------------------------- inspect: keys


class TestInspectKeysAcrossFiles:
    def test_library_matches_other_files(self, site: Path) -> None:
        """A key is matched against the certificates of the other materials given."""
        cert = load_file(site / "hub.crt")
        key = load_file(site / "hub.key")

        (entry,) = inspect_material(key, T0, others=[cert])["keys"]

        assert entry["matches"] == []
        assert entry["matches_elsewhere"] == [{"file": str(site / "hub.crt"), "cert": 0}]

    def test_cli_text(self, runner: CliRunner, site: Path) -> None:
        """`inspect hub.crt hub.key` says the key matches certificate 0 of hub.crt."""
        result = run(runner, "inspect", site / "hub.crt", site / "hub.key")

        assert result.exit_code == ExitCode.OK, result.output
        assert f"matches     certificate 0 of {site / 'hub.crt'}" in result.stdout
        assert "no listed certificate" not in result.stdout

    def test_cli_json(self, runner: CliRunner, site: Path) -> None:
        """--json lists the match under matches_elsewhere, by file and index."""
        result = run(runner, "inspect", site / "hub.key", site / "chain.pem", "--json")

        assert result.exit_code == ExitCode.OK, result.output
        key_doc, chain_doc = json_lines(result.stdout)
        (key,) = key_doc["keys"]
        assert key["matches_elsewhere"] == [{"file": str(site / "chain.pem"), "cert": 0}]
        assert chain_doc["keys"] == []


class TestInspectEncryptedKey:
    def test_loader_keeps_it_locked(self, site: Path) -> None:
        """keep_locked: an encrypted key without a password is data, not an exception."""
        material = load_file(site / "enc.key", keep_locked=True)

        assert material.keys == ()
        (locked,) = material.locked
        assert locked.source.path == site / "enc.key"

    def test_build_and_verify_still_need_the_password(self, site: Path) -> None:
        """Without keep_locked the loader still raises PasswordRequired."""
        with pytest.raises(PasswordRequired):
            load_file(site / "enc.key")

    def test_der_encrypted_key(self, chain3: Hierarchy) -> None:
        """An encrypted DER PKCS#8 key is kept locked too."""
        der = chain3.leaf.key.private_bytes(
            Encoding.DER, PrivateFormat.PKCS8, BestAvailableEncryption(PASSWORD)
        )

        assert len(load_bytes(der, keep_locked=True).locked) == 1

    def test_pkcs12_still_needs_its_password(self) -> None:
        """A PKCS#12 file is more than a key: it still needs its password."""
        with pytest.raises(PasswordRequired):
            load_file(testdata("formats", "bundle.pfx"), keep_locked=True)

    def test_inventory_shows_no_type(self, site: Path) -> None:
        """The locked key is listed as encrypted, without type and size."""
        material = load_file(site / "enc.key", keep_locked=True)

        (entry,) = inspect_material(material, T0)["keys"]

        assert entry["type"] is None
        assert entry["encrypted"] is True
        assert entry["matches"] == [] and entry["matches_elsewhere"] == []

    def test_cli_without_password(self, runner: CliRunner, site: Path) -> None:
        """`inspect enc.key` exits 0 and shows the key as encrypted, type unknown."""
        result = run(runner, "inspect", site / "enc.key", input="")

        assert result.exit_code == ExitCode.OK, result.output
        assert "Private key 0: encrypted (type and size unknown" in result.stdout
        assert "EC P-256" not in result.stdout

    def test_cli_with_password(self, runner: CliRunner, site: Path, tmp_path: Path) -> None:
        """With its password the key is opened: type, size and matches."""
        password = tmp_path / "pw.txt"
        password.write_bytes(PASSWORD + b"\n")

        result = run(runner, "inspect", site / "enc.key", site / "hub.crt",
                     "--password-file", password)

        assert result.exit_code == ExitCode.OK, result.output
        assert "Private key 0: EC P-256" in result.stdout
        assert f"certificate 0 of {site / 'hub.crt'}" in result.stdout


class TestInspectUsages:
    def test_inventory_fields(self, pki: PKI, chain3: Hierarchy) -> None:
        """keyUsage and EKU are listed by their RFC 5280 / OpenSSL names; None when absent."""
        no_eku = pki.leaf(chain3.intermediate, eku=None, key_usage=None)
        material = load_bytes(chain3.leaf.pem + chain3.intermediate.pem + no_eku.pem)

        leaf, inter, bare = inspect_material(material, T0)["certificates"]

        assert leaf["key_usage"] == ["digitalSignature"]
        assert leaf["ext_key_usage"] == ["serverAuth"]
        assert inter["key_usage"] == ["digitalSignature", "keyCertSign", "cRLSign"]
        assert inter["ext_key_usage"] is None
        assert bare["key_usage"] is None and bare["ext_key_usage"] is None

    def test_cli_text(self, runner: CliRunner, pki: PKI, chain3: Hierarchy,
                      tmp_path: Path) -> None:
        """inspect shows a key usage row and an EKU row."""
        leaf = pki.leaf(chain3.intermediate, eku=[ExtendedKeyUsageOID.SERVER_AUTH,
                                                ExtendedKeyUsageOID.CLIENT_AUTH])
        path = leaf.write(tmp_path / "leaf.crt")

        result = run(runner, "inspect", path)

        assert result.exit_code == ExitCode.OK, result.output
        assert "  key usage   digitalSignature\n" in result.stdout
        assert "  EKU         serverAuth, clientAuth\n" in result.stdout


class TestInspectUnreadable:
    def test_other_files_still_listed(self, runner: CliRunner, site: Path) -> None:
        """An unreadable file among several is an Error line (exit 2); the rest are listed."""
        junk = testdata("formats", "junk.bin")

        result = run(runner, "inspect", site / "hub.crt", junk, site / "hub.key", "--json")

        assert result.exit_code == ExitCode.BAD_INPUT
        docs = json_lines(result.stdout)
        assert [d["file"] for d in docs] == [str(site / "hub.crt"), str(junk),
                                             str(site / "hub.key")]
        assert docs[1]["error"]["code"] == "load-error"
        assert docs[2]["keys"][0]["matches_elsewhere"][0]["cert"] == 0
        assert result.stderr.count("Error:") == 1


# --------------------------------------------------------------- --hostname


class TestHostname:
    @pytest.mark.parametrize(("given", "bare"), [
        ("https://hub.example.org", "hub.example.org"),
        ("https://hub.example.org:8443/hub/", "hub.example.org"),
        ("hub.example.org:443", "hub.example.org"),
        ("hub.example.org/jupyter", "hub.example.org"),
        ("admin@hub.example.org", "hub.example.org"),
        ("[2001:db8::1]:443", "2001:db8::1"),
    ])
    def test_url_forms_suggest_the_bare_name(
        self, runner: CliRunner, site: Path, given: str, bare: str
    ) -> None:
        """A URL, host:port, path or user@host is a usage error naming the bare host."""
        result = run(runner, "verify", site / "chain.pem", "--hostname", given)

        assert result.exit_code == ExitCode.BAD_INPUT
        assert f"use --hostname {bare}." in result.stderr
        assert result.stdout == ""

    @pytest.mark.parametrize("given", ["hub example.org", "", "a..b", "hub\texample", "ex;ample"])
    def test_garbage_is_refused(self, runner: CliRunner, site: Path, given: str) -> None:
        """Spaces, empty labels and punctuation are not a host name."""
        result = run(runner, "verify", site / "chain.pem", "--hostname", given)

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "is not a host name" in result.stderr

    @pytest.mark.parametrize("given", ["hub.example.org", "HUB.example.org.", "192.0.2.7",
                                       "2001:db8::1", "[2001:db8::1]", "xn--bcher-kva.example",
                                       "*.example.org", "host_1.internal"])
    def test_host_names_are_accepted(self, runner: CliRunner, site: Path, given: str) -> None:
        """DNS names (a trailing dot, A-labels, underscores) and IP addresses pass."""
        result = run(runner, "verify", site / "chain.pem", "--trust", site / "root.crt",
                     "--hostname", given)

        assert result.exit_code in (ExitCode.OK, ExitCode.CHAIN_PROBLEM), result.output
        assert "Invalid value" not in result.stderr

    def test_build_uses_it_too(self, runner: CliRunner, site: Path) -> None:
        """build (every judging command) refuses a URL before writing anything."""
        before = sorted(p.name for p in site.iterdir())

        result = run(runner, "build", site / "hub.crt", site / "chain.pem",
                     "--hostname", "https://hub.example.org")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "use --hostname hub.example.org." in result.stderr
        assert before == sorted(p.name for p in site.iterdir())

    def test_json_usage_error(self, runner: CliRunner, site: Path) -> None:
        """With --json the usage error is one JSON object with code usage."""
        result = run(runner, "verify", site / "chain.pem", "--hostname",
                     "https://hub.example.org", "--json")

        assert result.exit_code == ExitCode.BAD_INPUT
        (doc,) = json_lines(result.stdout)
        assert doc["ok"] is False
        assert doc["error"]["code"] == "usage"
        assert "use --hostname hub.example.org" in doc["error"]["message"]


# ----------------------------------------------------------- - as stdin


class TestStdin:
    def test_load_stream(self, chain3: Hierarchy) -> None:
        """load_stream parses what a stream holds, named <stdin> in messages."""
        material = load_stream(io.BytesIO(chain3.leaf.pem + chain3.intermediate.pem))

        assert [c.cert for c in material.certs] == [chain3.leaf.cert, chain3.intermediate.cert]
        assert material.certs[0].source.path == STDIN

    def test_load_stream_is_bounded(self) -> None:
        """More than the limit is refused, having read only one byte past it."""
        stream = io.BytesIO(b"x" * 100)

        with pytest.raises(LoadError, match="<stdin>: holds more than"):
            load_stream(stream, limit=10)
        assert stream.tell() == 11

    def test_empty_stream(self) -> None:
        """Nothing on stdin is a LoadError naming <stdin>."""
        with pytest.raises(LoadError, match="<stdin>: is empty"):
            load_stream(io.BytesIO(b""))

    def test_verify_dash(self, runner: CliRunner, site: Path) -> None:
        """`verify -` judges what stdin holds, labelled '-'."""
        data = (site / "chain.pem").read_bytes()

        result = run(runner, "verify", "-", "--trust", site / "root.crt", "--json", input=data)

        assert result.exit_code == ExitCode.OK, result.output
        (doc,) = json_lines(result.stdout)
        assert doc["file"] == "-"
        assert doc["ok"] is True

    def test_verify_dash_gives_no_repair_command(self, runner: CliRunner, chain3: Hierarchy,
                                                 site: Path) -> None:
        """A wrong order on stdin is reported, with no `build -` repair command."""
        data = chain3.intermediate.pem + chain3.leaf.pem

        result = run(runner, "verify", "-", "--trust", site / "root.crt", input=data)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM
        assert "wrong-order" in result.stdout
        assert "can repair" not in result.stdout

    def test_inspect_dash(self, runner: CliRunner, site: Path) -> None:
        """`inspect -` lists what stdin holds."""
        result = run(runner, "inspect", "-", input=(site / "hub.crt").read_bytes())

        assert result.exit_code == ExitCode.OK, result.output
        assert "Certificate 0: CN=hub.example.org" in result.stdout
        assert "from        <stdin> (item 1, PEM)" in result.stdout

    def test_dot_slash_dash_is_a_file(self, runner: CliRunner, site: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
        """`./-` is the file named '-', not standard input."""
        (site / "-").write_bytes((site / "hub.crt").read_bytes())
        monkeypatch.chdir(site)

        result = run(runner, "inspect", "./-", input=b"")

        assert result.exit_code == ExitCode.OK, result.output
        assert "from        - (item 1, PEM)" in result.stdout

    def test_s_client_output_through_a_real_pipe(self, site: Path, tmp_path: Path) -> None:
        """`openssl s_client -showcerts ... | certchain verify -` judges what s_server sent."""
        openssl = require_binary("openssl")
        (tmp_path / "inter.crt").write_bytes((site / "chain.pem").read_bytes().split(
            b"-----END CERTIFICATE-----\n", 1)[1])
        pool = Servers(tmp_path)

        def configure(port: int) -> Launch:
            return Launch(
                check=[openssl, "version"], check_ok="OpenSSL",
                run=[openssl, "s_server", "-accept", f"{LOOPBACK}:{port}", "-www",
                     "-cert", str(site / "hub.crt"), "-cert_chain", str(tmp_path / "inter.crt"),
                     "-key", str(site / "hub.key")],
            )

        server = pool.start("s_server", configure)
        try:
            client = subprocess.Popen(
                [openssl, "s_client", "-connect", f"{LOOPBACK}:{server.port}",
                 "-servername", "hub.example.org", "-showcerts"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
            done = subprocess.run(
                [sys.executable, "-m", "certchain", "verify", "-", "--at", T0_ISO,
                 "--hostname", "hub.example.org", "--trust", str(site / "root.crt")],
                stdin=client.stdout, capture_output=True, timeout=60, check=False,
            )
            assert client.stdout is not None
            client.stdout.close()
            client.wait(timeout=60)
        finally:
            pool.stop_all()

        assert done.returncode == ExitCode.OK, done.stdout + done.stderr
        assert b"`-[1] intermediate: CN=Test Intermediate" in done.stdout
        assert b"OK: the chain verifies" in done.stdout


def test_material_merge_keeps_locked_keys(site: Path) -> None:
    """Material.merge carries the locked keys along."""
    locked = load_file(site / "enc.key", keep_locked=True)

    merged = Material.merge([load_file(site / "hub.crt"), locked])

    assert merged.locked == locked.locked
