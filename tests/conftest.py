"""Shared fixtures: the test PKI, the pinned time, the CLI runner, testdata(), real servers."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

sys.path.insert(0, str(Path(__file__).parent))

from pki import PKI, T0, Hierarchy, hierarchy
from serverkit import Servers, require_binary

ROOT = Path(__file__).resolve().parent.parent

# The fuzz suite's profiles (tests/test_fuzz_*.py, weights in fuzzkit.examples).
# "ci", the default and CI's: derandomized, so every run tries the same inputs
# and a failure reproduces; no example database, so nothing is written into
# the clone; every input answered within 1 s (issue 9); a property of weight
# N tries N inputs.  Generating a damaged certificate signs it, which hypothesis may
# find slow: that cost is the input's, not a bug.  "long"
# (HYPOTHESIS_PROFILE=long): 20 times the inputs, new random ones every run.
settings.register_profile(
    "ci", derandomize=True, database=None, deadline=timedelta(seconds=1), max_examples=100,
    print_blob=False, suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long", settings.get_profile("ci"), derandomize=False, max_examples=2000, print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
# Hypothesis also caches what it learns of the code in ./.hypothesis: keep it
# out of the clone too, in a folder of this run's own.
if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
    _HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="certchain-hypothesis-")
    set_hypothesis_home_dir(_HYPOTHESIS_HOME)
    atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)


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


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    """Start servers under ``tmp_path/run``; every one is stopped at teardown, even on failure."""
    workdir = tmp_path / "run"
    workdir.mkdir()
    pool = Servers(workdir)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture(scope="module")
def openssl() -> str:
    """The openssl program, to read the chain a server sends."""
    return require_binary("openssl")
