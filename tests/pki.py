"""
A test PKI factory on cryptography's builders, with explicit knobs.

Everything is valid from 2020 to 2060 unless a test says otherwise; tests
validate at ``T0`` (2030), so nothing depends on today's date.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = dt.timezone.utc
T0 = dt.datetime(2030, 1, 1, tzinfo=UTC)
T0_ISO = "2030-01-01T00:00:00Z"
NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=UTC)
NOT_AFTER = dt.datetime(2060, 1, 1, tzinfo=UTC)

_KEY_CACHE: dict[str, list[Any]] = {}


def new_key(kind: str = "ec") -> Any:
    """
    Return a fresh private key.

    ``ec`` (P-256), ``ec192``, ``ec384``, ``rsa``, ``rsa1024``, ``ed25519``, ``ed448``, ``dsa``.
    ``rsaN`` is an RSA key of N bits, e.g. ``rsa2052``: a modulus that is not
    a multiple of 8 bits, which cryptography generates but the web PKI forbids.
    """
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ec192":
        return ec.generate_private_key(ec.SECP192R1())
    if kind == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "rsa1024":
        return rsa.generate_private_key(public_exponent=65537, key_size=1024)
    if kind.startswith("rsa") and kind[3:].isdigit():
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "ed448":
        return ed448.Ed448PrivateKey.generate()
    if kind == "dsa":
        return dsa.generate_private_key(key_size=2048)
    raise ValueError(kind)


def pem(cert: x509.Certificate) -> bytes:
    """Return *cert* as PEM."""
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: Any, password: bytes | None = None) -> bytes:
    """Return *key* as PKCS#8 PEM, encrypted with *password* when given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: Any

    @property
    def pem(self) -> bytes:
        return pem(self.cert)

    @property
    def key_pem(self) -> bytes:
        return key_pem(self.key)

    def write(self, path: Path) -> Path:
        """Write the certificate as PEM to *path* and return *path*."""
        path.write_bytes(self.pem)
        return path


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


class PKI:
    """Makes roots, intermediates, leaves and cross-signs with explicit knobs."""

    def __init__(self) -> None:
        self._serial = 1000

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def issue(
        self,
        subject: x509.Name,
        key: Any,
        issuer: Issued | None,
        *,
        ca: bool | None,
        path_length: int | None = None,
        not_before: dt.datetime = NOT_BEFORE,
        not_after: dt.datetime = NOT_AFTER,
        include_aki: bool = True,
        include_ski: bool = True,
        key_usage: x509.KeyUsage | str | None = "default",
        eku: list[x509.ObjectIdentifier] | None = None,
        san: list[x509.GeneralName] | None = None,
        san_critical: bool = False,
        name_constraints: x509.NameConstraints | None = None,
        name_constraints_critical: bool = True,
        aia_url: str | None = None,
        hash_alg: hashes.HashAlgorithm | str | None = "default",
        issuer_name: x509.Name | None = None,
        rsa_padding: padding.PSS | None = None,
        extra_extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
    ) -> Issued:
        """
        Issue a certificate; *issuer* None means self-signed with *key*.

        *hash_alg* may be SHA-1 or MD5, which cryptography's builder refuses:
        the certificate is then re-signed by hand (see :func:`legacy_signed`).
        *rsa_padding* signs with RSA-PSS.  *extra_extensions* are added as
        given, (extension, critical) pairs: policy constraints, a name
        constraint in a leaf, a Netscape certificate type, ...
        """
        signer_key = issuer.key if issuer else key
        signer_cert = issuer.cert if issuer else None
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name or (signer_cert.subject if signer_cert else subject))
            .public_key(key.public_key())
            .serial_number(self._next_serial())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )
        if ca is not None:
            builder = builder.add_extension(
                x509.BasicConstraints(ca=ca, path_length=path_length if ca else None),
                critical=True,
            )
        if key_usage == "default":
            key_usage = _ca_usage() if ca else _leaf_usage(key)
        if isinstance(key_usage, x509.KeyUsage):
            builder = builder.add_extension(key_usage, critical=True)
        if include_ski:
            builder = builder.add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
        if include_aki:
            authority: Any = signer_cert.public_key() if signer_cert else key.public_key()
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(authority), critical=False
            )
        if eku is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(san), critical=san_critical
            )
        if name_constraints is not None:
            builder = builder.add_extension(name_constraints, critical=name_constraints_critical)
        for extension, critical in extra_extensions:
            builder = builder.add_extension(extension, critical=critical)
        if aia_url:
            builder = builder.add_extension(
                x509.AuthorityInformationAccess([
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(aia_url),
                    )
                ]),
                critical=False,
            )
        if hash_alg == "default":
            ed = isinstance(signer_key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey))
            hash_alg = None if ed else hashes.SHA256()
        if isinstance(hash_alg, _LEGACY_HASHES):
            cert = builder.sign(signer_key, hashes.SHA256())
            return Issued(legacy_signed(cert, signer_key, hash_alg), key)
        cert = builder.sign(signer_key, hash_alg, rsa_padding=rsa_padding)  # type: ignore[arg-type]
        return Issued(cert, key)

    def root(self, cn: str = "Test Root", *, key: Any = None, **knobs: Any) -> Issued:
        """Return a self-signed CA."""
        return self.issue(_name(cn, "certchain tests"), key or new_key(), None, ca=True, **knobs)

    def intermediate(
        self, issuer: Issued, cn: str = "Test Intermediate", *, key: Any = None,
        ca: bool | None = True, **knobs: Any,
    ) -> Issued:
        """Return a CA certificate issued by *issuer*."""
        return self.issue(_name(cn, "certchain tests"), key or new_key(), issuer, ca=ca, **knobs)

    def leaf(
        self, issuer: Issued, *hosts: str, key: Any = None, cn: str | None = None,
        subject: x509.Name | None = None, **knobs: Any,
    ) -> Issued:
        """
        Return a TLS server certificate for *hosts* (DNS names or IPs).

        The subject is ``CN=<cn or the first host>``, or *subject* as given
        (``x509.Name([])`` for an empty one).
        """
        hosts = hosts or ("hub.example.org",)
        san: list[x509.GeneralName] = []
        for host in hosts:
            try:
                san.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                san.append(x509.DNSName(host))
        knobs.setdefault("san", san)
        knobs.setdefault("eku", [ExtendedKeyUsageOID.SERVER_AUTH])
        name = subject if subject is not None else _name(cn or hosts[0])
        return self.issue(name, key or new_key(), issuer, ca=False, **knobs)

    def cross_sign(self, subject: Issued, by: Issued, **knobs: Any) -> Issued:
        """Return *subject*'s name and key, certified by *by* (a cross-sign)."""
        return self.issue(subject.cert.subject, subject.key, by, ca=True, **knobs)


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False,
    )


def _leaf_usage(key: Any) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False,
        key_encipherment=isinstance(key, rsa.RSAPrivateKey),
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )


@dataclass(frozen=True)
class Hierarchy:
    """root -> intermediate -> leaf, the everyday case."""

    root: Issued
    intermediate: Issued
    leaf: Issued


def hierarchy(pki: PKI, *hosts: str, **leaf_knobs: Any) -> Hierarchy:
    """Return a fresh three-level hierarchy for *hosts*."""
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, *hosts, **leaf_knobs)
    return Hierarchy(root, inter, leaf)


# cryptography (>= 42) refuses to sign with SHA-1 or MD5, but old CAs did.
# AlgorithmIdentifier DER of the legacy algorithms (RFC 3279 2.2): the RSA
# ones carry NULL parameters, ECDSA and DSA none.
_LEGACY_HASHES = (hashes.SHA1, hashes.MD5)
_LEGACY_ALGORITHMS = {
    ("rsa", "sha1"): "300d06092a864886f70d0101050500",  # sha1WithRSAEncryption
    ("rsa", "md5"): "300d06092a864886f70d0101040500",  # md5WithRSAEncryption
    ("ec", "sha1"): "300906072a8648ce3d0401",  # ecdsa-with-SHA1
    ("dsa", "sha1"): "300906072a8648ce380403",  # id-dsa-with-sha1
}


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def _elements(der: bytes) -> list[bytes]:
    """Split the content of a DER SEQUENCE into its encoded elements."""
    def header(at: int) -> tuple[int, int]:
        first = der[at + 1]
        if first < 0x80:
            return 2, first
        count = first & 0x7F
        return 2 + count, int.from_bytes(der[at + 2 : at + 2 + count], "big")

    skip, _ = header(0)
    elements, at = [], skip
    while at < len(der):
        size, length = header(at)
        elements.append(der[at : at + size + length])
        at += size + length
    return elements


def legacy_signed(
    cert: x509.Certificate, issuer_key: Any, hash_alg: hashes.HashAlgorithm
) -> x509.Certificate:
    """
    Return *cert* re-signed by *issuer_key* (RSA, EC or DSA) with SHA-1 or MD5.

    The TBS's signature AlgorithmIdentifier (its field after the version and
    serial number, RFC 5280 4.1.2.3) is replaced, and the TBS signed by hand.
    """
    if isinstance(issuer_key, rsa.RSAPrivateKey):
        kind = "rsa"
    elif isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        kind = "ec"
    else:
        kind = "dsa"
    algorithm = bytes.fromhex(_LEGACY_ALGORITHMS[kind, hash_alg.name])
    fields = _elements(cert.tbs_certificate_bytes)
    where = 2 if fields[0][0] == 0xA0 else 1  # after [0] version (absent in v1)
    fields[where] = algorithm
    tbs = _der(0x30, b"".join(fields))
    if kind == "rsa":
        signature = issuer_key.sign(tbs, padding.PKCS1v15(), hash_alg)
    elif kind == "ec":
        signature = issuer_key.sign(tbs, ec.ECDSA(hash_alg))
    else:
        signature = issuer_key.sign(tbs, hash_alg)
    return x509.load_der_x509_certificate(
        _der(0x30, tbs + algorithm + _der(0x03, b"\x00" + signature))
    )


def sha1_signed(cert: x509.Certificate, issuer_key: Any) -> x509.Certificate:
    """Return *cert* re-signed with SHA-1 by the RSA *issuer_key* (old private CAs did)."""
    return legacy_signed(cert, issuer_key, hashes.SHA1())


def tampered(cert: x509.Certificate) -> x509.Certificate:
    """Return *cert* with the last byte of its signature flipped."""
    der = bytearray(cert.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01
    return x509.load_der_x509_certificate(bytes(der))


def damaged_name(cert: x509.Certificate, field: str = "subject") -> x509.Certificate:
    """
    Return *cert* with one bit of its *field* (``subject`` or ``issuer``) flipped.

    The certificate still loads (cryptography parses names lazily), and
    reading *field* raises ValueError: the first bit flip, inside the
    name's DER, that has that effect.
    """
    der = cert.public_bytes(serialization.Encoding.DER)
    name = getattr(cert, field).public_bytes()
    start = der.index(name)
    if field == "subject":  # the issuer comes first; a self-issued name twice
        start = der.index(name, start + 1) if der.count(name) > 1 else start
    for bit in range(len(name) * 8):
        flipped = bytearray(der)
        flipped[start + bit // 8] ^= 1 << (bit % 8)
        try:
            damaged = x509.load_der_x509_certificate(bytes(flipped))
        except ValueError:
            continue
        try:
            getattr(damaged, field)
        except ValueError:
            return damaged
    raise AssertionError(f"no single bit flip damages the {field} lazily")


# ------------------------------------------------ name-constraint stress


@dataclass(frozen=True)
class Crafted:
    """A leaf and its issuers (the last one the root), built to cost many name checks."""

    leaf: Issued
    cas: tuple[Issued, ...]

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """Leaf first, root last."""
        return (self.leaf.cert, *(ca.cert for ca in self.cas))


def many_names(count: int, pattern: str, kind: type[Any] = x509.DNSName) -> list[Any]:
    """Return *count* general names of *kind* made from *pattern* (``{}`` is the number)."""
    return [kind(pattern.format(i)) for i in range(count)]


def nc_dos(pki: PKI, shape: str) -> Crafted:
    """
    Return a chain whose name-constraint check is quadratic, by *shape*.

    ``many-sans``: a leaf with 4,000 SANs under an intermediate with 250
    permitted and 250 excluded DNS subtrees.  ``wide``: 10,000 SANs under
    1,000 excluded subtrees.  ``nc-dos-1``: x509-limbo's
    pathological::nc-dos-1 (OpenSSL's many-names1 / many-constraints), a root
    permitting t0.test to t512.test and .test, excluding x0.test to x512.test,
    over a leaf with an empty subject and the 514 permitted names as SANs.
    ``nc-dos-2`` and ``nc-dos-3``: the same with email constraints over a
    leaf subject of 513 or 1,025 emailAddress attributes, as limbo's later
    cases put the names in the subject.
    """
    if shape in ("many-sans", "wide"):
        size, names = (250, 4000) if shape == "many-sans" else (1000, 10000)
        root = pki.root(f"{shape} Root")
        allowed = [*many_names(size - 1, "p{}.example"), x509.DNSName("example.org")]
        constraints = x509.NameConstraints(
            allowed if shape == "many-sans" else None, many_names(size, "x{}.example.org")
        )
        inter = pki.intermediate(root, f"{shape} CA", name_constraints=constraints)
        leaf = pki.leaf(inter, *(f"h{i}.example.org" for i in range(names)))
        return Crafted(leaf, (inter, root))
    if shape == "nc-dos-1":
        allowed = [*many_names(513, "t{}.test"), x509.DNSName(".test")]
        constraints = x509.NameConstraints(allowed, many_names(513, "x{}.test"))
        root = pki.root("nc-dos-1 Root", name_constraints=constraints)
        leaf = pki.issue(x509.Name([]), new_key(), root, ca=False, san=allowed)
        return Crafted(leaf, (root,))
    count = {"nc-dos-2": 513, "nc-dos-3": 1025}[shape]
    mail = x509.RFC822Name
    allowed = [*many_names(513, "t{}@test", mail), mail("test")]
    constraints = x509.NameConstraints(allowed, many_names(513, "x{}@test", mail))
    root = pki.root(f"{shape} Root", name_constraints=constraints)
    subject = x509.Name([
        *(x509.NameAttribute(NameOID.EMAIL_ADDRESS, f"t{i}@test") for i in range(count)),
        x509.NameAttribute(NameOID.COMMON_NAME, "t0.test"),
    ])
    leaf = pki.issue(subject, new_key(), root, ca=False, san=[x509.DNSName("t0.test")])
    return Crafted(leaf, (root,))


# ------------------------------------------------------ path-search stress


@dataclass(frozen=True)
class Pool:
    """A leaf, its trust anchor and a pile of CA certificates built to make path search costly."""

    shape: str
    leaf: Issued
    root: x509.Certificate  # the trust anchor to give (``--trust``)
    cas: tuple[x509.Certificate, ...]  # every other input, in input order
    path: tuple[x509.Certificate, ...]  # the path to find, leaf first; () when none is in reach


# Shared by every pool: keys are the slow part of making certificates.
_POOL_KEYS: dict[str, Any] = {}


def _pool_key(name: str, kind: str = "ec") -> Any:
    if name not in _POOL_KEYS:
        _POOL_KEYS[name] = new_key(kind)
    return _POOL_KEYS[name]


def huge_exponent(public: rsa.RSAPublicKey, bits: int = 3070, seed: int = 0) -> rsa.RSAPublicKey:
    """
    Return an RSA public key with *public*'s modulus and a public exponent of *bits* bits.

    OpenSSL caps the exponent at 64 bits only for moduli above 3,072 bits, so
    a 3,072-bit modulus takes a 3,070-bit exponent: each signature check with
    it is a full-length modular exponentiation, some 200 times the work of an
    ordinary one.  Nobody holds the private half; certificates carry it as
    their subject key.  Each *seed* gives another exponent of the same length.
    """
    import random

    exponent = random.Random(bits * 1_000_003 + seed).getrandbits(bits) | 1 | (1 << (bits - 1))
    return rsa.RSAPublicNumbers(exponent, public.public_numbers().n).public_key()


def rewritten(
    cert: x509.Certificate, serial: int, public_key: Any = None
) -> x509.Certificate:
    """
    Return *cert* with another serial number (and subject key), its signature kept.

    The new serial, and the new key's DER, must be as long as the old ones.
    The copy no longer verifies with anyone's key, but checking it costs as
    much as checking the original: a fast way to make thousands of distinct
    certificates that each cost a full signature check.
    """
    tbs_der, algorithm, signature = _elements(cert.public_bytes(serialization.Encoding.DER))
    fields = _elements(tbs_der)
    where = 1 if fields[0][0] == 0xA0 else 0  # after [0] version (absent in v1)
    replaced = {where: _der(0x02, serial.to_bytes(len(fields[where]) - 2, "big"))}
    if public_key is not None:
        replaced[where + 5] = public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    for index, new in replaced.items():
        assert len(new) == len(fields[index]), "replacements must keep their DER length"
        fields[index] = new
    return x509.load_der_x509_certificate(
        _der(0x30, _der(0x30, b"".join(fields)) + algorithm + signature)
    )


def path_pool(pki: PKI, shape: str, *, size: int = 0) -> Pool:
    """
    Return a pool of candidates crafted against path search, by *shape*.

    ``reissued``: a path of *size* (default 10) certificates where each CA
    level is re-issued 3 or 4 times under one name and key (the root level
    as 3 self-signed copies): 3^n combinations of equally good paths.
    ``reissued-orphan``: the same without the root level, so no path ends
    anywhere and every combination is a dead end.
    ``decoys``: root -> intermediate -> leaf plus *size* (default 2,000)
    CAs with the intermediate's name and other keys, without key identifiers
    (nor an AKI in the leaf), expiring later so they rank first.
    ``decoys-missing``: the decoys without the real intermediate.
    ``huge-exponent``: root -> intermediate -> leaf plus *size* self-issued
    CAs whose key has a 3,070-bit RSA exponent, all with the same name, so
    each self-signature check is a costly one.  ``huge-exponent-issuer``:
    the same CAs named as the leaf's issuer, which holds a 3,072-bit RSA key
    with the same modulus, without key identifiers: each decoy tried as the
    issuer costs a huge check.  ``huge-exponent-missing``: the same without
    the real intermediate.
    ``mesh-same`` / ``mesh``: *size* (default 30) CAs, same-named or not, each
    self-signed and cross-signed by every other; the leaf is issued by the
    first and the last one's root is the anchor (a 3-certificate path).
    ``mesh-same-bare``: the same-named mesh without key identifiers, so that
    nothing tells the CAs apart but their signatures.
    ``crossed-chain``: a 10-certificate chain whose every CA is also
    cross-signed three times: by the CAs below it (loops everywhere), and
    where fewer than three are below, by CAs that are not in the pool.
    """
    if shape in ("reissued", "reissued-orphan"):
        return _reissued(pki, size or 10, orphan=shape.endswith("-orphan"))
    if shape in ("decoys", "decoys-missing"):
        return _decoys(pki, size or 2000, missing=shape.endswith("-missing"))
    if shape in ("huge-exponent", "huge-exponent-issuer", "huge-exponent-missing"):
        return _huge_exponent(pki, shape, size or 2000)
    if shape in ("mesh", "mesh-same", "mesh-same-bare"):
        return _mesh(pki, shape, size or 30)
    if shape == "crossed-chain":
        return _crossed_chain(pki)
    raise ValueError(shape)


def _reissued(pki: PKI, length: int, *, orphan: bool) -> Pool:
    levels: list[list[Issued]] = []
    for level in range(length - 1):  # the root level first, the leaf's issuer last
        key = _pool_key(f"level {level}")
        name = _name(f"Reissued {level}", "certchain tests")
        copies = 3 if level % 2 == 0 else 4
        above = levels[-1][0] if levels else None
        levels.append([
            pki.issue(name, key, above, ca=True, not_after=NOT_AFTER - dt.timedelta(days=n))
            for n in range(copies)
        ])
    leaf = pki.leaf(levels[-1][0], key=_pool_key("leaf"))
    kept = levels[1:] if orphan else levels
    cas = tuple(c.cert for level in reversed(kept) for c in level)
    path = (leaf.cert, *(level[0].cert for level in reversed(levels)))
    if orphan:  # the anchor given is unrelated: nothing in reach ends anywhere
        return Pool("reissued-orphan", leaf, pki.root("Unrelated Root").cert, cas, ())
    return Pool("reissued", leaf, levels[0][0].cert, cas, path)


def _decoys(pki: PKI, count: int, *, missing: bool) -> Pool:
    root = pki.root("Decoy Pool Root", key=_pool_key("root"))
    inter = pki.intermediate(root, "Decoy Pool CA", key=_pool_key("inter"))
    leaf = pki.leaf(inter, key=_pool_key("leaf"), include_aki=False)
    name = inter.cert.subject
    decoys = [
        pki.issue(
            name, _pool_key(f"decoy {n}"), root, ca=True, include_ski=False,
            include_aki=False, not_after=NOT_AFTER + dt.timedelta(days=1 + n),
        ).cert
        for n in range(count)
    ]
    half = count // 2
    if missing:
        return Pool("decoys-missing", leaf, root.cert, (*decoys, root.cert), ())
    cas = (*decoys[:half], inter.cert, *decoys[half:], root.cert)
    return Pool("decoys", leaf, root.cert, cas, (leaf.cert, inter.cert, root.cert))


def _huge_exponent(pki: PKI, shape: str, count: int) -> Pool:
    as_issuer = shape != "huge-exponent"
    signer = _pool_key("rsa3072", "rsa3072")
    huge = huge_exponent(signer.public_key())
    root = pki.root("Huge Pool Root", key=_pool_key("root"))
    if as_issuer:
        inter = pki.intermediate(root, "Huge Pool CA", key=signer)
        leaf = pki.leaf(inter, key=_pool_key("leaf"), include_aki=False)
    else:
        inter = pki.intermediate(root, "Huge Pool CA", key=_pool_key("inter"))
        leaf = pki.leaf(inter, key=_pool_key("leaf"))
    name = inter.cert.subject if as_issuer else _name("Huge Exponent CA", "certchain tests")
    template = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(huge)
        .serial_number(1 << 60)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .sign(signer, hashes.SHA256())
    )
    # One exponent each: copies sharing a key would cost one check between them.
    decoys = [
        rewritten(template, (1 << 60) + n, huge_exponent(signer.public_key(), seed=n))
        for n in range(count)
    ]
    if shape == "huge-exponent-missing":
        return Pool(shape, leaf, root.cert, (root.cert, *decoys), ())
    cas = (*decoys, inter.cert, root.cert)
    return Pool(shape, leaf, root.cert, cas, (leaf.cert, inter.cert, root.cert))


def _mesh(pki: PKI, shape: str, count: int) -> Pool:
    same_name = shape != "mesh"
    ids = {"include_aki": shape != "mesh-same-bare", "include_ski": shape != "mesh-same-bare"}

    def name(n: int) -> x509.Name:
        return _name("Mesh CA" if same_name else f"Mesh CA {n}", "certchain tests")

    roots = [
        pki.issue(name(n), _pool_key(f"mesh {n}"), None, ca=True, **ids) for n in range(count)
    ]
    crossed = {
        (n, by): pki.issue(name(n), roots[n].key, roots[by], ca=True, **ids)
        for n in range(count) for by in range(count) if n != by
    }
    leaf = pki.leaf(roots[0], key=_pool_key("leaf"), **ids)
    cas = (*(r.cert for r in roots), *(c.cert for c in crossed.values()))
    last = count - 1
    path = (leaf.cert, crossed[0, last].cert, roots[last].cert)
    return Pool(shape, leaf, roots[last].cert, cas, path)


def _crossed_chain(pki: PKI) -> Pool:
    count = 9  # CAs: with the leaf, a 10-certificate path
    chain = [pki.root("Crossed 0", key=_pool_key("level 0"))]
    for n in range(1, count):
        chain.append(pki.intermediate(chain[-1], f"Crossed {n}", key=_pool_key(f"level {n}")))
    outside = [pki.root(f"Crossed outside {n}", key=_pool_key(f"outside {n}")) for n in range(3)]
    crosses = [
        pki.cross_sign(ca, chain[n + step] if n + step < count else outside[step - 1])
        for n, ca in enumerate(chain) for step in (1, 2, 3)
    ]
    leaf = pki.leaf(chain[-1], key=_pool_key("leaf"))
    cas = (*(c.cert for c in reversed(chain)), *(c.cert for c in crosses))
    path = (leaf.cert, *(c.cert for c in reversed(chain)))
    return Pool("crossed-chain", leaf, chain[0].cert, cas, path)
