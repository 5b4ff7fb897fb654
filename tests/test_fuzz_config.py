"""
Fuzzing ``jupyterhub_config.py`` handling (issue 9) with odd but valid Python
made from a small grammar: assignments to ``c.JupyterHub.ssl_cert`` and its
neighbours (plain, annotated, chained, tuple and starred targets, augmented)
with nested expressions, f-strings, comments, unicode, a BOM, CRLF line ends,
``;`` and backslash continuations, inside ``if``/``for``/``def``/``class``/``try``.

The properties: :func:`~certchain.jhconfig.parse_settings` reads every valid
file; :func:`~certchain.jhconfig.set_ssl` writes valid Python that, run,
sets exactly the paths asked for, and is idempotent; ``doctor`` and
``config --write`` end cleanly on such a file.
"""

from __future__ import annotations

import ast
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from configtext import AWKWARD_PATHS
from fuzzkit import assert_clean_outcome, corpus, examples
from hypothesis import assume, given
from hypothesis import strategies as st
from pki import T0_ISO

from certchain.cli import main
from certchain.jhconfig import ConfigError, parse_settings, set_ssl

BOM = "\ufeff"
TRAITS = ["ssl_cert", "ssl_key", "bind_url", "ip", "hub_ip", "port", "spawner_class"]

# ------------------------------------------------------------------ grammar

words = st.text(
    st.sampled_from("abc/._-é☃ \t'\"\\{}%\x1b\n€𝄞"), max_size=12
)


@st.composite
def string(draw: st.DrawFn) -> str:
    """A str literal: any quoting, prefix, escapes, implicit concatenation."""
    value = draw(words)
    form = draw(st.sampled_from(["repr", "double", "triple", "raw", "u", "concat", "escape"]))
    if form == "double":
        return '"' + repr(value)[1:-1].replace('"', '\\"') + '"'
    if form == "triple":
        return "'''" + value.replace("\\", "\\\\").replace("'", "\\'") + "'''"
    if form == "raw" and value and not set(value) & set("'\\\n"):
        return "r'" + value + "'"
    if form == "u":
        return "u" + repr(value)
    if form == "concat":
        return f"({value!r}\n    {draw(words)!r})"
    if form == "escape":
        return "'\\N{SNOWMAN}\\x41\\u00e9/srv'"
    return repr(value)


NAMES = ["x", "y", "os", "Path", "environ", "c"]


@st.composite
def fstring(draw: st.DrawFn) -> str:
    inner = draw(st.sampled_from(["x", "y!r", "x:>10", "1 + 2", '"q"', "y.upper()"]))
    return f"f'/srv/{{{inner}}}/cert.pem'"


atoms = st.one_of(
    string(), fstring(), st.integers(-10, 10**6).map(str), st.sampled_from(
        ["None", "True", "False", "3.5", "x", "y", "os.sep", "environ.get('HOME', '/root')",
         "Path('/srv') / 'hub.pem'", "os.path.join('/srv', 'hub.key')", "b'bytes'", "..."]
    ),
)


def _compound(expr: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(expr, expr)
    return st.one_of(
        pair.map(lambda p: f"{p[0]} + {p[1]}"),
        pair.map(lambda p: f"({p[0]} if x else {p[1]})"),
        pair.map(lambda p: f"[{p[0]}, {p[1]}]"),
        pair.map(lambda p: f"{{'k': {p[0]}, 'j': {p[1]}}}"),
        expr.map(lambda e: f"({e})"),
        expr.map(lambda e: f"str({e})"),
        expr.map(lambda e: f"(lambda: {e})()"),
        expr.map(lambda e: f"[v for v in [{e}]][0]"),
        expr.map(lambda e: f"(w := {e})"),
        expr.map(lambda e: f"(\n    {e}\n)"),
    )


expressions = st.recursive(atoms, _compound, max_leaves=4)


@st.composite
def target(draw: st.DrawFn) -> str:
    section = draw(st.sampled_from(["JupyterHub", "JupyterHub", "Spawner", "Proxy"]))
    return f"c.{section}.{draw(st.sampled_from(TRAITS))}"


#: The forms of a statement, over a target {name}, a second target {other},
#: values {value} and {more}, and a {comment}.
FORMS = {
    "assign": "{name} = {value}",
    "annotated": "{name}: str = {value}",
    "chained": "{name} = {other} = {value}",
    "tuple": "{name}, {other} = {value}, {more}",
    "starred": "{name}, *rest = {value}, {more}, 3",
    "augmented": "{name} += {value}",
    "semicolon": "x = 1; {name} = {value}",
    "continued": "{name} = \\\n    {value}",
    "subscript": "c.JupyterHub['ssl_cert'] = {value}",
    "setattr": "setattr(c.JupyterHub, 'ssl_key', {value})",
    "comment": "# {comment}",
    "import": "import os.path",
    "from": "from pathlib import Path",
    "if": "if x:\n    {name} = {value}",
    "for": "for i in range(2):\n    {name} = {value}",
    "def": "def configure():\n    {name} = {value}",
    "class": "class Settings:\n    {name} = {value}",
    "try": "try:\n    {name} = {value}\nexcept Exception:\n    pass",
}


@st.composite
def statement(draw: st.DrawFn) -> str:
    """One statement (possibly compound), without its line end; plain assignments most often."""
    form = draw(st.sampled_from(["assign", "assign", *FORMS]))
    return FORMS[form].format(
        name=draw(target()), other=draw(target()), value=draw(expressions),
        more=draw(expressions), comment=draw(words).replace("\n", " ").replace("\r", " "),
    )


@st.composite
def config_text(draw: st.DrawFn) -> str:
    """A valid jupyterhub_config.py (a BOM and CRLF now and then)."""
    lines = draw(st.lists(statement(), min_size=1, max_size=6))
    if draw(st.booleans()):
        lines.insert(0, "c = get_config()  # noqa: F821")
    if draw(st.integers(0, 9)) == 0:
        lines.insert(0, "# -*- coding: utf-8 -*-")
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        assume(False)
    if draw(st.integers(0, 4)) == 0:
        text = text.replace("\n", "\r\n")
    if draw(st.integers(0, 9)) == 0:
        text = BOM + text
    return text


# -------------------------------------------------------------- properties


class Section:
    """A traitlets-like config section: any attribute can be set and read back."""

    def __getattr__(self, name: str) -> Any:
        value = Section()
        setattr(self, name, value)
        return value

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self, name, value)


def run_config(text: str) -> Section | None:
    """Run *text* as JupyterHub would, with a stand-in ``c``; None when it raises."""
    config = Section()
    namespace: dict[str, Any] = {
        "c": config, "get_config": lambda: config, "x": "/x", "y": "y", "environ": {},
        "os": __import__("os"), "Path": Path,
    }
    try:
        exec(compile(text.removeprefix(BOM), "<config>", "exec"), namespace)
    except Exception:
        return None
    return namespace["c"] if isinstance(namespace["c"], Section) else None


def unseen_ssl_writes(text: str) -> bool:
    """
    Whether *text* writes ssl_cert or ssl_key other than by a plain assignment
    at the top level: inside a block (def, class, if, loop, try), by ``+=``,
    through a tuple or starred target, ``setattr`` or a subscript.  set_ssl
    rewrites assignments wherever they stand and appends only when it found
    none, so such a file may not set the path when run (found by this suite,
    not in issue 9: test_fuzz_regressions.py records it).  Such files are
    left out of the run-it check only.
    """
    tree = ast.parse(text.removeprefix(BOM))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        targets = getattr(node, "targets", [getattr(node, "target", None)])
        plain = (
            isinstance(node, (ast.Assign, ast.AnnAssign)) and id(node) in top
            and all(isinstance(t, ast.Attribute) for t in targets)
        )
        if plain or not isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Call)):
            continue
        if "ssl_" in (ast.get_source_segment(text.removeprefix(BOM), node) or ""):
            return True
    return False


paths = st.sampled_from(AWKWARD_PATHS) | words.map(lambda w: "/srv/" + w)


class TestParse:
    @examples(1000)
    @given(config_text())
    def test_parse_settings(self, text: str) -> None:
        """Every valid file is read; each setting's source is its text, its value that text's."""
        for setting in parse_settings(text):
            assert 1 <= setting.line <= text.count("\n") + 1
            if setting.evaluated and setting.source:
                assert ast.literal_eval(f"({setting.source})") == setting.value

    @examples(400)
    @given(config_text(), paths, paths)
    def test_set_ssl(self, text: str, cert: str, key: str) -> None:
        """set_ssl writes valid Python that, run, sets the two paths; run again, changes nothing."""
        parse_settings(text)  # every valid file is read (a BOM too)
        try:
            edited = set_ssl(text, Path(cert), Path(key))
        except ConfigError as exc:
            assert "together with other names" in str(exc)
            return
        assert edited.startswith(BOM) == text.startswith(BOM)
        assert set_ssl(edited, Path(cert), Path(key)) == edited
        settings = parse_settings(edited)
        for setting in settings:
            if setting.section == "JupyterHub" and setting.trait in ("ssl_cert", "ssl_key"):
                assert setting.value == {"ssl_cert": str(Path(cert)),
                                         "ssl_key": str(Path(key))}[setting.trait]
        before, after = run_config(text), run_config(edited)
        if before is not None and after is not None and not unseen_ssl_writes(text):
            hub = after.JupyterHub
            assert (hub.ssl_cert, hub.ssl_key) == (str(Path(cert)), str(Path(key))), edited


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the files of every example of the module."""
    return tmp_path_factory.mktemp("fuzz-config")


class TestCommands:
    @examples(200)
    @given(config_text(), st.sampled_from(["doctor", "config"]), st.booleans())
    def test_doctor_and_config_write(
        self, scratch: Path, text: str, command: str, crlf_paths: bool
    ) -> None:
        """doctor and config --write on odd configs end with a report or one Error: line."""
        with tempfile.TemporaryDirectory(dir=scratch) as where:
            folder = Path(where)
            (folder / "hub.crt").write_bytes(corpus().files["chain.pem"])
            (folder / "hub.key").write_bytes(corpus().files["leaf.key"])
            (folder / "root.pem").write_bytes(corpus().root.pem)
            newline = "\r\n" if crlf_paths else "\n"
            text += f"{newline}c.JupyterHub.ssl_cert = 'hub.crt'{newline}"
            config = folder / "jupyterhub_config.py"
            config.write_bytes(text.encode())
            trust = ["--trust", str(folder / "root.pem"), "--at", T0_ISO]
            if command == "doctor":
                args = ["doctor", str(config), *trust]
            else:
                args = ["config", str(folder / "hub.crt"), "--write", str(config), *trust]
            result = CliRunner().invoke(main, args)
            written = config.read_bytes().decode()
        assert_clean_outcome(result, "jupyterhub_config.py", "hub.crt", "hub.key", "root.pem")
        if command == "config" and result.exit_code == 0:
            ast.parse(written.removeprefix(BOM))
            assert written.startswith(BOM) == text.startswith(BOM)
