"""
The one way certchain reads what it is given: bounded, and regular files only.

Every input, key file, password file, trust anchor and configuration goes
through :func:`read_file` (standard input through :func:`read_stream`):

- only a regular file is opened.  A FIFO would block the run forever, a
  device such as ``/dev/zero`` never ends, a socket cannot be read: each is
  refused from its ``stat`` alone, before it is opened;
- at most :data:`MAX_INPUT_SIZE` bytes are read from one file (a file whose
  size says more is refused unread: a 16 GiB sparse file costs nothing);
- at most :data:`MAX_ITEMS` certificates and PEM blocks are parsed in one
  run (:func:`count_items`, called by the loader), so that memory follows
  what is kept, within a known bound.

A run is a :func:`limits` block (the CLI opens one per command, with
``--max-input-size``).  Outside one, each top-level library call
(``load_bytes``, ``load_file``, ``store_from_paths``) is a run of its own
with the defaults.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import ConfigError, InputTooLarge, LoadError, TooManyItems

#: The most bytes read from one file: a certificate is a few KiB, a whole CA
#: bundle under 1 MiB, a PKCS#12 file with a long chain tens of KiB.
MAX_INPUT_SIZE = 50 * 1024 * 1024
#: The most certificates and PEM blocks parsed in one run: Mozilla's root
#: store holds about 150, /etc/ssl/certs with its hash links about 500; a
#: leaf checked against 100,000 candidate CAs (benchmarks/run.py) fits, in
#: about 1 s and 300 MiB.
MAX_ITEMS = 250_000
#: The most bytes read from a ``jupyterhub_config.py``: Python source costs
#: far more to parse than PEM (about 2 s and 250 MiB per MiB), and the file
#: ``jupyterhub --generate-config`` writes, every option documented, is about
#: 80 KiB.  ``--max-input-size`` lowers it, never raises it.
MAX_CONFIG_SIZE = 1024 * 1024


@dataclass
class _Run:
    max_bytes: int
    max_items: int
    items: int = 0


_current: ContextVar[_Run | None] = ContextVar("certchain_reading_run", default=None)


@contextmanager
def limits(*, max_bytes: int = MAX_INPUT_SIZE, max_items: int = MAX_ITEMS) -> Iterator[None]:
    """
    Make the block one run: files of at most *max_bytes*, *max_items* items in all.

    Nested calls of the library inside the block share its count.
    """
    if max_bytes < 1 or max_items < 1:
        raise ValueError("the reading limits must be positive")
    token = _current.set(_Run(max_bytes, max_items))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def run() -> Iterator[None]:
    """Continue the current run, or make this call one with the default limits."""
    if _current.get() is not None:
        yield
        return
    with limits():
        yield


def max_bytes() -> int:
    """The most bytes the current run reads from one file."""
    current = _current.get()
    return current.max_bytes if current is not None else MAX_INPUT_SIZE


def count_items(source: Path | None, count: int = 1, *, block: int | None = None) -> None:
    """
    Count *count* more certificates or PEM blocks against the run's limit.

    Raises:
        TooManyItems: the run's :data:`MAX_ITEMS` is passed (naming *source*).
    """
    current = _current.get()
    if current is None:  # a direct call outside any run: nothing to count against
        return
    current.items += count
    if current.items > current.max_items:
        raise TooManyItems(
            source,
            f"brings the run past {current.max_items:,} certificates and PEM blocks, the "
            "most certchain reads in one run: give the files that matter, not a dump.",
            block=block,
        )


def read_file(path: Path) -> bytes:
    """
    Return the content of the regular file *path*, at most the run's bytes.

    Raises:
        LoadError: *path* is missing, not a regular file (a directory, a
            FIFO, a device, a socket: refused before it is opened), larger
            than the run's limit (:class:`InputTooLarge`), or cannot be read.
    """
    data = _read(path, max_bytes(), _too_large)
    if data is None:
        raise LoadError(path, "does not exist.")
    return data


def read_config(path: Path) -> bytes | None:
    """
    Return the content of the configuration *path*, or None when it does not exist.

    As :func:`read_file`, with :data:`MAX_CONFIG_SIZE` as the cap (or the
    run's, when lower): parsing Python costs far more than reading PEM.
    """
    if max_bytes() < MAX_CONFIG_SIZE:
        return _read(path, max_bytes(), _too_large)
    return _read(path, MAX_CONFIG_SIZE, _config_too_large)


def read_config_part(path: Path, named_by: str | None, *, refusal: str, main: str) -> bytes:
    """
    Return a server configuration file: the main one, or one another names (an include).

    *named_by*: what names *path* (``FILE:LINE: include``), None for the main
    file; *refusal*: what the server does with a missing or unreadable part
    (``nginx refuses the configuration``); *main*: the file to pass instead
    of a missing main one (``nginx.conf``).

    Raises:
        LoadError: the main file is missing or cannot be read.
        ConfigError: a part another file names is missing or cannot be read
            (the message names the file and line that name it).
    """
    try:
        data = read_config(path)  # a FIFO, a device, a huge file: refused unread
    except LoadError as exc:
        if named_by is None:
            raise
        raise ConfigError(
            f"{named_by} names {path}, which {exc.reason.rstrip('.')}: {refusal}."
        ) from exc
    if data is None:
        if named_by is None:
            raise LoadError(path, f"does not exist: pass the path of {main}.")
        raise ConfigError(f"{named_by} names {path}, which does not exist: {refusal}.")
    return data


def _too_large(path: Path, cap: int) -> LoadError:
    return InputTooLarge(
        path, f"is larger than {size_text(cap)}, the most certchain reads from one file: "
        "that is not a certificate file; give the right file, or raise the limit.",
    )


def _config_too_large(path: Path, cap: int) -> LoadError:
    return LoadError(
        path, f"is larger than {size_text(cap)}, the most certchain reads from a "
        "configuration (parsing Python costs far more than reading certificates): "
        "is this the right file?",
    )


def _read(
    path: Path, cap: int, too_large: Callable[[Path, int], LoadError]
) -> bytes | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LoadError(path, f"cannot be read: {exc.strerror or exc}.") from exc
    _check_regular(path, info.st_mode)
    if info.st_size > cap:
        raise too_large(path, cap)
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO since the stat, the
        # open does not wait for a writer; fstat below then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LoadError(path, f"cannot be read: {exc.strerror or exc}.") from exc
    with open(fd, "rb", buffering=0) as handle:
        info = os.fstat(fd)
        _check_regular(path, info.st_mode)
        try:
            # One allocation of the size the file has (procfs files say 0),
            # then whatever it grew by, never past a byte over the cap.
            data = handle.read(min(info.st_size, cap) + 1) or b""
            if info.st_size < len(data) <= cap:
                data += handle.read(cap + 1 - len(data)) or b""
        except OSError as exc:
            raise LoadError(path, f"cannot be read: {exc.strerror or exc}.") from exc
    if len(data) > cap:
        raise too_large(path, cap)
    return data


def read_stream(stream: BinaryIO, source: Path, *, limit: int | None = None) -> bytes:
    """
    Return what *stream* (standard input) holds, never reading more than a byte past the cap.

    Raises:
        LoadError: more than the cap (:class:`InputTooLarge`), or a read error.
    """
    cap = max_bytes() if limit is None else limit
    try:
        data = stream.read(cap + 1)
    except OSError as exc:
        raise LoadError(source, f"cannot be read: {exc.strerror or exc}.") from exc
    if len(data) > cap:
        raise InputTooLarge(
            source, f"holds more than {size_text(cap)}, the most certchain reads from one "
            "input: that is not a certificate file; give the file itself, or raise the limit.",
        )
    return data


def size_text(size: int) -> str:
    """*size* in bytes as people write it: ``50 MiB``, ``1 GiB``, ``1,000 bytes``."""
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit:,} {name}"
    return f"{size:,} bytes"


_KINDS = (
    (stat.S_ISDIR, "is a directory, not a file."),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file: reading it could wait "
                    "forever; certchain reads regular files only."),
    (stat.S_ISCHR, "is a device, not a regular file: certchain reads regular files only."),
    (stat.S_ISBLK, "is a block device, not a regular file: certchain reads regular files "
                   "only."),
    (stat.S_ISSOCK, "is a socket, not a regular file: certchain reads regular files only."),
)


def _check_regular(path: Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    for test, reason in _KINDS:
        if test(mode):
            raise LoadError(path, reason)
    raise LoadError(path, "is not a regular file: certchain reads regular files only.")


