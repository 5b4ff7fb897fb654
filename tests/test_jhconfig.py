"""
``jupyterhub_config.py`` read and edited statically: ``parse_settings`` and ``set_ssl``.

Nothing here ever runs a configuration; the sentinel tests prove it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from configtext import AWKWARD_PATHS

from certchain import CertchainError
from certchain.jhconfig import ConfigError, Setting, parse_settings, set_ssl

CERT = Path("/etc/jupyterhub/hub-chained.crt")
KEY = Path("/etc/jupyterhub/hub.key")
NEW = "c.JupyterHub.ssl_cert = '/etc/jupyterhub/hub-chained.crt'\n" \
      "c.JupyterHub.ssl_key = '/etc/jupyterhub/hub.key'\n"


# Configurations that set_ssl must edit in place (name -> text).
SAMPLES = {
    "empty": "",
    "comments": "# JupyterHub config\n\n# c.JupyterHub.ssl_cert = 'commented out'\n",
    "no-final-newline": "c = get_config()  # noqa\nc.JupyterHub.port = 443",
    "crlf": "c.JupyterHub.ssl_cert = 'old.crt'\r\nc.JupyterHub.port = 443\r\n",
    "non-ascii": "# Überall ☃\nc.JupyterHub.ssl_cert = 'ünï.crt'  # 証明書\n",
    "multi-line": "c.JupyterHub.ssl_key = (\n    '/old/'\n    'hub.key'\n)\n",
    "semicolon": "x = 1; c.JupyterHub.ssl_cert = 'old.crt'; y = 2\n",
    "other-settings": "c.Spawner.ssl_cert = 'keep'\nc.JupyterHub.ip = '*'\n",
    "nested": "import os\nif os.environ.get('TLS'):\n    c.JupyterHub.ssl_key = 'k'\n",
    "annotated": "c.JupyterHub.ssl_cert: str = 'old.crt'\n",
}


def values(text: str) -> dict[str, object]:
    """Return {trait: value} of the ``c.JupyterHub`` settings of *text*, the last one winning."""
    return {s.trait: s.value for s in parse_settings(text) if s.section == "JupyterHub"}


class TestParseSettings:
    def test_literal_values_in_file_order(self) -> None:
        """Each ``c.Section.trait = literal`` yields its section, trait, line, source and value."""
        text = (
            "c = get_config()\n"
            "c.JupyterHub.ssl_cert = '/a/hub.crt'\n"
            "\n"
            "c.Spawner.default_url = '/lab'\n"
            "c.JupyterHub.port = 443\n"
            "c.Authenticator.admin_users = {'alice', 'bob'}\n"
        )

        settings = parse_settings(text)

        assert [
            Setting("JupyterHub", "ssl_cert", 2, "'/a/hub.crt'", "/a/hub.crt"),
            Setting("Spawner", "default_url", 4, "'/lab'", "/lab"),
            Setting("JupyterHub", "port", 5, "443", 443),
            Setting("Authenticator", "admin_users", 6, "{'alice', 'bob'}", {"alice", "bob"}),
        ] == settings
        assert all(s.evaluated for s in settings)

    @pytest.mark.parametrize("source", [
        "os.path.join(d, 'x.crt')",
        "d + '/x.crt'",
        "f'{d}/x.crt'",
        "CERT",
        "open('/tmp/x').read()",
        "[p for p in ps]",
    ])
    def test_non_literals_are_unevaluated(self, source: str) -> None:
        """A value that is not a literal is returned with its source and no value."""
        (setting,) = parse_settings(f"c.JupyterHub.ssl_cert = {source}\n")

        assert not setting.evaluated
        assert source == setting.source
        assert ("JupyterHub", "ssl_cert", 1) == (setting.section, setting.trait, setting.line)

    @pytest.mark.parametrize("text", [
        "x.JupyterHub.ssl_cert = 'a'\n",
        "c.ssl_cert = 'a'\n",
        "c.JupyterHub.ssl.cert = 'a'\n",
        "c['JupyterHub'].ssl_cert = 'a'\n",
        "c.JupyterHub.ssl_cert += 'a'\n",
        "ssl_cert = 'a'\n",
        "# c.JupyterHub.ssl_cert = 'a'\n",
        "s = \"c.JupyterHub.ssl_cert = 'a'\"\n",
    ])
    def test_other_statements_are_ignored(self, text: str) -> None:
        """Only ``c.<Section>.<trait> = value`` assignments are settings."""
        assert [] == parse_settings(text)

    def test_annotated_and_multiple_targets(self) -> None:
        """An annotated assignment and each target of a chained assignment are settings."""
        text = "c.JupyterHub.ip: str = ''\nc.A.x = c.B.y = 1\n"

        settings = parse_settings(text)

        assert [("JupyterHub", "ip", ""), ("A", "x", 1), ("B", "y", 1)] == [
            (s.section, s.trait, s.value) for s in settings
        ]

    def test_nested_blocks(self) -> None:
        """Assignments inside if, for, with and def blocks are found too."""
        text = (
            "if True:\n    c.A.a = 1\n"
            "for _ in ():\n    c.A.b = 2\n"
            "def f():\n    c.A.c = 3\n"
        )

        assert [("a", 2), ("b", 4), ("c", 6)] == [(s.trait, s.line) for s in parse_settings(text)]

    def test_crlf_and_non_ascii(self) -> None:
        """CRLF line endings and non-ASCII text keep lines and source segments exact."""
        text = "# ☃ Überall\r\nx = 'é'; c.JupyterHub.ssl_cert = '/srv/ünï.crt'\r\n"

        (setting,) = parse_settings(text)

        assert (2, "'/srv/ünï.crt'", "/srv/ünï.crt") == (
            setting.line, setting.source, setting.value
        )

    def test_multi_line_value(self) -> None:
        """A value spread over several lines is read whole."""
        text = "c.JupyterHub.ssl_key = (\n    '/srv/'\n    'hub.key'\n)\n"

        (setting,) = parse_settings(text)

        assert "/srv/hub.key" == setting.value
        assert "'/srv/'\n    'hub.key'" == setting.source

    def test_never_executes(self, tmp_path: Path) -> None:
        """Code in the file does not run: no file is created and SystemExit is not raised."""
        sentinel = tmp_path / "SENTINEL"
        text = (
            f"open({str(sentinel)!r}, 'w').write('ran')\n"
            "c.JupyterHub.ssl_cert = '/a.crt'\n"
            "raise SystemExit(3)\n"
            "c.JupyterHub.ssl_key = '/a.key'\n"
        )

        assert {"ssl_cert": "/a.crt", "ssl_key": "/a.key"} == values(text)
        assert not sentinel.exists()

    @pytest.mark.parametrize("text", ["c.JupyterHub.ssl_cert = \n", "def f(:\n", "x = 'a\x00'\n"])
    def test_invalid_python(self, text: str) -> None:
        """Text that is not valid Python raises ConfigError naming the file."""
        with pytest.raises(ConfigError, match=r"jupyterhub_config\.py"):
            parse_settings(text, Path("/srv/jupyterhub_config.py"))

    def test_syntax_error_names_line(self) -> None:
        """The ConfigError message names the line of the syntax error."""
        with pytest.raises(ConfigError, match="line 3"):
            parse_settings("a = 1\nb = 2\nc.JupyterHub.ip = (\n")

    def test_config_error_is_a_certchain_error(self) -> None:
        """ConfigError derives from CertchainError, so the CLI reports it with exit 2."""
        assert issubclass(ConfigError, CertchainError)


class TestSetSslInsert:
    def test_empty_text(self) -> None:
        """Empty text gets the two assignments."""
        assert NEW == set_ssl("", CERT, KEY)

    def test_appends_after_other_settings(self) -> None:
        """Text without ssl settings keeps every byte and gets the assignments appended."""
        text = "# config\nc.JupyterHub.ip = ''\n"

        assert text + NEW == set_ssl(text, CERT, KEY)

    def test_adds_missing_final_newline(self) -> None:
        """A file without a final newline gets one before the appended assignments."""
        text = "c.JupyterHub.port = 443"

        assert text + "\n" + NEW == set_ssl(text, CERT, KEY)

    def test_appends_only_the_missing_one(self) -> None:
        """An existing ssl_key is replaced in place and only ssl_cert is appended."""
        text = "c.JupyterHub.ssl_key = 'old.key'\n"

        assert (
            "c.JupyterHub.ssl_key = '/etc/jupyterhub/hub.key'\n"
            "c.JupyterHub.ssl_cert = '/etc/jupyterhub/hub-chained.crt'\n"
        ) == set_ssl(text, CERT, KEY)

    def test_other_sections_are_not_jupyterhub(self) -> None:
        """``c.Spawner.ssl_cert`` is left alone and JupyterHub's settings are appended."""
        text = "c.Spawner.ssl_cert = 'keep'\n"

        assert text + NEW == set_ssl(text, CERT, KEY)


class TestSetSslReplace:
    def test_in_place(self) -> None:
        """Existing assignments get new values; comments and other settings stay byte for byte."""
        text = (
            "# Configuration file for jupyterhub.\n"
            "c = get_config()  #noqa\n"
            "c.JupyterHub.ssl_cert = 'old-chained.crt'  # from the CA\n"
            "c.Spawner.default_url = '/lab'\n"
            "c.JupyterHub.ssl_key = \"old.key\"\n"
        )

        assert (
            "# Configuration file for jupyterhub.\n"
            "c = get_config()  #noqa\n"
            "c.JupyterHub.ssl_cert = '/etc/jupyterhub/hub-chained.crt'  # from the CA\n"
            "c.Spawner.default_url = '/lab'\n"
            "c.JupyterHub.ssl_key = '/etc/jupyterhub/hub.key'\n"
        ) == set_ssl(text, CERT, KEY)

    def test_crlf_is_kept(self) -> None:
        """CRLF line endings of the file are kept."""
        text = (
            "c.JupyterHub.ssl_cert = 'a'\r\n"
            "c.JupyterHub.port = 443\r\n"
            "c.JupyterHub.ssl_key = 'b'\r\n"
        )

        assert (
            "c.JupyterHub.ssl_cert = '/etc/jupyterhub/hub-chained.crt'\r\n"
            "c.JupyterHub.port = 443\r\n"
            "c.JupyterHub.ssl_key = '/etc/jupyterhub/hub.key'\r\n"
        ) == set_ssl(text, CERT, KEY)

    def test_non_ascii_before_value(self) -> None:
        """Non-ASCII text before a value on the same line does not shift the replacement."""
        text = (
            "# ☃ Überall 証明書\n"
            "x = 'ééé'; c.JupyterHub.ssl_cert = '☃.crt'  # ☃\n"
            "c.JupyterHub.ssl_key = 'ü.key'\n"
        )

        assert (
            "# ☃ Überall 証明書\n"
            "x = 'ééé'; c.JupyterHub.ssl_cert = '/etc/jupyterhub/hub-chained.crt'  # ☃\n"
            "c.JupyterHub.ssl_key = '/etc/jupyterhub/hub.key'\n"
        ) == set_ssl(text, CERT, KEY)

    def test_multi_line_value(self) -> None:
        """A value over several lines is replaced as a whole, brackets kept."""
        text = (
            "c.JupyterHub.ssl_key = (\n    '/old/'\n    'hub.key'\n)\n"
            "c.JupyterHub.ssl_cert = 'a'\n"
        )

        assert (
            "c.JupyterHub.ssl_key = (\n    '/etc/jupyterhub/hub.key'\n)\n"
            "c.JupyterHub.ssl_cert = '/etc/jupyterhub/hub-chained.crt'\n"
        ) == set_ssl(text, CERT, KEY)

    def test_after_semicolon(self) -> None:
        """An assignment after ``x = 1;`` on the same line is replaced, the rest kept."""
        text = "x = 1; c.JupyterHub.ssl_cert = 'old.crt'; y = 2\nc.JupyterHub.ssl_key = 'k'\n"

        assert (
            "x = 1; c.JupyterHub.ssl_cert = '/etc/jupyterhub/hub-chained.crt'; y = 2\n"
            "c.JupyterHub.ssl_key = '/etc/jupyterhub/hub.key'\n"
        ) == set_ssl(text, CERT, KEY)

    def test_every_duplicate_is_replaced(self) -> None:
        """Every assignment of ssl_cert is replaced, not only the last one."""
        text = (
            "c.JupyterHub.ssl_cert = 'a'\n"
            "c.JupyterHub.ssl_cert = 'b'\n"
            "c.JupyterHub.ssl_key = 'k'\n"
        )

        result = set_ssl(text, CERT, KEY)

        assert 2 == result.count("c.JupyterHub.ssl_cert = '/etc/jupyterhub/hub-chained.crt'\n")
        assert "'a'" not in result and "'b'" not in result

    def test_unevaluated_value_is_replaced(self) -> None:
        """An expression value is replaced by the literal path."""
        text = (
            "import os\n"
            "c.JupyterHub.ssl_cert = os.path.join(d, 'x.crt')\n"
            "c.JupyterHub.ssl_key = K\n"
        )

        assert "import os\n" + NEW == set_ssl(text, CERT, KEY)

    def test_annotated_assignment(self) -> None:
        """An annotated assignment keeps its annotation and gets the new value."""
        text = "c.JupyterHub.ssl_cert: str = 'old.crt'\nc.JupyterHub.ssl_key = 'k'\n"

        assert (
            "c.JupyterHub.ssl_cert: str = '/etc/jupyterhub/hub-chained.crt'\n"
            "c.JupyterHub.ssl_key = '/etc/jupyterhub/hub.key'\n"
        ) == set_ssl(text, CERT, KEY)

    def test_nested_assignment_keeps_indentation(self) -> None:
        """
        An assignment inside a block is replaced in place, keeping its indentation.

        It runs only when the condition holds, so the paths are set at the
        top level too, last.
        """
        text = "if tls:\n    c.JupyterHub.ssl_cert = 'a'\n    c.JupyterHub.ssl_key = 'b'\n"

        assert (
            "if tls:\n"
            "    c.JupyterHub.ssl_cert = '/etc/jupyterhub/hub-chained.crt'\n"
            "    c.JupyterHub.ssl_key = '/etc/jupyterhub/hub.key'\n"
            "c.JupyterHub.ssl_cert = '/etc/jupyterhub/hub-chained.crt'\n"
            "c.JupyterHub.ssl_key = '/etc/jupyterhub/hub.key'\n"
        ) == set_ssl(text, CERT, KEY)

    def test_chained_assignment_is_refused(self) -> None:
        """One value shared by ssl_cert and ssl_key is refused rather than rewritten wrongly."""
        text = "c.JupyterHub.ssl_cert = c.JupyterHub.ssl_key = 'both.pem'\n"

        with pytest.raises(ConfigError, match=r"line 1 assigns c\.JupyterHub\.ssl_cert together"):
            set_ssl(text, CERT, KEY)


class TestSetSslProperties:
    @pytest.mark.parametrize("name", sorted(SAMPLES))
    def test_result_sets_both(self, name: str) -> None:
        """Whatever the sample, the result is valid Python whose last assignments are the paths."""
        result = set_ssl(SAMPLES[name], CERT, KEY)

        ast.parse(result)
        assert {"ssl_cert": str(CERT), "ssl_key": str(KEY)}.items() <= values(result).items()

    @pytest.mark.parametrize("name", sorted(SAMPLES))
    def test_idempotent(self, name: str) -> None:
        """Running set_ssl on its own output changes nothing."""
        once = set_ssl(SAMPLES[name], CERT, KEY)

        assert once == set_ssl(once, CERT, KEY)

    @pytest.mark.parametrize("folder", AWKWARD_PATHS)
    def test_awkward_paths(self, folder: str) -> None:
        """Awkward paths are written as literals that read back exactly."""
        cert, key = Path(folder, "hub-chained.crt"), Path(folder, "hub.key")
        text = "c.JupyterHub.ssl_cert = 'old'\n"

        result = set_ssl(text, cert, key)

        assert {"ssl_cert": str(cert), "ssl_key": str(key)} == values(result)
        assert result == set_ssl(result, cert, key)

    def test_never_executes(self, tmp_path: Path) -> None:
        """Editing does not run the file either."""
        sentinel = tmp_path / "SENTINEL"
        text = f"open({str(sentinel)!r}, 'w')\nraise SystemExit(3)\n"

        assert text + NEW == set_ssl(text, CERT, KEY)
        assert not sentinel.exists()

    def test_invalid_python(self) -> None:
        """Text that is not valid Python raises ConfigError that says it was left unchanged."""
        with pytest.raises(ConfigError, match="left unchanged"):
            set_ssl("c.JupyterHub.ssl_cert = 'unterminated\n", CERT, KEY, Path("/srv/c.py"))
