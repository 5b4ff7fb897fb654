"""Shared fixtures: the test PKI, the pinned time, the CLI runner, testdata()."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from pki import PKI, T0, Hierarchy, hierarchy

ROOT = Path(__file__).resolve().parent.parent


def testdata(*parts: str) -> Path:
    """Return the path of a committed fixture under testdata/."""
    return ROOT.joinpath("testdata", *parts)


testdata.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


@pytest.fixture(scope="session")
def pki() -> PKI:
    """The certificate factory (keys are fresh per certificate)."""
    return PKI()


@pytest.fixture
def at():  # type: ignore[no-untyped-def]
    """The validation time every test uses."""
    return T0


@pytest.fixture(scope="session")
def chain3(pki: PKI) -> Hierarchy:
    """A root -> intermediate -> leaf hierarchy for hub.example.org (shared, read-only)."""
    return hierarchy(pki, "hub.example.org")


@pytest.fixture
def runner() -> CliRunner:
    """A click runner (stdout and stderr are separate in click >= 8.2)."""
    return CliRunner()


def installed_script() -> str:
    """The installed ``certchain`` console script (beside this Python, else on PATH)."""
    beside = Path(sys.executable).parent / "certchain"
    if beside.is_file():
        return str(beside)
    found = shutil.which("certchain")
    assert found is not None, "the certchain console script is not installed"
    return found
