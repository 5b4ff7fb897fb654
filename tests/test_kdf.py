"""
Key derivation with a cost the file chooses (issue 9): a PKCS#12 file or an
encrypted PKCS#8 key that asks for more iterations, or more scrypt memory,
than the documented ceilings is refused before any password is tried.

Fixtures are real files written by ``openssl`` with ordinary parameters,
whose parameters are then rewritten in the DER, and files built by hand
with a small DER encoder.  Nothing here ever runs 2^31 iterations: the CLI
runs go through a subprocess with a timeout and a memory limit, so a
regression fails instead of hanging or eating the machine.
"""

from __future__ import annotations

import base64
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding
from pki import T0_ISO, Hierarchy, _der, _elements, key_pem

from certchain import LoadError, load_bytes, load_file
from certchain.cli import ExitCode, main
from certchain.pfx import (
    MAX_ITERATIONS,
    MAX_SCRYPT_MEMORY,
    Derivation,
    cost_objection,
    encryption_algorithms,
    pkcs8_derivation,
    pkcs12_derivations,
)

HUGE = 2**31
PASSWORD = b"kdf-secret-4471"
TIMEOUT = 30


def cli(*args: object) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess: a timeout and a 3 GiB address-space limit."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    return subprocess.run(
        [sys.executable, "-m", "certchain", *(str(a) for a in args), "--at", T0_ISO],
        capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=limit, check=False,
        stdin=subprocess.DEVNULL,
    )


# ------------------------------------------------------------ a DER encoder


def seq(*parts: bytes) -> bytes:
    return _der(0x30, b"".join(parts))


def integer(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def octets(data: bytes) -> bytes:
    return _der(0x04, data)


def explicit(*parts: bytes) -> bytes:
    return _der(0xA0, b"".join(parts))


def oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytes([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        while arc := arc >> 7:
            chunk.append(0x80 | (arc & 0x7F))
        body += bytes(reversed(chunk))
    return _der(0x06, body)


NULL = b"\x05\x00"
DATA = "1.2.840.113549.1.7.1"
AES256_CBC = seq(oid("2.16.840.1.101.3.4.1.42"), octets(b"\x01" * 16))


def pbkdf2(iterations: int) -> bytes:
    """A PBES2 AlgorithmIdentifier: PBKDF2-HMAC-SHA256 with *iterations*, AES-256-CBC."""
    params = seq(octets(b"saltsalt"), integer(iterations),
                 seq(oid("1.2.840.113549.2.9"), NULL))
    kdf = seq(oid("1.2.840.113549.1.5.12"), params)
    return seq(oid("1.2.840.113549.1.5.13"), seq(kdf, AES256_CBC))


def scrypt(n: int, r: int = 8, p: int = 1) -> bytes:
    """A PBES2 AlgorithmIdentifier: scrypt with N, r and p (RFC 7914), AES-256-CBC."""
    params = seq(octets(b"saltsalt"), integer(n), integer(r), integer(p))
    kdf = seq(oid("1.3.6.1.4.1.11591.4.11"), params)
    return seq(oid("1.2.840.113549.1.5.13"), seq(kdf, AES256_CBC))


def pkcs12_pbe(iterations: int) -> bytes:
    """pbeWithSHAAnd3-KeyTripleDES-CBC with *iterations* (RFC 7292 appendix C)."""
    return seq(oid("1.2.840.113549.1.12.1.3"), seq(octets(b"saltsalt"), integer(iterations)))


def encrypted_key(algorithm: bytes) -> bytes:
    """An EncryptedPrivateKeyInfo whose ciphertext is filler: never decrypted here."""
    return seq(algorithm, octets(b"\x00" * 48))


def pfx(cert: bytes, *, mac: int = 2048, key: bytes | None = None,
        contents: bytes | None = None) -> bytes:
    """
    A PKCS#12 file: *cert* in a plain bag, a shrouded key encrypted with *key*,
    encrypted contents with *contents*, and a MAC of *mac* iterations.
    """
    bags = [seq(oid("1.2.840.113549.1.12.10.1.3"), explicit(
        seq(oid("1.2.840.113549.1.9.22.1"), explicit(octets(cert)))
    ))]
    if key is not None:
        bags.append(seq(oid("1.2.840.113549.1.12.10.1.2"), explicit(encrypted_key(key))))
    infos = [seq(oid(DATA), explicit(octets(seq(*bags))))]
    if contents is not None:
        content_info = seq(oid(DATA), contents, _der(0x80, b"\x00" * 32))
        infos.append(seq(oid("1.2.840.113549.1.7.6"), explicit(seq(integer(0), content_info))))
    mac_data = seq(seq(seq(oid("2.16.840.1.101.3.4.2.1"), NULL), octets(b"\x00" * 32)),
                   octets(b"saltsalt"), integer(mac))
    return seq(integer(3), seq(oid(DATA), explicit(octets(seq(*infos)))), mac_data)


def with_mac_iterations(p12: bytes, iterations: int) -> bytes:
    """Real PKCS#12 *p12* with its MacData's iteration count replaced."""
    version, auth_safe, mac_data = _elements(p12)
    digest, salt, _ = _elements(mac_data)
    return seq(version, auth_safe, seq(digest, salt, integer(iterations)))


def with_kdf(info: bytes, params: list[bytes]) -> bytes:
    """Real EncryptedPrivateKeyInfo *info* (PBES2) with its KDF's parameters replaced."""
    algorithm, ciphertext = _elements(info)
    pbes2_oid, pbes2_params = _elements(algorithm)
    kdf, scheme = _elements(pbes2_params)
    kdf_oid, _ = _elements(kdf)
    return seq(seq(pbes2_oid, seq(seq(kdf_oid, seq(*params)), scheme)), ciphertext)


def kdf_params(info: bytes) -> list[bytes]:
    """The KDF parameters of a real EncryptedPrivateKeyInfo (PBES2), as elements."""
    algorithm, _ = _elements(info)
    _, pbes2_params = _elements(algorithm)
    kdf, _ = _elements(pbes2_params)
    _, params = _elements(kdf)
    return _elements(params)


def pem_key(der: bytes) -> bytes:
    return (b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + base64.encodebytes(der)
            + b"-----END ENCRYPTED PRIVATE KEY-----\n")


def openssl(*args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["openssl", *args], input=data, capture_output=True,
                          check=True).stdout


# ------------------------------------------------------------ fixtures


@pytest.fixture
def site(tmp_path: Path, chain3: Hierarchy) -> Path:
    """hub.crt, hub.key (plain), root.crt and pw (the password, with its newline)."""
    chain3.leaf.write(tmp_path / "hub.crt")
    (tmp_path / "hub.key").write_bytes(key_pem(chain3.leaf.key))
    chain3.root.write(tmp_path / "root.crt")
    (tmp_path / "pw").write_bytes(PASSWORD + b"\n")
    return tmp_path


@pytest.fixture
def real_p12(site: Path) -> bytes:
    """A PKCS#12 file openssl wrote with an empty password (no password needed)."""
    return openssl("pkcs12", "-export", "-in", str(site / "hub.crt"), "-inkey",
                   str(site / "hub.key"), "-passout", "pass:", "-iter", "2048")


@pytest.fixture
def real_pkcs8(site: Path) -> bytes:
    """hub.key encrypted by openssl: PBES2, PBKDF2 (2,048 iterations), AES-256-CBC, DER."""
    return openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-iter", "2048", "-outform",
                   "DER", "-in", str(site / "hub.key"), "-passout", f"pass:{PASSWORD.decode()}")


@pytest.fixture
def real_scrypt(site: Path) -> bytes:
    """hub.key encrypted by openssl with scrypt (N = 1,024, r = 8, p = 1), DER."""
    return openssl("pkcs8", "-topk8", "-scrypt", "-scrypt_N", "1024", "-scrypt_r", "8",
                   "-scrypt_p", "1", "-outform", "DER", "-in", str(site / "hub.key"),
                   "-passout", f"pass:{PASSWORD.decode()}")


@pytest.fixture
def no_decryption(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if cryptography is asked to open a PKCS#12 file or a key."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a key derivation was started")

    for name in ("load_pkcs12", "load_pem_private_key", "load_der_private_key"):
        monkeypatch.setattr(f"certchain.keyload.{name}" if name != "load_pkcs12"
                            else "certchain.keyload.pkcs12.load_pkcs12", refuse)


# ------------------------------------------------------------ PKCS#12


class TestPkcs12:
    def test_mac_cli(self, site: Path, real_p12: bytes) -> None:
        """A real PKCS#12 with 2^31 MAC iterations, no password needed: exit 2 at once."""
        path = site / "hub.p12"
        path.write_bytes(with_mac_iterations(real_p12, HUGE))

        result = cli("inspect", path)

        assert result.returncode == ExitCode.BAD_INPUT
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"Error: {path}: its MAC asks for 2,147,483,648 key-derivation "
                               "iterations, more than certchain's ceiling of 10,000,000")
        assert "before any password was tried" in line

    def test_mac_library(self, site: Path, real_p12: bytes, no_decryption: None) -> None:
        """load_file refuses it without asking cryptography to open it."""
        path = site / "hub.p12"
        path.write_bytes(with_mac_iterations(real_p12, HUGE))

        with pytest.raises(LoadError, match="its MAC asks for 2,147,483,648") as info:
            load_file(path)

        assert info.value.path == path

    def test_real_file_still_opens(self, site: Path, real_p12: bytes,
                                   chain3: Hierarchy) -> None:
        """The same file with its 2,048 iterations opens, without a password."""
        (cert,) = load_bytes(real_p12).certs

        assert cert.cert == chain3.leaf.cert

    def test_shrouded_key(self, chain3: Hierarchy, no_decryption: None) -> None:
        """A shrouded key bag with PBKDF2 at 2^31 is refused, naming the key."""
        data = pfx(chain3.leaf.cert.public_bytes(Encoding.DER), key=pbkdf2(HUGE))

        with pytest.raises(LoadError, match="its encrypted key 1 asks for 2,147,483,648"):
            load_bytes(data, password=PASSWORD)

    def test_encrypted_contents(self, chain3: Hierarchy, no_decryption: None) -> None:
        """Encrypted contents with a PKCS#12 PBE at 2^31 are refused, naming them."""
        data = pfx(chain3.leaf.cert.public_bytes(Encoding.DER), contents=pkcs12_pbe(HUGE))

        with pytest.raises(LoadError, match="its encrypted contents 1 asks for 2,147,483,648"):
            load_bytes(data)

    def test_scrypt_key(self, chain3: Hierarchy, no_decryption: None) -> None:
        """A shrouded key with scrypt at N = 2^22 (4 GiB) is refused, naming the memory."""
        data = pfx(chain3.leaf.cert.public_bytes(Encoding.DER), key=scrypt(2**22))

        with pytest.raises(LoadError, match=r"asks scrypt for 4,096 MiB of memory \(N = 4,194"):
            load_bytes(data)

    def test_derivations_add_up(self, chain3: Hierarchy, no_decryption: None) -> None:
        """Three parts of 4 million iterations each pass one by one, not together."""
        data = pfx(chain3.leaf.cert.public_bytes(Encoding.DER), mac=4_000_000,
                   key=pbkdf2(4_000_000), contents=pkcs12_pbe(4_000_000))

        with pytest.raises(LoadError, match="3 key derivations ask for 12,000,000 iterations"):
            load_bytes(data)

    def test_indefinite_lengths(self, chain3: Hierarchy, no_decryption: None) -> None:
        """BER's indefinite lengths (OpenSSL reads them) do not hide the MAC from the check."""
        der = pfx(chain3.leaf.cert.public_bytes(Encoding.DER), mac=HUGE)
        version, auth_safe, mac_data = _elements(der)
        ber = b"\x30\x80" + version + auth_safe + mac_data + b"\x00\x00"

        with pytest.raises(LoadError, match="its MAC asks for 2,147,483,648"):
            load_bytes(ber)

    def test_pbmac1(self) -> None:
        """A PBMAC1 MAC (RFC 9579) counts its PBKDF2 iterations, not the MacData field."""
        pbmac1 = seq(oid("1.2.840.113549.1.5.14"), seq(
            seq(oid("1.2.840.113549.1.5.12"), seq(octets(b"saltsalt"), integer(HUGE))),
            seq(oid("1.2.840.113549.2.9"), NULL),
        ))
        data = pfx(b"\x30\x00", mac=1)
        version, auth_safe, mac_data = _elements(data)
        _, salt, count = _elements(mac_data)
        data = seq(version, auth_safe, seq(seq(pbmac1, octets(b"\x00" * 32)), salt, count))

        assert pkcs12_derivations(data)[0] == Derivation("its MAC", HUGE)

    def test_nesting_is_bounded(self, chain3: Hierarchy) -> None:
        """Safe contents nested 1,000 deep are a LoadError, not a RecursionError."""
        bag = seq(oid("1.2.840.113549.1.12.10.1.3"), explicit(b""))
        for _ in range(1000):
            bag = seq(oid("1.2.840.113549.1.12.10.1.6"), explicit(seq(bag)))
        data = seq(integer(3), seq(oid(DATA), explicit(octets(seq(
            seq(oid(DATA), explicit(octets(seq(bag))))
        )))))

        with pytest.raises(LoadError, match="structure cannot be read"):
            load_bytes(data)

    def test_damaged_file(self, real_p12: bytes) -> None:
        """A truncated PKCS#12 file is damaged, not a file asking for a password."""
        with pytest.raises(LoadError, match="PKCS#12 file whose structure cannot be read"):
            load_bytes(real_p12[:-40], source=Path("cut.p12"))

    def test_legacy_detection_unchanged(self, real_p12: bytes) -> None:
        """The same walker still reads the ciphers (openssl 3's default is AES-256-CBC)."""
        assert encryption_algorithms(real_p12) == {"2.16.840.1.101.3.4.1.42"}


# ------------------------------------------------------------ PKCS#8


class TestPkcs8:
    def test_pbkdf2_cli(self, site: Path, real_pkcs8: bytes) -> None:
        """A real encrypted key rewritten to 2^31 PBKDF2 iterations: exit 2 at once, naming it."""
        params = kdf_params(real_pkcs8)
        params[1] = integer(HUGE)
        key = site / "hub.key"
        key.write_bytes(pem_key(with_kdf(real_pkcs8, params)))

        result = cli("verify", site / "hub.crt", "--key", key, "--password-file", site / "pw")

        assert result.returncode == ExitCode.BAD_INPUT
        assert result.stderr.startswith(
            f"Error: {key} (block 1): the key asks for 2,147,483,648 key-derivation iterations"
        )

    def test_scrypt_cli(self, site: Path, real_scrypt: bytes) -> None:
        """A real scrypt key rewritten to N = 2^22 (4 GiB): exit 2 at once, naming the memory."""
        params = kdf_params(real_scrypt)
        params[1] = integer(2**22)
        key = site / "hub.key"
        key.write_bytes(with_kdf(real_scrypt, params))  # DER

        result = cli("verify", site / "hub.crt", "--key", key, "--password-file", site / "pw")

        assert result.returncode == ExitCode.BAD_INPUT
        assert f"Error: {key}: the key asks scrypt for 4,096 MiB of memory" in result.stderr

    def test_library(self, real_pkcs8: bytes, no_decryption: None) -> None:
        """load_bytes with a password refuses the costly key before cryptography sees it."""
        params = kdf_params(real_pkcs8)
        params[1] = integer(HUGE)
        data = pem_key(with_kdf(real_pkcs8, params))

        with pytest.raises(LoadError, match=r"^k.pem \(block 1\): the key asks for 2,147"):
            load_bytes(data, source=Path("k.pem"), password=PASSWORD)

    def test_real_keys_still_open(self, real_pkcs8: bytes, real_scrypt: bytes,
                                  chain3: Hierarchy) -> None:
        """The keys openssl wrote open with their password."""
        for der in (real_pkcs8, real_scrypt):
            (key,) = load_bytes(der, password=PASSWORD).keys
            assert key.key.public_key() == chain3.leaf.key.public_key()

    def test_without_password_nothing_is_derived(self, site: Path,
                                                 runner: CliRunner) -> None:
        """Without a password cryptography derives nothing: inspect lists the key as encrypted."""
        key = site / "enc.key"
        key.write_bytes(pem_key(encrypted_key(pbkdf2(HUGE))))

        result = runner.invoke(main, ["inspect", str(key), "--at", T0_ISO])

        assert result.exit_code == ExitCode.OK, result.output
        assert "encrypted" in result.stdout

    def test_derivation_read(self, real_pkcs8: bytes, real_scrypt: bytes) -> None:
        """pkcs8_derivation reads PBKDF2's count and scrypt's N, r, p; None for a plain key."""
        assert pkcs8_derivation(real_pkcs8) == Derivation("the key", 2048)
        assert pkcs8_derivation(real_scrypt) == Derivation("the key", scrypt=(1024, 8, 1))
        assert pkcs8_derivation(b"\x30\x03\x02\x01\x00") is None


# ------------------------------------------------------------ the ceilings


class TestCeilings:
    def test_iterations_boundary(self) -> None:
        """MAX_ITERATIONS passes; one more is refused."""
        assert cost_objection([Derivation("x", MAX_ITERATIONS)]) is None
        assert cost_objection([Derivation("x", MAX_ITERATIONS + 1)]) is not None

    def test_what_tools_write(self) -> None:
        """OpenSSL's 2,048, Windows' 2,000, Java's 10,000 and 600,000, on three parts, pass."""
        for count in (2_000, 2_048, 10_000, 600_000):
            assert cost_objection([Derivation(p, count) for p in "abc"]) is None

    def test_scrypt_boundary(self) -> None:
        """N = 2^18, r = 8 (256 MiB) passes; N = 2^19 is refused; p multiplies the work."""
        assert cost_objection([Derivation("k", scrypt=(2**18, 8, 1))]) is None
        assert cost_objection([Derivation("k", scrypt=(2**19, 8, 1))]) is not None
        assert cost_objection([Derivation("k", scrypt=(2**18, 8, 2))]) is None
        assert cost_objection([Derivation("k", scrypt=(2**18, 8, 3))]) is not None
        assert MAX_SCRYPT_MEMORY == 128 * 2**18 * 8


class TestHiddenDerivations:
    """A key inside contents encrypted as a whole is opened in a child that is stopped in time."""

    @staticmethod
    def p12(chain3: Hierarchy, rounds: int) -> bytes:
        from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

        encryption = (
            PrivateFormat.PKCS12.encryption_builder().kdf_rounds(rounds)
            .build(b"pw")
        )
        return pkcs12.serialize_key_and_certificates(
            b"hub", chain3.leaf.key, chain3.leaf.cert, [chain3.intermediate.cert], encryption
        )

    def test_opened_as_in_process(self, chain3: Hierarchy) -> None:
        """Opened in the bounded child, the file gives the same key and certificates."""
        from certchain.pfx import hides_contents, pkcs12_derivations

        data = self.p12(chain3, 2048)
        assert hides_contents(pkcs12_derivations(data))

        material = load_bytes(data, password=b"pw")

        assert [c.cert for c in material.certs] == [chain3.leaf.cert, chain3.intermediate.cert]
        assert material.keys[0].key.private_numbers() == chain3.leaf.key.private_numbers()

    def test_wrong_password_is_still_a_wrong_password(self, chain3: Hierarchy) -> None:
        """The child's answer keeps the wrong-password error a wrong-password error."""
        with pytest.raises(LoadError, match="password does not decrypt"):
            load_bytes(self.p12(chain3, 2048), password=b"nope")

    def test_a_slow_file_is_stopped(
        self, chain3: Hierarchy, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Past the time limit the child is killed and the file refused, naming the limit."""
        import time

        from certchain import keyload

        monkeypatch.setattr(keyload, "PKCS12_SECONDS", 0.05)
        data = self.p12(chain3, 2_000_000)  # within the ceiling, but slower than 50 ms
        start = time.monotonic()
        with pytest.raises(LoadError, match="took longer than 0.05 s to open"):
            load_bytes(data, password=b"pw")
        assert time.monotonic() - start < 2.0
