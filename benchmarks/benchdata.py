"""
The files benchmarks/run.py measures, generated once and cached in a folder.

The hierarchy is root -> intermediate -> leaf (``bench.example.org``, in the
subject and the subjectAltName).  A candidates file holds *N* decoy CAs, half
with unrelated names and half with the intermediate's name but another key,
then the real intermediate last (the worst place for it).  Every certificate
carries key identifiers, as public CAs' certificates do, and is valid from
2020 to 2060.  One decoy key signs every decoy: P-256 signing is cheap, key
generation is not, and 100,000 decoys take seconds.

Everything lives under ``DIR/v1/``: the hierarchy (made first, with a
``complete`` marker; without it the folder is made anew), then one file or
folder per size, each written under a temporary name and renamed, so an
interrupted run never leaves a partial one behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

UTC = dt.timezone.utc
HOST = "bench.example.org"
AT = dt.datetime(2030, 1, 1, tzinfo=UTC)
AT_ISO = "2030-01-01T00:00:00Z"
NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=UTC)
NOT_AFTER = dt.datetime(2060, 1, 1, tzinfo=UTC)
#: Bump when the shape of the data changes: older caches are then ignored.
VERSION = "v1"
TESTS = Path(__file__).resolve().parent.parent / "tests"


@dataclass(frozen=True)
class Hierarchy:
    """The real root, intermediate and leaf, as files, and what a built chain must be."""

    folder: Path

    @property
    def root(self) -> Path:
        return self.folder / "root.pem"

    @property
    def inter(self) -> Path:
        return self.folder / "inter.pem"

    @property
    def leaf(self) -> Path:
        return self.folder / "leaf.pem"

    def chain(self) -> list[str]:
        """The SHA-256 fingerprints of leaf, intermediate and root: the only right answer."""
        return [fingerprint(read_pem(p)[0]) for p in (self.leaf, self.inter, self.root)]


@dataclass(frozen=True)
class PoolFiles:
    """An adversarial pool of tests/pki.py as files, with the path that must be built."""

    leaf: Path
    cas: Path
    anchor: Path
    path: list[str]  # SHA-256 fingerprints, leaf first


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def read_pem(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


_CA_USAGE = x509.KeyUsage(
    digital_signature=False, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
    encipher_only=False, decipher_only=False,
)


def _cert(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePublicKey,
    signer: ec.EllipticCurvePrivateKey, serial: int, *, ca: bool,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False,
        )
    )
    if ca:  # pyca's verifier requires keyCertSign on a CA
        builder = builder.add_extension(_CA_USAGE, critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


def _pem(certs: Iterable[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _write(path: Path, data: bytes) -> None:
    """Write *data* to *path* under a temporary name first, so no partial file is ever seen."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _make_folder(folder: Path, fill: Callable[[Path], None]) -> Path:
    """Make *folder* with *fill* in a temporary sibling, then rename it into place."""
    if folder.is_dir():
        return folder
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        fill(scratch)
        scratch.rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


class Data:
    """The cache folder: each file is made the first time it is asked for."""

    def __init__(self, top: Path) -> None:
        self.folder = top / VERSION
        self.hierarchy = Hierarchy(self.folder)
        if not (self.folder / "complete").is_file():
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
            self._make_hierarchy()

    def _make_hierarchy(self) -> None:
        root_key, inter_key, leaf_key = _key(), _key(), _key()
        root_name, inter_name = _name("Bench Root"), _name("Bench Intermediate")
        root = _cert(root_name, root_name, root_key.public_key(), root_key, 1, ca=True)
        inter = _cert(inter_name, root_name, inter_key.public_key(), root_key, 2, ca=True)
        leaf = _cert(_name(HOST), inter_name, leaf_key.public_key(), inter_key, 3, ca=False)
        _write(self.hierarchy.root, _pem([root]))
        _write(self.hierarchy.inter, _pem([inter]))
        _write(self.hierarchy.leaf, _pem([leaf]))
        # Kept to issue the leaves of the batch files later; a benchmark key, nothing else.
        _write(self._inter_key, inter_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))
        _write(self.folder / "complete", b"")

    @property
    def _inter_key(self) -> Path:
        return self.folder / "inter.key"

    def _inter(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = serialization.load_pem_private_key(self._inter_key.read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return read_pem(self.hierarchy.inter)[0], key

    def candidates(self, count: int) -> Path:
        """*count* decoys, then the real intermediate: one PEM file."""
        path = self.folder / f"candidates-{count}.pem"
        if not path.is_file():
            inter = read_pem(self.hierarchy.inter)[0]
            _write(path, _pem([*_decoys(count, inter), inter]))
        return path

    def batch(self, count: int) -> list[Path]:
        """*count* chained files, each its own leaf then the intermediate."""
        def fill(folder: Path) -> None:
            inter, key = self._inter()
            leaf_key = _key().public_key()
            for n in range(count):
                leaf = _cert(_name(HOST), inter.subject, leaf_key, key, 1000 + n, ca=False)
                (folder / f"host-{n:06d}.pem").write_bytes(_pem([leaf, inter]))

        folder = _make_folder(self.folder / f"batch-{count}", fill)
        return sorted(folder.glob("host-*.pem"))

    def host(self, sites: int, includes: int) -> HostFiles:
        """
        An nginx configuration of *sites* TLS sites across *includes* included files.

        Each site serves a chained file of its own (its leaf, then the
        intermediate) with the one key of every leaf (mode 0600), as the
        batch files are made; ``nginx.conf`` includes ``sites/*.conf``.
        """
        final = self.folder / f"host-{sites}-{includes}"

        def fill(folder: Path) -> None:
            def named(path: Path) -> Path:  # where the configuration finds it, once renamed
                return final / path.relative_to(folder)

            inter, key = self._inter()
            leaf_key = _key()
            (folder / "certs").mkdir()
            (folder / "sites").mkdir()
            key_path = folder / "certs" / "host.key"
            key_path.write_bytes(leaf_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ))
            key_path.chmod(0o600)
            blocks: list[list[str]] = [[] for _ in range(includes)]
            for n in range(sites):
                leaf = _cert(_name(HOST), inter.subject, leaf_key.public_key(), key, 5000 + n,
                             ca=False)
                chain = folder / "certs" / f"host-{n:06d}.pem"
                chain.write_bytes(_pem([leaf, inter]))
                blocks[n % includes].append(_SERVER_BLOCK.format(
                    port=10000 + n, host=HOST, chain=named(chain), key=named(key_path),
                ))
            for n, text in enumerate(blocks):
                (folder / "sites" / f"{n:03d}.conf").write_text("".join(text))
            (folder / "nginx.conf").write_text(_NGINX.format(sites=final / "sites" / "*.conf"))

        folder = _make_folder(final, fill)
        return HostFiles(folder / "nginx.conf", sorted((folder / "certs").glob("host-*.pem")))

    def pool(self, shape: str, size: int) -> PoolFiles:
        """tests/pki.py's ``path_pool(shape, size)`` as files; times are its own ``T0``."""
        def fill(folder: Path) -> None:
            sys.path.insert(0, str(TESTS))
            from pki import PKI, path_pool

            pool = path_pool(PKI(), shape, size=size)
            (folder / "leaf.pem").write_bytes(_pem([pool.leaf.cert]))
            (folder / "cas.pem").write_bytes(_pem(pool.cas))
            (folder / "anchor.pem").write_bytes(_pem([pool.root]))
            (folder / "path.txt").write_text("".join(f"{fingerprint(c)}\n" for c in pool.path))

        folder = _make_folder(self.folder / f"pool-{shape}-{size}", fill)
        return PoolFiles(
            folder / "leaf.pem", folder / "cas.pem", folder / "anchor.pem",
            (folder / "path.txt").read_text().split(),
        )


_NGINX = "events {{}}\nhttp {{\n    include {sites};\n}}\n"
_SERVER_BLOCK = """server {{
    listen 127.0.0.1:{port} ssl;
    server_name {host};
    ssl_certificate {chain};
    ssl_certificate_key {key};
}}
"""


@dataclass(frozen=True)
class HostFiles:
    """An nginx configuration of many sites, and the chained files its sites serve."""

    config: Path
    chains: list[Path]


def _decoys(count: int, inter: x509.Certificate) -> list[x509.Certificate]:
    """Half unrelated CAs, half CAs named as *inter* but holding another key; one key for all."""
    key = _key()
    public = key.public_key()
    return [
        _cert(
            inter.subject if n % 2 else _name(f"Bench Decoy {n}"), inter.issuer,
            public, key, 100_000 + n, ca=True,
        )
        for n in range(count)
    ]
