"""Shared helpers for tests about configuration text: awkward paths, parsed assignments."""

from __future__ import annotations

import ast

#: Folder names that break naive quoting: spaces, both quotes, a backslash,
#: non-ASCII text, a line break, and format-string look-alikes.
AWKWARD_PATHS = [
    "/srv/my hub/certs",
    "/srv/O'Brien/certs",
    '/srv/say "hi"/certs',
    "/srv/back\\slash/certs",
    "/srv/both ' and \"/certs",
    "/srv/ünïcødé ☃/certs",
    "/srv/line\nbreak/certs",
    "/srv/{braces}/%s/certs",
    "/srv/tab\there/certs",
]


def jupyterhub_values(text: str) -> dict[str, str]:
    """Parse *text* as Python and return {trait: value} of its ``c.JupyterHub.X = '...'`` lines."""
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
