"""
``doctor.doctor_config``: a ``jupyterhub_config.py`` read statically, and the TLS files it names.

Every configuration lives in ``tmp_path``; every check validates at ``T0``.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pki import NOT_AFTER, PKI, T0, Hierarchy, hierarchy, key_pem, new_key

from certchain import LoadError, Policy, Report, store_from_paths
from certchain.doctor import doctor_config
from certchain.findings import Code, Severity
from certchain.jhconfig import ConfigError

REMOTE_SPAWNERS = [
    "'dockerspawner.DockerSpawner'",
    "'kubespawner.KubeSpawner'",
    "'batchspawner.SlurmSpawner'",
]
LOOPBACK_HUB_IPS = [None, "'127.0.0.1'", "'localhost'", "'::1'"]
PASSWORD = b"correct-horse-7731"


@dataclass(frozen=True)
class Hub:
    """A chained file (leaf + intermediate), its key (mode 0600) and the root in one folder."""

    folder: Path
    chain: Path
    key: Path
    root: Path
    hier: Hierarchy

    @property
    def ssl(self) -> str:
        """The two assignments naming this hub's files by absolute path."""
        return (
            f"c.JupyterHub.ssl_cert = {str(self.chain)!r}\n"
            f"c.JupyterHub.ssl_key = {str(self.key)!r}\n"
        )

    def config(self, text: str, name: str = "jupyterhub_config.py") -> Path:
        """Write *text* as the configuration file and return its path."""
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path

    def doctor(self, text: str, password: bytes | None = None, **policy: Any) -> Report:
        """Write *text* as the configuration and check it, trusting only this hub's root."""
        policy.setdefault("store", store_from_paths([self.root]))
        policy.setdefault("at", T0)
        result = doctor_config(self.config(text), policy=Policy(**policy), password=password)
        return result.sites[0].report


def make_hub(folder: Path, hier: Hierarchy) -> Hub:
    """Write *hier* as hub-chained.crt, hub.key (0600) and root.crt in *folder*."""
    folder.mkdir(parents=True, exist_ok=True)
    chain = folder / "hub-chained.crt"
    chain.write_bytes(hier.leaf.pem + hier.intermediate.pem)
    key = folder / "hub.key"
    key.write_bytes(hier.leaf.key_pem)
    key.chmod(0o600)
    return Hub(folder, chain, key, hier.root.write(folder / "root.crt"), hier)


def codes(report: Report) -> dict[str, str]:
    """Return {code: severity} of *report*'s findings."""
    return {f.code.value: f.severity.value for f in report.findings}


def message(report: Report, code: Code) -> str:
    """Return the message of the one finding of *code*."""
    (found,) = [f.message for f in report.findings if f.code is code]
    return found


@pytest.fixture
def hub(tmp_path: Path, chain3: Hierarchy) -> Hub:
    """The shared hierarchy deployed in ``tmp_path/hub``."""
    return make_hub(tmp_path / "hub", chain3)


class TestClean:
    def test_good_config_has_no_findings(self, hub: Hub) -> None:
        """A configuration naming a good chain and its private key yields no finding."""
        report = hub.doctor("c = get_config()  #noqa\n" + hub.ssl)

        assert report.ok
        assert {} == codes(report)
        assert (hub.hier.leaf.cert, hub.hier.intermediate.cert) == report.chain
        assert NOT_AFTER == report.valid_until
        assert report.key is not None

    def test_source_is_the_config(self, hub: Hub) -> None:
        """The report's source is the configuration file, not the chain."""
        report = hub.doctor(hub.ssl)

        assert hub.folder / "jupyterhub_config.py" == report.source

    def test_errors_come_first(self, hub: Hub) -> None:
        """Findings are ordered errors, then warnings, then info."""
        other = hub.folder / "other.key"
        other.write_bytes(key_pem(new_key()))
        other.chmod(0o600)
        text = (
            "c.JupyterHub.ip = '*'\n"
            f"c.JupyterHub.ssl_cert = {str(hub.chain)!r}\n"
            f"c.JupyterHub.ssl_key = {str(other)!r}\n"
        )

        report = hub.doctor(text)

        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        severities = [order[f.severity] for f in report.findings]
        assert severities == sorted(severities)
        assert {"key-mismatch": "error", "ip-wildcard": "warning"}.items() <= codes(report).items()


class TestSslSettings:
    def test_neither_set_is_a_warning(self, hub: Hub) -> None:
        """Without ssl_cert and ssl_key the only finding is an ssl-not-set warning."""
        report = hub.doctor("c.JupyterHub.port = 8000\n")

        assert report.ok
        assert {"ssl-not-set": "warning"} == codes(report)
        assert () == report.chain
        assert report.valid_until is None

    def test_commented_out_is_not_set(self, hub: Hub) -> None:
        """Commented-out assignments (as --generate-config writes them) count as unset."""
        report = hub.doctor("# c.JupyterHub.ssl_cert = ''\n# c.JupyterHub.ssl_key = ''\n")

        assert {"ssl-not-set": "warning"} == codes(report)

    def test_empty_strings_are_not_set(self, hub: Hub) -> None:
        """ssl_cert = '' and ssl_key = '' (JupyterHub's defaults: no TLS) count as unset."""
        report = hub.doctor("c.JupyterHub.ssl_cert = ''\nc.JupyterHub.ssl_key = ''\n")

        assert {"ssl-not-set": "warning"} == codes(report)

    def test_only_cert_is_an_error(self, hub: Hub) -> None:
        """ssl_cert without ssl_key is an ssl-not-set error naming ssl_key."""
        report = hub.doctor(f"c.JupyterHub.ssl_cert = {str(hub.chain)!r}\n")

        assert not report.ok
        assert "error" == codes(report)["ssl-not-set"]
        assert "ssl_key is not set" in message(report, Code.SSL_NOT_SET)

    def test_only_key_is_an_error(self, hub: Hub) -> None:
        """ssl_key without ssl_cert is an ssl-not-set error naming ssl_cert."""
        report = hub.doctor(f"c.JupyterHub.ssl_key = {str(hub.key)!r}\n")

        assert not report.ok
        assert "error" == codes(report)["ssl-not-set"]
        assert "ssl_cert is not set" in message(report, Code.SSL_NOT_SET)

    def test_other_sections_do_not_count(self, hub: Hub) -> None:
        """``c.Spawner.ssl_cert`` is not JupyterHub's ssl_cert."""
        report = hub.doctor(
            f"c.Spawner.ssl_cert = {str(hub.chain)!r}\nc.Spawner.ssl_key = {str(hub.key)!r}\n"
        )

        assert {"ssl-not-set": "warning"} == codes(report)


class TestFiles:
    def test_cert_not_found(self, hub: Hub) -> None:
        """A missing chained file is a file-not-found error naming it."""
        hub.chain.unlink()

        report = hub.doctor(hub.ssl)

        assert "error" == codes(report)["file-not-found"]
        assert str(hub.chain) in message(report, Code.FILE_NOT_FOUND)
        assert () == report.chain

    def test_key_not_found(self, hub: Hub) -> None:
        """A missing key file is a file-not-found error naming it."""
        hub.key.unlink()

        report = hub.doctor(hub.ssl)

        assert not report.ok
        assert "error" == codes(report)["file-not-found"]
        assert "ssl_key" in message(report, Code.FILE_NOT_FOUND)

    @pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
    @pytest.mark.parametrize("which", ["chain", "key"])
    def test_unreadable_by_mode(self, hub: Hub, which: str) -> None:
        """A file this user cannot read (mode 000) is a file-unreadable error."""
        getattr(hub, which).chmod(0)

        report = hub.doctor(hub.ssl)

        assert "error" == codes(report)["file-unreadable"]

    @pytest.mark.parametrize("which", ["chain", "key"])
    def test_unreadable_by_access(
        self, hub: Hub, which: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A file os.access says is unreadable is a file-unreadable error naming it."""
        target = getattr(hub, which)
        real_access = os.access

        def access(path: Any, mode: int, **kwargs: Any) -> bool:
            if Path(path) == target:
                return False
            return real_access(path, mode, **kwargs)

        monkeypatch.setattr(os, "access", access)

        report = hub.doctor(hub.ssl)

        assert "error" == codes(report)["file-unreadable"]
        assert str(target) in message(report, Code.FILE_UNREADABLE)

    def test_cert_is_a_directory(self, hub: Hub) -> None:
        """A chain path naming a folder is a file-unreadable error."""
        text = (
            f"c.JupyterHub.ssl_cert = {str(hub.folder)!r}\n"
            f"c.JupyterHub.ssl_key = {str(hub.key)!r}\n"
        )

        report = hub.doctor(text)

        assert "error" == codes(report)["file-unreadable"]

    def test_cert_is_junk(self, hub: Hub) -> None:
        """A chained file that holds no certificate is a file-unreadable error."""
        hub.chain.write_text("not a certificate\n")

        report = hub.doctor(hub.ssl)

        assert "error" == codes(report)["file-unreadable"]
        assert () == report.chain

    def test_key_file_without_key(self, hub: Hub) -> None:
        """An ssl_key file holding only a certificate is a file-unreadable error."""
        hub.key.write_bytes(hub.hier.leaf.pem)

        report = hub.doctor(hub.ssl)

        assert "error" == codes(report)["file-unreadable"]
        assert "no private key" in message(report, Code.FILE_UNREADABLE)

    def test_relative_paths_resolve_against_config_folder(
        self, hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Relative ssl paths are read from the configuration's folder, not the working one."""
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        monkeypatch.chdir(elsewhere)

        report = hub.doctor("c.JupyterHub.ssl_cert = 'hub-chained.crt'\n"
                            "c.JupyterHub.ssl_key = './hub.key'\n")

        assert {} == codes(report)
        assert report.key is not None

    def test_relative_missing_path_is_named_absolutely(self, hub: Hub) -> None:
        """A relative path that does not exist is reported under the configuration's folder."""
        report = hub.doctor("c.JupyterHub.ssl_cert = 'certs/nope.crt'\n"
                            "c.JupyterHub.ssl_key = 'hub.key'\n")

        assert str(hub.folder / "certs" / "nope.crt") in message(report, Code.FILE_NOT_FOUND)

    def test_home_is_expanded(self, hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
        """A path starting with ~ is read from the home folder."""
        monkeypatch.setenv("HOME", str(hub.folder))

        report = hub.doctor("c.JupyterHub.ssl_cert = '~/hub-chained.crt'\n"
                            "c.JupyterHub.ssl_key = '~/hub.key'\n")

        assert {} == codes(report)


class TestChain:
    def test_missing_intermediate(self, hub: Hub) -> None:
        """A chained file without its intermediate gets verify's missing-issuer error."""
        hub.chain.write_bytes(hub.hier.leaf.pem)

        report = hub.doctor(hub.ssl)

        assert "error" == codes(report)["missing-issuer"]

    def test_wrong_order(self, hub: Hub) -> None:
        """The intermediate first: verify's wrong-order error, and the server refuses the files."""
        hub.chain.write_bytes(hub.hier.intermediate.pem + hub.hier.leaf.pem)

        report = hub.doctor(hub.ssl)

        assert not report.ok
        assert {"wrong-order": "error", "server-refuses": "error"} == codes(report)
        (refused,) = [f for f in report.findings if f.code.value == "server-refuses"]
        assert "KEY_VALUES_MISMATCH" in refused.message
        assert "own rules say why (wrong-order)" in refused.message
        # The fix for what was found, not for the refusal's other cause (a wrong key).
        assert refused.message.endswith(": put the leaf first in the certificate file.")

    def test_root_included(self, hub: Hub) -> None:
        """A chained file ending with the root gets verify's root-included info, and stays ok."""
        hub.chain.write_bytes(hub.hier.leaf.pem + hub.hier.intermediate.pem + hub.hier.root.pem)

        report = hub.doctor(hub.ssl)

        assert report.ok
        assert {"root-included": "info"} == codes(report)

    def test_expired(self, tmp_path: Path, pki: PKI) -> None:
        """A leaf expired at the validation time gets verify's expired error."""
        hier = hierarchy(pki, "hub.example.org", not_after=T0 - dt.timedelta(days=1))
        hub = make_hub(tmp_path / "hub", hier)

        report = hub.doctor(hub.ssl)

        assert "error" == codes(report)["expired"]

    def test_key_mismatch(self, hub: Hub) -> None:
        """A key that does not belong to the leaf is a key-mismatch error."""
        hub.key.write_bytes(key_pem(new_key()))

        report = hub.doctor(hub.ssl)

        assert not report.ok
        assert "error" == codes(report)["key-mismatch"]
        # Python's ssl refuses it too, with the fix for a wrong key alone (the leaf is first).
        (refused,) = [f for f in report.findings if f.code.value == "server-refuses"]
        assert "KEY_VALUES_MISMATCH" in refused.message
        assert refused.message.endswith(": give the leaf's own private key.")

    def test_other_anchor(self, hub: Hub, pki: PKI, tmp_path: Path) -> None:
        """With another root as the only anchor, the intermediate's issuer is missing: an error."""
        other = pki.root("Other Root").write(tmp_path / "other.crt")

        report = hub.doctor(hub.ssl, store=store_from_paths([other]))

        assert not report.ok
        assert {"missing-issuer": "error"} == codes(report)

    def test_warn_days(self, hub: Hub) -> None:
        """warn_days reaches verify: a window past notAfter gives expires-soon."""
        report = hub.doctor(hub.ssl, warn_days=365 * 40)

        assert "warning" == codes(report)["expires-soon"]

    def test_encrypted_key_with_password(self, hub: Hub) -> None:
        """An encrypted key is read with the password given."""
        hub.key.write_bytes(key_pem(hub.hier.leaf.key, PASSWORD))

        report = hub.doctor(hub.ssl, password=PASSWORD)

        assert report.key is not None
        assert "key-mismatch" not in codes(report)
        assert "file-unreadable" not in codes(report)
        assert "error" == codes(report)["key-encrypted"]

    def test_encrypted_key_without_password(self, hub: Hub) -> None:
        """An encrypted key, which JupyterHub cannot use, is named with the fixing command."""
        hub.key.write_bytes(key_pem(hub.hier.leaf.key, PASSWORD))

        report = hub.doctor(hub.ssl)

        assert "error" == codes(report)["key-encrypted"]
        assert "file-unreadable" not in codes(report)
        assert "openssl pkey -in" in message(report, Code.KEY_ENCRYPTED)


class TestHostname:
    def test_from_bind_url(self, hub: Hub) -> None:
        """bind_url's host is checked against the leaf: hub.example.org matches."""
        report = hub.doctor(hub.ssl + "c.JupyterHub.bind_url = 'https://hub.example.org:8443/'\n")

        assert {} == codes(report)

    def test_from_bind_url_mismatch(self, hub: Hub) -> None:
        """A bind_url host the leaf does not cover is a hostname-mismatch error."""
        report = hub.doctor(hub.ssl + "c.JupyterHub.bind_url = 'https://other.example.org/'\n")

        assert "error" == codes(report)["hostname-mismatch"]
        assert "other.example.org" in message(report, Code.HOSTNAME_MISMATCH)

    def test_argument_wins_over_bind_url(self, hub: Hub) -> None:
        """The hostname argument replaces bind_url's host."""
        report = hub.doctor(
            hub.ssl + "c.JupyterHub.bind_url = 'https://hub.example.org/'\n",
            hostname="other.example.org",
        )

        assert "error" == codes(report)["hostname-mismatch"]

    @pytest.mark.parametrize("url", [
        "'https://0.0.0.0:443'", "'https://:443'", "'https://127.0.0.1/'",
        "'https://[::]:443/'", "os.environ['URL']",
    ])
    def test_no_public_host(self, hub: Hub, url: str) -> None:
        """A bind_url without a public host name (or not a literal) checks no hostname."""
        report = hub.doctor(hub.ssl + f"c.JupyterHub.bind_url = {url}\n")

        assert "hostname-mismatch" not in codes(report)


class TestBindUrl:
    def test_unevaluated_bind_url_is_reported(self, hub: Hub) -> None:
        """A bind_url certchain cannot evaluate is reported instead of guessed."""
        text = hub.ssl + "c.JupyterHub.bind_url = os.environ['HUB_URL']\n"

        report = hub.doctor(text)

        assert "warning" == codes(report)["unevaluated-config"]
        assert "bind_url" in message(report, Code.UNEVALUATED_CONFIG)

    def test_hostname_option_needs_no_bind_url(self, hub: Hub) -> None:
        """With --hostname given, an unevaluated bind_url does not matter."""
        text = hub.ssl + "c.JupyterHub.bind_url = os.environ['HUB_URL']\n"

        report = hub.doctor(text, hostname="hub.example.org")

        assert "unevaluated-config" not in codes(report)


class TestKeyPermissions:
    @pytest.mark.parametrize("mode", [0o600, 0o400])
    def test_private_mode(self, hub: Hub, mode: int) -> None:
        """A key readable by its owner only gets no key-permissions finding."""
        hub.key.chmod(mode)

        report = hub.doctor(hub.ssl)

        assert "key-permissions" not in codes(report)

    @pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
    def test_group_or_others(self, hub: Hub, mode: int) -> None:
        """A key readable or writable by group or others is a key-permissions warning with chmod."""
        hub.key.chmod(mode)

        report = hub.doctor(hub.ssl)

        assert report.ok
        assert "warning" == codes(report)["key-permissions"]
        assert f"chmod 600 {hub.key}" in message(report, Code.KEY_PERMISSIONS)
        assert f"{mode:04o}" in message(report, Code.KEY_PERMISSIONS)
        assert stat.S_IMODE(hub.key.stat().st_mode) == mode  # reported, never changed


class TestNetwork:
    def test_ip_wildcard(self, hub: Hub) -> None:
        """c.JupyterHub.ip = '*' is an ip-wildcard warning naming its line."""
        report = hub.doctor(hub.ssl + "c.JupyterHub.ip = '*'\n")

        assert report.ok
        assert {"ip-wildcard": "warning"} == codes(report)
        assert "line 3" in message(report, Code.IP_WILDCARD)

    @pytest.mark.parametrize("ip", ["''", "'0.0.0.0'", "'10.0.0.1'"])
    def test_ip_other(self, hub: Hub, ip: str) -> None:
        """Other ip values give no ip-wildcard warning."""
        report = hub.doctor(hub.ssl + f"c.JupyterHub.ip = {ip}\n")

        assert {} == codes(report)

    @pytest.mark.parametrize("hub_ip", LOOPBACK_HUB_IPS)
    @pytest.mark.parametrize("spawner", REMOTE_SPAWNERS)
    def test_hub_on_loopback_with_remote_spawner(
        self, hub: Hub, spawner: str, hub_ip: str | None
    ) -> None:
        """A remote spawner with hub_ip on loopback (or unset) is a hub-ip-unreachable warning."""
        text = hub.ssl + f"c.JupyterHub.spawner_class = {spawner}\n"
        if hub_ip is not None:
            text += f"c.JupyterHub.hub_ip = {hub_ip}\n"

        report = hub.doctor(text)

        assert report.ok
        assert {"hub-ip-unreachable": "warning"} == codes(report)

    @pytest.mark.parametrize("spawner", REMOTE_SPAWNERS)
    def test_hub_reachable(self, hub: Hub, spawner: str) -> None:
        """hub_ip = '0.0.0.0' with hub_connect_ip gives no hub-ip-unreachable warning."""
        text = hub.ssl + (
            f"c.JupyterHub.spawner_class = {spawner}\n"
            "c.JupyterHub.hub_ip = '0.0.0.0'\n"
            "c.JupyterHub.hub_connect_ip = '10.0.0.5'\n"
        )

        assert {} == codes(hub.doctor(text))

    def test_spawner_class_object(self, hub: Hub) -> None:
        """A spawner class given as an imported name is recognised too."""
        text = hub.ssl + (
            "from dockerspawner import DockerSpawner\n"
            "c.JupyterHub.spawner_class = DockerSpawner\n"
        )

        assert {"hub-ip-unreachable": "warning"} == codes(hub.doctor(text))

    @pytest.mark.parametrize("spawner", [
        None, "'jupyterhub.spawner.LocalProcessSpawner'", "'simple'", "'sudospawner.SudoSpawner'",
    ])
    def test_local_spawner(self, hub: Hub, spawner: str | None) -> None:
        """The default LocalProcessSpawner (and other local ones) need no reachable hub_ip."""
        text = hub.ssl
        if spawner is not None:
            text += f"c.JupyterHub.spawner_class = {spawner}\n"

        assert {} == codes(hub.doctor(text))

    def test_loopback_hub_ip_with_connect_ip(self, hub: Hub) -> None:
        """hub_ip on loopback stays unreachable even with hub_connect_ip set."""
        text = hub.ssl + (
            "c.JupyterHub.spawner_class = 'dockerspawner.DockerSpawner'\n"
            "c.JupyterHub.hub_ip = '127.0.0.1'\n"
            "c.JupyterHub.hub_connect_ip = '10.0.0.5'\n"
        )

        assert {"hub-ip-unreachable": "warning"} == codes(hub.doctor(text))

    def test_unevaluated_hub_ip(self, hub: Hub) -> None:
        """An expression for hub_ip, with a remote spawner, is reported as unevaluated-config."""
        text = hub.ssl + (
            "import os\n"
            "c.JupyterHub.spawner_class = 'dockerspawner.DockerSpawner'\n"
            "c.JupyterHub.hub_ip = os.environ['HUB_IP']\n"
        )

        assert "unevaluated-config" in codes(hub.doctor(text))


class TestUnevaluated:
    def test_cert_expression(self, hub: Hub) -> None:
        """ssl_cert = os.path.join(...) is an unevaluated-config warning; nothing is guessed."""
        text = (
            "import os\n"
            f"d = {str(hub.folder)!r}\n"
            "c.JupyterHub.ssl_cert = os.path.join(d, 'hub-chained.crt')\n"
            f"c.JupyterHub.ssl_key = {str(hub.key)!r}\n"
        )

        report = hub.doctor(text)

        assert {"unevaluated-config": "warning"} == codes(report)
        assert () == report.chain
        found = message(report, Code.UNEVALUATED_CONFIG)
        assert "line 3" in found
        assert "os.path.join(d, 'hub-chained.crt')" in found

    def test_key_expression(self, hub: Hub) -> None:
        """ssl_key = f'...' is an unevaluated-config warning; the chain is still verified."""
        text = (
            f"c.JupyterHub.ssl_cert = {str(hub.chain)!r}\n"
            "c.JupyterHub.ssl_key = f'{KEY_DIR}/hub.key'\n"
        )

        report = hub.doctor(text)

        assert report.ok
        assert "warning" == codes(report)["unevaluated-config"]
        assert "ssl-not-set" not in codes(report)
        assert "file-not-found" not in codes(report)
        assert (hub.hier.leaf.cert, hub.hier.intermediate.cert) == report.chain

    def test_non_string_literal(self, hub: Hub) -> None:
        """A literal that is not a string is not read as a path."""
        report = hub.doctor(
            f"c.JupyterHub.ssl_cert = 42\nc.JupyterHub.ssl_key = {str(hub.key)!r}\n"
        )

        assert "warning" == codes(report)["unevaluated-config"]
        assert "file-not-found" not in codes(report)


class TestStatic:
    def test_never_executes(self, hub: Hub) -> None:
        """Code in the configuration does not run: no sentinel file, no SystemExit."""
        sentinel = hub.folder / "SENTINEL"
        text = f"open({str(sentinel)!r}, 'w').write('ran')\nraise SystemExit(3)\n" + hub.ssl

        report = hub.doctor(text)

        assert not sentinel.exists()
        assert {} == codes(report)

    def test_invalid_python(self, hub: Hub) -> None:
        """A configuration that is not valid Python raises ConfigError and is left alone."""
        text = hub.ssl + "c.JupyterHub.ip = (\n"

        with pytest.raises(ConfigError, match="not valid Python"):
            hub.doctor(text)
        assert text == (hub.folder / "jupyterhub_config.py").read_text(encoding="utf-8")

    def test_missing_config(self, hub: Hub) -> None:
        """A missing configuration raises LoadError naming it."""
        path = hub.folder / "nope.py"

        with pytest.raises(LoadError, match=r"nope\.py"):
            doctor_config(path, policy=Policy(store=store_from_paths([hub.root]), at=T0))

    def test_not_utf8(self, hub: Hub) -> None:
        """A configuration that is not UTF-8 raises LoadError."""
        path = hub.folder / "latin1.py"
        path.write_bytes(b"# caf\xe9\n")

        with pytest.raises(LoadError, match="cannot be read"):
            doctor_config(path, policy=Policy(store=store_from_paths([hub.root]), at=T0))
