"""
Bytes for the chained file, and writing files safely.

``chain_pem`` makes the bytes; ``write_file`` puts bytes on disk atomically
(temporary file in the same folder, fsync, rename) and never replaces an
existing file unless asked.  A private key never goes into a certificate
output: ``chain_pem`` only takes certificates.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from .errors import OutputExistsError, WriteError
from .model import Chain, PrivateKey


def chain_pem(chain: Chain) -> bytes:
    """Return *chain* as PEM: one block per certificate, LF line endings."""
    return b"".join(cert.public_bytes(Encoding.PEM) for cert in chain)


def write_file(path: Path, data: bytes, *, overwrite: bool = False, mode: int = 0o644) -> None:
    """
    Write *data* to *path* atomically, with permissions *mode*.

    The data goes to a temporary file in the same folder, is flushed to disk,
    then takes the name *path* in one step, so a reader never sees half a
    file and a failure leaves nothing behind.  When *path* is a symlink to
    a file, that file is written (atomically, in its own folder) and the
    link stays a link, as certbot's ``live/`` links into ``archive/`` must;
    *overwrite* is about that file.

    Raises:
        OutputExistsError: *path* (or the file it links to) exists and
            *overwrite* is False.
        WriteError: the folder is missing or not writable.
    """
    if not overwrite and (path.exists() or path.is_symlink()):
        raise OutputExistsError(path)
    # A dangling link is not followed: it is replaced, as a missing file is
    # created (exists() is False for it).
    target = path.resolve() if path.is_symlink() and path.exists() else path
    try:
        _write_atomic(target, data, overwrite=overwrite, mode=mode)
    except OutputExistsError:
        raise OutputExistsError(path) from None


def _write_atomic(path: Path, data: bytes, *, overwrite: bool, mode: int) -> None:
    folder = path.parent
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError(f"{path}: cannot write in {folder} ({exc.strerror}).") from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        if overwrite:
            os.replace(temp, path)
        else:
            _link_exclusive(temp, path)
        _fsync_dir(folder)
    except OutputExistsError:
        raise
    except OSError as exc:
        raise WriteError(f"{path}: cannot be written ({exc.strerror or exc}).") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _link_exclusive(temp: Path, path: Path) -> None:
    """Give *temp* the name *path* only if *path* does not exist yet."""
    try:
        os.link(temp, path)  # fails if path appeared meanwhile: no clobbering
    except FileExistsError as exc:
        raise OutputExistsError(path) from exc
    except OSError:
        # Filesystems without hard links: checked above, replace now.
        if path.exists():
            raise OutputExistsError(path) from None
        os.replace(temp, path)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_chain(path: Path, chain: Chain, *, overwrite: bool = False) -> None:
    """Write *chain* as a PEM chained file at *path* (atomic, mode 0644)."""
    write_file(path, chain_pem(chain), overwrite=overwrite, mode=0o644)


def combined_pem(chain: Chain, key: PrivateKey) -> bytes:
    """
    Return *chain* then *key* (unencrypted PKCS#8) as one PEM file.

    For servers that want both in one file (HAProxy's ``crt``).  The only
    output that carries a key: write it with mode 0600.
    """
    key_bytes = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return chain_pem(chain) + key_bytes


def update_file(path: Path, data: bytes, *, backup: Path | None = None) -> None:
    """
    Replace *path* with *data* atomically, keeping its permissions.

    When *backup* is given and *path* exists, its previous content is first
    written to *backup* (atomically too, replacing an older backup).
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        previous: bytes | None = path.read_bytes()
    except FileNotFoundError:
        mode, previous = 0o644, None
    except OSError as exc:
        raise WriteError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    if previous is not None and backup is not None:
        write_file(backup, previous, overwrite=True, mode=mode)
    write_file(path, data, overwrite=True, mode=mode)
