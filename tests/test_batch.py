"""
Batches: many files judged on every core, in the order given (issue 10).

``verify`` of many files forks a pool of workers (certchain/batch.py); what
it prints must be exactly what judging the files one by one prints.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pki import PKI, T0_ISO, hierarchy, pem

from certchain import batch


def square(n: int) -> int:
    return n * n


def pid(_: int) -> int:
    return os.getpid()


class TestMapOrdered:
    def test_results_in_the_order_of_the_inputs(self) -> None:
        """Every result comes back, in input order, whatever worker made it."""
        items = list(range(500))

        assert list(batch.map_ordered(square, items, workers=2)) == [n * n for n in items]

    @pytest.mark.skipif(batch.cores() < 2 or not sys.platform.startswith("linux"),
                        reason="a pool needs two cores and fork")
    def test_many_items_use_other_processes(self) -> None:
        """A batch of many items is worked in forked processes, not in the caller."""
        pids = set(batch.map_ordered(pid, list(range(200)), workers=2))

        assert os.getpid() not in pids and len(pids) >= 1

    def test_few_items_stay_in_the_caller(self) -> None:
        """Below MIN_PARALLEL items, the work runs here (a pool costs more than it saves)."""
        pids = set(batch.map_ordered(pid, list(range(batch.MIN_PARALLEL - 1)), workers=2))

        assert pids == {os.getpid()}

    def test_closures_are_work_too(self) -> None:
        """The workers are forked, so the work may be a closure over local values."""
        offset = 7

        results = list(batch.map_ordered(lambda n: n + offset, list(range(100)), workers=2))

        assert results == [n + 7 for n in range(100)]

    @pytest.mark.skipif(batch.cores() < 2 or not sys.platform.startswith("linux"),
                        reason="a pool needs two cores and fork")
    def test_a_worker_killed_is_an_error_not_a_hang(self) -> None:
        """A worker that dies (killed, out of memory) ends the batch with BatchError at once."""
        def die_at_50(n: int) -> int:
            if n == 50:
                os.kill(os.getpid(), signal.SIGKILL)
            return n

        started = time.monotonic()
        with pytest.raises(batch.BatchError, match="ended abruptly"):
            list(batch.map_ordered(die_at_50, list(range(200)), workers=2))
        assert time.monotonic() - started < 30

    def test_stopping_early_leaves_no_worker_behind(self) -> None:
        """A caller that stops reading the results gets the pool shut down."""
        results = batch.map_ordered(square, list(range(1000)), workers=2)

        assert next(iter(results)) == 0
        results.close()  # type: ignore[attr-defined]
        assert batch._work is None

    def test_an_exception_ends_the_batch(self) -> None:
        """An exception raised by the work reaches the caller."""
        def fail_at_50(n: int) -> int:
            if n == 50:
                raise ValueError("fifty")
            return n

        with pytest.raises(ValueError, match="fifty"):
            list(batch.map_ordered(fail_at_50, list(range(100)), workers=2))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    """40 chained files (three of them broken in different ways) and the root."""
    folder = tmp_path_factory.mktemp("batch")
    pki = PKI()
    chain = hierarchy(pki, "host0.example.org")
    root = chain.root.write(folder / "root.pem")
    paths = []
    for n in range(40):
        leaf = pki.leaf(chain.intermediate, f"host{n}.example.org")
        path = folder / f"host{n:02}.pem"
        if n == 10:
            path.write_bytes(pem(leaf.cert))  # the intermediate is missing
        elif n == 20:
            path.write_bytes(b"not a certificate\n")
        else:
            path.write_bytes(pem(leaf.cert) + chain.intermediate.pem)
        paths.append(path)
    return paths, root


def certchain(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the real command line (stdin is not a terminal: many files use the pool)."""
    return subprocess.run(
        [sys.executable, "-m", "certchain", *map(str, argv)], capture_output=True, text=True,
        timeout=120, stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("mode", [[], ["--json"], ["-q"]])
def test_verify_of_many_files_prints_what_one_by_one_prints(
    files: tuple[list[Path], Path], mode: list[str]
) -> None:
    """verify of 40 files on every core prints, in order, what each file alone prints."""
    paths, root = files
    common = ["--trust", root, "--at", T0_ISO, *mode]

    together = certchain("verify", *paths, *common)
    alone = [certchain("verify", path, *common) for path in paths]

    assert together.returncode == 2  # one file cannot be read
    expected_out = "".join(r.stdout for r in alone)
    summary = "40 files: 38 ok, 1 with errors, 1 unreadable.\n"
    if mode == ["--json"]:
        assert together.stdout == expected_out
        assert together.stderr.endswith(summary)
    elif mode == ["-q"]:
        assert together.stdout == expected_out
    else:
        assert together.stdout == expected_out + summary
    assert "host20.pem" in together.stderr and "Error:" in together.stderr
