"""
``nginxconf.read_nginx``: every TLS server of an nginx configuration, read as nginx reads it.

Configurations are written under ``tmp_path``; nothing is judged here (see
test_sitecheck.py and test_doctor_servers.py), only what was read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from certchain.errors import ConfigError, LoadError
from certchain.findings import Code
from certchain.nginxconf import read_nginx
from certchain.sites import Where

HTTP = """\
events {{}}
http {{
{body}
}}
"""


def write(path: Path, text: str) -> Path:
    """Write *text* to *path* (folders made) and return *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def server(name: str, *, cert: str | None = None, key: str | None = None,
           listen: str = "443 ssl") -> str:
    """One server block (cert and key default to NAME.crt and NAME.key)."""
    cert = cert if cert is not None else f"/tls/{name}.crt"
    key = key if key is not None else f"/tls/{name}.key"
    lines = [f"listen {listen};", f"server_name {name};"]
    lines += [f"ssl_certificate {cert};"] if cert else []
    lines += [f"ssl_certificate_key {key};"] if key else []
    return "server {\n    " + "\n    ".join(lines) + "\n}\n"


class TestSites:
    def test_includes_with_a_glob(self, tmp_path: Path) -> None:
        """Servers in files included by a relative glob are read, in sorted order, with lines."""
        main = write(tmp_path / "nginx.conf", HTTP.format(body="include sites/*.conf;"))
        write(tmp_path / "sites" / "b.conf", server("b.example.org"))
        write(tmp_path / "sites" / "a.conf", "\n" + server("a.example.org"))

        config = read_nginx(main)

        assert ["a.example.org", "b.example.org"] == [s.name for s in config.sites]
        first = config.sites[0]
        assert (Path("/tls/a.example.org.crt"), Path("/tls/a.example.org.key")) == (
            first.chain, first.key)
        assert Where(tmp_path / "sites" / "a.conf", 5) == first.where
        assert Where(tmp_path / "sites" / "a.conf", 6) == first.key_where
        assert ("a.example.org",) == first.names
        assert [main, tmp_path / "sites" / "a.conf", tmp_path / "sites" / "b.conf"] == list(
            config.files)
        assert config.whole

    def test_glob_matching_nothing_is_fine(self, tmp_path: Path) -> None:
        """An include pattern that matches no file is no error, as nginx says."""
        main = write(tmp_path / "nginx.conf",
                     HTTP.format(body="include nothing/*.conf;\n" + server("a.org")))

        config = read_nginx(main)

        assert ["a.org"] == [s.name for s in config.sites]

    def test_plain_server_is_no_site(self, tmp_path: Path) -> None:
        """A server without ssl on its listen line is not a TLS site; none at all is a warning."""
        main = write(tmp_path / "nginx.conf", HTTP.format(body=server("a.org", listen="80")))

        config = read_nginx(main)

        assert () == config.sites
        assert [Code.SSL_NOT_SET] == [f.code for f in config.findings]

    def test_inherited_from_http(self, tmp_path: Path) -> None:
        """ssl_certificate set in http, even after the server, is its; relative from the prefix."""
        body = ("server { listen 443 ssl; server_name a.org; }\n"
                "ssl_certificate certs/all.crt;\nssl_certificate_key certs/all.key;\n")
        main = write(tmp_path / "nginx.conf", HTTP.format(body=body))

        (site,) = read_nginx(main).sites

        assert (tmp_path / "certs" / "all.crt", tmp_path / "certs" / "all.key") == (
            site.chain, site.key)

    def test_server_replaces_the_inherited_list(self, tmp_path: Path) -> None:
        """A server's own ssl_certificate replaces http's; two pairs are two sites."""
        body = ("ssl_certificate /tls/http.crt; ssl_certificate_key /tls/http.key;\n"
                "server { listen 443 ssl; server_name a.org;\n"
                "  ssl_certificate /tls/rsa.crt; ssl_certificate_key /tls/rsa.key;\n"
                "  ssl_certificate /tls/ec.crt; ssl_certificate_key /tls/ec.key; }\n")
        main = write(tmp_path / "nginx.conf", HTTP.format(body=body))

        sites = read_nginx(main).sites

        assert [(Path("/tls/rsa.crt"), Path("/tls/rsa.key")),
                (Path("/tls/ec.crt"), Path("/tls/ec.key"))] == [(s.chain, s.key) for s in sites]

    def test_server_names(self, tmp_path: Path) -> None:
        """.a.org stands for a.org and *.a.org; _ and "" are none; a regex is reported."""
        body = ('server { listen 443 ssl; server_name _ "" .A.org ~^(?<x>.+)\\.b\\.org$;\n'
                "  ssl_certificate /t.crt; ssl_certificate_key /t.key; }\n")
        main = write(tmp_path / "nginx.conf", HTTP.format(body=body))

        (site,) = read_nginx(main).sites

        assert ("a.org", "*.a.org") == site.names
        assert [Code.UNEVALUATED_CONFIG] == [f.code for f in site.findings]
        assert "server_name ~^" in site.findings[0].message

    def test_variables_are_unevaluated(self, tmp_path: Path) -> None:
        """A certificate named by a variable or data: is reported, not guessed."""
        body = ("server { listen 443 ssl; server_name a.org;\n"
                "  ssl_certificate $ssl_server_name.crt; ssl_certificate_key data:$k; }\n")
        main = write(tmp_path / "nginx.conf", HTTP.format(body=body))

        (site,) = read_nginx(main).sites

        assert (None, None) == (site.chain, site.key)
        assert [Code.UNEVALUATED_CONFIG] * 2 == [f.code for f in site.findings]

    def test_missing_certificate_and_key(self, tmp_path: Path) -> None:
        """listen ssl without ssl_certificate, or a certificate without its key, is ssl-not-set."""
        body = (server("a.org", cert="", key="")
                + server("b.org", key=""))
        main = write(tmp_path / "nginx.conf", HTTP.format(body=body))

        first, second = read_nginx(main).sites

        assert [Code.SSL_NOT_SET] == [f.code for f in first.findings]
        assert first.chain is None
        assert [Code.SSL_NOT_SET] == [f.code for f in second.findings]
        assert "ssl_certificate_key" in second.findings[0].message

    def test_stream_servers(self, tmp_path: Path) -> None:
        """A stream server with ssl is a site too, named by its listen address."""
        main = write(tmp_path / "nginx.conf", "events {}\nstream {\n  server { listen 993 ssl;"
                     " ssl_certificate /t.crt; ssl_certificate_key /t.key; }\n}\n")

        (site,) = read_nginx(main).sites

        assert site.name.startswith("stream server listening on 993")
        assert () == site.names

    def test_fragment_of_servers(self, tmp_path: Path) -> None:
        """A file of server blocks alone (sites-enabled/x) is read as http's, not whole."""
        fragment = write(tmp_path / "site.conf", server("a.org"))

        config = read_nginx(fragment)

        assert ["a.org"] == [s.name for s in config.sites]
        assert not config.whole

    def test_password_file(self, tmp_path: Path) -> None:
        """ssl_password_file is the site's file of passwords."""
        body = server("a.org").replace("}", "    ssl_password_file keys.pass;\n}")
        main = write(tmp_path / "nginx.conf", HTTP.format(body=body))

        (site,) = read_nginx(main).sites

        assert tmp_path / "keys.pass" == site.passwords


class TestBadInput:
    def test_include_loop(self, tmp_path: Path) -> None:
        """A file that includes itself (through another) is a ConfigError naming the loop."""
        main = write(tmp_path / "nginx.conf", HTTP.format(body="include a.conf;"))
        write(tmp_path / "a.conf", "include b.conf;\n")
        write(tmp_path / "b.conf", "include a.conf;\n")

        with pytest.raises(ConfigError, match=r"b\.conf:1: include loop: .*a\.conf"):
            read_nginx(main)

    def test_missing_explicit_include(self, tmp_path: Path) -> None:
        """An include of one file that does not exist names the including file and line."""
        main = write(tmp_path / "nginx.conf", HTTP.format(body="\ninclude nope.conf;"))

        with pytest.raises(ConfigError, match=r"nginx\.conf:4: include names .*nope\.conf, "
                                              "which does not exist"):
            read_nginx(main)

    @pytest.mark.parametrize("kind", ["fifo", "directory"])
    def test_unreadable_include(self, tmp_path: Path, kind: str) -> None:
        """An included FIFO or directory is refused unread, naming the file and line."""
        target = tmp_path / "odd.conf"
        if kind == "fifo":
            os.mkfifo(target)
        else:
            target.mkdir()
        main = write(tmp_path / "nginx.conf", HTTP.format(body="include odd.conf;"))

        with pytest.raises(ConfigError, match=r"nginx\.conf:3: include names .*odd\.conf"):
            read_nginx(main)

    @pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
    def test_include_without_permission(self, tmp_path: Path) -> None:
        """An included file this user cannot read is a ConfigError naming file and line."""
        target = write(tmp_path / "secret.conf", "")
        target.chmod(0)
        main = write(tmp_path / "nginx.conf", HTTP.format(body="include secret.conf;"))

        with pytest.raises(ConfigError, match=r"nginx\.conf:3: .*Permission denied"):
            read_nginx(main)

    def test_syntax_error(self, tmp_path: Path) -> None:
        """A block that is not closed is a ConfigError with crossplane's file and line."""
        main = write(tmp_path / "nginx.conf", "events {}\nhttp {\n  server {\n")

        with pytest.raises(ConfigError, match=r"nginx\.conf:3: unexpected end of file.*refuses"):
            read_nginx(main)

    def test_missing_main_file(self, tmp_path: Path) -> None:
        """A configuration that does not exist is a LoadError naming it."""
        with pytest.raises(LoadError, match=r"nope\.conf"):
            read_nginx(tmp_path / "nope.conf")

    def test_two_arguments(self, tmp_path: Path) -> None:
        """ssl_certificate with two files is refused, as nginx refuses it."""
        main = write(tmp_path / "nginx.conf", HTTP.format(
            body=server("a.org", cert="/a.crt /b.crt")))

        with pytest.raises(ConfigError, match="ssl_certificate takes one file"):
            read_nginx(main)


class TestDump:
    def test_reads_nginx_dump(self, tmp_path: Path) -> None:
        """The output of nginx -T is read file by file, includes matched against it."""
        dump = (
            "# configuration file /etc/nginx/nginx.conf:\n"
            + HTTP.format(body="include /etc/nginx/sites/*.conf;") + "\n"
            "# configuration file /etc/nginx/sites/a.conf:\n"
            + server("a.org") + "\n"
        )

        config = read_nginx(tmp_path / "ignored", dump=dump)

        (site,) = config.sites
        assert Path("/etc/nginx/nginx.conf") == config.path
        assert Where(Path("/etc/nginx/sites/a.conf"), 4) == site.where
        assert Path("/tls/a.org.crt") == site.chain

    def test_empty_dump(self, tmp_path: Path) -> None:
        """A dump that holds no file is a ConfigError."""
        with pytest.raises(ConfigError, match="no configuration file"):
            read_nginx(tmp_path / "x", dump="nginx: bad\n")
