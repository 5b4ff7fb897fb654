"""
Outputs written through symlinks: the file a link points to is replaced, the link stays.

``write.write_file`` resolves a symlink output to its target and writes the
target atomically in the target's folder; every output gets it (``build
-o``, ``--combined``, ``config --combined``, ``config --write``), and the
overwrite rule (``--force``) is about the target.
"""

from __future__ import annotations

import os
import ssl
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pki import T0_ISO, Hierarchy

from certchain import OutputExistsError, OutputRefused, write_file
from certchain.cli import ExitCode, main


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def hidden(folder: Path) -> list[str]:
    """Return the names of the temporary files left in *folder* (none should be)."""
    return [name for name in os.listdir(folder) if name.startswith(".")]


@pytest.fixture
def link(tmp_path: Path) -> Path:
    """``tmp_path/site/out.pem``, a relative symlink to ``tmp_path/store/out1.pem`` (old data)."""
    store = tmp_path / "store"
    store.mkdir()
    (store / "out1.pem").write_bytes(b"old\n")
    site = tmp_path / "site"
    site.mkdir()
    path = site / "out.pem"
    path.symlink_to(Path("..") / "store" / "out1.pem")
    return path


class TestWriteFile:
    def test_writes_the_target_and_keeps_the_link(self, link: Path) -> None:
        """With overwrite, the target gets the data and the output is still the same link."""
        before = os.readlink(link)

        write_file(link, b"new\n", overwrite=True, mode=0o600)

        assert link.is_symlink()
        assert before == os.readlink(link)
        target = link.resolve()
        assert b"new\n" == target.read_bytes()
        assert 0o600 == mode_of(target)
        assert [] == hidden(target.parent) == hidden(link.parent)

    def test_refuses_without_overwrite(self, link: Path) -> None:
        """Without overwrite an existing target is refused, naming the path given."""
        with pytest.raises(OutputExistsError) as info:
            write_file(link, b"new\n")

        assert link == info.value.path
        assert b"old\n" == link.resolve().read_bytes()

    def test_chain_of_links(self, link: Path) -> None:
        """A link to a link is followed to the final file; both links stay."""
        outer = link.with_name("outer.pem")
        outer.symlink_to(link.name)

        write_file(outer, b"new\n", overwrite=True)

        assert outer.is_symlink() and link.is_symlink()
        assert b"new\n" == link.resolve().read_bytes()

    def test_dangling_link_is_refused(self, tmp_path: Path) -> None:
        """A dangling link is refused, with or without overwrite (it is not followed)."""
        dangling = tmp_path / "out.pem"
        dangling.symlink_to(tmp_path / "nowhere.pem")

        for overwrite in (False, True):
            with pytest.raises(OutputRefused):
                write_file(dangling, b"new\n", overwrite=overwrite)

        assert not (tmp_path / "nowhere.pem").exists()


# --------------------------------------------------------------------- CLI


def build(runner: CliRunner, hier: Hierarchy, folder: Path, *args: object) -> Result:
    """Run ``certchain build HOST INTER ROOT ARGS --trust ROOT --at T0`` in *folder*."""
    folder.mkdir(exist_ok=True)
    host = hier.leaf.write(folder / "hub.crt")
    inter = hier.intermediate.write(folder / "inter.crt")
    root = hier.root.write(folder / "root.crt")
    argv = ["build", str(host), str(inter), str(root), "--trust", str(root), "--at", T0_ISO,
            *(str(a) for a in args)]
    return runner.invoke(main, argv)


def loads(chain: Path, key: Path) -> None:
    """Load *chain* and *key* as a TLS server does."""
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(chain, key)


class TestBuildOutput:
    def test_output_through_link(
        self, runner: CliRunner, chain3: Hierarchy, link: Path, tmp_path: Path
    ) -> None:
        """build -o LINK --force writes the chain into the link's target; the link stays."""
        result = build(runner, chain3, tmp_path / "ca", "-o", link, "--force", "--no-root")

        assert result.exit_code == ExitCode.OK, result.output
        assert link.is_symlink()
        assert chain3.leaf.pem + chain3.intermediate.pem == link.resolve().read_bytes()
        assert f"c.JupyterHub.ssl_cert = {str(link)!r}" in result.stdout

    def test_output_through_link_needs_force(
        self, runner: CliRunner, chain3: Hierarchy, link: Path, tmp_path: Path
    ) -> None:
        """build -o LINK onto an existing target without --force exits 2 and changes nothing."""
        result = build(runner, chain3, tmp_path / "ca", "-o", link)

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert b"old\n" == link.resolve().read_bytes()

    def test_combined_through_link(
        self, runner: CliRunner, chain3: Hierarchy, link: Path, tmp_path: Path
    ) -> None:
        """build --combined LINK --force writes chain and key (0600) into the target."""
        folder = tmp_path / "ca"
        folder.mkdir()
        (folder / "hub.key").write_bytes(chain3.leaf.key_pem)

        result = build(runner, chain3, folder, "--combined", link, "--force",
                       "--format", "haproxy")

        assert result.exit_code == ExitCode.OK, result.output
        assert link.is_symlink()
        target = link.resolve()
        assert 0o600 == mode_of(target)
        loads(target, target)
        assert [] == hidden(target.parent)


def deployed(folder: Path, hier: Hierarchy) -> tuple[Path, Path]:
    """Write a chained file, its key beside it and the root in *folder*; return (chain, root)."""
    folder.mkdir()
    chained = folder / "hub-chained.crt"
    chained.write_bytes(hier.leaf.pem + hier.intermediate.pem)
    (folder / "hub.key").write_bytes(hier.leaf.key_pem)
    return chained, hier.root.write(folder / "root.crt")


class TestConfigOutput:
    def test_config_combined_through_link(
        self, runner: CliRunner, chain3: Hierarchy, link: Path, tmp_path: Path
    ) -> None:
        """config --combined LINK --force writes through the link; the link stays."""
        chained, root = deployed(tmp_path / "hub", chain3)

        result = runner.invoke(main, [
            "config", str(chained), "--format", "haproxy", "--combined", str(link), "--force",
            "--trust", str(root), "--at", T0_ISO,
        ])

        assert result.exit_code == ExitCode.OK, result.output
        assert link.is_symlink()
        loads(link.resolve(), link.resolve())
        assert str(link) in result.stdout

    def test_config_write_through_link(
        self, runner: CliRunner, chain3: Hierarchy, tmp_path: Path
    ) -> None:
        """config --write LINK updates the file it points to and keeps the link."""
        chained, root = deployed(tmp_path / "hub", chain3)
        real = tmp_path / "etc" / "jupyterhub_config.py"
        real.parent.mkdir()
        real.write_text("c = get_config()  #noqa\n")
        jhc = chained.with_name("jupyterhub_config.py")
        jhc.symlink_to(real)

        result = runner.invoke(main, [
            "config", str(chained), "--write", str(jhc), "--trust", str(root), "--at", T0_ISO,
        ])

        assert result.exit_code == ExitCode.OK, result.output
        assert jhc.is_symlink()
        assert f"c.JupyterHub.ssl_cert = {str(chained)!r}" in real.read_text()
