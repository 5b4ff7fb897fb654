"""
``haproxyconf.read_haproxy``: the certificates of every ``bind ... ssl`` line.

Configurations are written under ``tmp_path``; only what was read is
checked here (see test_doctor_servers.py for HAProxy's own verdict).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from certchain.errors import ConfigError, LoadError
from certchain.findings import Code
from certchain.haproxyconf import read_haproxy
from certchain.sites import Where


def write(path: Path, text: str) -> Path:
    """Write *text* to *path* (folders made) and return *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def frontend(bind: str, *, global_lines: str = "") -> str:
    """A configuration of one frontend whose bind line is *bind*."""
    return (f"global\n{global_lines}defaults\n    mode http\n"
            f"frontend web\n    {bind}\n    default_backend app\n"
            "backend app\n    server a 127.0.0.1:8080\n")


class TestSites:
    def test_crt_file(self, tmp_path: Path) -> None:
        """crt FILE is one site, named by its frontend and file, with the bind line's place."""
        main = write(tmp_path / "haproxy.cfg", frontend("bind :443 ssl crt /tls/a.pem"))

        (site,) = read_haproxy(main).sites

        assert "frontend web: a.pem" == site.name
        assert Path("/tls/a.pem") == site.chain
        assert Where(main, 5) == site.where
        assert () == site.names
        assert site.key_if_missing

    def test_crt_directory(self, tmp_path: Path) -> None:
        """crt DIRECTORY is one site per file, sorted, without dot files and companions."""
        certs = tmp_path / "certs"
        for name in ("b.pem", "a.pem", "a.pem.key", "a.pem.ocsp", ".hidden.pem"):
            write(certs / name, "")
        main = write(tmp_path / "haproxy.cfg", frontend("bind :443 ssl crt certs/"))

        sites = read_haproxy(main).sites

        assert [certs / "a.pem", certs / "b.pem"] == [s.chain for s in sites]
        assert certs / "a.pem.key" == sites[0].key
        assert sites[1].key is None

    def test_crt_list_with_sni_filters(self, tmp_path: Path) -> None:
        """Each crt-list line is a site; its SNI filters are its names, !names left out."""
        write(tmp_path / "list.txt",
              "# comment\n"
              "a.pem [alpn h2 ssl-min-ver TLSv1.2] a.example.org *.a.example.org !x.a.example.org\n"
              "\n"
              "b.pem\n")
        main = write(tmp_path / "haproxy.cfg", frontend(
            "bind :443 ssl crt-list list.txt", global_lines=f"    crt-base {tmp_path}/tls\n"))

        first, second = read_haproxy(main).sites

        assert ("a.example.org", "*.a.example.org") == first.names
        assert tmp_path / "tls" / "a.pem" == first.chain
        assert Where(tmp_path / "list.txt", 2) == first.where
        assert "frontend web: a.example.org" == first.name
        assert () == second.names
        assert tmp_path / "list.txt" in read_haproxy(main).files

    def test_del_ext_companion(self, tmp_path: Path) -> None:
        """With ssl-load-extra-del-ext, a.pem's key is a.key."""
        write(tmp_path / "a.key", "")
        main = write(tmp_path / "haproxy.cfg", frontend(
            "bind :443 ssl crt a.pem", global_lines="    ssl-load-extra-del-ext\n"))

        (site,) = read_haproxy(main).sites

        assert tmp_path / "a.key" == site.key

    def test_bind_without_ssl_and_backends(self, tmp_path: Path) -> None:
        """A bind without ssl serves no TLS; a configuration without any is a warning."""
        main = write(tmp_path / "haproxy.cfg", frontend("bind :80"))

        config = read_haproxy(main)

        assert () == config.sites
        assert [Code.SSL_NOT_SET] == [f.code for f in config.findings]

    def test_quotes_and_comments(self, tmp_path: Path) -> None:
        """Quoted paths with spaces, escapes and trailing comments are split as HAProxy does."""
        main = write(tmp_path / "haproxy.cfg", frontend(
            'bind :443 ssl crt "/srv/my tls/a.pem" crt /srv/b\\ c.pem  # two certificates'))

        sites = read_haproxy(main).sites

        assert [Path("/srv/my tls/a.pem"), Path("/srv/b c.pem")] == [s.chain for s in sites]

    def test_environment_is_unevaluated(self, tmp_path: Path) -> None:
        """A crt from the environment is an unevaluated-config warning, and no site."""
        main = write(tmp_path / "haproxy.cfg", frontend('bind :443 ssl crt "${TLS_DIR}/a.pem"'))

        config = read_haproxy(main)

        assert () == config.sites
        assert Code.UNEVALUATED_CONFIG in {f.code for f in config.findings}


class TestBadInput:
    def test_missing_crt_list(self, tmp_path: Path) -> None:
        """A crt-list that does not exist names the bind line."""
        main = write(tmp_path / "haproxy.cfg", frontend("bind :443 ssl crt-list nope.txt"))

        with pytest.raises(ConfigError, match=r"haproxy\.cfg:5: crt-list names .*nope\.txt"):
            read_haproxy(main)

    def test_unclosed_quote(self, tmp_path: Path) -> None:
        """A quote never closed is refused, naming the line."""
        main = write(tmp_path / "haproxy.cfg", frontend('bind :443 ssl crt "/a.pem'))

        with pytest.raises(ConfigError, match=r"haproxy\.cfg:5: a quote is not closed"):
            read_haproxy(main)

    def test_missing_main_file(self, tmp_path: Path) -> None:
        """A configuration that does not exist is a LoadError naming it."""
        with pytest.raises(LoadError, match=r"nope\.cfg"):
            read_haproxy(tmp_path / "nope.cfg")
