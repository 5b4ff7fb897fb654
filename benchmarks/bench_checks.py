"""
What one signature check costs, measured, beside certchain's estimate.

Run: python benchmarks/bench_checks.py [--repeat 50]

For each kind of issuer key, signs a CA certificate and times
``signature_problem`` (a check that verifies) and the same check of a
tampered copy (one that fails, as a decoy's does), then prints the median
in microseconds next to ``check_cost``, the estimate the path search pays
from its budget (certchain.graph.MAX_WORK).  The estimate only needs to be
right within a factor of two; a key that costs far more than its estimate
would let a crafted pool buy more time than the budget says.  Prints the
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pki import PKI, huge_exponent, tampered

from certchain.certs import check_cost, signature_problem

KEYS: dict[str, Any] = {
    "P-256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "P-384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "P-521": lambda: ec.generate_private_key(ec.SECP521R1()),
    "Ed25519": ed25519.Ed25519PrivateKey.generate,
    "Ed448": ed448.Ed448PrivateKey.generate,
    "RSA 2048": lambda: rsa.generate_private_key(65537, 2048),
    "RSA 4096": lambda: rsa.generate_private_key(65537, 4096),
    "DSA 2048": lambda: dsa.generate_private_key(2048),
}


def _median(check: Any, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        check()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


def _row(name: str, child: x509.Certificate, issuer: x509.Certificate, repeat: int) -> None:
    good = _median(lambda: signature_problem(child, issuer), repeat)
    bad_child = tampered(child)
    bad = _median(lambda: signature_problem(bad_child, issuer), repeat)
    print(f"{name:<28} {good:>10.0f} {bad:>10.0f} {check_cost(child, issuer):>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    pki = PKI()
    print(f"{'issuer key':<28} {'verifies':>10} {'fails':>10} {'estimate':>10}  (microseconds)")
    for name, make in KEYS.items():
        issuer = pki.root(f"{name} Root", key=make())
        _row(name, pki.intermediate(issuer, f"{name} CA").cert, issuer.cert, args.repeat)
    # An RSA key with a 3,070-bit exponent (tests/pki.py huge_exponent): the
    # child is signed by the ordinary key of the same modulus, so the check
    # with the huge exponent fails after a full exponentiation (in both columns).
    signer = rsa.generate_private_key(65537, 3072)
    issuer = pki.root("Huge Exponent Root", key=signer)
    child = pki.intermediate(issuer, "Huge Exponent CA").cert
    decoy = (
        x509.CertificateBuilder()
        .subject_name(issuer.cert.subject)
        .issuer_name(issuer.cert.subject)
        .public_key(huge_exponent(signer.public_key()))
        .serial_number(1)
        .not_valid_before(issuer.cert.not_valid_before_utc)
        .not_valid_after(issuer.cert.not_valid_after_utc)
        .sign(signer, hashes.SHA256())
    )
    repeat = max(3, args.repeat // 10)
    _row("RSA 3072, 3,070-bit exponent", child, decoy, repeat)


if __name__ == "__main__":
    main()
