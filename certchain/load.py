"""
Read certificates and private keys from bytes, in whatever format they come.

The format is detected from the content, never from the file name: PEM with
any number of blocks (certificates, ``TRUSTED CERTIFICATE``, PKCS#7, private
keys), a DER certificate, DER PKCS#7, PKCS#12, or a DER private key.
Opening what a password protects (keys, PKCS#12 files) is
:mod:`certchain.keyload`'s; this module finds the parts and checks every
certificate.
"""

from __future__ import annotations

import binascii
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from cryptography import utils, x509
from cryptography.exceptions import UnsupportedAlgorithm

from . import reading
from .errors import BadPassword, LoadError, PasswordRequired
from .findings import article
from .keyload import check_key_type, der_key, is_pkcs12, open_pkcs12, pem_key, refuse_costly
from .model import Format, LoadedCert, LoadedKey, LockedKey, Material, Source
from .pfx import hides_contents, pkcs12_derivations
from .rawcert import fields_of, fields_of_der, plain_name

#: How messages name what was read from standard input.
STDIN = Path("<stdin>")

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----")
_END = re.compile(rb"-----END ([A-Z0-9 #]+)-----")
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE"}
_PKCS7_LABELS = {b"PKCS7", b"PKCS #7 SIGNED DATA", b"CERTIFICATE CHAIN"}
_KEY_LABELS = {
    b"PRIVATE KEY",
    b"ENCRYPTED PRIVATE KEY",
    b"RSA PRIVATE KEY",
    b"EC PRIVATE KEY",
    b"DSA PRIVATE KEY",
}
# `openssl ecparam -genkey` writes the curve before the key; it carries no
# secret and no certificate, so it is skipped rather than refused.
_IGNORED_LABELS = {b"EC PARAMETERS"}
_BOM = b"\xef\xbb\xbf"
_BLANK = re.compile(rb"\s*\Z")
# A PEM body: base64 with whitespace anywhere (OpenSSL skips it too), at
# most two '=' at the end.  Checked and decoded in a few passes of C code: no
# list of lines, however many there are.
_WHITESPACE = b" \t\n\r\f\v"
_BASE64_AND_WHITESPACE = (
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" + _WHITESPACE
)
# RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") in a key block are not base64.
_HEADER_LINE = re.compile(rb"^[^\r\n]*:[^\r\n]*(?:\r\n|\r|\n)?", re.MULTILINE)


def load_bytes(
    data: bytes, *, source: Path | None = None, password: bytes | None = None,
    keep_locked: bool = False,
) -> Material:
    """
    Parse every certificate and private key in *data*.

    Accepts PEM (any number of blocks, CRLF or LF, a UTF-8 BOM, text before,
    between and after blocks), DER certificates and keys, PKCS#7 (PEM or DER)
    and PKCS#12.

    Args:
        data: the content of one input.
        source: the file it came from, for messages.
        password: decrypts PKCS#12 files and encrypted keys.
        keep_locked: without *password*, keep an encrypted PEM or DER key as
            a :class:`~certchain.model.LockedKey` in ``Material.locked``
            instead of raising :class:`PasswordRequired` (to list it, as
            ``inspect`` does).  A PKCS#12 file still needs its password.

    Every certificate's subject, issuer and public key are read here, so
    that a damaged one is an error naming the file and block now, never a
    traceback later (cryptography parses them lazily).  Certificates and
    PEM blocks count against the run's :data:`~certchain.reading.MAX_ITEMS`,
    and a PKCS#12 file or encrypted key that asks for a costlier key
    derivation than :data:`~certchain.pfx.MAX_ITERATIONS` (or the scrypt
    ceilings) is refused before any password is tried.

    Raises:
        LoadError: *data* is empty, corrupt, or holds something that is
            neither a certificate nor a private key; the run's limits.
        PasswordRequired: a PKCS#12 file or an encrypted key needs *password*.
        BadPassword: *password* does not decrypt it.
    """
    with reading.run():
        return _load(data, source, password, keep_locked)


def _load(
    data: bytes, source: Path | None, password: bytes | None, keep_locked: bool
) -> Material:
    start = 0
    if data.startswith(_BOM):
        start = len(_BOM)  # skipped in place: a big file is not copied
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Windows Notepad's "Unicode": PEM saved as UTF-16.
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise LoadError(source, "is UTF-16 text that cannot be decoded.") from exc
    if _BLANK.match(data, start):
        raise LoadError(source, "is empty: expected a certificate or a private key.")
    with warnings.catch_warnings():
        # Old certificates with negative serial numbers parse with a
        # deprecation warning; they are still worth diagnosing.
        warnings.simplefilter("ignore", utils.CryptographyDeprecationWarning)
        if _BEGIN.search(data, start):
            material = _load_pem(data, source, password, keep_locked, start)
        else:
            binary = data[start:] if start else data
            material = _load_binary(binary, source, password, keep_locked)
    if not material.certs and not material.keys and not material.locked:
        raise LoadError(source, "holds no certificate and no private key.")
    return material


def load_file(
    path: Path, *, password: bytes | None = None, keep_locked: bool = False
) -> Material:
    """
    Read the regular file *path* and parse it with :func:`load_bytes`.

    Read with :func:`certchain.reading.read_file`: a FIFO, a device or a
    socket is refused unopened, and at most the run's bytes are read.
    """
    with reading.run():
        data = reading.read_file(path)
        return load_bytes(data, source=path, password=password, keep_locked=keep_locked)


def load_stream(
    stream: BinaryIO, *, password: bytes | None = None, keep_locked: bool = False,
    source: Path = STDIN, limit: int | None = None,
) -> Material:
    """
    Read *stream* (standard input) to its end, at most *limit* bytes, and parse it.

    ``openssl s_client -showcerts -connect host:443 </dev/null | certchain
    verify -`` works: the certificates are found among s_client's text.

    Args:
        limit: the most bytes read; by default the run's
            (:data:`~certchain.reading.MAX_INPUT_SIZE`, ``--max-input-size``).

    Raises:
        LoadError: more than *limit* bytes, or what :func:`load_bytes` raises.
    """
    with reading.run():
        data = reading.read_stream(stream, source, limit=limit)
        return load_bytes(data, source=source, password=password, keep_locked=keep_locked)


def load_files(paths: Sequence[Path], *, password: bytes | None = None) -> Material:
    """Load every file in *paths* (one run) and merge what they hold, in order."""
    with reading.run():
        return Material.merge([load_file(p, password=password) for p in paths])


# --------------------------------------------------------------------- PEM


def _load_pem(
    data: bytes, source: Path | None, password: bytes | None, keep_locked: bool = False,
    start: int = 0,
) -> Material:
    certs: list[LoadedCert] = []
    keys: list[LoadedKey] = []
    locked: list[LockedKey] = []
    checks = _Checks()
    block = 0
    pos = start
    while match := _BEGIN.search(data, pos):
        reading.count_items(source, block=block)
        label = match.group(1)
        other_end = _end_line(data, match.end())
        if other_end is None:
            raise LoadError(
                source,
                f"the {label.decode()} block has no END line: the file is "
                "truncated; copy it again from your certificate authority.",
                block=block,
            )
        if other_end.group(1) != label:
            raise LoadError(
                source,
                f"the {label.decode()} block ends with END {other_end.group(1).decode()}: "
                "the file was edited by hand or pasted together; copy it again.",
                block=block,
            )
        body = (match.end(), other_end.start())
        pos = other_end.end()
        if label in _IGNORED_LABELS:
            block += 1
            continue
        index = len(certs) + len(keys) + len(locked)
        if label in _KEY_LABELS:
            payload = _HEADER_LINE.sub(b"", data[body[0] : body[1]])
            der = _decode_body(payload, (0, len(payload)), label, source, block)
            text = data[match.start() : pos]
            try:
                key = pem_key(text, der, label, source, block, password)
            except PasswordRequired:
                if not keep_locked:
                    raise
                locked.append(LockedKey(Source(source, index, Format.PEM)))
                block += 1
                continue
            # PKCS#8's encrypted label, or RFC 1421's "Proc-Type: 4,ENCRYPTED".
            encrypted = label == b"ENCRYPTED PRIVATE KEY" or data.find(
                b"ENCRYPTED", body[0], body[1]
            ) >= 0
            keys.append(LoadedKey(key, Source(source, index, Format.PEM), encrypted))
        else:
            der = _decode_body(data, body, label, source, block)
            if label in _CERT_LABELS:
                certs.append(_der_cert(der, Source(source, index, Format.PEM), block, checks))
            elif label == b"TRUSTED CERTIFICATE":
                # OpenSSL's X509_AUX form: the DER certificate followed by
                # trust settings.  Only the certificate is used.
                certs.append(_der_cert(
                    _first_der_element(der), Source(source, index, Format.PEM), block, checks
                ))
            elif label in _PKCS7_LABELS:
                members = _der_pkcs7(der, source, block)
                reading.count_items(source, len(members), block=block)
                for number, cert in enumerate(members, 1):
                    index = len(certs) + len(keys) + len(locked)
                    certs.append(checks.loaded(
                        cert, Source(source, index, Format.PKCS7), block,
                        f"certificate {number} of the PKCS#7 data",
                    ))
            elif label == b"OPENSSH PRIVATE KEY":
                raise LoadError(
                    source,
                    "holds an OpenSSH private key, which TLS servers cannot read: "
                    "convert a copy with ssh-keygen -p -m PKCS8 -f COPY.",
                    block=block,
                )
            else:
                raise LoadError(
                    source,
                    f"holds {article(label.decode())} {label.decode()} block, not a "
                    "certificate or a private key: leave it out of the inputs.",
                    block=block,
                )
        block += 1
    return Material(tuple(certs), tuple(keys), tuple(locked))


def _end_line(data: bytes, pos: int) -> re.Match[bytes] | None:
    """The first END line after *pos*: ``_END.search``, found by a byte search first."""
    # A regular expression scans the base64 a character at a time; bytes.find
    # skips to the dashes at memchr's speed (a bundle of 100,000 blocks).
    while (found := data.find(b"-----END ", pos)) >= 0:
        if line := _END.match(data, found):
            return line
        pos = found + 1
    return None


def _decode_body(
    data: bytes, span: tuple[int, int], label: bytes, source: Path | None, block: int
) -> bytes:
    """Decode the base64 of ``data[span]``: its alphabet, whitespace, at most two '=' last."""
    start, end = span
    try:
        body = data[start:end]
        # What is neither base64 nor whitespace may only be the padding, last.
        padding = body.translate(None, _BASE64_AND_WHITESPACE)
        if padding and (
            padding not in (b"=", b"==")
            or not body.translate(None, _WHITESPACE).endswith(padding)
        ):
            raise binascii.Error("not base64")
        return binascii.a2b_base64(body)  # skips the whitespace
    except (binascii.Error, ValueError) as exc:
        raise LoadError(
            source,
            f"the {label.decode()} block is not valid base64 (corrupt or "
            "truncated): copy it again from your certificate authority.",
            block=block,
        ) from exc


#: Certificates already loaded and checked, by their DER: the same bytes read
#: again (the intermediate and root of a thousand chained files) give the same
#: object, whose parsed names, extensions and judgements are then reused.
#: Bounded: past the limit, it starts afresh.
_LOADED: dict[bytes, LoadedCert] = {}
_LOADED_LIMIT = 1024


def _der_cert(der: bytes, source: Source, block: int | None, checks: _Checks) -> LoadedCert:
    seen = _LOADED.get(der)
    if seen is not None:
        return LoadedCert(seen.cert, source, seen.raw)
    try:
        cert = x509.load_der_x509_certificate(der)
    except x509.InvalidVersion as exc:  # version 4 and up: no X.509 certificate
        raise LoadError(
            source.path, f"the certificate has an X.509 version that does not exist ({exc}): "
            "it is damaged; copy it again from your certificate authority.",
            block=block,
        ) from exc
    except ValueError as exc:
        raise LoadError(
            source.path,
            "the certificate is corrupt (not valid DER): copy it again from "
            "your certificate authority.",
            block=block,
        ) from exc
    loaded = checks.loaded(cert, source, block, der=der)
    if len(_LOADED) >= _LOADED_LIMIT:  # bounded: a long-lived process starts afresh
        _LOADED.clear()
    _LOADED[der] = loaded
    return loaded


class _Checks:
    """
    Read now the fields cryptography parses lazily, so a damaged one is a LoadError here.

    The subject, the issuer and the public key: every later step reads
    them, and one flipped bit in a name loads fine but raises ValueError on
    first access.  Whether a field reads depends on its bytes alone, so each
    distinct name and key is checked once per input, and a name whose form
    cannot fail to decode (:func:`certchain.rawcert.plain_name`) is not
    decoded at all: a pile of 100,000 candidates costs no more than loading
    them.  Malformed extensions stay a finding
    (:func:`certchain.extensions.malformed`); the signature algorithm's
    hash and parameters are read through :func:`certchain.certs.signature_problem`,
    which reports what it cannot read.
    """

    def __init__(self) -> None:
        self.names: set[bytes] = set()
        self.keys: set[bytes] = set()

    def loaded(
        self, cert: x509.Certificate, source: Source, block: int | None,
        which: str = "the certificate", der: bytes | None = None,
    ) -> LoadedCert:
        """Check *cert*'s lazy fields and return it loaded, with its raw fields."""
        raw = (fields_of_der(der) if der is not None else None) or fields_of(cert)
        for field, name in (("subject", raw.subject), ("issuer", raw.issuer)):
            if name in self.names:
                continue
            if not plain_name(name):
                try:
                    getattr(cert, field)
                except Exception as exc:  # ValueError from the ASN.1 parser, and kin
                    raise LoadError(
                        source.path, f"{which} has {article(field)} {field} that cannot be "
                        "parsed: it is damaged; copy it again from your certificate authority.",
                        block=block,
                    ) from exc
            self.names.add(name)
        if raw.spki not in self.keys:
            try:
                cert.public_key()
            except Exception as exc:  # UnsupportedAlgorithm, ValueError
                raise LoadError(
                    source.path,
                    f"{which} ({cert.subject.rfc4514_string()}) has a public key that cannot "
                    f"be read ({exc}).",
                    block=block,
                ) from exc
            self.keys.add(raw.spki)
        return LoadedCert(cert, source, raw)


def _der_pkcs7(der: bytes, source: Path | None, block: int | None) -> list[x509.Certificate]:
    try:
        with warnings.catch_warnings():
            # `openssl crl2pkcs7` writes the certificates' SET OF unsorted
            # (BER, not DER); cryptography reads it and warns that it does.
            warnings.filterwarnings("ignore", "PKCS#7 certificates could not be parsed as DER")
            # Imported here: cryptography's pkcs7 module imports the email
            # package, a tenth of a build's start-up, for PKCS#7 input only.
            from cryptography.hazmat.primitives.serialization import pkcs7

            return pkcs7.load_der_pkcs7_certificates(der)
    # UnsupportedAlgorithm: PKCS#7 that is not signedData; InvalidVersion: a
    # certificate in it of version 4 and up.
    except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion) as exc:
        raise LoadError(
            source, f"the PKCS#7 data is corrupt or holds no certificate ({exc}).",
            block=block,
        ) from exc


def _first_der_element(der: bytes) -> bytes:
    """Return the first complete DER TLV in *der* (or *der* if unparsable)."""
    if len(der) < 2:
        return der
    length = der[1]
    if length < 0x80:
        return der[: 2 + length]
    count = length & 0x7F
    if count == 0 or count > 4 or len(der) < 2 + count:
        return der
    size = int.from_bytes(der[2 : 2 + count], "big")
    return der[: 2 + count + size]


# ------------------------------------------------------------------ binary


def _load_binary(
    data: bytes, source: Path | None, password: bytes | None, keep_locked: bool = False
) -> Material:
    if not data.startswith(b"\x30"):
        if _is_text(data):
            raise LoadError(
                source,
                "holds no PEM block (-----BEGIN ...-----) and is not DER: "
                "is this the right file?",
            )
        raise LoadError(
            source,
            "is not a certificate, key, PKCS#7 or PKCS#12 file "
            "(unrecognised binary data).",
        )
    # A DER certificate followed by a stray newline (copied through a text
    # tool) is still that certificate.
    first = _first_der_element(data)
    der = first if _BLANK.match(data, len(first)) else data
    checks = _Checks()
    try:
        cert = x509.load_der_x509_certificate(der)
    except x509.InvalidVersion:  # _der_cert says what is wrong with it
        return Material((_der_cert(der, Source(source, 0, Format.DER), None, checks),))
    except ValueError:
        pass
    else:
        reading.count_items(source)
        return Material((checks.loaded(cert, Source(source, 0, Format.DER), None, der=der),))
    try:
        p7 = _der_pkcs7(data, source, None)
    except LoadError:
        pass
    else:
        reading.count_items(source, len(p7))
        return Material(tuple(
            checks.loaded(c, Source(source, i, Format.PKCS7), None, f"certificate {i + 1}")
            for i, c in enumerate(p7)
        ))
    if is_pkcs12(data):
        return _load_pkcs12(data, source, password)
    try:
        key = der_key(data, source, password)
    except PasswordRequired:
        if not keep_locked:
            raise
        return Material(locked=(LockedKey(Source(source, 0, Format.DER)),))
    if key is not None:
        return Material(keys=(key,))
    raise LoadError(
        source,
        "is DER data but not a certificate, key, PKCS#7 or PKCS#12: it may be "
        "truncated or corrupt.",
    )


def _load_pkcs12(data: bytes, source: Path | None, password: bytes | None) -> Material:
    try:
        derivations = pkcs12_derivations(data)
    except ValueError as exc:
        raise LoadError(
            source, f"is a PKCS#12 file whose structure cannot be read ({exc}): it is "
            "damaged or truncated; export it again.",
        ) from exc
    refuse_costly(derivations, source, None)
    # Without a password, try none and the empty one (both are in use).
    attempts = [password, None] if password is not None else [None, b""]
    if password is not None and b"\x00" in password:
        # PKCS#12 passwords are NUL-terminated BMPStrings (RFC 7292 B.1): one
        # holding NUL cannot be right, and cryptography's loader panics on it.
        raise BadPassword(source)
    hidden = hides_contents(derivations)
    for attempt in attempts:
        try:
            p12 = open_pkcs12(data, attempt, source, bounded=hidden)
        except (ValueError, TypeError):  # TypeError: a password that is not UTF-8
            continue
        break
    else:
        if password is None:
            raise PasswordRequired(source)
        raise BadPassword(source)
    certs: list[LoadedCert] = []
    keys: list[LoadedKey] = []
    if p12.key is not None:
        key = check_key_type(p12.key, source, None)
        keys.append(LoadedKey(key, Source(source, 0, Format.PKCS12), encrypted=True))
    members = ([p12.cert] if p12.cert is not None else []) + list(p12.additional_certs)
    reading.count_items(source, len(members))
    checks = _Checks()
    for number, member in enumerate(members, 1):
        index = len(certs) + len(keys)
        certs.append(checks.loaded(
            member.certificate, Source(source, index, Format.PKCS12), None, f"certificate {number}"
        ))
    return Material(tuple(certs), tuple(keys))


def _is_text(data: bytes) -> bool:
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


