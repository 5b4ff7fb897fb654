"""
Legacy algorithms are errors by default; ``--allow-weak`` makes them warnings again.

Each case (a SHA-1 signed leaf, an MD5 signed leaf, an RSA 1024 leaf) is made
twice: with the ``openssl`` command, as an old private CA was run (``openssl
req`` for the keys and requests, ``openssl ca -md sha1|md5|sha256`` to sign,
OpenSSL 3 still signs with both), and with the test PKI factory
(``sha1_signed``, ``legacy_signed``, ``new_key("rsa1024")``).  Every command
that judges (``build``, ``verify``, ``config``, ``doctor``) exits 1 on them by
default and 0 with ``--allow-weak``; OpenSSL's own server agrees.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pki import PKI, T0, T0_ISO, Issued, legacy_signed, new_key, sha1_signed
from serverkit import require_binary

from certchain.cli import ExitCode, main
from certchain.cli.common import Judging
from certchain.model import TrustStore
from certchain.policy import Policy

HOST = "hub.example.org"
# case -> (certchain's code, OpenSSL's reason when a server loads the chain)
CASES = {
    "sha1": ("weak-signature", "CA_MD_TOO_WEAK"),
    "md5": ("weak-signature", "CA_MD_TOO_WEAK"),
    "rsa1024": ("weak-key", "EE_KEY_TOO_SMALL"),
}
# What `openssl s_server` prints when it refuses the certificate.
S_SERVER_REASON = {"sha1": "ca md too weak", "md5": "ca md too weak", "rsa1024": "ee key too small"}

_OPENSSL_CA = """\
[ ca ]
default_ca = old_ca
[ old_ca ]
dir = {folder}
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ server ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:{host}
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(
        [require_binary("openssl"), *args], cwd=cwd, check=True, capture_output=True, timeout=60
    )


def _openssl_sign(ca: Path, csr: str, out: Path, md: str, extensions: str, *extra: str) -> None:
    """Sign *csr* with the CA in *ca* using ``openssl ca``, valid 2020 to 2060 (T0 inside)."""
    _openssl(
        "ca", "-batch", "-config", "ca.cnf", "-notext", "-md", md, "-extensions", extensions,
        "-startdate", "20200101000000Z", "-enddate", "20600101000000Z",
        "-in", csr, "-out", str(out), *extra, cwd=ca,
    )


@pytest.fixture(scope="module")
def openssl_made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder per case (hub.crt, hub.key, root.crt), made with the openssl command."""
    ca = tmp_path_factory.mktemp("openssl-ca")
    (ca / "index.txt").write_text("")
    (ca / "serial").write_text("1000\n")
    (ca / "ca.cnf").write_text(_OPENSSL_CA.format(folder=ca, host=HOST))
    _openssl("req", "-new", "-newkey", "rsa:2048", "-noenc", "-keyout", "root.key",
             "-subj", "/CN=Old Private CA", "-out", "root.csr", cwd=ca)
    _openssl_sign(ca, "root.csr", ca / "root.crt", "sha256", "root",
                  "-selfsign", "-keyfile", "root.key")
    folders = {}
    for case in CASES:
        folder = tmp_path_factory.mktemp(f"openssl-{case}")
        key_spec = ["-newkey", "rsa:1024"] if case == "rsa1024" else [
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"
        ]
        _openssl("req", "-new", *key_spec, "-noenc", "-keyout", str(folder / "hub.key"),
                 "-subj", f"/CN={HOST}", "-out", f"{case}.csr", cwd=ca)
        md = "sha256" if case == "rsa1024" else case
        _openssl_sign(ca, f"{case}.csr", folder / "hub.crt", md, "server",
                      "-cert", "root.crt", "-keyfile", "root.key")
        shutil.copy(ca / "root.crt", folder / "root.crt")
        folders[case] = folder
    return folders


@pytest.fixture(scope="module")
def factory_made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder per case, made with tests/pki.py."""
    pki = PKI()
    root = pki.root("Old Factory CA", key=new_key("rsa"))
    plain = pki.leaf(root, HOST)
    leaves = {
        "sha1": Issued(sha1_signed(plain.cert, root.key), plain.key),
        "md5": Issued(legacy_signed(plain.cert, root.key, hashes.MD5()), plain.key),
        "rsa1024": pki.leaf(root, HOST, key=new_key("rsa1024")),
    }
    folders = {}
    for case, leaf in leaves.items():
        folder = tmp_path_factory.mktemp(f"factory-{case}")
        leaf.write(folder / "hub.crt")
        (folder / "hub.key").write_bytes(leaf.key_pem)
        root.write(folder / "root.crt")
        folders[case] = folder
    return folders


@dataclass(frozen=True)
class Legacy:
    """One case's files, copied to a fresh folder: hub.crt, hub.key (0600), root.crt."""

    folder: Path
    case: str

    @property
    def code(self) -> str:
        return CASES[self.case][0]

    @property
    def reason(self) -> str:
        return CASES[self.case][1]

    def path(self, name: str) -> Path:
        return self.folder / name

    def run(self, runner: CliRunner, command: str, *args: str) -> Result:
        """Run *command* with the root as the only trust anchor, at T0."""
        return runner.invoke(main, [
            command, *args, "--trust", str(self.path("root.crt")), "--at", T0_ISO,
        ])

    def build(self, runner: CliRunner, *extra: str) -> Result:
        return self.run(runner, "build", str(self.path("hub.crt")), str(self.path("root.crt")),
                        "--json", *extra)

    def doctor(self, runner: CliRunner, *extra: str) -> Result:
        config = self.path("jupyterhub_config.py")
        config.write_text(
            f"c.JupyterHub.ssl_cert = {str(self.path('hub.crt'))!r}\n"
            f"c.JupyterHub.ssl_key = {str(self.path('hub.key'))!r}\n"
        )
        return self.run(runner, "doctor", str(config), "--json", *extra)


@pytest.fixture(
    params=[(source, case) for source in ("openssl", "factory") for case in CASES],
    ids=lambda param: "-".join(param),
)
def legacy(
    request: pytest.FixtureRequest, tmp_path: Path,
    openssl_made: dict[str, Path], factory_made: dict[str, Path],
) -> Legacy:
    """A legacy case made by openssl or by the factory, in a folder of its own."""
    source, case = request.param
    made = openssl_made if source == "openssl" else factory_made
    folder = tmp_path / f"{source}-{case}"
    shutil.copytree(made[case], folder)
    (folder / "hub.key").chmod(0o600)
    return Legacy(folder, case)


def findings(result: Result) -> list[dict[str, object]]:
    """The findings of a --json run."""
    return list(json.loads(result.stdout)["findings"])


def severities(result: Result, code: str) -> list[object]:
    """The severity of each finding *code* in a --json run."""
    return [f["severity"] for f in findings(result) if f["code"] == code]


def errors(result: Result) -> set[object]:
    """The codes of the errors in a --json run."""
    return {f["code"] for f in findings(result) if f["severity"] == "error"}


class TestBuild:
    def test_refused_by_default_and_nothing_written(
        self, runner: CliRunner, legacy: Legacy
    ) -> None:
        """build exits 1: the weak finding and the stack's refusal are errors; no file is left."""
        result = legacy.build(runner)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert errors(result) == {legacy.code, "server-refuses"}
        (refused,) = [f for f in findings(result) if f["code"] == "server-refuses"]
        assert legacy.reason in str(refused["message"])
        assert f"own rules say why ({legacy.code})" in str(refused["message"])
        assert "(--allow-weak)" in str(refused["message"])
        assert json.loads(result.stdout)["output"] is None
        assert not legacy.path("hub-chained.crt").exists()

    def test_allow_weak_builds_with_warnings(self, runner: CliRunner, legacy: Legacy) -> None:
        """build --allow-weak exits 0, writes leaf and root, and warns (proven at level 0)."""
        result = legacy.build(runner, "--allow-weak")

        assert result.exit_code == ExitCode.OK, result.output
        assert errors(result) == set()
        assert severities(result, legacy.code) == ["warning"]
        assert severities(result, "server-refuses") == ["warning"]
        (proven,) = [f for f in findings(result) if f["code"] == "server-refuses"]
        assert "security level 0" in str(proven["message"])
        written = legacy.path("hub-chained.crt")
        leaf = x509.load_pem_x509_certificate(legacy.path("hub.crt").read_bytes())
        root = x509.load_pem_x509_certificate(legacy.path("root.crt").read_bytes())
        assert x509.load_pem_x509_certificates(written.read_bytes()) == [leaf, root]

    def test_openssl_server_agrees(self, runner: CliRunner, legacy: Legacy) -> None:
        """openssl s_server refuses the file built with --allow-weak, as the warning says."""
        assert legacy.build(runner, "--allow-weak").exit_code == ExitCode.OK
        served = subprocess.run(
            [require_binary("openssl"), "s_server", "-accept", "0", "-naccept", "1",
             "-cert", str(legacy.path("hub-chained.crt")), "-key", str(legacy.path("hub.key"))],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, check=False,
        )

        assert served.returncode != 0
        assert S_SERVER_REASON[legacy.case] in served.stderr


class TestVerify:
    def test_error_by_default_warning_when_allowed(
        self, runner: CliRunner, legacy: Legacy
    ) -> None:
        """verify exits 1 with the weak finding as an error, 0 with --allow-weak (a warning)."""
        refused = legacy.run(runner, "verify", str(legacy.path("hub.crt")), "--json")
        allowed = legacy.run(runner, "verify", str(legacy.path("hub.crt")), "--json",
                             "--allow-weak")

        assert refused.exit_code == ExitCode.CHAIN_PROBLEM, refused.output
        assert severities(refused, legacy.code) == ["error"]
        assert allowed.exit_code == ExitCode.OK, allowed.output
        assert severities(allowed, legacy.code) == ["warning"]


class TestConfig:
    def test_no_lines_by_default_lines_when_allowed(
        self, runner: CliRunner, legacy: Legacy
    ) -> None:
        """config prints nothing and exits 1 by default; with --allow-weak it prints the lines."""
        args = (str(legacy.path("hub.crt")), "--key", str(legacy.path("hub.key")))
        refused = legacy.run(runner, "config", *args)
        allowed = legacy.run(runner, "config", *args, "--allow-weak")

        assert refused.exit_code == ExitCode.CHAIN_PROBLEM, refused.output
        assert refused.stdout == ""
        assert f"error    {legacy.code}" in refused.stderr
        assert "server-refuses" in refused.stderr
        assert allowed.exit_code == ExitCode.OK, allowed.output
        assert "c.JupyterHub.ssl_cert" in allowed.stdout
        assert f"warning  {legacy.code}" in allowed.stderr


class TestDoctor:
    def test_exit_1_by_default_0_when_allowed(self, runner: CliRunner, legacy: Legacy) -> None:
        """doctor exits 1 by default (weak and refused), 0 with --allow-weak."""
        refused = legacy.doctor(runner)
        allowed = legacy.doctor(runner, "--allow-weak")

        assert refused.exit_code == ExitCode.CHAIN_PROBLEM, refused.output
        assert errors(refused) == {legacy.code, "server-refuses"}
        assert allowed.exit_code == ExitCode.OK, allowed.output
        assert severities(allowed, legacy.code) == ["warning"]
        assert severities(allowed, "server-refuses") == ["warning"]


class TestDefaults:
    def test_policy_refuses_legacy_algorithms_by_default(self) -> None:
        """Policy.allow_weak is False unless asked for, in the library and the CLI alike."""
        policy = Policy(store=TrustStore((), "none"), at=T0)

        assert policy.allow_weak is False
        judging = Judging(trust=(), at=T0, at_given=True, hostname=None, strict=False,
                          warn_days=30, max_depth=None)
        assert judging.allow_weak is False

    @pytest.mark.parametrize("command", ["build", "verify", "config", "doctor"])
    def test_every_judging_command_takes_allow_weak(
        self, runner: CliRunner, command: str
    ) -> None:
        """--allow-weak is one of the judging options every judging command shares."""
        result = runner.invoke(main, [command, "--help"])

        assert result.exit_code == 0
        assert "--allow-weak" in result.stdout

    def test_repair_command_repeats_allow_weak(self, runner: CliRunner, tmp_path: Path) -> None:
        """verify's repair command for an allowed weak file keeps --allow-weak, or it would fail."""
        pki = PKI()
        root = pki.root("Repair Root")
        inter = pki.intermediate(root, "Repair CA")
        leaf = sha1_signed(pki.leaf(inter, HOST).cert, inter.key)  # ecdsa-with-SHA1
        deployed = tmp_path / "hub.crt"
        deployed.write_bytes(inter.pem + Issued(leaf, None).pem)  # wrong order: repairable
        root_file = root.write(tmp_path / "root.crt")

        result = runner.invoke(main, [
            "verify", str(deployed), "--trust", str(root_file), "--at", T0_ISO, "--allow-weak",
        ])

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert "certchain build can repair this file" in result.stdout
        assert "--allow-weak" in result.stdout.split("repair this file:")[1]


class TestWhichSignaturesCount:
    def _build(self, runner: CliRunner, folder: Path, leaf: Issued, anchor: Issued,
               *extra: str) -> Result:
        folder.mkdir()
        host = leaf.write(folder / "hub.crt")
        (folder / "hub.key").write_bytes(leaf.key_pem)
        trusted = anchor.write(folder / "anchor.crt")
        return runner.invoke(main, [
            "build", str(host), str(trusted), "--trust", str(trusted), "--at", T0_ISO,
            "--json", *extra,
        ])

    def test_self_signed_leaf_signature_does_not_count(
        self, runner: CliRunner, tmp_path: Path
    ) -> None:
        """A lone self-signed SHA-1 leaf: no one checks its own signature, and the stack agrees."""
        pki = PKI()
        key = new_key()
        leaf = pki.issue(
            x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, HOST)]), key, None,
            ca=False, san=[x509.DNSName(HOST)], hash_alg=hashes.SHA1(),
        )

        result = self._build(runner, tmp_path / "self", leaf, leaf)

        assert result.exit_code == ExitCode.OK, result.output
        assert "weak-signature" not in {f["code"] for f in findings(result)}
        assert "server-refuses" not in {f["code"] for f in findings(result)}

    def test_sha1_intermediate_given_as_anchor_counts(
        self, runner: CliRunner, tmp_path: Path
    ) -> None:
        """A SHA-1 signed intermediate trusted with --trust is still weak: the server loads it."""
        pki = PKI()
        root = pki.root("Unseen Root")
        inter = pki.intermediate(root, "SHA1 Anchor CA", hash_alg=hashes.SHA1())
        leaf = pki.leaf(inter, HOST)

        refused = self._build(runner, tmp_path / "default", leaf, inter)
        allowed = self._build(runner, tmp_path / "allowed", leaf, inter, "--allow-weak")

        assert refused.exit_code == ExitCode.CHAIN_PROBLEM, refused.output
        assert [(f["code"], f["cert"]) for f in findings(refused) if f["severity"] == "error"] == [
            ("weak-signature", 1), ("server-refuses", None)
        ]
        assert "CA_MD_TOO_WEAK" in str(findings(refused)[1]["message"])
        assert allowed.exit_code == ExitCode.OK, allowed.output
        assert severities(allowed, "server-refuses") == ["warning"]
