"""
What every command shares: exit codes, the error funnel, options, passwords.

Library exceptions are translated in one place (:func:`user_errors`) into one
line on stderr and exit code 2.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import CertchainError, LoadError, OutputExistsError, PasswordRequired
from ..load import load_file
from ..model import Chain, LoadedKey, Material, TrustStore
from ..snippets import RENDERERS
from ..trust import certifi_store, store_from_paths
from ..write import combined_pem

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
def user_errors() -> Iterator[None]:
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


PASSWORD_FILE = click.option(
    "--password-file", type=click.Path(path_type=Path),
    help=f"Read the password of encrypted keys and PKCS#12 files from this file "
         f"(else ${PASSWORD_ENV}, else a prompt on a terminal).",
)
AT_OPTION = click.option(
    "--at", type=Instant(), help="Validate at this time (ISO 8601). Default: now."
)
FORMAT_OPTION = click.option(
    "--format", "format_name", type=click.Choice(sorted(RENDERERS)), default="jupyterhub",
    show_default=True, help="Which server's configuration lines to print.",
)
COMBINED_OPTION = click.option(
    "--combined", type=click.Path(path_type=Path),
    help="Also write the chain and the key in one file, mode 0600 (HAProxy's crt).",
)


def judging_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options `build` and `verify` share: trust, time, name, strictness."""
    decorators = [
        PASSWORD_FILE,
        click.option("--trust", multiple=True, type=click.Path(path_type=Path),
                     help="Trust only these anchors (PEM bundle or directory; repeatable) "
                          "instead of certifi's bundle."),
        AT_OPTION,
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


def store_for(trust: tuple[Path, ...]) -> TrustStore:
    return store_from_paths(trust) if trust else certifi_store()


def with_password(password_file: Path | None, load: Callable[[bytes | None], T]) -> T:
    """Run *load* with the password, prompting once on a terminal if needed."""
    password = read_password(password_file)
    try:
        return load(password)
    except PasswordRequired:
        if password is not None or not sys.stdin.isatty():
            raise
    prompted = click.prompt("Password", hide_input=True, err=True, default="",
                            show_default=False)
    return load(prompted.encode())


def read_password(password_file: Path | None) -> bytes | None:
    if password_file is not None:
        try:
            data = password_file.read_bytes()
        except OSError as exc:
            raise LoadError(password_file, f"cannot be read ({exc.strerror}).") from exc
        # `echo secret > file` adds one newline; it is not part of the password.
        return data[:-2] if data.endswith(b"\r\n") else data.removesuffix(b"\n")
    env = os.environ.get(PASSWORD_ENV)
    return env.encode() if env is not None else None


def check_format(format_name: str, combined: Path | None) -> None:
    if format_name == "haproxy" and combined is None:
        raise click.UsageError(
            "--format haproxy needs --combined FILE (key and chain in one file)."
        )


def combined_file(
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


def load_one(path: Path, password: bytes | None) -> Material:
    return load_file(path, password=password)


def load_key(key_path: Path | None, password: bytes | None) -> Material | None:
    if key_path is None:
        return None
    keys = load_file(key_path, password=password)
    if not keys.keys:
        raise LoadError(key_path, "holds no private key (given with --key).")
    return keys


def colour_for(*, err: bool = False) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    stream = sys.stderr if err else sys.stdout
    return stream.isatty() and not os.environ.get("NO_COLOR")


