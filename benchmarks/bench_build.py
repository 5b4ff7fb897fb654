"""
How fast build_chain is with many candidates.

Run: python benchmarks/bench_build.py [--decoys 5000] [--repeat 5]

Builds a root -> intermediate -> leaf hierarchy, adds N decoy CA
certificates (half with unrelated names, half sharing the intermediate's
name but with another key, the worst case for name lookup; all carry key
identifiers, as public CAs' certificates do), and times build_chain over
them.  Prints the figures; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from certchain import LoadedCert, Material, Policy, Source, TrustStore, build_chain  # noqa: E402
from certchain.model import Format  # noqa: E402

UTC = dt.timezone.utc
AT = dt.datetime(2030, 1, 1, tzinfo=UTC)


def _cert(subject: str, issuer: str, key: ec.EllipticCurvePrivateKey,
          signer: ec.EllipticCurvePrivateKey, serial: int, ca: bool) -> x509.Certificate:
    # Key identifiers as every public CA sets them: they rank the candidates.
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(dt.datetime(2060, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("bench.example.org")]), critical=False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False,
        )
        .sign(signer, hashes.SHA256())
    )


def _material(certs: list[x509.Certificate]) -> Material:
    return Material(tuple(
        LoadedCert(c, Source(None, i, Format.PEM)) for i, c in enumerate(certs)
    ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--decoys", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    root_key, inter_key, leaf_key, decoy_key = (
        ec.generate_private_key(ec.SECP256R1()) for _ in range(4)
    )
    root = _cert("Bench Root", "Bench Root", root_key, root_key, 1, True)
    inter = _cert("Bench Intermediate", "Bench Root", inter_key, root_key, 2, True)
    leaf = _cert("bench.example.org", "Bench Intermediate", leaf_key, inter_key, 3, False)
    started = time.perf_counter()
    decoys = [
        _cert(
            "Bench Intermediate" if i % 2 else f"Decoy {i}", "Bench Root",
            decoy_key, decoy_key, 100 + i, True,
        )
        for i in range(args.decoys)
    ]
    made = time.perf_counter() - started
    candidates = _material([*decoys, inter, root])
    host = _material([leaf])
    store = TrustStore((root,), "bench", explicit=True)

    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = build_chain(host, candidates, policy=Policy(store=store, at=AT))
        timings.append(time.perf_counter() - started)
    assert [c.subject for c in result.chain] == [leaf.subject, inter.subject, root.subject]

    print(f"decoy certificates      {args.decoys} (made in {made:.1f} s)")
    print(f"same-name decoys        {args.decoys // 2}")
    print(f"build_chain runs        {args.repeat}")
    print(f"median                  {statistics.median(timings) * 1000:.1f} ms")
    print(f"min / max               {min(timings) * 1000:.1f} / {max(timings) * 1000:.1f} ms")
    print(f"chain                   {len(result.chain)} certificates, ok={result.ok}")


if __name__ == "__main__":
    main()
