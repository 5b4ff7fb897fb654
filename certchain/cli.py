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
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import click

from .build import BuildResult, build_chain
from .deploy import served_files
from .doctor import doctor_config
from .errors import CertchainError, LoadError, OutputExistsError, PasswordRequired
from .findings import Severity
from .inventory import inspect_material
from .jhconfig import set_ssl
from .load import load_file, load_files, sibling_key
from .model import Chain, LoadedKey, Material, TrustStore
from .report import (
    build_dict,
    build_text,
    finding_lines,
    inspect_text,
    paint,
    verify_dict,
    verify_text,
)
from .snippets import RENDERERS, ServedFiles, render
from .trust import certifi_store, store_from_paths
from .verify import Report, verify_chain, verify_file
from .write import chain_pem, combined_pem, update_file, write_file

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


_PASSWORD_FILE = click.option(
    "--password-file", type=click.Path(path_type=Path),
    help=f"Read the password of encrypted keys and PKCS#12 files from this file "
         f"(else ${PASSWORD_ENV}, else a prompt on a terminal).",
)
_AT = click.option("--at", type=Instant(), help="Validate at this time (ISO 8601). Default: now.")
_FORMAT = click.option(
    "--format", "format_name", type=click.Choice(sorted(RENDERERS)), default="jupyterhub",
    show_default=True, help="Which server's configuration lines to print.",
)
_COMBINED = click.option(
    "--combined", type=click.Path(path_type=Path),
    help="Also write the chain and the key in one file, mode 0600 (HAProxy's crt).",
)


def _judging_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options `build` and `verify` share: trust, time, name, strictness."""
    decorators = [
        _PASSWORD_FILE,
        click.option("--trust", multiple=True, type=click.Path(path_type=Path),
                     help="Trust only these anchors (PEM bundle or directory; repeatable) "
                          "instead of certifi's bundle."),
        _AT,
        click.option("--hostname", help="Also check that the leaf covers NAME "
                                        "(DNS name or IP address)."),
        click.option("--strict", is_flag=True,
                     help="Make cryptography's web-PKI verifier's objection an error."),
        click.option("--warn-days", type=click.IntRange(min=0), default=30,
                     show_default=True,
                     help="Warn when a certificate expires within this many days."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("host", type=click.Path(path_type=Path))
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path),
              help="The host's private key (default: a key among the inputs, "
                   "else HOST-STEM.key beside HOST).")
@_judging_options
@click.option("--no-root", is_flag=True, help="Leave the self-signed root out of the output.")
@click.option("-o", "--output", help="Where to write the chained file ('-' for stdout). "
                                      "Default: HOST-STEM-chained.crt beside HOST.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@_FORMAT
@_COMBINED
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def build(
    host: Path, inputs: tuple[Path, ...], key_path: Path | None, password_file: Path | None,
    trust: tuple[Path, ...], at: datetime | None, hostname: str | None, strict: bool,
    no_root: bool, output: str | None, force: bool, format_name: str,
    combined: Path | None, warn_days: int, as_json: bool,
) -> None:
    """
    Build a verified chained certificate from HOST and the CA files INPUTS.

    HOST is the host certificate file; INPUTS are the intermediates and the
    root, in any order and any format.  Writes HOST-STEM-chained.crt (leaf,
    intermediates, root) and prints the jupyterhub_config.py lines.
    """
    if output == "-" and as_json:
        raise click.UsageError("--json cannot be combined with -o - (both use stdout).")
    _check_format(format_name, combined)
    target = None if output == "-" else Path(output or _default_output(host)).absolute()
    when = at or datetime.now(timezone.utc)
    with _user_errors():
        store = _store(trust)
        host_material, others, keys = _with_password(
            password_file, lambda pw: _load_build_inputs(host, inputs, key_path, pw)
        )
        # Refused before any work, but after the inputs: a missing input is
        # the more useful message.  write_file checks again, atomically.
        if target is not None and not force and target.exists():
            raise OutputExistsError(target)
        result = build_chain(
            host_material, others, store=store, at=when, keys=keys, hostname=hostname,
            strict=strict, include_root=not no_root, warn_days=warn_days,
        )
        written, snippet = _write_result(result, target, force, format_name, combined)
    if as_json:
        click.echo(json.dumps(build_dict(result, written, snippet), indent=2))
    else:
        text = build_text(result, host, written, snippet, format_name)
        click.echo(text, nl=False, err=target is None)
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
    keys = _load_key(key_path, password)
    if key_path is None and not host_material.keys and not others.keys:
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
    result: BuildResult, target: Path | None, force: bool, format_name: str,
    combined: Path | None,
) -> tuple[str | None, str | None]:
    """Write the chained file if the result is good; return (where, snippet)."""
    if not result.ok:
        return None, None
    data = chain_pem(result.output_chain)
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return "-", None
    # Everything that can refuse (a path the format cannot express, a
    # missing key, an existing file) is settled before anything is written.
    snippet = render(format_name, served_files(target, result.key, combined=combined))
    pair = _combined_file(combined, result.output_chain, result.key, force)
    write_file(target, data, overwrite=force)
    if pair is not None:
        write_file(*pair, overwrite=force, mode=0o600)
    return str(target), snippet


def _check_format(format_name: str, combined: Path | None) -> None:
    if format_name == "haproxy" and combined is None:
        raise click.UsageError(
            "--format haproxy needs --combined FILE (key and chain in one file)."
        )


def _combined_file(
    path: Path | None, chain: Chain, key: LoadedKey | None, force: bool
) -> tuple[Path, bytes] | None:
    """What --combined writes (chain + key, for HAProxy), checked but not yet written."""
    if path is None:
        return None
    if key is None:
        raise LoadError(None, "--combined needs the private key: pass --key FILE.")
    path = path.absolute()
    if not force and path.exists():
        raise OutputExistsError(path)
    return path, combined_pem(chain, key.key)


@main.command(epilog=EXIT_CODES_HELP.replace("the chain is good", "every file is good"))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path),
              help="Check that this private key belongs to the leaf.")
@_judging_options
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
    with _user_errors():
        store = _store(trust)
        keys = _with_password(password_file, lambda pw: _load_key(key_path, pw))
    colour = _colour()
    outcomes: list[bool | None] = []  # None: the file could not be read
    for path in files:

        def judge(password: bytes | None, path: Path = path) -> Report:
            return verify_file(
                path, store=store, at=when, keys=keys, password=password,
                hostname=hostname, strict=strict, warn_days=warn_days,
            )

        try:
            with _user_errors():
                report = _with_password(password_file, judge)
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


@main.command(epilog="""
\b
Exit codes:
  0  every file was read
  2  a file could not be read (bad input or usage)
""")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_PASSWORD_FILE
@_AT
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per file, one per line.")
def inspect(
    files: tuple[Path, ...], password_file: Path | None, at: datetime | None, as_json: bool,
) -> None:
    """List every certificate and key in FILES, field by field."""
    when = at or datetime.now(timezone.utc)
    colour = _colour()
    for path in files:
        with _user_errors():
            material = _with_password(password_file, partial(_load_one, path))
        items = inspect_material(material, when)
        if as_json:
            click.echo(json.dumps({"file": str(path), **items}))
        else:
            if len(files) > 1:
                click.echo(paint(f"== {path}", "bold", colour))
            click.echo(inspect_text(items, colour=colour), nl=False)


def _load_one(path: Path, password: bytes | None) -> Material:
    return load_file(path, password=password)


def _load_key(key_path: Path | None, password: bytes | None) -> Material | None:
    if key_path is None:
        return None
    keys = load_file(key_path, password=password)
    if not keys.keys:
        raise LoadError(key_path, "holds no private key (given with --key).")
    return keys


def _colour(*, err: bool = False) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    stream = sys.stderr if err else sys.stdout
    return stream.isatty() and not os.environ.get("NO_COLOR")


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


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("chain_path", metavar="CHAIN", type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path),
              help="The private key (default: a key in CHAIN, else CHAIN-STEM.key, or "
                   "HOST.key for HOST-chained.crt, beside CHAIN).")
@_judging_options
@_FORMAT
@_COMBINED
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
    _check_format(format_name, combined)
    when = at or datetime.now(timezone.utc)
    chain_path = chain_path.absolute()
    with _user_errors():
        store = _store(trust)
        material, keys = _with_password(
            password_file, partial(_load_config_inputs, chain_path, key_path)
        )
        report = verify_chain(material, store=store, at=when, keys=keys, hostname=hostname,
                              strict=strict, warn_days=warn_days)
    if not report.ok:
        click.echo(verify_text(report, str(chain_path), when, colour=_colour(err=True)), err=True)
    else:
        warnings = [f for f in report.findings if f.severity is Severity.WARNING]
        click.echo("\n".join([f"{chain_path}: verified.", *finding_lines(warnings)]), err=True)
    if not report.ok and not force:
        click.echo("No configuration printed: fix the errors above, or pass --force.", err=True)
        sys.exit(ExitCode.CHAIN_PROBLEM)
    with _user_errors():
        # Render and plan first: a refusal must leave no file behind.
        files = served_files(chain_path, report.key, combined=combined and combined.absolute())
        lines = render(format_name, files)
        plan = _plan_config(config_file, files) if config_file is not None else None
        pair = _combined_file(combined, report.chain, report.key, force)
        if pair is not None:
            write_file(*pair, overwrite=force, mode=0o600)
        if plan is not None:
            click.echo(_apply_config(plan), err=True)
    click.echo(lines, nl=False)
    if not report.ok:
        sys.exit(ExitCode.CHAIN_PROBLEM)


@main.command(epilog=EXIT_CODES_HELP.replace("the chain is good", "no finding is an error"))
@click.argument("config_file", metavar="[CONFIG]", required=False,
                default="jupyterhub_config.py", type=click.Path(path_type=Path))
@_PASSWORD_FILE
@click.option("--trust", multiple=True, type=click.Path(path_type=Path),
              help="Trust only these anchors instead of certifi's bundle.")
@_AT
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
    with _user_errors():
        store = _store(trust)
        report = _with_password(password_file, lambda pw: doctor_config(
            config_file, store=store, at=when, hostname=hostname, password=pw,
            strict=strict, warn_days=warn_days,
        ))
    if as_json:
        click.echo(json.dumps(verify_dict(report, str(config_file))))
    else:
        click.echo(verify_text(report, str(config_file), when, colour=_colour()))
    if not report.ok:
        sys.exit(ExitCode.CHAIN_PROBLEM)


def _load_config_inputs(
    chain_path: Path, key_path: Path | None, password: bytes | None
) -> tuple[Material, Material | None]:
    material = load_file(chain_path, password=password)
    keys = _load_key(key_path, password)
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
