"""
Fuzzing with damaged certificates built directly as DER (issue 9): a name's
attribute of the wrong type or undecodable, an unknown attribute type, empty
or duplicated RDNs, an extension's value flipped, cut or replaced, a critical
flag flipped, an extension duplicated; re-signed by the issuer, or not.

Judged end to end: the library's engines and renderers (build, verify,
inspect, text and JSON), and the same files through the CLI.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from fuzzkit import (
    Damage,
    assert_clean_outcome,
    corpus,
    damaged_chain,
    examples,
    library_outcome,
    pem_block,
)
from hypothesis import given
from hypothesis import strategies as st
from pki import T0, T0_ISO

from certchain.build import build_chain
from certchain.cli import main
from certchain.inventory import inspect_material
from certchain.load import load_bytes
from certchain.model import TrustStore
from certchain.policy import Policy
from certchain.report import build_dict, build_text, inspect_text, verify_dict, verify_text
from certchain.verify import verify_chain


def as_pem(ders: list[bytes]) -> bytes:
    """The certificates as one PEM file, in order."""
    return b"".join(pem_block(b"CERTIFICATE", d) for d in ders)


def policy(anchor: bytes | None, hostname: str | None) -> Policy:
    """The policy of a run trusting the (possibly damaged) root *anchor*."""
    roots = (load_bytes(anchor).certs[0].cert,) if anchor is not None else ()
    store = TrustStore(roots or (corpus().root.cert,), "fuzz", explicit=True)
    return Policy(store=store, at=T0, hostname=hostname)


hostnames = st.sampled_from([None, "hub.example.org", "10.0.0.7", "other.example.org"])


class TestLibrary:
    @examples(1000)
    @given(damaged_chain(), hostnames, st.booleans())
    def test_verify_and_build(
        self, damage: tuple[Damage, list[bytes]], hostname: str | None, trust_damaged: bool
    ) -> None:
        """A chain with a damaged certificate is judged and rendered, or refused as input."""
        _, (leaf, inter, root) = damage
        with library_outcome():
            material = load_bytes(as_pem([leaf, inter, root]))
            judging = policy(root if trust_damaged else None, hostname)
            report = verify_chain(material, policy=judging)
            verify_text(report, "chain.pem", T0)
            json.dumps(verify_dict(report, "chain.pem"))
        with library_outcome():
            host = load_bytes(leaf)
            others = load_bytes(as_pem([inter, root]))
            judging = policy(root if trust_damaged else None, hostname)
            keys = load_bytes(corpus().files["leaf.key"])
            result = build_chain(host, others, policy=judging, keys=keys)
            build_text(result, Path("host.crt"), None, None, "jupyterhub", {})
            json.dumps(build_dict(result, None, None, {}))

    @examples(800)
    @given(damaged_chain())
    def test_inspect(self, damage: tuple[Damage, list[bytes]]) -> None:
        """Every field of a damaged certificate is listed, or the file is refused as input."""
        _, ders = damage
        with library_outcome():
            material = load_bytes(as_pem(ders))
            items = inspect_material(material, T0)
            inspect_text(items, colour=False, width=None)
            json.dumps(items)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the files of every example of the module."""
    return tmp_path_factory.mktemp("fuzz-certs")


class TestCommands:
    @examples(400)
    @given(damaged_chain(), st.sampled_from(["verify", "inspect", "build"]), st.booleans())
    def test_commands(
        self, scratch: Path, damage: tuple[Damage, list[bytes]], command: str, as_json: bool
    ) -> None:
        """verify, inspect and build of a damaged chain: a report, or one Error: line naming it."""
        _, (leaf, inter, root) = damage
        with tempfile.TemporaryDirectory(dir=scratch) as where:
            folder = Path(where)
            (folder / "host.crt").write_bytes(pem_block(b"CERTIFICATE", leaf))
            (folder / "host.key").write_bytes(corpus().files["leaf.key"])
            (folder / "cas.pem").write_bytes(as_pem([inter, root]))
            (folder / "anchor.pem").write_bytes(as_pem([root]))
            (folder / "chain.pem").write_bytes(as_pem([leaf, inter, root]))
            trust = ["--trust", str(folder / "anchor.pem")]
            if command == "build":
                args = ["build", str(folder / "host.crt"), str(folder / "cas.pem"), *trust]
                names = ["host.crt", "cas.pem", "anchor.pem", "host.key"]
            else:
                args = [command, str(folder / "chain.pem")]
                args += trust if command == "verify" else []
                names = ["chain.pem", "anchor.pem"]
            args += ["--json"] if as_json else []
            result = CliRunner().invoke(main, [*args, "--at", T0_ISO])
        assert_clean_outcome(result, *names)
