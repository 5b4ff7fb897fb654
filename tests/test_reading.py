"""
Reading what strangers hand over (issue 9): regular files only, bounded in
bytes and in items, memory that follows the certificates kept, damaged
certificates refused at load, and a configuration with a byte order mark.

FIFOs, devices and huge files would hang or exhaust the machine if a check
regressed, so the CLI runs that meet them go through a real subprocess with
a timeout and a memory limit (:func:`cli`): a regression fails, never hangs.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from pki import T0, T0_ISO, Hierarchy, damaged_name, key_pem, pem

from certchain import LoadError, load_bytes, load_file, store_from_paths
from certchain.cli import ExitCode, main
from certchain.doctor import doctor_config
from certchain.errors import InputTooLarge, TooManyItems, TrustStoreError
from certchain.findings import Code
from certchain.jhconfig import parse_settings, set_ssl
from certchain.load import load_stream
from certchain.policy import Policy
from certchain.reading import MAX_INPUT_SIZE, limits, read_config, read_file
from certchain.trust import certifi_store

MIB = 1024 * 1024
# A run that regresses into reading /dev/zero or a FIFO is stopped by these.
TIMEOUT = 30
MEMORY_LIMIT = 3 << 30


def cli(*args: object, stdin: Any = subprocess.DEVNULL, timeout: float = TIMEOUT,
        ) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, with a timeout and a 3 GiB address-space limit."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [sys.executable, "-m", "certchain", *(str(a) for a in args)],
        stdin=stdin, capture_output=True, text=True, timeout=timeout,
        preexec_fn=limit, check=False,
    )


class Blocked(BaseException):
    """Still blocked at the deadline (no ``except Exception`` or OSError handler takes it)."""


@contextmanager
def deadline(seconds: float = 10) -> Iterator[None]:
    """Raise :class:`Blocked` in the block after *seconds*: an in-process test cannot hang."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise Blocked(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_LOAD = """
import sys
from pathlib import Path
from certchain import LoadError, load_file
try:
    load_file(Path(sys.argv[1]))
except LoadError as exc:
    print(exc)
"""


def load_elsewhere(path: Path | str) -> str:
    """load_file(*path*) in a subprocess with a timeout and a memory limit: the error it raised."""
    result = subprocess.run(
        [sys.executable, "-c", _LOAD, str(path)], capture_output=True, text=True,
        timeout=TIMEOUT, check=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT)),
    )
    return result.stdout.strip()


def run(runner: CliRunner, *args: object, **kwargs: Any) -> Result:
    """Run certchain in process with *args* and ``--at T0``."""
    return runner.invoke(main, [*(str(a) for a in args), "--at", T0_ISO], **kwargs)


@pytest.fixture
def site(tmp_path: Path, chain3: Hierarchy) -> Path:
    """hub.crt (leaf and intermediate), hub.key, root.crt and a FIFO, in one folder."""
    (tmp_path / "hub.crt").write_bytes(chain3.leaf.pem + chain3.intermediate.pem)
    (tmp_path / "hub.key").write_bytes(key_pem(chain3.leaf.key))
    chain3.root.write(tmp_path / "root.crt")
    os.mkfifo(tmp_path / "fifo")
    return tmp_path


@pytest.fixture
def sparse(tmp_path: Path) -> Path:
    """A 16 GiB sparse file, made with truncate (it takes no disk space)."""
    path = tmp_path / "sparse.crt"
    subprocess.run(["truncate", "-s", "16G", str(path)], check=True)
    return path


# ------------------------------------------------------------ regular files


class TestRegularFilesOnly:
    def test_library_fifo(self, site: Path) -> None:
        """load_file refuses a FIFO from its stat, naming it, without waiting for a writer."""
        with deadline(), pytest.raises(LoadError) as info:
            load_file(site / "fifo")

        assert info.value.path == site / "fifo"
        assert "is a named pipe (FIFO), not a regular file" in str(info.value)

    @pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
    def test_library_device(self, device: str) -> None:
        """load_file refuses a device unread (run apart: a regression would read for ever)."""
        assert load_elsewhere(device) == (
            f"{device}: is a device, not a regular file: certchain reads regular files only."
        )

    def test_library_folder(self, site: Path) -> None:
        """load_file says a folder is a folder."""
        with pytest.raises(LoadError, match="is a directory, not a file"):
            load_file(site)

    def test_socket_is_refused(self, tmp_path: Path) -> None:
        """A UNIX socket is refused as a socket."""
        import socket

        path = tmp_path / "sock"
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(path))
            with pytest.raises(LoadError, match="is a socket"):
                load_file(path)

    @pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/urandom"])
    def test_verify_refuses(self, site: Path, kind: str) -> None:
        """verify of a FIFO or a device answers at once: one Error line, exit 2."""
        path = site / "fifo" if kind == "fifo" else kind

        result = cli("verify", path, "--at", T0_ISO)

        assert result.returncode == ExitCode.BAD_INPUT
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"Error: {path}: is a ")
        assert "regular files only" in line

    def test_sparse_file_is_refused_by_its_size(self, sparse: Path) -> None:
        """A 16 GiB sparse file is refused from its size, unread, naming the limit and option."""
        started = time.monotonic()

        result = cli("verify", sparse, "--at", T0_ISO)

        assert result.returncode == ExitCode.BAD_INPUT
        assert time.monotonic() - started < 10
        assert "is larger than 50 MiB" in result.stderr
        assert "--max-input-size SIZE raises it" in result.stderr

    def test_stdin_stays_allowed(self, site: Path) -> None:
        """'-' still reads standard input (a pipe), where verify takes it."""
        with (site / "hub.crt").open("rb") as stdin:
            result = cli("verify", "-", "--trust", site / "root.crt", "--at", T0_ISO,
                         "--json", stdin=stdin)

        assert result.returncode == ExitCode.OK, result.stderr
        assert json.loads(result.stdout)["file"] == "-"

    def test_stdin_from_dev_zero_is_bounded(self) -> None:
        """`verify - < /dev/zero` stops one byte past the cap: exit 2, naming the limit."""
        with open("/dev/zero", "rb") as stdin:
            result = cli("verify", "-", "--at", T0_ISO, "--max-input-size", "1M", stdin=stdin)

        assert result.returncode == ExitCode.BAD_INPUT
        assert "<stdin>: holds more than 1 MiB" in result.stderr

    def test_key_fifo(self, site: Path) -> None:
        """--key naming a FIFO is an Error line, not a hang."""
        result = cli("verify", site / "hub.crt", "--key", site / "fifo", "--at", T0_ISO)

        assert result.returncode == ExitCode.BAD_INPUT
        assert f"{site / 'fifo'}: is a named pipe" in result.stderr

    @pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
    def test_password_file(self, site: Path, kind: str) -> None:
        """--password-file naming a FIFO or /dev/zero is refused unread."""
        path = site / "fifo" if kind == "fifo" else kind

        result = cli("verify", site / "hub.crt", "--password-file", path, "--at", T0_ISO)

        assert result.returncode == ExitCode.BAD_INPUT
        assert f"Error: {path}: is a " in result.stderr

    def test_password_file_size(self, site: Path, runner: CliRunner) -> None:
        """A password file larger than --max-input-size is refused."""
        (site / "pw").write_bytes(b"x" * 4096)

        result = run(runner, "verify", site / "hub.crt", "--password-file", site / "pw",
                     "--max-input-size", "1K")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "pw: is larger than 1 KiB" in result.stderr

    @pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
    def test_trust(self, site: Path, kind: str) -> None:
        """--trust naming a FIFO or a device is a trust-store error, not a hang."""
        path = site / "fifo" if kind == "fifo" else kind

        result = cli("verify", site / "hub.crt", "--trust", path, "--at", T0_ISO, "--json")

        assert result.returncode == ExitCode.BAD_INPUT
        assert json.loads(result.stdout)["error"]["code"] == "trust-store-error"

    def test_trust_directory_skips_fifo(self, site: Path, chain3: Hierarchy) -> None:
        """In a --trust folder, a FIFO is skipped (as a README is) and the roots are read."""
        anchors = site / "anchors"
        anchors.mkdir()
        chain3.root.write(anchors / "root.pem")
        os.mkfifo(anchors / "zz.pem")

        store = store_from_paths([anchors])

        assert store.roots == (chain3.root.cert,)

    def test_library_trust(self, site: Path) -> None:
        """store_from_paths refuses a FIFO anchor with TrustStoreError."""
        with deadline(), pytest.raises(TrustStoreError, match="is a named pipe"):
            store_from_paths([site / "fifo"])

    def test_doctor_ssl_key_fifo(self, site: Path) -> None:
        """doctor with ssl_key naming a FIFO reports the file as unreadable, and ends."""
        config = site / "jupyterhub_config.py"
        config.write_text(
            f"c.JupyterHub.ssl_cert = {str(site / 'hub.crt')!r}\n"
            f"c.JupyterHub.ssl_key = {str(site / 'fifo')!r}\n"
        )

        result = cli("doctor", config, "--trust", site / "root.crt", "--at", T0_ISO, "--json")

        assert result.returncode == ExitCode.CHAIN_PROBLEM, result.stderr
        findings = json.loads(result.stdout)["findings"]
        unreadable = [f for f in findings if f["code"] == "file-unreadable"]
        assert "is a named pipe" in unreadable[0]["message"]
        assert not any(f["code"] == "key-permissions" for f in findings)

    def test_doctor_library_ssl_key_fifo(self, site: Path) -> None:
        """doctor_config turns a FIFO ssl_key into a file-unreadable finding."""
        config = site / "jupyterhub_config.py"
        config.write_text(f"c.JupyterHub.ssl_key = {str(site / 'fifo')!r}\n")
        policy = Policy(store=certifi_store(), at=T0)

        with deadline():
            report = doctor_config(config, policy=policy).sites[0].report

        assert Code.FILE_UNREADABLE in {f.code for f in report.findings}

    @pytest.mark.parametrize("command", ["doctor", "config"])
    def test_config_fifo(self, site: Path, command: str) -> None:
        """A jupyterhub_config.py that is a FIFO is refused by doctor and config --write."""
        args = (
            ["doctor", site / "fifo"] if command == "doctor"
            else ["config", site / "hub.crt", "--key", site / "hub.key", "--trust",
                  site / "root.crt", "--write", site / "fifo"]
        )

        result = cli(*args, "--at", T0_ISO)

        assert result.returncode == ExitCode.BAD_INPUT
        # doctor refuses to read it; config --write refuses it as an output first.
        refused = "is a named pipe" if command == "doctor" else "is not a regular file"
        assert f"{site / 'fifo'}: {refused}" in result.stderr

    def test_read_file_missing(self, tmp_path: Path) -> None:
        """read_file names a missing file; read_config returns None for it (a file to create)."""
        with pytest.raises(LoadError, match="does not exist"):
            read_file(tmp_path / "nope")
        assert read_config(tmp_path / "nope") is None


# ------------------------------------------------------------ verify batches


class TestBatch:
    def test_unreadable_files_do_not_stop_the_batch(self, site: Path) -> None:
        """verify of 5,000 files, FIFOs among them, judges the readable ones and names the rest."""
        fifos = []
        for number in range(4996):
            path = site / f"f{number}.crt"
            os.mkfifo(path)
            fifos.append(path)
        files = [site / "hub.crt", *fifos[:2000], site / "missing.crt", site,
                 *fifos[2000:], site / "hub.crt"]

        result = cli("verify", *files, "--trust", site / "root.crt", "--at", T0_ISO, "-q")

        assert result.returncode == ExitCode.BAD_INPUT
        errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error: ")]
        assert len(errors) == 4998
        assert f"Error: {site}: is a directory, not a file." in errors
        assert f"Error: {site / 'missing.crt'}: does not exist." in errors

    def test_summary_counts_unreadable(self, site: Path) -> None:
        """The summary counts the FIFO and the device as unreadable, the good file as ok."""
        result = cli("verify", site / "hub.crt", site / "fifo", "/dev/zero",
                     "--trust", site / "root.crt", "--at", T0_ISO)

        assert result.returncode == ExitCode.BAD_INPUT
        assert "3 files: 1 ok, 0 with errors, 2 unreadable." in result.stdout


# ------------------------------------------------------------ size and items


class TestLimits:
    def test_max_input_size_option(self, site: Path, runner: CliRunner) -> None:
        """--max-input-size lowers the cap: a file above it is refused, naming both."""
        result = run(runner, "verify", site / "hub.crt", "--max-input-size", "1K")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert result.stderr.startswith(f"Error: {site / 'hub.crt'}: is larger than 1 KiB")
        assert "(--max-input-size SIZE raises it)." in result.stderr

    def test_max_input_size_raises(self, tmp_path: Path, chain3: Hierarchy,
                                   runner: CliRunner) -> None:
        """A file just over 50 MiB is refused by default and read with --max-input-size 60M."""
        path = tmp_path / "padded.crt"
        path.write_bytes(b"#" * (MAX_INPUT_SIZE + 1 - len(chain3.leaf.pem)) + b"\n"
                         + chain3.leaf.pem)

        refused = run(runner, "inspect", path)
        read = run(runner, "inspect", path, "--max-input-size", "60M")

        assert refused.exit_code == ExitCode.BAD_INPUT
        assert "is larger than 50 MiB" in refused.stderr
        assert read.exit_code == ExitCode.OK, read.stderr

    def test_library_limits(self, site: Path) -> None:
        """reading.limits(max_bytes=) caps load_file, with InputTooLarge (a remedy to raise it)."""
        with limits(max_bytes=100), pytest.raises(InputTooLarge) as info:
            load_file(site / "hub.crt")

        assert info.value.remedy is not None

    def test_every_command_has_the_option(self, runner: CliRunner) -> None:
        """Every command that reads files takes --max-input-size."""
        for command in ("build", "verify", "inspect", "config", "doctor"):
            result = runner.invoke(main, [command, "--help"])
            assert "--max-input-size SIZE" in result.stdout, command

    def test_items_per_run_library(self, chain3: Hierarchy) -> None:
        """More certificates and PEM blocks than the run allows: TooManyItems, naming the limit."""
        data = (chain3.leaf.pem + chain3.intermediate.pem) * 3

        with limits(max_items=5), pytest.raises(TooManyItems) as info:
            load_bytes(data, source=Path("six.pem"))

        assert "past 5 certificates and PEM blocks" in str(info.value)
        assert "six.pem (block 6)" in str(info.value)

    def test_items_count_across_files(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """The count is per run: two files of three certificates pass 5 together."""
        for name in ("a.pem", "b.pem"):
            (tmp_path / name).write_bytes(chain3.leaf.pem * 3)

        with limits(max_items=5):
            load_file(tmp_path / "a.pem")
            with pytest.raises(TooManyItems, match=r"b\.pem"):
                load_file(tmp_path / "b.pem")

    def test_items_per_run_cli(self, tmp_path: Path, runner: CliRunner) -> None:
        """A file of 250,001 PEM blocks is refused at the 250,000th: exit 2, naming the limit."""
        block = b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
        path = tmp_path / "many.pem"
        path.write_bytes(block * 250_001)

        result = run(runner, "inspect", path)

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "brings the run past 250,000 certificates and PEM blocks" in result.stderr

    def test_stream_default_is_the_run_cap(self) -> None:
        """load_stream's default cap is the run's (--max-input-size), no longer 16 MiB."""
        stream = io.BytesIO(b"x" * 2000)

        with limits(max_bytes=1000), pytest.raises(InputTooLarge):
            load_stream(stream)
        assert stream.tell() == 1001


# ------------------------------------------------------------ memory


_PEAK = """
import resource, sys
from pathlib import Path
import certchain
from certchain import LoadError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    certchain.load_file(Path(sys.argv[1]))
    outcome = "loaded"
except LoadError as exc:
    outcome = type(exc).__name__
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(outcome, (after - before) * 1024)
"""


def peak(path: Path) -> tuple[str, int]:
    """Load *path* in a fresh interpreter: the outcome and the growth of its peak RSS, in bytes."""
    result = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True,
        timeout=TIMEOUT, check=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT)),
    )
    outcome, grown = result.stdout.split()
    return outcome, int(grown)


class TestMemory:
    def test_text_around_a_certificate(self, tmp_path: Path, chain3: Hierarchy) -> None:
        """40 MiB of text around one certificate costs about the file, not a multiple of it."""
        path = tmp_path / "noisy.pem"
        path.write_bytes(b"# openssl x509 -text noise\n" * (40 * MIB // 27) + chain3.leaf.pem)

        outcome, grown = peak(path)

        assert outcome == "loaded"
        assert grown < 1.5 * path.stat().st_size

    def test_base64_in_two_character_lines(self, tmp_path: Path) -> None:
        """A 40 MiB block in 2-character lines is refused as corrupt, without a list of lines."""
        body = b"QU\n" * (40 * MIB // 3)  # 14 million lines of base64
        path = tmp_path / "lines.pem"
        path.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + body.rstrip(b"\n")
                         + b"\n-----END CERTIFICATE-----\n")

        outcome, grown = peak(path)

        assert outcome == "LoadError"
        assert grown < 2 * path.stat().st_size

    def test_over_the_cap_costs_nothing(self, tmp_path: Path) -> None:
        """A 60 MiB file is refused by its size: nothing of it is held in memory."""
        path = tmp_path / "big.pem"
        path.write_bytes(b"A" * 60 * MIB)

        outcome, grown = peak(path)

        assert outcome == "InputTooLarge"
        assert grown < 8 * MIB

    def test_two_character_lines_still_decode(self, chain3: Hierarchy) -> None:
        """A certificate whose base64 is in 2-character lines loads as that certificate."""
        lines = pem(chain3.leaf.cert).splitlines()
        base64 = b"".join(lines[1:-1])
        text = b"\n".join([lines[0], *(base64[i : i + 2] for i in range(0, len(base64), 2)),
                           lines[-1]])

        (loaded,) = load_bytes(text).certs

        assert loaded.cert == chain3.leaf.cert


# ------------------------------------------------------------ lazy fields


class TestDamagedFields:
    @pytest.mark.parametrize("field", ["subject", "issuer"])
    def test_pem_block_named(self, chain3: Hierarchy, field: str) -> None:
        """A certificate whose subject or issuer parses lazily and badly is a LoadError at load."""
        damaged = damaged_name(chain3.intermediate.cert, field)
        data = chain3.leaf.pem + pem(damaged)

        with pytest.raises(LoadError) as info:
            load_bytes(data, source=Path("hub.crt"))

        assert str(info.value).startswith(f"hub.crt (block 2): the certificate has an {field}"
                                          if field == "issuer" else
                                          f"hub.crt (block 2): the certificate has a {field}")
        assert "cannot be parsed" in str(info.value)

    def test_der(self, chain3: Hierarchy) -> None:
        """A DER certificate with a damaged subject is a LoadError naming the file."""
        der = damaged_name(chain3.leaf.cert).public_bytes(Encoding.DER)

        with pytest.raises(LoadError, match=r"^hub.der: the certificate has a subject"):
            load_bytes(der, source=Path("hub.der"))

    def test_pkcs7_member(self, chain3: Hierarchy) -> None:
        """A damaged member of a PKCS#7 bundle is named by its place in it."""
        damaged = damaged_name(chain3.intermediate.cert)
        bundle = pkcs7.serialize_certificates([chain3.leaf.cert, damaged], Encoding.DER)
        # DER sorts a SET OF: find where the damaged member stands.
        order = [c.public_bytes(Encoding.DER) for c in pkcs7.load_der_pkcs7_certificates(bundle)]
        place = order.index(damaged.public_bytes(Encoding.DER)) + 1

        with pytest.raises(LoadError, match=f"^bundle.p7b: certificate {place} has a subject"):
            load_bytes(bundle, source=Path("bundle.p7b"))

    @pytest.mark.parametrize("command", ["verify", "build", "inspect"])
    def test_cli(self, tmp_path: Path, chain3: Hierarchy, runner: CliRunner,
                 command: str) -> None:
        """verify, build and inspect of a damaged certificate: one Error line, exit 2."""
        path = tmp_path / "hub.crt"
        path.write_bytes(chain3.leaf.pem + pem(damaged_name(chain3.intermediate.cert)))

        result = run(runner, command, path)

        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert result.stderr == (
            f"Error: {path} (block 2): the certificate has a subject that cannot be parsed: "
            "it is damaged; copy it again from your certificate authority.\n"
        )


# ------------------------------------------------------------ configuration


class TestConfig:
    BOM = "\ufeff"

    def test_parse_is_linear(self) -> None:
        """16,384 settings (256 KiB) parse in well under a second each way (was minutes)."""
        text = "".join(f"c.Spawner.t{i} = {i}\n" for i in range(16_384))

        with deadline(20):
            settings = parse_settings(text)
            edited = set_ssl(text, Path("/etc/hub.crt"), Path("/etc/hub.key"))

        assert settings[-1].source == "16383"
        assert edited.startswith(text)

    def test_size_cap(self, tmp_path: Path, runner: CliRunner) -> None:
        """A configuration over 1 MiB is refused (Python costs more to parse than PEM)."""
        config = tmp_path / "jupyterhub_config.py"
        config.write_bytes(b"# padding\n" * (MIB // 10 + 1))

        result = run(runner, "doctor", config)

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "is larger than 1 MiB, the most certchain reads from a configuration" in (
            result.stderr
        )

    def test_size_cap_follows_a_lower_option(self, tmp_path: Path, runner: CliRunner) -> None:
        """--max-input-size below 1 MiB caps the configuration too."""
        config = tmp_path / "jupyterhub_config.py"
        config.write_bytes(b"# padding\n" * 1000)

        result = run(runner, "doctor", config, "--max-input-size", "4K")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "is larger than 4 KiB" in result.stderr

    def test_parse(self) -> None:
        """A configuration starting with a UTF-8 BOM is read, as Python reads it."""
        (setting,) = parse_settings(f"{self.BOM}c.JupyterHub.ssl_cert = 'hub.crt'\n")

        assert (setting.trait, setting.value, setting.line) == ("ssl_cert", "hub.crt", 1)

    def test_set_ssl_keeps_it(self) -> None:
        """set_ssl edits the value in place and keeps the BOM at the start."""
        text = f"{self.BOM}c.JupyterHub.ssl_cert = 'old.crt'  # é\n"

        edited = set_ssl(text, Path("/etc/hub.crt"), Path("/etc/hub.key"))

        assert edited == (
            f"{self.BOM}c.JupyterHub.ssl_cert = '/etc/hub.crt'  # é\n"
            "c.JupyterHub.ssl_key = '/etc/hub.key'\n"
        )

    def test_config_write_keeps_it(self, site: Path, runner: CliRunner) -> None:
        """config --write on a file with a BOM writes the paths and keeps the BOM bytes."""
        config = site / "jupyterhub_config.py"
        config.write_bytes(b"\xef\xbb\xbfc.JupyterHub.ip = '0.0.0.0'\n")

        result = run(runner, "config", site / "hub.crt", "--key", site / "hub.key",
                     "--trust", site / "root.crt", "--write", config)

        assert result.exit_code == ExitCode.OK, result.output
        data = config.read_bytes()
        assert data.startswith(b"\xef\xbb\xbfc.JupyterHub.ip = '0.0.0.0'\n")
        assert b"c.JupyterHub.ssl_key = " in data

    def test_doctor(self, site: Path, runner: CliRunner) -> None:
        """doctor reads a configuration that starts with a BOM."""
        config = site / "jupyterhub_config.py"
        config.write_bytes(
            b"\xef\xbb\xbf" + f"c.JupyterHub.ssl_cert = {str(site / 'hub.crt')!r}\n"
            f"c.JupyterHub.ssl_key = {str(site / 'hub.key')!r}\n".encode()
        )

        result = run(runner, "doctor", config, "--trust", site / "root.crt", "--json")

        assert result.exit_code == ExitCode.OK, result.output
        assert json.loads(result.stdout)["ok"] is True
