"""
From a verified chain and key to what a server is configured with.

Decides which files a snippet names (a key kept in PKCS#12 or encrypted is
not usable by a server as it is), what the combined file holds, and plans
and applies an edit of ``jupyterhub_config.py``: only :func:`plan_config_edit`
and :func:`apply_config_edit` touch a file, the one being edited.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from .errors import KeyRequired, LoadError, OutputExistsError
from .jhconfig import set_ssl
from .model import Chain, Format, LoadedKey
from .snippets import NO_KEY_NOTE, ServedFiles
from .write import combined_pem, update_file


def served_files(
    chain: Path, key: LoadedKey | None, *, combined: Path | None = None,
    no_key_note: str = NO_KEY_NOTE,
) -> ServedFiles:
    """
    Return the files to configure: *chain*, and *key*'s file when a server can read it.

    A server reads an unencrypted PEM key file (alone or beside
    certificates).  A key found inside PKCS#12 or DER data, or encrypted,
    yields no key file and a note with the command that makes one.
    """
    if key is None:
        return ServedFiles(chain, None, key_note=no_key_note, combined=combined)
    path = key.source.path.absolute() if key.source.path else None
    if path is None:
        return ServedFiles(chain, None, key_note="the key was not read from a file",
                           combined=combined)
    quoted = shlex.quote(str(path))
    if key.source.format is Format.PKCS12:
        return ServedFiles(chain, None, combined=combined, key_note=(
            f"the matching key is inside {path} (PKCS#12); servers need it as a PEM "
            f"file: openssl pkcs12 -in {quoted} -nocerts -noenc -out host.key"
        ))
    if key.source.format is not Format.PEM:
        return ServedFiles(chain, None, combined=combined, key_note=(
            f"the matching key in {path} is DER; servers need it as a PEM file: "
            f"openssl pkey -inform DER -in {quoted} -out host.key"
        ))
    if key.encrypted:
        return ServedFiles(chain, None, combined=combined, key_note=(
            f"the key in {path} is encrypted and the server cannot ask for its "
            f"password: openssl pkey -in {quoted} -out host.key"
        ))
    return ServedFiles(chain, path, combined=combined)


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


@dataclass(frozen=True, slots=True)
class ConfigEdit:
    """A planned change to a ``jupyterhub_config.py``: computed, not yet written."""

    path: Path  # as the user named it
    before: str | None  # None: the file does not exist yet
    after: str

    @property
    def backup(self) -> Path:
        """Where the previous file is kept."""
        return self.path.with_name(self.path.name + ".bak")


def plan_config_edit(config: Path, files: ServedFiles) -> ConfigEdit:
    """
    Compute the configuration with ``ssl_cert`` and ``ssl_key`` set to *files*.

    Everything that can refuse is checked here, before anything is written.

    Raises:
        LoadError: there is no usable key file, or *config* cannot be read.
        ConfigError: *config* is not valid Python, or cannot be edited safely.
    """
    if files.key is None:
        raise LoadError(config, f"not changed: {files.key_note}.")
    try:
        # Bytes, then decode: read_text would turn CRLF into LF.
        before: str | None = config.read_bytes().decode("utf-8")
    except FileNotFoundError:
        before = None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(config, f"cannot be read ({exc}); it was left unchanged.") from exc
    after = set_ssl(before or "", files.chain, files.key, config)
    return ConfigEdit(config, before, after)


def apply_config_edit(edit: ConfigEdit) -> str:
    """Write a planned configuration (previous file kept as ``.bak``); say what was done."""
    path = edit.path
    if edit.before == edit.after:
        return f"{path}: ssl_cert and ssl_key were already set; nothing changed."
    # Through a symlink, the file it points to is updated and the link kept
    # (write_file writes through links).
    update_file(
        path, edit.after.encode("utf-8"),
        backup=edit.backup if edit.before is not None else None,
    )
    if edit.before is not None:
        return f"{path}: ssl_cert and ssl_key set; the previous file is {edit.backup}."
    return f"{path}: created with ssl_cert and ssl_key."
