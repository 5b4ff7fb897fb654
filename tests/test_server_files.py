"""
Files a server cannot load as they are: ``config`` and ``doctor`` refuse them.

A chain in PKCS#7, PKCS#12 or DER, a key kept in PKCS#12, DER or encrypted,
and certificates with the key in one file where the server takes two, are
each an error that gives the command converting the file.  Every such
command is run here, for real (``certchain build`` through click's runner,
``openssl`` as a subprocess), and its output is loaded the way a server
loads it: ``ssl.SSLContext.load_cert_chain``.  Files are made with the
``openssl`` command and with ``tests/pki.py``.
"""

from __future__ import annotations

import json
import re
import shlex
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7, pkcs12
from pki import PKI, T0, T0_ISO, Hierarchy, Issued, key_pem
from serverkit import require_binary

from certchain import Policy, load_file, store_from_paths
from certchain.cli import PASSWORD_ENV, ExitCode, main
from certchain.deploy import (
    chain_file_problem,
    encrypted_key,
    key_command,
    key_file_problem,
    served_files,
    unreadable_files,
)
from certchain.doctor import doctor_config
from certchain.findings import Code, Severity
from certchain.model import Format, LockedKey, Source
from certchain.pfx import LEGACY_ALGORITHMS, encryption_algorithms, needs_legacy

PASSWORD = "correct-horse-7731"
UNREADABLE = "unreadable-by-server"


# ----------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Site:
    """A hierarchy as the PEM files a CA hands out, in one folder, plus a work folder."""

    folder: Path
    hier: Hierarchy
    leaf: Path
    inter: Path
    root: Path
    key: Path  # the leaf's unencrypted PKCS#8 PEM key
    chained: Path  # leaf + intermediate, PEM

    @property
    def work(self) -> Path:
        """Where the conversion commands run (their -out is relative)."""
        path = self.folder / "work"
        path.mkdir(exist_ok=True)
        return path


@pytest.fixture
def site(tmp_path: Path, chain3: Hierarchy) -> Site:
    """The shared hierarchy written to ``tmp_path/site``."""
    folder = tmp_path / "site"
    folder.mkdir()
    key = folder / "hub.key"
    key.write_bytes(chain3.leaf.key_pem)
    chained = folder / "hub-chained.pem"
    chained.write_bytes(chain3.leaf.pem + chain3.intermediate.pem)
    return Site(
        folder, chain3, chain3.leaf.write(folder / "hub.crt"),
        chain3.intermediate.write(folder / "inter.crt"), chain3.root.write(folder / "root.crt"),
        key, chained,
    )


@pytest.fixture(scope="module")
def two_level(pki: PKI) -> Hierarchy:
    """A leaf issued by the root itself: its DER file alone is a whole chain."""
    root = pki.root("Direct Root")
    return Hierarchy(root, root, pki.leaf(root, "hub.example.org"))


def openssl(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``openssl`` command; the caller checks the outcome."""
    return subprocess.run(
        [require_binary("openssl"), *(str(a) for a in args)],
        capture_output=True, text=True, timeout=60, check=False, cwd=cwd,
    )


def openssl_ok(*args: object, cwd: Path | None = None) -> None:
    """Run ``openssl ARGS`` and require success."""
    done = openssl(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr


def openssl_3() -> None:
    """Skip unless the openssl command is OpenSSL 3 (the one with -legacy)."""
    version = openssl("version").stdout
    if not version.startswith("OpenSSL 3"):
        pytest.skip(f"needs OpenSSL 3's command line, found {version.strip()!r}")


def command(text: str, program: str) -> list[str]:
    """Return the words of the ``PROGRAM ... -o/-out FILE`` command quoted in *text*."""
    word = r"""(?:'[^']*'|"[^"]*"|[^\s'"])+"""  # one shell word, as shlex.quote writes it
    match = re.search(rf"{program} .*? -(?:o|out) {word}", text)
    assert match is not None, text
    words = shlex.split(match[0])
    words[-1] = words[-1].rstrip(",.")
    return words


def run_build_hint(runner: CliRunner, text: str, **kwargs: Any) -> Path:
    """Run the ``certchain build`` command quoted in *text* (at T0) and return its output."""
    words = command(text, "certchain build")
    result = runner.invoke(main, [*words[1:], "--at", T0_ISO], **kwargs)
    assert result.exit_code == ExitCode.OK, result.output
    return Path(words[words.index("-o") + 1])


def run_openssl_hint(text: str, cwd: Path, passin: str | None = None) -> Path:
    """Run the ``openssl`` command quoted in *text* in *cwd*; return the file it wrote."""
    words = command(text, "openssl")
    extra = ["-passin", f"pass:{passin}"] if passin is not None else []
    openssl_ok(*words[1:], *extra, cwd=cwd)
    return cwd / words[-1]


def server_loads(chain: Path, key: Path) -> None:
    """Load *chain* and *key* as a TLS server does (Python's ssl, OpenSSL underneath)."""
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(chain, key)


def config(runner: CliRunner, site: Site, *args: object, **kwargs: Any) -> Result:
    """Run ``certchain config ARGS --trust ROOT --at T0``."""
    argv = ["config", *(str(a) for a in args), "--trust", str(site.root), "--at", T0_ISO]
    return runner.invoke(main, argv, **kwargs)


def refusal(result: Result, code: str = UNREADABLE) -> str:
    """Require a refused ``config`` (exit 1, nothing on stdout); return the *code* line."""
    assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
    assert "" == result.stdout
    lines = [ln for ln in result.stderr.splitlines() if f"error    {code}:" in ln]
    assert lines, result.stderr
    return "\n".join(lines)


def pfx_openssl(site: Site, path: Path, *options: str, password: str = PASSWORD) -> Path:
    """Write *site*'s leaf, key and intermediate as PKCS#12 with ``openssl pkcs12 -export``."""
    openssl_ok(
        "pkcs12", "-export", "-in", site.leaf, "-inkey", site.key, "-certfile", site.inter,
        "-passout", f"pass:{password}", "-out", path, *options,
    )
    return path


def pfx_pki(site: Site, path: Path, password: bytes | None = None) -> Path:
    """Write *site*'s leaf, key and intermediate as PKCS#12 with cryptography."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption()
    )
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"hub", site.hier.leaf.key, site.hier.leaf.cert, [site.hier.intermediate.cert],
        encryption,
    ))
    return path


def policy(root: Path) -> Policy:
    """The policy every library test judges with: *root* trusted, at T0."""
    return Policy(store=store_from_paths([root]), at=T0)


def write_der(issued: Issued, path: Path) -> Path:
    """Write *issued*'s certificate as DER."""
    path.write_bytes(issued.cert.public_bytes(Encoding.DER))
    return path


# --------------------------------------------- config: the certificate file


class TestConfigChainFile:
    @pytest.mark.parametrize("maker", ["openssl", "pki-pem", "pki-der"])
    def test_p7b_refused_and_converted(
        self, runner: CliRunner, site: Site, tmp_path: Path, maker: str
    ) -> None:
        """A PKCS#7 ssl_cert is refused with nothing written, and its build command fixes it."""
        p7b = site.folder / "bundle.p7b"
        if maker == "openssl":
            openssl_ok("crl2pkcs7", "-nocrl", "-certfile", site.leaf, "-certfile", site.inter,
                       "-out", p7b)
        else:
            encoding = Encoding.PEM if maker == "pki-pem" else Encoding.DER
            p7b.write_bytes(pkcs7.serialize_certificates(
                [site.hier.leaf.cert, site.hier.intermediate.cert], encoding
            ))
        jhc = tmp_path / "jupyterhub_config.py"

        result = config(runner, site, p7b, "--key", site.key, "--write", jhc)

        line = refusal(result)
        assert "is in PKCS#7" in line
        assert not jhc.exists()
        fixed = run_build_hint(runner, line)
        assert site.folder / "bundle-chained.crt" == fixed
        server_loads(fixed, site.key)
        assert ExitCode.OK == config(runner, site, fixed, "--key", site.key).exit_code

    @pytest.mark.parametrize("maker", ["openssl", "pki"])
    def test_der_refused_and_converted(
        self, runner: CliRunner, tmp_path: Path, two_level: Hierarchy, maker: str
    ) -> None:
        """A DER ssl_cert is refused, and its build command writes a PEM chain that loads."""
        site = Site(tmp_path, two_level, two_level.leaf.write(tmp_path / "hub.pem"),
                    tmp_path / "none", two_level.root.write(tmp_path / "root.crt"),
                    tmp_path / "hub.key", tmp_path / "none")
        site.key.write_bytes(two_level.leaf.key_pem)
        der = tmp_path / "hub.cer"
        if maker == "openssl":
            openssl_ok("x509", "-in", site.leaf, "-outform", "DER", "-out", der)
        else:
            write_der(two_level.leaf, der)

        line = refusal(config(runner, site, der, "--key", site.key))

        assert "is in DER" in line
        server_loads(run_build_hint(runner, line), site.key)

    @pytest.mark.parametrize("maker", ["openssl", "pki"])
    def test_pfx_refused_with_both_commands(
        self, runner: CliRunner, site: Site, maker: str
    ) -> None:
        """A PKCS#12 CHAIN gives two refusals whose commands write a chain and key that load."""
        pfx = site.folder / "hub.pfx"
        if maker == "openssl":
            pfx_openssl(site, pfx)
        else:
            pfx_pki(site, pfx, PASSWORD.encode())
        env = {PASSWORD_ENV: PASSWORD}

        result = config(runner, site, pfx, env=env)

        lines = refusal(result)
        assert "is in PKCS#12" in lines
        assert "holds the key in PKCS#12" in lines
        chain = run_build_hint(runner, lines, env=env)
        key = run_openssl_hint(lines, site.work, passin=PASSWORD)
        server_loads(chain, key)
        assert ExitCode.OK == config(runner, site, chain, "--key", key).exit_code

    def test_combined_file_refused_for_two_file_servers(
        self, runner: CliRunner, site: Site
    ) -> None:
        """Certificates with the key as ssl_cert are refused; both printed commands fix it."""
        both = site.folder / "both.pem"
        both.write_bytes(site.chained.read_bytes() + site.hier.leaf.key_pem)

        line = refusal(config(runner, site, both))

        assert "holds the private key with the certificates" in line
        chain = run_build_hint(runner, line)
        key = run_openssl_hint(line, site.work)
        assert b"PRIVATE KEY" not in chain.read_bytes()
        server_loads(chain, key)

    @pytest.mark.parametrize("fmt", ["nginx", "apache", "jupyterhub-cli"])
    def test_combined_file_refused_for_every_two_file_format(
        self, runner: CliRunner, site: Site, fmt: str
    ) -> None:
        """Every format that names a certificate file and a key file refuses a combined CHAIN."""
        both = site.folder / "both.pem"
        both.write_bytes(site.chained.read_bytes() + site.hier.leaf.key_pem)

        refusal(config(runner, site, both, "--format", fmt))

    def test_combined_file_fine_for_haproxy(
        self, runner: CliRunner, site: Site, tmp_path: Path
    ) -> None:
        """HAProxy's one file is written by certchain: a combined CHAIN is not refused."""
        both = site.folder / "both.pem"
        both.write_bytes(site.chained.read_bytes() + site.hier.leaf.key_pem)
        out = tmp_path / "hap.pem"

        result = config(runner, site, both, "--format", "haproxy", "--combined", out)

        assert result.exit_code == ExitCode.OK, result.output
        server_loads(out, out)

    def test_force_prints_but_writes_nothing(
        self, runner: CliRunner, site: Site, tmp_path: Path
    ) -> None:
        """--force prints the lines for an unreadable file but writes no file, exit 1."""
        p7b = site.folder / "bundle.p7b"
        p7b.write_bytes(pkcs7.serialize_certificates([site.hier.leaf.cert], Encoding.PEM))
        jhc = tmp_path / "jupyterhub_config.py"
        combined = tmp_path / "combined.pem"

        result = config(runner, site, p7b, "--key", site.key, "--force", "--write", jhc,
                        "--combined", combined)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert f"c.JupyterHub.ssl_cert = {str(p7b)!r}" in result.stdout
        assert "Nothing was written" in result.stderr
        assert not jhc.exists()
        assert not combined.exists()

    def test_pem_chain_not_refused(self, runner: CliRunner, site: Site) -> None:
        """A PEM chained file and a PEM key pass, as before."""
        result = config(runner, site, site.chained, "--key", site.key)

        assert result.exit_code == ExitCode.OK, result.output
        assert UNREADABLE not in result.stderr


# ------------------------------------------------------ config: the key file


class TestConfigKeyFile:
    @pytest.mark.parametrize("maker", ["openssl", "pki"])
    def test_der_key(self, runner: CliRunner, site: Site, maker: str) -> None:
        """A DER key is refused; the openssl pkey -inform DER command writes one that loads."""
        der = site.folder / "hub.der"
        if maker == "openssl":
            openssl_ok("pkey", "-in", site.key, "-outform", "DER", "-out", der)
        else:
            der.write_bytes(site.hier.leaf.key.private_bytes(
                Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ))

        line = refusal(config(runner, site, site.chained, "--key", der))

        assert "holds the key in DER" in line
        server_loads(site.chained, run_openssl_hint(line, site.work))

    @pytest.mark.parametrize("maker", ["openssl", "pki"])
    def test_encrypted_key(self, runner: CliRunner, site: Site, maker: str) -> None:
        """An encrypted key (password given) is key-encrypted; the openssl pkey command fixes it."""
        enc = site.folder / "enc.key"
        if maker == "openssl":
            openssl_ok("pkey", "-in", site.key, "-aes256", "-passout", f"pass:{PASSWORD}",
                       "-out", enc)
        else:
            enc.write_bytes(key_pem(site.hier.leaf.key, PASSWORD.encode()))

        result = config(runner, site, site.chained, "--key", enc, env={PASSWORD_ENV: PASSWORD})

        line = refusal(result, "key-encrypted")
        assert "key-mismatch" not in result.stderr
        server_loads(site.chained, run_openssl_hint(line, site.work, passin=PASSWORD))

    def test_pkcs12_key_from_openssl(self, runner: CliRunner, site: Site) -> None:
        """A PKCS#12 --key (openssl, AES) gets the openssl pkcs12 command, without -legacy."""
        pfx = pfx_openssl(site, site.folder / "hub.pfx")

        line = refusal(config(runner, site, site.chained, "--key", pfx,
                              env={PASSWORD_ENV: PASSWORD}))

        assert "-legacy" not in line
        server_loads(site.chained, run_openssl_hint(line, site.work, passin=PASSWORD))


class TestLegacyPkcs12:
    @pytest.fixture
    def legacy(self, site: Site) -> Path:
        """A PKCS#12 file from ``openssl pkcs12 -export -legacy`` (RC2-40 certificates)."""
        openssl_3()
        return pfx_openssl(site, site.folder / "legacy.pfx", "-legacy")

    def test_openssl_needs_legacy(self, site: Site, legacy: Path) -> None:
        """OpenSSL 3 cannot export the key without -legacy: the premise of the hint."""
        done = openssl("pkcs12", "-in", legacy, "-nocerts", "-noenc", "-passin",
                       f"pass:{PASSWORD}", "-out", "host.key", cwd=site.work)

        assert done.returncode != 0
        assert "unsupported" in done.stderr

    def test_config_hint_has_legacy(self, runner: CliRunner, site: Site, legacy: Path) -> None:
        """config's refusal of a legacy PKCS#12 key says -legacy, and the command works."""
        line = refusal(config(runner, site, site.chained, "--key", legacy,
                              env={PASSWORD_ENV: PASSWORD}))

        assert "openssl pkcs12 -legacy -in" in line
        server_loads(site.chained, run_openssl_hint(line, site.work, passin=PASSWORD))

    def test_build_note_has_legacy(self, runner: CliRunner, site: Site, legacy: Path) -> None:
        """build's snippet note for a legacy PKCS#12 host file says -legacy, and it works."""
        result = runner.invoke(main, [
            "build", str(legacy), str(site.root), "--trust", str(site.root), "--at", T0_ISO,
            "--no-root",
        ], env={PASSWORD_ENV: PASSWORD})

        assert result.exit_code == ExitCode.OK, result.output
        note = result.stdout.splitlines()[-1]
        assert "openssl pkcs12 -legacy -in" in note
        key = run_openssl_hint(note, site.work, passin=PASSWORD)
        server_loads(site.folder / "legacy-chained.crt", key)

    def test_library_served_files(self, site: Site, legacy: Path) -> None:
        """deploy.served_files' note for a key in legacy PKCS#12 runs, without leftovers."""
        (key,) = load_file(legacy, password=PASSWORD.encode()).keys

        note = served_files(site.chained, key).key_note

        assert ["openssl", "pkcs12", "-legacy"] == command(note, "openssl")[:3]
        server_loads(site.chained, run_openssl_hint(note, site.work, passin=PASSWORD))

    def test_triple_des_needs_no_legacy(self, runner: CliRunner, site: Site) -> None:
        """A 3DES PKCS#12 file (OpenSSL 3's default provider reads it) gets no -legacy."""
        pfx = pfx_openssl(site, site.folder / "des3.pfx", "-certpbe", "PBE-SHA1-3DES",
                          "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1")

        line = refusal(config(runner, site, site.chained, "--key", pfx,
                              env={PASSWORD_ENV: PASSWORD}))

        assert "-legacy" not in line
        server_loads(site.chained, run_openssl_hint(line, site.work, passin=PASSWORD))


class TestPfxAlgorithms:
    @pytest.mark.parametrize(("options", "legacy"), [
        ((), True),
        (("-certpbe", "PBE-SHA1-RC2-128", "-keypbe", "PBE-SHA1-3DES"), True),
        (("-certpbe", "DES-CBC", "-keypbe", "DES-CBC"), True),
        (("-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES"), False),
        (("-certpbe", "AES-256-CBC", "-keypbe", "AES-256-CBC"), False),
        (("-certpbe", "NONE", "-keypbe", "AES-128-CBC"), False),
    ], ids=["legacy", "rc2-128", "des", "3des", "aes", "plain-certs"])
    def test_openssl_made(
        self, site: Site, options: tuple[str, ...], legacy: bool
    ) -> None:
        """needs_legacy agrees with OpenSSL 3 itself on files openssl made."""
        openssl_3()
        # -legacy lets openssl export with RC2 and DES; -certpbe/-keypbe choose.
        pfx = pfx_openssl(site, site.folder / "t.pfx", "-legacy", *options)
        exported = openssl("pkcs12", "-in", pfx, "-nocerts", "-noenc",
                           "-passin", f"pass:{PASSWORD}", "-out", "t.key", cwd=site.work)

        assert legacy == needs_legacy(pfx.read_bytes())
        assert legacy == (exported.returncode != 0)

    def test_cryptography_made(self, site: Site) -> None:
        """cryptography's PKCS#12 (AES, PBES2) needs no -legacy; no encryption reads as none."""
        enc = pfx_pki(site, site.folder / "a.pfx", b"pw")
        plain = pfx_pki(site, site.folder / "b.pfx")

        assert not encryption_algorithms(enc.read_bytes()) & LEGACY_ALGORITHMS
        assert frozenset() == encryption_algorithms(plain.read_bytes())
        assert not needs_legacy(enc.read_bytes())

    @pytest.mark.parametrize("data", [b"", b"\x30\x03\x02\x01\x03", b"not der", b"\x30\x80"])
    def test_garbage(self, data: bytes) -> None:
        """Data that is not DER PKCS#12 raises ValueError, and needs_legacy says False."""
        with pytest.raises(ValueError):
            encryption_algorithms(data)
        assert not needs_legacy(data)


# ------------------------------------------------------------------ doctor


def write_config(folder: Path, cert: Path, key: Path) -> Path:
    """Write a jupyterhub_config.py naming *cert* and *key*."""
    path = folder / "jupyterhub_config.py"
    path.write_text(f"c.JupyterHub.ssl_cert = {str(cert)!r}\nc.JupyterHub.ssl_key = {str(key)!r}\n")
    return path


def doctor_json(runner: CliRunner, site: Site, jhc: Path, **kwargs: Any) -> dict[str, str]:
    """Run ``certchain doctor --json`` (exit 1 required) and return {code: messages}."""
    result = runner.invoke(main, ["doctor", str(jhc), "--trust", str(site.root), "--at", T0_ISO,
                                  "--json"], **kwargs)
    assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
    found: dict[str, str] = {}
    for finding in json.loads(result.stdout)["findings"]:
        found[finding["code"]] = found.get(finding["code"], "") + finding["message"] + "\n"
    return found


class TestDoctor:
    def test_p7b_cert_and_der_key(self, runner: CliRunner, site: Site) -> None:
        """doctor refuses a .p7b ssl_cert and a DER ssl_key; both commands fix them."""
        p7b = site.folder / "bundle.p7b"
        openssl_ok("crl2pkcs7", "-nocrl", "-certfile", site.leaf, "-certfile", site.inter,
                   "-out", p7b)
        der = site.folder / "hub.der"
        openssl_ok("pkey", "-in", site.key, "-outform", "DER", "-out", der)

        found = doctor_json(runner, site, write_config(site.folder, p7b, der))

        text = found[UNREADABLE]
        assert "c.JupyterHub.ssl_cert names" in text
        assert "c.JupyterHub.ssl_key names" in text
        chain = run_build_hint(runner, text)
        key = run_openssl_hint(text, site.work)
        server_loads(chain, key)

    def test_pfx_without_password(self, runner: CliRunner, site: Site) -> None:
        """A password-protected PKCS#12 as both files is refused without its password."""
        pfx = pfx_openssl(site, site.folder / "hub.pfx")

        found = doctor_json(runner, site, write_config(site.folder, pfx, pfx))

        assert 2 == found[UNREADABLE].count("PKCS#12")
        assert "file-unreadable" not in found
        key = run_openssl_hint(found[UNREADABLE], site.work, passin=PASSWORD)
        chain = run_build_hint(runner, found[UNREADABLE], env={PASSWORD_ENV: PASSWORD})
        server_loads(chain, key)

    def test_combined_ssl_cert(self, runner: CliRunner, site: Site) -> None:
        """doctor refuses certificates with the key as ssl_cert, even with ssl_key the same file."""
        both = site.folder / "both.pem"
        both.write_bytes(site.chained.read_bytes() + site.hier.leaf.key_pem)
        both.chmod(0o600)

        found = doctor_json(runner, site, write_config(site.folder, both, both))

        assert "holds the private key with the certificates" in found[UNREADABLE]


class TestDoctorLibrary:
    def test_der_cert(self, site: Site, two_level: Hierarchy) -> None:
        """doctor_config names a DER ssl_cert with the build command, with the trust given."""
        der = write_der(two_level.leaf, site.folder / "hub.der")
        root = two_level.root.write(site.folder / "direct-root.crt")
        key = site.folder / "direct.key"
        key.write_bytes(two_level.leaf.key_pem)
        key.chmod(0o600)

        report = doctor_config(write_config(site.folder, der, key), policy=policy(root)).sites[0].report

        (found,) = [f for f in report.findings if f.code is Code.UNREADABLE_BY_SERVER]
        assert Severity.ERROR is found.severity
        assert f"--trust {root}" in found.message
        assert not report.ok

    def test_encrypted_key_names_jupyterhub(self, site: Site) -> None:
        """An encrypted ssl_key stays key-encrypted, saying what it does to JupyterHub."""
        enc = site.folder / "enc.key"
        enc.write_bytes(key_pem(site.hier.leaf.key, PASSWORD.encode()))
        enc.chmod(0o600)

        report = doctor_config(write_config(site.folder, site.chained, enc),
                               policy=policy(site.root)).sites[0].report

        (found,) = [f for f in report.findings if f.code is Code.KEY_ENCRYPTED]
        assert "JupyterHub cannot ask for its password" in found.message
        assert f"openssl pkey -in {enc} -out host.key" in found.message


# ------------------------------------------------------------ library: deploy


class TestDeployLibrary:
    def test_chain_file_problem_formats(self, site: Site) -> None:
        """chain_file_problem refuses PKCS#7, PKCS#12 and DER, and passes PEM."""
        p7b = site.folder / "a.p7b"
        p7b.write_bytes(pkcs7.serialize_certificates([site.hier.leaf.cert], Encoding.DER))
        der = write_der(site.hier.leaf, site.folder / "a.der")
        pfx = pfx_pki(site, site.folder / "a.pfx")

        for path, kind in ((p7b, "PKCS#7"), (der, "DER"), (pfx, "PKCS#12")):
            found = chain_file_problem(path, load_file(path))
            assert found is not None
            assert (Code.UNREADABLE_BY_SERVER, Severity.ERROR) == (found.code, found.severity)
            assert f"is in {kind}" in found.message
            assert f"-o {site.folder}/a-chained.crt" in found.message
        assert chain_file_problem(site.chained, load_file(site.chained)) is None

    def test_chain_file_problem_locked_pkcs12(self, site: Site) -> None:
        """Without its material (a password was needed), a file is judged as PKCS#12."""
        found = chain_file_problem(site.folder / "x.pfx", None, setting="ssl_certificate")

        assert found is not None
        assert found.message.startswith(f"ssl_certificate names {site.folder}/x.pfx, which is")

    def test_chain_command_quotes_and_trusts(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """The build command quotes odd paths, names each trust anchor, keeps --allow-weak."""
        odd = tmp_path / "my certs" / "it's.p7b"
        anchors = [chain3.root.write(tmp_path / "r1.pem"), chain3.root.write(tmp_path / "r 2.pem")]
        judged = Policy(store=store_from_paths(anchors), at=T0, allow_weak=True)
        problem = chain_file_problem(odd, None, policy=judged)

        assert problem is not None
        words = command(problem.message, "certchain build")
        assert ["certchain", "build", str(odd), "--trust", str(tmp_path / "r1.pem"),
                "--trust", str(tmp_path / "r 2.pem"), "--allow-weak", "-o",
                str(tmp_path / "my certs" / "it's-chained.crt")] == words

    def test_key_file_problem(self, site: Site) -> None:
        """key_file_problem: PKCS#12 and DER unreadable, encrypted key-encrypted, PEM fine."""
        path = site.key
        pkcs = key_file_problem(path, Format.PKCS12)
        der = key_file_problem(path, Format.DER)
        enc = key_file_problem(path, Format.PEM, encrypted=True)

        assert pkcs is not None and der is not None and enc is not None
        assert Code.UNREADABLE_BY_SERVER is pkcs.code is der.code
        assert Code.KEY_ENCRYPTED is enc.code
        assert key_file_problem(path, Format.PEM) is None

    def test_key_command_forms(self, tmp_path: Path) -> None:
        """key_command: pkcs12 -nocerts -noenc, pkey -inform DER, pkey; paths quoted."""
        path = tmp_path / "a b.key"

        assert ["openssl", "pkcs12", "-in", str(path), "-nocerts", "-noenc", "-out",
                "host.key"] == shlex.split(key_command(path, Format.PKCS12))
        assert ["openssl", "pkey", "-inform", "DER", "-in", str(path), "-out",
                "host.key"] == shlex.split(key_command(path, Format.DER))
        assert ["openssl", "pkey", "-in", str(path), "-out", "host.key"] == shlex.split(
            key_command(path, Format.PEM)
        )

    def test_unreadable_files(self, site: Site) -> None:
        """unreadable_files checks chain and key, names an unread key, and skips haproxy."""
        both = site.folder / "both.pem"
        both.write_bytes(site.chained.read_bytes() + site.hier.leaf.key_pem)
        material = load_file(both)
        closed = LockedKey(Source(site.folder / "enc.key", 0, Format.PEM), wrong_password=True)

        found = unreadable_files(both, material, None, locked=closed)
        assert [Code.UNREADABLE_BY_SERVER, Code.KEY_ENCRYPTED] == [f.code for f in found]
        assert "the password given does not open it" in found[1].message
        assert () == unreadable_files(both, material, material.keys[0], format_name="haproxy")

    def test_encrypted_key_message(self, tmp_path: Path) -> None:
        """encrypted_key names the key, why it is unread, and the openssl command."""
        found = encrypted_key(tmp_path / "k.key", LockedKey(Source(tmp_path / "k.key", 0, Format.PEM)))

        assert "no password was given" in found.message
        assert f"openssl pkey -in {tmp_path}/k.key -out host.key" in found.message

