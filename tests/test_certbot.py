"""
certbot's layout and the keys certchain finds by itself.

A certbot layout is made in ``tmp_path``: ``live/NAME/{cert,chain,fullchain,
privkey}.pem`` are relative symlinks into ``archive/NAME/*1.pem``, as
certbot makes them.  ``verify`` says that a repair there is undone at the
next renewal and gives ``--preferred-chain``; the repair writes through the
link.  ``build`` finds ``privkey.pem`` beside certbot's certificate files,
and an encrypted key it finds by itself is a finding, never a dead stop.
"""

from __future__ import annotations

import re
import shlex
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click.testing
import pytest
from click.testing import CliRunner, Result
from pki import PKI, T0, T0_ISO, Hierarchy, hierarchy, key_pem

from certchain import Policy, load_file, store_from_paths
from certchain.build import build_chain
from certchain.certbot import Lineage, lineage, preferred_chain, renew_command
from certchain.cli import PASSWORD_ENV, ExitCode, main
from certchain.errors import BadPassword, PasswordRequired
from certchain.findings import Code, Remedy, Severity
from certchain.keyfiles import find_keys, sibling_key
from certchain.model import Format, LockedKey, Material, Source

PASSWORD = "correct-horse-7731"


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


def policy(root: Path) -> Policy:
    return Policy(store=store_from_paths([root]), at=T0)


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


@dataclass(frozen=True)
class Locked:
    """host.crt with an encrypted host.key beside it, and the CA files."""

    host: Path
    key: Path
    inter: Path
    root: Path
    hier: Hierarchy


@pytest.fixture
def locked(tmp_path: Path, pki: PKI) -> Locked:
    """A hierarchy whose host.key, found beside host.crt, is encrypted."""
    hier = hierarchy(pki, "hub.example.org")
    key = tmp_path / "host.key"
    key.write_bytes(key_pem(hier.leaf.key, PASSWORD.encode()))
    return Locked(hier.leaf.write(tmp_path / "host.crt"), key,
                  hier.intermediate.write(tmp_path / "inter.crt"),
                  hier.root.write(tmp_path / "root.crt"), hier)


def build_locked(runner: CliRunner, locked: Locked, **kwargs: Any) -> Result:
    """Run ``certchain build`` of the locked hierarchy (the key is found by itself)."""
    return runner.invoke(main, [
        "build", str(locked.host), str(locked.inter), str(locked.root), "--trust",
        str(locked.root), "--at", T0_ISO,
    ], **kwargs)


class TestEncryptedSibling:
    def test_no_password_is_a_warning(self, runner: CliRunner, locked: Locked) -> None:
        """An encrypted host.key found by itself, no password, no terminal: a no-key warning."""
        result = build_locked(runner, locked, input="")

        assert result.exit_code == ExitCode.OK, result.output
        (line,) = [ln for ln in result.stdout.splitlines() if "no-key:" in ln]
        assert "warning" in line
        assert f"{locked.key} was found beside the host certificate" in line
        assert "encrypted" in line
        assert "--password-file" in line
        assert (locked.host.parent / "host-chained.crt").exists()

    def test_snippet_names_the_encrypted_key(self, runner: CliRunner, locked: Locked) -> None:
        """The configuration's key note names the encrypted key found, not 'no key was found'."""
        result = build_locked(runner, locked, input="")

        assert result.exit_code == ExitCode.OK, result.output
        (note,) = [ln for ln in result.stdout.splitlines() if "ssl_key" in ln]
        assert f"the key {locked.key} is encrypted and was not opened" in note
        assert "no private key was found" not in note

    def test_wrong_password_is_a_warning(self, runner: CliRunner, locked: Locked) -> None:
        """A password that does not open the found key is a no-key warning, not exit 2."""
        result = build_locked(runner, locked, env={PASSWORD_ENV: "wrong-battery-staple"})

        assert result.exit_code == ExitCode.OK, result.output
        assert "the password given does not open it" in result.stdout
        assert "wrong-battery-staple" not in result.output

    def test_password_opens_it(self, runner: CliRunner, locked: Locked) -> None:
        """With its password the found key is checked as before."""
        result = build_locked(runner, locked, env={PASSWORD_ENV: PASSWORD})

        assert result.exit_code == ExitCode.OK, result.output
        assert f"Private key: {locked.key}" in result.stdout
        assert "no-key" not in result.stdout

    def test_prompt_on_tty(
        self, runner: CliRunner, locked: Locked, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On a terminal the found key's password is asked for, once, and used."""
        monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True)

        result = build_locked(runner, locked, input=PASSWORD + "\n")

        assert result.exit_code == ExitCode.OK, result.output
        assert 1 == result.stderr.count("Password:")
        assert f"Private key: {locked.key}" in result.stdout

    def test_named_key_still_stops(self, runner: CliRunner, locked: Locked) -> None:
        """A key the user named with --key still needs its password (exit 2)."""
        result = runner.invoke(main, [
            "build", str(locked.host), str(locked.inter), str(locked.root), "--key",
            str(locked.key), "--trust", str(locked.root), "--at", T0_ISO,
        ], input="")

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert re.search(r"^Error: .*host\.key", result.stderr, re.MULTILINE)


class TestEncryptedSiblingLibrary:
    def test_find_keys_returns_the_sibling_closed(self, locked: Locked) -> None:
        """find_keys returns an encrypted sibling closed: no password, or a wrong one."""
        closed = LockedKey(Source(locked.key, 0, Format.PEM))
        assert Material(locked=(closed,)) == find_keys(None, beside=locked.host)
        wrong = LockedKey(Source(locked.key, 0, Format.PEM), wrong_password=True)
        assert Material(locked=(wrong,)) == find_keys(
            None, password=b"wrong", beside=locked.host
        )

    def test_find_keys_ask_raises(self, locked: Locked) -> None:
        """With ask, a missing password raises PasswordRequired for a front end to ask."""
        with pytest.raises(PasswordRequired):
            find_keys(None, beside=locked.host, ask=True)

    def test_a_named_key_still_raises(self, locked: Locked) -> None:
        """A key the user named must open: find_keys raises for it, never keeps it closed."""
        with pytest.raises(PasswordRequired):
            find_keys(locked.key)
        with pytest.raises(BadPassword):
            find_keys(locked.key, password=b"wrong")

    def test_build_chain_names_the_unread_key(self, locked: Locked) -> None:
        """build_chain's no-key warning names the unread key and asks for its password."""
        result = build_chain(
            load_file(locked.host), load_file(locked.inter), policy=policy(locked.root),
            keys=find_keys(None, beside=locked.host),
        )

        assert result.ok
        (found,) = [f for f in result.findings if f.code is Code.NO_KEY]
        assert (Severity.WARNING, Remedy.GIVE_PASSWORD) == (found.severity, found.remedy)
        assert str(locked.key) in found.message
