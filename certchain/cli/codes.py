"""
The exit codes of every command (the grep/diff convention), in a module of
their own that imports nothing: the command group and the commands share them.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes (the grep/diff convention)."""

    OK = 0  # the chain is good (warnings allowed)
    CHAIN_PROBLEM = 1  # a finding is an error
    BAD_INPUT = 2  # unreadable input, bad password, usage error


#: Exit status after a closed pipe, as a program killed by SIGPIPE has it (128 + 13).
EXIT_CLOSED_PIPE = 141
#: Exit status after Ctrl-C (128 + SIGINT), the shell's convention.
EXIT_INTERRUPTED = 130
