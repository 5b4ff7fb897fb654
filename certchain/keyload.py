"""
Private keys and PKCS#12 files: what a password opens, and at what cost.

A key is read from PEM or DER (PKCS#1, SEC 1, PKCS#8, encrypted or not);
an encrypted one asks for the password, and a wrong password (the empty one
included: cryptography takes it for none) is told apart from a damaged key.
Before any password is tried, the key derivation the file asks for is read
from its structure (:mod:`certchain.pfx`) and refused when it costs too
much; a PKCS#12 file whose derivations hide inside its encrypted contents is
opened in a child process stopped after :data:`PKCS12_SECONDS`.
:mod:`certchain.load` turns what is opened into loaded material.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
import warnings
from pathlib import Path
from typing import cast

from cryptography.hazmat.primitives.serialization import (
    NoEncryption,
    load_der_private_key,
    load_pem_private_key,
    pkcs12,
)

from .errors import BadPassword, LoadError, PasswordRequired
from .findings import article
from .model import Format, LoadedKey, PrivateKey, Source
from .pfx import Derivation, cost_objection, pkcs8_derivation

# PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo (pkcs7-data) }
# (RFC 7292 section 4).  Used only to tell "PKCS#12 with a password we do not
# have" apart from "not PKCS#12 at all", since load_pkcs12 raises ValueError
# for both.
_PKCS12_VERSION = b"\x02\x01\x03\x30"
_PKCS7_DATA_OID = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"


def pem_key(
    text: bytes, der: bytes, label: bytes, source: Path | None, block: int,
    password: bytes | None,
) -> PrivateKey:
    """
    Read the PEM key block *text* (*der*: its body decoded), opened with *password*.

    Raises:
        PasswordRequired: it is encrypted and *password* is None.
        BadPassword: *password* (the empty one included) does not open it.
        LoadError: it is damaged, of a kind TLS cannot use, or its derivation costs too much.
    """
    if password is not None and label == b"ENCRYPTED PRIVATE KEY":
        _check_derivation(der, source, block)
    try:
        key = load_pem_private_key(text.replace(b"\r\n", b"\n"), password)
    except TypeError as exc:
        # cryptography: TypeError when the key is encrypted and no password
        # was given, or a password was given for an unencrypted key.
        if password is None:
            raise PasswordRequired(source, block=block) from exc
        if _looks_encrypted(text):  # an empty password: cryptography takes it for none
            raise BadPassword(source, block=block) from exc
        key = _retry_key(text, source, block)
    except ValueError as exc:
        if password is not None and _looks_encrypted(text):
            raise BadPassword(source, block=block) from exc
        raise LoadError(
            source,
            "the private key block is corrupt or of an unsupported type.",
            block=block,
        ) from exc
    except Exception as exc:  # UnsupportedAlgorithm and friends
        raise LoadError(
            source, f"the private key cannot be read: {exc}.", block=block
        ) from exc
    return check_key_type(key, source, block)


def der_key(data: bytes, source: Path | None, password: bytes | None) -> LoadedKey | None:
    """
    Read *data* as a DER private key opened with *password*; None when it is no key.

    Raises:
        PasswordRequired: it is an encrypted key and *password* is None.
        BadPassword: *password* (the empty one included) does not open it.
        LoadError: a key of a kind TLS cannot use, or whose derivation costs too much.
    """
    encrypted = password is not None
    if password is not None:
        _check_derivation(data, source, None)
    try:
        key = load_der_private_key(data, password)
    except TypeError as exc:
        if password is None:
            raise PasswordRequired(source) from exc
        encrypted = False
        try:
            key = load_der_private_key(data, None)
        except TypeError as again:  # encrypted: the empty password is none to cryptography
            raise BadPassword(source) from again
        except ValueError:
            return None
    except ValueError:
        if password is not None:
            try:
                load_der_private_key(data, None)
            except TypeError as exc:
                raise BadPassword(source) from exc
            except ValueError:
                return None
        return None
    except Exception:
        return None
    return LoadedKey(
        check_key_type(key, source, None), Source(source, 0, Format.DER), encrypted
    )


def _check_derivation(der: bytes, source: Path | None, block: int | None) -> None:
    """
    Refuse an encrypted PKCS#8 key whose key derivation costs too much, before trying it.

    Only called with a password: without one, cryptography asks for it
    without deriving anything.
    """
    try:
        derivation = pkcs8_derivation(der)
    except ValueError as exc:
        raise LoadError(
            source, f"the encrypted key's parameters cannot be read ({exc}): it is damaged.",
            block=block,
        ) from exc
    if derivation is not None:
        refuse_costly([derivation], source, block)


def refuse_costly(derivations: list[Derivation], source: Path | None, block: int | None) -> None:
    """Raise LoadError when opening what *derivations* describe costs more than allowed."""
    objection = cost_objection(derivations)
    if objection is not None:
        raise LoadError(
            source,
            f"{objection}: it was refused before any password was tried (files made by "
            "OpenSSL, Windows or Java ask for far less); if you trust it, re-export it "
            "with fewer iterations.",
            block=block,
        )


def _retry_key(text: bytes, source: Path | None, block: int) -> PrivateKey:
    """Load an unencrypted key when a password was supplied for other inputs."""
    try:
        return cast(PrivateKey, load_pem_private_key(text.replace(b"\r\n", b"\n"), None))
    except (TypeError, ValueError) as exc:
        raise LoadError(source, "the private key block is corrupt.", block=block) from exc


def _looks_encrypted(text: bytes) -> bool:
    return b"ENCRYPTED" in text


def check_key_type(key: object, source: Path | None, block: int | None) -> PrivateKey:
    """Return *key*, a private key of a kind TLS servers use; else raise LoadError."""
    from .keys import is_supported_private_key

    if not is_supported_private_key(key):
        raise LoadError(
            source,
            f"holds {article(type(key).__name__)} {type(key).__name__}, which cannot "
            "serve TLS.",
            block=block,
        )
    return cast(PrivateKey, key)


def is_pkcs12(data: bytes) -> bool:
    """Whether *data* looks like PKCS#12 (what a password is needed to confirm)."""
    return _PKCS12_VERSION in data[:16] and _PKCS7_DATA_OID in data[:48]


#: How long opening a PKCS#12 file whose contents are encrypted as a whole
#: may take.  A key inside them has a derivation that only decrypting them
#: shows, so its cost cannot be checked first (pfx.hides_contents): the file
#: is opened in a child process, stopped past this.  At the iteration ceiling
#: a derivation takes about 2 s here.
PKCS12_SECONDS = 10.0


def open_pkcs12(
    data: bytes, password: bytes | None, source: Path | None, *, bounded: bool
) -> pkcs12.PKCS12KeyAndCertificates:
    """pkcs12.load_pkcs12, in a child process stopped after PKCS12_SECONDS when *bounded*."""
    if not bounded or not hasattr(os, "fork"):  # no fork (Windows): in process
        return _pkcs12_quietly(data, password)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: open it, hand back an unencrypted copy, exit
        os.close(read_end)
        status, blob = b"E", b""
        try:
            p12 = _pkcs12_quietly(data, password)
            key = check_key_type(p12.key, source, None) if p12.key is not None else None
            status, blob = b"K", pkcs12.serialize_key_and_certificates(
                None, key, p12.cert.certificate if p12.cert else None,
                [c.certificate for c in p12.additional_certs], NoEncryption(),
            )
        except LoadError as exc:  # a key of a type that cannot serve TLS
            status, blob = b"L", exc.reason.encode()
        except ValueError:
            status = b"V"
        except TypeError:
            status = b"T"
        except BaseException:  # anything else: the parent says the file is damaged
            status = b"E"
        with contextlib.suppress(OSError):
            out = memoryview(status + blob)
            while out:  # a pipe takes 64 KiB at a time
                out = out[os.write(write_end, out):]
            os.close(write_end)
        os._exit(0)
    os.close(write_end)
    try:
        reply = _read_until(read_end, time.monotonic() + PKCS12_SECONDS)
    finally:
        os.close(read_end)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if reply is None:
        raise LoadError(
            source, f"is a PKCS#12 file that took longer than {PKCS12_SECONDS:g} s to "
            "open: a key derivation hidden inside its encrypted contents asks for more "
            "work than certchain allows; re-export it with fewer iterations.",
        )
    if reply[:1] == b"K":
        return _pkcs12_quietly(reply[1:], None)
    if reply[:1] == b"L":
        raise LoadError(source, reply[1:].decode())
    if reply[:1] == b"T":
        raise TypeError("the password is not UTF-8")
    if reply[:1] == b"V":
        raise ValueError("the password does not open it")
    raise LoadError(source, "is a PKCS#12 file that cannot be opened: it is damaged.")


def _pkcs12_quietly(data: bytes, password: bytes | None) -> pkcs12.PKCS12KeyAndCertificates:
    with warnings.catch_warnings():
        # A BER length (some Java and Windows exports): read all the same.
        warnings.filterwarnings("ignore", "PKCS#12 bundle could not be parsed as DER")
        return pkcs12.load_pkcs12(data, password)


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Read *fd* to its end, or None when *deadline* passes first."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
