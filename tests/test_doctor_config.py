"""
``doctor.doctor_config`` and ``certchain doctor`` for every server: recognition, output, bad input.

The sites' files come from tests/sitekit.py; configurations are written by
hand under ``tmp_path``.  Real servers are in test_doctor_servers.py; here
the server's own check is off (``server_check=False``) except where a test
says so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pki import PKI, T0, T0_ISO
from sitekit import SiteSet, make_sites

from certchain import Policy, store_from_paths
from certchain.cli import ExitCode, main
from certchain.doctor import doctor_config
from certchain.errors import ConfigError
from certchain.findings import Code
from certchain.serverconf import read_server_config, recognise
from certchain.sites import ConfigResult


@pytest.fixture
def sites(pki: PKI, tmp_path: Path) -> SiteSet:
    """Two sites' files: good and uncovered."""
    return make_sites(pki, tmp_path / "tls", ("good", "uncovered"))


def nginx_conf(folder: Path, sites: SiteSet, *names: str, extra: str = "") -> Path:
    """A fragment of nginx server blocks (no events: the server's check is not run on it)."""
    blocks = "".join(
        f"server {{\n  listen 443 ssl;\n  server_name {sites[n].host};\n"
        f"  ssl_certificate {sites[n].chain};\n  ssl_certificate_key {sites[n].key};\n}}\n"
        for n in names
    )
    path = folder / "sites.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(blocks + extra)
    return path


def run(runner: CliRunner, sites: SiteSet, *args: object) -> Result:
    return runner.invoke(main, ["doctor", *(str(a) for a in args), "--trust", str(sites.root),
                                "--at", T0_ISO])


def check(path: Path, sites: SiteSet, **options: object) -> ConfigResult:
    options.setdefault("server_check", False)
    return doctor_config(path, policy=Policy(store=store_from_paths([sites.root]), at=T0),
                         **options)  # type: ignore[arg-type]


class TestRecognise:
    @pytest.mark.parametrize(("name", "text", "server"), [
        ("jupyterhub_config.py", "c.JupyterHub.ssl_cert = 'a.crt'\n", "jupyterhub"),
        ("hub.conf", "c = get_config()\nc.JupyterHub.bind_url = 'https://x'\n", "jupyterhub"),
        ("site", "server {\n  listen 443 ssl;\n  server_name a;\n}\n", "nginx"),
        ("site", "<VirtualHost *:443>\n  ServerName a\n  SSLEngine on\n</VirtualHost>\n",
         "apache"),
        ("lb", "frontend web\n    bind :443 ssl crt /a.pem\n", "haproxy"),
        ("httpd.conf", "Listen 80\n", "apache"),
    ])
    def test_by_content(self, name: str, text: str, server: str) -> None:
        """Each server's configuration is told from its content (and its name)."""
        assert server == recognise(Path(name), text)

    def test_unknown(self) -> None:
        """Text like no server's configuration is a ConfigError asking for --type."""
        with pytest.raises(ConfigError, match="--type"):
            recognise(Path("notes.txt"), "hello\n")

    def test_type_forces(self, tmp_path: Path) -> None:
        """A server named explicitly is read as that server's, whatever the content."""
        path = tmp_path / "odd.cfg"
        path.write_text("# nothing yet\n")

        assert "apache" == read_server_config(path, server="apache").server


class TestLibrary:
    def test_one_result_for_every_site(self, sites: SiteSet, tmp_path: Path) -> None:
        """Every site gets a SiteResult; the configuration's result is an error when one is."""
        conf = nginx_conf(tmp_path, sites, "good", "uncovered")

        result = check(conf, sites)

        assert "nginx" == result.config.server
        assert [True, False] == [s.ok for s in result.sites]
        assert not result.ok
        assert Code.HOSTNAME_MISMATCH in {f.code for f in result.sites[1].report.findings}

    def test_jupyterhub_is_one_site(self, sites: SiteSet, tmp_path: Path) -> None:
        """A jupyterhub_config.py is one site, judged the same way."""
        conf = tmp_path / "jupyterhub_config.py"
        conf.write_text(f"c.JupyterHub.ssl_cert = {str(sites['good'].chain)!r}\n"
                        f"c.JupyterHub.ssl_key = {str(sites['good'].key)!r}\n"
                        "c.JupyterHub.bind_url = 'https://good.example.org'\n")

        result = check(conf, sites)

        (hub,) = result.sites
        assert ("jupyterhub", ("good.example.org",)) == (hub.site.server, hub.site.names)
        assert result.ok

    def test_server_check_refusal_is_a_site_finding(
        self, sites: SiteSet, tmp_path: Path
    ) -> None:
        """With nginx installed, nginx -t refusing a site's files is server-refuses on it."""
        if not os.path.exists("/usr/sbin/nginx"):
            pytest.skip("nginx is not installed")
        conf = tmp_path / "nginx.conf"
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        conf.write_text(f'pid "{run_dir}/pid";\nerror_log "{run_dir}/error.log";\n'
                        f"events {{}}\nhttp {{\n  access_log off;\n  include sites.conf;\n}}\n")
        nginx_conf(tmp_path, sites, "good")
        (tmp_path / "sites.conf").write_text(
            (tmp_path / "sites.conf").read_text().replace(str(sites["good"].key),
                                                          str(sites["uncovered"].key)))

        result = check(conf, sites, server_check=True)

        (site,) = result.sites
        (refused,) = [f for f in site.report.findings
                      if f.code is Code.SERVER_REFUSES and f.message.startswith("nginx -t")]
        assert "key values mismatch" in refused.message


class TestCli:
    def test_good_sites_exit_0(self, runner: CliRunner, sites: SiteSet, tmp_path: Path) -> None:
        """A configuration whose every site is good exits 0 and says so."""
        conf = nginx_conf(tmp_path, sites, "good")

        result = run(runner, sites, conf)

        assert ExitCode.OK == result.exit_code, result.output
        assert result.stdout.startswith(f"{conf}: nginx, 1 TLS site, 1 file read\n")
        assert "nginx site good.example.org" in result.stdout
        assert "OK: 1 of 1 site pass." in result.stdout

    def test_quiet_names_the_site(
        self, runner: CliRunner, sites: SiteSet, tmp_path: Path
    ) -> None:
        """--quiet prints only error lines, each naming the site and where it is."""
        conf = nginx_conf(tmp_path, sites, "good", "uncovered")

        result = run(runner, sites, conf, "-q")

        assert ExitCode.CHAIN_PROBLEM == result.exit_code
        (line,) = result.stdout.splitlines()
        assert line.startswith(f"nginx site uncovered.example.org ({conf}:10): error "
                               "hostname-mismatch:")

    def test_type_option(self, runner: CliRunner, sites: SiteSet, tmp_path: Path) -> None:
        """--type reads the file as that server's configuration."""
        conf = tmp_path / "lb"
        conf.write_text(f"frontend web\n    bind :443 ssl crt {sites['good'].combined}\n")

        result = run(runner, sites, conf, "--type", "haproxy", "--json")

        assert ExitCode.OK == result.exit_code, result.output
        (doc,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert ("haproxy", "frontend web: good.pem") == (doc["server"], doc["site"])

    def test_configuration_findings_line(
        self, runner: CliRunner, sites: SiteSet, tmp_path: Path
    ) -> None:
        """A configuration with no TLS site prints one JSON object for itself, site null."""
        conf = tmp_path / "plain.conf"
        conf.write_text("server {\n  listen 80;\n  server_name a;\n}\n")

        result = run(runner, sites, conf, "--json")

        assert ExitCode.OK == result.exit_code, result.output
        (doc,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert doc["site"] is None
        assert ["ssl-not-set"] == [f["code"] for f in doc["findings"]]

    def test_unreadable_include_exits_2(
        self, runner: CliRunner, sites: SiteSet, tmp_path: Path
    ) -> None:
        """An include that cannot be read is exit 2, one line naming file and line."""
        conf = nginx_conf(tmp_path, sites, "good", extra="include odd;\n")
        (tmp_path / "odd").mkdir()

        result = run(runner, sites, conf)

        assert ExitCode.BAD_INPUT == result.exit_code, result.output
        assert "" == result.stdout
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"Error: {conf}:7: include names {tmp_path / 'odd'}, which is a "
                               "directory")

    def test_glob_matching_nothing_is_fine(
        self, runner: CliRunner, sites: SiteSet, tmp_path: Path
    ) -> None:
        """An include glob that matches nothing changes nothing."""
        conf = nginx_conf(tmp_path, sites, "good", extra="include none/*.conf;\n")

        result = run(runner, sites, conf)

        assert ExitCode.OK == result.exit_code, result.output

    def test_unknown_server_exits_2(
        self, runner: CliRunner, sites: SiteSet, tmp_path: Path
    ) -> None:
        """A file like no server's configuration is exit 2, asking for --type."""
        conf = tmp_path / "notes.txt"
        conf.write_text("hello\n")

        result = run(runner, sites, conf)

        assert ExitCode.BAD_INPUT == result.exit_code
        assert "--type" in result.stderr

    def test_from_server_with_another_type(
        self, runner: CliRunner, sites: SiteSet, tmp_path: Path
    ) -> None:
        """--from-server goes with nginx only: a usage error otherwise."""
        result = run(runner, sites, tmp_path / "x", "--from-server", "--type", "apache")

        assert ExitCode.BAD_INPUT == result.exit_code
        assert "--from-server" in result.stderr

    def test_apache_unevaluated_variable(
        self, runner: CliRunner, sites: SiteSet, tmp_path: Path
    ) -> None:
        """An Apache ${VAR} nothing defines is an unevaluated-config warning in the output."""
        conf = tmp_path / "site.conf"
        conf.write_text(
            "<VirtualHost *:443>\n  ServerName good.example.org\n  SSLEngine on\n"
            f"  SSLCertificateFile {sites['good'].chain}\n"
            "  SSLCertificateKeyFile ${KEY_DIR}/good.key\n</VirtualHost>\n")

        result = run(runner, sites, conf, "--json")

        (doc,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert {"unevaluated-config": "warning"} == {
            f["code"]: f["severity"] for f in doc["findings"]}
        assert ExitCode.OK == result.exit_code, result.output
