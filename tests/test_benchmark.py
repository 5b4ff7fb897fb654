"""benchmarks/run.py works: quick mode runs every command, checks every answer, prints every row.

No time is checked here: the benchmark is not a timed test (issue 10).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from cryptography.hazmat.primitives import serialization

RUN = ROOT / "benchmarks" / "run.py"
#: The rows of --quick (sizes 100 and 1,000, 20 files, small pools), each at the start of a line.
ROWS = [
    "`certchain --version`",
    "`build` of a 3-certificate chain",
    "a leaf against 100 candidates",
    "a leaf against 1,000 candidates",
    "growth 100 → 1,000 candidates",
    "`verify` of 20 files in one call",
    "`audit` of 40 sites across 4 included files",
    "200 same-named CAs (`decoys`)",
    "a cross-sign mesh of 8 CAs (`mesh-same`)",
    "5 levels of re-issued CAs (`reissued`)",
]


def _quick(data: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN), "--quick", "--data", str(data), *more],
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for the module: the second run reads the files the first one made."""
    return tmp_path_factory.mktemp("bench-data")


def test_quick_run_prints_every_row(data: Path) -> None:
    """--quick exits 0, so every command succeeded with the right chain, and prints every row."""
    result = _quick(data)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("machine: ") and " cores, " in lines[0]
    assert lines[1].startswith("command: ") and "--quick" in lines[1]
    table = lines[lines.index("") + 1:]
    assert table[0].split()[:3] == ["work", "certchain", "compared"]
    assert [line for row in ROWS for line in table if line.startswith(row)] == table[1:]
    candidates = [line for line in table if line.startswith("a leaf against")]
    assert all("pyca " in line and "openssl " in line for line in candidates)


def test_quick_run_as_markdown(data: Path) -> None:
    """--markdown prints the same rows as a markdown table, from the cached data."""
    result = _quick(data, "--markdown")
    assert result.returncode == 0, result.stderr
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert table[1].startswith("| --- |")
    assert [line.split(" | ")[0] for line in table[2:]] == [f"| {row}" for row in ROWS]


def test_a_wrong_answer_fails_the_run(tmp_path: Path) -> None:
    """A candidates file without the real intermediate: certchain fails, so the run exits 1."""
    sys.path.insert(0, str(RUN.parent))
    from benchdata import Data, read_pem

    candidates = Data(tmp_path).candidates(100)
    decoys = read_pem(candidates)[:-1]  # the real intermediate is the last one
    candidates.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in decoys))
    result = _quick(tmp_path, "--sizes", "100")
    assert result.returncode == 1
    assert "benchmark failed: certchain build: exited 1" in result.stderr
    assert "`build` of a 3-certificate chain" in result.stdout  # measured before the failure
    assert "a leaf against 100 candidates" not in result.stdout
