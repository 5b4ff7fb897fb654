"""
Minimal reproducers of the crashes the fuzz suite found (issue 9), each
through the CLI and, where the library has a say, through the library.

Those another branch of issue 9 fixes are strict xfails naming the branch:
when it is merged they pass, so the xfail mark and the matching entry of
``fuzzkit.OPEN_CRASHES`` (or input filter) are removed together.
"""

from __future__ import annotations

import ast
import contextlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import Encoding
from fuzzkit import (
    EXTENSIONS,
    FORGED,
    PASSWORD,
    RAW_CONTROL,
    SUBJECT,
    children,
    corpus,
    edit,
    pem_block,
    reassembled,
    signed,
)
from pki import T0, T0_ISO, _der

from certchain import extensions
from certchain.cli import main
from certchain.doctor import doctor_config
from certchain.errors import CertchainError, LoadError
from certchain.jhconfig import parse_settings, set_ssl
from certchain.load import load_bytes
from certchain.model import TrustStore
from certchain.policy import Policy
from certchain.verify import verify_chain

AKI_OID = _der(0x06, bytes.fromhex("551d23"))  # authorityKeyIdentifier
INPUTS = "fixed on branch inputs"
OUTPUTS = "fixed on branch outputs"
FOUND = "found by the fuzz suite, not in the issue's table"


def policy() -> Policy:
    """Trust the corpus root, at T0."""
    return Policy(store=TrustStore((corpus().root.cert,), "fuzz", explicit=True), at=T0)


def run(*args: object, stdin: bytes | None = None) -> Result:
    """certchain ARGS --at T0 through click's runner."""
    return CliRunner().invoke(main, [*(str(a) for a in args), "--at", T0_ISO], input=stdin)


def assert_refused(result: Result, name: str) -> None:
    """Exit 2 and one ``Error:`` line naming *name*, no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1 and name in lines[0], result.stderr


def leaf_with_subject(value: bytes) -> x509.Certificate:
    """The corpus leaf, its subject's last attribute value made the DER *value*, re-signed."""

    def change(name: bytes) -> bytes:
        rdns = children(name)
        (atv,) = children(rdns[-1])
        rdns[-1] = _der(0x31, _der(0x30, children(atv)[0] + value))
        return _der(0x30, b"".join(rdns))

    return signed(edit(corpus().leaf.cert.tbs_certificate_bytes, [SUBJECT], change),
                  corpus().inter.key)


def leaf_pem(cert: x509.Certificate) -> bytes:
    """*cert* as PEM."""
    return pem_block(b"CERTIFICATE", cert.public_bytes(Encoding.DER))


def assert_judged(result: Result) -> None:
    """A run that ended with a report or certchain's own refusal, never an exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output


# Subjects that load but fail when first read (cryptography parses names lazily).
LAZY_SUBJECTS = {
    "undecodable UTF8String": _der(0x0C, b"\xff"),  # the row: ValueError, asn1
    "IA5String beyond ASCII": _der(0x16, b"\xff"),
    "a BIT STRING as a common name": _der(0x03, b"\x00a"),  # TypeError
    "a long-form tag": b"\x1f\x81\x01\x01a",  # ValueError from NameAttribute
}


class TestLazyNames:
    @pytest.mark.parametrize("damage", sorted(LAZY_SUBJECTS))
    def test_cli(self, tmp_path: Path, damage: str) -> None:
        """verify of a leaf whose subject fails when read is one Error: line naming the file."""
        chain = tmp_path / "chain.pem"
        chain.write_bytes(leaf_pem(leaf_with_subject(LAZY_SUBJECTS[damage])) + corpus().inter.pem)
        root = tmp_path / "root.pem"
        root.write_bytes(corpus().root.pem)
        assert_refused(run("verify", chain, "--trust", root), "chain.pem")

    @pytest.mark.parametrize("damage", sorted(LAZY_SUBJECTS))
    def test_library(self, damage: str) -> None:
        """Loading and judging such a leaf raises certchain's LoadError, naming the file."""
        data = leaf_pem(leaf_with_subject(LAZY_SUBJECTS[damage])) + corpus().inter.pem
        with pytest.raises(CertchainError, match=r"chain\.pem"):
            verify_chain(load_bytes(data, source=Path("chain.pem")), policy=policy())

    def test_empty_rdn(self, tmp_path: Path) -> None:
        """A subject with an empty RDN (a ValueError when read) is refused naming the file."""
        tbs = edit(corpus().leaf.cert.tbs_certificate_bytes, [SUBJECT],
                   lambda name: _der(0x30, b"".join([*children(name), _der(0x31, b"")])))
        path = tmp_path / "leaf.pem"
        path.write_bytes(leaf_pem(signed(tbs, corpus().inter.key)))
        assert_refused(run("inspect", path), "leaf.pem")

    def test_overlong_common_name_prints_no_warning(self, tmp_path: Path) -> None:
        """A 65-character CN (cryptography warns when it is read) is judged without a warning."""
        path = tmp_path / "leaf.pem"
        path.write_bytes(leaf_pem(leaf_with_subject(_der(0x0C, b"a" * 65))))
        assert_judged(run("inspect", path))


@pytest.mark.parametrize("text", [b"\x1b]0;title\x07", b"x\n" + FORGED.encode()])
def test_names_are_printed_escaped(tmp_path: Path, text: bytes) -> None:
    """A subject holding an OSC sequence or a line feed cannot drive a terminal or forge a line."""
    chain = tmp_path / "chain.pem"
    chain.write_bytes(leaf_pem(leaf_with_subject(_der(0x0C, text))) + corpus().inter.pem)
    root = tmp_path / "root.pem"
    root.write_bytes(corpus().root.pem)
    result = run("verify", chain, "--trust", root)
    assert_judged(result)
    assert not RAW_CONTROL.search(result.output), result.output
    assert FORGED not in result.output.replace(f"\\n{FORGED}", ""), result.output


class TestLoaderExceptions:
    def version_4(self) -> bytes:
        leaf = corpus().leaf.cert
        tbs = edit(leaf.tbs_certificate_bytes, [0], lambda _: _der(0xA0, _der(0x02, b"\x03")))
        return reassembled(tbs, leaf)

    def data_pkcs7(self) -> bytes:
        data_oid = _der(0x06, bytes.fromhex("2a864886f70d010701"))
        return _der(0x30, data_oid + _der(0xA0, _der(0x04, b"hi")))

    def test_version_4_certificate(self, tmp_path: Path) -> None:
        """A DER certificate of version 4 (InvalidVersion) is refused naming the file."""
        path = tmp_path / "v4.der"
        path.write_bytes(self.version_4())
        assert_refused(run("inspect", path), "v4.der")
        with pytest.raises(LoadError):
            load_bytes(pem_block(b"CERTIFICATE", self.version_4()))

    def test_pkcs7_without_signed_data(self, tmp_path: Path) -> None:
        """PKCS#7 of data, not signedData (UnsupportedAlgorithm), is refused naming the file."""
        path = tmp_path / "data.p7b"
        path.write_bytes(pem_block(b"PKCS7", self.data_pkcs7()))
        assert_refused(run("inspect", path), "data.p7b")
        with pytest.raises(LoadError):
            load_bytes(self.data_pkcs7())

    def test_pkcs7_holding_a_version_4_certificate(self, tmp_path: Path) -> None:
        """PKCS#7 whose certificate is of version 4 (InvalidVersion) is refused naming the file."""
        from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

        leaf = corpus().leaf.cert
        p7 = pkcs7.serialize_certificates([leaf], Encoding.DER)
        damaged = p7.replace(leaf.public_bytes(Encoding.DER), self.version_4())
        assert damaged != p7
        path = tmp_path / "v4.p7c"
        path.write_bytes(damaged)
        assert_refused(run("inspect", path), "v4.p7c")
        with pytest.raises(LoadError):
            load_bytes(damaged)

    def test_pkcs12_in_ber_warns_nothing(self, tmp_path: Path) -> None:
        """A PKCS#12 file with a BER length is read or refused without a Python warning."""
        data = corpus().files["open.p12"]
        assert data[1] == 0x82
        ber = b"\x30\x83\x00" + data[2:]
        path = tmp_path / "ber.p12"
        path.write_bytes(ber)
        assert_judged(run("inspect", path))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with contextlib.suppress(LoadError):
                load_bytes(ber)

    def test_pkcs12_password_not_utf8(self, tmp_path: Path) -> None:
        """A PKCS#12 password that is not UTF-8 is a wrong password, not a TypeError."""
        path = tmp_path / "chain.p12"
        path.write_bytes(corpus().files["chain.p12"])
        password = tmp_path / "pw.txt"
        password.write_bytes(b"\xff")
        assert_refused(run("inspect", path, "--password-file", password), "chain.p12")
        with pytest.raises(CertchainError):
            load_bytes(corpus().files["chain.p12"], password=b"\xff")

    def test_pkcs12_password_with_nul(self, tmp_path: Path) -> None:
        """A PKCS#12 password holding NUL is refused in one line (cryptography panics on it)."""
        path = tmp_path / "chain.p12"
        path.write_bytes(corpus().files["chain.p12"])
        password = tmp_path / "pw.txt"
        password.write_bytes(PASSWORD + b"\x00")
        done = subprocess.run(
            [sys.executable, "-m", "certchain", "inspect", str(path), "--password-file",
             str(password)], capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("Error:") and "chain.p12" in done.stderr, done.stderr
        assert len(done.stderr.splitlines()) == 1, done.stderr


@pytest.mark.parametrize("option", [
    "--at=0001-01-01T00:00:00+14:00", "--at=9999-12-31T23:59:59-12:00",
    "--warn-days=10000000000", "--warn-days=1000000000",
])
def test_option_out_of_range(tmp_path: Path, option: str) -> None:
    """An option value past what dates can hold is a usage error (exit 2), not an OverflowError."""
    chain = tmp_path / "chain.pem"
    chain.write_bytes(corpus().files["chain.pem"])
    result = CliRunner().invoke(main, ["verify", str(chain), option])
    assert_judged(result)
    assert result.exit_code == 2 and "Error:" in result.stderr, result.output


class TestConfigBom:
    TEXT = "\ufeffc.JupyterHub.ssl_cert = 'hub.crt'\n"

    def test_library(self) -> None:
        """parse_settings reads a file that starts with a BOM."""
        (setting,) = parse_settings(self.TEXT)
        assert setting.value == "hub.crt"

    def test_cli(self, tmp_path: Path) -> None:
        """doctor reads a config that starts with a BOM."""
        (tmp_path / "hub.crt").write_bytes(corpus().files["chain.pem"])
        config = tmp_path / "jupyterhub_config.py"
        config.write_bytes(self.TEXT.encode())
        result = run("doctor", config)
        assert result.exit_code in (0, 1), result.output



@pytest.mark.parametrize("line", [
    "c.JupyterHub.bind_url = 'https://[hub.example.org/'",  # urlsplit: Invalid IPv6 URL
    "c.JupyterHub.hub_bind_url = 'http://[::1'\nc.JupyterHub.spawner_class = 'docker'",
    "c.JupyterHub.ssl_key = '~nobody-here/hub.key'",  # expanduser: RuntimeError
])
class TestDoctorValues:
    def test_cli(self, tmp_path: Path, line: str) -> None:
        """doctor of a config with such a value reports findings, never a traceback."""
        config = tmp_path / "jupyterhub_config.py"
        config.write_text(f"c.JupyterHub.ssl_cert = 'hub.crt'\n{line}\n")
        (tmp_path / "hub.crt").write_bytes(corpus().files["chain.pem"])
        result = run("doctor", config)
        assert_judged(result)
        assert result.exit_code in (0, 1), result.output

    def test_library(self, tmp_path: Path, line: str) -> None:
        """doctor_config returns a report for such a value."""
        config = tmp_path / "jupyterhub_config.py"
        config.write_text(f"c.JupyterHub.ssl_cert = 'hub.crt'\n{line}\n")
        (tmp_path / "hub.crt").write_bytes(corpus().files["chain.pem"])
        assert doctor_config(config, policy=policy()).sites[0].report is not None


def ran(text: str) -> dict[str, object]:
    """The c.JupyterHub traits *text* sets when run."""

    class Section(dict[str, object]):
        def __getattr__(self, name: str) -> object:
            return self.setdefault(name, Section())

        def __setattr__(self, name: str, value: object) -> None:
            self[name] = value

    c = Section()
    exec(compile(text, "<config>", "exec"), {"c": c, "x": False})
    hub = c.JupyterHub
    assert isinstance(hub, dict)
    return hub


@pytest.mark.parametrize("text", [
    "c.JupyterHub.ssl_cert = 'old.crt'\nc.JupyterHub.ssl_cert += '.bak'\n",
    "if x:\n    c.JupyterHub.ssl_cert = 'old.crt'\n",
    "c.JupyterHub.ssl_cert = 'old.crt'\nif x:\n    c.JupyterHub.ssl_cert = 'other.crt'\n",
    "c.JupyterHub.ssl_cert: str = 'old.crt'\n",
])
def test_set_ssl_result_sets_the_path(text: str) -> None:
    """The file config --write leaves sets ssl_cert to the new path when run, and again alike."""
    edited = set_ssl(text, Path("/srv/new.crt"), Path("/srv/new.key"))
    ast.parse(edited)
    assert ran(edited)["ssl_cert"] == "/srv/new.crt", edited
    assert set_ssl(edited, Path("/srv/new.crt"), Path("/srv/new.key")) == edited


def test_empty_password_is_a_wrong_password(tmp_path: Path) -> None:
    """An encrypted key opened with the empty password is a wrong password, not a corrupt key."""
    with pytest.raises(CertchainError, match="password"):
        load_bytes(corpus().files["leaf-enc.key"], password=b"")
    der = serialization.load_pem_private_key(
        corpus().files["leaf-enc.key"], PASSWORD
    ).private_bytes(Encoding.DER, serialization.PrivateFormat.PKCS8,
                    serialization.BestAvailableEncryption(PASSWORD))
    with pytest.raises(CertchainError, match="password does not decrypt"):
        load_bytes(der, password=b"")  # DER: it was called "not a key"
    key = tmp_path / "hub.key"
    key.write_bytes(corpus().files["leaf-enc.key"])
    password = tmp_path / "pw.txt"
    password.write_bytes(b"")
    result = run("inspect", key, "--password-file", password)
    assert result.exit_code == 2 and "password" in result.stderr, result.stderr


class TestFixedOnThisBranch:
    """Crashes the fuzz suite found in modules no other branch of issue 9 touches, fixed here."""

    def nul_common_name(self) -> bytes:
        return leaf_pem(leaf_with_subject(_der(0x0C, b"hub\x00"))) + corpus().inter.pem

    def test_nul_in_common_name_library(self) -> None:
        """A common name holding NUL is judged (strict.py's host test raised ValueError)."""
        report = verify_chain(load_bytes(self.nul_common_name()), policy=policy())
        assert len(report.chain) == 2

    def test_nul_in_common_name_cli(self, tmp_path: Path) -> None:
        """verify of a leaf whose common name holds NUL reports, exit 0 or 1."""
        chain = tmp_path / "chain.pem"
        chain.write_bytes(self.nul_common_name())
        root = tmp_path / "root.pem"
        root.write_bytes(corpus().root.pem)
        result = run("verify", chain, "--trust", root, "--json")
        assert_judged(result)
        assert result.exit_code in (0, 1), result.output

    def aki_serial_zero(self) -> bytes:
        """The leaf with an authorityKeyIdentifier naming serial number 0, re-signed."""
        leaf = corpus().leaf.cert
        issuer = _der(0xA1, _der(0xA4, corpus().root.cert.subject.public_bytes()))
        aki = _der(0x30, _der(0x80, b"\x01" * 20) + issuer + _der(0x82, b"\x00"))
        tbs = leaf.tbs_certificate_bytes
        found = children(children(children(tbs)[EXTENSIONS])[0])
        index = next(i for i, ext in enumerate(found) if children(ext)[0] == AKI_OID)
        tbs = edit(tbs, [EXTENSIONS, 0, index, 1], lambda _: _der(0x04, aki))
        return leaf_pem(signed(tbs, corpus().inter.key)) + corpus().inter.pem

    def test_aki_serial_zero_library(self) -> None:
        """An AKI whose serial number is 0 is read with no warning (cryptography deprecates it)."""
        material = load_bytes(self.aki_serial_zero())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            aki = extensions.get(material.certs[0].cert, x509.AuthorityKeyIdentifier)
            verify_chain(material, policy=policy())
        assert aki is not None and aki.authority_cert_serial_number == 0

    def test_aki_serial_zero_cli(self, tmp_path: Path) -> None:
        """inspect of such a leaf in a real process prints no Python warning."""
        path = tmp_path / "chain.pem"
        path.write_bytes(self.aki_serial_zero())
        done = subprocess.run(
            [sys.executable, "-m", "certchain", "inspect", str(path), "--at", T0_ISO],
            capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 0 and "Warning" not in done.stderr, done.stderr
