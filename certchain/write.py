"""
Bytes for the chained file, and writing files safely.

``chain_pem`` makes the bytes; the rest puts bytes on disk in two steps.
:func:`plan_output` checks everything that can refuse an output (it exists
and may not be replaced, it is a dangling symlink, a directory or a device,
it is the private key or another file that must not be lost, its folder is
missing) without writing; :func:`write_outputs` then writes every planned
file atomically (temporary file in the same folder, fsync, rename), making
all the temporary files first, so that a folder that refuses leaves nothing
behind.  A private key never goes into a certificate output: ``chain_pem``
only takes certificates.

Interruptions: Ctrl-C (``KeyboardInterrupt``) and any exception raised by a
signal handler (the CLI turns SIGTERM and SIGHUP into ``SystemExit``) remove
the temporary files on the way out.  Only SIGKILL (or a power cut) can leave
one: a hidden ``.NAME.XXXXXXXX.tmp`` beside the output, mode 0600 until the
instant before its rename gives it the output's own mode.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from .errors import OutputExistsError, OutputRefused, WriteError
from .findings import Remedy
from .model import Chain, Material, PrivateKey

#: Files an output must never replace: path -> what it is, for the message
#: ("the private key file", "the password file").
Protected = Mapping[Path, str]
_NONE: Protected = {}


def chain_pem(chain: Chain) -> bytes:
    """Return *chain* as PEM: one block per certificate, LF line endings."""
    return b"".join(cert.public_bytes(Encoding.PEM) for cert in chain)


class Output(NamedTuple):
    """One file to write, checked by :func:`plan_output` but not yet written."""

    path: Path  # as named
    target: Path  # the file replaced: *path*, or the file its symlinks lead to
    data: bytes
    mode: int
    overwrite: bool
    owner: tuple[int, int] | None = None  # (uid, gid) to give it; None: the writer's
    links: int = 0  # hard links of the file it replaces (0: there is none)


def plan_output(
    path: Path, data: bytes, *, overwrite: bool = False, mode: int = 0o644,
    protected: Protected = _NONE, follow: bool = True, owner: tuple[int, int] | None = None,
) -> Output:
    """
    Check that *data* may be written at *path*, without writing anything.

    A symlink is followed to the file it points to (certbot's ``live/``
    links stay links), unless *follow* is False (the link itself is then
    replaced).  *protected*: files that must not be replaced whatever
    *overwrite* says (the private key, an input holding one), compared after
    resolving links and by inode, so a hard or symbolic link to them is
    refused too.

    Raises:
        OutputExistsError: the file exists and *overwrite* is False.
        OutputRefused: *path* is a dangling symlink, a directory or anything
            but a regular file, or one of *protected*.
        WriteError: the folder is missing or not writable.
    """
    target = _target(path) if follow else path
    for kept, what in protected.items():
        if same_file(path, kept) or same_file(target, kept):
            raise OutputRefused(path, (
                f"is {what} ({kept}): writing the output there would destroy it; "
                "name another output file."
            ))
    try:
        st: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise WriteError(f"{path}: cannot be examined ({exc.strerror or exc}).") from exc
    if st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise OutputRefused(path, f"is {kind}: name a file to write.")
    if st is not None and not overwrite:
        raise OutputExistsError(path)
    folder = target.parent
    if not folder.is_dir():
        raise WriteError(f"{path}: cannot write in {folder} (no such folder).")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WriteError(f"{path}: cannot write in {folder} (permission denied).")
    links = st.st_nlink if st is not None and stat.S_ISREG(st.st_mode) else 0
    return Output(path, target, data, mode, overwrite, owner, links)


def _target(path: Path) -> Path:
    """The file *path* leads to through its symlinks (itself when it is none)."""
    if not path.is_symlink():
        return path
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        raise OutputRefused(path, (
            f"is a symlink to {os.readlink(path)}, which does not exist: certchain does "
            "not create a file through a dangling link; remove the link, or point it at "
            "the file to replace."
        )) from None
    except (OSError, RuntimeError) as exc:  # a loop (RuntimeError before Python 3.13)
        raise OutputRefused(path, f"is a symlink that cannot be followed ({exc}).") from exc
    return target


def same_file(a: Path, b: Path) -> bool:
    """Whether *a* and *b* are one file: the same path once resolved, or the same inode."""
    with contextlib.suppress(OSError, RuntimeError):
        if a.resolve() == b.resolve():
            return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def secret_files(
    key: Path | None, password: Path | None, *materials: Material | None
) -> dict[Path, str]:
    """
    The files no output may replace, with what each is (see :func:`plan_output`).

    *key*: the private key file named; *password*: the password file;
    *materials*: what was read, whose files holding a private key (opened
    or left closed) are listed too.
    """
    protected: dict[Path, str] = {}
    if key is not None:
        protected[key] = "the private key file"
    for material in materials:
        if material is None:
            continue
        sources = [k.source for k in material.keys] + [k.source for k in material.locked]
        for source in sources:
            if source.path is not None:
                protected.setdefault(source.path, "a file holding a private key")
    if password is not None:
        protected.setdefault(password, "the password file")
    return protected


def write_outputs(outputs: Sequence[Output]) -> None:
    """
    Write every planned output, each atomically.

    Every temporary file is made (hidden, mode 0600, in its output's
    folder) and filled before the first rename, so a folder that refuses,
    a full disk or an owner that cannot be kept leaves nothing behind.  The
    renames follow in order; each output appears whole or not at all.

    Raises:
        OutputRefused: two outputs are the same file.
        OutputExistsError: a file appeared meanwhile where *overwrite* is False.
        WriteError: a file cannot be written.
    """
    for index, output in enumerate(outputs):
        for other in outputs[:index]:
            if same_file(output.target, other.target):
                raise OutputRefused(output.path, (
                    f"is also where {other.path} would be written: name two different files."
                ))
    temps: list[Path] = []
    try:
        for output in outputs:
            with _signals_deferred():  # a Ctrl-C here cannot leave an unlisted temp file
                temps.append(_temp_file(output))
        for output, temp in zip(outputs, temps):
            _fill(output, temp)
        for output, temp in zip(outputs, temps):
            _rename(output, temp)
    finally:
        with _signals_deferred():
            for temp in temps:
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()


def write_file(path: Path, data: bytes, *, overwrite: bool = False, mode: int = 0o644) -> None:
    """
    Write *data* to *path* atomically, with permissions *mode*.

    The data goes to a temporary file in the same folder, is flushed to disk,
    then takes the name *path* in one step, so a reader never sees half a
    file and a failure leaves nothing behind.  When *path* is a symlink to
    a file, that file is written (atomically, in its own folder) and the
    link stays a link, as certbot's ``live/`` links into ``archive/`` must;
    *overwrite* is about that file.  A dangling symlink is refused.

    Raises:
        OutputExistsError: *path* (or the file it links to) exists and
            *overwrite* is False.
        OutputRefused: *path* is a dangling symlink or not a regular file.
        WriteError: the folder is missing or not writable.
    """
    write_outputs([plan_output(path, data, overwrite=overwrite, mode=mode)])


def _temp_file(output: Output) -> Path:
    folder = output.target.parent
    try:
        fd, name = tempfile.mkstemp(prefix=f".{output.target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError(f"{output.path}: cannot write in {folder} ({exc.strerror}).") from exc
    os.close(fd)
    return Path(name)


def _fill(output: Output, temp: Path) -> None:
    try:
        with open(temp, "wb") as handle:
            handle.write(output.data)
            handle.flush()
            os.fsync(handle.fileno())
            if output.owner is not None:
                _keep_owner(output, handle.fileno())
    except OSError as exc:
        raise WriteError(f"{output.path}: cannot be written ({exc.strerror or exc}).") from exc


def _keep_owner(output: Output, fd: int) -> None:
    assert output.owner is not None
    uid, gid = output.owner
    now = os.fstat(fd)
    if (now.st_uid, now.st_gid) == (uid, gid):
        return
    try:
        os.fchown(fd, uid, gid)
    except PermissionError as exc:
        raise WriteError(
            f"{output.path}: belongs to user {uid}, group {gid}, which this user cannot give "
            "the new file: run certchain as that user (or root); nothing was written."
        ) from exc


def _rename(output: Output, temp: Path) -> None:
    try:
        # The output's mode at the last moment: until then, the temporary
        # file left by a SIGKILL is 0600.
        os.chmod(temp, output.mode)
        if output.overwrite:
            os.replace(temp, output.target)
        else:
            _link_exclusive(temp, output.target)
    except OutputExistsError:
        raise OutputExistsError(output.path) from None
    except OSError as exc:
        raise WriteError(f"{output.path}: cannot be written ({exc.strerror or exc}).") from exc
    _fsync_dir(output.target.parent)


def _link_exclusive(temp: Path, path: Path) -> None:
    """Give *temp* the name *path* only if *path* does not exist yet."""
    try:
        os.link(temp, path)  # fails if path appeared meanwhile: no clobbering
    except FileExistsError as exc:
        raise OutputExistsError(path) from exc
    except OSError:
        # Filesystems without hard links: checked above, replace now.
        if path.exists() or path.is_symlink():
            raise OutputExistsError(path) from None
        os.replace(temp, path)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_DEFERRED = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back for a few instructions (where POSIX allows)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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


def plan_update(
    path: Path, data: bytes, *, backup: Path | None = None, protected: Protected = _NONE,
    split_links: bool = False,
) -> tuple[Output, ...]:
    """
    Plan replacing *path* with *data*, keeping its owner, group and mode.

    When *backup* is given and *path* exists, its previous content goes to
    *backup* first, with the same owner, group and mode (an older backup is
    replaced; a symlink there is replaced, never followed).  A missing
    *path* is created, mode 0644.  Atomic replacement gives *path* a new
    file: a file with other hard links is refused unless *split_links*
    (the other names then keep the previous content).

    Raises:
        OutputRefused: *path* has other hard links (and not *split_links*),
            is a dangling symlink, or is one of *protected*.
        WriteError: *path* cannot be read, or its folder cannot be written.
    """
    target = _target(path)
    try:
        st = target.stat()
        previous: bytes | None = target.read_bytes() if stat.S_ISREG(st.st_mode) else None
    except FileNotFoundError:
        st, previous = None, None
    except OSError as exc:
        raise WriteError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    mode, owner = 0o644, None
    if st is not None:
        mode, owner = stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid)
        if st.st_nlink > 1 and not split_links:
            refused = OutputRefused(path, (
                f"has {st.st_nlink} hard links: replacing it atomically gives this name a "
                f"new file and leaves the other {st.st_nlink - 1} with the previous "
                "content; allow that, or edit the file by hand."
            ))
            refused.remedy = Remedy.ALLOW_OVERWRITE
            raise refused
    outputs = []
    if previous is not None and backup is not None:
        outputs.append(plan_output(
            backup, previous, overwrite=True, mode=mode, owner=owner, follow=False,
            protected=protected,
        ))
    outputs.append(plan_output(
        path, data, overwrite=True, mode=mode, owner=owner, protected=protected,
    ))
    return tuple(outputs)


def update_file(path: Path, data: bytes, *, backup: Path | None = None) -> None:
    """
    Replace *path* with *data* atomically, keeping its owner, group and mode.

    When *backup* is given and *path* exists, its previous content is first
    written to *backup* (atomically too, replacing an older backup), with the
    same owner, group and mode.  See :func:`plan_update`.
    """
    write_outputs(plan_update(path, data, backup=backup))


def linked(outputs: Iterable[Output]) -> list[Output]:
    """The outputs that replace a file with other hard links (whose other names keep it)."""
    return [o for o in outputs if o.links > 1]
