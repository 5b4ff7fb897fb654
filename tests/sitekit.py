"""
The six sites of issue 12's server tests, as files: one root and intermediate, six leaves.

- ``good``: leaf and intermediate, in order, with its key;
- ``order``: the intermediate before the leaf (``wrong-order``);
- ``missing``: the leaf alone (``missing-issuer``);
- ``expired``: a leaf that expired the day before ``T0`` (``expired``);
- ``mismatch``: a good chain with another key (``key-mismatch``);
- ``uncovered``: served as ``uncovered.example.org`` by a leaf for
  ``other.example.org`` (``hostname-mismatch``).

Each site has its chain file, its key file (mode 0600), and the combined
file HAProxy reads (chain, then key; mode 0600).  The leaves are valid for
the real clock as well (2020-2060; ``expired`` ends in 2029), so servers
load and serve every one of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pki import PKI, T0, Issued, key_pem, new_key

#: The six sites, in the order the tests list them.
SITES = ("good", "order", "missing", "expired", "mismatch", "uncovered")
#: The finding each site must have (good: none).
EXPECTED = {
    "good": None,
    "order": "wrong-order",
    "missing": "missing-issuer",
    "expired": "expired",
    "mismatch": "key-mismatch",
    "uncovered": "hostname-mismatch",
}
#: The sites a server loads (nginx and HAProxy refuse a key that is not the
#: first certificate's, so ``order`` and ``mismatch`` stop them).
SERVABLE = ("good", "missing", "expired", "uncovered")


@dataclass(frozen=True)
class SiteFiles:
    """One site's files and the host name it serves."""

    name: str
    host: str
    leaf: Issued
    chain: Path
    key: Path
    combined: Path


@dataclass(frozen=True)
class SiteSet:
    """The six sites under one folder, with the root that anchors them."""

    folder: Path
    root: Path
    sites: dict[str, SiteFiles]

    def __getitem__(self, name: str) -> SiteFiles:
        return self.sites[name]


def make_sites(pki: PKI, folder: Path, names: tuple[str, ...] = SITES) -> SiteSet:
    """Write the files of *names* (default: all six) into *folder*/certs."""
    certs = folder / "certs"
    certs.mkdir(parents=True, exist_ok=True)
    root = pki.root("Sites Root")
    inter = pki.intermediate(root, "Sites CA")
    sites = {}
    for name in names:
        host = f"{name}.example.org"
        covered = "other.example.org" if name == "uncovered" else host
        knobs = {"not_after": T0 - dt.timedelta(days=1)} if name == "expired" else {}
        leaf = pki.leaf(inter, covered, **knobs)
        certificates = {
            "order": inter.pem + leaf.pem,
            "missing": leaf.pem,
        }.get(name, leaf.pem + inter.pem)
        key = key_pem(new_key()) if name == "mismatch" else leaf.key_pem
        chain = certs / f"{name}.crt"
        chain.write_bytes(certificates)
        key_file = certs / f"{name}.key"
        key_file.write_bytes(key)
        key_file.chmod(0o600)
        combined = certs / f"{name}.pem"
        combined.write_bytes(certificates + key)
        combined.chmod(0o600)
        sites[name] = SiteFiles(name, host, leaf, chain, key_file, combined)
    return SiteSet(folder, root.write(folder / "root.crt"), sites)
