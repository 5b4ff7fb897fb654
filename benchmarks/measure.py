"""
Time one command as a process of its own, and read that process's own peak memory.

Each run is forked by a small shell, adopted, and reaped with ``os.wait4``,
whose resource usage is that of the process (and of the children it waited
for), never the sum over every child benchmarks/run.py ever started, as
``RUSAGE_CHILDREN`` would be, nor this Python process's own size (see
``_LAUNCH``).  On Linux ``ru_maxrss`` is the peak resident set in KiB; a
process's peak includes its children's, as the largest of them, not their sum.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shlex
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchdata import fingerprint, read_pem
from cryptography import x509

#: Given the run's output (stdout then stderr); returns what is wrong with it, or None.
Check = Callable[[str], str | None]


class CommandFailed(Exception):
    """A command exited non-zero or gave a wrong answer: the benchmark's figures mean nothing."""


@dataclass(frozen=True)
class Command:
    """A command line to time, and how to tell that it gave the right answer."""

    label: str
    argv: tuple[str, ...]
    check: Check | None = None


@dataclass(frozen=True)
class Sample:
    """One run: wall-clock seconds and peak resident memory in KiB."""

    seconds: float
    peak_kib: int


@dataclass(frozen=True)
class Figure:
    """The medians over repeated runs of one command, and each run's time in turn."""

    seconds: float
    peak_kib: int
    runs: tuple[float, ...] = ()  # each timed run's seconds, in the order they ran

    def ratio(self, other: Figure) -> float:
        """
        This command's time over *other*'s: the median of the ratios of runs made in turn.

        Runs of the commands measured together alternate (a, b, a, b, ...), so
        each pair saw the machine alike; the median of the pairs' ratios is
        not moved by a slow spell that the ratio of the two medians takes
        whole (farm-bench's way).  Without runs in turn, the medians' ratio.
        """
        if len(self.runs) == len(other.runs) and self.runs:
            return statistics.median(a / b for a, b in zip(self.runs, other.runs))
        return self.seconds / other.seconds

    @property
    def mib(self) -> float:
        return self.peak_kib / 1024

    def __str__(self) -> str:
        return f"{_duration(self.seconds)}, {self.mib:.0f} MiB"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def run_once(command: Command) -> Sample:
    """Run *command* once with its output in a temporary file; raise CommandFailed if it fails."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        status, usage = _spawn_and_wait(command.argv, out.fileno())
        elapsed = time.perf_counter() - started
        out.seek(0)
        output = out.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    problem = f"exited {code}" if code else (command.check(output) if command.check else None)
    if problem:
        raise CommandFailed(
            f"{command.label}: {problem}\n  $ {shlex.join(command.argv)}\n{_tail(output)}"
        )
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return Sample(elapsed, peak)


# A process's peak memory counts the memory of the process it was forked from
# (Linux keeps the larger of the two when the child execs: fs/exec.c,
# exec_mmap), so a command spawned by this Python process would show at least
# this process's own size.  So a small shell forks each command in the
# background and exits, this process adopts the command as a subreaper
# (prctl(2) PR_SET_CHILD_SUBREAPER) and reaps it with wait4: the peak read is
# the command's own, above a floor of the shell's (about 1 MiB).
_LAUNCH = '"$@" 3>&- & echo $! >&3'
_PR_SET_CHILD_SUBREAPER = 36


def _subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants; False where it cannot be."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


_ADOPTS = _subreaper()


def _spawn_and_wait(argv: Sequence[str], out: int) -> tuple[int, resource.struct_rusage]:
    """Run *argv* with stdout and stderr on *out*; return its wait status and resource usage."""
    stdio = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, out, 1),
        (os.POSIX_SPAWN_DUP2, out, 2),
    ]
    if not _ADOPTS:  # the figure then includes this process's size
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=stdio)
        _, status, usage = os.wait4(pid, 0)
        return status, usage
    read, write = os.pipe()
    with os.fdopen(read) as pipe:
        try:
            shell = os.posix_spawn(
                "/bin/sh", ["sh", "-c", _LAUNCH, "sh", *argv], os.environ,
                file_actions=[*stdio, (os.POSIX_SPAWN_DUP2, write, 3)],
            )
        finally:
            os.close(write)
        pid = int(pipe.read())
    os.waitpid(shell, 0)
    try:
        return _reap(pid)
    except BaseException:  # interrupted: the command must not outlive the benchmark
        os.kill(pid, signal.SIGTERM)
        _reap(pid)
        raise


def _reap(pid: int) -> tuple[int, resource.struct_rusage]:
    """Wait for the adopted *pid*; reap whatever else is adopted in the meantime."""
    while True:
        found, status, usage = os.wait4(-1, 0)
        if found == pid:
            return status, usage


def _tail(output: str, lines: int = 20) -> str:
    return "\n".join(f"  | {line}" for line in output.splitlines()[-lines:])


def measure(commands: Sequence[Command], repeat: int, *, warm_up: bool = False) -> list[Figure]:
    """
    The medians of *repeat* runs of each command, in the order given.

    The commands take turns (a, b, a, b, ...), so that whatever else the
    machine does in the meantime weighs on each of them alike.  With
    *warm_up*, each runs once untimed first (the operating system's file
    cache and Python's compiled modules then serve every timed run alike).
    """
    if warm_up:
        for command in commands:
            run_once(command)
    samples: list[list[Sample]] = [[] for _ in commands]
    for _ in range(repeat):
        for runs, command in zip(samples, commands):
            runs.append(run_once(command))
    return [
        Figure(
            statistics.median(s.seconds for s in runs),
            round(statistics.median(s.peak_kib for s in runs)),
            tuple(s.seconds for s in runs),
        )
        for runs in samples
    ]


def expect_lines(expected: Sequence[str]) -> Check:
    """A check: these lines, in this order, are somewhere in the output."""
    want = "\n".join(expected)

    def check(output: str) -> str | None:
        return None if want in output else f"expected the lines {list(expected)}"

    return check


def expect_chain_file(path: Path, expected: Sequence[str]) -> Check:
    """A check: the PEM file *path* holds certificates with these SHA-256 fingerprints, in order."""

    def check(output: str) -> str | None:
        try:
            found = [fingerprint(c) for c in read_pem(path)]
            path.unlink()  # so that the next run must write it anew
        except (OSError, ValueError) as exc:
            return f"no chain written to {path}: {exc}"
        return None if found == list(expected) else f"wrote the chain {found}, not {expected}"

    return check


def expect_cfssl_bundle(expected: Sequence[str]) -> Check:
    """A check: ``cfssl bundle`` printed a bundle and root with these fingerprints, in order."""

    def check(output: str) -> str | None:
        docs = [line for line in output.splitlines() if line.startswith("{")]
        if not docs:
            return "no JSON bundle printed"
        doc = json.loads(docs[-1])
        pem = (doc.get("bundle", "") + "\n" + doc.get("root", "")).encode()
        found = [fingerprint(c) for c in x509.load_pem_x509_certificates(pem)]
        return None if found == list(expected) else f"bundled {found}, not {expected}"

    return check
