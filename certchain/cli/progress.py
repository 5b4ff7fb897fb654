"""
Progress on the terminal: how many files or sites of a run are done, of how many.

A long run (``verify`` of many files, ``audit`` of a host) shows click's
progress bar on stderr, only when a person watches: stdout and stderr both
on a terminal (never when piped or redirected), and neither ``--quiet`` nor
``--json``.  Output printed while the bar is drawn goes through
:meth:`Progress.echo`, which clears the bar's line first, so that a report
never starts in the middle of the bar.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar  # what click.progressbar returns

# ANSI: back to the start of the line, and clear it.
_CLEAR_LINE = "\r\x1b[K"


def on_terminal() -> bool:
    """Whether a person watches the run: stdout and stderr both on a terminal."""
    return sys.stdout.isatty() and sys.stderr.isatty()


class Progress:
    """A progress bar on stderr, or nothing (*bar* None); see :func:`progress`."""

    def __init__(self, bar: ProgressBar[int] | None) -> None:
        self._bar = bar

    def advance(self, done: int = 1) -> None:
        """Count *done* more files or sites as done."""
        if self._bar is not None:
            self._bar.update(done)

    def clear(self) -> None:
        """Clear the bar's line (it is drawn again at the next step)."""
        if self._bar is not None:
            click.echo(_CLEAR_LINE, nl=False, err=True)

    def echo(self, text: str, *, err: bool = False) -> None:
        """Print *text* (a line of the report) in place of the bar, which follows it."""
        self.clear()
        click.echo(text, err=err)


@contextmanager
def progress(total: int, label: str, *, shown: bool) -> Iterator[Progress]:
    """
    Show a progress bar of *total* steps on stderr while the block runs, if *shown*.

    *shown*: the command's choice (no ``--quiet``, no ``--json``); the bar is
    drawn only on a terminal besides (:func:`on_terminal`).
    """
    if not (shown and on_terminal()):
        yield Progress(None)
        return
    with click.progressbar(
        length=total, label=label, show_pos=True, show_percent=False, file=sys.stderr,
    ) as bar:
        yield Progress(bar)
