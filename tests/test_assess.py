"""
The one core: assess() under one Policy, with build, verify and doctor as views of it.

These tests pin down the shape issue 7 asked for: engines that are siblings
over one core, one policy value, one way of naming certificates per result,
and nothing judged twice.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from pki import PKI, T0, T0_ISO, Hierarchy, Issued, key_pem, new_key, sha1_signed

import certchain
from certchain import (
    Code,
    Finding,
    Material,
    Policy,
    Role,
    Severity,
    TrustStore,
    assess,
    build_chain,
    load_bytes,
    verify_chain,
)
from certchain.cli import ExitCode, main
from certchain.model import fingerprint

PACKAGE = Path(certchain.__file__).parent
ENGINES = {"build", "verify", "doctor"}
# sitecheck judges one site of a configuration with served's judgement.
CORE = {"assessment", "served", "sitecheck"}


def imports_of(module: str) -> set[str]:
    """Return the certchain modules *module* (``build``, ``cli/common``) imports."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = (node.module or "").split(".")[0]
            found |= {base} if base else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
    return found


def anchors(*roots: Issued) -> TrustStore:
    return TrustStore(tuple(r.cert for r in roots), "test anchors", explicit=True)


def loaded(*items: Issued, keys: tuple[object, ...] = ()) -> Material:
    data = b"".join(i.pem for i in items) + b"".join(key_pem(k) for k in keys)
    return load_bytes(data, source=Path("deployed.pem"))


def expiring_intermediate(pki: PKI) -> tuple[Issued, Issued, Issued]:
    """(leaf, intermediate that expired before T0, root)."""
    root = pki.root("Core Root")
    inter = pki.intermediate(root, "Core Old CA", not_after=T0 - dt.timedelta(days=1))
    return pki.leaf(inter, "hub.example.org"), inter, root


class TestLayout:
    def test_engines_never_import_each_other(self) -> None:
        """build, verify and doctor import none of the other engines."""
        for engine in ENGINES:
            assert imports_of(engine) & (ENGINES - {engine}) == set(), engine

    def test_verify_does_not_import_build(self) -> None:
        """verify is a view of the core, not a floor above build."""
        assert "build" not in imports_of("verify")
        assert "build" not in imports_of("served")

    def test_engines_judge_through_the_core(self) -> None:
        """Each engine reaches the path search only through assess or served."""
        for engine in ENGINES:
            assert imports_of(engine) & CORE, engine
            assert "graph" not in imports_of(engine), engine
        assert "served" in imports_of("sitecheck")

    def test_presentation_imports_data_not_engines(self) -> None:
        """report.py, sitereport.py and results.py import no engine and no core module."""
        for module in ("report", "sitereport", "results", "sites"):
            assert imports_of(module) & (ENGINES | CORE) == set(), module

    def test_only_the_cli_imports_click(self) -> None:
        """No library module imports click."""
        for path in PACKAGE.glob("*.py"):
            assert "click" not in imports_of(path.stem), path.name

    def test_command_modules_hold_no_path_logic(self) -> None:
        """The CLI never reaches below the engines into the search or the rules."""
        for path in (PACKAGE / "cli").glob("*.py"):
            names = imports_of(f"cli/{path.stem}")
            assert names & {"graph", "rules", "assessment", "names", "strict"} == set(), path.name


class TestPolicy:
    def test_policy_is_one_frozen_value(self, chain3: Hierarchy) -> None:
        """A Policy cannot be changed once made; a new one is made with replace()."""
        policy = Policy(store=anchors(chain3.root), at=T0)
        with pytest.raises(dataclasses.FrozenInstanceError):
            policy.strict = True  # type: ignore[misc]
        assert dataclasses.replace(policy, strict=True).strict

    def test_every_engine_takes_the_policy(self, chain3: Hierarchy, tmp_path: Path) -> None:
        """build, verify and doctor judge the same chain the same way under one policy."""
        policy = Policy(store=anchors(chain3.root), at=T0, hostname="other.example.org")
        built = build_chain(loaded(chain3.leaf), loaded(chain3.intermediate), policy=policy)
        verified = verify_chain(loaded(chain3.leaf, chain3.intermediate), policy=policy)
        (tmp_path / "hub.crt").write_bytes(chain3.leaf.pem + chain3.intermediate.pem)
        (tmp_path / "jupyterhub_config.py").write_text("c.JupyterHub.ssl_cert = 'hub.crt'\n")
        doctored = certchain.doctor_config(tmp_path / "jupyterhub_config.py", policy=policy).sites[0].report

        for result in (built, verified, doctored):
            assert Code.HOSTNAME_MISMATCH in {f.code for f in result.findings}

    def test_legacy_algorithms_are_errors_when_not_allowed(self, pki: PKI) -> None:
        """allow_weak=False makes a SHA-1 link an error; the default keeps it a warning."""
        root = pki.root("Weak Root")
        inter = pki.intermediate(root, "Weak CA", key=new_key("rsa"))
        leaf = pki.leaf(inter, "hub.example.org")
        old = sha1_signed(leaf.cert, inter.key)
        policy = Policy(store=anchors(root), at=T0)

        def weak(allow: bool) -> set[Severity]:
            judged = assess(old, [inter.cert], dataclasses.replace(policy, allow_weak=allow))
            return {f.severity for f in judged.findings if f.code is Code.WEAK_SIGNATURE}

        assert weak(True) == {Severity.WARNING}
        assert weak(False) == {Severity.ERROR}

    def test_max_intermediates_refuses_a_longer_path(self, chain3: Hierarchy) -> None:
        """A path with more intermediates than the policy allows is chain-too-long."""
        policy = Policy(store=anchors(chain3.root), at=T0, max_intermediates=0)
        judged = assess(chain3.leaf.cert, [chain3.intermediate.cert], policy)
        assert Code.CHAIN_TOO_LONG in {f.code for f in judged.findings}


class TestNaming:
    def test_build_names_certificates_by_place_in_the_chain(self, pki: PKI) -> None:
        """In a build result the expired CA is 'Intermediate 1 (...)', at position 1."""
        leaf, inter, root = expiring_intermediate(pki)
        result = build_chain(
            loaded(leaf), loaded(root, inter), policy=Policy(store=anchors(root), at=T0)
        )
        (expired,) = [f for f in result.findings if f.code is Code.EXPIRED]
        assert expired.position == 1
        assert expired.message.startswith("Intermediate 1 (CN=Core Old CA")

    @pytest.mark.parametrize(("order", "place"), [((0, 1), 1), ((1, 0), 0)])
    def test_verify_names_certificates_by_place_in_the_file(
        self, pki: PKI, order: tuple[int, int], place: int
    ) -> None:
        """In a verify report every finding names a certificate by its place in the file."""
        leaf, inter, root = expiring_intermediate(pki)
        items = [(leaf, inter)[i] for i in order]
        report = verify_chain(loaded(*items), policy=Policy(store=anchors(root), at=T0))

        (expired,) = [f for f in report.findings if f.code is Code.EXPIRED]
        assert expired.position == place
        assert expired.message.startswith(f"Certificate {place} (CN=Core Old CA")
        for finding in report.findings:
            assert "ntermediate 1" not in finding.message, finding

    def test_a_certificate_outside_the_file_is_named_by_its_role(self, pki: PKI) -> None:
        """A root from the trust store has no place in the file: it is 'the root', position None."""
        root = pki.root("Store Root", not_after=T0 + dt.timedelta(days=10))
        inter = pki.intermediate(root, "Store CA", not_after=T0 + dt.timedelta(days=9))
        leaf = pki.leaf(inter, "hub.example.org", not_after=T0 + dt.timedelta(days=8))
        report = verify_chain(loaded(leaf, inter), policy=Policy(store=anchors(root), at=T0))

        soon = {f.position: f.message for f in report.findings if f.code is Code.EXPIRES_SOON}
        assert soon[None].startswith("The root (CN=Store Root")
        assert soon[1].startswith("Certificate 1 (CN=Store CA")
        assert soon[0].startswith("Certificate 0 (CN=hub.example.org")

    def test_finding_keeps_its_message_as_given(self) -> None:
        """Finding no longer guesses capitals: a message is a sentence when it is made."""
        finding = Finding(Code.EXPIRED, Severity.ERROR, "the leaf expired.")
        assert finding.message == "the leaf expired."

    def test_every_message_is_a_finished_sentence(self, pki: PKI) -> None:
        """Each message of a result full of problems starts with a capital and ends with a stop."""
        leaf, inter, root = expiring_intermediate(pki)
        for result in (
            build_chain(loaded(leaf), loaded(inter), policy=Policy(store=anchors(root), at=T0)),
            verify_chain(loaded(inter, leaf, root), policy=Policy(store=anchors(root), at=T0)),
        ):
            for finding in result.findings:
                first = finding.message[0]
                assert first.isupper() or finding.message.startswith(
                    ("cryptography's", "certchain ")
                ), finding
                assert finding.message.endswith("."), finding


class TestNothingTwice:
    def test_each_signature_is_checked_once(
        self, chain3: Hierarchy, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """verify reuses the signatures the path search checked for the file's links."""
        import certchain.graph

        checked: list[tuple[str, str]] = []
        real = certchain.graph.signature_problem

        def counting(child: x509.Certificate, issuer: x509.Certificate) -> str | None:
            checked.append((fingerprint(child), fingerprint(issuer)))
            return real(child, issuer)

        monkeypatch.setattr(certchain.graph, "signature_problem", counting)
        report = verify_chain(
            loaded(chain3.leaf, chain3.intermediate, chain3.root),
            policy=Policy(store=anchors(chain3.root), at=T0),
        )
        assert report.ok
        assert report.links == (True, True, None)
        assert len(checked) == len(set(checked)), checked

    def test_issuer_expiry_is_judged_once_for_build_and_verify(self, pki: PKI) -> None:
        """issuer-expires-first is the core's: build and verify both report it."""
        root = pki.root("Short Root", not_after=T0 + dt.timedelta(days=400))
        leaf = pki.leaf(root, "hub.example.org")
        policy = Policy(store=anchors(root), at=T0)
        built = build_chain(loaded(leaf), policy=policy)
        verified = verify_chain(loaded(leaf), policy=policy)
        for result in (built, verified):
            assert Code.ISSUER_EXPIRES_FIRST in {f.code for f in result.findings}


class TestCli:
    def test_options_are_declared_once_for_every_judging_command(self) -> None:
        """build, verify, config and doctor offer the same judging options."""
        runner = CliRunner()
        for command in ("build", "verify", "config", "doctor"):
            text = runner.invoke(main, [command, "--help"]).stdout
            for option in ("--trust", "--at", "--hostname", "--strict", "--warn-days",
                           "--max-depth", "--password-file"):
                assert option in text, (command, option)

    def test_max_depth_refuses_a_longer_path(self, chain3: Hierarchy, tmp_path: Path) -> None:
        """build --max-depth 0 refuses a chain with one intermediate: exit 1, chain-too-long."""
        host = chain3.leaf.write(tmp_path / "host.crt")
        inter = chain3.intermediate.write(tmp_path / "inter.crt")
        root = chain3.root.write(tmp_path / "root.crt")
        result = CliRunner().invoke(main, [
            "build", str(host), str(inter), "--trust", str(root), "--at", T0_ISO,
            "--max-depth", "0", "--json",
        ])
        assert ExitCode.CHAIN_PROBLEM == result.exit_code, result.output
        codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
        assert "chain-too-long" in codes
        assert not (tmp_path / "host-chained.crt").exists()

    def test_the_cli_spells_remedies_as_its_flags(self, pki: PKI, tmp_path: Path) -> None:
        """The library says 'give the right root'; the CLI adds --trust, in text and JSON."""
        other = pki.root("Other Root")
        root = pki.root("Own Root")
        leaf = pki.leaf(root, "hub.example.org")
        policy = Policy(store=anchors(other), at=T0)
        library = build_chain(loaded(leaf), loaded(root), policy=policy)
        (untrusted,) = [f for f in library.findings if f.code is Code.UNTRUSTED_ROOT]
        assert "--" not in untrusted.message

        host = leaf.write(tmp_path / "host.crt")
        anchor = other.write(tmp_path / "other.crt")
        own = root.write(tmp_path / "own.crt")
        result = CliRunner().invoke(main, [
            "verify", str(host), "--trust", str(anchor), "--at", T0_ISO, "--json",
        ])
        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        result = CliRunner().invoke(main, [
            "build", str(host), str(own), "--trust", str(anchor), "--at", T0_ISO, "--json",
        ])
        messages = [f["message"] for f in json.loads(result.stdout)["findings"]
                    if f["code"] == "untrusted-root"]
        assert messages and messages[0].endswith("(--trust ROOT.crt).")

    def test_config_combined_without_a_key_is_a_usage_error(
        self, chain3: Hierarchy, tmp_path: Path
    ) -> None:
        """config --combined with no key anywhere: exit 2 with click's usage error, nothing written."""
        chain = tmp_path / "hub-chained.crt"
        chain.write_bytes(chain3.leaf.pem + chain3.intermediate.pem)
        root = chain3.root.write(tmp_path / "root.crt")
        result = CliRunner().invoke(main, [
            "config", str(chain), "--trust", str(root), "--at", T0_ISO,
            "--combined", str(tmp_path / "hap.pem"),
        ])
        assert ExitCode.BAD_INPUT == result.exit_code
        assert "Usage:" in result.stderr
        assert "--combined needs the private key" in result.stderr
        assert "<data>" not in result.stderr
        assert not (tmp_path / "hap.pem").exists()

    def test_build_finds_the_key_of_a_chained_file_as_config_does(
        self, chain3: Hierarchy, tmp_path: Path
    ) -> None:
        """build HOST-chained.crt finds HOST.key, the same rule config uses."""
        chained = tmp_path / "hub-chained.crt"
        chained.write_bytes(chain3.leaf.pem + chain3.intermediate.pem + chain3.root.pem)
        (tmp_path / "hub.key").write_bytes(key_pem(chain3.leaf.key))
        result = CliRunner().invoke(main, [
            "build", str(chained), "--trust", str(chain3.root.write(tmp_path / "root.crt")),
            "--at", T0_ISO, "-o", str(tmp_path / "out.crt"), "--json",
        ])
        assert ExitCode.OK == result.exit_code, result.output
        codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
        assert "no-key" not in codes


class TestNameCheckBudget:
    def test_one_budget_for_every_path_weighed(
        self, pki: PKI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A budget spent on one path leaves the other paths refused, never passed unchecked."""
        from certchain import names

        monkeypatch.setattr(names, "MAX_NAME_CHECKS", 40)  # each path needs 50
        excluded = x509.NameConstraints(
            None, [x509.DNSName(f"x{i}.example.net") for i in range(10)]
        )
        root_a, root_b = pki.root("Budget Root A"), pki.root("Budget Root B")
        inter = pki.intermediate(root_a, "Budget CA", name_constraints=excluded)
        cross = pki.cross_sign(inter, root_b, name_constraints=excluded)
        leaf = pki.leaf(inter, *(f"h{i}.example.org" for i in range(5)))
        policy = Policy(store=anchors(root_a, root_b), at=T0)

        judged = assess(leaf.cert, [inter.cert, cross.cert], policy)

        assert len(judged.paths) == 2
        assert Code.LIMIT_REACHED in {f.code for f in judged.findings}
        assert Code.NAME_CONSTRAINTS not in {f.code for f in judged.findings}
