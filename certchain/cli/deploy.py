"""
``certchain config`` and ``certchain doctor``: configure servers, check JupyterHub.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import click

from ..deploy import served_files
from ..doctor import doctor_config
from ..errors import LoadError
from ..findings import Severity
from ..jhconfig import set_ssl
from ..load import load_file
from ..model import Material
from ..report import finding_lines, verify_dict, verify_text
from ..snippets import ServedFiles, render
from ..verify import verify_chain
from ..write import update_file, write_file
from .common import (
    AT_OPTION,
    COMBINED_OPTION,
    EXIT_CODES_HELP,
    FORMAT_OPTION,
    PASSWORD_FILE,
    ExitCode,
    check_format,
    colour_for,
    combined_file,
    judging_options,
    load_key,
    store_for,
    user_errors,
    with_password,
)


@click.command(epilog=EXIT_CODES_HELP, short_help="Print server configuration for a chained file.")
@click.argument("chain_path", metavar="CHAIN", type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path),
              help="The private key (default: a key in CHAIN, else CHAIN-STEM.key, or "
                   "HOST.key for HOST-chained.crt, beside CHAIN).")
@judging_options
@FORMAT_OPTION
@COMBINED_OPTION
@click.option("--write", "config_file", type=click.Path(path_type=Path),
              help="Set c.JupyterHub.ssl_cert and ssl_key in this jupyterhub_config.py "
                   "(the previous file is kept as FILE.bak).")
@click.option("--force", is_flag=True,
              help="Print the lines despite chain errors, and replace --combined's file.")
def config(
    chain_path: Path, key_path: Path | None, password_file: Path | None,
    trust: tuple[Path, ...], at: datetime | None, hostname: str | None, strict: bool,
    warn_days: int, format_name: str, combined: Path | None, config_file: Path | None,
    force: bool,
) -> None:
    """
    Print the configuration lines for an existing chained file CHAIN.

    Verifies CHAIN and its key first, as verify does: with an error, the
    findings go to stderr, exit 1, and no lines are printed unless --force.
    The lines go to stdout; everything else to stderr.
    """
    check_format(format_name, combined)
    when = at or datetime.now(timezone.utc)
    chain_path = chain_path.absolute()
    with user_errors():
        store = store_for(trust)
        material, keys = with_password(
            password_file, partial(_load_config_inputs, chain_path, key_path)
        )
        report = verify_chain(material, store=store, at=when, keys=keys, hostname=hostname,
                              strict=strict, warn_days=warn_days)
    if not report.ok:
        text = verify_text(report, str(chain_path), when, colour=colour_for(err=True))
        click.echo(text, err=True)
    else:
        warnings = [f for f in report.findings if f.severity is Severity.WARNING]
        click.echo("\n".join([f"{chain_path}: verified.", *finding_lines(warnings)]), err=True)
    if not report.ok and not force:
        click.echo("No configuration printed: fix the errors above, or pass --force.", err=True)
        sys.exit(ExitCode.CHAIN_PROBLEM)
    with user_errors():
        # Render and plan first: a refusal must leave no file behind.
        files = served_files(chain_path, report.key, combined=combined and combined.absolute())
        lines = render(format_name, files)
        plan = _plan_config(config_file, files) if config_file is not None else None
        pair = combined_file(combined, report.chain, report.key, force)
        if pair is not None:
            write_file(*pair, overwrite=force, mode=0o600)
        if plan is not None:
            click.echo(_apply_config(plan), err=True)
    click.echo(lines, nl=False)
    if not report.ok:
        sys.exit(ExitCode.CHAIN_PROBLEM)


@click.command(
    epilog=EXIT_CODES_HELP.replace("the chain is good", "no finding is an error"),
    short_help="Check a jupyterhub_config.py and the TLS files it names.",
)
@click.argument("config_file", metavar="[CONFIG]", required=False,
                default="jupyterhub_config.py", type=click.Path(path_type=Path))
@PASSWORD_FILE
@click.option("--trust", multiple=True, type=click.Path(path_type=Path),
              help="Trust only these anchors instead of certifi's bundle.")
@AT_OPTION
@click.option("--hostname",
              help="Check the chain for NAME (default: c.JupyterHub.bind_url's host).")
@click.option("--strict", is_flag=True,
              help="Make the strict web-PKI verdict an error.")
@click.option("--warn-days", type=click.IntRange(min=0), default=30, show_default=True,
              help="Warn when a certificate expires within this many days.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def doctor(
    config_file: Path, password_file: Path | None, trust: tuple[Path, ...],
    at: datetime | None, hostname: str | None, strict: bool, warn_days: int, as_json: bool,
) -> None:
    """
    Check a JupyterHub configuration (default: ./jupyterhub_config.py).

    Reads the file without running it, then checks the TLS files it names
    (as verify does, with the key) and the settings the JupyterHub
    troubleshooting page warns about.
    """
    when = at or datetime.now(timezone.utc)
    with user_errors():
        store = store_for(trust)
        report = with_password(password_file, lambda pw: doctor_config(
            config_file, store=store, at=when, hostname=hostname, password=pw,
            strict=strict, warn_days=warn_days,
        ))
    if as_json:
        click.echo(json.dumps(verify_dict(report, str(config_file))))
    else:
        click.echo(verify_text(report, str(config_file), when, colour=colour_for()))
    if not report.ok:
        sys.exit(ExitCode.CHAIN_PROBLEM)


def _load_config_inputs(
    chain_path: Path, key_path: Path | None, password: bytes | None
) -> tuple[Material, Material | None]:
    material = load_file(chain_path, password=password)
    keys = load_key(key_path, password)
    if keys is None and not material.keys:
        for candidate in _config_key_candidates(chain_path):
            if candidate.is_file():
                keys = load_file(candidate, password=password)
                break
    return material, keys


def _config_key_candidates(chain_path: Path) -> list[Path]:
    """CHAIN-STEM.key, then HOST.key for a HOST-chained.crt (what build writes)."""
    stem = chain_path.stem
    candidates = [chain_path.with_name(f"{stem}.key")]
    if stem.endswith("-chained"):
        candidates.append(chain_path.with_name(f"{stem.removesuffix('-chained')}.key"))
    return candidates


@dataclass(frozen=True)
class _ConfigPlan:
    path: Path  # as the user named it
    before: str | None  # None: the file does not exist yet
    after: str


def _plan_config(config_file: Path, files: ServedFiles) -> _ConfigPlan:
    """Compute the new jupyterhub_config.py (refusing before anything is written)."""
    if files.key is None:
        raise LoadError(config_file, f"not changed: {files.key_note}.")
    try:
        # Bytes, then decode: read_text would turn CRLF into LF.
        before: str | None = config_file.read_bytes().decode("utf-8")
    except FileNotFoundError:
        before = None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(config_file, f"cannot be read ({exc}); it was left unchanged.") from exc
    after = set_ssl(before or "", files.chain, files.key, config_file)
    return _ConfigPlan(config_file, before, after)


def _apply_config(plan: _ConfigPlan) -> str:
    """Write a planned configuration; return what was done, for stderr."""
    path = plan.path
    if plan.before == plan.after:
        return f"{path}: ssl_cert and ssl_key were already set; nothing changed."
    backup = path.with_name(path.name + ".bak")
    # Through a symlink, the file it points to is updated and the link kept.
    target = path.resolve() if path.is_symlink() else path
    data = plan.after.encode("utf-8")
    update_file(target, data, backup=backup if plan.before is not None else None)
    if plan.before is not None:
        return f"{path}: ssl_cert and ssl_key set; the previous file is {backup}."
    return f"{path}: created with ssl_cert and ssl_key."
