"""
The command line: a thin click layer over the library.

The only package that imports click, prints, reads the clock or the
environment.  Each command is a module (``build``, ``audit``: verify and
inspect, ``deploy``: config and doctor); ``common`` holds what they share.
"""

from __future__ import annotations

import click

from .audit import inspect, verify
from .build import build
from .common import PASSWORD_ENV, ExitCode, Main
from .deploy import config, doctor

__all__ = ["PASSWORD_ENV", "ExitCode", "main"]


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="certchain")
def main() -> None:
    """Assemble and verify TLS certificate chains."""


for _command in (build, verify, inspect, config, doctor):
    main.add_command(_command)
