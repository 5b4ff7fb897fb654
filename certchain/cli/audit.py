"""
``certchain verify`` and ``certchain inspect``: audit files already deployed.
"""

from __future__ import annotations

import json
import shlex
import sys
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import click

from ..inventory import inspect_material
from ..load import load_file, load_keys
from ..model import Material, Role
from ..report import inspect_text, paint, verify_dict, verify_text
from ..results import Report
from ..verify import verify_file
from .common import (
    AT_OPTION,
    AUDIT_HINTS,
    EXIT_CODES_HELP,
    PASSWORD_FILE,
    BadInput,
    ExitCode,
    Judging,
    colour_for,
    judging_options,
    user_errors,
    with_password,
)


@click.command(
    epilog=EXIT_CODES_HELP.replace("the chain is good", "every file is good"),
    short_help="Audit deployed chained files: every problem, in one run.",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path),
              help="Check that this private key belongs to the leaf.")
@PASSWORD_FILE
@judging_options
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per file, one per line.")
def verify(
    files: tuple[Path, ...], key_path: Path | None, password_file: Path | None,
    judging: Judging, as_json: bool,
) -> None:
    """
    Audit deployed chained files: everything wrong with each, in one run.

    Each FILE is judged as a server would send it: its certificates in the
    order they stand.  Several files are judged one by one, with a summary.
    """
    with user_errors():
        policy = judging.policy()
        keys = with_password(password_file, lambda pw: load_keys(key_path, password=pw))
    colour = colour_for()
    outcomes: list[bool | None] = []  # None: the file could not be read
    for path in files:

        def judge(password: bytes | None, path: Path = path) -> Report:
            return verify_file(path, policy=policy, keys=keys, password=password)

        try:
            with user_errors():
                report = with_password(password_file, judge)
        except BadInput as exc:
            exc.show()
            outcomes.append(None)
            continue
        outcomes.append(report.ok)
        if as_json:
            click.echo(json.dumps(verify_dict(report, str(path), AUDIT_HINTS)))
        else:
            repair = (
                _repair_command(path, report, judging, password_file)
                if report.repairable else None
            )
            click.echo(verify_text(
                report, str(path), judging.at, colour=colour, repair=repair, hints=AUDIT_HINTS
            ))
    if len(files) > 1:
        good = outcomes.count(True)
        bad = outcomes.count(False)
        unread = outcomes.count(None)
        summary = f"{len(files)} files: {good} ok, {bad} with errors"
        summary += f", {unread} unreadable." if unread else "."
        click.echo(summary, err=as_json)
    if None in outcomes:
        sys.exit(ExitCode.BAD_INPUT)
    if False in outcomes:
        sys.exit(ExitCode.CHAIN_PROBLEM)


@click.command(epilog="""
\b
Exit codes:
  0  every file was read
  2  a file could not be read (bad input or usage)
""")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@PASSWORD_FILE
@AT_OPTION
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per file, one per line.")
def inspect(
    files: tuple[Path, ...], password_file: Path | None, at: datetime | None, as_json: bool,
) -> None:
    """List every certificate and key in FILES, field by field."""
    when = at or datetime.now(timezone.utc)
    colour = colour_for()
    for path in files:
        with user_errors():
            material = with_password(password_file, partial(_load, path))
        items = inspect_material(material, when)
        if as_json:
            click.echo(json.dumps({"file": str(path), **items}))
        else:
            if len(files) > 1:
                click.echo(paint(f"== {path}", "bold", colour))
            click.echo(inspect_text(items, colour=colour), nl=False)


def _load(path: Path, password: bytes | None) -> Material:
    return load_file(path, password=password)


def _repair_command(
    path: Path, report: Report, judging: Judging, password_file: Path | None
) -> str:
    """
    The exact `certchain build` command that writes *path*'s chain correctly.

    In place (`-o FILE --force`) only for a PEM file of certificates: a file
    with a key, or PKCS#12/PKCS#7/DER, would lose content, so the repaired
    chain goes to a new file beside it.
    """
    words = ["certchain", "build", str(path)]
    for anchor in judging.trust:
        words += ["--trust", str(anchor)]
    if password_file is not None:
        words += ["--password-file", str(password_file)]
    if judging.at_given:
        words += ["--at", judging.at.strftime("%Y-%m-%dT%H:%M:%SZ")]
    if judging.allow_weak:
        words.append("--allow-weak")
    if Role.ROOT not in report.roles:
        words.append("--no-root")
    if report.rewritable:
        words += ["-o", str(path), "--force"]
    else:
        words += ["-o", str(path.with_name(f"{path.stem}-fixed.crt"))]
    return shlex.join(words)


