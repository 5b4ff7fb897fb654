"""
Conditions that stop certchain from producing an answer.

A problem *with a chain* is never an exception: it is a finding
(:mod:`certchain.findings`).  These exceptions mean "the input could not be
looked at" and map to exit code 2 in the CLI.
"""

from __future__ import annotations

from pathlib import Path

from .findings import Remedy


class CertchainError(Exception):
    """
    Base class for conditions that stop certchain from producing a result.

    The message says the fix in plain words; *remedy* names it for a front
    end that has an option for it (the CLI adds its flag).
    """

    remedy: Remedy | None = None


class LoadError(CertchainError):
    """An input could not be read or parsed as any supported format."""

    def __init__(
        self, path: Path | None, reason: str, *, block: int | None = None
    ) -> None:
        self.path = path
        self.reason = reason
        self.block = block
        where = str(path) if path is not None else "<data>"
        if block is not None:
            where = f"{where} (block {block + 1})"
        super().__init__(f"{where}: {reason}")


class PasswordRequired(LoadError):
    """A PKCS#12 file or an encrypted key needs a password."""

    remedy = Remedy.GIVE_PASSWORD

    def __init__(self, path: Path | None, *, block: int | None = None) -> None:
        super().__init__(
            path,
            "is encrypted and needs a password: give the password.",
            block=block,
        )


class BadPassword(LoadError):
    """The password given does not decrypt a PKCS#12 file or a key."""

    remedy = Remedy.GIVE_PASSWORD

    def __init__(self, path: Path | None, *, block: int | None = None) -> None:
        super().__init__(
            path,
            "the password does not decrypt it: check the password given.",
            block=block,
        )


class InputTooLarge(LoadError):
    """An input is larger than the most certchain reads from one file (a limit one can raise)."""

    remedy = Remedy.RAISE_INPUT_SIZE


class TooManyItems(LoadError):
    """A run holds more certificates and PEM blocks than certchain reads (never skipped)."""


class AmbiguousLeaf(LoadError):
    """The host certificate file holds several end-entity certificates."""


class TrustStoreError(CertchainError):
    """Trust anchors could not be read (never silently replaced by defaults)."""


class OutputExistsError(CertchainError):
    """The output file exists and overwriting was not allowed."""

    remedy = Remedy.ALLOW_OVERWRITE

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"{path}: already exists, and is replaced only when asked: allow it, "
            "or write elsewhere."
        )


class KeyRequired(CertchainError):
    """An output needs the private key (a combined file), and none was found."""


class WriteError(CertchainError):
    """The output could not be written."""


class OutputRefused(WriteError):
    """
    An output path is refused before anything is written: a dangling symlink,
    not a regular file, the private key or another file that must not be lost.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class ConfigError(CertchainError):
    """A configuration file cannot be parsed (it is left alone)."""


class SnippetError(CertchainError):
    """A path cannot be written safely in the requested configuration format."""


class ConnectError(CertchainError):
    """
    A live server could not be reached, or gave no chain to judge (``connect``).

    DNS, a refused or silent port, a refused STARTTLS, a failed handshake:
    *endpoint* is ``host:port`` as the user gave it, *reason* the rest of the
    one-line message.
    """

    def __init__(self, endpoint: str, reason: str, *, remedy: Remedy | None = None) -> None:
        self.endpoint = endpoint
        self.reason = reason
        if remedy is not None:
            self.remedy = remedy
        super().__init__(f"{endpoint}: {reason}")
