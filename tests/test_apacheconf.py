"""
``apacheconf.read_apache``: every TLS virtual host of an httpd 2.4 configuration.

Configurations are written under ``tmp_path``; only what was read is
checked here (see test_doctor_servers.py for httpd's own verdict on them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from certchain.apacheconf import read_apache
from certchain.errors import ConfigError, LoadError
from certchain.findings import Code
from certchain.sites import Where

MAIN = "LoadModule ssl_module modules/mod_ssl.so\n"


def write(path: Path, text: str) -> Path:
    """Write *text* to *path* (folders made) and return *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def vhost(name: str, *lines: str, engine: str = "on") -> str:
    """One <VirtualHost>: SSLEngine, ServerName NAME, /tls/NAME.crt and .key, and *lines*."""
    body = [f"ServerName {name}", f"SSLEngine {engine}",
            f"SSLCertificateFile /tls/{name}.crt", f"SSLCertificateKeyFile /tls/{name}.key",
            *lines]
    return "<VirtualHost *:443>\n    " + "\n    ".join(body) + "\n</VirtualHost>\n"


class TestSites:
    def test_includes_and_names(self, tmp_path: Path) -> None:
        """Hosts from Include globs and IncludeOptional directories, with names and lines."""
        main = write(tmp_path / "httpd.conf",
                     MAIN + "Include sites/*.conf\nIncludeOptional more\n")
        write(tmp_path / "sites" / "a.conf", vhost("a.org", "ServerAlias www.a.org *.b.org"))
        write(tmp_path / "more" / "deep" / "c.conf", vhost("c.org"))

        config = read_apache(main)

        assert ["a.org", "c.org"] == [s.name for s in config.sites]
        first = config.sites[0]
        assert ("a.org", "www.a.org", "*.b.org") == first.names
        assert (Path("/tls/a.org.crt"), Path("/tls/a.org.key")) == (first.chain, first.key)
        assert Where(tmp_path / "sites" / "a.conf", 4) == first.where
        assert Where(tmp_path / "sites" / "a.conf", 5) == first.key_where
        assert Where(tmp_path / "sites" / "a.conf", 2) == first.names_where
        assert config.whole
        assert tmp_path / "more" / "deep" / "c.conf" in config.files

    def test_engine_off_is_no_site(self, tmp_path: Path) -> None:
        """A virtual host without SSLEngine on is not a TLS site; none at all is a warning."""
        main = write(tmp_path / "httpd.conf", MAIN + vhost("a.org", engine="off"))

        config = read_apache(main)

        assert () == config.sites
        assert [Code.SSL_NOT_SET] == [f.code for f in config.findings]

    def test_inherited_from_the_server(self, tmp_path: Path) -> None:
        """Server-wide SSLEngine and files hold in a host that sets none; paths from ServerRoot."""
        main = write(tmp_path / "httpd.conf", MAIN + (
            f'ServerRoot "{tmp_path / "root"}"\nSSLEngine on\n'
            "SSLCertificateFile tls/all.crt\n"
            "<VirtualHost *:443>\n  ServerName a.org\n</VirtualHost>\n"))

        (site,) = read_apache(main).sites

        assert tmp_path / "root" / "tls" / "all.crt" == site.chain
        assert site.key is None

    def test_define_and_conditions(self, tmp_path: Path) -> None:
        """${VAR} from Define is replaced; IfModule follows LoadModule, IfDefine follows Define."""
        main = write(tmp_path / "httpd.conf", MAIN + (
            "Define TLS /srv/tls\n"
            "<IfModule ssl_module>\n"
            + vhost("a.org").replace("/tls/a.org.crt", "${TLS}/a.crt") +
            "</IfModule>\n"
            "<IfModule !mod_ssl.c>\n" + vhost("never.org") + "</IfModule>\n"
            "<IfDefine NOPE>\n" + vhost("nope.org") + "</IfDefine>\n"
            "<IfModule mod_nothing.c>\n" + vhost("gone.org") + "</IfModule>\n"))

        (site,) = read_apache(main).sites

        assert Path("/srv/tls/a.crt") == site.chain

    def test_undefined_variable_is_unevaluated(self, tmp_path: Path) -> None:
        """A ${VAR} nothing defines is an unevaluated-config warning, and no file."""
        main = write(tmp_path / "httpd.conf", MAIN + vhost("a.org").replace(
            "/tls/a.org.crt", "${APACHE_TLS}/a.crt"))

        (site,) = read_apache(main).sites

        assert site.chain is None
        (finding,) = site.findings
        assert Code.UNEVALUATED_CONFIG is finding.code
        assert "${APACHE_TLS}" in finding.message

    def test_chain_file_is_deprecated(self, tmp_path: Path) -> None:
        """SSLCertificateChainFile is read, with a warning that it is deprecated since 2.4.8."""
        main = write(tmp_path / "httpd.conf", MAIN + vhost(
            "a.org", "SSLCertificateChainFile /tls/chain.crt"))

        (site,) = read_apache(main).sites

        assert Path("/tls/chain.crt") == site.extra_chain
        (finding,) = site.findings
        assert Code.DEPRECATED_DIRECTIVE is finding.code
        assert "2.4.8" in finding.message

    def test_quotes_continuations_comments(self, tmp_path: Path) -> None:
        """Quoted paths with spaces, continued lines and comments are read as httpd reads them."""
        main = write(tmp_path / "httpd.conf", MAIN + (
            "# <VirtualHost *:443> in a comment\n"
            "<VirtualHost *:443>\n"
            '  ServerName a.org\n  SSLEngine on\n'
            '  SSLCertificateFile \\\n    "/srv/my tls/a.crt"\n'
            "</VirtualHost>\n"))

        (site,) = read_apache(main).sites

        assert Path("/srv/my tls/a.crt") == site.chain
        assert Where(main, 6) == site.where

    def test_macro_use_is_unevaluated(self, tmp_path: Path) -> None:
        """A macro's sites are not expanded: Use is an unevaluated-config warning."""
        main = write(tmp_path / "httpd.conf", MAIN + (
            "<Macro Tls $host>\n" + vhost("$host") + "</Macro>\nUse Tls a.org\n"))

        config = read_apache(main)

        assert () == config.sites
        assert Code.UNEVALUATED_CONFIG in {f.code for f in config.findings}

    def test_missing_certificate(self, tmp_path: Path) -> None:
        """SSLEngine on without SSLCertificateFile is ssl-not-set."""
        main = write(tmp_path / "httpd.conf", MAIN + (
            "<VirtualHost *:443>\n  ServerName a.org\n  SSLEngine on\n</VirtualHost>\n"))

        (site,) = read_apache(main).sites

        assert [Code.SSL_NOT_SET] == [f.code for f in site.findings]


class TestBadInput:
    def test_include_loop(self, tmp_path: Path) -> None:
        """A file that includes itself is a ConfigError naming the loop."""
        main = write(tmp_path / "httpd.conf", MAIN + "Include a.conf\n")
        write(tmp_path / "a.conf", "Include httpd.conf\n")

        with pytest.raises(ConfigError, match=r"a\.conf:1: include loop"):
            read_apache(main)

    def test_include_matching_nothing(self, tmp_path: Path) -> None:
        """Include of a glob matching nothing is refused, as httpd does; IncludeOptional is fine."""
        main = write(tmp_path / "httpd.conf", MAIN + "IncludeOptional none/*.conf\n"
                     "Include none/*.conf\n")

        with pytest.raises(ConfigError, match=r"httpd\.conf:3: Include none/\*\.conf matches "
                                              "no file"):
            read_apache(main)

    def test_missing_include(self, tmp_path: Path) -> None:
        """An Include of a file that does not exist names the including file and line."""
        main = write(tmp_path / "httpd.conf", MAIN + "IncludeOptional gone.conf\n"
                     "Include gone.conf\n")

        with pytest.raises(ConfigError, match=r"httpd\.conf:3: Include names .*gone\.conf, "
                                              "which does not exist"):
            read_apache(main)

    def test_unreadable_include(self, tmp_path: Path) -> None:
        """An included FIFO is refused unread, naming the file and line."""
        os.mkfifo(tmp_path / "pipe.conf")
        main = write(tmp_path / "httpd.conf", MAIN + "Include pipe.conf\n")

        with pytest.raises(ConfigError, match=r"httpd\.conf:2: Include names .*pipe\.conf"):
            read_apache(main)

    def test_unclosed_section(self, tmp_path: Path) -> None:
        """A <VirtualHost> never closed is refused, as httpd refuses it."""
        main = write(tmp_path / "httpd.conf", MAIN + "<VirtualHost *:443>\n")

        with pytest.raises(ConfigError, match="is not closed"):
            read_apache(main)

    def test_missing_main_file(self, tmp_path: Path) -> None:
        """A configuration that does not exist is a LoadError naming it."""
        with pytest.raises(LoadError, match=r"nope\.conf"):
            read_apache(tmp_path / "nope.conf")
