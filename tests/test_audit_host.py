"""
``certchain audit`` of a whole fake host: nginx (Debian layout), Apache httpd (RHEL
layout), HAProxy and JupyterHub configurations in their usual places, certbot's
lineages, all found under ``--root`` and judged as ``doctor`` judges them.

The six sites of tests/sitekit.py are spread over the servers; a certbot
lineage that nginx serves is nginx's site, not a row of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostkit import Host, fake_host, tree
from pki import PKI, T0, T0_ISO
from serverkit import HAPROXY_HEAD, nginx_paths, require_binary
from sitekit import EXPECTED, SiteSet, make_sites

from certchain import Policy, store_from_paths
from certchain.audit import audit_host
from certchain.cli import ExitCode, main
from certchain.discovery import discover


class Machine:
    """A fake host with a configuration of each server, and the files they name."""

    def __init__(self, tmp_path: Path, pki: PKI) -> None:
        self.host: Host = fake_host(tmp_path, pki)
        self.sites: SiteSet = make_sites(pki, tmp_path / "srv")
        self.root = self.host.root
        self.served = self.host.add_lineage("served.example.org")  # nginx serves it
        self.host.add_lineage("alone.example.org")
        self._nginx(tmp_path / "run")
        self._apache()
        self._haproxy()
        self._jupyterhub()

    def write(self, where: str, text: str) -> Path:
        path = self.root / where
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def _nginx(self, run: Path) -> None:
        run.mkdir()
        enabled = self.root / "etc/nginx/sites-enabled"
        blocks = {name: (self.sites[name].host, self.sites[name].chain, self.sites[name].key)
                  for name in ("good", "order", "uncovered")}
        blocks["served"] = ("served.example.org", self.served / "fullchain.pem",
                            self.served / "privkey.pem")
        for name, (host, chain, key) in blocks.items():
            self.write(f"etc/nginx/sites-enabled/{name}.conf", f"""\
server {{
    listen 127.0.0.1:8443 ssl;
    server_name {host};
    ssl_certificate "{chain}";
    ssl_certificate_key "{key}";
}}
""")
        self.write("etc/nginx/nginx.conf", f"""\
pid "{run}/nginx.pid";
error_log "{run}/error.log";
events {{ worker_connections 64; }}
http {{
{nginx_paths(run)}    include {enabled}/*.conf;
}}
""")

    def _apache(self) -> None:
        for name in ("missing", "expired"):
            site = self.sites[name]
            self.write(f"etc/httpd/conf.d/{name}.conf", f"""\
<VirtualHost 127.0.0.1:8444>
    ServerName {site.host}
    SSLEngine on
    SSLCertificateFile "{site.chain}"
    SSLCertificateKeyFile "{site.key}"
</VirtualHost>
""")
        self.write("etc/httpd/conf/httpd.conf", f"""\
ServerRoot "{self.root / 'etc/httpd'}"
IncludeOptional conf.d/*.conf
""")

    def _haproxy(self) -> None:
        mismatch = self.sites["mismatch"]
        listing = self.write("etc/haproxy/list.txt", f"{mismatch.combined} {mismatch.host}\n")
        self.write("etc/haproxy/haproxy.cfg", HAPROXY_HEAD + f"""\
frontend web
    bind 127.0.0.1:8445 ssl crt-list {listing}
""")

    def _jupyterhub(self) -> None:
        good = self.sites["good"]
        self.write("etc/jupyterhub/jupyterhub_config.py", f"""\
c.JupyterHub.bind_url = "https://{good.host}:8000"
c.JupyterHub.ssl_cert = "{good.chain}"
c.JupyterHub.ssl_key = "{good.key}"
""")

    def policy(self) -> Policy:
        return Policy(store=store_from_paths([self.sites.root, self.host.trust]), at=T0)

    def trust(self) -> list[str]:
        return ["--trust", str(self.sites.root), "--trust", str(self.host.trust)]


@pytest.fixture
def machine(tmp_path: Path, pki: PKI) -> Machine:
    return Machine(tmp_path, pki)


class TestLibrary:
    def test_every_server_is_found(self, machine: Machine) -> None:
        """nginx, Apache's RHEL layout, HAProxy, JupyterHub and both lineages are found."""
        servers = [found.server for found in discover(machine.root)]

        assert servers == ["nginx", "apache", "haproxy", "jupyterhub", "certbot", "certbot"]

    def test_each_site_has_its_finding(self, machine: Machine) -> None:
        """Each site of each server has the error its files deserve; good sites none."""
        result = audit_host(policy=machine.policy(), root=machine.root)

        files = {machine.sites[n].chain: n for n in EXPECTED}
        files |= {machine.sites[n].combined: n for n in EXPECTED}
        for audit in result.sites:
            codes = {f.code.value for f in audit.findings if f.severity.value == "error"}
            expected = EXPECTED.get(files.get(audit.site.chain, ""))
            if expected is None:
                assert codes == set(), (audit.site, codes)
            else:
                assert expected in codes, (audit.site, codes)
        assert {a.site.server for a in result.sites} == {
            "nginx", "apache", "haproxy", "jupyterhub", "certbot"}
        assert len(result.sites) == 9
        assert not result.ok and not result.unreadable

    def test_a_lineage_nginx_serves_is_one_site(self, machine: Machine) -> None:
        """served.example.org is nginx's site; the lineage nobody serves is certbot's."""
        result = audit_host(policy=machine.policy(), root=machine.root)

        names = [(a.site.server, a.site.name) for a in result.sites]
        assert ("nginx", "served.example.org") in names
        assert ("certbot", "served.example.org") not in names
        assert ("certbot", "alone.example.org") in names

    def test_parallel_gives_what_serial_gives(self, machine: Machine) -> None:
        """Judged on two cores or on one, the audit is the same."""
        serial = audit_host(policy=machine.policy(), root=machine.root, workers=1)
        parallel = audit_host(policy=machine.policy(), root=machine.root, workers=2)

        assert parallel == serial


class TestCommand:
    def test_table_of_the_whole_host(self, runner: CliRunner, machine: Machine) -> None:
        """One row per site of every server, a summary, exit 1 (some sites are broken)."""
        result = runner.invoke(main, ["audit", "--root", str(machine.root), *machine.trust(),
                                      "--at", T0_ISO])

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        rows = result.stdout.splitlines()
        assert rows[0].split()[:3] == ["SERVER", "SITE", "FILE"]
        servers = {row.split()[0] for row in rows[1:] if row.split()[0] in
                   ("nginx", "apache", "haproxy", "jupyterhub", "certbot")}
        assert servers == {"nginx", "apache", "haproxy", "jupyterhub", "certbot"}
        assert rows[-1].startswith("9 sites: 4 ok, 0 with warnings, 5 with errors; first expiry ")

    def test_json_and_metrics_agree(
        self, runner: CliRunner, machine: Machine, tmp_path: Path
    ) -> None:
        """Every site's JSON verdict is its certchain_chain_ok; nothing else is written."""
        from prometheus_client.parser import text_string_to_metric_families

        before = tree(machine.root)
        out = tmp_path / "certchain.prom"
        result = runner.invoke(main, ["audit", "--root", str(machine.root), *machine.trust(),
                                      "--at", T0_ISO, "--json", "--prometheus", str(out)])

        sites = [json.loads(line) for line in result.stdout.splitlines()]
        families = {f.name: f for f in text_string_to_metric_families(out.read_text())}
        ok = {(s.labels["server"], s.labels["site"]): s.value
              for s in families["certchain_chain_ok"].samples}
        assert {(d["server"], d["site"]): float(d["ok"]) for d in sites if d["site"]} == ok
        assert tree(machine.root) == before


class TestConfigurationFindings:
    @pytest.fixture
    def plain(self, machine: Machine) -> Path:
        """An nginx configuration that serves no TLS site (ssl-not-set, about it as a whole)."""
        return machine.write("etc/nginx/plain.conf", "events {}\nhttp {\n    server {\n"
                                                      "        listen 127.0.0.1:8080;\n    }\n}\n")

    def test_text(self, runner: CliRunner, machine: Machine, plain: Path) -> None:
        """After the table, the configuration's own findings under its server and path."""
        lineage = machine.host.lineages["alone.example.org"]
        result = runner.invoke(main, ["audit", str(plain), str(lineage), *machine.trust(),
                                      "--at", T0_ISO])

        lines = result.stdout.splitlines()
        start = lines.index(f"nginx {plain} as a whole:")
        assert lines[start + 1].split()[:2] == ["warning", "ssl-not-set:"]
        assert lines[-1].startswith(
            "1 site: 1 ok, 0 with warnings, 0 with errors, findings about 1 configuration as a "
            "whole;")
        assert result.exit_code == ExitCode.OK

    def test_json_and_metrics(
        self, runner: CliRunner, machine: Machine, plain: Path, tmp_path: Path
    ) -> None:
        """--json: an object with the site keys and site null; a metric of its own."""
        from prometheus_client.parser import text_string_to_metric_families

        out = tmp_path / "c.prom"
        result = runner.invoke(main, ["audit", str(plain), *machine.trust(), "--at", T0_ISO,
                                      "--json", "--prometheus", str(out)])

        (doc,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert (doc["server"], doc["site"], doc["config"]) == ("nginx", None, str(plain))
        assert [f["code"] for f in doc["findings"]] == ["ssl-not-set"]
        families = {f.name: f for f in text_string_to_metric_families(out.read_text())}
        (sample,) = families["certchain_config_findings"].samples
        assert sample.labels == {"server": "nginx", "config": str(plain),
                                 "code": "ssl-not-set", "severity": "warning"}
        assert sample.value == 1.0

    def test_fail_on_applies(self, runner: CliRunner, machine: Machine, plain: Path) -> None:
        """--fail-on warning makes a configuration's warning an error too: exit 1."""
        result = runner.invoke(main, ["audit", str(plain), *machine.trust(), "--at", T0_ISO,
                                      "--fail-on", "warning", "-q"])

        assert result.exit_code == ExitCode.CHAIN_PROBLEM
        assert result.stdout.startswith(f"nginx {plain}: error ssl-not-set: ")


class TestBadConfigurations:
    def one_error_line(self, runner: CliRunner, machine: Machine, path: Path) -> str:
        """Audit *path* alone: exit 2, nothing on stdout, one Error: line, returned."""
        result = runner.invoke(main, ["audit", str(path), *machine.trust(), "--at", T0_ISO])

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith("Error: ")
        return line

    def test_a_configuration_its_server_rejects(
        self, runner: CliRunner, machine: Machine
    ) -> None:
        """nginx -t refuses the configuration: reported as such, exit 2, one line."""
        require_binary("nginx")
        conf = machine.root / "etc/nginx/nginx.conf"
        conf.write_text(conf.read_text().replace("events {", "no_such_directive on;\nevents {"))

        line = self.one_error_line(runner, machine, conf)

        assert "nginx -t refuses this configuration" in line and str(conf) in line

    def test_an_include_loop(self, runner: CliRunner, machine: Machine) -> None:
        """A configuration that includes itself: exit 2, one line naming it."""
        conf = machine.root / "etc/httpd/conf/httpd.conf"
        conf.write_text(conf.read_text() + f'Include "{conf}"\n')

        line = self.one_error_line(runner, machine, conf)

        assert str(conf) in line

    def test_the_others_are_still_audited(self, runner: CliRunner, machine: Machine) -> None:
        """A rejected configuration on the host: its line, the other servers' rows, exit 2."""
        conf = machine.root / "etc/httpd/conf/httpd.conf"
        conf.write_text(conf.read_text() + f'Include "{conf}"\n')

        result = runner.invoke(main, ["audit", "--root", str(machine.root), *machine.trust(),
                                      "--at", T0_ISO])

        assert result.exit_code == ExitCode.BAD_INPUT
        assert result.stderr.count("Error: ") == 1
        assert "nginx " in result.stdout and "haproxy " in result.stdout
        assert "apache " not in result.stdout
        assert ", 1 input unreadable" in result.stdout.splitlines()[-1]

    def test_a_glob_that_matches_nothing_is_fine(
        self, runner: CliRunner, machine: Machine
    ) -> None:
        """An include glob that matches no file is no error, as nginx says."""
        conf = machine.root / "etc/nginx/nginx.conf"
        conf.write_text(conf.read_text().replace(
            "include", f"include {machine.root}/etc/nginx/conf.d/*.conf;\n    include"))

        result = runner.invoke(main, ["audit", str(conf), *machine.trust(), "--at", T0_ISO])

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output  # order, uncovered
        assert result.stderr == ""
