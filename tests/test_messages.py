"""
Messages a new user reads: each names the certificate and a fix that applies
to the command run (issue 8, "What a new user trips over").

Library tests call build_chain / verify_chain; CLI tests run the real
commands through click's runner.  Every run is pinned to ``T0``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from pki import PKI, T0, T0_ISO, Hierarchy, Issued

from certchain import (
    AmbiguousLeaf,
    BuildResult,
    Code,
    Material,
    Policy,
    Remedy,
    Report,
    Severity,
    TrustStore,
    build_chain,
    load_bytes,
    pick_leaf,
    verify_chain,
)
from certchain.cli import ExitCode, main
from certchain.cli.common import AUDIT_HINTS
from certchain.report import message

CERTIFI_LIKE = TrustStore((), "certifi (test)", explicit=False)
REPR = "<Certificate("


# ----------------------------------------------------------------- helpers


def material(*items: Issued, name: str) -> Material:
    """One PEM file holding *items*, as a user hands it over."""
    return load_bytes(b"".join(i.pem for i in items), source=Path(name))


def anchors(*roots: Issued) -> TrustStore:
    """A trust store chosen with --trust."""
    return TrustStore(tuple(r.cert for r in roots), "test anchors", explicit=True)


def built(host: Issued, *others: Issued, store: TrustStore = CERTIFI_LIKE,
          **policy: Any) -> BuildResult:
    """build_chain with *host* in host.pem and *others* in one input file."""
    candidates = material(*others, name="inputs.pem") if others else Material()
    return build_chain(material(host, name="host.pem"), candidates,
                       policy=Policy(store=store, at=T0, **policy))


def verified(*items: Issued, store: TrustStore = CERTIFI_LIKE, **policy: Any) -> Report:
    """verify_chain of one file holding *items* in that order."""
    return verify_chain(material(*items, name="served.pem"),
                        policy=Policy(store=store, at=T0, **policy))


def only(findings: tuple[Any, ...], code: Code, start: str = "") -> Any:
    """The one finding with *code* (whose message starts with *start*)."""
    (found,) = [f for f in findings if f.code is code and f.message.startswith(start)]
    return found


CRYPTOGRAPHY = "cryptography's web-PKI verifier"


def run(runner: CliRunner, *args: object) -> Result:
    """Run certchain with *args* and ``--at T0``."""
    return runner.invoke(main, [*(str(a) for a in args), "--at", T0_ISO])


@pytest.fixture
def folder(tmp_path: Path, chain3: Hierarchy) -> Path:
    """host.crt, inter.crt and root.crt of *chain3* in a folder."""
    chain3.leaf.write(tmp_path / "host.crt")
    chain3.intermediate.write(tmp_path / "inter.crt")
    chain3.root.write(tmp_path / "root.crt")
    return tmp_path


# ------------------------------------------- a private root left out of a file


class TestMissingIssuerInAServedFile:
    def test_served_chain_names_the_trust_anchor_fix(self, chain3: Hierarchy) -> None:
        """A served file missing its private root says: give the root as a trust anchor."""
        report = verified(chain3.leaf, chain3.intermediate)

        found = only(report.findings, Code.MISSING_ISSUER)
        assert found.remedy is Remedy.TRUST_ROOT
        assert "trust anchor" in found.message
        assert "inputs" not in found.message
        assert "add it to the file after certificate 1" in found.message

    def test_bundle_still_says_add_it_to_the_inputs(self, chain3: Hierarchy) -> None:
        """build, which has inputs, keeps its fix and names no trust anchor."""
        result = built(chain3.leaf, chain3.intermediate)

        found = only(result.findings, Code.MISSING_ISSUER)
        assert "add it to the inputs" in found.message
        assert found.remedy is None

    def test_verify_of_build_no_root_says_trust(
        self, runner: CliRunner, folder: Path
    ) -> None:
        """verify of what `build --no-root` wrote for a private CA hints --trust ROOT.crt."""
        out = folder / "host-chained.crt"
        built_run = run(runner, "build", folder / "host.crt", folder / "inter.crt",
                        folder / "root.crt", "--no-root")
        assert built_run.exit_code == ExitCode.OK, built_run.output

        result = run(runner, "verify", out)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        line = next(ln for ln in result.stdout.splitlines() if "missing-issuer" in ln)
        assert line.rstrip().endswith("(--trust ROOT.crt).")
        assert "inputs" not in line
        assert run(runner, "verify", out, "--trust", folder / "root.crt").exit_code == 0

    def test_hint_spelling_follows_the_remedy(self, chain3: Hierarchy) -> None:
        """The CLI's spelling of the remedy ends the message (report.message)."""
        found = only(verified(chain3.leaf, chain3.intermediate).findings, Code.MISSING_ISSUER)

        assert message(found, AUDIT_HINTS).endswith("as a trust anchor (--trust ROOT.crt).")


# ------------------------------------------------------ a file without a leaf


class TestNoLeaf:
    def test_intermediate_alone_is_no_leaf(self, pki: PKI, chain3: Hierarchy) -> None:
        """A file of one intermediate holds no host certificate: no-leaf, not key-usage."""
        report = verified(chain3.intermediate, store=anchors(chain3.root))

        found = only(report.findings, Code.NO_LEAF)
        assert found.severity is Severity.ERROR
        assert found.position == 0
        assert "holds no host certificate" in found.message
        assert Code.KEY_USAGE not in {f.code for f in report.findings}
        assert "ask your certificate authority" not in found.message

    def test_intermediate_that_could_sign_tls_names_no_host(self, chain3: Hierarchy) -> None:
        """An intermediate whose keyUsage allows TLS but that names no host is no leaf either."""
        report = verified(chain3.intermediate, store=anchors(chain3.root))

        found = only(report.findings, Code.NO_LEAF)
        assert "names no host" in found.message
        assert not report.ok

    def test_self_signed_host_certificate_stays_a_leaf(self, pki: PKI) -> None:
        """A self-signed CA certificate (openssl req -x509's default) is still a leaf."""
        selfmade = pki.root("hub.example.org")

        report = verified(selfmade)

        assert Code.NO_LEAF not in {f.code for f in report.findings}

    def test_build_with_a_ca_as_host(self, chain3: Hierarchy) -> None:
        """build of an intermediate as HOST says the host file holds no host certificate."""
        result = built(chain3.intermediate, chain3.root)

        assert "the host file holds no host certificate" in only(
            result.findings, Code.NO_LEAF).message
        assert not result.ok

    def test_ca_leaf_that_may_serve_tls_is_still_a_leaf(self, pki: PKI, chain3: Hierarchy) -> None:
        """A CA certificate whose keyUsage allows TLS stays a leaf, as OpenSSL serves it."""
        ca_leaf = pki.intermediate(  # the factory's CA keyUsage has digitalSignature
            chain3.intermediate, cn="hub.example.org", san=[x509.DNSName("hub.example.org")]
        )

        report = verified(ca_leaf, chain3.intermediate, chain3.root, store=anchors(chain3.root))

        assert Code.NO_LEAF not in {f.code for f in report.findings}

    def test_cli(self, runner: CliRunner, folder: Path) -> None:
        """`verify int.crt --trust root.crt` says the file holds no host certificate."""
        result = run(runner, "verify", folder / "inter.crt", "--trust", folder / "root.crt")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "no-leaf: Certificate 0" in result.stdout
        assert "holds no host certificate" in result.stdout
        assert "ask your certificate authority for a TLS server" not in result.stdout


# ------------------------------------------------------ an ambiguous host file


class TestAmbiguousHostFile:
    def renewed(self, pki: PKI, chain3: Hierarchy) -> Issued:
        """The same host certified again a year later (a renewal)."""
        return pki.leaf(chain3.intermediate, "hub.example.org",
                        not_before=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc),
                        not_after=dt.datetime(2061, 1, 1, tzinfo=dt.timezone.utc))

    def test_candidates_told_apart_and_newest_suggested(self, pki: PKI, chain3: Hierarchy) -> None:
        """Two leaves of one host are listed with serial and expiry; the newer is named."""
        new = self.renewed(pki, chain3)
        host = material(chain3.leaf, new, name="host.pem")

        with pytest.raises(AmbiguousLeaf) as caught:
            pick_leaf(host)

        text = str(caught.value)
        old_serial = format(chain3.leaf.cert.serial_number, "x")
        new_serial = format(new.cert.serial_number, "x")
        assert f"serial {old_serial}, expires 2060-01-01" in text
        assert f"serial {new_serial}, expires 2061-01-01" in text
        assert f"the most recent is serial {new_serial} (issued 2021-01-01)" in text
        assert "keep only it in the file" in text

    def test_different_hosts_get_no_suggestion(self, pki: PKI, chain3: Hierarchy) -> None:
        """Leaves of different hosts are listed, but none is called the one to keep."""
        other = pki.leaf(chain3.intermediate, "other.example.org")

        with pytest.raises(AmbiguousLeaf) as caught:
            pick_leaf(material(chain3.leaf, other, name="host.pem"))

        assert "most recent" not in str(caught.value)
        assert "CN=other.example.org, serial" in str(caught.value)

    def test_cli(self, runner: CliRunner, tmp_path: Path, pki: PKI, chain3: Hierarchy) -> None:
        """build of a host file with two leaves exits 2 naming serials and the newer one."""
        new = self.renewed(pki, chain3)
        host = tmp_path / "host.crt"
        host.write_bytes(chain3.leaf.pem + new.pem)

        result = run(runner, "build", host)

        assert result.exit_code == ExitCode.BAD_INPUT
        assert f"serial {format(new.cert.serial_number, 'x')}, expires 2061-01-01" in result.stderr
        assert "the most recent is serial" in result.stderr


# --------------------------------------------- a root above the trust anchor


class TestAboveTheAnchor:
    def test_root_above_an_intermediate_anchor_is_info(self, chain3: Hierarchy) -> None:
        """With the intermediate as anchor, the root given is above it (info), not unrelated."""
        result = built(chain3.leaf, chain3.intermediate, chain3.root,
                       store=anchors(chain3.intermediate))

        found = only(result.findings, Code.UNUSED_CERT)
        assert found.severity is Severity.INFO
        assert "above the trust anchor" in found.message
        assert "unrelated" not in found.message
        assert result.ok

    def test_unrelated_root_is_still_a_warning(self, pki: PKI, chain3: Hierarchy) -> None:
        """A root that did not issue the anchor stays unrelated (warning)."""
        stranger = pki.root("Stranger Root")

        result = built(chain3.leaf, chain3.intermediate, stranger,
                       store=anchors(chain3.intermediate))

        found = only(result.findings, Code.UNUSED_CERT)
        assert found.severity is Severity.WARNING
        assert "unrelated" in found.message

    def test_same_name_other_key_is_not_above(self, pki: PKI, chain3: Hierarchy) -> None:
        """A root with the issuer's name but another key did not sign the anchor."""
        impostor = pki.root("Test Root")  # same name as chain3.root, another key

        result = built(chain3.leaf, chain3.intermediate, impostor,
                       store=anchors(chain3.intermediate))

        assert only(result.findings, Code.UNUSED_CERT).severity is Severity.WARNING

    def test_cli(self, runner: CliRunner, folder: Path) -> None:
        """`build --trust inter.crt` with root.crt among the inputs says it is above the anchor."""
        result = run(runner, "build", folder / "host.crt", folder / "inter.crt",
                     folder / "root.crt", "--trust", folder / "inter.crt")

        assert result.exit_code == ExitCode.OK, result.output
        assert "info     unused-cert: CN=Test Root" in result.stdout
        assert "is above the trust anchor" in result.stdout


# ------------------------------------------------ strict-mode reprs are names


class TestStrictNames:
    def test_leaf_repr_is_named(self, pki: PKI, chain3: Hierarchy) -> None:
        """cryptography's <Certificate(...)> is replaced by the result's name of it."""
        leaf = pki.leaf(chain3.intermediate, include_aki=False)

        result = built(leaf, chain3.intermediate, chain3.root, store=anchors(chain3.root),
                       strict=True)

        found = only(result.findings, Code.STRICT_POLICY, CRYPTOGRAPHY)
        assert REPR not in found.message
        assert "(encountered processing the leaf (CN=hub.example.org))" in found.message
        assert found.position == 0

    def test_served_file_names_by_place(self, pki: PKI, chain3: Hierarchy) -> None:
        """In a served file the certificate is named by its place in the file."""
        leaf = pki.leaf(chain3.intermediate, include_aki=False)

        report = verified(leaf, chain3.intermediate, store=anchors(chain3.root))

        found = only(report.findings, Code.STRICT_POLICY, CRYPTOGRAPHY)
        assert "encountered processing certificate 0 (CN=hub.example.org)" in found.message

    def test_cli(self, runner: CliRunner, tmp_path: Path, pki: PKI, chain3: Hierarchy) -> None:
        """`build --strict` prints no Python repr."""
        leaf = pki.leaf(chain3.intermediate, include_aki=False)
        host = leaf.write(tmp_path / "host.crt")
        inter = chain3.intermediate.write(tmp_path / "inter.crt")
        root = chain3.root.write(tmp_path / "root.crt")

        result = run(runner, "build", host, inter, "--trust", root, "--strict")

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "strict-policy" in result.stdout
        assert REPR not in result.stdout
        assert "the leaf (CN=hub.example.org)" in result.stdout

    def test_shared_subject_falls_back_to_the_name(self) -> None:
        """A repr two path certificates share is named by its subject alone."""
        from certchain.assessment import _named_in
        from certchain.findings import CertName

        pki = PKI()
        root = pki.root("Twin")
        twin = pki.cross_sign(root, pki.root("Other"))
        text = f"bad (encountered processing {root.cert!r})"

        named, position = _named_in(
            text, (twin.cert, root.cert),
            (CertName("intermediate 1 (CN=Twin)", 0), CertName("the root (CN=Twin)", 1)),
        )

        assert named == "bad (encountered processing the certificate CN=Twin,O=certchain tests)"
        assert position is None

    def test_algorithm_debug_form_is_its_name(self, pki: PKI) -> None:
        """cryptography's Rust AlgorithmIdentifier { ... } debug text is cut to the algorithm."""
        from pki import new_key, sha1_signed

        root = pki.root("SHA-1 Root", key=new_key("rsa"))
        leaf = pki.leaf(root, "hub.example.org")
        old = Issued(sha1_signed(leaf.cert, root.key), leaf.key)

        result = built(old, root, store=anchors(root), allow_weak=True)

        found = only(result.findings, Code.STRICT_POLICY, CRYPTOGRAPHY)
        assert "AlgorithmIdentifier" not in found.message
        assert "PhantomData" not in found.message
        assert "Forbidden signature algorithm: RsaWithSha1" in found.message
