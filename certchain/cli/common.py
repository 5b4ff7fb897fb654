"""
What every command shares: exit codes, the error funnel, options, passwords.

Library exceptions are translated in one place (:func:`user_errors`) into one
line on stderr and exit code 2.
"""

from __future__ import annotations

import enum
import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import deploy
from ..errors import CertchainError, KeyRequired, LoadError, PasswordRequired
from ..findings import Remedy
from ..model import Chain, LoadedKey
from ..policy import WARN_DAYS, Policy
from ..report import Hints
from ..snippets import RENDERERS
from ..trust import certifi_store, store_from_paths

PASSWORD_ENV = "CERTCHAIN_KEY_PASSWORD"
T = TypeVar("T")

#: How the commands spell the remedies findings name (report.message adds them).
HINTS: Hints = {
    Remedy.TRUST_ROOT: "--trust ROOT.crt",
    Remedy.GIVE_KEY: "--key FILE",
    Remedy.LEAVE_OUT_ROOT: "--no-root",
    Remedy.FIX_HOSTNAME: "--hostname",
    Remedy.GIVE_PASSWORD: f"--password-file FILE or ${PASSWORD_ENV}",
    Remedy.ALLOW_OVERWRITE: "--force replaces it; -o writes elsewhere",
    Remedy.ALLOW_WEAK: "--allow-weak",
}
#: For commands without --no-root (verify, config, doctor): the build that does it.
AUDIT_HINTS: Hints = {**HINTS, Remedy.LEAVE_OUT_ROOT: "certchain build --no-root"}


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
        hint = HINTS.get(exc.remedy) if exc.remedy is not None else None
        text = str(exc)
        raise BadInput(f"{text.removesuffix('.')} ({hint})." if hint else text) from exc


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


@dataclass(frozen=True)
class Judging:
    """The options every judging command shares, read once; :meth:`policy` builds the value."""

    trust: tuple[Path, ...]
    at: datetime  # --at, else the time the command started
    at_given: bool  # whether --at was given (repair commands repeat it)
    hostname: str | None
    strict: bool
    warn_days: int
    max_depth: int | None
    allow_weak: bool = False  # --allow-weak: legacy algorithms are warnings

    def policy(self) -> Policy:
        """Return the policy (reads the trust store: call inside :func:`user_errors`)."""
        store = store_from_paths(self.trust) if self.trust else certifi_store()
        return Policy(
            store=store, at=self.at, hostname=self.hostname, strict=self.strict,
            warn_days=self.warn_days, max_intermediates=self.max_depth,
            allow_weak=self.allow_weak,
        )


_JUDGING_OPTIONS = (
    click.option("--trust", multiple=True, type=click.Path(path_type=Path),
                 help="Trust only these anchors (PEM bundle or directory; repeatable) "
                      "instead of certifi's bundle."),
    AT_OPTION,
    click.option("--hostname", help="Also check that the leaf covers NAME "
                                    "(DNS name or IP address)."),
    click.option("--strict", is_flag=True,
                 help="Make the strict web-PKI verdict an error, not a warning."),
    click.option("--warn-days", type=click.IntRange(min=0), default=WARN_DAYS,
                 show_default=True,
                 help="Warn when a certificate expires within this many days."),
    click.option("--max-depth", type=click.IntRange(min=0), default=None,
                 help="Refuse paths with more than N intermediates (self-issued ones "
                      "do not count)."),
    click.option("--allow-weak", is_flag=True,
                 help="Accept SHA-1/MD5 signatures and small keys with a warning, for the "
                      "legacy systems that still accept them (default: an error)."),
)


def judging_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Declare the judging options once, and hand the command one ``judging`` value."""

    @functools.wraps(command)
    def collect(
        *args: Any, trust: tuple[Path, ...], at: datetime | None, hostname: str | None,
        strict: bool, warn_days: int, max_depth: int | None, allow_weak: bool,
        **kwargs: Any,
    ) -> Any:
        judging = Judging(
            trust=trust, at=at or datetime.now(timezone.utc), at_given=at is not None,
            hostname=hostname, strict=strict, warn_days=warn_days, max_depth=max_depth,
            allow_weak=allow_weak,
        )
        return command(*args, judging=judging, **kwargs)

    for decorator in reversed(_JUDGING_OPTIONS):
        collect = decorator(collect)
    return collect


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


def combined_output(
    path: Path | None, chain: Chain, key: LoadedKey | None, force: bool
) -> tuple[Path, bytes] | None:
    """What --combined writes, checked but not yet written; no key is a usage error."""
    if path is None:
        return None
    try:
        return deploy.combined_output(path, chain, key, overwrite=force)
    except KeyRequired as exc:
        raise click.UsageError("--combined needs the private key: pass --key FILE.") from exc


def colour_for(*, err: bool = False) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    stream = sys.stderr if err else sys.stdout
    return stream.isatty() and not os.environ.get("NO_COLOR")


