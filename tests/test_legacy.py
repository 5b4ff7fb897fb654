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
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID
from pki import PKI, T0, T0_ISO, Issued, key_pem, new_key
from serverkit import require_binary
from test_tls import HOSTNAME, client_handshake, tls_server

from certchain.cli import ExitCode, main


def cli_build(
    runner: CliRunner, folder: Path, leaf: Issued, *cas: Issued, extra: tuple[str, ...] = ()
) -> Result:
    """Write *leaf* and *cas* (the last one the root) to *folder*; run ``build --json``."""
    folder.mkdir()
    host = leaf.write(folder / "hub.crt")
    inputs = [str(ca.write(folder / f"ca{index}.crt")) for index, ca in enumerate(cas)]
    return runner.invoke(
        main,
        ["build", str(host), *inputs, "--trust", inputs[-1], "--at", T0_ISO, "--json", *extra],
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


def built(
    runner: CliRunner, folder: Path, leaf: Issued, *cas: Issued, extra: tuple[str, ...] = ()
) -> Built:
    """Run :func:`cli_build` and parse its JSON (the CLI must exit 0)."""
    result = cli_build(runner, folder, leaf, *cas, extra=extra)
    assert result.exit_code == ExitCode.OK, result.output
    return Built(result, json.loads(result.stdout), folder / f"ca{len(cas) - 1}.crt")


class TestEcdsaSha1:
    @pytest.fixture
    def sha1(self, runner: CliRunner, tmp_path: Path) -> Built:
        """`build --allow-weak` of root (P-384) -> ecdsa-with-SHA1 intermediate -> leaf."""
        pki = PKI()
        root = pki.root("ECDSA Root", key=new_key("ec384"))
        inter = pki.intermediate(root, "ECDSA SHA1 CA", hash_alg=hashes.SHA1())
        return built(
            runner, tmp_path / "ca", pki.leaf(inter), inter, root, extra=("--allow-weak",)
        )

    def test_cli_builds_ecdsa_sha1_chain_as_weak(self, sha1: Built) -> None:
        """`certchain build --allow-weak` builds through an ecdsa-with-SHA1 link, reported weak."""
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


MS_SGC = x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.3")
NS_SGC = x509.ObjectIdentifier("2.16.840.1.113730.4.1")


def sgc_chain(pki: PKI, where: str, eku: list[x509.ObjectIdentifier]) -> tuple[Issued, ...]:
    """Return leaf, intermediate, root with *eku* (and no serverAuth) at *where*."""
    root = pki.root("SGC Root")
    inter = pki.intermediate(root, "SGC CA", eku=eku if where == "intermediate" else None)
    leaf = pki.leaf(inter, eku=eku if where == "leaf" else [ExtendedKeyUsageOID.SERVER_AUTH])
    return leaf, inter, root


class TestServerGatedCrypto:
    @pytest.mark.parametrize("eku", [[MS_SGC], [NS_SGC]], ids=["msSGC", "nsSGC"])
    @pytest.mark.parametrize("where", ["intermediate", "leaf"])
    def test_sgc_only_chain_builds_and_openssl_agrees(
        self, runner: CliRunner, tmp_path: Path, where: str, eku: list[x509.ObjectIdentifier]
    ) -> None:
        """An SGC-only intermediate or leaf builds with a legacy warning; openssl verify agrees."""
        pki = PKI()
        leaf, inter, root = sgc_chain(pki, where, eku)
        sgc = built(runner, tmp_path / "ca", leaf, inter, root)

        assert sgc.report["ok"] is True
        position = 1 if where == "intermediate" else 0
        assert sgc.codes("ext-key-usage") == [("warning", position)]
        assert "legacy Server Gated Crypto" in sgc.result.stdout
        verified = openssl_verify(Path(sgc.report["output"]), sgc.root)
        assert verified.returncode == 0, verified.stdout + verified.stderr

    @pytest.mark.parametrize("where", ["intermediate", "leaf"])
    def test_python_ssl_handshakes_through_sgc(
        self, runner: CliRunner, tmp_path: Path, where: str
    ) -> None:
        """Python's ssl (OpenSSL) completes a verified handshake with the SGC chain built."""
        pki = PKI()
        leaf, inter, root = sgc_chain(pki, where, [MS_SGC])
        sgc = built(runner, tmp_path / "ca", leaf, inter, root)
        key = tmp_path / "hub.key"
        key.write_bytes(key_pem(leaf.key))

        with tls_server(Path(sgc.report["output"]), key) as (port, outcome):
            peer, _, echo = client_handshake(port, sgc.root)

        assert echo == b"ping"
        assert peer["subjectAltName"] == (("DNS", HOSTNAME),)
        assert outcome.completed

    def test_any_eku_intermediate_is_refused_by_both(
        self, runner: CliRunner, tmp_path: Path
    ) -> None:
        """An anyExtendedKeyUsage-only intermediate: OpenSSL refuses the chain, so does build."""
        any_eku = [ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE]
        leaf, inter, root = sgc_chain(PKI(), "intermediate", any_eku)
        result = cli_build(runner, tmp_path / "ca", leaf, inter, root)
        chained = tmp_path / "chained.pem"
        chained.write_bytes(leaf.pem + inter.pem)

        verified = openssl_verify(chained, tmp_path / "ca" / "ca1.crt")

        assert verified.returncode != 0
        assert "unsuitable certificate purpose" in verified.stdout + verified.stderr
        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        refused = Built(result, json.loads(result.stdout), tmp_path / "ca" / "ca1.crt")
        assert refused.codes("ext-key-usage") == [("error", 1)]
