"""Tests for certchain.trust: certifi's roots and the anchors users name (fail closed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import certifi
import pytest
from conftest import testdata
from cryptography import x509
from pki import PKI, Hierarchy, hierarchy
from trustkit import as_system_store, no_system_store  # noqa: F401  # a fixture

from certchain import (
    CertchainError,
    LoadError,
    TrustStoreError,
    certifi_store,
    load_file,
    store_from_paths,
    store_from_specs,
    system_store,
)

# conftest's helper is named like a test; without this pytest collects it here.
testdata.__test__ = False  # type: ignore[attr-defined]


def formats(name: str) -> Path:
    """Return the path of a fixture in testdata/formats."""
    return testdata("formats", name)


def _certs(path: Path) -> list[x509.Certificate]:
    """Read every certificate in the PEM file *path* with cryptography directly."""
    return x509.load_pem_x509_certificates(path.read_bytes())


@pytest.fixture(scope="module")
def h() -> Hierarchy:
    """A generated root -> intermediate -> leaf hierarchy."""
    return hierarchy(PKI(), "hub.example.org")


def assert_fails_closed(paths: list[Path], *fragments: str) -> TrustStoreError:
    """Assert store_from_paths raises a one-line TrustStoreError holding *fragments*."""
    with pytest.raises(TrustStoreError) as info:
        store_from_paths(paths)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message
    assert "\n" not in message
    return info.value


class TestCertifiStore:
    """certifi_store() reads the Mozilla roots certifi ships."""

    def test_many_roots(self) -> None:
        """certifi's bundle holds well over a hundred roots."""
        store = certifi_store()

        assert len(store.roots) > 100
        assert all(isinstance(r, x509.Certificate) for r in store.roots)

    def test_origin_names_certifi(self) -> None:
        """The origin says the roots came from certifi, with its version."""
        store = certifi_store()

        assert "certifi" in store.origin
        assert certifi.__version__ in store.origin

    def test_not_explicit(self) -> None:
        """The default store is not one the user named."""
        assert certifi_store().explicit is False

    def test_matches_certifi_bundle(self) -> None:
        """The store holds one root per certificate block in certifi's PEM file."""
        store = certifi_store()

        assert len(store.roots) == Path(certifi.where()).read_bytes().count(
            b"-----BEGIN CERTIFICATE-----"
        )


class TestStoreFromPaths:
    """store_from_paths() builds a store from files and directories, failing closed."""

    def test_pem_bundle(self) -> None:
        """A PEM bundle contributes every certificate in file order."""
        path = formats("fullchain-shuffled.pem")

        store = store_from_paths([path])

        assert _certs(path) == list(store.roots)
        assert store.explicit is True
        assert str(path) in store.origin

    @pytest.mark.parametrize("name", ["trusted.pem", "chain.p7b", "chain-der.p7b", "leaf.der"])
    def test_other_formats(self, name: str) -> None:
        """Anything load_file reads as certificates also works as trust anchors."""
        store = store_from_paths([formats(name)])

        assert [c.cert for c in load_file(formats(name)).certs] == list(store.roots)

    def test_several_paths(self, tmp_path: Path, h: Hierarchy) -> None:
        """Several paths contribute in order and all appear in the origin."""
        first = h.root.write(tmp_path / "a.pem")
        second = h.intermediate.write(tmp_path / "b.pem")

        store = store_from_paths([first, second])

        assert [h.root.cert, h.intermediate.cert] == list(store.roots)
        assert str(first) in store.origin
        assert str(second) in store.origin

    def test_directory(self, tmp_path: Path, h: Hierarchy) -> None:
        """A directory contributes its certificate files, skipping READMEs, junk and subdirs."""
        h.root.write(tmp_path / "root.pem")
        h.intermediate.write(tmp_path / "other.crt")
        (tmp_path / "README").write_text("These are the roots we trust.\n")
        # c_rehash-style name holding something that is not a certificate.
        (tmp_path / "5ad8a5d6.0").write_bytes(formats("junk.bin").read_bytes())
        (tmp_path / "nested").mkdir()
        h.leaf.write(tmp_path / "nested" / "leaf.pem")

        store = store_from_paths([tmp_path])

        # Files are read in sorted name order: other.crt, then root.pem.
        assert [h.intermediate.cert, h.root.cert] == list(store.roots)
        assert store.explicit is True
        assert str(tmp_path) in store.origin

    def test_directory_hash_link_with_certificate(self, tmp_path: Path, h: Hierarchy) -> None:
        """A file without a certificate suffix that does hold a certificate is used."""
        h.root.write(tmp_path / "a1b2c3d4.0")

        assert [h.root.cert] == list(store_from_paths([tmp_path]).roots)

    def test_empty_list(self) -> None:
        """No paths at all is an error, not an empty store."""
        assert_fails_closed([], "empty")

    def test_missing_file(self, tmp_path: Path) -> None:
        """A path that does not exist fails closed and names it."""
        path = tmp_path / "roots.pem"

        assert_fails_closed([path], str(path))

    @pytest.mark.parametrize(
        ("name", "fragment"),
        [
            ("empty.crt", "is empty"),
            ("junk.bin", "unrecognised binary data"),
            ("text.txt", "holds no PEM block"),
            ("truncated.pem", "no END line"),
            ("corrupt-base64.pem", "not valid base64"),
            ("csr.pem", "CERTIFICATE REQUEST"),
        ],
    )
    def test_bad_file(self, name: str, fragment: str) -> None:
        """An empty, corrupt or wrong file fails closed with the loader's reason."""
        error = assert_fails_closed([formats(name)], str(formats(name)), fragment)

        assert isinstance(error.__cause__, LoadError)

    def test_corrupt_file_names_block(self) -> None:
        """A corrupt PEM trust file's error names the block."""
        assert_fails_closed([formats("corrupt-base64.pem")], "(block 1)")

    def test_key_only_file(self) -> None:
        """A file holding a key but no certificate fails closed."""
        assert_fails_closed([formats("rsa-traditional.key")], "holds no certificate")

    def test_encrypted_pkcs12(self) -> None:
        """A password-protected PKCS#12 file fails closed: trust inputs take no password."""
        assert_fails_closed([formats("bundle.pfx")], "needs a password")

    def test_one_bad_path_among_good(self, h: Hierarchy, tmp_path: Path) -> None:
        """One bad path fails the whole store rather than being dropped."""
        good = h.root.write(tmp_path / "root.pem")

        assert_fails_closed([good, formats("junk.bin")], str(formats("junk.bin")))

    def test_empty_directory(self, tmp_path: Path) -> None:
        """A directory without files fails closed."""
        assert_fails_closed([tmp_path], str(tmp_path), "holds no certificate")

    def test_directory_of_non_certificates(self, tmp_path: Path) -> None:
        """A directory holding only READMEs and junk fails closed."""
        (tmp_path / "README.md").write_text("nothing here\n")
        shutil.copyfile(formats("junk.bin"), tmp_path / "deadbeef.0")

        assert_fails_closed([tmp_path], str(tmp_path), "holds no certificate")

    @pytest.mark.parametrize(
        "name", ["bad.pem", "bad.crt", "bad.cer", "BAD.PEM"]
    )
    def test_directory_with_corrupt_certificate_file(
        self, tmp_path: Path, h: Hierarchy, name: str
    ) -> None:
        """A corrupt file with a certificate suffix in a directory fails closed."""
        h.root.write(tmp_path / "root.pem")
        shutil.copyfile(formats("corrupt-base64.pem"), tmp_path / name)

        assert_fails_closed([tmp_path], str(tmp_path / name))

    def test_directory_with_empty_certificate_file(self, tmp_path: Path, h: Hierarchy) -> None:
        """An empty .crt file in a trust directory fails closed."""
        h.root.write(tmp_path / "root.pem")
        (tmp_path / "empty.crt").write_bytes(b"")

        assert_fails_closed([tmp_path], str(tmp_path / "empty.crt"), "is empty")

    def test_directory_with_key_only_pem(self, tmp_path: Path, h: Hierarchy) -> None:
        """A .pem in a trust directory that holds only a key fails closed."""
        h.root.write(tmp_path / "root.pem")
        (tmp_path / "server.pem").write_bytes(h.leaf.key_pem)

        assert_fails_closed([tmp_path], str(tmp_path / "server.pem"), "holds no certificate")

    def test_errors_are_certchain_errors(self) -> None:
        """TrustStoreError is a CertchainError, so the CLI maps it to exit code 2."""
        assert issubclass(TrustStoreError, CertchainError)


@pytest.fixture
def system_bundle(tmp_path: Path, h: Hierarchy, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make this module's test root the system store."""
    return as_system_store(monkeypatch, tmp_path, h.root)


class TestSystemStore:
    """system_store() reads the operating system's bundle where Python's ssl finds it."""

    def test_ssl_cert_file(self, system_bundle: Path, h: Hierarchy) -> None:
        """$SSL_CERT_FILE names the bundle, as OpenSSL and Python's ssl read it."""
        store = system_store()

        assert [h.root.cert] == list(store.roots)
        assert store.origin.startswith("system (")
        assert str(system_bundle) in store.origin
        assert store.explicit is False

    def test_hashed_folder(
        self, system_bundle: Path, h: Hierarchy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """In $SSL_CERT_DIR only the files named by subject hash count, as OpenSSL reads them."""
        folder = tmp_path / "hashed"
        folder.mkdir()
        h.intermediate.write(folder / "0a1b2c3d.0")
        h.leaf.write(folder / "not-hashed.pem")  # OpenSSL never looks it up
        (folder / "0a1b2c3d.r0").write_text("a CRL's name\n")
        monkeypatch.setenv("SSL_CERT_DIR", str(folder))

        store = system_store()

        assert [h.root.cert, h.intermediate.cert] == list(store.roots)

    @pytest.mark.usefixtures("no_system_store")
    def test_usual_bundle_when_ssl_names_none(self, h: Hierarchy, tmp_path: Path) -> None:
        """Where Python's ssl names no existing place, the usual distribution bundle is read."""
        h.root.write(tmp_path / "ca-certificates.crt")

        store = system_store()

        assert [h.root.cert] == list(store.roots)
        assert str(tmp_path / "ca-certificates.crt") in store.origin

    @pytest.mark.usefixtures("no_system_store")
    def test_none_found(self) -> None:
        """No system store anywhere is a one-line error naming the places tried."""
        with pytest.raises(TrustStoreError) as info:
            system_store()

        assert "no system trust store was found" in str(info.value)
        assert "ca-certificates.crt" in str(info.value)
        assert "\n" not in str(info.value)

    @pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
    def test_variable_naming_nothing(
        self, system_bundle: Path, variable: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """A variable that names nothing fails closed, never a silent fallback."""
        monkeypatch.setenv(variable, str(tmp_path / "gone"))

        with pytest.raises(TrustStoreError) as info:
            system_store()

        assert f"${variable} names {tmp_path / 'gone'}" in str(info.value)

    def test_real_machine(self) -> None:
        """On this machine (as CI's Debian), the system store holds roots."""
        try:
            store = system_store()
        except TrustStoreError as exc:
            pytest.skip(f"this machine has no system store: {exc}")
        assert store.roots


class TestStoreFromSpecs:
    """store_from_specs() merges named stores and paths into one explicit store."""

    def test_merges_certifi_and_a_path(self, tmp_path: Path, h: Hierarchy) -> None:
        """certifi and a private root together: every root of both, the names kept."""
        root = h.root.write(tmp_path / "private.pem")

        store = store_from_specs(["certifi", root])

        assert h.root.cert in store.roots
        assert set(certifi_store().roots) <= set(store.roots)
        assert store.explicit is True
        assert store.named == ("certifi",)
        assert store.paths == (root,)
        assert "certifi" in store.origin and str(root) in store.origin

    def test_merges_system(self, system_bundle: Path, h: Hierarchy, tmp_path: Path) -> None:
        """system and a path merge, a root found in both kept once."""
        again = h.root.write(tmp_path / "again.pem")

        store = store_from_specs(["system", again])

        assert [h.root.cert] == list(store.roots)
        assert store.named == ("system",)

    def test_path_named_like_a_store(self, tmp_path: Path, h: Hierarchy) -> None:
        """A Path called "system" is a file, never the system store."""
        path = h.intermediate.write(tmp_path / "system")

        store = store_from_specs([path])

        assert [h.intermediate.cert] == list(store.roots)
        assert store.named == ()

    @pytest.mark.usefixtures("no_system_store")
    def test_system_missing(self) -> None:
        """The system store named where there is none fails closed."""
        with pytest.raises(TrustStoreError, match="no system trust store"):
            store_from_specs(["certifi", "system"])

    def test_empty(self) -> None:
        """No store at all is an error, not an empty store."""
        with pytest.raises(TrustStoreError, match="empty"):
            store_from_specs([])
