"""
Fuzzing every loader (issue 9): random bytes, and real PEM, DER, PKCS#7,
PKCS#12 and key files damaged bit by bit, cut short, with blocks duplicated,
reordered or left without an END line, and opened with wrong passwords.

The property: the loader returns what it found, or raises certchain's own
error; nothing else escapes (fuzzkit.library_outcome).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from fuzzkit import (
    PASSWORD,
    corpus,
    corpus_file,
    damaged,
    examples,
    library_outcome,
    passwords,
)
from hypothesis import given
from hypothesis import strategies as st

from certchain.errors import CertchainError
from certchain.keyfiles import find_keys
from certchain.load import load_bytes, load_file, load_stream
from certchain.model import Material
from certchain.trust import store_from_paths

#: Bytes that look like the start of something certchain reads.
PREFIXES = [
    b"", b"\x30\x82", b"\x30\x80", b"\xef\xbb\xbf", b"\xff\xfe", b"-----BEGIN CERTIFICATE-----\n",
]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the files of every example of a module."""
    return tmp_path_factory.mktemp("fuzz")


def fresh(base: Path) -> tempfile.TemporaryDirectory[str]:
    """A new folder under *base*, removed on exit."""
    return tempfile.TemporaryDirectory(dir=base)


def assert_material(found: Material) -> None:
    """What a loader returns holds something (an empty result is an error)."""
    assert found.certs or found.keys or found.locked


class TestLoadBytes:
    @examples(8000)
    @given(st.sampled_from(PREFIXES), st.binary(max_size=600), passwords)
    def test_random_bytes(self, prefix: bytes, data: bytes, password: bytes | None) -> None:
        """Random bytes are loaded or refused with certchain's own error."""
        with library_outcome():
            assert_material(load_bytes(prefix + data, password=password))

    @examples(3500)
    @given(corpus_file(), passwords, st.booleans())
    def test_damaged_files(
        self, file: tuple[str, bytes], password: bytes | None, keep_locked: bool
    ) -> None:
        """Every corpus format, damaged, is loaded or refused with certchain's own error."""
        name, data = file
        with library_outcome():
            assert_material(
                load_bytes(data, source=Path(name), password=password, keep_locked=keep_locked)
            )

    @examples(300)
    @given(st.lists(corpus_file(intact=0.5), min_size=2, max_size=4), passwords)
    def test_files_pasted_together(
        self, files: list[tuple[str, bytes]], password: bytes | None
    ) -> None:
        """Several files pasted into one (cat a b c) are loaded or refused, never a crash."""
        with library_outcome():
            assert_material(load_bytes(b"".join(d for _, d in files), password=password))

    @examples(200)
    @given(st.sampled_from(["chain.p12", "leaf-enc.key", "leaf-trad-enc.key"]),
           st.text(st.characters(exclude_categories=("Cs",)), max_size=12).map(str.encode)
           | st.binary(max_size=12))
    def test_wrong_passwords(self, name: str, password: bytes) -> None:
        """An encrypted file opened with any password loads, or is refused as a bad password."""
        try:
            found = load_bytes(corpus().files[name], password=password)
        except CertchainError as exc:
            assert "password" in str(exc), exc
        else:
            assert password == PASSWORD
            assert found.keys


class TestFilesAndStreams:
    @examples(400)
    @given(corpus_file(), passwords)
    def test_load_file(
        self, scratch: Path, file: tuple[str, bytes], password: bytes | None
    ) -> None:
        """load_file reads a damaged file and loads it or refuses it naming the file."""
        name, data = file
        with fresh(scratch) as where:
            path = Path(where, name)
            path.write_bytes(data)
            try:
                assert_material(load_file(path, password=password))
            except CertchainError as exc:
                assert name in str(exc)
            except Exception:
                with library_outcome():
                    raise

    @examples(800)
    @given(corpus_file(), passwords, st.integers(64, 4096))
    def test_load_stream(self, file: tuple[str, bytes], password: bytes | None, limit: int) -> None:
        """load_stream reads standard input up to its limit and loads it, or refuses it."""
        with library_outcome():
            assert_material(load_stream(io.BytesIO(file[1]), password=password, limit=limit))

    @examples(300)
    @given(corpus_file(), passwords, st.booleans())
    def test_find_keys(
        self, scratch: Path, file: tuple[str, bytes], password: bytes | None, named: bool
    ) -> None:
        """A damaged key, named or found beside the certificate, is read or refused."""
        with fresh(scratch) as where:
            key = Path(where, "host.key")
            key.write_bytes(file[1])
            with library_outcome():
                if named:
                    find_keys(key, password=password)
                else:
                    find_keys(None, password=password, beside=Path(where, "host.crt"))


class TestTrustStore:
    @examples(250)
    @given(st.lists(corpus_file(intact=0.3), min_size=1, max_size=3), st.booleans())
    def test_store_from_paths(
        self, scratch: Path, files: list[tuple[str, bytes]], as_dir: bool
    ) -> None:
        """Damaged anchors, as files or a directory, make a store or a TrustStoreError."""
        with fresh(scratch) as where:
            paths = []
            for number, (name, data) in enumerate(files):
                path = Path(where, f"{number}-{name}")
                path.write_bytes(data)
                paths.append(path)
            with library_outcome():
                store = store_from_paths([Path(where)] if as_dir else paths)
                assert store.roots


def test_damage_changes_inputs() -> None:
    """The damage strategies do change their input (a sanity check of the generator)."""
    seen: set[bytes] = set()

    @examples(50)
    @given(damaged(corpus().files["chain.pem"]))
    def collect(data: bytes) -> None:
        seen.add(data)

    collect()
    assert len(seen) > 40
