"""
``certchain config`` and ``certchain doctor``: configure servers, check JupyterHub.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..deploy import plan_config_edit, served_files, unreadable_files
from ..doctor import doctor_config
from ..findings import Severity, by_severity
from ..keyfiles import find_keys
from ..layout import escape, escape_lines, paint
from ..load import load_file
from ..model import Material
from ..proof import prove_served, server_key_file
from ..report import combined_line, finding_lines, links_lines, verify_text
from ..served import assess_served
from ..sitereport import doctor_dicts, doctor_text, site_label
from ..sites import SERVERS
from ..snippets import render
from ..write import linked, plan_output, secret_files, write_outputs
from .codes import ExitCode
from .common import (
    AUDIT_HINTS,
    COMBINED_OPTION,
    EXIT_CODES_HELP,
    FORMAT_OPTION,
    PASSWORD_FILE,
    QUIET_OPTION,
    Judging,
    check_format,
    combined_output,
    echo_errors,
    input_limits,
    judging_options,
    style_for,
    user_errors,
    with_password,
)


@click.command(epilog=EXIT_CODES_HELP, short_help="Print server configuration for a chained file.")
@click.argument("chain_path", metavar="CHAIN", type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path),
              help="The private key (default: a key in CHAIN, else CHAIN-STEM.key, or "
                   "HOST.key for HOST-chained.crt, or certbot's privkey.pem, beside CHAIN).")
@PASSWORD_FILE
@input_limits
@judging_options
@FORMAT_OPTION
@COMBINED_OPTION
@click.option("--write", "config_file", type=click.Path(path_type=Path),
              help="Set c.JupyterHub.ssl_cert and ssl_key in this jupyterhub_config.py "
                   "(the previous file is kept as FILE.bak).")
@click.option("--force", is_flag=True,
              help="Print the lines despite chain errors, and replace --combined's file.")
@QUIET_OPTION
def config(
    chain_path: Path, key_path: Path | None, password_file: Path | None, judging: Judging,
    format_name: str, combined: Path | None, config_file: Path | None, force: bool,
    quiet: bool,
) -> None:
    """
    Print the configuration lines for an existing chained file CHAIN.

    Verifies CHAIN and its key first, as verify does: with an error, the
    findings go to stderr, exit 1, and no lines are printed unless --force.
    The lines go to stdout; everything else to stderr.
    """
    check_format(format_name, combined)
    chain_path = chain_path.absolute()
    with user_errors(AUDIT_HINTS):
        policy = judging.policy()
        material, keys = with_password(
            password_file, lambda pw: _load_inputs(chain_path, key_path, pw)
        )
        report = assess_served(material, policy=policy, keys=keys)
        # Files the server cannot load as they are: errors, and nothing is
        # written even with --force.  Otherwise the second proof: the files
        # as the server will load them.
        refused = unreadable_files(
            chain_path, material, report.key, format_name=format_name,
            locked=next(iter(keys.locked), None) if keys is not None else None,
            policy=policy,
        )
        if refused:
            report = report._replace(findings=by_severity([*refused, *report.findings]))
        else:
            report = prove_served(report, policy, chain_path, server_key_file(report.key))
    style = style_for(err=True)
    if quiet:
        echo_errors(report.findings, str(chain_path), AUDIT_HINTS, err=True)
    elif not report.ok:
        text = verify_text(report, str(chain_path), judging.at, colour=style.colour,
                           hints=AUDIT_HINTS, width=style.width)
        click.echo(text, err=True)
    else:
        warnings = [f for f in report.findings if f.severity is Severity.WARNING]
        lines = finding_lines(warnings, AUDIT_HINTS, colour=style.colour, width=style.width)
        verified = f"{escape(str(chain_path))}: {paint('verified', 'green', style.colour)}."
        click.echo("\n".join([verified, *lines]), err=True)
    if not report.ok and not force:
        if not quiet:
            click.echo("No configuration printed: fix the errors above, or pass --force.",
                       err=True)
        sys.exit(ExitCode.CHAIN_PROBLEM)
    with user_errors(AUDIT_HINTS):
        # Render and plan first: a refusal must leave no file behind.
        files = served_files(chain_path, report.key, combined=combined)
        snippet = render(format_name, files)
        if refused and (config_file is not None or combined is not None):
            click.echo("Nothing was written: the server cannot load these files.", err=True)
            config_file = combined = None
        # Every output is planned (and every refusal made) before the first
        # byte is written: no --combined file, no .bak, no half edit.
        protected = secret_files(key_path, password_file, keys, material)
        protected.setdefault(chain_path, "the chained file CHAIN")
        edit = plan_config_edit(
            config_file, files, protected=protected, split_links=force
        ) if config_file is not None else None
        pair = combined_output(combined, report.chain, report.key, force)
        outputs = list(edit.outputs) if edit is not None else []
        if pair is not None:
            outputs.insert(0, plan_output(*pair, overwrite=force, mode=0o600,
                                          protected=protected))
        write_outputs(outputs)
    if not quiet:
        done = [combined_line(pair[0])] if pair is not None else []
        done += [escape(edit.summary)] if edit is not None else []
        # (the edit's summary says it for the configuration file)
        done += links_lines(linked(outputs[:1])) if pair is not None else []
        if done:
            click.echo("\n".join(done), err=True)
    click.echo(escape_lines(snippet), nl=False)
    if not report.ok:
        sys.exit(ExitCode.CHAIN_PROBLEM)


@click.command(
    epilog=EXIT_CODES_HELP.replace("the chain is good", "no finding is an error"),
    short_help="Check a server configuration and the TLS files of every site.",
)
@click.argument("config_file", metavar="[CONFIG]", required=False,
                type=click.Path(path_type=Path))
@click.option("--type", "server", type=click.Choice(SERVERS),
              help="Which server CONFIG is for (default: recognised from its content).")
@click.option("--from-server", is_flag=True,
              help="Read what `nginx -T` prints (nginx's own reading of CONFIG, or of its "
                   "default configuration) instead of the files.")
@PASSWORD_FILE
@input_limits
@judging_options
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per site (and one for the configuration's own "
                   "findings).")
@QUIET_OPTION
def doctor(
    config_file: Path | None, server: str | None, from_server: bool,
    password_file: Path | None, judging: Judging, as_json: bool, quiet: bool,
) -> None:
    """
    Check a server configuration (default: ./jupyterhub_config.py) and its TLS sites.

    Reads a JupyterHub, nginx, Apache httpd or HAProxy configuration as its
    server does (includes followed; jupyterhub_config.py parsed, never run),
    runs the server's own check when it is installed, and checks every TLS
    site: its chain and key (as verify does), that its certificate covers
    every name the site serves, and that its key is private.  With
    --hostname, every site must cover that name too (JupyterHub: instead of
    c.JupyterHub.bind_url's host).
    """
    if from_server and server not in (None, "nginx"):
        raise click.UsageError("--from-server reads nginx -T: it goes with --type nginx only.")
    if config_file is None and not from_server:
        config_file = Path("jupyterhub_config.py")
    label = str(config_file) if config_file is not None else "nginx -T"
    with user_errors(AUDIT_HINTS):
        policy = judging.policy()
        result = with_password(password_file, lambda pw: doctor_config(
            config_file, policy=policy, password=pw, server=server, from_server=from_server,
        ))
    if as_json:
        for doc in doctor_dicts(result, label, AUDIT_HINTS):
            click.echo(json.dumps(doc))
    elif quiet:
        for site in result.sites:
            echo_errors(site.report.findings, site_label(site, label), AUDIT_HINTS)
        echo_errors(result.findings, label, AUDIT_HINTS)
    else:
        style = style_for()
        click.echo(doctor_text(
            result, label, judging.at, colour=style.colour, hints=AUDIT_HINTS,
            width=style.width,
        ))
    if not result.ok:
        sys.exit(ExitCode.CHAIN_PROBLEM)


def _load_inputs(
    chain_path: Path, key_path: Path | None, password: bytes | None
) -> tuple[Material, Material | None]:
    material = load_file(chain_path, password=password)
    # An encrypted key found beside CHAIN: asked for on a terminal, else a finding.
    keys = find_keys(
        key_path, password=password, found=material, beside=chain_path,
        ask=sys.stdin.isatty(),
    )
    return material, keys
