"""
The types of certchain's options and arguments: each checks and converts one value.

A value out of range or of the wrong form is a usage error naming the option
(exit 2), never a traceback later: a time (``--at``), a size
(``--max-input-size``), seconds (``--timeout``), a host name
(``--hostname``, ``--servername``), a trust store (``--trust``), a file to
write or to read (``-`` for standard input).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast
from urllib.parse import urlsplit

import click

from ..trust import NAMED_STORES

if TYPE_CHECKING:  # click's completion module: imported when completing
    from click.shell_completion import CompletionItem


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
        try:
            # 0001-01-01T00:00:00+14:00 is a valid time that UTC cannot hold.
            return moment.astimezone(timezone.utc)
        except OverflowError:
            self.fail(
                f"{value!r} is out of range: give a time from 0001-01-01 to 9999-12-31 in UTC.",
                param, ctx,
            )


# Digits, then an optional unit (K, KB, KiB, ...); the digits bounded so that
# no one types a number Python spends time on.
_SIZE = re.compile(r"(\d{1,15})\s*([KMGkmg]?)(?:i?[Bb])?")
_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
#: The largest --max-input-size: every file is read whole into memory.
MAX_SIZE = 4 << 30
#: The shortest and longest --timeout: under a tenth of a second nothing
#: answers; past ten minutes a run looks hung.
MIN_TIMEOUT = 0.1
MAX_TIMEOUT = 600.0
N = TypeVar("N", int, float)


class _Bounded(click.ParamType, Generic[N]):  # type: ignore[type-arg]  # generic from click 8.4 on
    """A number read from text, refused unless it lies from :attr:`low` to :attr:`high`."""

    kind: type[N]  # a value already of this type (a default) is taken as it is
    low: N
    high: N
    example: str  # what the message says the value should look like
    bounds: str  # the range, as the message says it

    def read(self, text: str) -> N | None:
        """The number *text* says, or None when it says none."""
        raise NotImplementedError

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> N:
        if isinstance(value, self.kind):
            return value
        number = self.read(str(value).strip())
        if number is None:
            self.fail(f"{value!r} is not {self.example}.", param, ctx)
        if not self.low <= number <= self.high:  # NaN fails both comparisons
            self.fail(f"{value!r} is out of range: {self.bounds}.", param, ctx)
        return number


class Size(_Bounded[int]):
    """A size in bytes: ``52428800``, ``50M``, ``1G`` (K, M, G: powers of 1024)."""

    name = "SIZE"
    kind, low, high = int, 1, MAX_SIZE
    example = "a size: give bytes, or a number with K, M or G (e.g. 50M)"
    bounds = "from 1 byte to 4G"

    def read(self, text: str) -> int | None:
        match = _SIZE.fullmatch(text)
        return None if match is None else int(match[1]) * _SIZE_UNITS[match[2].upper()]


class Seconds(_Bounded[float]):
    """A duration in seconds (``10``, ``2.5``), from :data:`MIN_TIMEOUT` to :data:`MAX_TIMEOUT`."""

    name = "SECONDS"
    kind, low, high = float, MIN_TIMEOUT, MAX_TIMEOUT
    example = "a number of seconds (e.g. 10 or 2.5)"
    bounds = f"from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g} seconds"

    def read(self, text: str) -> float | None:
        try:
            return float(text)
        except ValueError:
            return None


class Hostname(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 on
    """
    A host name or IP address, as a client would connect to it.

    A URL, a ``host:port``, a path or anything with spaces is refused with the
    bare name to use: ``https://hub.example.org`` would otherwise be a silent
    ``hostname-mismatch``.
    """

    name = "NAME"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        text = str(value)
        if _is_host(text):
            return text
        bare = _bare_host(text)
        if bare is not None:
            self.fail(f"{text!r} is not a bare host name: use --hostname {bare}.", param, ctx)
        self.fail(
            f"{text!r} is not a host name (a DNS name such as hub.example.org, or an "
            "IP address).", param, ctx,
        )


# What never stands in a DNS name as typed (IP addresses are checked apart).
_NOT_IN_A_NAME = re.compile(r"[\s\x00-\x1f\x7f/\\:@?#%\[\](),;'\"<>`|=+&!$~^{}]")


def _is_host(text: str) -> bool:
    """A DNS name (labels, a trailing dot allowed) or an IP address."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        pass
    else:
        return True
    labels = text.removesuffix(".").split(".")
    return not _NOT_IN_A_NAME.search(text) and all(labels)


def _bare_host(text: str) -> str | None:
    """The host inside a URL, ``host:port``, ``host/path`` or ``user@host``, if any."""
    if any(c.isspace() for c in text):
        return None
    try:
        host = urlsplit(text if "://" in text else f"//{text}").hostname
    except ValueError:
        return None
    return host if host and host != text and _is_host(host) else None


class TrustSpec(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 on
    """A trust store: ``certifi``, ``system`` (kept as names), or a path (``./system``: a file)."""

    name = "STORE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> str | Path:
        if isinstance(value, Path) or str(value) not in NAMED_STORES:
            return Path(value)
        return str(value)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem

        names = [CompletionItem(n) for n in NAMED_STORES if n.startswith(incomplete)]
        return [*names, CompletionItem(incomplete, type="file")]


class OutputFile(click.Path):
    """A file to write, made absolute (every message and snippet names it so); not ``-``."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path:
        if str(value) == "-":
            self.fail(
                "'-' is not a file: this output holds the private key, and standard "
                "output is no place for it; name a file.", param, ctx,
            )
        return cast(Path, super().convert(value, param, ctx)).absolute()


class InputFile(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 on
    """A file to read, or ``-`` for standard input (returned as None)."""

    name = "FILE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | None:
        # "./-" is the file named "-": only the bare dash means standard input.
        return None if str(value) == "-" else Path(value)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem

        return [CompletionItem(incomplete, type="file")]
