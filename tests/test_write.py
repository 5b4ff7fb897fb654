"""The bytes of the chained file and safe, atomic writing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from pki import Hierarchy, pem

from certchain import (
    CertchainError,
    OutputExistsError,
    OutputRefused,
    WriteError,
    chain_pem,
    write_chain,
    write_file,
)


def names(folder: Path) -> list[str]:
    """Return the sorted names in *folder*, hidden ones included."""
    return sorted(os.listdir(folder))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class TestChainPem:
    def test_concatenates_in_order(self, chain3: Hierarchy) -> None:
        """The chain's PEM blocks follow each other in the given order, leaf first."""
        chain = (chain3.leaf.cert, chain3.intermediate.cert, chain3.root.cert)

        data = chain_pem(chain)

        assert pem(chain3.leaf.cert) + pem(chain3.intermediate.cert) + pem(chain3.root.cert) == data
        assert list(chain) == x509.load_pem_x509_certificates(data)

    def test_lf_only_one_block_per_cert(self, chain3: Hierarchy) -> None:
        """The output uses LF line endings only and one CERTIFICATE block per certificate."""
        data = chain_pem((chain3.leaf.cert, chain3.intermediate.cert))

        assert b"\r" not in data
        assert data.count(b"-----BEGIN CERTIFICATE-----") == 2
        assert data.count(b"-----BEGIN ") == 2
        assert data.endswith(b"-----END CERTIFICATE-----\n")

    def test_empty_chain(self) -> None:
        """An empty chain gives empty bytes."""
        assert chain_pem(()) == b""


class TestWriteFile:
    def test_writes_bytes_with_mode_0644(self, tmp_path: Path) -> None:
        """A new file gets the bytes and mode 0644 by default, whatever the umask."""
        target = tmp_path / "out.crt"
        old = os.umask(0o077)
        try:
            write_file(target, b"data\n")
        finally:
            os.umask(old)

        assert target.read_bytes() == b"data\n"
        assert mode_of(target) == 0o644
        assert names(tmp_path) == ["out.crt"]

    def test_custom_mode(self, tmp_path: Path) -> None:
        """The mode argument sets the permission bits."""
        target = tmp_path / "secret"

        write_file(target, b"x", mode=0o600)

        assert mode_of(target) == 0o600

    def test_refuses_to_overwrite(self, tmp_path: Path) -> None:
        """An existing file raises OutputExistsError naming it and keeps its content."""
        target = tmp_path / "out.crt"
        target.write_bytes(b"precious")

        with pytest.raises(OutputExistsError) as excinfo:
            write_file(target, b"new")

        assert target == excinfo.value.path
        assert str(target) in str(excinfo.value)
        assert isinstance(excinfo.value, CertchainError)
        assert target.read_bytes() == b"precious"
        assert names(tmp_path) == ["out.crt"]

    def test_refuses_dangling_symlink(self, tmp_path: Path) -> None:
        """A dangling symlink at the target is refused, even with overwrite, and not followed."""
        target = tmp_path / "out.crt"
        target.symlink_to(tmp_path / "elsewhere")

        for overwrite in (False, True):
            with pytest.raises(OutputRefused, match="dangling"):
                write_file(target, b"new", overwrite=overwrite)

        assert not (tmp_path / "elsewhere").exists()
        assert names(tmp_path) == ["out.crt"]

    def test_overwrite_replaces(self, tmp_path: Path) -> None:
        """overwrite=True replaces an existing file and applies the mode."""
        target = tmp_path / "out.crt"
        target.write_bytes(b"old")
        target.chmod(0o600)

        write_file(target, b"new", overwrite=True)

        assert target.read_bytes() == b"new"
        assert mode_of(target) == 0o644
        assert names(tmp_path) == ["out.crt"]

    def test_missing_folder(self, tmp_path: Path) -> None:
        """A missing folder raises WriteError naming the path and creates nothing."""
        target = tmp_path / "no" / "such" / "out.crt"

        with pytest.raises(WriteError) as excinfo:
            write_file(target, b"data")

        assert str(target) in str(excinfo.value)
        assert isinstance(excinfo.value, CertchainError)
        assert names(tmp_path) == []

    def test_no_temp_file_left(self, tmp_path: Path) -> None:
        """Neither a successful write nor a refused one leaves a temporary file behind."""
        target = tmp_path / "out.crt"

        write_file(target, b"one")
        with pytest.raises(OutputExistsError):
            write_file(target, b"two")
        write_file(target, b"three", overwrite=True)

        assert names(tmp_path) == ["out.crt"]
        assert target.read_bytes() == b"three"

    def test_failed_write_leaves_nothing(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """When renaming fails, WriteError is raised and the temporary file is removed."""
        target = tmp_path / "out.crt"

        def broken(src: object, dst: object) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "link", broken)
        monkeypatch.setattr(os, "replace", broken)
        with pytest.raises(WriteError):
            write_file(target, b"data")

        assert names(tmp_path) == []


class TestWriteChain:
    def test_writes_chain_pem(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """write_chain writes chain_pem's bytes with mode 0644."""
        chain = (chain3.leaf.cert, chain3.intermediate.cert, chain3.root.cert)
        target = tmp_path / "hub-chained.crt"

        write_chain(target, chain)

        assert chain_pem(chain) == target.read_bytes()
        assert mode_of(target) == 0o644
        assert names(tmp_path) == ["hub-chained.crt"]

    def test_refuses_to_overwrite(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """write_chain refuses an existing file unless overwrite=True."""
        target = tmp_path / "hub-chained.crt"
        target.write_bytes(b"old")

        with pytest.raises(OutputExistsError):
            write_chain(target, (chain3.leaf.cert,))
        assert target.read_bytes() == b"old"

        write_chain(target, (chain3.leaf.cert,), overwrite=True)
        assert pem(chain3.leaf.cert) == target.read_bytes()
