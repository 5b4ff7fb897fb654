"""
The ``certchain`` command group: exit codes, the run-wide error handling, and
commands imported only when they run.

This module imports click and nothing of the library, so that ``certchain
--version`` starts as fast as click does and each command imports only what
it uses (a command module imports its library modules when it is loaded).
"""

from __future__ import annotations

import errno
import gc
import importlib
import os
import sys
from contextlib import suppress
from typing import Any

import click

from .codes import EXIT_CLOSED_PIPE, EXIT_INTERRUPTED

#: Where each command lives: ``name: (module in certchain.cli, attribute)``, in
#: the order ``--help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("build", "build"),
    "verify": ("audit", "verify"),
    "inspect": ("audit", "inspect"),
    "config": ("deploy", "config"),
    "doctor": ("deploy", "doctor"),
    "audit": ("host", "audit"),
    "connect": ("connect", "connect"),
}

JSON_FLAG = "certchain.json"  # ctx.meta key: the run was asked for --json


class Main(click.Group):
    """
    The ``certchain`` group: what every command gets without asking.

    - commands are imported when they run (or when ``--help`` lists them);
    - ``--json`` runs that exit 2 print one JSON object (``ok: false`` and an
      ``error``) on stdout, usage errors included, so scripts always get JSON;
    - a closed stdout pipe (``| head -1``) ends the run quietly
      (:data:`EXIT_CLOSED_PIPE`); a failed write to stdout (a full disk) is
      one ``Error:`` line and exit 2, never a traceback;
    - Ctrl-C ends the run with :data:`EXIT_INTERRUPTED` and no message; the
      atomic writer has removed its temporary file on the way out.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in super().list_commands(ctx) if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute = COMMANDS[cmd_name]
        command: click.Command = getattr(
            importlib.import_module(f"{__package__}.{module}"), attribute
        )
        self.add_command(command, cmd_name)
        return command

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        options = args[: args.index("--")] if "--" in args else args
        ctx.meta[JSON_FLAG] = "--json" in options
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        # A run makes hundreds of thousands of objects and few reference
        # cycles: the cyclic collector, walking every object again and again as
        # they pile up, cost a third of loading 100,000 certificates.  It is
        # off while the command runs, as in other short-lived tools, and on
        # again after (the CLI may be called in a longer-lived process).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            if ctx.meta.get(JSON_FLAG):
                import json

                from .common import error_object

                _echo_quietly(json.dumps(error_object(exc)))
            raise
        except KeyboardInterrupt:
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except click.Abort as exc:  # Ctrl-C at a prompt: click turns it into Abort
            if isinstance(exc.__context__, KeyboardInterrupt):
                raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
            raise
        except OSError as exc:
            # Library code reports file errors as CertchainError; these are
            # what writing to stdout itself raises.
            if exc.errno not in _OUTPUT_ERRNOS:
                raise
            _silence_stdout()
            if exc.errno == errno.EPIPE:
                raise click.exceptions.Exit(EXIT_CLOSED_PIPE) from None
            from .common import BadInput

            reason = exc.strerror or str(exc)
            raise BadInput(f"the output cannot be written: {reason}.") from None
        finally:
            if collecting:
                gc.enable()


#: How a write to stdout fails: its reader left, a full disk or quota, a file
#: too large, an I/O error.
_OUTPUT_ERRNOS = {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def _echo_quietly(text: str) -> None:
    """Print *text* on stdout unless stdout itself is what failed."""
    with suppress(OSError):
        click.echo(text)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so Python's last flush at exit cannot fail again."""
    with suppress(AttributeError, OSError, ValueError):  # no real file behind it
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
