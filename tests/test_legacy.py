"""
Legacy chains OpenSSL still accepts, proven against the real stack.

An ECDSA-with-SHA1 intermediate and a CA whose extended key usage names only
Server Gated Crypto are old, but OpenSSL 3 (behind Python's ``ssl``, nginx,
Apache and HAProxy) builds chains through them.  certchain must build the
same chains in its default mode and say what is legacy about them.  Each
test runs ``certchain build`` (CLI) and asks OpenSSL itself: ``openssl
verify -purpose sslserver`` on the written chained file, or a handshake.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import hashes
from pki import PKI, T0, T0_ISO, Issued, new_key
from serverkit import require_binary

from certchain.cli import ExitCode, main


def cli_build(runner: CliRunner, folder: Path, leaf: Issued, *cas: Issued) -> Result:
    """Write *leaf* and *cas* (the last one the root) to *folder*; run ``build --json``."""
    folder.mkdir()
    host = leaf.write(folder / "hub.crt")
    inputs = [str(ca.write(folder / f"ca{index}.crt")) for index, ca in enumerate(cas)]
    return runner.invoke(
        main, ["build", str(host), *inputs, "--trust", inputs[-1], "--at", T0_ISO, "--json"]
    )


def openssl_verify(chained: Path, root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Run ``openssl verify -purpose sslserver`` on *chained*'s leaf at T0, trusting *root*."""
    openssl = require_binary("openssl")
    return subprocess.run(
        [
            openssl, "verify", "-purpose", "sslserver", "-attime", str(int(T0.timestamp())),
            "-CAfile", str(root), "-untrusted", str(chained), *options, str(chained),
        ],
        capture_output=True, text=True, timeout=30, check=False,
    )


@dataclass(frozen=True)
class Built:
    """One ``certchain build --json`` run: its result, the JSON and the root's file."""

    result: Result
    report: dict[str, Any]
    root: Path

    def codes(self, code: str) -> list[tuple[str, int | None]]:
        """Return (severity, position) of each finding with *code*."""
        return [(f["severity"], f["cert"]) for f in self.report["findings"] if f["code"] == code]


def built(runner: CliRunner, folder: Path, leaf: Issued, *cas: Issued) -> Built:
    """Run :func:`cli_build` and parse its JSON (the CLI must exit 0)."""
    result = cli_build(runner, folder, leaf, *cas)
    assert result.exit_code == ExitCode.OK, result.output
    return Built(result, json.loads(result.stdout), folder / f"ca{len(cas) - 1}.crt")


class TestEcdsaSha1:
    @pytest.fixture
    def sha1(self, runner: CliRunner, tmp_path: Path) -> Built:
        """`certchain build` of root (P-384) -> ecdsa-with-SHA1 intermediate -> leaf."""
        pki = PKI()
        root = pki.root("ECDSA Root", key=new_key("ec384"))
        inter = pki.intermediate(root, "ECDSA SHA1 CA", hash_alg=hashes.SHA1())
        return built(runner, tmp_path / "ca", pki.leaf(inter), inter, root)

    def test_cli_builds_ecdsa_sha1_chain_as_weak(self, sha1: Built) -> None:
        """`certchain build` builds through an ecdsa-with-SHA1 link and reports it weak."""
        assert sha1.report["ok"] is True
        assert sha1.codes("weak-signature") == [("warning", 1)]
        assert "signed with SHA1" in sha1.result.stdout
        assert sha1.codes("bad-signature") == []

    def test_openssl_accepts_the_ecdsa_sha1_chain(self, sha1: Built) -> None:
        """OpenSSL verifies the chained file certchain wrote (at auth level 0: SHA-1 allowed)."""
        # Security level 1 and up refuse SHA-1 signatures (error 68, "CA
        # signature digest algorithm too weak"), in a handshake too; the chain
        # itself is valid, which auth level 0 shows.
        chained = Path(sha1.report["output"])
        verified = openssl_verify(chained, sha1.root, "-auth_level", "0")

        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert verified.stdout.strip().endswith(": OK")
