"""
``certchain doctor`` on real nginx, Apache httpd and HAProxy configurations.

Each server gets a configuration of six sites through includes (nginx and
httpd: a folder of site files; HAProxy: a crt directory and a crt-list),
one per case of tests/sitekit.py: a good site, a wrong-order chain, a
missing intermediate, an expired leaf (at ``T0``), a key that does not
match, a name the leaf does not cover.  The server's own check
(``nginx -t``, ``apache2 -t``, ``haproxy -c``) runs on the same files:
doctor's verdict on every site matches what the server says, and the
servable sites are then served by the running server on 127.0.0.1, each
sending, for its name, the chain doctor read for that site.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding
from pki import PKI, T0, T0_ISO
from serverkit import (
    HAPROXY_HEAD,
    IO_TIMEOUT,
    LOOPBACK,
    Launch,
    Servers,
    nginx_paths,
    pem_certificates,
    require_binary,
    require_file,
    served_chain,
)
from sitekit import EXPECTED, SERVABLE, SITES, SiteSet, make_sites

from certchain import Policy, store_from_paths
from certchain.cli import ExitCode, main
from certchain.doctor import doctor_config
from certchain.errors import ConfigError
from certchain.findings import Code
from certchain.sites import ConfigResult

APACHE_MODULES = Path("/usr/lib/apache2/modules")
UNUSED_PORT = 9  # the configurations doctor reads without a server: never bound


# ---------------------------------------------------------------- the servers


class Nginx:
    """nginx.conf includes sites/*.conf, one server block per site."""

    name = "nginx"
    refused: ClassVar[set[str]] = {"order", "mismatch"}  # nginx -t stops at the first one

    def __init__(self) -> None:
        self.binary = require_binary("nginx")

    def write(self, folder: Path, sites: SiteSet, names: tuple[str, ...], port: int) -> Path:
        run = folder / "run"
        run.mkdir(parents=True, exist_ok=True)
        (folder / "sites").mkdir(exist_ok=True)
        for old in (folder / "sites").glob("*.conf"):
            old.unlink()
        for name in names:
            site = sites[name]
            (folder / "sites" / f"{name}.conf").write_text(f"""\
server {{
    listen {LOOPBACK}:{port} ssl;
    server_name {site.host};
    ssl_certificate "{site.chain}";
    ssl_certificate_key "{site.key}";
    location / {{ return 200 "ok\\n"; }}
}}
""")
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = folder / "nginx.conf"
        conf.write_text(f"""\
{user}daemon off;
worker_processes 1;
pid "{run}/nginx.pid";
error_log "{run}/error.log" info;
events {{ worker_connections 64; }}
http {{
{nginx_paths(run)}    include sites/*.conf;
    include optional/*.conf;
}}
""")
        return conf

    def check(self, conf: Path) -> list[str]:
        return [self.binary, "-t", "-c", str(conf)]

    def launch(self, conf: Path) -> Launch:
        return Launch(check=self.check(conf), check_ok="test is successful",
                      run=[self.binary, "-c", str(conf)])


class Apache:
    """httpd.conf includes sites/*.conf, one <VirtualHost> per site."""

    name = "apache2"
    refused: ClassVar[set[str]] = set()  # apache2 -t does not load the certificates

    def __init__(self) -> None:
        self.binary = require_binary("apache2")
        self.modules = {
            name: require_file(APACHE_MODULES / f"mod_{stem}.so", f"Apache's mod_{stem}")
            for name, stem in [("mpm_event_module", "mpm_event"),
                               ("authz_core_module", "authz_core"), ("ssl_module", "ssl")]
        }

    def write(self, folder: Path, sites: SiteSet, names: tuple[str, ...], port: int) -> Path:
        run = folder / "run"
        (run / "www").mkdir(parents=True, exist_ok=True)
        (folder / "sites").mkdir(exist_ok=True)
        for old in (folder / "sites").glob("*.conf"):
            old.unlink()
        for name in names:
            site = sites[name]
            (folder / "sites" / f"{name}.conf").write_text(f"""\
<VirtualHost {LOOPBACK}:{port}>
    ServerName {site.host}
    SSLEngine on
    SSLCertificateFile "{site.chain}"
    SSLCertificateKeyFile "{site.key}"
</VirtualHost>
""")
        loads = "".join(f'LoadModule {n} "{p}"\n' for n, p in self.modules.items())
        nobody = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
        user = f'User nobody\nGroup "#{nobody.pw_gid}"\n' if nobody else ""
        conf = folder / "httpd.conf"
        conf.write_text(f"""\
ServerRoot "{folder}"
{loads}{user}ServerName localhost
Listen {LOOPBACK}:{port}
PidFile "{run}/httpd.pid"
ErrorLog "{run}/error.log"
DefaultRuntimeDir "{run}"
Mutex file:{run} default
DocumentRoot "{run}/www"
StartServers 1
Include sites/*.conf
IncludeOptional optional/*.conf
""")
        return conf

    def check(self, conf: Path) -> list[str]:
        return [self.binary, "-t", "-f", str(conf)]

    def launch(self, conf: Path) -> Launch:
        return Launch(check=self.check(conf), check_ok="Syntax OK",
                      run=[self.binary, "-DFOREGROUND", "-f", str(conf)],
                      logs=[conf.parent / "run" / "error.log"])


class HAProxy:
    """haproxy.cfg: the good site from a crt directory, the others from a crt-list."""

    name = "haproxy"
    refused: ClassVar[set[str]] = {"order", "mismatch"}

    def __init__(self) -> None:
        self.binary = require_binary("haproxy")

    def write(self, folder: Path, sites: SiteSet, names: tuple[str, ...], port: int) -> Path:
        direct = folder / "direct"
        direct.mkdir(parents=True, exist_ok=True)
        lines = []
        for name in names:
            if name == "good":
                (direct / "good.pem").write_bytes(sites[name].combined.read_bytes())
                (direct / "good.pem").chmod(0o600)
            else:
                lines.append(f"{sites[name].combined} {sites[name].host}\n")
        (folder / "list.txt").write_text("".join(lines))
        conf = folder / "haproxy.cfg"
        conf.write_text(HAPROXY_HEAD + f"""\
frontend web
    bind {LOOPBACK}:{port} ssl crt {direct}/ crt-list {folder / "list.txt"}
    http-request return status 200 content-type text/plain string ok
""")
        return conf

    def check(self, conf: Path) -> list[str]:
        return [self.binary, "-c", "-f", str(conf)]

    def launch(self, conf: Path) -> Launch:
        return Launch(check=self.check(conf), check_ok="Configuration file is valid",
                      run=[self.binary, "-db", "-f", str(conf)])


Server = Nginx | Apache | HAProxy


def server_check(server: Server, conf: Path) -> subprocess.CompletedProcess[str]:
    """The server's own check of *conf*, run from its folder."""
    return subprocess.run(server.check(conf), capture_output=True, text=True,
                          timeout=IO_TIMEOUT, cwd=conf.parent, stdin=subprocess.DEVNULL)


def doctor(conf: Path, sites: SiteSet) -> ConfigResult:
    return doctor_config(conf, policy=Policy(store=store_from_paths([sites.root]), at=T0))


def by_host(result: ConfigResult, sites: SiteSet) -> dict[str, set[str]]:
    """{site case: codes of its errors}, matched by the chain file each site names."""
    files = {sites[n].chain: n for n in sites.sites} | {sites[n].combined: n for n in sites.sites}
    found = {}
    for site in result.sites:
        chain = site.site.chain
        assert chain is not None
        name = files.get(chain) or chain.stem  # HAProxy's crt directory holds a copy
        found[name] = {f.code.value for f in site.report.findings
                       if f.severity.value == "error"}
    return found


def refused_by_check(result: ConfigResult) -> set[str]:
    """The sites (by file stem) whose files the server's own check refused."""
    return {
        site.site.chain.stem for site in result.sites if site.site.chain is not None
        for f in site.report.findings
        if f.code is Code.SERVER_REFUSES and f.message.startswith(("nginx -t", "haproxy -c"))
    }


# ---------------------------------------------------------------- the contract


class DoctorContract:
    """doctor on one server's six-site configuration; a subclass per server names it."""

    server_class: ClassVar[type[Server]]

    @pytest.fixture
    def server(self) -> Server:
        return self.server_class()

    @pytest.fixture
    def sites(self, pki: PKI, tmp_path: Path) -> SiteSet:
        return make_sites(pki, tmp_path / "tls")

    def test_every_site_judged_as_the_server_judges(
        self, server: Server, sites: SiteSet, tmp_path: Path
    ) -> None:
        """Six sites through includes: each has its finding; the server's check agrees."""
        conf = server.write(tmp_path / "conf", sites, SITES, UNUSED_PORT)

        result = doctor(conf, sites)
        checked = server_check(server, conf)

        found = by_host(result, sites)
        assert set(SITES) == set(found)
        for name in SITES:
            expected = EXPECTED[name]
            assert (expected in found[name]) if expected else found[name] == set(), name
        refused = refused_by_check(result)
        said = checked.stdout + checked.stderr
        if server.refused:
            assert checked.returncode != 0, said
            assert refused, said
            assert refused <= server.refused
            for name in refused:
                assert str(sites[name].key if server.name == "nginx" else sites[name].combined
                           ) in said
        else:
            assert checked.returncode == 0 and refused == set(), said
        assert not result.ok

    def test_cli_reports_every_site(
        self, server: Server, sites: SiteSet, tmp_path: Path, runner: CliRunner
    ) -> None:
        """The CLI prints one JSON object per site, exits 1, and names each site and file."""
        conf = server.write(tmp_path / "conf", sites, SITES, UNUSED_PORT)

        result = runner.invoke(main, ["doctor", str(conf), "--trust", str(sites.root),
                                      "--at", T0_ISO, "--json"])
        text = runner.invoke(main, ["doctor", str(conf), "--trust", str(sites.root),
                                    "--at", T0_ISO])

        assert ExitCode.CHAIN_PROBLEM == result.exit_code, result.output
        docs = [json.loads(line) for line in result.stdout.splitlines()]
        assert 6 == len(docs)
        assert {str(conf)} == {d["file"] for d in docs}
        assert 1 == sum(d["ok"] for d in docs)
        assert all(d["where"] and d["chain_file"] for d in docs)
        assert ExitCode.CHAIN_PROBLEM == text.exit_code
        assert "FAIL: 1 of 6 sites pass." in text.stdout
        assert "" == result.stderr

    def test_served_chains_are_the_ones_doctor_read(
        self, server: Server, sites: SiteSet, tmp_path: Path, servers: Servers, openssl: str,
    ) -> None:
        """The running server sends, for each site's name, the chain doctor read for that site."""
        folder = tmp_path / "conf"
        confs: dict[int, Path] = {}

        def configure(port: int) -> Launch:
            confs[port] = server.write(folder, sites, SERVABLE, port)
            return server.launch(confs[port])

        started = servers.start(server.name, configure)
        result = doctor(confs[started.port], sites)

        assert {Code.SERVER_REFUSES} & {f.code for s in result.sites
                                       for f in s.report.findings} == set()
        verdicts = {}
        for site in result.sites:
            chain = site.site.chain
            assert chain is not None
            name = chain.stem
            sent = served_chain(openssl, started.port, sites[name].host)
            assert pem_certificates(chain) == sent, name
            assert sites[name].leaf.cert.public_bytes(Encoding.DER) == sent[0]
            verdicts[name] = site.ok
        assert {"good": True, "missing": False, "expired": False, "uncovered": False} == verdicts

    def test_refused_configuration_exits_2(
        self, server: Server, sites: SiteSet, tmp_path: Path, runner: CliRunner
    ) -> None:
        """A configuration the server itself refuses is exit 2, one line quoting the server."""
        conf = server.write(tmp_path / "conf", sites, ("good",), UNUSED_PORT)
        optional = conf.parent / "optional"
        optional.mkdir()
        bad = {"nginx": "ssl_certificat x;\n", "apache2": "SSLCertificatFile x\n",
               "haproxy": ""}[server.name]
        if server.name == "haproxy":
            conf.write_text(conf.read_text() + "    no-such-keyword on\n")
        else:
            (optional / "bad.conf").write_text(bad)

        with pytest.raises(ConfigError, match="refuses this configuration"):
            doctor(conf, sites)
        result = runner.invoke(main, ["doctor", str(conf), "--trust", str(sites.root),
                                      "--at", T0_ISO])

        assert ExitCode.BAD_INPUT == result.exit_code, result.output
        assert "" == result.stdout
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"Error: {conf}: ")
        assert "refuses this configuration" in line
        assert "Traceback" not in result.output


class TestNginx(DoctorContract):
    server_class = Nginx

    def test_from_server_reads_nginx_dump(
        self, server: Server, sites: SiteSet, tmp_path: Path, runner: CliRunner
    ) -> None:
        """--from-server reads what nginx -T prints: the same sites as the files."""
        conf = server.write(tmp_path / "conf", sites, SERVABLE, UNUSED_PORT)

        result = runner.invoke(main, ["doctor", str(conf), "--from-server", "--trust",
                                      str(sites.root), "--at", T0_ISO, "--json"])

        assert ExitCode.CHAIN_PROBLEM == result.exit_code, result.output
        docs = [json.loads(line) for line in result.stdout.splitlines()]
        assert {sites[n].host for n in SERVABLE} == {d["site"] for d in docs}
        assert {str(conf.parent / "sites" / f"{n}.conf") for n in SERVABLE} == {
            d["where"].rsplit(":", 1)[0] for d in docs}

    def test_include_loop_exits_2(
        self, server: Server, sites: SiteSet, tmp_path: Path, runner: CliRunner
    ) -> None:
        """An include loop (nginx itself crashes on it) is exit 2, naming file and line."""
        conf = server.write(tmp_path / "conf", sites, ("good",), UNUSED_PORT)
        (conf.parent / "optional").mkdir()
        (conf.parent / "optional" / "loop.conf").write_text("include optional/loop.conf;\n")

        result = runner.invoke(main, ["doctor", str(conf), "--trust", str(sites.root)])

        assert ExitCode.BAD_INPUT == result.exit_code, result.output
        (line,) = result.stderr.splitlines()
        assert f"{conf.parent / 'optional' / 'loop.conf'}:1: include loop" in line


class TestApache(DoctorContract):
    server_class = Apache

    def test_chain_file_is_sent_after_the_leaf(
        self, server: Apache, sites: SiteSet, tmp_path: Path, servers: Servers, openssl: str,
    ) -> None:
        """SSLCertificateChainFile: httpd sends the leaf, then that file, as doctor reads it."""
        good = sites["good"]
        leaf = good.leaf.write(sites.folder / "leaf.crt")
        full = good.chain.read_bytes()
        chain_file = sites.folder / "inter.crt"
        chain_file.write_bytes(full[len(good.leaf.pem):])
        folder = tmp_path / "conf"
        confs: dict[int, Path] = {}

        def configure(port: int) -> Launch:
            conf = server.write(folder, sites, ("good",), port)
            site_file = folder / "sites" / "good.conf"
            site_file.write_text(site_file.read_text().replace(
                f'SSLCertificateFile "{good.chain}"',
                f'SSLCertificateFile "{leaf}"\n    SSLCertificateChainFile "{chain_file}"'))
            confs[port] = conf
            return server.launch(conf)

        started = servers.start(server.name, configure)
        result = doctor(confs[started.port], sites)

        (site,) = result.sites
        assert pem_certificates(good.chain) == served_chain(openssl, started.port, good.host)
        assert site.ok, site.report.findings
        assert [Code.DEPRECATED_DIRECTIVE] == [f.code for f in site.report.findings]
        assert len(site.report.chain) == 2


class TestHAProxy(DoctorContract):
    server_class = HAProxy
