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
from ..report import inspect_text, paint, verify_dict, verify_text
from ..verify import Report, verify_file
from .common import (
    AT_OPTION,
    EXIT_CODES_HELP,
    PASSWORD_FILE,
    BadInput,
    ExitCode,
    colour_for,
    judging_options,
    load_key,
    load_one,
    store_for,
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
@judging_options
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per file, one per line.")
def verify(
    files: tuple[Path, ...], key_path: Path | None, password_file: Path | None,
    trust: tuple[Path, ...], at: datetime | None, hostname: str | None, strict: bool,
    warn_days: int, as_json: bool,
) -> None:
    """
    Audit deployed chained files: everything wrong with each, in one run.

    Each FILE is judged as a server would send it: its certificates in the
    order they stand.  Several files are judged one by one, with a summary.
    """
    when = at or datetime.now(timezone.utc)
    with user_errors():
        store = store_for(trust)
        keys = with_password(password_file, lambda pw: load_key(key_path, pw))
    colour = colour_for()
    outcomes: list[bool | None] = []  # None: the file could not be read
    for path in files:

        def judge(password: bytes | None, path: Path = path) -> Report:
            return verify_file(
                path, store=store, at=when, keys=keys, password=password,
                hostname=hostname, strict=strict, warn_days=warn_days,
            )

        try:
            with user_errors():
                report = with_password(password_file, judge)
        except BadInput as exc:
            exc.show()
            outcomes.append(None)
            continue
        outcomes.append(report.ok)
        if as_json:
            click.echo(json.dumps(verify_dict(report, str(path))))
        else:
            repair = (
                _repair_command(path, report, trust, password_file, at)
                if report.repairable else None
            )
            click.echo(verify_text(report, str(path), when, colour=colour, repair=repair))
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
            material = with_password(password_file, partial(load_one, path))
        items = inspect_material(material, when)
        if as_json:
            click.echo(json.dumps({"file": str(path), **items}))
        else:
            if len(files) > 1:
                click.echo(paint(f"== {path}", "bold", colour))
            click.echo(inspect_text(items, colour=colour), nl=False)


def _repair_command(
    path: Path, report: Report, trust: tuple[Path, ...], password_file: Path | None,
    at: datetime | None,
) -> str:
    """
    The exact `certchain build` command that writes *path*'s chain correctly.

    In place (`-o FILE --force`) only for a PEM file of certificates: a file
    with a key, or PKCS#12/PKCS#7/DER, would lose content, so the repaired
    chain goes to a new file beside it.
    """
    words = ["certchain", "build", str(path)]
    for anchor in trust:
        words += ["--trust", str(anchor)]
    if password_file is not None:
        words += ["--password-file", str(password_file)]
    if at is not None:
        words += ["--at", at.strftime("%Y-%m-%dT%H:%M:%SZ")]
    if "root" not in report.roles:
        words.append("--no-root")
    if report.rewritable:
        words += ["-o", str(path), "--force"]
    else:
        words += ["-o", str(path.with_name(f"{path.stem}-fixed.crt"))]
    return shlex.join(words)


