"""
From a verified chain and key to what a server is configured with.

Decides which files a snippet names (a key kept in PKCS#12 or encrypted is
not usable by a server as it is) and renders the snippet.  Pure.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from .model import Format, LoadedKey
from .snippets import NO_KEY_NOTE, ServedFiles


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
