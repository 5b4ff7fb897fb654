"""
What a PKCS#12 (PFX) file is encrypted with, read from its structure.

cryptography decrypts every PKCS#12 file certchain meets, but OpenSSL 3's
command line decrypts RC2, RC4 and single DES only with ``-legacy`` (they
live in its legacy provider): ``openssl pkcs12 -export -legacy`` and
Windows' older exports use RC2-40 for the certificates.  A hint that runs
``openssl pkcs12`` must know whether to add ``-legacy``, so this reads the
algorithm identifiers, which PKCS#12 keeps in the clear (RFC 7292 section 4).

The same walk reads what opening the file will cost: the iteration counts
and scrypt parameters of its MAC and of each encrypted part, and those of an
encrypted PKCS#8 key, so that the loader refuses a file that asks for more
than :data:`MAX_ITERATIONS` before trying any password.  Pure; no decryption;
DER and BER (indefinite lengths, chunked strings), followed to a bounded depth.
"""

from __future__ import annotations

from typing import NamedTuple

# PFX ::= SEQUENCE { version, authSafe ContentInfo, macData OPTIONAL }
# AuthenticatedSafe ::= SEQUENCE OF ContentInfo   (data or encryptedData)
# SafeContents ::= SEQUENCE OF SafeBag            (RFC 7292 sections 4 and 4.2)
_DATA = "1.2.840.113549.1.7.1"
_ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
_SAFE_CONTENTS_BAG = "1.2.840.113549.1.12.10.1.6"
_CONTENTS = "its encrypted contents"  # how a Derivation names an EncryptedData part
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
_INTEGER = 0x02
_OCTET_STRING = 0x04
_OCTET_STRING_CONSTRUCTED = 0x24  # BER's chunked form; DER never uses it
_OID = 0x06
# BER's indefinite lengths and chunked strings, and bags inside bags, are
# followed this deep and no deeper: real files nest a few levels.
_MAX_NESTING = 32
# Real OIDs take under 30 bytes; a huge one would cost quadratic time to read.
_MAX_OID = 128


def encryption_algorithms(data: bytes) -> frozenset[str]:
    """
    Return the OIDs of the ciphers that encrypt the parts of PKCS#12 *data*.

    For PBES2 the cipher inside its parameters is returned, not PBES2
    itself.  Parts that are not encrypted contribute nothing.

    Raises:
        ValueError: *data* is not PKCS#12 that this walker can read.
    """
    try:
        pfx = _children(_single(memoryview(data), _SEQUENCE))
        return frozenset(_cipher(algorithm) for _, algorithm in _encrypted_parts(pfx))
    except IndexError as exc:
        raise ValueError("truncated PKCS#12 structure") from exc


def needs_legacy(data: bytes) -> bool:
    """Whether OpenSSL 3's command line needs ``-legacy`` to decrypt PKCS#12 *data*."""
    try:
        return bool(encryption_algorithms(data) & LEGACY_ALGORITHMS)
    except ValueError:
        return False  # not readable as DER PKCS#12: nothing known to add


# ------------------------------------------------------------ key derivation
#
# Opening a PKCS#12 file or an encrypted PKCS#8 key first derives keys from
# the password, with a cost the file itself chooses.  OpenSSL writes 2,048
# iterations by default (PKCS12_DEFAULT_ITER), Windows 2,000, Java's keytool
# 10,000, and the strongest current guidance (OWASP, PBKDF2-HMAC-SHA256) is
# 600,000.  A file that asks for 2^31 never finishes; scrypt with N = 2^22
# takes 4 GiB.  So the parameters are read first, and a file above these
# ceilings is refused before any password is tried.

#: The most PBKDF2 or PKCS#12 key-derivation iterations one file may ask
#: for, all its derivations together (MAC, keys, encrypted contents): about
#: 1.2 s of PBKDF2-HMAC-SHA256, 2.3 s with SHA-1, on a 2020s core.  16 times
#: the strongest guidance; a PKCS#12 file with three parts at 600,000 uses 1.8M.
MAX_ITERATIONS = 10_000_000
#: The most memory one scrypt derivation may ask for (128 * N * r bytes):
#: N = 2^18 with r = 8, what age uses for a passphrase; ``openssl pkcs8
#: -scrypt`` writes N = 2^14, r = 8 (16 MiB).
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
#: The most scrypt work one file may ask for, all its derivations together
#: (the sum of 128 * N * r * p): two derivations at the memory ceiling,
#: about 1.3 s.
MAX_SCRYPT_WORK = 2 * MAX_SCRYPT_MEMORY

_PBMAC1 = "1.2.840.113549.1.5.14"  # RFC 9579: a PKCS#12 MAC keyed by PBKDF2
_PBKDF2 = "1.2.840.113549.1.5.12"
_SCRYPT = "1.3.6.1.4.1.11591.4.11"  # RFC 7914 section 7
_PKCS12_PBE = "1.2.840.113549.1.12.1."  # RFC 7292 appendix C: (salt, iterations)
_PBES1 = frozenset({  # RFC 8018 appendix A.3: PBEParameter ::= (salt, iterationCount)
    "1.2.840.113549.1.5.1", "1.2.840.113549.1.5.3", "1.2.840.113549.1.5.4",
    "1.2.840.113549.1.5.6", "1.2.840.113549.1.5.10", "1.2.840.113549.1.5.11",
})


class Derivation(NamedTuple):
    """One password-based key derivation a file asks for, as its parameters say."""

    part: str  # the part of the file it opens: "its MAC", "its encrypted key 1", ...
    iterations: int = 0  # PBKDF2's or PKCS#12's iteration count (0: none known)
    scrypt: tuple[int, int, int] | None = None  # scrypt's N, r and p

    @property
    def scrypt_memory(self) -> int:
        """The bytes scrypt needs (128 * N * r), 0 for another derivation."""
        if self.scrypt is None:
            return 0
        n, r, _ = self.scrypt
        return 128 * max(n, 0) * max(r, 0)


def pkcs12_derivations(data: bytes) -> list[Derivation]:
    """
    Return every key derivation opening PKCS#12 *data* asks for, MAC first.

    Only what PKCS#12 keeps in the clear is read: a shrouded key inside
    encrypted contents is seen only once they are decrypted.

    Raises:
        ValueError: *data* is not PKCS#12 that this walker can read.
    """
    try:
        pfx = _children(_single(memoryview(data), _SEQUENCE))
        found = [] if len(pfx) < 3 else [_mac_derivation(pfx[2])]
        found += [_derivation(part, algorithm) for part, algorithm in _encrypted_parts(pfx)]
        return found
    except IndexError as exc:
        raise ValueError("truncated PKCS#12 structure") from exc


def hides_contents(derivations: list[Derivation]) -> bool:
    """
    Return whether a PKCS#12 file keeps contents encrypted as a whole.

    A shrouded key inside them has a derivation of its own that only
    decrypting them shows, so it cannot be checked before the work starts.
    """
    return any(d.part.startswith(_CONTENTS) for d in derivations)


def pkcs8_derivation(der: bytes) -> Derivation | None:
    """
    Return the key derivation an encrypted PKCS#8 key asks for, or None.

    None: *der* is not an ``EncryptedPrivateKeyInfo`` (an unencrypted key
    derives nothing).

    Raises:
        ValueError: it is one, but its encryption parameters cannot be read.
    """
    try:
        # EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData }
        top = _children(_single(memoryview(der), _SEQUENCE))
        shape = [tag for tag, _ in top]
        if shape != [_SEQUENCE, _OCTET_STRING]:
            return None
        _oid(_children(top[0][1])[0])
    except (ValueError, IndexError):
        return None
    try:
        return _derivation("the key", top[0][1])
    except IndexError as exc:
        raise ValueError("truncated encryption parameters") from exc


def cost_objection(derivations: list[Derivation]) -> str | None:
    """
    Return why *derivations* cost too much to try (a clause for a message), or None.

    The ceilings are :data:`MAX_ITERATIONS`, :data:`MAX_SCRYPT_MEMORY`
    and :data:`MAX_SCRYPT_WORK`.
    """
    iterations = scrypt_work = 0
    for item in derivations:
        if item.scrypt is not None:
            n, r, p = item.scrypt
            if item.scrypt_memory > MAX_SCRYPT_MEMORY:
                return (
                    f"{item.part} asks scrypt for {item.scrypt_memory // 2**20:,} MiB of "
                    f"memory (N = {n:,}, r = {r:,}), more than certchain's ceiling of "
                    f"{MAX_SCRYPT_MEMORY // 2**20} MiB"
                )
            scrypt_work += item.scrypt_memory * max(p, 0)
        elif item.iterations > MAX_ITERATIONS:
            return (
                f"{item.part} asks for {item.iterations:,} key-derivation iterations, more "
                f"than certchain's ceiling of {MAX_ITERATIONS:,}"
            )
        else:
            iterations += max(item.iterations, 0)
    if iterations > MAX_ITERATIONS:
        return (
            f"its {len(derivations)} key derivations ask for {iterations:,} iterations "
            f"together, more than certchain's ceiling of {MAX_ITERATIONS:,}"
        )
    if scrypt_work > MAX_SCRYPT_WORK:
        return (
            f"its scrypt derivations ask for {scrypt_work // 2**20:,} MiB of work together, "
            f"more than certchain's ceiling of {MAX_SCRYPT_WORK // 2**20} MiB"
        )
    return None


def _mac_derivation(mac_data: tuple[int, memoryview]) -> Derivation:
    # MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING,
    #                        iterations INTEGER DEFAULT 1 }
    # DigestInfo ::= SEQUENCE { digestAlgorithm, digest }; with PBMAC1 (RFC
    # 9579) the iterations field is ignored and PBKDF2's own count is used.
    tag, content = mac_data
    if tag != _SEQUENCE:
        raise ValueError("the MAC is not a SEQUENCE")
    fields = _children(content)
    algorithm = _children(fields[0][1])[0][1]
    if _oid(_children(algorithm)[0]) == _PBMAC1:
        return _derivation("its MAC", algorithm)
    iterations = _integer(fields[2]) if len(fields) > 2 else 1
    return Derivation("its MAC", iterations)


def _derivation(part: str, algorithm: memoryview) -> Derivation:
    """The derivation an AlgorithmIdentifier's content (a PBE scheme) asks for."""
    fields = _children(algorithm)
    oid = _oid(fields[0])
    if oid in (_PBES2, _PBMAC1):
        # PBES2-params / PBMAC1-params ::= SEQUENCE { keyDerivationFunc, ... }
        kdf = _children(_children(fields[1][1])[0][1])
        kdf_oid = _oid(kdf[0])
        params = _children(kdf[1][1])
        if kdf_oid == _PBKDF2:
            # PBKDF2-params ::= SEQUENCE { salt, iterationCount, ... }
            return Derivation(part, _integer(params[1]))
        if kdf_oid == _SCRYPT:
            # scrypt-params ::= SEQUENCE { salt, costParameter, blockSize,
            #                              parallelizationParameter, ... }
            n, r, p = (_integer(params[i]) for i in (1, 2, 3))
            return Derivation(part, scrypt=(n, r, p))
        return Derivation(part)  # a KDF cryptography cannot run: it derives nothing
    if oid.startswith(_PKCS12_PBE) or oid in _PBES1:
        # pkcs-12PbeParams and PBEParameter ::= SEQUENCE { salt, iterations }
        return Derivation(part, _integer(_children(fields[1][1])[1]))
    return Derivation(part)


def _encrypted_parts(pfx: list[tuple[int, memoryview]]) -> list[tuple[str, memoryview]]:
    """(part, AlgorithmIdentifier content) of each encrypted part, given a PFX's fields."""
    auth_safe = _children(pfx[1][1])
    if _oid(auth_safe[0]) != _DATA:
        raise ValueError("the PFX is not password-integrity (public-key mode)")
    contents = _octets(_explicit(auth_safe[1]))
    keys: list[memoryview] = []
    encrypted: list[memoryview] = []
    for _, info in _children(_single(contents, _SEQUENCE)):
        parts = _children(info)
        kind = _oid(parts[0])
        if kind == _DATA:
            _shrouded_keys(_single(_octets(_explicit(parts[1])), _SEQUENCE), keys)
        elif kind == _ENCRYPTED_DATA:
            # EncryptedData ::= SEQUENCE { version, EncryptedContentInfo
            #   SEQUENCE { contentType, contentEncryptionAlgorithm, [0] content } }
            info_fields = _children(_explicit(parts[1])[1])
            encrypted.append(_children(info_fields[1][1])[1][1])
    return [
        *((f"its encrypted key {i}", a) for i, a in enumerate(keys, 1)),
        *((f"{_CONTENTS} {i}", a) for i, a in enumerate(encrypted, 1)),
    ]


def _shrouded_keys(safe_contents: memoryview, found: list[memoryview], depth: int = 0) -> None:
    """Add the encryption AlgorithmIdentifier of each shrouded key bag to *found*."""
    if depth > _MAX_NESTING:
        raise ValueError("safe contents nested too deeply")
    for _, bag in _children(safe_contents):
        parts = _children(bag)  # SafeBag ::= SEQUENCE { bagId, [0] bagValue, attributes }
        kind = _oid(parts[0])
        if kind == _SHROUDED_KEY_BAG:
            # EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData }
            found.append(_children(_explicit(parts[1])[1])[0][1])
        elif kind == _SAFE_CONTENTS_BAG:
            _shrouded_keys(_explicit(parts[1])[1], found, depth + 1)


def _cipher(algorithm: memoryview) -> str:
    """The cipher of an AlgorithmIdentifier's content (PBES2: its encryption scheme)."""
    parts = _children(algorithm)
    oid = _oid(parts[0])
    if oid == _PBES2:
        # PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme }
        scheme = _children(parts[1][1])[1][1]
        return _oid(_children(scheme)[0])
    return oid


def _header(data: memoryview, pos: int, depth: int = 0) -> tuple[int, int, int, int]:
    """Return (tag, content start, content end, element end) of the element at *pos*."""
    if pos + 2 > len(data):
        raise ValueError("an element runs past the end of the data")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte tags do not occur in PKCS#12")
    length = data[pos + 1]
    pos += 2
    if length == 0x80:  # BER's indefinite length: the content ends at 00 00
        if not tag & 0x20 or depth >= _MAX_NESTING:
            raise ValueError("an indefinite length that cannot be followed")
        end = pos
        while bytes(data[end : end + 2]) != b"\x00\x00":
            end = _header(data, end, depth + 1)[3]
        return tag, pos, end, end + 2
    if length & 0x80:
        count = length & 0x7F
        if count > 4 or pos + count > len(data):
            raise ValueError("an oversized length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("an element runs past the end of the data")
    return tag, pos, pos + length, pos + length


def _children(content: memoryview) -> list[tuple[int, memoryview]]:
    """The (tag, content) of each element inside a constructed element's *content*."""
    items = []
    pos = 0
    while pos < len(content):
        tag, start, end, pos = _header(content, pos)
        items.append((tag, content[start:end]))
    return items


def _single(data: memoryview, tag: int) -> memoryview:
    """The content of *data*, which must be one element with *tag*."""
    found, start, end, after = _header(data, 0)
    if found != tag or after != len(data):
        raise ValueError(f"expected one element with tag {tag:#x}")
    return data[start:end]


def _explicit(element: tuple[int, memoryview]) -> tuple[int, memoryview]:
    """The one element inside an EXPLICIT [0] tag."""
    tag, content = element
    if tag != 0xA0:
        raise ValueError("expected [0]")
    (inner,) = _children(content)
    return inner


def _octets(element: tuple[int, memoryview], depth: int = 0) -> memoryview:
    tag, content = element
    if tag == _OCTET_STRING:
        return content
    if tag == _OCTET_STRING_CONSTRUCTED and depth < _MAX_NESTING:
        return memoryview(b"".join(_octets(chunk, depth + 1) for chunk in _children(content)))
    raise ValueError("expected an OCTET STRING")


def _integer(element: tuple[int, memoryview]) -> int:
    tag, content = element
    if tag != _INTEGER or not content:
        raise ValueError("expected an INTEGER")
    return int.from_bytes(content, "big", signed=True)


def _oid(element: tuple[int, memoryview]) -> str:
    tag, content = element
    if tag != _OID or not content or len(content) > _MAX_OID:
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
