"""
What a PKCS#12 (PFX) file is encrypted with, read from its structure.

cryptography decrypts every PKCS#12 file certchain meets, but OpenSSL 3's
command line decrypts RC2, RC4 and single DES only with ``-legacy`` (they
live in its legacy provider): ``openssl pkcs12 -export -legacy`` and
Windows' older exports use RC2-40 for the certificates.  A hint that runs
``openssl pkcs12`` must know whether to add ``-legacy``, so this reads the
algorithm identifiers, which PKCS#12 keeps in the clear (RFC 7292 section 4).
Pure; no decryption.
"""

from __future__ import annotations

# PFX ::= SEQUENCE { version, authSafe ContentInfo, macData OPTIONAL }
# AuthenticatedSafe ::= SEQUENCE OF ContentInfo   (data or encryptedData)
# SafeContents ::= SEQUENCE OF SafeBag            (RFC 7292 sections 4 and 4.2)
_DATA = "1.2.840.113549.1.7.1"
_ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
_SAFE_CONTENTS_BAG = "1.2.840.113549.1.12.10.1.6"
_PBES2 = "1.2.840.113549.1.5.13"  # RFC 8018 section 6.2: the cipher is a parameter

# Ciphers OpenSSL 3 keeps in its legacy provider (openssl-providers(7),
# OSSL_PROVIDER-legacy(7)), as PKCS#12 PBE ids (RFC 7292 appendix C), PKCS#5
# PBES1 ids (RFC 8018 appendix A.3) or PBES2 encryption schemes.  Triple DES
# and AES are in the default provider: files using them need no -legacy.
LEGACY_ALGORITHMS = frozenset({
    "1.2.840.113549.1.12.1.1",  # pbeWithSHAAnd128BitRC4
    "1.2.840.113549.1.12.1.2",  # pbeWithSHAAnd40BitRC4
    "1.2.840.113549.1.12.1.5",  # pbeWithSHAAnd128BitRC2-CBC
    "1.2.840.113549.1.12.1.6",  # pbeWithSHAAnd40BitRC2-CBC
    "1.2.840.113549.1.5.1",  # pbeWithMD2AndDES-CBC
    "1.2.840.113549.1.5.3",  # pbeWithMD5AndDES-CBC
    "1.2.840.113549.1.5.4",  # pbeWithMD2AndRC2-CBC
    "1.2.840.113549.1.5.6",  # pbeWithMD5AndRC2-CBC
    "1.2.840.113549.1.5.10",  # pbeWithSHA1AndDES-CBC
    "1.2.840.113549.1.5.11",  # pbeWithSHA1AndRC2-CBC
    "1.3.14.3.2.7",  # desCBC (a PBES2 scheme)
    "1.2.840.113549.3.2",  # rc2CBC (a PBES2 scheme)
    "1.3.6.1.4.1.3029.1.2",  # bf-cbc (a PBES2 scheme)
    "1.2.840.113533.7.66.10",  # cast5-cbc (a PBES2 scheme)
    "1.3.6.1.4.1.188.7.1.1.2",  # idea-cbc (a PBES2 scheme)
    "1.2.410.200004.1.4",  # seed-cbc (a PBES2 scheme)
})

_SEQUENCE = 0x30
_OCTET_STRING = 0x04
_OCTET_STRING_CONSTRUCTED = 0x24  # BER's chunked form; DER never uses it
_OID = 0x06


def encryption_algorithms(data: bytes) -> frozenset[str]:
    """
    Return the OIDs of the ciphers that encrypt the parts of PKCS#12 *data*.

    For PBES2 the cipher inside its parameters is returned, not PBES2
    itself.  Parts that are not encrypted contribute nothing.

    Raises:
        ValueError: *data* is not DER PKCS#12 (or uses BER's indefinite lengths).
    """
    try:
        pfx = _children(_single(data, _SEQUENCE))
        auth_safe = _children(pfx[1][1])
        if _oid(auth_safe[0]) != _DATA:
            raise ValueError("the PFX is not password-integrity (public-key mode)")
        contents = _octets(_explicit(auth_safe[1]))
        found: set[str] = set()
        for _, info in _children(_single(contents, _SEQUENCE)):
            parts = _children(info)
            kind = _oid(parts[0])
            if kind == _DATA:
                found |= _bag_algorithms(_single(_octets(_explicit(parts[1])), _SEQUENCE))
            elif kind == _ENCRYPTED_DATA:
                # EncryptedData ::= SEQUENCE { version, EncryptedContentInfo
                #   SEQUENCE { contentType, contentEncryptionAlgorithm, [0] content } }
                encrypted = _children(_explicit(parts[1])[1])
                found.add(_cipher(_children(encrypted[1][1])[1][1]))
        return frozenset(found)
    except IndexError as exc:
        raise ValueError("truncated PKCS#12 structure") from exc


def needs_legacy(data: bytes) -> bool:
    """Whether OpenSSL 3's command line needs ``-legacy`` to decrypt PKCS#12 *data*."""
    try:
        return bool(encryption_algorithms(data) & LEGACY_ALGORITHMS)
    except ValueError:
        return False  # not readable as DER PKCS#12: nothing known to add


def _bag_algorithms(safe_contents: bytes) -> set[str]:
    found: set[str] = set()
    for _, bag in _children(safe_contents):
        parts = _children(bag)  # SafeBag ::= SEQUENCE { bagId, [0] bagValue, attributes }
        kind = _oid(parts[0])
        if kind == _SHROUDED_KEY_BAG:
            # EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData }
            found.add(_cipher(_children(_explicit(parts[1])[1])[0][1]))
        elif kind == _SAFE_CONTENTS_BAG:
            found |= _bag_algorithms(_explicit(parts[1])[1])
    return found


def _cipher(algorithm: bytes) -> str:
    """The cipher of an AlgorithmIdentifier's content (PBES2: its encryption scheme)."""
    parts = _children(algorithm)
    oid = _oid(parts[0])
    if oid == _PBES2:
        # PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme }
        scheme = _children(parts[1][1])[1][1]
        return _oid(_children(scheme)[0])
    return oid


def _header(data: bytes, pos: int) -> tuple[int, int, int]:
    """Return (tag, start, end) of the content of the element at *pos*."""
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte tags do not occur in PKCS#12")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise ValueError("indefinite or oversized length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("an element runs past the end of the data")
    return tag, pos, pos + length


def _children(content: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) of each element inside a constructed element's *content*."""
    items = []
    pos = 0
    while pos < len(content):
        tag, start, end = _header(content, pos)
        items.append((tag, content[start:end]))
        pos = end
    return items


def _single(data: bytes, tag: int) -> bytes:
    """The content of *data*, which must be one element with *tag*."""
    found, start, end = _header(data, 0)
    if found != tag or end != len(data):
        raise ValueError(f"expected one element with tag {tag:#x}")
    return data[start:end]


def _explicit(element: tuple[int, bytes]) -> tuple[int, bytes]:
    """The one element inside an EXPLICIT [0] tag."""
    tag, content = element
    if tag != 0xA0:
        raise ValueError("expected [0]")
    (inner,) = _children(content)
    return inner


def _octets(element: tuple[int, bytes]) -> bytes:
    tag, content = element
    if tag == _OCTET_STRING:
        return content
    if tag == _OCTET_STRING_CONSTRUCTED:
        return b"".join(_octets(chunk) for chunk in _children(content))
    raise ValueError("expected an OCTET STRING")


def _oid(element: tuple[int, bytes]) -> str:
    tag, content = element
    if tag != _OID or not content:
        raise ValueError("expected an OBJECT IDENTIFIER")
    first = min(content[0] // 40, 2)
    arcs = [first, content[0] - 40 * first]
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(arc) for arc in arcs)
