"""
A fake host under a test folder: certbot's live/archive layout and folders of
certificate files, as ``certchain audit`` finds them on a real host.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from pki import PKI, T0, Hierarchy, Issued, hierarchy

LIVE = "etc/letsencrypt/live"
ARCHIVE = "etc/letsencrypt/archive"


def lineage(root: Path, name: str, leaf: Issued, chain: list[Issued], *, renewals: int = 1) -> Path:
    """
    Make certbot's lineage *name* under *root* and return its ``live/NAME`` folder.

    As certbot keeps it: numbered files in ``archive/NAME`` (one set per
    renewal, the last one current) and relative symlinks in ``live/NAME``.
    """
    live, archive = root / LIVE / name, root / ARCHIVE / name
    live.mkdir(parents=True)
    archive.mkdir(parents=True)
    pem = {"cert": leaf.pem, "chain": b"".join(c.pem for c in chain),
           "fullchain": leaf.pem + b"".join(c.pem for c in chain), "privkey": leaf.key_pem}
    for number in range(1, renewals + 1):
        for kind, data in pem.items():
            (archive / f"{kind}{number}.pem").write_bytes(data)
    (archive / f"privkey{renewals}.pem").chmod(0o600)
    for kind in pem:
        os.symlink(f"../../archive/{name}/{kind}{renewals}.pem", live / f"{kind}.pem")
    return live


@dataclass
class Host:
    """A fake host: its root folder, the PKI, and what was made where."""

    root: Path
    pki: PKI
    hier: Hierarchy
    trust: Path  # the root certificate, to pass as --trust
    lineages: dict[str, Path] = field(default_factory=dict)

    def add_lineage(self, name: str, *, days: int | None = None, chain: bool = True) -> Path:
        """A lineage for host *name*: valid until *days* after T0 (default: long), with or
        without its intermediate."""
        knobs = {} if days is None else {"not_after": T0 + dt.timedelta(days=days)}
        leaf = self.pki.leaf(self.hier.intermediate, name, **knobs)
        live = lineage(self.root, name, leaf, [self.hier.intermediate] if chain else [])
        self.lineages[name] = live
        return live

    def add_files(self, folder: str, *names: str) -> Path:
        """A folder of chained files (``NAME.crt`` and ``NAME.key``), the intermediate beside."""
        where = self.root / folder
        where.mkdir(parents=True, exist_ok=True)
        for name in names:
            leaf = self.pki.leaf(self.hier.intermediate, name)
            (where / f"{name}.crt").write_bytes(leaf.pem + self.hier.intermediate.pem)
            (where / f"{name}.key").write_bytes(leaf.key_pem)
            (where / f"{name}.key").chmod(0o600)
        self.hier.intermediate.write(where / "intermediate.crt")
        return where


def fake_host(tmp_path: Path, pki: PKI) -> Host:
    """A host with nothing on it yet but a PKI whose root is written beside it."""
    hier = hierarchy(pki, "unused.example.org")
    root = tmp_path / "host"
    root.mkdir()
    return Host(root, pki, hier, hier.root.write(tmp_path / "root.pem"))


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every file and link under *folder*: its content, or where a link points."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = os.readlink(path)
        elif path.is_file():
            found[name] = path.read_bytes()
    return found
