"""The configuration snippets: exact text, and paths that read back exactly in each format."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from configtext import AWKWARD_PATHS, jupyterhub_values

from certchain import CertchainError, ServedFiles, jupyterhub
from certchain.snippets import (
    RENDERERS,
    SnippetError,
    apache,
    haproxy,
    jupyterhub_cli,
    nginx,
    render,
)


class TestJupyterhubText:
    def test_with_key(self) -> None:
        """With a key file the two lines assign both paths as string literals."""
        files = ServedFiles(Path("/srv/hub/hub-chained.crt"), Path("/srv/hub/hub.key"))

        assert jupyterhub(files) == (
            "c.JupyterHub.ssl_cert = '/srv/hub/hub-chained.crt'\n"
            "c.JupyterHub.ssl_key = '/srv/hub/hub.key'\n"
        )

    def test_without_key(self) -> None:
        """Without a key file the second line is a comment telling to pass --key."""
        files = ServedFiles(Path("/srv/hub/hub-chained.crt"), None)

        assert jupyterhub(files) == (
            "c.JupyterHub.ssl_cert = '/srv/hub/hub-chained.crt'\n"
            "# c.JupyterHub.ssl_key = ...  (no private key was found: pass it with --key FILE)\n"
        )

    def test_custom_key_note(self) -> None:
        """A key note given by the caller replaces the default in the comment."""
        files = ServedFiles(
            Path("/srv/hub/hub-chained.crt"), None, key_note="the key is inside a PKCS#12 file"
        )

        assert jupyterhub(files) == (
            "c.JupyterHub.ssl_cert = '/srv/hub/hub-chained.crt'\n"
            "# c.JupyterHub.ssl_key = ...  (the key is inside a PKCS#12 file)\n"
        )

    def test_registry(self) -> None:
        """The renderer registry maps jupyterhub to this renderer."""
        assert RENDERERS["jupyterhub"] is jupyterhub


class TestJupyterhubPython:
    @pytest.mark.parametrize("folder", AWKWARD_PATHS)
    def test_awkward_paths_with_key(self, folder: str) -> None:
        """Awkward paths give exactly two lines that parse to the exact paths."""
        chain, key = Path(folder, "hub-chained.crt"), Path(folder, "hub.key")

        text = jupyterhub(ServedFiles(chain, key))

        assert len(text.splitlines()) == 2
        assert {"ssl_cert": str(chain), "ssl_key": str(key)} == jupyterhub_values(text)

    @pytest.mark.parametrize("folder", AWKWARD_PATHS)
    def test_awkward_paths_without_key(self, folder: str) -> None:
        """Awkward paths in the comment form give two lines, only ssl_cert assigned."""
        chain = Path(folder, "hub-chained.crt")

        text = jupyterhub(ServedFiles(chain, None))

        assert len(text.splitlines()) == 2
        assert text.splitlines()[1].startswith("# c.JupyterHub.ssl_key")
        assert {"ssl_cert": str(chain)} == jupyterhub_values(text)

    @pytest.mark.parametrize("folder", AWKWARD_PATHS)
    def test_awkward_paths_in_key_note(self, folder: str) -> None:
        """A key note naming an awkward path stays one comment line: two lines of Python."""
        chain = Path(folder, "hub-chained.crt")
        note = (
            f"the key in {Path(folder, 'enc.key')} is encrypted: openssl pkey -in ... -out host.key"
        )

        text = jupyterhub(ServedFiles(chain, None, key_note=note))

        assert len(text.splitlines()) == 2, text
        assert {"ssl_cert": str(chain)} == jupyterhub_values(text)


# ------------------------------------------------------- the other formats

ONE_LINE = [folder for folder in AWKWARD_PATHS if "\n" not in folder]
BREAKS = ["/srv/line\nbreak/certs", "/srv/carriage\rreturn/certs"]
QUOTED = re.compile(r'^(?P<directive>\S+)\s+"(?P<value>(?:[^"\\]|\\.)*)"(?P<end>;?)$')


def unquote_directive(line: str) -> tuple[str, str, str]:
    """Split a ``Directive "value"`` line as nginx and httpd read it (``\\x`` -> ``x``)."""
    match = QUOTED.match(line)
    assert match is not None, line
    value = re.sub(r"\\(.)", r"\1", match["value"], flags=re.DOTALL)
    return match["directive"], value, match["end"]


def directives(text: str) -> dict[str, str]:
    """Return {directive: value} of the non-comment lines of an nginx or httpd snippet."""
    values = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        directive, value, _ = unquote_directive(line)
        values[directive] = value
    return values


def haproxy_crt(text: str) -> str:
    """Return the ``crt`` argument of the ``bind`` line, split as a POSIX shell or HAProxy would."""
    (bind,) = [line for line in text.splitlines() if not line.startswith("#")]
    words = shlex.split(bind)
    assert words[:4] == ["bind", ":443", "ssl", "crt"], words
    (path,) = words[4:]
    return path


class TestRegistry:
    def test_formats(self) -> None:
        """The registry holds exactly the five documented formats."""
        assert {"jupyterhub", "jupyterhub-cli", "nginx", "apache", "haproxy"} == set(RENDERERS)

    @pytest.mark.parametrize("name", ["jupyterhub", "jupyterhub-cli", "nginx", "apache"])
    def test_render_dispatches(self, name: str) -> None:
        """render() returns what the registered renderer returns."""
        files = ServedFiles(Path("/srv/hub/hub-chained.crt"), Path("/srv/hub/hub.key"))

        assert RENDERERS[name](files) == render(name, files)

    def test_snippet_error_is_a_certchain_error(self) -> None:
        """SnippetError derives from CertchainError, so the CLI reports it as bad input."""
        assert issubclass(SnippetError, CertchainError)


class TestJupyterhubCli:
    def test_with_key(self) -> None:
        """With a key file the command names both options."""
        files = ServedFiles(Path("/srv/hub/hub-chained.crt"), Path("/srv/hub/hub.key"))

        assert jupyterhub_cli(files) == (
            "jupyterhub --ssl-cert /srv/hub/hub-chained.crt --ssl-key /srv/hub/hub.key\n"
        )

    def test_without_key(self) -> None:
        """Without a key file the command ends with a shell comment saying what to do."""
        files = ServedFiles(Path("/srv/hub/hub-chained.crt"), None)

        assert jupyterhub_cli(files) == (
            "jupyterhub --ssl-cert /srv/hub/hub-chained.crt"
            "  # --ssl-key ...  (no private key was found: pass it with --key FILE)\n"
        )

    @pytest.mark.parametrize("folder", [*AWKWARD_PATHS, "/srv/$HOME/`id`/certs"])
    def test_awkward_paths_split_back(self, folder: str) -> None:
        """Awkward paths survive a POSIX shell's word splitting exactly."""
        chain, key = Path(folder, "hub-chained.crt"), Path(folder, "hub.key")

        text = jupyterhub_cli(ServedFiles(chain, key))

        assert text.endswith("\n")
        assert ["jupyterhub", "--ssl-cert", str(chain), "--ssl-key", str(key)] == shlex.split(text)

    @pytest.mark.parametrize("folder", AWKWARD_PATHS)
    def test_awkward_paths_without_key(self, folder: str) -> None:
        """Without a key the command still splits to the chain alone; the note is a comment."""
        chain = Path(folder, "hub-chained.crt")
        note = f"the key in {Path(folder, 'enc.key')} is encrypted"

        text = jupyterhub_cli(ServedFiles(chain, None, key_note=note))

        comment = text.partition("  # --ssl-key ...")[2]
        assert comment.endswith(")\n") and "\n" not in comment[:-1]
        assert ["jupyterhub", "--ssl-cert", str(chain)] == shlex.split(text, comments=True)


class TestNginx:
    def test_with_key(self) -> None:
        """With a key file the snippet is a comment and two quoted directives."""
        files = ServedFiles(Path("/srv/hub/hub-chained.crt"), Path("/srv/hub/hub.key"))

        assert nginx(files) == (
            "# inside the server { listen 443 ssl; ... } block\n"
            'ssl_certificate     "/srv/hub/hub-chained.crt";\n'
            'ssl_certificate_key "/srv/hub/hub.key";\n'
        )

    def test_without_key(self) -> None:
        """Without a key file the key directive is a comment with the note."""
        files = ServedFiles(Path("/srv/hub/hub-chained.crt"), None)

        assert nginx(files) == (
            "# inside the server { listen 443 ssl; ... } block\n"
            'ssl_certificate     "/srv/hub/hub-chained.crt";\n'
            "# ssl_certificate_key ...;  (no private key was found: pass it with --key FILE)\n"
        )

    @pytest.mark.parametrize("folder", ONE_LINE)
    def test_awkward_paths_read_back(self, folder: str) -> None:
        """Awkward paths read back exactly with nginx's quoting rules; each line ends with ';'."""
        chain, key = Path(folder, "hub-chained.crt"), Path(folder, "hub.key")

        text = nginx(ServedFiles(chain, key))

        assert 3 == len(text.splitlines())
        assert {"ssl_certificate": str(chain), "ssl_certificate_key": str(key)} == directives(text)
        assert all(unquote_directive(ln)[2] == ";" for ln in text.splitlines()[1:])

    def test_double_quote_is_escaped(self) -> None:
        """A double quote in a path is written as \\"."""
        text = nginx(ServedFiles(Path('/srv/say "hi"/c.crt'), Path("/srv/k.key")))

        assert 'ssl_certificate     "/srv/say \\"hi\\"/c.crt";' in text.splitlines()

    def test_backslash_is_escaped(self) -> None:
        """A backslash in a path is written as \\\\."""
        text = nginx(ServedFiles(Path("/srv/back\\slash/c.crt"), Path("/srv/k.key")))

        assert 'ssl_certificate     "/srv/back\\\\slash/c.crt";' in text.splitlines()

    @pytest.mark.parametrize("which", ["chain", "key"])
    @pytest.mark.parametrize("folder", ["/srv/$host/certs", "/srv/${x}/certs", "/srv/price$/c"])
    def test_dollar_is_refused(self, folder: str, which: str) -> None:
        """A '$' anywhere in either path raises SnippetError (nginx would expand it)."""
        chain = Path(folder if which == "chain" else "/srv", "hub-chained.crt")
        key = Path(folder if which == "key" else "/srv", "hub.key")

        with pytest.raises(SnippetError, match=r"\$"):
            nginx(ServedFiles(chain, key))

    @pytest.mark.parametrize("which", ["chain", "key"])
    @pytest.mark.parametrize("folder", BREAKS)
    def test_line_break_is_refused(self, folder: str, which: str) -> None:
        """A line break in either path raises SnippetError."""
        chain = Path(folder if which == "chain" else "/srv", "hub-chained.crt")
        key = Path(folder if which == "key" else "/srv", "hub.key")

        with pytest.raises(SnippetError, match="line break"):
            nginx(ServedFiles(chain, key))

    @pytest.mark.parametrize("folder", AWKWARD_PATHS)
    def test_awkward_key_note_stays_a_comment(self, folder: str) -> None:
        """A key note naming an awkward path stays on one comment line."""
        note = f"the key in {Path(folder, 'enc.key')} is encrypted"

        text = nginx(ServedFiles(Path("/srv/hub/c.crt"), None, key_note=note))

        assert 3 == len(text.splitlines())
        assert text.splitlines()[2].startswith("# ssl_certificate_key ...;")


class TestApache:
    def test_with_key(self) -> None:
        """With a key file the snippet is a comment and two quoted directives (httpd 2.4.8+)."""
        files = ServedFiles(Path("/srv/hub/hub-chained.crt"), Path("/srv/hub/hub.key"))

        assert apache(files) == (
            "# inside the <VirtualHost *:443> block, with SSLEngine on (httpd 2.4.8 or later)\n"
            'SSLCertificateFile    "/srv/hub/hub-chained.crt"\n'
            'SSLCertificateKeyFile "/srv/hub/hub.key"\n'
        )

    def test_without_key(self) -> None:
        """Without a key file the key directive is a comment with the note."""
        files = ServedFiles(Path("/srv/hub/hub-chained.crt"), None)

        assert apache(files).splitlines()[2] == (
            "# SSLCertificateKeyFile ...  (no private key was found: pass it with --key FILE)"
        )

    def test_no_chain_file_directive(self) -> None:
        """The obsolete SSLCertificateChainFile is never used."""
        files = ServedFiles(Path("/srv/hub/hub-chained.crt"), Path("/srv/hub/hub.key"))

        assert "SSLCertificateChainFile" not in apache(files)

    @pytest.mark.parametrize("folder", [*ONE_LINE, "/srv/$HOME/certs", "/srv/{x}$/certs"])
    def test_awkward_paths_read_back(self, folder: str) -> None:
        """Awkward paths, and a '$' without '{', read back exactly as httpd reads them."""
        chain, key = Path(folder, "hub-chained.crt"), Path(folder, "hub.key")

        text = apache(ServedFiles(chain, key))

        assert 3 == len(text.splitlines())
        assert {"SSLCertificateFile": str(chain), "SSLCertificateKeyFile": str(key)} == (
            directives(text)
        )

    def test_escapes(self) -> None:
        """Double quotes are written as \\" and backslashes as \\\\."""
        text = apache(ServedFiles(Path('/srv/a "b" \\c/c.crt'), Path("/srv/k.key")))

        assert 'SSLCertificateFile    "/srv/a \\"b\\" \\\\c/c.crt"' in text.splitlines()

    @pytest.mark.parametrize("which", ["chain", "key"])
    def test_variable_is_refused(self, which: str) -> None:
        """'${' in either path raises SnippetError (httpd would substitute a variable)."""
        chain = Path("/srv/${APACHE_LOG_DIR}" if which == "chain" else "/srv", "c.crt")
        key = Path("/srv/${APACHE_LOG_DIR}" if which == "key" else "/srv", "k.key")

        with pytest.raises(SnippetError, match=r"\$\{"):
            apache(ServedFiles(chain, key))

    @pytest.mark.parametrize("which", ["chain", "key"])
    @pytest.mark.parametrize("folder", BREAKS)
    def test_line_break_is_refused(self, folder: str, which: str) -> None:
        """A line break in either path raises SnippetError."""
        chain = Path(folder if which == "chain" else "/srv", "hub-chained.crt")
        key = Path(folder if which == "key" else "/srv", "hub.key")

        with pytest.raises(SnippetError, match="line break"):
            apache(ServedFiles(chain, key))


class TestHaproxy:
    def test_text(self) -> None:
        """With a combined file the snippet is a comment and one bind line."""
        files = ServedFiles(
            Path("/srv/hub/hub-chained.crt"), Path("/srv/hub/hub.key"),
            combined=Path("/srv/hub/hub.pem"),
        )

        assert haproxy(files) == "# in the frontend section\nbind :443 ssl crt /srv/hub/hub.pem\n"

    def test_key_file_is_not_needed(self) -> None:
        """The combined file carries the key, so a missing key file does not matter."""
        files = ServedFiles(Path("/srv/c.crt"), None, combined=Path("/srv/hub.pem"))

        assert "/srv/hub.pem" == haproxy_crt(haproxy(files))

    def test_without_combined_is_refused(self) -> None:
        """Without a combined file haproxy() raises SnippetError naming --combined."""
        files = ServedFiles(Path("/srv/hub/hub-chained.crt"), Path("/srv/hub/hub.key"))

        with pytest.raises(SnippetError, match="--combined"):
            haproxy(files)

    @pytest.mark.parametrize("folder", [*ONE_LINE, "/srv/$HOME/#x/certs", "/srv/${V}/certs"])
    def test_awkward_paths_split_back(self, folder: str) -> None:
        """Awkward paths are shell-quoted and split back to the exact path."""
        combined = Path(folder, "hub.pem")

        text = haproxy(ServedFiles(Path("/srv/c.crt"), None, combined=combined))

        assert 2 == len(text.splitlines())
        assert str(combined) == haproxy_crt(text)
        assert f"bind :443 ssl crt {shlex.quote(str(combined))}" == text.splitlines()[1]

    @pytest.mark.parametrize("folder", BREAKS)
    def test_line_break_is_refused(self, folder: str) -> None:
        """A line break in the combined path raises SnippetError."""
        files = ServedFiles(Path("/srv/c.crt"), None, combined=Path(folder, "hub.pem"))

        with pytest.raises(SnippetError, match="line break"):
            haproxy(files)
