"""
The cache of fetched issuers: one file per URL, in the user's cache folder.

``$XDG_CACHE_HOME/certchain`` (the XDG Base Directory specification), else
``~/.cache/certchain``.  An entry is named by the SHA-256 of its URL
(``aia-<hex>``) and holds one header line, with the SHA-256 of the body,
then the body as the URL served it.  Entries are written atomically (a
temporary file in the same folder, then a rename: :func:`certchain.write.write_file`),
so a reader never sees half of one; an entry whose header or checksum is
wrong (damaged, cut short, edited) is treated as absent, and fetched again.
Nothing here is ever an error: a cache that cannot be read is empty, one
that cannot be written says why.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from .errors import CertchainError
from .reading import read_file
from .write import write_file

_HEADER = b"certchain issuer cache 1 sha256="


def cache_folder(environ: Mapping[str, str] | None = None) -> Path | None:
    """
    Return the cache folder: ``$XDG_CACHE_HOME/certchain``, else ``~/.cache/certchain``.

    A relative ``XDG_CACHE_HOME`` is ignored, as the specification says.
    None when there is no home folder to put it in.
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    if base and os.path.isabs(base):
        return Path(base) / "certchain"
    try:
        home = Path.home()
    except (RuntimeError, KeyError):  # no HOME and no password entry
        return None
    return home / ".cache" / "certchain" if home.is_absolute() else None


class IssuerCache:
    """The entries of one cache folder, keyed by URL."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def entry(self, url: str) -> Path:
        """Return the file that holds what *url* served."""
        digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
        return self.folder / f"aia-{digest}"

    def read(self, url: str) -> bytes | None:
        """Return what *url* served when it was cached, or None (absent, unreadable, damaged)."""
        try:
            data = read_file(self.entry(url))
        except CertchainError:
            return None
        header, newline, body = data.partition(b"\n")
        if not newline or header != _HEADER + _digest(body):
            return None
        return body

    def write(self, url: str, data: bytes) -> str | None:
        """Keep *data* as what *url* served; return why it could not be kept (None: kept)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            return f"the cache folder {self.folder} cannot be made ({exc.strerror or exc})"
        try:
            write_file(self.entry(url), _HEADER + _digest(data) + b"\n" + data, overwrite=True)
        except CertchainError as exc:
            return str(exc).rstrip(".")
        return None


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).hexdigest().encode()
