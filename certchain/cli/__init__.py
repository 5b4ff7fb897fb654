"""
The command line: a thin click layer over the library.

The only package that imports click, prints, reads the clock or the
environment.  Each command is a module (``build``, ``audit``: verify and
inspect, ``deploy``: config and doctor), imported when it runs
(:mod:`certchain.cli.group`); ``common`` holds what they share.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import Any, NoReturn

import click

from .. import __version__
from .codes import EXIT_CLOSED_PIPE, ExitCode
from .group import Main

__all__ = ["PASSWORD_ENV", "ExitCode", "main", "run"]

#: Signals that end a run as Ctrl-C does, through an exception, so that a
#: write in progress removes its temporary file (exit status 128 + N).
_ENDING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, package_name="certchain")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Assemble and verify TLS certificate chains."""
    _end_on_signals(ctx)


def run() -> NoReturn:
    """
    The ``certchain`` program (and ``python -m certchain``): run one command, then end.

    When the command is done and its output flushed, the process ends at
    once (``os._exit``), as mypy's command line does, instead of taking its
    modules and objects apart one by one: with cryptography and OpenSSL
    loaded that takes some 20 ms, about an eighth of a short run, and frees
    nothing the operating system does not.  Every file certchain writes is
    complete and closed before the command returns (the atomic writer syncs
    and renames it), and nothing it runs waits for interpreter exit.  A run
    that left other threads or child processes running (a pool stopped
    early) ends the ordinary way, so that they are joined.
    """
    code: int | str | None = 0
    try:
        main.main(prog_name="certchain")  # standalone: it ends with SystemExit
    except SystemExit as done:
        code = done.code
    if not isinstance(code, int) or _others_running():
        raise SystemExit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader left (| head), or no stream at all
            code = code or EXIT_CLOSED_PIPE
    os._exit(code)


def _others_running() -> bool:
    """Whether the run left a thread or a child process running, which a normal exit joins."""
    if threading.active_count() > 1:
        return True
    processes = sys.modules.get("multiprocessing")  # imported only by a run that made a pool
    return processes is not None and bool(processes.active_children())


def __getattr__(name: str) -> Any:
    if name == "PASSWORD_ENV":  # with the password options, which import the library
        from .common import PASSWORD_ENV

        return PASSWORD_ENV
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _end_on_signals(ctx: click.Context) -> None:
    """
    Turn SIGTERM and SIGHUP into ``SystemExit(128 + N)`` for this run.

    Their default action ends the process at once, leaving a write's
    temporary file behind; an exception runs the ``finally`` blocks that
    remove it.  A signal the caller ignores (``nohup``) stays ignored, and
    the previous handlers come back when the run ends.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set handlers
    previous = {}
    for number in _ENDING:
        if signal.getsignal(number) is signal.SIG_DFL:
            previous[number] = signal.signal(number, _end)

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    ctx.call_on_close(restore)


def _end(number: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + number)
