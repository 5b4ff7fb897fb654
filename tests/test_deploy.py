"""
Deploying a chain: which files a server is configured with (``deploy.served_files``),
and the two writers that ``config`` uses (``write.combined_pem``, ``write.update_file``).
"""

from __future__ import annotations

import os
import shlex
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pki import PKI, T0, Hierarchy, hierarchy, key_pem, new_key

from certchain import LoadedKey, Policy, WriteError, load_bytes, load_file, store_from_paths
from certchain.deploy import served_files
from certchain.model import Format
from certchain.snippets import NO_KEY_NOTE, ServedFiles, jupyterhub
from certchain.verify import verify_chain
from certchain.write import chain_pem, combined_pem, update_file

CHAIN = Path("/srv/hub/hub-chained.crt")
PASSWORD = b"correct-horse-7731"


def only_key(path: Path, password: bytes | None = None) -> LoadedKey:
    """Load *path* and return the one private key in it."""
    (key,) = load_file(path, password=password).keys
    return key


def note_command(note: str) -> list[str]:
    """Return the words of the ``openssl ...`` command at the end of a key note."""
    return shlex.split(note[note.index("openssl ") :])


def handshake(server: ssl.SSLContext, client: ssl.SSLContext, hostname: str) -> None:
    """Complete a TLS handshake in memory (no socket) between *server* and *client*."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client_side = client.wrap_bio(c_in, c_out, server_hostname=hostname)
    server_side = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(20):
        for name, side in (("client", client_side), ("server", server_side)):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return
    raise AssertionError("the handshake did not finish")


@pytest.fixture
def leaf_key_file(tmp_path: Path, chain3: Hierarchy) -> Path:
    """The leaf's unencrypted PKCS#8 PEM key in ``tmp_path/host.key``."""
    path = tmp_path / "host.key"
    path.write_bytes(chain3.leaf.key_pem)
    return path


class TestServedFilesUsable:
    def test_no_key(self) -> None:
        """Without a key the served files name the chain only, with the default note."""
        files = served_files(CHAIN, None)

        assert ServedFiles(CHAIN, None, key_note=NO_KEY_NOTE, combined=None) == files

    def test_no_key_custom_note(self) -> None:
        """A caller's note replaces the default when there is no key."""
        files = served_files(CHAIN, None, no_key_note="pass --key")

        assert files.key is None
        assert "pass --key" == files.key_note

    def test_pem_key(self, leaf_key_file: Path) -> None:
        """An unencrypted PEM key is served from its own file."""
        files = served_files(CHAIN, only_key(leaf_key_file))

        assert ServedFiles(CHAIN, leaf_key_file, combined=None) == files

    def test_relative_key_path_becomes_absolute(
        self, leaf_key_file: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A key loaded through a relative path is served by its absolute path."""
        monkeypatch.chdir(leaf_key_file.parent)

        files = served_files(CHAIN, only_key(Path(leaf_key_file.name)))

        assert files.key is not None and files.key.is_absolute()
        assert leaf_key_file == files.key

    def test_key_inside_chain_file(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """A key in the same PEM file as the chain is served from that file."""
        both = tmp_path / "both.pem"
        both.write_bytes(chain3.leaf.pem + chain3.intermediate.pem + chain3.leaf.key_pem)

        files = served_files(both, only_key(both))

        assert both == files.key

    def test_traditional_rsa_key(self, tmp_path: Path) -> None:
        """A PKCS#1 ``RSA PRIVATE KEY`` PEM file is usable as it is."""
        path = tmp_path / "rsa.key"
        path.write_bytes(new_key("rsa").private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ))

        assert path == served_files(CHAIN, only_key(path)).key

    def test_combined_is_passed_through(self, leaf_key_file: Path) -> None:
        """The combined file given is kept in the result, next to the key file."""
        combined = Path("/srv/hub/hub.pem")

        files = served_files(CHAIN, only_key(leaf_key_file), combined=combined)

        assert ServedFiles(CHAIN, leaf_key_file, combined=combined) == files


class TestServedFilesUnusable:
    def test_pkcs12(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """A key inside PKCS#12 gives no key file and the openssl pkcs12 command."""
        path = tmp_path / "my bundle.pfx"
        path.write_bytes(pkcs12.serialize_key_and_certificates(
            b"hub", chain3.leaf.key, chain3.leaf.cert, [chain3.intermediate.cert],
            serialization.BestAvailableEncryption(PASSWORD),
        ))
        key = only_key(path, PASSWORD)
        assert key.source.format is Format.PKCS12

        files = served_files(CHAIN, key)

        assert files.key is None
        assert "PKCS#12" in files.key_note
        assert ["openssl", "pkcs12", "-in", str(path), "-nocerts", "-noenc", "-out",
                "host.key"] == note_command(files.key_note)

    def test_der(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """A DER key gives no key file and the openssl pkey -inform DER command."""
        path = tmp_path / "host key.der"
        path.write_bytes(chain3.leaf.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))
        key = only_key(path)
        assert key.source.format is Format.DER

        files = served_files(CHAIN, key)

        assert files.key is None
        assert "DER" in files.key_note
        assert ["openssl", "pkey", "-inform", "DER", "-in", str(path), "-out",
                "host.key"] == note_command(files.key_note)

    def test_encrypted_pem(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """An encrypted PEM key gives no key file and the openssl pkey command that decrypts it."""
        path = tmp_path / "O'Brien.key"
        path.write_bytes(key_pem(chain3.leaf.key, PASSWORD))
        key = only_key(path, PASSWORD)
        assert key.encrypted

        files = served_files(CHAIN, key)

        assert files.key is None
        assert "encrypted" in files.key_note
        assert ["openssl", "pkey", "-in", str(path), "-out", "host.key"] == (
            note_command(files.key_note)
        )

    def test_key_not_from_a_file(self, chain3: Hierarchy) -> None:
        """A key parsed from bytes (no path) gives no key file and says so."""
        (key,) = load_bytes(chain3.leaf.key_pem).keys

        files = served_files(CHAIN, key)

        assert files.key is None
        assert "not read from a file" in files.key_note

    @pytest.mark.parametrize("kind", ["pkcs12", "encrypted"])
    def test_combined_is_kept(self, tmp_path: Path, chain3: Hierarchy, kind: str) -> None:
        """The combined file is kept even when the key file is unusable."""
        path = tmp_path / "k"
        if kind == "pkcs12":
            path.write_bytes(pkcs12.serialize_key_and_certificates(
                b"hub", chain3.leaf.key, chain3.leaf.cert, None, serialization.NoEncryption(),
            ))
        else:
            path.write_bytes(key_pem(chain3.leaf.key, PASSWORD))
        combined = tmp_path / "hub.pem"

        files = served_files(CHAIN, only_key(path, PASSWORD), combined=combined)

        assert (None, combined) == (files.key, files.combined)

    def test_note_renders_as_one_comment(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """The note of an unusable key fits the jupyterhub snippet's comment line."""
        path = tmp_path / "odd\nname.key"
        path.write_bytes(key_pem(chain3.leaf.key, PASSWORD))

        text = jupyterhub(served_files(CHAIN, only_key(path, PASSWORD)))

        lines = text.splitlines()
        assert 2 == len(lines)
        assert lines[1].startswith("# c.JupyterHub.ssl_key = ...  (the key in ")


class TestCombinedPem:
    def test_chain_then_key(self, chain3: Hierarchy) -> None:
        """The bytes are the chain's PEM followed by the key's unencrypted PKCS#8 PEM."""
        chain = (chain3.leaf.cert, chain3.intermediate.cert)

        data = combined_pem(chain, chain3.leaf.key)

        assert data == chain_pem(chain) + key_pem(chain3.leaf.key)
        assert data.index(b"-----BEGIN CERTIFICATE-----") < data.index(b"-----BEGIN PRIVATE KEY")
        assert data.count(b"-----BEGIN ") == 3
        assert b"ENCRYPTED" not in data

    def test_reads_back(self, chain3: Hierarchy) -> None:
        """Parsing the bytes gives the same certificates in order and the same key."""
        chain = (chain3.leaf.cert, chain3.intermediate.cert, chain3.root.cert)

        data = combined_pem(chain, chain3.leaf.key)

        assert list(chain) == x509.load_pem_x509_certificates(data)
        key = serialization.load_pem_private_key(data, password=None)
        assert key.public_key() == chain3.leaf.key.public_key()

    def test_rsa_key_is_written_as_pkcs8(self, pki: PKI) -> None:
        """An RSA key comes out as ``BEGIN PRIVATE KEY`` (PKCS#8), not PKCS#1."""
        hier = hierarchy(pki, "hub.example.org", key=new_key("rsa"))

        data = combined_pem((hier.leaf.cert,), hier.leaf.key)

        assert b"-----BEGIN PRIVATE KEY-----" in data
        assert b"RSA PRIVATE KEY" not in data

    def test_loads_into_ssl_and_serves(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """A server loads the combined file alone and a client trusting only the root accepts it."""
        path = tmp_path / "hub.pem"
        chain = (chain3.leaf.cert, chain3.intermediate.cert)
        path.write_bytes(combined_pem(chain, chain3.leaf.key))
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(path)
        client = ssl.create_default_context(cadata=chain3.root.pem.decode())

        handshake(server, client, "hub.example.org")

    def test_without_intermediate_handshake_fails(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """The same handshake fails when the combined file lacks the intermediate."""
        path = tmp_path / "hub.pem"
        path.write_bytes(combined_pem((chain3.leaf.cert,), chain3.leaf.key))
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(path)
        client = ssl.create_default_context(cadata=chain3.root.pem.decode())

        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(server, client, "hub.example.org")

    def test_verifies_with_its_key(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """certchain's own verify finds the chain complete and the key matching."""
        root = chain3.root.write(tmp_path / "root.crt")
        data = combined_pem((chain3.leaf.cert, chain3.intermediate.cert), chain3.leaf.key)

        report = verify_chain(
            load_bytes(data),
            policy=Policy(store=store_from_paths([root]), at=T0),
        )

        assert report.ok, report.findings
        assert report.complete
        assert report.key is not None


class TestUpdateFile:
    def test_creates_missing_file(self, tmp_path: Path) -> None:
        """A missing file is created with mode 0644 and no backup is made."""
        path = tmp_path / "jupyterhub_config.py"
        backup = tmp_path / "jupyterhub_config.py.bak"
        old = os.umask(0o077)
        try:
            update_file(path, b"new\n", backup=backup)
        finally:
            os.umask(old)

        assert b"new\n" == path.read_bytes()
        assert 0o644 == stat.S_IMODE(path.stat().st_mode)
        assert not backup.exists()

    def test_replaces_and_backs_up(self, tmp_path: Path) -> None:
        """An existing file gets the new bytes; the backup holds the old bytes."""
        path = tmp_path / "c.py"
        path.write_bytes(b"old\r\n\xc3\xa9\n")
        backup = tmp_path / "c.py.bak"

        update_file(path, b"new\n", backup=backup)

        assert b"new\n" == path.read_bytes()
        assert b"old\r\n\xc3\xa9\n" == backup.read_bytes()

    @pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o755])
    def test_mode_is_preserved(self, tmp_path: Path, mode: int) -> None:
        """The file keeps its permissions, and the backup gets the same ones."""
        path = tmp_path / "c.py"
        path.write_bytes(b"old\n")
        path.chmod(mode)
        backup = tmp_path / "c.py.bak"

        update_file(path, b"new\n", backup=backup)

        assert mode == stat.S_IMODE(path.stat().st_mode)
        assert mode == stat.S_IMODE(backup.stat().st_mode)

    def test_older_backup_is_replaced(self, tmp_path: Path) -> None:
        """An existing backup is replaced by the file's previous content."""
        path = tmp_path / "c.py"
        path.write_bytes(b"second\n")
        backup = tmp_path / "c.py.bak"
        backup.write_bytes(b"first\n")

        update_file(path, b"third\n", backup=backup)

        assert (b"third\n", b"second\n") == (path.read_bytes(), backup.read_bytes())

    def test_without_backup(self, tmp_path: Path) -> None:
        """Without a backup path only the file changes, and no temporary file is left."""
        path = tmp_path / "c.py"
        path.write_bytes(b"old\n")

        update_file(path, b"new\n")

        assert b"new\n" == path.read_bytes()
        assert ["c.py"] == os.listdir(tmp_path)

    def test_no_temporary_files_left(self, tmp_path: Path) -> None:
        """After an update the folder holds the file and its backup, nothing else."""
        path = tmp_path / "c.py"
        path.write_bytes(b"old\n")

        update_file(path, b"new\n", backup=tmp_path / "c.py.bak")

        assert ["c.py", "c.py.bak"] == sorted(os.listdir(tmp_path))

    def test_missing_folder(self, tmp_path: Path) -> None:
        """A file in a missing folder raises WriteError naming the file."""
        path = tmp_path / "missing" / "c.py"

        with pytest.raises(WriteError, match=r"c\.py"):
            update_file(path, b"new\n")

