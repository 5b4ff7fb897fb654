"""
From a verified chain and key to what a server is configured with.

Decides which files a snippet names and whether a server can load them as
they are (a chain in PKCS#7, PKCS#12 or DER, a key kept in PKCS#12, DER or
encrypted, or certificates and key in one file where the server takes two,
are refused, each with the command that converts the file), what the
combined file holds, and plans and applies an edit of
``jupyterhub_config.py``.  Files are read only to say which ``openssl``
options a PKCS#12 file needs; :func:`plan_config_edit` and
:func:`apply_config_edit` touch the one being edited.
"""

from __future__ import annotations

import contextlib
import shlex
from pathlib import Path
from typing import NamedTuple

from .errors import KeyRequired, LoadError, OutputExistsError
from .findings import Code, Finding, Severity
from .model import Chain, Format, LoadedKey, LockedKey, Material
from .pfx import needs_legacy
from .policy import Policy
from .reading import read_config, read_file
from .snippets import NO_KEY_NOTE, ServedFiles
from .write import Output, Protected, combined_pem, plan_output, plan_update, write_outputs

#: Why an encrypted key file does not serve (a front end may say more).
SERVER_CANNOT_ASK = "a server cannot ask for its password"
#: Where the key conversion commands write (relative: the current folder).
KEY_OUTPUT = "host.key"
# Formats whose lines name one file that certchain writes itself from the
# chain and key in memory (HAProxy's crt, --combined): nothing to refuse.
_ONE_FILE_FORMATS = frozenset({"haproxy"})


def served_files(
    chain: Path, key: LoadedKey | None, *, combined: Path | None = None,
    no_key_note: str = NO_KEY_NOTE, locked: LockedKey | None = None,
) -> ServedFiles:
    """
    Return the files to configure: *chain*, and *key*'s file when a server can read it.

    A server reads an unencrypted PEM key file (alone or beside
    certificates).  A key found inside PKCS#12 or DER data, or encrypted,
    yields no key file and a note with the command that makes one; so does
    a key file found but left *locked* (no password, or a wrong one).
    """
    if key is None and locked is not None and locked.source.path is not None:
        closed = locked.source.path.absolute()
        return ServedFiles(chain, None, combined=combined, key_note=(
            f"the key {closed} is encrypted and was not opened: give its password, "
            f"or use an unencrypted copy: {key_command(closed, Format.PEM)}"
        ))
    if key is None:
        return ServedFiles(chain, None, key_note=no_key_note, combined=combined)
    path = key.source.path.absolute() if key.source.path else None
    if path is None:
        return ServedFiles(chain, None, key_note="the key was not read from a file",
                           combined=combined)
    if key.source.format is Format.PKCS12:
        return ServedFiles(chain, None, combined=combined, key_note=(
            f"the matching key is inside {path} (PKCS#12); servers need it as a PEM "
            f"file: {key_command(path, Format.PKCS12)}"
        ))
    if key.source.format is not Format.PEM:
        return ServedFiles(chain, None, combined=combined, key_note=(
            f"the matching key in {path} is DER; servers need it as a PEM file: "
            f"{key_command(path, Format.DER)}"
        ))
    if key.encrypted:
        return ServedFiles(chain, None, combined=combined, key_note=(
            f"the key in {path} is encrypted and the server cannot ask for its "
            f"password: {key_command(path, Format.PEM)}"
        ))
    return ServedFiles(chain, path, combined=combined)


def key_command(path: Path, kind: Format) -> str:
    """
    Return the ``openssl`` command that writes the key in *path* as unencrypted PEM.

    The output is :data:`KEY_OUTPUT` in the current folder (openssl makes
    it mode 0600).  For PKCS#12 encrypted with RC2, RC4 or DES, which
    OpenSSL 3 decrypts only with its legacy provider, the command has
    ``-legacy`` (:mod:`certchain.pfx`).
    """
    quoted = shlex.quote(str(path.absolute()))
    if kind is Format.PKCS12:
        legacy = " -legacy" if _pkcs12_needs_legacy(path) else ""
        return f"openssl pkcs12{legacy} -in {quoted} -nocerts -noenc -out {KEY_OUTPUT}"
    if kind is Format.PEM:
        return f"openssl pkey -in {quoted} -out {KEY_OUTPUT}"
    return f"openssl pkey -inform DER -in {quoted} -out {KEY_OUTPUT}"


def chain_command(path: Path, policy: Policy | None = None) -> str:
    """
    Return the ``certchain build`` command that rewrites *path* as a PEM chain.

    certchain reads PKCS#7, PKCS#12 and DER itself, so it converts them,
    ordered and verified, into ``STEM-chained.crt`` beside *path* (certificates
    only: a key in *path* stays out), judged as *policy* judged it: the same
    trust anchors, and legacy algorithms allowed when they were.
    """
    output = path.absolute().with_name(f"{path.stem}-chained.crt")
    words = ["certchain", "build", str(path.absolute())]
    for name in policy.store.named if policy is not None else ():
        words += ["--trust", name]
    for anchor in policy.store.paths if policy is not None else ():
        words += ["--trust", str(anchor.absolute())]
    if policy is not None and policy.allow_weak:
        words.append("--allow-weak")
    return shlex.join([*words, "-o", str(output)])


def chain_file_problem(
    path: Path, material: Material | None, *, setting: str | None = None,
    policy: Policy | None = None, key_inside: bool = False,
) -> Finding | None:
    """
    Return why a server cannot load *path* as its certificate file, or None.

    A server reads PEM certificates: PKCS#7, PKCS#12 and DER are refused,
    and so are certificates with the private key among them (a server that
    takes two files wants the key apart, the certificates readable and the
    key private), unless *key_inside*: the server reads the key from that
    file too (nginx, Apache httpd, HAProxy).  *material*: what *path* holds;
    None when it is PKCS#12 that could not be opened without its password.
    *setting*: the configuration setting that names *path*, for the message.
    """
    formats = {c.source.format for c in material.certs} if material else {Format.PKCS12}
    path = path.absolute()
    command = chain_command(path, policy)
    subject = f"{setting} names {path}, which" if setting else str(path)
    for kind in (Format.PKCS12, Format.PKCS7, Format.DER):
        if kind in formats:
            return Finding(
                Code.UNREADABLE_BY_SERVER, Severity.ERROR,
                f"{subject} is in {kind.value}, but a server loads its certificate file "
                f"only as PEM: convert it with {command}, and name that file instead.",
            )
    if material is not None and material.keys and not key_inside:
        return Finding(
            Code.UNREADABLE_BY_SERVER, Severity.ERROR,
            f"{subject} holds the private key with the certificates, where the server "
            "takes them in two files (certificates readable, key private): write the "
            f"certificates alone with {command}, and the key alone with "
            f"{key_command(path, Format.PEM)}, and name those files instead.",
        )
    return None


def key_file_problem(
    path: Path, kind: Format, *, encrypted: bool = False, setting: str | None = None,
    consequence: str = SERVER_CANNOT_ASK,
) -> Finding | None:
    """
    Return why a server cannot load *path* as its key file, or None.

    *kind* and *encrypted*: how the key is kept there.  A server reads an
    unencrypted PEM key: a key kept in PKCS#12 or DER is
    ``unreadable-by-server``, an encrypted one ``key-encrypted``
    (*consequence*: what that does to the server).
    """
    if kind in (Format.PKCS12, Format.DER):
        path = path.absolute()
        subject = f"{setting} names {path}, which" if setting else f"The key file {path}"
        return Finding(
            Code.UNREADABLE_BY_SERVER, Severity.ERROR,
            f"{subject} holds the key in {kind.value}, but a server loads its key file "
            f"only as PEM: write it as PEM with {key_command(path, kind)}, and name that "
            "file instead.",
        )
    if encrypted:
        return encrypted_key(path, consequence=consequence)
    return None


def encrypted_key(
    path: Path, locked: LockedKey | None = None, *, consequence: str = SERVER_CANNOT_ASK
) -> Finding:
    """
    Return the ``key-encrypted`` error for the key file *path*.

    *locked*: the key was found beside the chain and could not be opened,
    so whether it matches is not known either.
    """
    why = ""
    if locked is not None:
        why = (
            " (the password given does not open it" if locked.wrong_password
            else " (no password was given"
        ) + ", so whether it matches is not known)"
    return Finding(
        Code.KEY_ENCRYPTED, Severity.ERROR,
        f"The private key {path} is encrypted{why}, and {consequence}: write an "
        f"unencrypted copy with {key_command(path, Format.PEM)} "
        "(mode 600) and use that.",
    )


def unreadable_files(
    chain: Path, material: Material, key: LoadedKey | None, *, format_name: str = "jupyterhub",
    locked: LockedKey | None = None, policy: Policy | None = None,
) -> tuple[Finding, ...]:
    """
    Return why a server cannot load the files *format_name*'s lines would name.

    *chain* holds *material*; *key* is the key those lines name (the one
    that matches the leaf), *locked* a key file found beside *chain* that
    could not be opened.  HAProxy's lines name the combined file, which
    certchain writes itself: nothing to refuse there.
    """
    if format_name in _ONE_FILE_FORMATS:
        return ()
    found = [chain_file_problem(chain, material, policy=policy)]
    if key is not None and key.source.path is not None:
        found.append(key_file_problem(
            key.source.path, key.source.format, encrypted=key.encrypted
        ))
    elif locked is not None and locked.source.path is not None:
        found.append(encrypted_key(locked.source.path, locked))
    return tuple(f for f in found if f is not None)


def _pkcs12_needs_legacy(path: Path) -> bool:
    with contextlib.suppress(LoadError):
        return needs_legacy(read_file(path))
    return False


def combined_output(
    path: Path, chain: Chain, key: LoadedKey | None, *, overwrite: bool = False
) -> tuple[Path, bytes]:
    """
    Return where and what the combined file (chain, then key) is, without writing it.

    Raises:
        KeyRequired: there is no private key to put in it.
        OutputExistsError: *path* exists and *overwrite* is False.
    """
    if key is None:
        raise KeyRequired("the combined file needs the private key, and none was found.")
    path = path.absolute()
    if not overwrite and path.exists():
        raise OutputExistsError(path)
    return path, combined_pem(chain, key.key)


class ConfigEdit(NamedTuple):
    """A planned change to a ``jupyterhub_config.py``: computed and checked, not yet written."""

    path: Path  # as the user named it
    before: str | None  # None: the file does not exist yet
    after: str
    outputs: tuple[Output, ...] = ()  # the backup, then the file; none when nothing changes

    @property
    def backup(self) -> Path:
        """Where the previous file is kept."""
        return self.path.with_name(self.path.name + ".bak")

    @property
    def summary(self) -> str:
        """What writing it does, in one sentence (for after it is done)."""
        path = self.path
        if self.before == self.after:
            return f"{path}: ssl_cert and ssl_key were already set; nothing changed."
        if self.before is None:
            return f"{path}: created with ssl_cert and ssl_key."
        done = f"{path}: ssl_cert and ssl_key set; the previous file is {self.backup}"
        split = next((o.links for o in self.outputs if o.path == path and o.links > 1), 0)
        if split:
            others = "the other name keeps" if split == 2 else f"the other {split - 1} keep"
            done += (
                f"; it had {split} hard links, and only this name has the new content "
                f"({others} the previous one)"
            )
        return done + "."


def plan_config_edit(
    config: Path, files: ServedFiles, *, protected: Protected | None = None,
    split_links: bool = False,
) -> ConfigEdit:
    """
    Compute the configuration with ``ssl_cert`` and ``ssl_key`` set to *files*.

    Everything that can refuse is checked here, before anything is written:
    the new text, and the files it goes to (:func:`certchain.write.plan_update`:
    the file keeps its owner, group and mode, and so does its ``.bak``; a
    dangling symlink, one of *protected*, and a file with other hard links
    unless *split_links* are refused).

    Raises:
        LoadError: there is no usable key file, or *config* cannot be read.
        ConfigError: *config* is not valid Python, or cannot be edited safely.
        OutputRefused, WriteError: the file or its backup cannot be written.
    """
    if files.key is None:
        raise LoadError(config, f"not changed: {files.key_note}.")
    # Refused before it is read: the key, a dangling link, a FIFO (which
    # would never answer), a missing folder.
    plan_output(config, b"", overwrite=True, protected=protected or {})
    data = read_config(config)  # bounded; a FIFO or a device is refused
    try:
        # Bytes, then decode: read_text would turn CRLF into LF.
        before = data.decode("utf-8") if data is not None else None
    except UnicodeDecodeError as exc:
        raise LoadError(config, f"cannot be read ({exc}); it was left unchanged.") from exc
    from .jhconfig import set_ssl  # Python's ast: imported only to edit a config

    after = set_ssl(before or "", files.chain, files.key, config)
    outputs: tuple[Output, ...] = ()
    if after != before:
        backup = config.with_name(config.name + ".bak")
        outputs = plan_update(
            config, after.encode("utf-8"), backup=backup if before is not None else None,
            protected=protected or {}, split_links=split_links,
        )
    return ConfigEdit(config, before, after, outputs)


def apply_config_edit(edit: ConfigEdit) -> str:
    """Write a planned configuration (previous file kept as ``.bak``); say what was done."""
    # Through a symlink, the file it points to is updated and the link kept.
    write_outputs(edit.outputs)
    return edit.summary
