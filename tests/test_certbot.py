"""
certbot's layout, and the key beside certbot's files.

A certbot layout is made in ``tmp_path``: ``live/NAME/{cert,chain,fullchain,
privkey}.pem`` are relative symlinks into ``archive/NAME/*1.pem``, as
certbot makes them.  ``verify`` says that a repair there is undone at the
next renewal and gives ``--preferred-chain``; the repair writes through the
link.  ``build`` finds ``privkey.pem`` beside certbot's certificate files.
"""

from __future__ import annotations

import shlex
import ssl
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pki import T0_ISO, Hierarchy

from certchain.certbot import Lineage, lineage, preferred_chain, renew_command
from certchain.cli import ExitCode, main
from certchain.load import sibling_key


@dataclass(frozen=True)
class Certbot:
    """certbot's folders for one certificate name, and its trust anchor."""

    config: Path  # what /etc/letsencrypt is
    name: str
    root: Path
    hier: Hierarchy

    @property
    def live(self) -> Path:
        return self.config / "live" / self.name

    @property
    def archive(self) -> Path:
        return self.config / "archive" / self.name


def make_certbot(tmp_path: Path, hier: Hierarchy, *, fullchain: bytes | None = None) -> Certbot:
    """Lay out *hier* as certbot does: ``archive/example/*1.pem`` and ``live/example`` links."""
    config = tmp_path / "letsencrypt"
    made = Certbot(config, "example", hier.root.write(tmp_path / "root.crt"), hier)
    made.archive.mkdir(parents=True)
    made.live.mkdir(parents=True)
    files = {
        "cert": hier.leaf.pem,
        "chain": hier.intermediate.pem,
        "fullchain": fullchain if fullchain is not None else hier.leaf.pem + hier.intermediate.pem,
        "privkey": hier.leaf.key_pem,
    }
    for kind, data in files.items():
        (made.archive / f"{kind}1.pem").write_bytes(data)
        (made.live / f"{kind}.pem").symlink_to(Path("../../archive") / made.name / f"{kind}1.pem")
    return made


@pytest.fixture
def certbot(tmp_path: Path, chain3: Hierarchy) -> Certbot:
    """A certbot layout whose fullchain.pem is in the right order."""
    return make_certbot(tmp_path, chain3)


@pytest.fixture
def shuffled(tmp_path: Path, chain3: Hierarchy) -> Certbot:
    """A certbot layout whose fullchain.pem has the intermediate before the leaf."""
    return make_certbot(
        tmp_path, chain3, fullchain=chain3.intermediate.pem + chain3.leaf.pem
    )


def verify(runner: CliRunner, made: Certbot, path: Path) -> Result:
    """Run ``certchain verify PATH --trust ROOT --at T0``."""
    return runner.invoke(main, ["verify", str(path), "--trust", str(made.root), "--at", T0_ISO])


# ------------------------------------------------------------------ layout


class TestLineage:
    def test_live_link(self, certbot: Certbot) -> None:
        """A live/NAME/ link is certbot's, with its name and the archive file it points to."""
        found = lineage(certbot.live / "fullchain.pem")

        assert Lineage("example", certbot.live / "fullchain.pem",
                       certbot.archive / "fullchain1.pem") == found

    def test_link_to_live_link(self, certbot: Certbot, tmp_path: Path) -> None:
        """A link elsewhere to a live/ link is certbot's too (it ends in archive/NAME/)."""
        mine = tmp_path / "nginx.pem"
        mine.symlink_to(certbot.live / "fullchain.pem")

        found = lineage(mine)

        assert found is not None
        assert ("example", certbot.archive / "fullchain1.pem") == (found.name, found.archive)

    def test_regular_file_in_live(self, certbot: Certbot) -> None:
        """A regular file under live/NAME/ with certbot's name is certbot's, without archive."""
        path = certbot.live / "chain.pem"
        path.unlink()
        path.write_bytes(certbot.hier.intermediate.pem)

        assert Lineage("example", path, None) == lineage(path)

    def test_other_files(self, certbot: Certbot, tmp_path: Path) -> None:
        """Other names in live/NAME/, and files elsewhere, are not certbot's."""
        other = certbot.live / "README"
        other.write_text("certbot's readme")
        plain = certbot.hier.leaf.write(tmp_path / "fullchain.pem")

        assert lineage(other) is None
        assert lineage(plain) is None

    def test_preferred_chain_names_the_topmost_issuer(self, chain3: Hierarchy) -> None:
        """--preferred-chain takes the common name of the issuer of the topmost non-root."""
        with_root = (chain3.leaf.cert, chain3.intermediate.cert, chain3.root.cert)
        without_root = with_root[:2]

        assert "Test Root" == preferred_chain(with_root) == preferred_chain(without_root)
        assert preferred_chain((chain3.root.cert,)) is None

    def test_renew_command(self, certbot: Certbot) -> None:
        """The renew command names the lineage and the chain's topmost issuer, quoted."""
        found = lineage(certbot.live / "fullchain.pem")
        assert found is not None
        chain = (certbot.hier.leaf.cert, certbot.hier.intermediate.cert)

        assert ["certbot", "renew", "--cert-name", "example", "--preferred-chain",
                "Test Root"] == shlex.split(renew_command(found, chain) or "")


# ------------------------------------------------------------------ verify


class TestVerifyRepair:
    def test_repair_mentions_renewal_and_preferred_chain(
        self, runner: CliRunner, shuffled: Certbot
    ) -> None:
        """The repair of live/NAME/fullchain.pem says renewal undoes it; certbot's option too."""
        path = shuffled.live / "fullchain.pem"

        result = verify(runner, shuffled, path)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert f"-o {path} --force" in result.stdout
        assert "next renewal undoes this repair" in result.stdout
        assert str(shuffled.archive / "fullchain1.pem") in result.stdout
        assert "certbot renew --cert-name example --preferred-chain 'Test Root'" in result.stdout

    def test_repair_keeps_the_link(self, runner: CliRunner, shuffled: Certbot) -> None:
        """Running the printed repair fixes archive/'s file and leaves live/'s link a link."""
        path = shuffled.live / "fullchain.pem"
        before = path.readlink()
        line = next(ln for ln in verify(runner, shuffled, path).stdout.splitlines()
                    if ln.startswith("certchain build can repair this file: "))
        words = shlex.split(line.removeprefix("certchain build can repair this file: "))

        result = runner.invoke(main, words[1:])

        assert result.exit_code == ExitCode.OK, result.output
        assert path.is_symlink()
        assert before == path.readlink()
        assert (shuffled.hier.leaf.pem + shuffled.hier.intermediate.pem
                == (shuffled.archive / "fullchain1.pem").read_bytes())
        assert ExitCode.OK == verify(runner, shuffled, path).exit_code
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
            path, shuffled.live / "privkey.pem"
        )

    def test_plain_file_has_no_certbot_note(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy
    ) -> None:
        """A repairable file outside certbot's layout gets the repair command alone."""
        path = tmp_path / "fullchain.pem"
        path.write_bytes(chain3.intermediate.pem + chain3.leaf.pem)
        root = chain3.root.write(tmp_path / "root.crt")

        result = runner.invoke(main, ["verify", str(path), "--trust", str(root), "--at", T0_ISO])

        assert "certchain build can repair this file" in result.stdout
        assert "renewal" not in result.stdout
        assert "--preferred-chain" not in result.stdout

    def test_good_file_has_no_note(self, runner: CliRunner, certbot: Certbot) -> None:
        """A certbot file that verifies gets no repair and no note."""
        result = verify(runner, certbot, certbot.live / "fullchain.pem")

        assert result.exit_code == ExitCode.OK, result.output
        assert "renewal" not in result.stdout
        assert "--preferred-chain" not in result.stdout


# ----------------------------------------------------- keys found by themselves


class TestCertbotNames:
    @pytest.mark.parametrize("name", ["fullchain.pem", "cert.pem", "chain.pem"])
    def test_sibling_is_privkey(self, certbot: Certbot, name: str) -> None:
        """privkey.pem beside certbot's certificate files is their key, by its live/ name."""
        assert certbot.live / "privkey.pem" == sibling_key(certbot.live / name)

    def test_other_names_do_not_take_privkey(self, tmp_path: Path) -> None:
        """privkey.pem is not the key of a file certbot does not name so."""
        (tmp_path / "privkey.pem").write_text("")
        (tmp_path / "hub.crt").write_text("")

        assert sibling_key(tmp_path / "hub.crt") is None

    def test_build_finds_privkey(self, runner: CliRunner, certbot: Certbot) -> None:
        """build live/NAME/fullchain.pem checks privkey.pem and names it in the snippet."""
        result = runner.invoke(main, [
            "build", str(certbot.live / "fullchain.pem"), "--trust", str(certbot.root),
            "--at", T0_ISO, "-o", str(certbot.config / "out.crt"),
        ])

        assert result.exit_code == ExitCode.OK, result.output
        assert f"Private key: {certbot.live / 'privkey.pem'}" in result.stdout
        assert f"c.JupyterHub.ssl_key = {str(certbot.live / 'privkey.pem')!r}" in result.stdout
        assert "no-key" not in result.stdout
