"""
A certificate's names and public key as raw DER bytes, read without decoding.

cryptography decodes a name into Python objects on first access (several
microseconds a name); a pile of 100,000 candidates must not pay that for
every certificate when only a few are ever looked at.  The path search
indexes candidates by the exact bytes of their subject and compares names
by bytes first (:mod:`certchain.graph`), and the loader checks that a name
will decode without decoding it where its form makes that certain
(:func:`plain_name`).

Everything here reads DER that cryptography has already parsed; a layout
this reader does not follow gives None, and the caller takes the slow road.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .memo import by_identity


class RawFields(NamedTuple):
    """The issuer, the subject and the subjectPublicKeyInfo, each as its DER element."""

    issuer: bytes
    subject: bytes
    spki: bytes


def _end(data: bytes, pos: int) -> tuple[int, int]:
    """Return (content start, element end) of the DER element at *pos* (definite lengths)."""
    length = data[pos + 1]
    if length < 0x80:
        return pos + 2, pos + 2 + length
    count = length & 0x7F
    start = pos + 2 + count
    return start, start + int.from_bytes(data[pos + 2 : start], "big")


def _fields_at(data: bytes, tbs: int) -> RawFields | None:
    """Read the fields of the TBSCertificate element that starts at *tbs*."""
    # The loader's hot loop: one pass, one call per element, no list.
    try:
        if data[tbs] != 0x30:
            return None
        length = data[tbs + 1]
        pos = tbs + 2 + (length & 0x7F if length & 0x80 else 0)
        if data[pos] == 0xA0:  # [0] version
            pos += 2 + data[pos + 1]
        # serialNumber, then the signature AlgorithmIdentifier: skipped.
        pos = _end(data, pos)[1]
        issuer = _end(data, pos)[1]
        validity = _end(data, issuer)[1]
        subject = _end(data, validity)[1]
        spki = _end(data, subject)[1]
        spki_end = _end(data, spki)[1]
    except IndexError:
        return None
    if spki_end > len(data) or data[issuer] != 0x30 or data[subject] != 0x30:
        return None
    return RawFields(data[issuer:validity], data[subject:spki], data[spki:spki_end])


def fields_of_der(der: bytes) -> RawFields | None:
    """Return the raw fields of a certificate given as its DER encoding."""
    try:
        if der[0] != 0x30:
            return None
        return _fields_at(der, _end(der, 0)[0])
    except IndexError:
        return None


@by_identity(8192)
def fields_of(cert: x509.Certificate) -> RawFields:
    """Return *cert*'s raw fields (from its TBSCertificate: a few microseconds; remembered)."""
    fields = _fields_at(cert.tbs_certificate_bytes, 0)
    if fields is None:  # cryptography parsed it, so this cannot happen; stay exact anyway
        return RawFields(
            cert.issuer.public_bytes(), cert.subject.public_bytes(),
            cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
        )
    return fields


#: String types that decode whatever their ASCII content (UTF8String,
#: PrintableString, IA5String; the last two are checked by cryptography's parser).
_PLAIN_TAGS = frozenset({0x0C, 0x13, 0x16})


def _oid_der(dotted: str) -> bytes:
    """The DER element of an OID, as it stands in a name."""
    first, second, *rest = (int(arc) for arc in dotted.split("."))
    body = bytearray([first * 40 + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        while arc := arc >> 7:
            chunk.append(0x80 | arc & 0x7F)
        body += bytes(reversed(chunk))
    return bytes([0x06, len(body)]) + bytes(body)


#: The attributes whose length cryptography checks when it decodes a name (a
#: country of 2 letters, a common name of 1 to 64 characters), warning when
#: one is outside: a name with such a value is decoded at load, as before.
_LENGTHS: dict[bytes, tuple[int, int]] = {
    _oid_der(oid): bounds for oid, bounds in {
        "2.5.4.6": (2, 2),  # countryName
        "1.3.6.1.4.1.311.60.2.1.3": (2, 2),  # jurisdictionCountryName
        "2.5.4.3": (1, 64),  # commonName
    }.items()
}


def plain_name(name: bytes) -> bool:
    """
    Return whether the Name *name* (DER) certainly decodes: a fast, sound test.

    True when every RDN holds one attribute whose value is an ASCII string
    of a plain type, of a length cryptography accepts: such a name cannot
    hit what makes decoding fail (an invalid UTF-8, BMP or universal
    string, an empty or duplicated RDN) nor warn.
    False means "not known": decode it to find out.
    """
    try:
        if name[0] != 0x30:
            return False
        pos, end = _end(name, 0)
        if end != len(name):
            return False
        while pos < end:
            if name[pos] != 0x31:
                return False
            inner, rdn_end = _end(name, pos)
            if name[inner] != 0x30 or _end(name, inner)[1] != rdn_end:
                return False  # empty, or several attributes in one RDN
            oid = _end(name, inner)[0]
            if name[oid] != 0x06:
                return False
            value = _end(name, oid)[1]
            start, value_end = _end(name, value)
            if (
                name[value] not in _PLAIN_TAGS or value_end != rdn_end
                or not name[start:value_end].isascii()
            ):
                return False
            bounds = _LENGTHS.get(name[oid:value])
            if bounds is not None and not bounds[0] <= value_end - start <= bounds[1]:
                return False
            pos = rdn_end
    except IndexError:
        return False
    return pos == end


def key_id(spki: bytes) -> bytes | None:
    """
    Return RFC 5280's key identifier of a public key: SHA-1 of its BIT STRING.

    The method of section 4.2.1.2 (1), which most CAs use for their subject
    key identifier, and so for the authority key identifier of what they
    issue.  None when *spki* is not laid out as a SubjectPublicKeyInfo.
    """
    try:
        start, end = _end(spki, 0)
        bits = _end(spki, start)[1]  # past the AlgorithmIdentifier
        if spki[bits] != 0x03:
            return None
        content, bits_end = _end(spki, bits)
    except IndexError:
        return None
    if bits_end != end or content >= bits_end:
        return None
    # RFC 5280 names SHA-1 for this identifier: a hint, never a security check.
    return hashlib.sha1(spki[content + 1 : bits_end]).digest()
