"""
The second proof: Python's ssl loads what certchain approves, and shakes hands with it.

Library tests call :mod:`certchain.proof` on chains the stack accepts and
refuses; CLI tests show that ``build`` writes nothing, ``config`` prints
nothing and ``doctor`` exits 1 when the stack refuses, and that a good chain
is proven by a completed handshake in all three.  A "rule gap" is simulated
by switching off certchain's legacy-algorithm rule, so that only the stack
refuses: the message must then say that certchain's own rules missed it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from pki import PKI, T0, T0_ISO, Hierarchy, Issued, key_pem, new_key

from certchain import doctor_config, load_bytes, proof, rules
from certchain.build import build_chain
from certchain.cli import ExitCode, main
from certchain.findings import Code, Finding, Remedy, Severity
from certchain.model import Material, TrustStore
from certchain.policy import Policy
from certchain.proof import Refusal

HOST = "hub.example.org"
DEFAULT_LEVEL = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).security_level


def pems(*items: Issued) -> bytes:
    """Return the certificates of *items* as one PEM file, in that order."""
    return b"".join(item.pem for item in items)


def policy_for(root: Issued, **fields: Any) -> Policy:
    """A policy trusting only *root*, at T0."""
    return Policy(store=TrustStore((root.cert,), "--trust", explicit=True), at=T0, **fields)


@pytest.fixture(scope="module")
def legacy() -> Hierarchy:
    """An EC root and intermediate, and a leaf signed with ecdsa-with-SHA1."""
    pki = PKI()
    root = pki.root("Proof Root")
    inter = pki.intermediate(root, "Proof CA")
    return Hierarchy(root, inter, pki.leaf(inter, HOST, hash_alg=hashes.SHA1()))


@pytest.fixture(scope="module")
def small_root() -> Hierarchy:
    """A hierarchy under an RSA 1024 root, which the client refuses as an anchor."""
    pki = PKI()
    root = pki.root("Small Root", key=new_key("rsa1024"))
    inter = pki.intermediate(root, "Under Small Root")
    return Hierarchy(root, inter, pki.leaf(inter, HOST))


@pytest.fixture(scope="module")
def dsa_leaf(chain3: Hierarchy) -> Issued:
    """A leaf with a DSA 2048 key: no TLS 1.3 signature scheme, no DSS suite in Python's ssl."""
    return PKI().leaf(chain3.intermediate, HOST, key=new_key("dsa"))


@pytest.fixture
def handshakes(monkeypatch: pytest.MonkeyPatch) -> list[Refusal | None]:
    """Record the outcome of every handshake the proof runs (None: completed)."""
    seen: list[Refusal | None] = []
    real = proof._handshake

    def spy(*args: Any) -> Refusal | None:
        outcome = real(*args)
        seen.append(outcome)
        return outcome

    monkeypatch.setattr(proof, "_handshake", spy)
    return seen


@pytest.fixture
def rule_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch off certchain's legacy-algorithm rule: only the stack can see SHA-1 now."""
    monkeypatch.setattr(rules, "_weakness", lambda *args: [])


# ----------------------------------------------------------------- library


class TestProvePem:
    def test_good_chain_completes_a_handshake(
        self, chain3: Hierarchy, handshakes: list[Refusal | None]
    ) -> None:
        """A good chain loads, and a client trusting only the root completes the handshake."""
        result = proof.prove_pem(
            pems(chain3.leaf, chain3.intermediate), chain3.leaf.key,
            anchor=chain3.root.cert, hostname=HOST,
        )

        assert result.ok
        assert result.security_level == DEFAULT_LEVEL >= 2
        assert result.hostname == HOST
        assert handshakes == [None]

    def test_key_as_pem_bytes_and_root_included(self, chain3: Hierarchy) -> None:
        """The key may be PEM bytes, and the chain may end with the root."""
        result = proof.prove_pem(
            pems(chain3.leaf, chain3.intermediate, chain3.root), chain3.leaf.key_pem,
            anchor=chain3.root.cert, hostname=HOST,
        )

        assert result.ok

    def test_combined_bytes_hold_the_key(self, chain3: Hierarchy) -> None:
        """With key None the key is read from the chain's own bytes (a combined file)."""
        combined = pems(chain3.leaf, chain3.intermediate) + chain3.leaf.key_pem

        assert proof.prove_pem(combined, None, anchor=chain3.root.cert, hostname=HOST).ok

    def test_sha1_leaf_is_refused_at_load(self, legacy: Hierarchy) -> None:
        """A SHA-1 signed leaf: the server refuses to load it (CA_MD_TOO_WEAK); level 0 takes it."""
        chain = pems(legacy.leaf, legacy.intermediate)

        refused = proof.prove_pem(chain, legacy.leaf.key, anchor=legacy.root.cert, hostname=HOST)
        relaxed = proof.prove_pem(
            chain, legacy.leaf.key, anchor=legacy.root.cert, hostname=HOST, security_level=0
        )

        assert refused.refusal == Refusal("load", "CA_MD_TOO_WEAK", "ca md too weak")
        assert relaxed.ok
        assert relaxed.security_level == 0

    def test_rsa_1024_leaf_is_refused_at_load(self, chain3: Hierarchy) -> None:
        """An RSA 1024 leaf: EE_KEY_TOO_SMALL."""
        leaf = PKI().leaf(chain3.intermediate, HOST, key=new_key("rsa1024"))

        result = proof.prove_pem(
            pems(leaf, chain3.intermediate), leaf.key, anchor=chain3.root.cert, hostname=HOST
        )

        assert result.refusal is not None
        assert (result.refusal.step, result.refusal.reason) == ("load", "EE_KEY_TOO_SMALL")

    def test_small_root_key_is_refused_by_the_client(self, small_root: Hierarchy) -> None:
        """A root left out of the file, with an RSA 1024 key: the client refuses the handshake."""
        result = proof.prove_pem(
            pems(small_root.leaf, small_root.intermediate), small_root.leaf.key,
            anchor=small_root.root.cert, hostname=HOST,
        )

        assert result.refusal == Refusal(
            "handshake", "CERTIFICATE_VERIFY_FAILED", "CA certificate key too weak", "client"
        )

    def test_leaf_alone_is_refused_by_the_client(self, chain3: Hierarchy) -> None:
        """The negative case: without its intermediate the client cannot verify the leaf."""
        result = proof.prove_pem(
            chain3.leaf.pem, chain3.leaf.key, anchor=chain3.root.cert, hostname=HOST
        )

        assert result.refusal is not None
        assert result.refusal.text == "unable to get local issuer certificate"
        assert result.refusal.side == "client"

    def test_name_the_leaf_does_not_cover_is_refused(self, chain3: Hierarchy) -> None:
        """The client checks the name it is given (check_hostname)."""
        result = proof.prove_pem(
            pems(chain3.leaf, chain3.intermediate), chain3.leaf.key,
            anchor=chain3.root.cert, hostname="other.example.org",
        )

        assert result.refusal is not None
        assert result.refusal.text.startswith("Hostname mismatch")

    def test_without_anchor_only_the_server_side_is_proven(self, chain3: Hierarchy) -> None:
        """No anchor: the client does not verify, so the leaf alone still shakes hands."""
        assert proof.prove_pem(chain3.leaf.pem, chain3.leaf.key, anchor=None).ok

    def test_todays_clock_does_not_matter(self, chain3: Hierarchy) -> None:
        """A leaf that expired long before today is proven: time is certchain's rule, at --at."""
        leaf = PKI().leaf(
            chain3.intermediate, HOST,
            not_before=dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc),
            not_after=dt.datetime(2002, 1, 1, tzinfo=dt.timezone.utc),
        )

        result = proof.prove_pem(
            pems(leaf, chain3.intermediate), leaf.key, anchor=chain3.root.cert, hostname=HOST
        )

        assert result.ok

    def test_handshake_loop_is_bounded(
        self, chain3: Hierarchy, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A handshake that does not finish within the cap is a refusal, not a hang."""
        monkeypatch.setattr(proof, "HANDSHAKE_ROUNDS", 1)

        result = proof.prove_pem(
            pems(chain3.leaf, chain3.intermediate), chain3.leaf.key,
            anchor=chain3.root.cert, hostname=HOST,
        )

        assert result.refusal is not None
        assert "did not finish within 1 exchanges" in result.refusal.text


class TestFilesForOpenSSL:
    def test_memory_file_where_the_platform_has_one(
        self, chain3: Hierarchy, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On Linux the bytes reach OpenSSL through an anonymous memory file, never a disk."""
        if not proof._MEMFD:
            pytest.skip("no memfd_create on this platform")
        names = _record_names(monkeypatch)

        assert proof.prove_pem(
            pems(chain3.leaf, chain3.intermediate), chain3.leaf.key, anchor=chain3.root.cert
        ).ok
        [(chain, key)] = names
        assert chain.startswith("/proc/self/fd/")
        assert key is not None and key.startswith("/proc/self/fd/")

    def test_private_temporary_folder_otherwise(
        self, chain3: Hierarchy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without memfd: files of mode 0600 in a folder of mode 0700, removed afterwards."""
        monkeypatch.setattr(proof, "_MEMFD", False)
        monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
        seen: list[tuple[int, int]] = []
        real = proof._prove

        def spy(chain: str, key: str | None, *args: Any) -> proof.Proof:
            for name in (chain, key):
                assert name is not None
                seen.append((
                    stat.S_IMODE(os.stat(name).st_mode),
                    stat.S_IMODE(os.stat(os.path.dirname(name)).st_mode),
                ))
            return real(chain, key, *args)

        monkeypatch.setattr(proof, "_prove", spy)

        result = proof.prove_pem(
            pems(chain3.leaf, chain3.intermediate), chain3.leaf.key, anchor=chain3.root.cert
        )

        assert result.ok
        assert seen == [(0o600, 0o700), (0o600, 0o700)]
        assert list(tmp_path.iterdir()) == []


def _record_names(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    names: list[tuple[str, str | None]] = []
    real = proof._prove

    def spy(chain: str, key: str | None, *args: Any) -> proof.Proof:
        names.append((chain, key))
        return real(chain, key, *args)

    monkeypatch.setattr(proof, "_prove", spy)
    return names


@pytest.fixture
def files(tmp_path: Path, chain3: Hierarchy) -> dict[str, Path]:
    """The chain and key in the formats a server can and cannot read."""
    paths = {
        "chain": tmp_path / "hub.crt",
        "key": tmp_path / "hub.key",
        "der-key": tmp_path / "hub-key.der",
        "encrypted-key": tmp_path / "hub-enc.key",
        "p7b": tmp_path / "hub.p7b",
    }
    paths["chain"].write_bytes(pems(chain3.leaf, chain3.intermediate))
    paths["key"].write_bytes(chain3.leaf.key_pem)
    paths["der-key"].write_bytes(chain3.leaf.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    paths["encrypted-key"].write_bytes(key_pem(chain3.leaf.key, b"secret"))
    paths["p7b"].write_bytes(pkcs7.serialize_certificates(
        [chain3.leaf.cert, chain3.intermediate.cert], serialization.Encoding.PEM
    ))
    return paths


class TestProveFiles:
    def test_files_a_server_reads(self, chain3: Hierarchy, files: dict[str, Path]) -> None:
        """A PEM chain file and a PEM key file are proven as they are."""
        assert proof.prove_files(
            files["chain"], files["key"], anchor=chain3.root.cert, hostname=HOST
        ).ok

    @pytest.mark.parametrize("key_file", ["der-key", "encrypted-key"])
    def test_key_file_a_server_cannot_read(
        self, chain3: Hierarchy, files: dict[str, Path], key_file: str
    ) -> None:
        """A DER or encrypted key file: "PEM lib", the key named as the culprit (no prompt)."""
        result = proof.prove_files(
            files["chain"], files[key_file], anchor=chain3.root.cert, hostname=HOST,
            key_object=chain3.leaf.key,
        )

        assert result.refusal is not None
        assert (result.refusal.text, result.refusal.culprit) == ("PEM lib", "key")

    def test_certificate_file_a_server_cannot_read(
        self, chain3: Hierarchy, files: dict[str, Path]
    ) -> None:
        """A PKCS#7 chain file: "PEM lib", and the certificates are named as the culprit."""
        result = proof.prove_files(
            files["p7b"], files["key"], anchor=chain3.root.cert, hostname=HOST,
            key_object=chain3.leaf.key,
        )

        assert result.refusal is not None
        assert (result.refusal.text, result.refusal.culprit) == ("PEM lib", "certificates")


class TestProofName:
    @pytest.mark.parametrize(
        ("hosts", "wanted", "expected"),
        [
            (("hub.example.org",), None, "hub.example.org"),
            (("hub.example.org", "www.example.org"), "www.example.org", "www.example.org"),
            (("hub.example.org",), "other.example.org", "hub.example.org"),
            (("*.example.org",), None, "certchain-proof.example.org"),
            (("10.0.0.1",), None, "10.0.0.1"),
        ],
    )
    def test_a_name_the_leaf_covers(
        self, chain3: Hierarchy, hosts: tuple[str, ...], wanted: str | None, expected: str
    ) -> None:
        """The wanted name when covered, else a DNS name, a wildcard's instance, an IP."""
        leaf = PKI().leaf(chain3.intermediate, *hosts)

        assert proof.proof_name(leaf.cert, wanted) == expected

    def test_no_name(self, chain3: Hierarchy) -> None:
        """A leaf without subjectAltName covers no name: the client checks none."""
        leaf = PKI().leaf(chain3.intermediate, san=[])

        assert proof.proof_name(leaf.cert) is None


def _sha1_chain(legacy: Hierarchy) -> bytes:
    return pems(legacy.leaf, legacy.intermediate)


class TestProveChain:
    def test_good_chain_gives_no_finding(self, chain3: Hierarchy) -> None:
        """Nothing to say about a chain the stack accepts."""
        assert proof.prove_chain(
            pems(chain3.leaf, chain3.intermediate), chain3.leaf.key,
            anchor=chain3.root.cert, policy=policy_for(chain3.root),
        ) is None

    def test_the_client_side_is_made_once_per_anchor(
        self, pki: PKI, chain3: Hierarchy, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Sites proven against one anchor share its client context; each proof still holds."""
        made: list[object] = []
        make = proof._client.__wrapped__  # type: ignore[attr-defined]

        def counting(anchor: Any, level: int | None, named: bool) -> ssl.SSLContext:
            made.append(anchor)
            return make(anchor, level, named)  # type: ignore[no-any-return]

        monkeypatch.setattr(proof, "_client", proof.by_identity()(counting))
        policy = policy_for(chain3.root)
        for n in range(3):
            leaf = pki.leaf(chain3.intermediate, f"site{n}.example.org")
            assert proof.prove_chain(
                pems(leaf, chain3.intermediate), leaf.key, anchor=chain3.root.cert,
                policy=policy,
            ) is None

        assert made == [chain3.root.cert]

    def test_refusal_the_rules_missed_says_so(self, legacy: Hierarchy) -> None:
        """Rules that found nothing: the stack's refusal is an error that says they missed it."""
        finding = proof.prove_chain(
            _sha1_chain(legacy), legacy.leaf.key, anchor=legacy.root.cert,
            policy=policy_for(legacy.root), found=(),
        )

        assert finding is not None
        assert (finding.code, finding.severity) == (Code.SERVER_REFUSES, Severity.ERROR)
        assert 'CA_MD_TOO_WEAK ("ca md too weak")' in finding.message
        assert "certchain's own rules found no error here, so they missed" in finding.message
        assert "signed with SHA-256" in finding.message
        assert finding.remedy is Remedy.ALLOW_WEAK

    def test_chain_the_rules_accept_with_allow_weak(self, legacy: Hierarchy) -> None:
        """A chain judged with allow_weak is ok, yet the stack at its default level refuses it."""
        allowed = policy_for(legacy.root, allow_weak=True)
        judged = build_chain(_material(legacy.leaf), _material(legacy.intermediate),
                             policy=allowed, keys=_material(key=legacy.leaf.key))
        assert judged.ok

        finding = proof.prove_chain(
            _sha1_chain(legacy), legacy.leaf.key, anchor=legacy.root.cert,
            policy=policy_for(legacy.root), found=judged.findings,
        )

        assert finding is not None
        assert finding.severity is Severity.ERROR
        assert "certchain's own rules say why (weak-signature)" in finding.message
        assert f"security level {DEFAULT_LEVEL}" in finding.message

    def test_allowed_weak_chain_is_proven_at_level_0(self, legacy: Hierarchy) -> None:
        """With allow_weak the refusal is a warning: proven at security level 0 instead."""
        finding = proof.prove_chain(
            _sha1_chain(legacy), legacy.leaf.key, anchor=legacy.root.cert,
            policy=policy_for(legacy.root, allow_weak=True),
            found=(Finding(Code.WEAK_SIGNATURE, Severity.WARNING, "weak", 0),),
        )

        assert finding is not None
        assert finding.severity is Severity.WARNING
        assert "proved it at security level 0" in finding.message
        assert "@SECLEVEL=0" in finding.message
        assert finding.remedy is None

    def test_refused_at_every_level_stays_an_error(
        self, chain3: Hierarchy, dsa_leaf: Issued
    ) -> None:
        """A DSA leaf cannot shake hands (NO_SHARED_CIPHER): an error despite allow_weak."""
        finding = proof.prove_chain(
            pems(dsa_leaf, chain3.intermediate), dsa_leaf.key, anchor=chain3.root.cert,
            policy=policy_for(chain3.root, allow_weak=True),
        )

        assert finding is not None
        assert finding.severity is Severity.ERROR
        assert "NO_SHARED_CIPHER" in finding.message
        assert finding.remedy is None  # allowing legacy algorithms would not help


def _material(*items: Issued, key: Any = None) -> Material:
    """Load *items* (and *key*) as one input would be loaded."""
    data = pems(*items) + (key_pem(key) if key is not None else b"")
    return load_bytes(data)


class TestProveBuild:
    def test_refusal_is_added_to_the_result(self, legacy: Hierarchy, rule_gap: None) -> None:
        """prove_build adds the server-refuses error, so the result is no longer ok."""
        policy = policy_for(legacy.root)
        result = build_chain(_material(legacy.leaf), _material(legacy.intermediate),
                             policy=policy, keys=_material(key=legacy.leaf.key))
        assert result.ok

        proven = proof.prove_build(result, policy)

        assert not proven.ok
        assert [f.code for f in proven.findings if f.severity is Severity.ERROR] == [
            Code.SERVER_REFUSES
        ]

    def test_without_key_nothing_is_proven(
        self, legacy: Hierarchy, rule_gap: None, handshakes: list[Refusal | None]
    ) -> None:
        """No key: a server could not load the chain at all, so no proof is attempted."""
        policy = policy_for(legacy.root)
        result = build_chain(_material(legacy.leaf), _material(legacy.intermediate), policy=policy)

        assert proof.prove_build(result, policy) == result
        assert handshakes == []

    def test_combined_file_is_proven_too(
        self, chain3: Hierarchy, handshakes: list[Refusal | None]
    ) -> None:
        """With combined, the chained bytes and the combined bytes each shake hands."""
        policy = policy_for(chain3.root)
        result = build_chain(_material(chain3.leaf), _material(chain3.intermediate),
                             policy=policy, keys=_material(key=chain3.leaf.key))

        assert proof.prove_build(result, policy, combined=True) == result
        assert handshakes == [None, None]


class TestDoctorLibrary:
    def test_good_files_are_proven(
        self, tmp_path: Path, chain3: Hierarchy, handshakes: list[Refusal | None]
    ) -> None:
        """doctor_config shakes hands with the files it names, and adds nothing when they work."""
        config = _hub(tmp_path, pems(chain3.leaf, chain3.intermediate), chain3.leaf.key_pem)

        report = doctor_config(config, policy=policy_for(chain3.root)).sites[0].report

        assert report.ok
        assert handshakes == [None]

    def test_unreadable_certificate_file_is_refused(
        self, tmp_path: Path, chain3: Hierarchy, files: dict[str, Path]
    ) -> None:
        """A PKCS#7 ssl_cert is refused once, by certchain's rule; the proof is not repeated."""
        config = _hub(tmp_path, files["p7b"].read_bytes(), chain3.leaf.key_pem)

        report = doctor_config(config, policy=policy_for(chain3.root)).sites[0].report

        codes = [f.code for f in report.findings if f.severity is Severity.ERROR]
        assert Code.UNREADABLE_BY_SERVER in codes
        assert Code.SERVER_REFUSES not in codes
        assert not report.ok


def _hub(folder: Path, chain: bytes, key: bytes) -> Path:
    """Write hub.crt, hub.key (0600) and a jupyterhub_config.py naming them in *folder*."""
    folder.mkdir(exist_ok=True)
    (folder / "hub.crt").write_bytes(chain)
    (folder / "hub.key").write_bytes(key)
    (folder / "hub.key").chmod(0o600)
    config = folder / "jupyterhub_config.py"
    config.write_text(
        f"c.JupyterHub.ssl_cert = {str(folder / 'hub.crt')!r}\n"
        f"c.JupyterHub.ssl_key = {str(folder / 'hub.key')!r}\n"
    )
    return config


# ----------------------------------------------------------------- CLI


@dataclass(frozen=True)
class Case:
    """A CA's files in one folder: hub.crt, hub.key, chain.crt and root.crt."""

    folder: Path

    @property
    def host(self) -> Path:
        return self.folder / "hub.crt"

    @property
    def key(self) -> Path:
        return self.folder / "hub.key"

    @property
    def inter(self) -> Path:
        return self.folder / "chain.crt"

    @property
    def root(self) -> Path:
        return self.folder / "root.crt"

    @property
    def chained(self) -> Path:
        return self.folder / "hub-chained.crt"

    def build(self, runner: CliRunner, *extra: str) -> Result:
        return runner.invoke(main, [
            "build", str(self.host), str(self.inter), "--trust", str(self.root),
            "--at", T0_ISO, "--json", *extra,
        ])

    def config(self, runner: CliRunner, chain: Path, *extra: str) -> Result:
        return runner.invoke(main, [
            "config", str(chain), "--key", str(self.key), "--trust", str(self.root),
            "--at", T0_ISO, *extra,
        ])

    def doctor(self, runner: CliRunner, chain: Path, *extra: str) -> Result:
        config = self.folder / "jupyterhub_config.py"
        config.write_text(
            f"c.JupyterHub.ssl_cert = {str(chain)!r}\nc.JupyterHub.ssl_key = {str(self.key)!r}\n"
        )
        return runner.invoke(main, [
            "doctor", str(config), "--trust", str(self.root), "--at", T0_ISO, "--json", *extra,
        ])


def write_case(folder: Path, leaf: Issued, inter: Issued, root: Issued) -> Case:
    """Write the files of *leaf* (with its key, mode 0600), *inter* and *root* to *folder*."""
    folder.mkdir()
    case = Case(folder)
    leaf.write(case.host)
    case.key.write_bytes(leaf.key_pem)
    case.key.chmod(0o600)
    inter.write(case.inter)
    root.write(case.root)
    return case


def findings_of(result: Result) -> dict[str, str]:
    """Map code -> severity from a --json run."""
    return {f["code"]: f["severity"] for f in json.loads(result.stdout)["findings"]}


def message_of(result: Result, code: str) -> str:
    """The message of the finding *code* in a --json run."""
    (found,) = [f["message"] for f in json.loads(result.stdout)["findings"] if f["code"] == code]
    return str(found)


@pytest.fixture
def good(tmp_path: Path, chain3: Hierarchy) -> Case:
    """The everyday hierarchy's files."""
    return write_case(tmp_path / "good", chain3.leaf, chain3.intermediate, chain3.root)


@pytest.fixture
def sha1(tmp_path: Path, legacy: Hierarchy) -> Case:
    """The SHA-1 leaf's files."""
    return write_case(tmp_path / "sha1", legacy.leaf, legacy.intermediate, legacy.root)


class TestBuildCli:
    def test_good_chain_is_proven_then_written(
        self, runner: CliRunner, good: Case, handshakes: list[Refusal | None]
    ) -> None:
        """build shakes hands with the chain (and the combined file) before writing them."""
        combined = good.folder / "hap.pem"

        result = good.build(runner, "--combined", str(combined))

        assert result.exit_code == ExitCode.OK, result.output
        assert "server-refuses" not in findings_of(result)
        assert handshakes == [None, None]
        assert good.chained.exists() and combined.exists()

    def test_refused_chain_writes_nothing(
        self, runner: CliRunner, sha1: Case, rule_gap: None
    ) -> None:
        """The stack refuses what the rules let through: exit 1, server-refuses, no file at all."""
        combined = sha1.folder / "hap.pem"

        result = sha1.build(runner, "--combined", str(combined))

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert findings_of(result)["server-refuses"] == "error"
        message = message_of(result, "server-refuses")
        assert "CA_MD_TOO_WEAK" in message
        assert "own rules found no error here, so they missed" in message
        assert message.endswith("(--allow-weak).")
        assert json.loads(result.stdout)["output"] is None
        assert sorted(p.name for p in sha1.folder.iterdir()) == [
            "chain.crt", "hub.crt", "hub.key", "root.crt"
        ]

    def test_refused_chain_is_not_printed(
        self, runner: CliRunner, sha1: Case, rule_gap: None
    ) -> None:
        """With -o - a refused chain puts no PEM on stdout."""
        result = runner.invoke(main, [
            "build", str(sha1.host), str(sha1.inter), "--trust", str(sha1.root),
            "--at", T0_ISO, "-o", "-",
        ])

        assert result.exit_code == ExitCode.CHAIN_PROBLEM
        assert result.stdout == ""
        assert "server-refuses" in result.stderr

    def test_dsa_leaf_is_refused_even_with_allow_weak(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy, dsa_leaf: Issued
    ) -> None:
        """--allow-weak makes a DSA leaf a warning, but the stack cannot serve it: exit 1."""
        case = write_case(tmp_path / "dsa", dsa_leaf, chain3.intermediate, chain3.root)

        result = case.build(runner, "--allow-weak")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert findings_of(result)["weak-key"] == "warning"
        assert findings_of(result)["server-refuses"] == "error"
        assert "NO_SHARED_CIPHER" in message_of(result, "server-refuses")
        assert not case.chained.exists()


class TestConfigCli:
    def test_good_chain_is_proven_then_printed(
        self, runner: CliRunner, good: Case, handshakes: list[Refusal | None]
    ) -> None:
        """config shakes hands with the files it prints lines for."""
        good.chained.write_bytes(good.host.read_bytes() + good.inter.read_bytes())

        result = good.config(runner, good.chained)

        assert result.exit_code == ExitCode.OK, result.output
        assert "c.JupyterHub.ssl_cert" in result.stdout
        assert handshakes == [None]

    def test_refused_chain_prints_nothing(
        self, runner: CliRunner, sha1: Case, rule_gap: None
    ) -> None:
        """The stack refuses the files: exit 1, server-refuses on stderr, no lines."""
        sha1.chained.write_bytes(sha1.host.read_bytes() + sha1.inter.read_bytes())

        result = sha1.config(runner, sha1.chained)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert result.stdout == ""
        assert "server-refuses" in result.stderr
        assert "CA_MD_TOO_WEAK" in result.stderr

    @pytest.mark.parametrize("encoding", ["der", "p7b", "pfx"])
    def test_certificate_file_a_server_cannot_read(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy, encoding: str
    ) -> None:
        """A DER, PKCS#7 or PKCS#12 file that certchain reads but a server cannot: exit 1, once."""
        leaf = PKI().leaf(chain3.root, HOST)  # issued by the root: no intermediate to order
        case = write_case(tmp_path / encoding, leaf, chain3.intermediate, chain3.root)
        served = case.folder / f"hub.{encoding}"
        served.write_bytes({
            "der": lambda: leaf.cert.public_bytes(serialization.Encoding.DER),
            "p7b": lambda: pkcs7.serialize_certificates([leaf.cert], serialization.Encoding.PEM),
            "pfx": lambda: pkcs12.serialize_key_and_certificates(
                b"hub", leaf.key, leaf.cert, None, serialization.NoEncryption()
            ),
        }[encoding]())

        result = case.config(runner, served)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert result.stdout == ""
        assert "unreadable-by-server" in result.stderr
        assert "server-refuses" not in result.stderr


class TestDoctorCli:
    def test_good_files_are_proven(
        self, runner: CliRunner, good: Case, handshakes: list[Refusal | None]
    ) -> None:
        """doctor shakes hands with ssl_cert and ssl_key, and says OK."""
        good.chained.write_bytes(good.host.read_bytes() + good.inter.read_bytes())

        result = good.doctor(runner, good.chained)

        assert result.exit_code == ExitCode.OK, result.output
        assert "server-refuses" not in findings_of(result)
        assert handshakes == [None]

    def test_der_key_file_is_refused(self, runner: CliRunner, good: Case) -> None:
        """A DER ssl_key, which certchain reads but a server cannot: refused once, by the rule."""
        good.chained.write_bytes(good.host.read_bytes() + good.inter.read_bytes())
        key = load_bytes(good.key.read_bytes()).keys[0].key
        good.key.write_bytes(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))

        result = good.doctor(runner, good.chained)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert findings_of(result)["unreadable-by-server"] == "error"
        assert "server-refuses" not in findings_of(result)

    def test_refused_files_exit_1(self, runner: CliRunner, sha1: Case, rule_gap: None) -> None:
        """The stack refuses the configured files: server-refuses, exit 1."""
        sha1.chained.write_bytes(sha1.host.read_bytes() + sha1.inter.read_bytes())

        result = sha1.doctor(runner, sha1.chained)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        errors = {c for c, severity in findings_of(result).items() if severity == "error"}
        assert errors == {"server-refuses"}
        assert "they missed this refusal" in message_of(result, "server-refuses")
