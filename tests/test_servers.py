"""
Deploy it for real: certchain's snippets configure nginx, Apache httpd and HAProxy.

For each server, the snippet the CLI prints (``build --format NAME`` or
``config CHAIN --format NAME``, taken from stdout) is pasted into a minimal
configuration, which the server's own config test must accept.  The server
then runs on 127.0.0.1 with every file under ``tmp_path``, and a client that
trusts only the root completes a verified handshake for ``hub.example.org``
and receives the built chain.  The negative case is the same configuration
with the intermediate left out of the served file: the client must refuse it.

The CA's files sit in a folder whose name holds a space (and, in one test,
quotes or a backslash), so each format's quoting is proven by the server
that reads it.  certchain validates at the pinned ``T0_ISO``; the servers and
the client use the real clock, which the test PKI's 2020-2060 validity covers.
"""

from __future__ import annotations

import json
import os
import pwd
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.serialization import Encoding
from pki import T0_ISO, Hierarchy, key_pem
from serverkit import (
    HAPROXY_HEAD,
    HOSTNAME,
    LOOPBACK,
    Launch,
    Servers,
    drop_certificate,
    https_get,
    nginx_paths,
    pem_certificates,
    require_binary,
    require_file,
    served_chain,
)

from certchain.cli import ExitCode, main

APACHE_MODULES = Path("/usr/lib/apache2/modules")
SPACED = "tls files"
AWKWARD = {
    "quote": "O'Brien's tls",
    "double-quote": 'say "hi" tls',
    "backslash": "back\\slash\\new\\tab tls",
}
UNABLE_TO_GET_ISSUER_LOCALLY = 20  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY


# ---------------------------------------------------------------- certchain


@dataclass(frozen=True)
class Deployed:
    """The files certchain wrote and the snippet it printed for them."""

    folder: Path
    chained: Path
    combined: Path | None
    root: Path
    snippet: str


def certchain_snippet(
    runner: CliRunner, folder: Path, hier: Hierarchy, format_name: str, via: str
) -> Deployed:
    """Write the CA's files into *folder*, run the CLI *via* build or config, return its output."""
    folder.mkdir()
    host = hier.leaf.write(folder / "hub.crt")
    inter = hier.intermediate.write(folder / "chain.crt")
    root = hier.root.write(folder / "root.crt")
    (folder / "hub.key").write_bytes(key_pem(hier.leaf.key))
    chained = folder / "hub-chained.crt"
    combined = folder / "hub.pem" if format_name == "haproxy" else None
    judging = ["--trust", str(root), "--at", T0_ISO, "--hostname", HOSTNAME]
    output = ["--format", format_name, *(["--combined", str(combined)] if combined else [])]

    def cli(*args: str) -> str:
        result = runner.invoke(main, list(args))
        assert result.exit_code == ExitCode.OK, result.output
        return result.stdout

    if via == "build":
        stdout = cli("build", str(host), str(root), str(inter), *judging, *output)
        heading = f"\nConfiguration ({format_name}):\n"
        assert heading in stdout, stdout
        snippet = stdout.split(heading, 1)[1]
    else:
        cli("build", str(host), str(root), str(inter), *judging)
        snippet = cli("config", str(chained), *judging, *output)
    return Deployed(folder, chained, combined, root, snippet)


def connect_compare(runner: CliRunner, port: int, root: Path, chained: Path) -> Result:
    """``certchain connect --compare``: the chain the server on *port* serves against *chained*."""
    return runner.invoke(main, [
        "connect", f"{LOOPBACK}:{port}", "--servername", HOSTNAME, "--trust", str(root),
        "--compare", str(chained), "--at", T0_ISO, "--json",
    ])


# ---------------------------------------------------------------- the servers


class Nginx:
    """nginx in the foreground, its snippet inside a ``server { listen ... ssl; }`` block."""

    name = "nginx"
    format_name = "nginx"
    ok_status = b"HTTP/1.1 200 "

    def __init__(self) -> None:
        self.binary = require_binary("nginx")

    def configure(self, run: Path, port: int, snippet: str) -> Launch:
        conf = run / "nginx.conf"
        # As root, the workers would switch to "nobody", who cannot enter tmp_path.
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf.write_text(f"""\
{user}daemon off;
worker_processes 1;
pid "{run}/nginx.pid";
error_log stderr info;
events {{ worker_connections 64; }}
http {{
{nginx_paths(run)}    server {{
        listen {LOOPBACK}:{port} ssl;
        server_name {HOSTNAME};
{snippet}
        location / {{ return 200 "ok\\n"; }}
    }}
}}
""")
        options = ["-c", str(conf), "-p", f"{run}/", "-e", "stderr"]
        return Launch(
            check=[self.binary, "-t", *options], check_ok="test is successful",
            run=[self.binary, *options], logs=[run / "access.log"],
        )


class Apache:
    """Apache httpd with -DFOREGROUND, mod_ssl and the event MPM, its snippet in a VirtualHost."""

    name = "apache2"
    format_name = "apache"
    ok_status = b"HTTP/1.1 "  # the document root is not readable by the workers: any status

    def __init__(self) -> None:
        self.binary = require_binary("apache2")
        self.modules = {
            name: require_file(APACHE_MODULES / f"mod_{stem}.so", f"Apache's mod_{stem}")
            for name, stem in [("mpm_event_module", "mpm_event"),
                               ("authz_core_module", "authz_core"),
                               ("ssl_module", "ssl")]
        }

    def configure(self, run: Path, port: int, snippet: str) -> Launch:
        conf = run / "httpd.conf"
        (run / "www").mkdir(exist_ok=True)
        loads = "".join(f'LoadModule {name} "{path}"\n' for name, path in self.modules.items())
        # httpd refuses `User root`; the parent reads the certificates and keys
        # as root before the workers switch to nobody.
        nobody = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
        user = f'User nobody\nGroup "#{nobody.pw_gid}"\n' if nobody else ""
        conf.write_text(f"""\
ServerRoot "{run}"
{loads}{user}ServerName {HOSTNAME}
Listen {LOOPBACK}:{port}
PidFile "{run}/httpd.pid"
ErrorLog "{run}/error.log"
LogLevel info
DefaultRuntimeDir "{run}"
Mutex file:{run} default
DocumentRoot "{run}/www"
StartServers 1
<VirtualHost {LOOPBACK}:{port}>
    ServerName {HOSTNAME}
    SSLEngine on
{snippet}
</VirtualHost>
""")
        return Launch(
            check=[self.binary, "-t", "-f", str(conf)], check_ok="Syntax OK",
            run=[self.binary, "-DFOREGROUND", "-f", str(conf)], logs=[run / "error.log"],
        )


class HAProxy:
    """HAProxy with -db, the snippet's ``bind`` line in a frontend that answers 200 itself."""

    name = "haproxy"
    format_name = "haproxy"
    ok_status = b"HTTP/1.1 200 "

    def __init__(self) -> None:
        self.binary = require_binary("haproxy")

    def configure(self, run: Path, port: int, snippet: str) -> Launch:
        # Only the address changes: the crt path stays exactly as certchain printed it.
        assert snippet.count("bind :443 ssl crt ") == 1, snippet
        snippet = snippet.replace("bind :443 ", f"bind {LOOPBACK}:{port} ")
        conf = run / "haproxy.cfg"
        conf.write_text(HAPROXY_HEAD + f"""\
frontend hub
{snippet}
    http-request return status 200 content-type text/plain string ok
""")
        return Launch(
            # -dW: a warning is an error too.
            check=[self.binary, "-c", "-dW", "-f", str(conf)],
            check_ok="Configuration file is valid",
            run=[self.binary, "-db", "-f", str(conf)],
        )


Server = Nginx | Apache | HAProxy


# ---------------------------------------------------------------- the contract


class ServerContract:
    """The issue's contract for one server; a subclass per server names it."""

    server_class: ClassVar[type[Server]]

    @pytest.fixture
    def server(self) -> Server:
        """The server under test (skipped locally, failed under CI=true, when not installed)."""
        return self.server_class()

    def deploy(
        self, runner: CliRunner, tmp_path: Path, hier: Hierarchy, *, via: str = "build",
        folder: str = SPACED,
    ) -> Deployed:
        """Run the CLI for this server's format on the CA's files in ``tmp_path/folder``."""
        return certchain_snippet(
            runner, tmp_path / folder, hier, self.server_class.format_name, via
        )

    def start(self, servers: Servers, server: Server, deployed: Deployed) -> int:
        """Start *server* with *deployed*'s snippet; return its port."""
        run = servers.workdir
        started = servers.start(
            server.name, lambda port: server.configure(run, port, deployed.snippet)
        )
        return started.port

    @pytest.mark.parametrize("via", ["build", "config"])
    def test_serves_the_built_chain(
        self, via: str, server: Server, servers: Servers, openssl: str, runner: CliRunner,
        tmp_path: Path, chain3: Hierarchy,
    ) -> None:
        """The CLI's snippet passes the config test and serves the built chain, verified."""
        deployed = self.deploy(runner, tmp_path, chain3, via=via)

        port = self.start(servers, server, deployed)
        exchange = https_get(port, deployed.root)

        assert exchange.leaf_der == chain3.leaf.cert.public_bytes(Encoding.DER)
        assert exchange.peer["subjectAltName"] == (("DNS", HOSTNAME),)
        assert exchange.response.startswith(server.ok_status), exchange.response
        assert served_chain(openssl, port) == pem_certificates(deployed.chained)
        served_file = deployed.combined or deployed.chained
        compared = connect_compare(runner, port, deployed.root, served_file)
        assert compared.exit_code == ExitCode.OK, compared.output
        assert json.loads(compared.stdout)["compare"] == {"file": str(served_file), "same": True}

    @pytest.mark.parametrize("folder", AWKWARD.values(), ids=AWKWARD.keys())
    def test_awkward_folder_names(
        self, folder: str, server: Server, servers: Servers, runner: CliRunner,
        tmp_path: Path, chain3: Hierarchy,
    ) -> None:
        """Files in a folder whose name holds quotes or a backslash are served as well."""
        deployed = self.deploy(runner, tmp_path, chain3, folder=folder)

        port = self.start(servers, server, deployed)
        exchange = https_get(port, deployed.root)

        assert exchange.leaf_der == chain3.leaf.cert.public_bytes(Encoding.DER)

    def test_chain_without_intermediate_fails_verification(
        self, server: Server, servers: Servers, openssl: str, runner: CliRunner,
        tmp_path: Path, chain3: Hierarchy,
    ) -> None:
        """The same configuration, serving the file without its intermediate, fails verification."""
        deployed = self.deploy(runner, tmp_path, chain3)
        built = deployed.folder / "as-built.crt"
        built.write_bytes(deployed.chained.read_bytes())
        for served in (deployed.chained, deployed.combined):
            if served is not None:
                drop_certificate(served, chain3.intermediate.cert)

        port = self.start(servers, server, deployed)
        with pytest.raises(ssl.SSLCertVerificationError) as excinfo:
            https_get(port, deployed.root)

        assert excinfo.value.verify_code == UNABLE_TO_GET_ISSUER_LOCALLY, excinfo.value
        assert "unable to get local issuer certificate" in str(excinfo.value)
        leaf, root = (c.cert.public_bytes(Encoding.DER) for c in (chain3.leaf, chain3.root))
        assert served_chain(openssl, port) == [leaf, root]
        compared = connect_compare(runner, port, deployed.root, built)
        assert compared.exit_code == ExitCode.CHAIN_PROBLEM, compared.output
        doc = json.loads(compared.stdout)
        assert {"missing-issuer", "served-differs"} <= {f["code"] for f in doc["findings"]}
        assert doc["compare"] == {"file": str(built), "same": False}


class TestNginx(ServerContract):
    server_class = Nginx


class TestApache(ServerContract):
    server_class = Apache


class TestHAProxy(ServerContract):
    server_class = HAProxy

    def test_combined_file_is_private(
        self, runner: CliRunner, tmp_path: Path, chain3: Hierarchy
    ) -> None:
        """The combined file HAProxy reads holds the chain and the key, with mode 0600."""
        deployed = self.deploy(runner, tmp_path, chain3)

        assert deployed.combined is not None
        assert deployed.combined.stat().st_mode & 0o777 == 0o600
        assert pem_certificates(deployed.combined) == pem_certificates(deployed.chained)
        assert b"-----BEGIN PRIVATE KEY-----" in deployed.combined.read_bytes()
