"""Run a command with its stdout on a pseudo-terminal, as a user at a terminal sees it."""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Mapping, Sequence

import pytest


def run_on_terminal(
    argv: Sequence[str], env: Mapping[str, str], *, stderr_too: bool = False
) -> tuple[int, bytes]:
    """
    Run *argv* with stdout on a pseudo-terminal; return (exit status, what it printed).

    *stderr_too*: stderr on the same terminal, as in a shell (else discarded).
    """
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            list(argv), stdout=follower, stderr=follower if stderr_too else subprocess.DEVNULL,
            stdin=subprocess.DEVNULL, env=dict(env),
        )
    finally:
        os.close(follower)
    output = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
    return proc.wait(timeout=60), output
