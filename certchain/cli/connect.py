"""
``certchain connect``: the chain a live server serves, judged as ``verify`` judges a file.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from ..capture import HTTPS_PORT, capture_chain, parse_endpoint
from ..connect import judge_capture
from ..findings import Remedy
from ..load import load_file
from ..model import utc_iso
from ..report import Hints, connect_dict, connect_text
from ..starttls import PORTS
from ..write import chain_pem, plan_output, write_outputs
from .codes import ExitCode
from .common import (
    AUDIT_HINTS,
    EXIT_CODES_HELP,
    PASSWORD_ENV,
    QUIET_OPTION,
    Judging,
    echo_errors,
    input_limits,
    judging_options,
    style_for,
    user_errors,
    with_password,
)
from .types import Hostname


class Endpoint(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 on
    """``HOST[:PORT]``, an IPv6 address in brackets: (host, port or None)."""

    name = "HOST[:PORT]"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, int | None]:
        if isinstance(value, tuple):
            return value
        try:
            return parse_endpoint(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command(
    epilog=EXIT_CODES_HELP.replace("unreadable file", "unreachable server, unreadable file"),
    short_help="Check the chain a live server serves, as verify checks a file.",
)
@click.argument("target", metavar="HOST[:PORT]", type=Endpoint())
@click.option("--servername", type=Hostname(),
              help="The name to send in SNI, and to check the leaf against (default: HOST).")
@click.option("--starttls", type=click.Choice(sorted(PORTS)),
              help="Start in plain text and upgrade to TLS, as this protocol does "
                   "(default port: the protocol's).")
@click.option("--compare", type=click.Path(path_type=Path),
              help="Say whether the server serves this chained file, and how it differs.")
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the certificates the server sent, in its order, to FILE (PEM).")
@click.option("--force", is_flag=True, help="Replace the --save file if it exists.")
@input_limits
@judging_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@QUIET_OPTION
def connect(
    target: tuple[str, int | None], servername: str | None, starttls: str | None,
    compare: Path | None, save: Path | None, force: bool, judging: Judging,
    as_json: bool, quiet: bool,
) -> None:
    """
    Connect to HOST[:PORT] (default port 443) and judge the chain it serves.

    The handshake trusts nothing and keeps the certificates exactly as sent,
    order included; they are then judged as `certchain verify` judges a
    file, against --hostname (default: the SNI name, else HOST).  Only this
    command connects anywhere (and --fetch-missing).  --timeout bounds the
    whole of it: name lookup, connection, STARTTLS and handshake.
    """
    host, port = target
    if save is not None and str(save) == "-":
        raise click.UsageError("--save needs a file: standard output carries the report.")
    save = save.absolute() if save is not None else None
    if judging.hostname is None:
        judging = judging._replace(hostname=servername or host)
    hints = _hints(host, save, judging)
    with user_errors(hints):
        policy = judging.policy()
        local = (
            with_password(None, lambda pw: load_file(compare, password=pw))
            if compare is not None else None
        )
        if save is not None:  # refused before connecting: an existing file, a bad folder
            plan_output(save, b"", overwrite=force)
        captured = capture_chain(
            host, port or (PORTS[starttls] if starttls else HTTPS_PORT),
            servername=servername, starttls_protocol=starttls, timeout=judging.timeout,
        )
        report = judge_capture(captured, policy=policy, compare=local, compare_name=str(compare))
        if save is not None:
            write_outputs([plan_output(save, chain_pem(report.chain), overwrite=force)])
    named = {"compare": str(compare) if compare else None, "saved": str(save) if save else None}
    if as_json:
        click.echo(json.dumps(connect_dict(report, captured, hints, **named)))
    elif quiet:
        echo_errors(report.findings, captured.endpoint, hints)
    else:
        style = style_for()
        click.echo(connect_text(report, captured, judging.at, colour=style.colour, hints=hints,
                                width=style.width, **named), nl=False)
    if not report.ok:
        sys.exit(ExitCode.CHAIN_PROBLEM)


def _hints(host: str, save: Path | None, judging: Judging) -> Hints:
    """
    The command's flag spellings; a missing issuer's names the build command to run.

    That command reads the chain saved with --save (asked for first when it
    was not given) and writes STEM-chained.crt beside it, the file to serve;
    it repeats --trust, --at and --allow-weak as given.
    """
    saved = save or Path(f"{''.join(c if c.isalnum() or c in '.-' else '_' for c in host)}.pem")
    words = ["certchain", "build", str(saved)]
    for anchor in judging.trust:
        words += ["--trust", str(anchor)]
    if judging.at_given:
        words += ["--at", utc_iso(judging.at)]
    if judging.allow_weak:
        words.append("--allow-weak")
    first = "" if save else f"--save {shlex.quote(str(saved))}, then "
    writes = f"writes {saved.stem}-chained.crt, the file to serve"
    return {
        **AUDIT_HINTS,
        Remedy.GIVE_PASSWORD: f"${PASSWORD_ENV}",
        Remedy.FETCH_MISSING: f"{first}{shlex.join([*words, '--fetch-missing'])} {writes}",
        Remedy.BUILD_CHAIN: f"{first}{shlex.join([*words, 'ISSUER.crt'])} {writes}",
        Remedy.RAISE_TIMEOUT: "--timeout SECONDS",
    }
