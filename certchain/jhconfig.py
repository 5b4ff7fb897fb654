"""
``jupyterhub_config.py``, read and edited statically: parsed, never executed.

Reading: the ``c.Class.trait = value`` assignments, with their values when
they are literals, and the line of each.  Editing: set ``ssl_cert`` and
``ssl_key`` by replacing the value expressions of existing assignments in
place (every other byte stays), or by appending the assignments.
Pure: text in, text out; :mod:`certchain.cli` does the file handling with
:mod:`certchain.write`.

A UTF-8 byte order mark at the start is accepted (Python and JupyterHub
accept it) and kept by an edit.  Both directions take time linear in the
text: the value expressions are cut from the UTF-8 bytes by the parser's
own offsets.  A file Python's parser itself cannot hold (an expression
nested deeper than its stack) is a :class:`ConfigError`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

__all__ = ["ConfigError", "Setting", "parse_settings", "set_ssl"]  # ConfigError: errors.py

_UNSET = object()
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Setting:
    """One ``c.<section>.<trait> = value`` assignment."""

    section: str  # "JupyterHub", "Spawner", ...
    trait: str  # "ssl_cert", ...
    line: int  # 1-based, of the assignment's target
    source: str  # the value expression as written
    value: object = _UNSET  # the literal value, or _UNSET when not a literal

    @property
    def evaluated(self) -> bool:
        """True when the value is a literal certchain could read without running it."""
        return self.value is not _UNSET


def parse_settings(text: str, path: Path | None = None) -> list[Setting]:
    """
    Return every ``c.X.y = value`` assignment of *text*, in file order.

    Values are evaluated with :func:`ast.literal_eval` only: anything else
    (a function call, a variable, an f-string) is returned unevaluated.

    Raises:
        ConfigError: *text* is not valid Python.
    """
    text = text.removeprefix(_BOM)
    tree = _parse(text, path)
    source = _Source(text)
    settings = []
    for node in ast.walk(tree):
        for target, value in _assignments(node):
            name = _trait(target)
            if name is None:
                continue
            try:
                literal: object = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                literal = _UNSET
            segment = source.segment(value)
            settings.append(Setting(name[0], name[1], target.lineno, segment, literal))
    settings.sort(key=lambda s: s.line)
    return settings


def set_ssl(text: str, cert: Path, key: Path, path: Path | None = None) -> str:
    """
    Return *text* with ``c.JupyterHub.ssl_cert`` and ``ssl_key`` set.

    Existing assignments have their value replaced in place (all of them:
    the last one wins in Python, and a stale earlier one would mislead a
    reader).  An assignment is appended where the file may end with another
    value: none sets the trait, or the last statement that does is not a
    plain assignment at the top of the file (one inside ``if``, a ``+=``).
    Running it again on its own output returns the same text.

    Raises:
        ConfigError: *text* is not valid Python.
    """
    wanted = {"ssl_cert": repr(str(cert)), "ssl_key": repr(str(key))}
    bom = _BOM if text.startswith(_BOM) else ""
    text = text[len(bom):]
    tree = _parse(text, path)
    spans: list[tuple[int, int, str]] = []
    source = _Source(text)
    for node in ast.walk(tree):
        pairs = _assignments(node)
        for target, value in pairs:
            name = _trait(target)
            if name is None or name[0] != "JupyterHub" or name[1] not in wanted:
                continue
            if len(pairs) > 1:
                # `c.JupyterHub.ssl_cert = c.JupyterHub.ssl_key = x`: one value
                # cannot become two paths; rewriting the statement is the
                # user's call, so refuse and change nothing.
                raise ConfigError(
                    f"{path or '<config>'}: line {target.lineno} assigns c.JupyterHub."
                    f"{name[1]} together with other names; split it into one "
                    "assignment per line, then run again (the file was left unchanged)."
                )
            spans.append((*source.span(value), wanted[name[1]]))
    pieces, done = [], 0
    for start, end, literal in sorted(spans):
        pieces += [source.data[done:start], literal.encode("utf-8", "surrogatepass")]
        done = end
    text = b"".join([*pieces, source.data[done:]]).decode("utf-8", "surrogatepass")
    settled = _set_last(tree)
    missing = [t for t in ("ssl_cert", "ssl_key") if t not in settled]
    if missing:
        newline = "\r\n" if "\r\n" in text else "\n"  # the file's own line ending
        if text and not text.endswith(("\n", "\r")):
            text += newline
        text += "".join(f"c.JupyterHub.{t} = {wanted[t]}{newline}" for t in missing)
    return bom + text


def _parse(text: str, path: Path | None) -> ast.Module:
    try:
        return ast.parse(text, filename=str(path or "<config>"))
    except (RecursionError, MemoryError) as exc:
        # What CPython's parser raises for an expression nested deeper than
        # its stack (200,000 terms of a + b + ...): Python cannot compile the
        # file either, so JupyterHub would not start with it.
        raise ConfigError(
            f"{path or '<config>'}: is nested too deeply for Python's parser (an "
            "expression of too many terms or brackets), so JupyterHub cannot load it "
            "either; it was left unchanged: simplify it first."
        ) from exc
    except SyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else "somewhere"
        raise ConfigError(
            f"{path or '<config>'}: is not valid Python ({exc.msg}, {where}); "
            "it was left unchanged: fix it first."
        ) from exc
    except ValueError as exc:  # null bytes
        raise ConfigError(f"{path or '<config>'}: is not valid Python ({exc}).") from exc


def _assignments(node: ast.AST) -> list[tuple[ast.expr, ast.expr]]:
    if isinstance(node, ast.Assign):
        return [(t, node.value) for t in node.targets]
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return [(node.target, node.value)]
    return []


def _set_last(tree: ast.Module) -> set[str]:
    """
    The JupyterHub traits the file certainly sets last with a plain assignment.

    Those whose last top-level statement that sets them is an assignment at
    the top level, not one inside ``if``, ``try`` or a loop, nor a ``+=``.
    """
    last: dict[str, bool] = {}
    for statement in tree.body:
        plain = {name[1] for target, _ in _assignments(statement)
                 if (name := _trait(target)) is not None and name[0] == "JupyterHub"}
        for node in ast.walk(statement):
            for target in _targets(node):
                name = _trait(target)
                if name is not None and name[0] == "JupyterHub":
                    last[name[1]] = name[1] in plain
    return {trait for trait, is_plain in last.items() if is_plain}


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    return []


def _trait(target: ast.expr) -> tuple[str, str] | None:
    """Return (section, trait) for a ``c.Section.trait`` target, else None."""
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Attribute)
        and isinstance(target.value.value, ast.Name)
        and target.value.value.id == "c"
    ):
        return target.value.attr, target.attr
    return None


class _Source:
    """
    The text as UTF-8 bytes, with where each line starts: what ``ast`` offsets count.

    ``ast`` gives each node's line and its column in UTF-8 bytes; cutting
    the bytes with them costs nothing per node, where
    ``ast.get_source_segment`` splits the whole text at each call.
    """

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8", "surrogatepass")
        # Python's own line breaks only (str.splitlines also splits on \f, \x1c, ...).
        self.lines = [0, *(m.end() for m in re.finditer(rb"\r\n|\r|\n", self.data))]

    def span(self, node: ast.expr) -> tuple[int, int]:
        """The byte offsets of *node* in :attr:`data`."""
        start = self.lines[node.lineno - 1] + node.col_offset
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return start, self.lines[end_line - 1] + end_col

    def segment(self, node: ast.expr) -> str:
        """The source text of *node*, as written."""
        start, end = self.span(node)
        return self.data[start:end].decode("utf-8", "surrogatepass")
