"""
The command line: a thin click layer over the library.

The only module that imports click, prints, reads the clock or the
environment.  Library exceptions are translated in one place
(:func:`_user_errors`) into one line on stderr and exit code 2.
"""

from __future__ import annotations

import enum
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import click

from .build import BuildResult, build_chain
from .errors import CertchainError, LoadError, OutputExistsError, PasswordRequired
from .load import load_file, load_files, sibling_key
from .model import Format, Material, TrustStore
from .report import build_dict, build_text
from .snippets import ServedFiles, jupyterhub
from .trust import certifi_store, store_from_paths
from .write import chain_pem, write_file

PASSWORD_ENV = "CERTCHAIN_KEY_PASSWORD"
T = TypeVar("T")


class ExitCode(enum.IntEnum):
    """Process exit codes (the grep/diff convention)."""

    OK = 0  # the chain is good (warnings allowed)
    CHAIN_PROBLEM = 1  # a finding is an error
    BAD_INPUT = 2  # unreadable input, bad password, usage error


class BadInput(click.ClickException):
    """A library error shown as one line, exit code 2."""

    exit_code = ExitCode.BAD_INPUT


@contextmanager
def _user_errors() -> Iterator[None]:
    """Translate library errors into one clear line and exit code 2."""
    try:
        yield
    except CertchainError as exc:
        raise BadInput(str(exc)) from exc


class Instant(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 on
    """An ISO 8601 time; ``Z`` or an offset, UTC when neither is given."""

    name = "TIME"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            moment = value
        else:
            text = str(value).strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                self.fail(
                    f"{value!r} is not an ISO 8601 time (e.g. 2025-06-01T00:00:00Z).",
                    param, ctx,
                )
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)


EXIT_CODES_HELP = """
\b
Exit codes:
  0  the chain is good (warnings allowed)
  1  chain problem: see the findings
  2  bad input or usage: unreadable file, wrong password, ...
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="certchain")
def main() -> None:
    """Assemble and verify TLS certificate chains."""


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("host", type=click.Path(path_type=Path))
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path),
              help="The host's private key (default: a key among the inputs, "
                   "else HOST-STEM.key beside HOST).")
@click.option("--password-file", type=click.Path(path_type=Path),
              help=f"Read the password of encrypted keys and PKCS#12 files from "
                   f"this file (else ${PASSWORD_ENV}, else a prompt on a terminal).")
@click.option("--trust", multiple=True, type=click.Path(path_type=Path),
              help="Trust only these anchors (PEM bundle or directory; repeatable) "
                   "instead of certifi's bundle.")
@click.option("--at", type=Instant(), help="Validate at this time (ISO 8601). Default: now.")
@click.option("--hostname", help="Also check that the host certificate covers NAME "
                                 "(DNS name or IP address).")
@click.option("--strict", is_flag=True,
              help="Make cryptography's web-PKI verifier's objection an error.")
@click.option("--no-root", is_flag=True, help="Leave the self-signed root out of the output.")
@click.option("-o", "--output", help="Where to write the chained file ('-' for stdout). "
                                      "Default: HOST-STEM-chained.crt beside HOST.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--warn-days", type=click.IntRange(min=0), default=30, show_default=True,
              help="Warn when a certificate expires within this many days.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def build(
    host: Path, inputs: tuple[Path, ...], key_path: Path | None, password_file: Path | None,
    trust: tuple[Path, ...], at: datetime | None, hostname: str | None, strict: bool,
    no_root: bool, output: str | None, force: bool, warn_days: int, as_json: bool,
) -> None:
    """
    Build a verified chained certificate from HOST and the CA files INPUTS.

    HOST is the host certificate file; INPUTS are the intermediates and the
    root, in any order and any format.  Writes HOST-STEM-chained.crt (leaf,
    intermediates, root) and prints the jupyterhub_config.py lines.
    """
    if output == "-" and as_json:
        raise click.UsageError("--json cannot be combined with -o - (both use stdout).")
    target = None if output == "-" else Path(output or _default_output(host)).absolute()
    if target is not None and not force and target.exists():
        raise BadInput(str(OutputExistsError(target)))
    when = at or datetime.now(timezone.utc)
    with _user_errors():
        store = _store(trust)
        host_material, others, keys = _with_password(
            password_file, lambda pw: _load_build_inputs(host, inputs, key_path, pw)
        )
        result = build_chain(
            host_material, others, store=store, at=when, keys=keys, hostname=hostname,
            strict=strict, include_root=not no_root, warn_days=warn_days,
        )
        written, snippet = _write_result(result, target, force)
    if as_json:
        click.echo(json.dumps(build_dict(result, written, snippet), indent=2))
    else:
        click.echo(build_text(result, host, written, snippet), nl=False, err=target is None)
    if not result.ok:
        sys.exit(ExitCode.CHAIN_PROBLEM)


def _default_output(host: Path) -> Path:
    return host.with_name(f"{host.stem}-chained.crt")


def _store(trust: tuple[Path, ...]) -> TrustStore:
    return store_from_paths(trust) if trust else certifi_store()


def _load_build_inputs(
    host: Path, inputs: tuple[Path, ...], key_path: Path | None, password: bytes | None
) -> tuple[Material, Material, Material | None]:
    host_material = load_file(host, password=password)
    others = load_files(inputs, password=password)
    keys: Material | None = None
    if key_path is not None:
        keys = load_file(key_path, password=password)
        if not keys.keys:
            raise LoadError(key_path, "holds no private key (given with --key).")
    elif not host_material.keys and not others.keys:
        sibling = sibling_key(host)
        if sibling is not None and sibling not in inputs:
            keys = load_file(sibling, password=password)
    return host_material, others, keys


def _with_password(password_file: Path | None, load: Callable[[bytes | None], T]) -> T:
    """Run *load* with the password, prompting once on a terminal if needed."""
    password = _read_password(password_file)
    try:
        return load(password)
    except PasswordRequired:
        if password is not None or not sys.stdin.isatty():
            raise
    prompted = click.prompt("Password", hide_input=True, err=True, default="",
                            show_default=False)
    return load(prompted.encode())


def _read_password(password_file: Path | None) -> bytes | None:
    if password_file is not None:
        try:
            data = password_file.read_bytes()
        except OSError as exc:
            raise LoadError(password_file, f"cannot be read ({exc.strerror}).") from exc
        # `echo secret > file` adds one newline; it is not part of the password.
        return data[:-2] if data.endswith(b"\r\n") else data.removesuffix(b"\n")
    env = os.environ.get(PASSWORD_ENV)
    return env.encode() if env is not None else None


def _write_result(
    result: BuildResult, target: Path | None, force: bool
) -> tuple[str | None, str | None]:
    """Write the chained file if the result is good; return (where, snippet)."""
    if not result.ok:
        return None, None
    data = chain_pem(result.output_chain)
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return "-", None
    write_file(target, data, overwrite=force)
    return str(target), jupyterhub(_served_files(result, target))


def _served_files(result: BuildResult, target: Path) -> ServedFiles:
    key = result.key
    if key is None:
        return ServedFiles(target, None)
    path = key.source.path.absolute() if key.source.path else None
    if key.source.format is not Format.PEM or path is None:
        return ServedFiles(target, None, key_note=(
            f"the matching key is inside {path} ({key.source.format.value}); JupyterHub "
            f"needs it as a PEM file: openssl pkcs12 -in {path} -nocerts -noenc -out host.key"
        ))
    if key.encrypted:
        return ServedFiles(target, None, key_note=(
            f"the key in {path} is encrypted and JupyterHub cannot ask for its "
            f"password: openssl pkey -in {path} -out host.key"
        ))
    return ServedFiles(target, path)
