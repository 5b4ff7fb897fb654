"""
The fuzz suite's kit (issue 9): a corpus of real files, ways to damage them, a
tiny DER re-encoder, and the one place that says which outcomes are allowed.

Every property states its allowed outcomes through :func:`assert_clean_outcome`
(a CLI run) or :func:`library_outcome` (a library call).  Crash classes still
open on other branches of issue 9 are listed in :data:`OPEN_CRASHES`: an
outcome that matches one is rejected as an example (not counted, not failed).
Merging a branch means deleting its entry there; its minimal reproducer in
``tests/test_fuzz_regressions.py`` then flips from xfail to pass.

The corpus is deterministic: fixed EC keys (``derive_private_key``), fixed
serial numbers and dates, and ECDSA signatures per RFC 6979 where
cryptography offers them (44 and later), so a derandomized run sees the same
bytes every time.  The exceptions are the PKCS#12 files and the encrypted
keys, whose salts cryptography draws at random: their lengths and layout are
fixed, so a given flip still lands on the same field.
"""

from __future__ import annotations

import base64
import functools
import re
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from click.testing import Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from hypothesis import reject, settings
from hypothesis import strategies as st
from pki import PKI, Issued, _der

from certchain.errors import CertchainError

T = TypeVar("T")

PASSWORD = b"fuzz-pass-1"
#: Text a damaged name carries after a line feed, to forge a report line.
FORGED = "OK: forged"
#: Every exit code a run may have here (130 and 141 need Ctrl-C or a closed pipe).
CLEAN_EXITS = (0, 1, 2)


def examples(weight: int, **changes: Any) -> settings:
    """
    Settings for a property worth *weight* examples in the CI profile (and *changes*).

    The loaded profile's ``max_examples`` scales every weight (the CI profile
    has 100: weights are example counts there; ``long`` multiplies them).
    """
    count = max(1, weight * settings.default.max_examples // 100)
    return settings(max_examples=count, **changes)


# -------------------------------------------------------------- DER re-encoder


def tlv(der: bytes, at: int = 0) -> tuple[int, int, int]:
    """Return (tag, start of content, end) of the DER element at *at*."""
    first = der[at + 1]
    if first < 0x80:
        return der[at], at + 2, at + 2 + first
    count = first & 0x7F
    start = at + 2 + count
    return der[at], start, start + int.from_bytes(der[at + 2 : start], "big")


def children(der: bytes) -> list[bytes]:
    """Return the encoded elements inside the constructed DER element *der*."""
    _, at, end = tlv(der)
    found = []
    while at < end:
        _, _, after = tlv(der, at)
        found.append(der[at:after])
        at = after
    return found


def edit(der: bytes, path: Sequence[int], change: Callable[[bytes], bytes]) -> bytes:
    """
    Return *der* with the element at *path* (child indexes, outermost first)
    replaced by ``change(element)``; lengths are re-encoded on the way out.

    *change* may return several elements (a duplicate) or none (a removal).
    """
    if not path:
        return change(der)
    parts = children(der)
    parts[path[0]] = edit(parts[path[0]], path[1:], change)
    return _der(der[0], b"".join(parts))


# TBSCertificate fields after [0] version (RFC 5280 4.1): serial 1,
# signature 2, issuer 3, validity 4, subject 5, subjectPublicKeyInfo 6,
# [3] extensions 7 (holding the SEQUENCE OF Extension).
ISSUER, SUBJECT, EXTENSIONS = 3, 5, 7
ECDSA_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")


def signed(tbs: bytes, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """Return the certificate of *tbs* signed by *key* with ecdsa-with-SHA256."""
    try:
        algorithm = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    except TypeError:  # cryptography < 44: a random nonce, still a valid signature
        algorithm = ec.ECDSA(hashes.SHA256())
    signature = key.sign(tbs, algorithm)
    return x509.load_der_x509_certificate(
        _der(0x30, tbs + ECDSA_SHA256 + _der(0x03, b"\x00" + signature))
    )


def reassembled(tbs: bytes, old: x509.Certificate) -> bytes:
    """Return the DER certificate of *tbs* with *old*'s signature kept (now wrong)."""
    fields = children(old.public_bytes(serialization.Encoding.DER))
    return _der(0x30, tbs + b"".join(fields[1:]))


# ----------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Node:
    """A corpus certificate and its key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Corpus:
    """root -> intermediate (name-constrained) -> leaf for hub.example.org, and its files."""

    root: Node
    inter: Node
    leaf: Node
    files: dict[str, bytes]

    @property
    def nodes(self) -> tuple[Node, Node, Node]:
        """Leaf first."""
        return self.leaf, self.inter, self.root


def _key(secret: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(secret, ec.SECP256R1())


@functools.lru_cache(maxsize=1)
def corpus() -> Corpus:
    """The corpus (built once): the hierarchy, and it written in every format certchain reads."""
    pki = PKI()

    def node(issued: Any, signer: ec.EllipticCurvePrivateKey) -> Node:
        return Node(signed(issued.cert.tbs_certificate_bytes, signer), issued.key)

    root_key, inter_key, leaf_key = _key(0x5EED1), _key(0x5EED2), _key(0x5EED3)
    root = node(pki.root("Fuzz Root", key=root_key), root_key)
    issuer = _issued(root)
    constraints = x509.NameConstraints([x509.DNSName("example.org")], None)
    inter = node(
        pki.intermediate(issuer, "Fuzz CA", key=inter_key, name_constraints=constraints,
                         aia_url="http://ca.example.org/root.crt"),
        root_key,
    )
    leaf = node(
        pki.leaf(_issued(inter), "hub.example.org", "10.0.0.7", key=leaf_key,
                 aia_url="http://ca.example.org/ca.crt"),
        inter_key,
    )
    return Corpus(root, inter, leaf, _files(leaf, inter, root))


def _issued(node: Node) -> Issued:
    return Issued(node.cert, node.key)


def _files(leaf: Node, inter: Node, root: Node) -> dict[str, bytes]:
    pem, der = serialization.Encoding.PEM, serialization.Encoding.DER
    pkcs8 = serialization.PrivateFormat.PKCS8
    traditional = serialization.PrivateFormat.TraditionalOpenSSL
    plain = serialization.NoEncryption()
    locked = serialization.BestAvailableEncryption(PASSWORD)
    chain = [leaf.cert, inter.cert, root.cert]
    p12_encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048).hmac_hash(hashes.SHA256())
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).build(PASSWORD)
    )
    key_pem = leaf.key.private_bytes(pem, pkcs8, plain)
    return {
        "leaf.pem": leaf.pem,
        "chain.pem": leaf.pem + inter.pem + root.pem,
        "bundle.pem": inter.pem + root.pem,
        "leaf.der": leaf.der,
        "inter.der": inter.der,
        "chain.p7b": pkcs7.serialize_certificates(chain, pem),
        "chain.p7c": pkcs7.serialize_certificates(chain, der),
        "leaf.key": key_pem,
        "leaf-ec.key": leaf.key.private_bytes(pem, traditional, plain),
        "leaf-enc.key": leaf.key.private_bytes(pem, pkcs8, locked),
        "leaf-trad-enc.key": leaf.key.private_bytes(pem, traditional, locked),
        "leaf-key.der": leaf.key.private_bytes(der, pkcs8, plain),
        "full.pem": leaf.pem + inter.pem + key_pem,
        "chain.p12": pkcs12.serialize_key_and_certificates(
            b"hub", leaf.key, leaf.cert, [inter.cert, root.cert], p12_encryption
        ),
        "open.p12": pkcs12.serialize_key_and_certificates(
            b"hub", leaf.key, leaf.cert, [inter.cert], plain
        ),
        "showcerts.txt": (
            b"CONNECTED(00000003)\r\n---\r\nCertificate chain\r\n 0 s:CN = hub.example.org\r\n"
            + leaf.pem.replace(b"\n", b"\r\n") + b" 1 s:CN = Fuzz CA\r\n"
            + inter.pem.replace(b"\n", b"\r\n") + b"---\r\nServer certificate\r\n"
        ),
    }


# ------------------------------------------------------------------ damage


_PEM_BLOCK = re.compile(rb"-----BEGIN ([^-]*)-----\r?\n(.*?)-----END \1-----\r?\n?", re.S)


def pem_blocks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Return (label, DER) of each well-formed PEM block in *data*."""
    found = []
    for match in _PEM_BLOCK.finditer(data):
        body = b"".join(ln for ln in match.group(2).splitlines() if b":" not in ln)
        try:
            found.append((match.group(1), base64.b64decode(body, validate=True)))
        except ValueError:
            continue
    return found


def pem_block(label: bytes, der: bytes) -> bytes:
    """Return *der* as a PEM block labelled *label* (64-character lines)."""
    text = base64.b64encode(der)
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return b"-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, b"\n".join(lines), label)


@st.composite
def flipped(draw: st.DrawFn, data: bytes) -> bytes:
    """*data* with one to four bits flipped."""
    if not data:
        return data
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(out) - 1))
        out[at] ^= 1 << draw(st.integers(0, 7))
    return bytes(out)


@st.composite
def cut(draw: st.DrawFn, data: bytes) -> bytes:
    """*data* truncated, or with random bytes spliced in."""
    at = draw(st.integers(0, len(data)))
    if draw(st.booleans()):
        return data[:at]
    return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]


@st.composite
def reblocked(draw: st.DrawFn, data: bytes) -> bytes:
    """
    PEM *data* with its blocks damaged as blocks: duplicated, reordered,
    dropped, a bit flipped inside the DER (base64 kept valid), a wrong label,
    or the last block left without its END line.
    """
    blocks = pem_blocks(data)
    if not blocks:
        return draw(flipped(data))
    how = draw(st.sampled_from(
        ["duplicate", "reorder", "drop", "der-flip", "der-cut", "label", "no-end", "crlf"]
    ))
    if how == "duplicate":
        index = draw(st.integers(0, len(blocks) - 1))
        blocks.insert(index, blocks[index])
    elif how == "reorder":
        blocks = draw(st.permutations(blocks))
    elif how == "drop" and len(blocks) > 1:
        del blocks[draw(st.integers(0, len(blocks) - 1))]
    elif how in ("der-flip", "der-cut"):
        index = draw(st.integers(0, len(blocks) - 1))
        label, der = blocks[index]
        damage = flipped(der) if how == "der-flip" else cut(der)
        blocks[index] = (label, draw(damage))
    elif how == "label":
        index = draw(st.integers(0, len(blocks) - 1))
        label = draw(st.sampled_from([
            b"CERTIFICATE", b"TRUSTED CERTIFICATE", b"X509 CERTIFICATE", b"PKCS7",
            b"PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"EC PRIVATE KEY", b"RSA PRIVATE KEY",
            b"EC PARAMETERS", b"X509 CRL", b"OPENSSH PRIVATE KEY", b"CERTIFICATE CHAIN",
        ]))
        blocks[index] = (label, blocks[index][1])
    text = b"".join(pem_block(label, der) for label, der in blocks)
    if how == "no-end":
        text = text[: text.rindex(b"-----END ")]
        text = text[: draw(st.integers(text.rindex(b"-----BEGIN "), len(text)))]
    elif how == "crlf":
        text = text.replace(b"\n", b"\r\n")
    return text


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """*data* after one to three rounds of damage (block-wise when it is PEM)."""
    for _ in range(draw(st.integers(1, 3))):
        kinds = [flipped, cut] + ([reblocked] if b"-----BEGIN" in data else [])
        data = draw(draw(st.sampled_from(kinds))(data))
    return data


@st.composite
def corpus_file(draw: st.DrawFn, *, intact: float = 0.1) -> tuple[str, bytes]:
    """A corpus file (name, bytes), damaged unless the draw keeps it whole (about *intact*)."""
    files = corpus().files
    name = draw(st.sampled_from(sorted(files)))
    data = files[name]
    if draw(st.integers(0, 99)) >= intact * 100:
        data = draw(damaged(data))
    return name, data


passwords = st.sampled_from([None, PASSWORD, b"wrong", b""])


# ------------------------------------------------- damaged names and extensions

# Attribute values a name may be given: wrong string types, bytes that do not
# decode, text that would forge a line or drive a terminal.
_TEXTS = [
    b"", b"\x00", b"\xff\xfe", b"\xc3(", b"a\x1b[31mred", b"\x1b]0;title\x07",
    b"x\n" + FORGED.encode(),
    "ünï".encode(), "ünï".encode("utf-16-be"), b"\x00\x00\x00a", b"*", b"a" * 200,
]
_READABLE = st.characters(exclude_categories=("Cs",))  # any text UTF-8 can hold
_STRING_TAGS = [0x0C, 0x13, 0x16, 0x1E, 0x1C, 0x14, 0x12, 0x1A, 0x03, 0x04, 0x30, 0x31, 0x05]


@st.composite
def attribute_value(draw: st.DrawFn) -> bytes:
    """A DER AttributeValue of a chosen tag (string or not) and awkward content."""
    tag = draw(st.sampled_from(_STRING_TAGS) | st.integers(0, 255))
    content = draw(st.sampled_from(_TEXTS) | st.binary(max_size=24))
    if tag == 0x05:
        content = b""
    return _der(tag, content) if tag & 0x1F != 0x1F else bytes([tag]) + content


_OIDS = [
    "550403", "55040a", "2a864886f70d010901", "0992268993f22c640119", "550405",
    "2b0601040182371402", "", "80", "2a864886f70d01", "ffffffffffffffffffff7f",
]


@st.composite
def name_damage(draw: st.DrawFn) -> Callable[[bytes], bytes]:
    """A change to an encoded Name: an attribute's value or type, or its RDN structure."""
    how = draw(st.sampled_from(["value", "type", "empty-rdn", "empty-name", "multi", "dup",
                                "text"]))
    value = draw(attribute_value())
    if how == "text":  # readable, but holding what a terminal or a reader would obey
        text = draw(st.sampled_from(_TEXTS[4:7]) | st.text(_READABLE, max_size=12).map(str.encode))
        value, how = _der(0x0C, text), "value"
    oid = _der(0x06, bytes.fromhex(draw(st.sampled_from(_OIDS))))

    def change(name: bytes) -> bytes:
        rdns = children(name)
        last = len(rdns) - 1
        if how == "empty-name":
            return _der(0x30, b"")
        if how == "empty-rdn":
            return _der(0x30, b"".join([*rdns, _der(0x31, b"")]))
        if how == "dup":
            return _der(0x30, b"".join([*rdns, rdns[last]]))
        (atv,) = children(rdns[last])
        kind, old = children(atv)
        if how == "value":
            atv = _der(0x30, kind + value)
        elif how == "type":
            atv = _der(0x30, oid + old)
        else:  # multi: a second attribute in the same RDN
            atv = atv + _der(0x30, oid + value)
        rdns[last] = _der(0x31, atv)
        return _der(0x30, b"".join(rdns))

    return change


_EXTENSION_VALUES = [
    b"", b"\x30\x00", b"\x30\x80", b"\x04\x00", b"\x05\x00", b"\x30\x03\x01\x01\xff",
    b"\x30\x06\x01\x01\xff\x02\x01\x80", b"\x30\x04\x82\x02\x1b\x5b", b"\x30\x06\x87\x04\x0a\x00",
    b"\x30\x05\x82\x03a\x00b", b"\x30\x04\x86\x02\xff\xfe", b"\x03\x02\x07\x80",
]


@st.composite
def extension_damage(draw: st.DrawFn) -> tuple[int, Callable[[bytes], bytes]]:
    """(which extension, a change): its value damaged or replaced, critical flipped, duplicated."""
    index = draw(st.integers(0, 7))
    how = draw(st.sampled_from(["flip", "cut", "replace", "critical", "duplicate", "type"]))
    flip_at = draw(st.integers(0, 255))
    bit = draw(st.integers(0, 7))
    length = draw(st.integers(0, 64))
    new_value = draw(st.sampled_from(_EXTENSION_VALUES) | st.binary(max_size=24))
    oid = _der(0x06, bytes.fromhex(draw(st.sampled_from([*_OIDS, "551d11", "551d13", "551d1e"]))))

    def change(extension: bytes) -> bytes:
        parts = children(extension)
        _, start, end = tlv(parts[-1])
        value = parts[-1][start:end]
        if how == "flip" and value:
            damaged_value = bytearray(value)
            damaged_value[flip_at % len(value)] ^= 1 << bit
            value = bytes(damaged_value)
        elif how == "cut":
            value = value[:length]
        elif how == "replace":
            value = new_value
        elif how == "critical":
            critical = _der(0x01, b"\xff")
            parts = [parts[0], parts[-1]] if len(parts) == 3 else [parts[0], critical, parts[-1]]
        elif how == "duplicate":
            return extension + extension
        elif how == "type":
            parts[0] = oid
        parts[-1] = _der(0x04, value)
        return _der(0x30, b"".join(parts))

    return index, change


@dataclass(frozen=True)
class Damage:
    """What was done to a certificate, for a failing example's report."""

    target: str  # "leaf", "inter" or "root"
    field: str  # "subject", "issuer" or "extension"
    resigned: bool

    def __str__(self) -> str:
        state = "re-signed" if self.resigned else "signature kept"
        return f"{self.target}'s {self.field} damaged ({state})"


@st.composite
def damaged_chain(draw: st.DrawFn) -> tuple[Damage, list[bytes]]:
    """
    The corpus chain (leaf, inter, root as DER) with one certificate's name or
    extension damaged in its TBS, re-signed by its issuer's key or not.

    A damaged CA subject is given to its children's issuer too (re-signed
    alike), so the chain still links by name and the damage is read deep in
    the path search rather than only at the leaf.
    """
    nodes = corpus().nodes
    target = draw(st.sampled_from([0, 1, 2]))
    field = draw(st.sampled_from(["subject", "issuer", "extension"]))
    resign = draw(st.integers(0, 3)) > 0
    tbs = [n.cert.tbs_certificate_bytes for n in nodes]
    if field == "extension":
        index, change = draw(extension_damage())
        count = len(children(children(children(tbs[target])[EXTENSIONS])[0]))
        tbs[target] = edit(tbs[target], [EXTENSIONS, 0, index % count], change)
    else:
        change = draw(name_damage())
        where = SUBJECT if field == "subject" else ISSUER
        tbs[target] = edit(tbs[target], [where], change)
        if field == "subject" and target > 0:
            tbs[target - 1] = edit(tbs[target - 1], [ISSUER], change)
        if target == 2:  # the root is self-issued: its issuer follows its subject
            tbs[2] = edit(tbs[2], [ISSUER if field == "subject" else SUBJECT], change)
    signers = [nodes[1].key, nodes[2].key, nodes[2].key]
    out = []
    for i, (data, node) in enumerate(zip(tbs, nodes)):
        if data == node.cert.tbs_certificate_bytes:
            out.append(node.der)
        elif resign:
            out.append(signed(data, signers[i]).public_bytes(serialization.Encoding.DER)
                       if _loads(data) else reassembled(data, node.cert))
        else:
            out.append(reassembled(data, node.cert))
    return Damage(["leaf", "inter", "root"][target], field, resign), out


def _loads(tbs: bytes) -> bool:
    """Whether a certificate of *tbs* loads at all (else cryptography cannot sign it)."""
    try:
        x509.load_der_x509_certificate(_der(0x30, tbs + ECDSA_SHA256 + _der(0x03, b"\x00")))
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ outcomes


@dataclass(frozen=True)
class OpenCrash:
    """A crash class another branch of issue 9 fixes: matched, the example is rejected."""

    name: str  # the area and the branch that fixes it
    matches: Callable[[BaseException, str], bool]  # (exception, formatted traceback)


#: Crash classes still open while the other branches of issue 9 are unmerged.
#: Delete an entry once its branch is merged; the property then covers it.
#: Each has its minimal reproducer in tests/test_fuzz_regressions.py.
OPEN_CRASHES: list[OpenCrash] = []


def open_crash(exc: BaseException) -> OpenCrash | None:
    """The known-open class *exc* belongs to, if any."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return next((c for c in OPEN_CRASHES if c.matches(exc, text)), None)


@contextmanager
def library_outcome() -> Iterator[None]:
    """
    Allow a library call to return, or to raise certchain's own errors only.

    Any other exception fails the example, unless it is of a known-open class
    (:data:`OPEN_CRASHES`), which rejects it.
    """
    try:
        yield
    except CertchainError:
        pass
    except Exception as exc:
        if open_crash(exc) is not None:
            reject()
        raise


#: What no output may hold once escaping is done: C0 controls but tab and
#: line feed, DEL and the C1 controls (ESC starts terminal sequences), and a
#: line of its own started by a name holding a line feed and FORGED.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def assert_clean_outcome(
    result: Result, *names: str | Path, errors: int | None = 1, usage: bool = False
) -> None:
    """
    A CLI run ended as certchain promises: exit 0 or 1 with a report, or exit 2
    with *errors* ``Error:`` lines on stderr (None: any number, at least one),
    each naming one of the files *names* (by base name); never a traceback.

    With *usage*, a usage error is allowed too: one ``Error:`` line naming an
    option, for a value click refuses or a combination the inputs decide
    (``--combined`` when no key was found).
    """
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        if open_crash(result.exception) is not None:
            reject()
        raise AssertionError(
            "certchain raised:\n" + "".join(traceback.format_exception(*_exc_info(result)))
        )
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.exit_code in CLEAN_EXITS, (result.exit_code, output)
    assert not RAW_CONTROL.search(output), output
    assert not re.search(rf"(?m)^\s*{FORGED}", output), output
    if result.exit_code == 2:
        lines = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
        assert lines, result.stderr
        if usage and len(lines) == 1 and "--" in lines[0]:
            return
        assert errors is None or len(lines) == errors, result.stderr
        bases = [Path(n).name for n in names]
        for line in lines:
            assert any(b in line for b in bases), (line, bases)


def _exc_info(result: Result) -> tuple[type[BaseException], BaseException, TracebackType | None]:
    assert result.exc_info is not None
    return result.exc_info
