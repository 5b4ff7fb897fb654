"""
What every command shares: exit codes, the error funnel, options, passwords,
and how the output reaches the terminal.

Library exceptions are translated in one place (:func:`user_errors`) into one
line on stderr and exit code 2 (and, with ``--json``, one JSON object on
stdout: :class:`Main`).  Output failures and Ctrl-C are handled once, in
:class:`Main`, for every command.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import click

from .. import deploy, reading
from ..errors import (
    AmbiguousLeaf,
    BadPassword,
    CertchainError,
    ConfigError,
    ConnectError,
    KeyRequired,
    LoadError,
    OutputExistsError,
    PasswordRequired,
    SnippetError,
    TrustStoreError,
    WriteError,
)
from ..fetch import TIMEOUT
from ..findings import Finding, Remedy
from ..layout import escape
from ..load import load_file, load_stream
from ..model import Chain, LoadedKey, Material
from ..policy import WARN_DAYS, Policy
from ..report import Hints, error_dict, error_lines
from ..snippets import RENDERERS
from ..trust import certifi_store, store_from_specs
from .codes import ExitCode
from .types import (
    Hostname,
    Instant,
    OutputFile,
    Seconds,
    Size,
    TrustSpec,
)

if TYPE_CHECKING:  # click's completion module: imported when completing
    pass

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
    Remedy.RAISE_INPUT_SIZE: "--max-input-size SIZE raises it",
    Remedy.FETCH_MISSING: "--fetch-missing downloads it",
}
#: For commands without --no-root and -o (verify, config, doctor).
AUDIT_HINTS: Hints = {
    **HINTS,
    Remedy.LEAVE_OUT_ROOT: "certchain build --no-root",
    Remedy.ALLOW_OVERWRITE: "--force replaces it",
    Remedy.FETCH_MISSING: "certchain build --fetch-missing adds it",
}
#: An existing --combined file (build and config): -o names the other output.
_COMBINED_EXISTS = "--force replaces it; another --combined FILE writes elsewhere"


#: ``error.code`` in the --json object of a run that exits 2 (a contract): the
#: first class in this list that the exception is an instance of.
ERROR_CODES: tuple[tuple[type[CertchainError], str], ...] = (
    (PasswordRequired, "password-required"),
    (BadPassword, "bad-password"),
    (AmbiguousLeaf, "ambiguous-leaf"),
    (LoadError, "load-error"),
    (TrustStoreError, "trust-store-error"),
    (OutputExistsError, "output-exists"),
    (WriteError, "write-error"),
    (KeyRequired, "key-required"),
    (SnippetError, "snippet-error"),
    (ConfigError, "config-error"),
    (ConnectError, "connect-error"),
)
USAGE_ERROR = "usage"  # a click usage error: a bad option, value or argument
OTHER_ERROR = "error"  # a CertchainError of no class listed above


class BadInput(click.ClickException):
    """A library error shown as one line, exit code 2; *code* and *file* for --json."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, *, code: str = OTHER_ERROR, file: str | None = None):
        super().__init__(message)
        self.code = code
        self.file = file

    def format_message(self) -> str:
        # The Error: line quotes file names and certificate names: escaped
        # (the JSON error object keeps self.message, which json.dumps escapes).
        return escape(self.message)


def error_code(exc: CertchainError) -> str:
    """Return the stable ``error.code`` of *exc* (:data:`ERROR_CODES`)."""
    return next((code for kind, code in ERROR_CODES if isinstance(exc, kind)), OTHER_ERROR)


def _error_file(exc: CertchainError) -> str | None:
    path = getattr(exc, "path", None)
    return str(path) if isinstance(path, Path) else None


def with_hint(text: str, hint: str | None) -> str:
    """Return *text* with the front end's spelling of its remedy in parentheses."""
    return f"{text.removesuffix('.')} ({hint})." if hint else text


def bad_input(exc: CertchainError, hints: Hints = HINTS) -> BadInput:
    """Return *exc* as one line for the user, with its flag hint, code and file."""
    hint = hints.get(exc.remedy) if exc.remedy is not None else None
    return BadInput(with_hint(str(exc), hint), code=error_code(exc), file=_error_file(exc))


@contextmanager
def user_errors(hints: Hints = HINTS) -> Iterator[None]:
    """Translate library errors into one clear line and exit code 2."""
    try:
        yield
    except CertchainError as exc:
        raise bad_input(exc, hints) from exc


def show_error(exc: click.ClickException, *, as_json: bool, file: str | None = None) -> None:
    """
    Report *exc* for a run that goes on (one file among several): the ``Error:``
    line on stderr, and with --json its object on stdout (one line).
    """
    exc.show()
    if as_json:
        import json  # here: only --json needs it

        click.echo(json.dumps(error_object(exc, file)))


def error_object(exc: click.ClickException, file: str | None = None) -> dict[str, Any]:
    if isinstance(exc, BadInput):
        doc = error_dict(exc.code, exc.message, exc.file or file)
    else:
        doc = error_dict(USAGE_ERROR, exc.format_message(), file)
    return {"file": file, **doc} if file is not None else doc


def input_label(path: Path | None) -> str:
    """How reports and JSON name an input: its path as given, ``-`` for standard input."""
    return "-" if path is None else str(path)


def input_limits(command: Callable[..., Any]) -> Callable[..., Any]:
    """
    Declare --max-input-size, and run the command as one reading run.

    Every file the command reads (inputs, keys, password file, trust
    anchors, configuration) is capped at the size given, and the run's
    certificates and PEM blocks at :data:`certchain.reading.MAX_ITEMS`.
    """

    @click.option(
        "--max-input-size", type=Size(), default="50M", show_default=True,
        help="Refuse any file larger than SIZE (bytes, or with K, M or G).",
    )
    @functools.wraps(command)
    def run(*args: Any, max_input_size: int, **kwargs: Any) -> Any:
        with reading.limits(max_bytes=max_input_size):
            return command(*args, **kwargs)

    return run


def load_input(
    path: Path | None, password: bytes | None, *, keep_locked: bool = False
) -> Material:
    """Load a file, or standard input for None (bounded: :func:`certchain.load.load_stream`)."""
    if path is None:
        return load_stream(sys.stdin.buffer, password=password, keep_locked=keep_locked)
    return load_file(path, password=password, keep_locked=keep_locked)


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
    "--combined", type=OutputFile(),
    help="Also write the chain and the key in one file, mode 0600 (HAProxy's crt).",
)
QUIET_OPTION = click.option(
    "-q", "--quiet", is_flag=True,
    help="Print only the error lines, or nothing (--json output is unchanged).",
)


class Judging(NamedTuple):
    """The options every judging command shares, read once; :meth:`policy` builds the value."""

    trust: tuple[str | Path, ...]  # --trust as given: "certifi", "system" or a path
    at: datetime  # --at, else the time the command started
    at_given: bool  # whether --at was given (repair commands repeat it)
    hostname: str | None
    strict: bool
    warn_days: int
    max_depth: int | None
    allow_weak: bool = False  # --allow-weak: legacy algorithms are warnings
    fetch_missing: bool = False  # --fetch-missing: download missing issuers over AIA
    timeout: float = TIMEOUT  # --timeout: seconds per network request
    no_cache: bool = False  # --no-cache: fetch without the cache of fetched issuers

    def policy(self) -> Policy:
        """
        Return the policy (reads the trust store: call inside :func:`user_errors`).

        Call it once per command: its fetcher counts the run's downloads.
        """
        store = store_from_specs(self.trust) if self.trust else certifi_store()
        fetcher = None
        if self.fetch_missing:
            # Imported here: only a run that fetches needs urllib and the cache.
            from ..cache import cache_folder
            from ..fetcher import UrllibFetcher

            cache = None if self.no_cache else cache_folder()

            fetcher = UrllibFetcher(timeout=self.timeout, cache=cache)
        return Policy(
            store=store, at=self.at, hostname=self.hostname, strict=self.strict,
            warn_days=self.warn_days, max_intermediates=self.max_depth,
            allow_weak=self.allow_weak, fetcher=fetcher,
        )


#: The longest --warn-days: the days from 0001-01-01 to 9999-12-31, the whole
#: calendar a time can be in (a larger window adds nothing, and overflows).
MAX_WARN_DAYS = (date.max - date.min).days
#: The largest --max-depth: cryptography's verifier counts depth in a byte.
MAX_DEPTH = 255

_JUDGING_OPTIONS = (
    click.option("--trust", multiple=True, type=TrustSpec(),
                 help="Trust only these anchors: 'certifi' (Mozilla's roots, the default), "
                      "'system' (the operating system's bundle) or a PEM bundle or directory; "
                      "repeatable, the stores are merged."),
    AT_OPTION,
    click.option("--hostname", type=Hostname(),
                 help="Also check that the leaf covers NAME (DNS name or IP address)."),
    click.option("--strict", is_flag=True,
                 help="Make the strict web-PKI verdict an error, not a warning."),
    click.option("--warn-days", type=click.IntRange(0, MAX_WARN_DAYS), default=WARN_DAYS,
                 show_default=True,
                 help="Warn when a certificate expires within this many days."),
    click.option("--max-depth", type=click.IntRange(0, MAX_DEPTH), default=None,
                 help="Refuse paths with more than N intermediates (self-issued ones "
                      "do not count)."),
    click.option("--allow-weak", is_flag=True,
                 help="Accept SHA-1/MD5 signatures and small keys with a warning, for the "
                      "legacy systems that still accept them (default: an error)."),
    click.option("--fetch-missing", is_flag=True,
                 help="Download a missing issuer from the caIssuers URL of the certificate "
                      "it issued (http/https; cached). Without it, no network is used."),
    click.option("--timeout", type=Seconds(), default=TIMEOUT, show_default=True,
                 help="Give up a network request after SECONDS."),
    click.option("--no-cache", is_flag=True,
                 help="With --fetch-missing: neither read nor write the cache of fetched "
                      "issuers."),
)


def judging_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Declare the judging options once, and hand the command one ``judging`` value."""

    @functools.wraps(command)
    def collect(
        *args: Any, trust: tuple[Path, ...], at: datetime | None, hostname: str | None,
        strict: bool, warn_days: int, max_depth: int | None, allow_weak: bool,
        fetch_missing: bool, timeout: float, no_cache: bool, **kwargs: Any,
    ) -> Any:
        judging = Judging(
            trust=trust, at=at or datetime.now(timezone.utc), at_given=at is not None,
            hostname=hostname, strict=strict, warn_days=warn_days, max_depth=max_depth,
            allow_weak=allow_weak, fetch_missing=fetch_missing, timeout=timeout,
            no_cache=no_cache,
        )
        return command(*args, judging=judging, **kwargs)

    for decorator in reversed(_JUDGING_OPTIONS):
        collect = decorator(collect)
    return collect


def with_password(
    password_file: Path | None, load: Callable[[bytes | None], T],
    before_prompt: Callable[[], None] | None = None,
) -> T:
    """
    Run *load* with the password, prompting once on a terminal if needed.

    *before_prompt* runs before the prompt is shown (a progress bar clears its line).
    """
    password = read_password(password_file)
    try:
        return load(password)
    except PasswordRequired:
        if password is not None or not sys.stdin.isatty():
            raise
    if before_prompt is not None:
        before_prompt()
    prompted = click.prompt("Password", hide_input=True, err=True, default="",
                            show_default=False)
    return load(prompted.encode())


def read_password(password_file: Path | None) -> bytes | None:
    if password_file is not None:
        # The one bounded reader: /dev/zero or a FIFO is refused, not read.
        data = reading.read_file(password_file)
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
    except OutputExistsError as exc:
        raise BadInput(
            with_hint(str(exc), _COMBINED_EXISTS), code=error_code(exc), file=str(exc.path)
        ) from exc


def colour_for(*, err: bool = False) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    stream = sys.stderr if err else sys.stdout
    return stream.isatty() and not os.environ.get("NO_COLOR")


class Style(NamedTuple):
    """How a report is drawn: colour, and the terminal's width (None: lines kept whole)."""

    colour: bool = False
    width: int | None = None


def style_for(*, err: bool = False) -> Style:
    """
    How to draw a report on stdout (or stderr): colour and width only on a terminal.

    On a terminal, no line is wider than it (``shutil.get_terminal_size``,
    which honours ``$COLUMNS``); piped, lines are kept whole for grep.
    """
    stream = sys.stderr if err else sys.stdout
    width = shutil.get_terminal_size().columns if stream.isatty() else None
    return Style(colour=colour_for(err=err), width=width)


def echo_errors(
    findings: Sequence[Finding], label: str, hints: Hints, *, err: bool = False
) -> None:
    """--quiet: print only the error findings, one line each naming *label*."""
    style = style_for(err=err)
    lines = error_lines(findings, label, hints, colour=style.colour, width=style.width)
    if lines:
        click.echo("\n".join(lines), err=err)


