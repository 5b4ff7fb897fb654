"""The README's examples run as written."""

from __future__ import annotations

import os
import re

from conftest import ROOT

README = ROOT / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_library_example_runs(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The README's library example builds the demo chain with the documented result."""
    blocks = _python_blocks()
    assert blocks, "the README has no python example"
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})


def test_quick_start_names_the_demo_files() -> None:
    """The Quick start's build command names files that exist in testdata/demo."""
    text = README.read_text()
    start = text.index("## Quick start")
    (build_line,) = [
        line for line in text[start : start + 1500].splitlines()
        if "certchain build" in line and "pip install" in line
    ]
    names = re.findall(r"testdata/demo/[\w.-]+", build_line)
    assert names
    for name in names:
        assert (ROOT / name).is_file(), name
    assert os.access(ROOT / ".ci" / "run", os.R_OK)
    command = "python3 -m pip install '.[test]' && python3 -m pytest"
    assert command in (ROOT / ".ci" / "run").read_text()
    assert command in text[start : start + 1500]
