"""
Files that cannot be lost, settings that are never printed, output that stays readable.

- An output (``-o``, ``--combined``, ``config --write``) that is, or leads
  to, the private key, a file holding one, the password file or the other
  output is refused, even with ``--force``; so is a dangling symlink, a
  directory, a FIFO or a device.
- Every refusal comes before the first byte is written, in every command.
- ``config --write`` keeps the file's owner, group and mode and gives the
  ``.bak`` the same; a file with other hard links needs ``--force``.
- ``doctor`` never prints a setting that holds a private key.
- Many findings of one kind are summarised in text (JSON lists them all);
  ``inspect`` lists the first 100 certificates unless ``--all``.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from pki import PKI, T0, T0_ISO, Hierarchy, key_pem, new_key

from certchain import (
    Code,
    OutputExistsError,
    OutputRefused,
    Severity,
    WriteError,
    build_chain,
    doctor_config,
    inspect_material,
    load_bytes,
    plan_output,
    write_outputs,
)
from certchain.cli import ExitCode, main
from certchain.deploy import apply_config_edit, plan_config_edit
from certchain.findings import Finding
from certchain.model import TrustStore
from certchain.policy import Policy
from certchain.report import finding_lines, inspect_text
from certchain.snippets import ServedFiles
from certchain.write import plan_update, secret_files, update_file

OTHER_UID = OTHER_GID = 12345
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")


@dataclass(frozen=True)
class Site:
    """host.crt, inter.crt, root.crt and host.key (0600) in one folder."""

    folder: Path
    host: Path
    inter: Path
    root: Path
    key: Path
    hier: Hierarchy

    def build(self, runner: CliRunner, *args: object) -> Result:
        """``certchain build HOST INTER ROOT --trust ROOT --at T0 ARGS``."""
        argv = ["build", self.host, self.inter, self.root, "--trust", self.root,
                "--at", T0_ISO, *args]
        return runner.invoke(main, [str(a) for a in argv])

    def chained(self) -> bytes:
        h = self.hier
        return h.leaf.pem + h.intermediate.pem + h.root.pem


@pytest.fixture
def site(tmp_path: Path, chain3: Hierarchy) -> Site:
    folder = tmp_path / "site"
    folder.mkdir()
    key = folder / "host.key"
    key.write_bytes(chain3.leaf.key_pem)
    key.chmod(0o600)
    return Site(
        folder, chain3.leaf.write(folder / "host.crt"),
        chain3.intermediate.write(folder / "inter.crt"), chain3.root.write(folder / "root.crt"),
        key, chain3,
    )


def listing(folder: Path) -> list[str]:
    """Every name in *folder*, hidden temporary files included."""
    return sorted(os.listdir(folder))


def assert_refused(result: Result, *words: str) -> None:
    """Exit 2 with one Error: line that says *words*."""
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    for word in words:
        assert word in errors[0], result.stderr


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ------------------------------------------------------- the key is kept


class TestKeyIsNeverAnOutput:
    def test_output_onto_the_key(self, runner: CliRunner, site: Site) -> None:
        """build --key K -o K --force is refused (exit 2) and the key is untouched."""
        before = site.key.read_bytes()

        result = site.build(runner, "--key", site.key, "-o", site.key, "--force")

        assert_refused(result, "private key", str(site.key))
        assert before == site.key.read_bytes()
        assert ["host.crt", "host.key", "inter.crt", "root.crt"] == listing(site.folder)

    def test_combined_onto_the_key(self, runner: CliRunner, site: Site) -> None:
        """--combined K --force onto the key found beside HOST is refused; nothing is written."""
        before = site.key.read_bytes()

        result = site.build(runner, "--combined", site.key, "--force", "--format", "haproxy")

        assert_refused(result, "private key")
        assert before == site.key.read_bytes()
        assert "host-chained.crt" not in listing(site.folder)

    @pytest.mark.parametrize("kind", ["symlink", "hardlink"])
    def test_link_to_the_key(self, runner: CliRunner, site: Site, kind: str) -> None:
        """An output that is a symbolic or hard link to the key is refused with --force too."""
        link = site.folder / "out.crt"
        if kind == "symlink":
            link.symlink_to(site.key.name)
        else:
            os.link(site.key, link)
        before = site.key.read_bytes()

        result = site.build(runner, "--key", site.key, "-o", link, "--force")

        assert_refused(result, "private key")
        assert before == site.key.read_bytes() == link.read_bytes()

    def test_input_holding_a_key(self, runner: CliRunner, site: Site) -> None:
        """A fullchain file that holds the key too is not rewritten in place, even with --force."""
        bundle = site.folder / "bundle.pem"
        before = site.hier.leaf.pem + site.hier.intermediate.pem + site.hier.leaf.key_pem
        bundle.write_bytes(before)

        result = runner.invoke(main, [
            "build", str(bundle), str(site.root), "--trust", str(site.root), "--at", T0_ISO,
            "-o", str(bundle), "--force",
        ])

        assert_refused(result, "holding a private key")
        assert before == bundle.read_bytes()

    def test_input_without_key_may_be_repaired_in_place(
        self, runner: CliRunner, site: Site
    ) -> None:
        """verify's repair (-o FILE --force on a certificate-only input) still works."""
        served = site.folder / "served.pem"
        served.write_bytes(site.hier.intermediate.pem + site.hier.leaf.pem)

        result = runner.invoke(main, [
            "build", str(served), "--trust", str(site.root), "--at", T0_ISO, "--no-root",
            "-o", str(served), "--force",
        ])

        assert result.exit_code == ExitCode.OK, result.output
        assert site.hier.leaf.pem + site.hier.intermediate.pem == served.read_bytes()

    def test_password_file(self, runner: CliRunner, site: Site) -> None:
        """The password file is not an output either."""
        secret = site.folder / "password.txt"
        secret.write_text("hunter2\n")

        result = site.build(runner, "--password-file", secret, "-o", secret, "--force")

        assert_refused(result, "password file")
        assert "hunter2\n" == secret.read_text()

    def test_two_outputs_one_file(self, runner: CliRunner, site: Site) -> None:
        """-o and --combined naming one file are refused before either is written."""
        out = site.folder / "both.pem"

        result = site.build(runner, "-o", out, "--combined", out, "--force")

        assert_refused(result, "both.pem")
        assert not out.exists()

    def test_config_outputs(self, runner: CliRunner, site: Site) -> None:
        """config --write onto the key, and --combined onto CHAIN, are refused; nothing changes."""
        chain = site.folder / "host-chained.crt"
        chain.write_bytes(site.chained())
        files = {p: p.read_bytes() for p in (chain, site.key)}

        write = runner.invoke(main, ["config", str(chain), "--write", str(site.key),
                                     "--trust", str(site.root), "--at", T0_ISO])
        combined = runner.invoke(main, ["config", str(chain), "--combined", str(chain),
                                        "--force", "--format", "haproxy",
                                        "--trust", str(site.root), "--at", T0_ISO])

        assert_refused(write, "private key")
        assert_refused(combined, "chained file")
        assert files == {p: p.read_bytes() for p in files}
        assert not any(name.endswith(".bak") for name in listing(site.folder))

    def test_library(self, tmp_path: Path) -> None:
        """plan_output refuses a protected file, or a link to it; write_outputs one file twice."""
        key = tmp_path / "k.pem"
        key.write_bytes(b"secret")
        (tmp_path / "alias").symlink_to(key)
        protected = secret_files(key, None)

        for path in (key, tmp_path / "alias"):
            with pytest.raises(OutputRefused, match="private key"):
                plan_output(path, b"x", overwrite=True, protected=protected)
        twice = [plan_output(tmp_path / "o", b"1"), plan_output(tmp_path / "o", b"2")]
        with pytest.raises(OutputRefused):
            write_outputs(twice)
        assert listing(tmp_path) == ["alias", "k.pem"]


# ---------------------------------------------- refused before any write


class TestRefusedBeforeWriting:
    def test_dangling_output_keeps_combined_unwritten(
        self, runner: CliRunner, site: Site
    ) -> None:
        """-o onto a dangling symlink is refused, with or without --force; no combined file."""
        dangling = site.folder / "out.crt"
        dangling.symlink_to("../elsewhere/out.crt")
        hap = site.folder / "hap.pem"

        for force in ([], ["--force"]):
            result = site.build(runner, "-o", dangling, "--combined", hap, *force)

            assert_refused(result, "dangling")
            assert not hap.exists()
            assert dangling.is_symlink() and not dangling.exists()

    def test_combined_onto_dangling_symlink(self, runner: CliRunner, site: Site) -> None:
        """--combined onto a dangling symlink is refused, and no chained file is written."""
        dangling = site.folder / "hap.pem"
        dangling.symlink_to(site.folder / "gone" / "hap.pem")

        for force in ([], ["--force"]):
            result = site.build(runner, "--combined", dangling, *force)

            assert_refused(result, "dangling")
            assert "host-chained.crt" not in listing(site.folder)

    def test_config_write_through_dangling_symlink(self, runner: CliRunner, site: Site) -> None:
        """config --write through a dangling symlink creates nothing anywhere (exit 2)."""
        chain = site.folder / "host-chained.crt"
        chain.write_bytes(site.chained())
        elsewhere = site.folder.parent / "other"
        elsewhere.mkdir()
        config = site.folder / "jupyterhub_config.py"
        config.symlink_to(elsewhere / "jupyterhub_config.py")
        hap = site.folder / "hap.pem"

        result = runner.invoke(main, [
            "config", str(chain), "--write", str(config), "--combined", str(hap),
            "--trust", str(site.root), "--at", T0_ISO,
        ])

        assert_refused(result, "dangling")
        assert [] == listing(elsewhere)
        assert not hap.exists()

    def test_config_write_in_missing_folder(self, runner: CliRunner, site: Site) -> None:
        """config --write into a folder that does not exist leaves no --combined file behind."""
        chain = site.folder / "host-chained.crt"
        chain.write_bytes(site.chained())
        hap = site.folder / "hap.pem"

        result = runner.invoke(main, [
            "config", str(chain), "--write", str(site.folder / "no" / "jupyterhub_config.py"),
            "--combined", str(hap), "--trust", str(site.root), "--at", T0_ISO,
        ])

        assert_refused(result, "cannot write")
        assert not hap.exists()

    def test_unwritable_folder(
        self, runner: CliRunner, site: Site, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A folder the user cannot write (access says so) refuses before the combined file."""
        ro = site.folder / "ro"
        ro.mkdir()
        hap = site.folder / "hap.pem"
        real_access = os.access

        def access(path: object, mode: int, **kwargs: object) -> bool:
            if Path(str(path)) == ro and mode & os.W_OK:
                return False
            return real_access(path, mode)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "access", access)
        result = site.build(runner, "-o", ro / "out.crt", "--combined", hap)

        assert_refused(result, "cannot write", str(ro))
        assert not hap.exists()
        assert [] == listing(ro)

    @pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only folder")
    def test_read_only_folder(self, runner: CliRunner, site: Site) -> None:
        """A read-only folder (mode 0555) is refused before the combined file is written."""
        ro = site.folder / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        hap = site.folder / "hap.pem"
        try:
            result = site.build(runner, "-o", ro / "out.crt", "--combined", hap)
        finally:
            ro.chmod(0o755)

        assert_refused(result, "cannot write")
        assert not hap.exists()

    def test_fifo_and_directory_outputs(self, runner: CliRunner, site: Site) -> None:
        """A FIFO or a directory as the output is refused even with --force, and stays as it was."""
        fifo = site.folder / "pipe"
        os.mkfifo(fifo)

        for target in (fifo, site.folder):
            result = site.build(runner, "-o", target, "--force")

            assert_refused(result)
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        with pytest.raises(OutputRefused, match="not a regular file"):
            plan_output(Path("/dev/null"), b"", overwrite=True)

    def test_config_write_fifo(self, runner: CliRunner, site: Site) -> None:
        """config --write onto a FIFO is refused at once, never read (it would never answer)."""
        chain = site.folder / "host-chained.crt"
        chain.write_bytes(site.chained())
        fifo = site.folder / "jupyterhub_config.py"
        os.mkfifo(fifo)

        result = runner.invoke(main, ["config", str(chain), "--write", str(fifo),
                                      "--trust", str(site.root), "--at", T0_ISO])

        assert_refused(result, "not a regular file")

    def test_library_plans_before_writing(self, tmp_path: Path) -> None:
        """write_outputs makes every temporary file first: a missing folder writes nothing."""
        good = plan_output(tmp_path / "a.pem", b"a")
        gone = tmp_path / "gone"
        gone.mkdir()
        bad = plan_output(gone / "b.pem", b"b")
        gone.rmdir()

        with pytest.raises(WriteError):
            write_outputs([good, bad])

        assert [] == listing(tmp_path)


# ------------------------------------------------- owner, group and mode


def jh_config(folder: Path, text: str = "c = get_config()  # noqa\n") -> Path:
    config = folder / "jupyterhub_config.py"
    config.write_text(text)
    return config


class TestConfigWriteKeepsTheFile:
    @as_root
    def test_owner_group_and_mode(self, runner: CliRunner, site: Site) -> None:
        """A config owned by another user, mode 0600, keeps them; the .bak gets the same."""
        chain = site.folder / "host-chained.crt"
        chain.write_bytes(site.chained())
        config = jh_config(site.folder)
        os.chown(config, OTHER_UID, OTHER_GID)
        config.chmod(0o600)
        before = config.read_text()

        result = runner.invoke(main, ["config", str(chain), "--write", str(config),
                                      "--trust", str(site.root), "--at", T0_ISO])

        assert result.exit_code == ExitCode.OK, result.output
        backup = config.with_name(config.name + ".bak")
        for path in (config, backup):
            st = path.stat()
            assert (st.st_uid, st.st_gid, mode_of(path)) == (OTHER_UID, OTHER_GID, 0o600), path
        assert before == backup.read_text()
        assert "ssl_cert" in config.read_text()
        assert [n for n in listing(site.folder) if n.startswith(".")] == []

    @as_root
    def test_library_update_file(self, tmp_path: Path) -> None:
        """update_file keeps owner, group and mode, and gives the backup the same."""
        path = tmp_path / "f"
        path.write_bytes(b"old")
        os.chown(path, OTHER_UID, OTHER_GID)
        path.chmod(0o640)

        update_file(path, b"new", backup=tmp_path / "f.bak")

        for name, data in (("f", b"new"), ("f.bak", b"old")):
            st = (tmp_path / name).stat()
            assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (
                OTHER_UID, OTHER_GID, 0o640)
            assert data == (tmp_path / name).read_bytes()

    def test_hard_link_needs_force(self, runner: CliRunner, site: Site) -> None:
        """A hard-linked config is refused (exit 2, no .bak); --force replaces it and says so."""
        chain = site.folder / "host-chained.crt"
        chain.write_bytes(site.chained())
        config = jh_config(site.folder)
        other = site.folder.parent / "shared_config.py"
        os.link(config, other)
        before = config.read_text()
        argv = ["config", str(chain), "--write", str(config),
                "--trust", str(site.root), "--at", T0_ISO]

        refused = runner.invoke(main, argv)
        forced = runner.invoke(main, [*argv, "--force"])

        assert_refused(refused, "hard links", "--force")
        assert forced.exit_code == ExitCode.OK, forced.output
        assert "had 2 hard links" in forced.stderr
        assert before == other.read_text() == config.with_name(config.name + ".bak").read_text()
        assert "ssl_cert" in config.read_text()

    def test_hard_link_build_output_is_reported(self, runner: CliRunner, site: Site) -> None:
        """build -o onto a hard-linked file with --force says that the other name keeps it."""
        out = site.folder / "out.crt"
        out.write_bytes(b"old\n")
        os.link(out, site.folder / "alias.crt")

        result = site.build(runner, "-o", out, "--force")

        assert result.exit_code == ExitCode.OK, result.output
        assert "had 2 hard links" in result.stderr
        assert b"old\n" == (site.folder / "alias.crt").read_bytes()

    def test_library_hard_link(self, tmp_path: Path) -> None:
        """plan_update refuses a hard-linked file unless split_links."""
        path = tmp_path / "f"
        path.write_bytes(b"old")
        os.link(path, tmp_path / "g")

        with pytest.raises(OutputRefused, match="hard links"):
            plan_update(path, b"new")
        (output,) = plan_update(path, b"new", split_links=True)
        assert output.links == 2


# ------------------------------------------------------- key material


@pytest.fixture(scope="module")
def inline_key() -> bytes:
    return key_pem(new_key())


def body(pem: bytes) -> str:
    """A line from the middle of a PEM block: what must never be printed."""
    return pem.decode().splitlines()[2]


def doctor_cli(runner: CliRunner, config: Path, *args: str) -> Result:
    return runner.invoke(main, ["doctor", str(config), "--at", T0_ISO, *args])


KEY_SETTINGS = {
    "inline PEM": lambda pem: f"c.JupyterHub.ssl_key = {pem.decode()!r}",
    "triple-quoted": lambda pem: f'c.JupyterHub.ssl_key = """{pem.decode()}"""',
    "bytes": lambda pem: f"c.JupyterHub.ssl_key = {pem!r}",
    "base64 DER": lambda pem: "c.JupyterHub.ssl_key = {!r}".format(base64.b64encode(
        serialization.load_pem_private_key(pem, None).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())).decode()),
    "in bind_url": lambda pem: f"c.JupyterHub.bind_url = 'https://' + {pem.decode()!r}",
}


class TestKeyMaterialIsNotPrinted:
    @pytest.mark.parametrize("shape", sorted(KEY_SETTINGS))
    def test_doctor(self, runner: CliRunner, tmp_path: Path, inline_key: bytes,
                    shape: str) -> None:
        """doctor names a setting holding a private key without printing it, in text and JSON."""
        config = jh_config(tmp_path, KEY_SETTINGS[shape](inline_key) + "\n"
                           "c.JupyterHub.ssl_cert = '/srv/hub.crt'\n")

        text = doctor_cli(runner, config)
        as_json = doctor_cli(runner, config, "--json")

        assert text.exit_code == as_json.exit_code == ExitCode.CHAIN_PROBLEM, text.output
        for output in (text.output, as_json.output, json.dumps(json.loads(as_json.stdout))):
            assert body(inline_key) not in output
            assert "PRIVATE KEY" not in output
        assert "not shown" in text.stdout

    def test_doctor_library(self, tmp_path: Path, inline_key: bytes) -> None:
        """doctor_config's findings never quote the key; ssl_key is an error saying so."""
        config = jh_config(tmp_path, KEY_SETTINGS["inline PEM"](inline_key) + "\n")
        policy = Policy(store=TrustStore((), "none"), at=T0)

        report = doctor_config(config, policy=policy).sites[0].report

        assert all(body(inline_key) not in f.message for f in report.findings)
        (inline,) = [f for f in report.findings if "not shown" in f.message]
        assert (inline.code, inline.severity) == (Code.FILE_NOT_FOUND, Severity.ERROR)
        assert "ssl_key" in inline.message

    def test_config_write(self, runner: CliRunner, site: Site, inline_key: bytes) -> None:
        """config --write over an inline key never prints it; the .bak keeps the file's mode."""
        chain = site.folder / "host-chained.crt"
        chain.write_bytes(site.chained())
        config = jh_config(site.folder, KEY_SETTINGS["inline PEM"](inline_key) + "\n")
        config.chmod(0o600)

        result = runner.invoke(main, ["config", str(chain), "--write", str(config),
                                      "--trust", str(site.root), "--at", T0_ISO])

        assert result.exit_code == ExitCode.OK, result.output
        assert body(inline_key) not in result.output
        assert 0o600 == mode_of(config.with_name(config.name + ".bak"))


# ------------------------------------------------------- output volume


@pytest.fixture(scope="module")
def decoys(pki: PKI) -> bytes:
    """50 self-signed CAs unrelated to any leaf, one key for all (fast)."""
    key = new_key()
    return b"".join(pki.root(f"Decoy {i}", key=key).pem for i in range(50))


class TestOutputVolume:
    def test_unused_certs_summarised(
        self, runner: CliRunner, site: Site, decoys: bytes
    ) -> None:
        """50 unrelated inputs make one unused-cert finding that counts them, in text and JSON."""
        pool = site.folder / "pool.pem"
        pool.write_bytes(decoys)

        text = site.build(runner, pool, "-o", "-")
        as_json = site.build(runner, pool, "--json", "--force")

        assert text.exit_code == as_json.exit_code == ExitCode.OK, text.output
        (line,) = [ln for ln in text.stderr.splitlines() if "unused-cert" in ln]
        assert "50 certificates are unrelated to this host certificate" in line
        assert "and 47 more" in line
        unused = [f for f in json.loads(as_json.stdout)["findings"] if f["code"] == "unused-cert"]
        assert len(unused) == 1 and unused[0]["message"].startswith("50 certificates ")

    def test_library_groups_by_kind(self, chain3: Hierarchy) -> None:
        """finding_lines summarises a kind past 10 and leaves the other kinds whole."""
        many = [Finding(Code.DUPLICATE_CERT, Severity.WARNING, f"Copy {n}.") for n in range(50)]
        other = Finding(Code.NO_KEY, Severity.WARNING, "No key.")

        lines = finding_lines([*many, other])

        copies = [ln for ln in lines if "duplicate-cert" in ln]
        assert len(copies) == 4 and "Copy 2." in copies[2]
        assert "47 more like the 3 above (50 in all)" in lines[3]
        assert any("no-key" in ln for ln in lines)

    def test_library_counts_many_unused(self, chain3: Hierarchy, decoys: bytes) -> None:
        """build_chain makes one unused-cert finding for 50 unrelated inputs, naming the first 3."""
        policy = Policy(store=TrustStore((chain3.root.cert,), "test", explicit=True), at=T0)
        others = load_bytes(chain3.intermediate.pem + chain3.root.pem + decoys)
        result = build_chain(load_bytes(chain3.leaf.pem), others, policy=policy)

        (unused,) = [f for f in result.findings if f.code is Code.UNUSED_CERT]
        assert unused.severity is Severity.WARNING
        assert unused.message.count(" from <data> (item ") == 3
        assert "and 47 more" in unused.message

    def test_ten_are_shown_whole(self, chain3: Hierarchy, decoys: bytes) -> None:
        """Up to 10 findings of one kind are all shown."""
        policy = Policy(store=TrustStore((chain3.root.cert,), "test", explicit=True), at=T0)
        end = b"-----END CERTIFICATE-----\n"
        ten = b"".join(block + end for block in decoys.split(end)[:10])
        result = build_chain(load_bytes(chain3.leaf.pem),
                             load_bytes(chain3.intermediate.pem + ten), policy=policy)

        lines = [ln for ln in finding_lines(result.findings) if "unused-cert" in ln]

        assert len(lines) == 10 and not any("in all" in ln for ln in lines)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory, pki: PKI) -> Iterator[Path]:
    """A file of 150 certificates."""
    key = new_key()
    path = tmp_path_factory.mktemp("big") / "big.pem"
    path.write_bytes(b"".join(pki.root(f"CA {i}", key=key).pem for i in range(150)))
    yield path


class TestInspectLimit:
    def test_text_summarises(self, runner: CliRunner, big: Path) -> None:
        """inspect lists the first 100 certificates, then counts the rest; --all lists them."""
        text = runner.invoke(main, ["inspect", str(big), "--at", T0_ISO])
        everything = runner.invoke(main, ["inspect", str(big), "--all", "--at", T0_ISO])

        assert text.exit_code == everything.exit_code == ExitCode.OK
        headers = [ln for ln in text.stdout.splitlines() if ln.startswith("Certificate ")]
        assert len(headers) == 100
        assert "... and 50 more certificates, not shown (--all lists them)." in text.stdout
        assert 150 == sum(ln.startswith("Certificate ") for ln in everything.stdout.splitlines())
        assert "not shown" not in everything.stdout

    def test_json_lists_all(self, runner: CliRunner, big: Path) -> None:
        """inspect --json always lists every certificate (no 'omitted' key)."""
        result = runner.invoke(main, ["inspect", str(big), "--json", "--at", T0_ISO])

        doc = json.loads(result.stdout)
        assert 150 == len(doc["certificates"])
        assert "omitted" not in doc

    def test_library(self, big: Path) -> None:
        """inspect_material(limit=) describes the first *limit* and counts the others."""
        items = inspect_material(load_bytes(big.read_bytes()), T0, limit=100)

        assert 100 == len(items["certificates"])
        assert {"certificates": 50, "keys": 0} == items["omitted"]
        assert "... and 50 more certificates, not shown." in inspect_text(items)


def test_library_config_edit_plans_everything(tmp_path: Path, chain3: Hierarchy) -> None:
    """plan_config_edit refuses the key as the configuration before writing anything."""
    key = tmp_path / "hub.key"
    key.write_bytes(chain3.leaf.key_pem)
    files = ServedFiles(tmp_path / "hub.crt", key)

    with pytest.raises(OutputRefused):
        plan_config_edit(key, files, protected=secret_files(key, None))
    edit = plan_config_edit(jh_config(tmp_path), files)
    assert "ssl_cert and ssl_key set" in apply_config_edit(edit)
    with pytest.raises(OutputExistsError):
        plan_output(key, b"", protected={})
