"""
The peer benchmarks/run.py measures certchain against: pyca's verifier, in a process of its own.

Run: python benchmarks/peer_pyca.py ROOT.pem UNTRUSTED.pem LEAF.pem HOST AT

Loads the three PEM files, verifies LEAF for the server name HOST at AT (ISO
8601) with ``cryptography.x509.verification`` (ROOT the only trust anchor,
every certificate of UNTRUSTED a candidate intermediate), and prints the
SHA-256 of each certificate of the chain it built, leaf first.  Exits 1 when
verification fails.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError


def main(argv: list[str]) -> int:
    root, untrusted, leaf, host, at = argv
    roots = x509.load_pem_x509_certificates(Path(root).read_bytes())
    intermediates = x509.load_pem_x509_certificates(Path(untrusted).read_bytes())
    (cert,) = x509.load_pem_x509_certificates(Path(leaf).read_bytes())
    verifier = (
        PolicyBuilder()
        .store(Store(roots))
        .time(dt.datetime.fromisoformat(at.replace("Z", "+00:00")))
        .build_server_verifier(x509.DNSName(host))
    )
    try:
        chain = verifier.verify(cert, intermediates)
    except VerificationError as exc:
        print(f"pyca: {exc}", file=sys.stderr)
        return 1
    for c in chain:
        print(hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
