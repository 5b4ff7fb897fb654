"""
A write interrupted by a signal leaves the old file or the complete new one.

- SIGINT (library and CLI) and SIGTERM (CLI: exit 143) in the middle of a
  write remove its temporary file; nothing is renamed.
- SIGKILL can leave only a hidden ``.NAME.XXXXXXXX.tmp``, mode 0600; the
  output is the old file or the complete new one, at any instant (a real
  ``config --write`` of a 30 MB configuration, killed at several moments).
- 20 concurrent ``build -o same.crt --force`` leave one complete, valid chain.

"In the middle" is made certain: the child process's first ``os.fsync``
(the temporary file's, before any rename) sleeps until the signal comes.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import installed_script
from cryptography import x509
from pki import T0_ISO, Hierarchy

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: The child: make the first fsync (of a temporary file) wait, then run ARGV.
#: ``lib`` calls write_file(PATH, DATA, overwrite=True); ``cli`` runs certchain.
CHILD = """
import os, sys, time
real = os.fsync
calls = []
def slow(fd):
    if not calls:
        calls.append(fd)
        time.sleep(60)
    real(fd)
os.fsync = slow
if sys.argv[1] == "lib":
    from pathlib import Path
    from certchain import write_file
    write_file(Path(sys.argv[2]), b"new" * 1000, overwrite=True)
else:
    from certchain.cli import main
    main(sys.argv[2:], prog_name="certchain")
"""


def temps(folder: Path) -> list[Path]:
    """The hidden temporary files of certchain's writes in *folder*."""
    return [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]


def start(*argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *argv],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )


def wait_for_temp(proc: subprocess.Popen[bytes], folder: Path) -> Path:
    """Wait until the child is inside a write (its temporary file exists)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = temps(folder)
        if found:
            time.sleep(0.2)  # into the (slow) fsync
            return found[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    proc.kill()
    raise AssertionError("the child never started writing")


@pytest.fixture
def hub(tmp_path: Path, chain3: Hierarchy) -> Path:
    """A folder with a chained file, its key, the root and a jupyterhub_config.py."""
    (tmp_path / "hub-chained.crt").write_bytes(chain3.leaf.pem + chain3.intermediate.pem)
    (tmp_path / "hub.key").write_bytes(chain3.leaf.key_pem)
    chain3.root.write(tmp_path / "root.crt")
    (tmp_path / "jupyterhub_config.py").write_text("c = get_config()  # noqa\n")
    return tmp_path


def config_argv(hub: Path) -> list[str]:
    return ["config", str(hub / "hub-chained.crt"), "--trust", str(hub / "root.crt"),
            "--at", T0_ISO, "--write", str(hub / "jupyterhub_config.py")]


class TestInterrupted:
    def test_library_sigint(self, tmp_path: Path) -> None:
        """Ctrl-C during write_file removes the temporary file; the old file stays."""
        out = tmp_path / "out.pem"
        out.write_bytes(b"old")
        proc = start("lib", str(out))

        wait_for_temp(proc, tmp_path)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)

        assert proc.returncode != 0
        assert b"old" == out.read_bytes()
        assert [] == temps(tmp_path)

    @pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
    def test_cli(self, hub: Path, sig: signal.Signals, status: int) -> None:
        """SIGINT (exit 130) and SIGTERM (exit 143) during config --write leave no file behind."""
        config = hub / "jupyterhub_config.py"
        before = config.read_bytes()
        proc = start("cli", *config_argv(hub))

        wait_for_temp(proc, hub)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)

        assert status == proc.returncode, err
        assert b"Traceback" not in err
        assert before == config.read_bytes()
        assert [] == temps(hub)
        assert not (hub / "jupyterhub_config.py.bak").exists()

    def test_sigkill_leaves_a_private_temp(self, hub: Path) -> None:
        """SIGKILL can leave hidden temporary files, mode 0600; the config is untouched."""
        config = hub / "jupyterhub_config.py"
        before = config.read_bytes()
        proc = start("cli", *config_argv(hub))

        wait_for_temp(proc, hub)
        proc.kill()
        proc.communicate(timeout=30)

        assert before == config.read_bytes()
        left = temps(hub)  # the .bak's and the file's, both made before either is filled
        assert left and all(p.name.startswith(".jupyterhub_config.py.") for p in left)
        assert {0o600} == {stat.S_IMODE(p.stat().st_mode) for p in left}


class TestKilledAtAnyMoment:
    def test_large_config_write(self, hub: Path) -> None:
        """A 30 MB config --write killed at any moment is the old file or the complete new one."""
        config = hub / "jupyterhub_config.py"
        old = b"c = get_config()  # noqa\n" + (b"# " + b"x" * 76 + b"\n") * 400_000
        backup = config.with_name(config.name + ".bak")
        script = installed_script()
        outcomes = set()
        # Killed as the temporary files appear, then later and later: in the
        # middle of writing 60 MB (the .bak and the file), between the two
        # renames, after them.
        for delay in (0.0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.4):
            config.write_bytes(old)
            backup.unlink(missing_ok=True)
            for left in temps(hub):
                left.unlink()
            proc = subprocess.Popen([script, *config_argv(hub)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while not temps(hub) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(delay)
            proc.kill()
            proc.wait(timeout=30)

            now = config.read_bytes()
            assert now == old or (now.startswith(old) and now.endswith(b".key'\n")), delay
            outcomes.add("new" if now != old else "old")
            assert not backup.exists() or backup.read_bytes() == old
            for left in temps(hub):  # never wider than the output it was to become
                assert stat.S_IMODE(left.stat().st_mode) in (0o600, 0o644), left
        assert "old" in outcomes and outcomes <= {"old", "new"}, outcomes


def test_concurrent_builds(tmp_path: Path, chain3: Hierarchy) -> None:
    """20 concurrent build -o same.crt --force leave one complete, valid chain, no temp files."""
    host = chain3.leaf.write(tmp_path / "host.crt")
    inter = chain3.intermediate.write(tmp_path / "inter.crt")
    root = chain3.root.write(tmp_path / "root.crt")
    out = tmp_path / "same.crt"
    script = installed_script()
    argv = [script, "build", str(host), str(inter), str(root), "--trust", str(root),
            "--at", T0_ISO, "-o", str(out), "--force", "--quiet"]

    procs = [subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(20)]
    deadline = time.monotonic() + 180
    for proc in procs:
        proc.wait(timeout=max(deadline - time.monotonic(), 1))

    assert [0] * 20 == [p.returncode for p in procs]
    expected = [chain3.leaf.cert, chain3.intermediate.cert, chain3.root.cert]
    assert expected == x509.load_pem_x509_certificates(out.read_bytes())
    assert chain3.leaf.pem + chain3.intermediate.pem + chain3.root.pem == out.read_bytes()
    assert [] == temps(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["host.crt", "inter.crt", "root.crt", "same.crt"]
