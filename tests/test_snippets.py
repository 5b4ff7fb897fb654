"""The jupyterhub_config.py lines: exact text and Python validity."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from certchain import ServedFiles, jupyterhub
from certchain.snippets import RENDERERS

AWKWARD = [
    "/srv/my hub/certs",
    "/srv/O'Brien/certs",
    '/srv/say "hi"/certs',
    "/srv/back\\slash/certs",
    "/srv/both ' and \"/certs",
    "/srv/ünïcødé ☃/certs",
    "/srv/line\nbreak/certs",
    "/srv/tab\there/certs",
]


def assignments(text: str) -> dict[str, str]:
    """Parse *text* and return {attribute: value} of every ``c.JupyterHub.X = '...'`` line."""
    values: dict[str, str] = {}
    for node in ast.parse(text).body:
        assert isinstance(node, ast.Assign), ast.dump(node)
        (target,) = node.targets
        assert isinstance(target, ast.Attribute)
        assert isinstance(target.value, ast.Attribute) and target.value.attr == "JupyterHub"
        assert isinstance(target.value.value, ast.Name) and target.value.value.id == "c"
        assert isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        values[target.attr] = node.value.value
    return values


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
    @pytest.mark.parametrize("folder", AWKWARD)
    def test_awkward_paths_with_key(self, folder: str) -> None:
        """Awkward paths give exactly two lines that parse to the exact paths."""
        chain, key = Path(folder, "hub-chained.crt"), Path(folder, "hub.key")

        text = jupyterhub(ServedFiles(chain, key))

        assert len(text.splitlines()) == 2
        assert {"ssl_cert": str(chain), "ssl_key": str(key)} == assignments(text)

    @pytest.mark.parametrize("folder", AWKWARD)
    def test_awkward_paths_without_key(self, folder: str) -> None:
        """Awkward paths in the comment form give two lines, only ssl_cert assigned."""
        chain = Path(folder, "hub-chained.crt")

        text = jupyterhub(ServedFiles(chain, None))

        assert len(text.splitlines()) == 2
        assert text.splitlines()[1].startswith("# c.JupyterHub.ssl_key")
        assert {"ssl_cert": str(chain)} == assignments(text)

    @pytest.mark.parametrize("folder", AWKWARD)
    def test_awkward_paths_in_key_note(self, folder: str) -> None:
        """A key note naming an awkward path stays one comment line: two lines of Python."""
        chain = Path(folder, "hub-chained.crt")
        note = (
            f"the key in {Path(folder, 'enc.key')} is encrypted: openssl pkey -in ... -out host.key"
        )

        text = jupyterhub(ServedFiles(chain, None, key_note=note))

        assert len(text.splitlines()) == 2, text
        assert {"ssl_cert": str(chain)} == assignments(text)
