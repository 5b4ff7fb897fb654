"""
``certchain verify`` and ``certchain inspect``: audit files already deployed.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import click

from .. import certbot
from ..batch import map_ordered
from ..inventory import INSPECT_LIMIT, inspect_material
from ..keyfiles import find_keys
from ..layout import escape, paint
from ..model import Material, Role
from ..report import error_lines, inspect_text, verify_dict, verify_text
from ..results import Report
from ..verify import verify_chain, verify_file
from .codes import ExitCode
from .common import (
    AT_OPTION,
    AUDIT_HINTS,
    EXIT_CODES_HELP,
    PASSWORD_ENV,
    PASSWORD_FILE,
    QUIET_OPTION,
    BadInput,
    Judging,
    error_object,
    input_label,
    input_limits,
    judging_options,
    load_input,
    show_error,
    style_for,
    user_errors,
    with_password,
)
from .progress import progress
from .types import InputFile


@click.command(
    epilog=EXIT_CODES_HELP.replace("the chain is good", "every file is good"),
    short_help="Audit deployed chained files: every problem, in one run.",
)
@click.argument("files", nargs=-1, required=True, type=InputFile())
@click.option("--key", "key_path", type=click.Path(path_type=Path),
              help="Check that this private key belongs to the leaf.")
@PASSWORD_FILE
@input_limits
@judging_options
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per file, one per line.")
@QUIET_OPTION
def verify(
    files: tuple[Path | None, ...], key_path: Path | None, password_file: Path | None,
    judging: Judging, as_json: bool, quiet: bool,
) -> None:
    """
    Audit deployed chained files: everything wrong with each, in one run.

    Each FILE is judged as a server would send it: its certificates in the
    order they stand.  Several files are judged one by one, with a summary.
    '-' reads standard input (openssl s_client -showcerts ... | certchain verify -).
    """
    with user_errors(AUDIT_HINTS):
        policy = judging.policy()
        keys = with_password(password_file, lambda pw: find_keys(key_path, password=pw))
    style = style_for()

    def verdict(path: Path | None) -> tuple[bool | None, str, str]:
        """Judge one file: (ok, None when unreadable; its stdout text; its stderr text)."""
        label = input_label(path)

        def judge(password: bytes | None) -> Report:
            if path is None:
                return verify_chain(load_input(None, password), policy=policy, keys=keys)
            return verify_file(path, policy=policy, keys=keys, password=password)

        try:
            with user_errors(AUDIT_HINTS):
                report = with_password(password_file, judge, before_prompt=bar.clear)
        except BadInput as exc:
            out = json.dumps(error_object(exc, label)) if as_json else ""
            return None, out, f"Error: {exc.format_message()}"
        if as_json:
            return report.ok, json.dumps(verify_dict(report, label, AUDIT_HINTS)), ""
        if quiet:
            lines = error_lines(report.findings, label, AUDIT_HINTS,
                                colour=style.colour, width=style.width)
            return report.ok, "\n".join(lines), ""
        repair = (
            _repair_command(path, report, judging, password_file)
            if report.repairable and path is not None else None
        )
        return report.ok, verify_text(
            report, label, judging.at, colour=style.colour, repair=repair,
            hints=AUDIT_HINTS, width=style.width,
        ), ""

    # Many files are judged on every core (each file on its own), unless a
    # password may have to be asked for on the terminal or one is stdin.
    alone = None in files or (
        password_file is None and PASSWORD_ENV not in os.environ and sys.stdin.isatty()
    )
    outcomes: list[bool | None] = []  # None: the file could not be read
    verdicts = map(verdict, files) if alone else map_ordered(verdict, files)
    # The bar counts files on stderr, for a person at a terminal watching many files.
    shown = len(files) > 1 and not (quiet or as_json)
    with progress(len(files), "Verifying", shown=shown) as bar, user_errors(AUDIT_HINTS):
        # user_errors: a worker that died (BatchError) is one line, exit 2.
        for outcome, out, err in verdicts:
            outcomes.append(outcome)
            if err:
                bar.echo(err, err=True)
            if out:
                bar.echo(out)
            bar.advance()
    if len(files) > 1 and not quiet:
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
@click.argument("files", nargs=-1, required=True, type=InputFile())
@PASSWORD_FILE
@input_limits
@AT_OPTION
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per file, one per line (always every certificate).")
@click.option("--all", "show_all", is_flag=True,
              help=f"List every certificate and key of a file, not only the first "
                   f"{INSPECT_LIMIT}.")
@QUIET_OPTION
def inspect(
    files: tuple[Path | None, ...], password_file: Path | None, at: datetime | None,
    as_json: bool, show_all: bool, quiet: bool,
) -> None:
    """
    List every certificate and key in FILES, field by field ('-': standard input).

    A key is matched against the certificates of every FILE.  An encrypted
    key is listed as such when no password is given.  Past the first
    certificates of a file, the text counts the others (--all lists them).
    """
    when = at or datetime.now(timezone.utc)
    style = style_for()
    loaded: list[Material | BadInput] = []
    for path in files:
        try:
            with user_errors():
                loaded.append(with_password(password_file, partial(_load, path)))
        except BadInput as exc:
            loaded.append(exc)
    readable = [m for m in loaded if isinstance(m, Material)]
    for path, material in zip(files, loaded):
        if isinstance(material, BadInput):
            show_error(material, as_json=as_json, file=input_label(path))
            continue
        others = [m for m in readable if m is not material]
        if as_json:
            items = inspect_material(material, when, others=others)
            click.echo(json.dumps({"file": input_label(path), **items}))
        elif not quiet:
            limit = None if show_all else INSPECT_LIMIT
            items = inspect_material(material, when, others=others, limit=limit)
            if len(files) > 1:
                click.echo(paint(f"== {escape(input_label(path))}", "bold", style.colour))
            click.echo(inspect_text(items, colour=style.colour, width=style.width,
                                    more_hint="--all lists them"), nl=False)
    if len(readable) < len(loaded):
        sys.exit(ExitCode.BAD_INPUT)


def _load(path: Path | None, password: bytes | None) -> Material:
    return load_input(path, password, keep_locked=True)


def _repair_command(
    path: Path, report: Report, judging: Judging, password_file: Path | None
) -> str:
    """
    The exact `certchain build` command that writes *path*'s chain correctly.

    In place (`-o FILE --force`) only for a PEM file of certificates: a file
    with a key, or PKCS#12/PKCS#7/DER, would lose content, so the repaired
    chain goes to a new file beside it.  In place through a symlink, the
    file it points to is written and the link kept.  For a file certbot
    manages, a second line says that its next renewal undoes the repair,
    and gives the certbot option that chooses this chain for good.
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
    if judging.fetch_missing:
        words.append("--fetch-missing")
    if Role.ROOT not in report.roles:
        words.append("--no-root")
    if report.rewritable:
        words += ["-o", str(path), "--force"]
    else:
        words += ["-o", str(path.with_name(f"{path.stem}-fixed.crt"))]
    # Each line escaped on its own: a line break in a file name stays inside its line.
    command = escape(shlex.join(words))
    note = _certbot_note(path, report)
    return f"{command}\n{escape(note)}" if note else command


def _certbot_note(path: Path, report: Report) -> str | None:
    """For a file certbot manages: the repair is undone at renewal; the lasting fix."""
    managed = certbot.lineage(path)
    if managed is None:
        return None
    where = (
        f" (it writes through the link, into {managed.archive})"
        if managed.archive and report.rewritable else ""
    )
    renew = certbot.renew_command(managed, report.path)
    lasting = (
        f"to have certbot choose this chain for good, run {renew} "
        "(add --force-renewal to renew now)"
        if renew else "certbot's --preferred-chain option chooses among the chains the CA offers"
    )
    return (
        f"{path} is certbot's (certificate {managed.name!r}): its next renewal undoes "
        f"this repair{where}; {lasting}."
    )
