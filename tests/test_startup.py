"""
Start-up and ending: ``certchain --version`` imports nothing of the library,
``import certchain`` imports no submodule until a name is used, each command
imports only what it uses, and a finished run ends at once unless something
it started still runs (issue 10; the times are in benchmarks/run.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pki import PKI, hierarchy

import certchain

PROBE = """
import sys
from certchain.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.flush()
mine = ("certchain", "cryptography", "http", "multiprocessing", "concurrent", "ssl", "certifi",
        "json", "textwrap")
found = sorted(m for m in sys.modules if m.split(".")[0] in mine or m == "urllib.request")
import json  # after the list: the probe's own import is not the command's
print(json.dumps(found), file=sys.stderr)
"""


def modules_after(*argv: str, cwd: Path | None = None) -> set[str]:
    """Run certchain with *argv* in a fresh interpreter; return the modules it imported.

    Only certchain's, cryptography's, the network's (http, urllib.request), the
    process pool's (multiprocessing, concurrent) and a few dear ones of the
    standard library (ssl, json, textwrap) and certifi are listed.
    """
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60,
        cwd=cwd, stdin=subprocess.DEVNULL,
    )
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


def test_version_imports_no_library_module() -> None:
    """``certchain --version`` imports the command group, not the library nor cryptography."""
    loaded = modules_after("--version")

    assert loaded == {"certchain", "certchain.cli", "certchain.cli.codes", "certchain.cli.group"}


def test_help_lists_every_command() -> None:
    """``--help`` still lists every command, each imported to read its help."""
    proc = subprocess.run(
        [sys.executable, "-m", "certchain", "--help"], capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL,
    )

    listed = [line.split()[0] for line in proc.stdout.split("Commands:")[1].splitlines() if line]
    assert listed == ["build", "verify", "inspect", "config", "doctor", "audit", "connect"]


def test_import_certchain_imports_no_submodule() -> None:
    """``import certchain`` loads the package only; a name is imported on first use."""
    code = (
        "import sys, certchain;"
        "before = sorted(m for m in sys.modules if m.startswith('certchain'));"
        "certchain.Policy; print(before, 'certchain.policy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout

    assert out.strip() == "['certchain'] True"


@pytest.mark.parametrize("name", certchain.__all__)
def test_every_public_name_resolves(name: str) -> None:
    """Every name in ``certchain.__all__`` resolves to the object of the module it lives in."""
    value = getattr(certchain, name)

    home = certchain._HOMES[name]
    assert value is getattr(__import__(f"certchain.{home}", fromlist=[name]), name)


def test_homes_cover_exactly_the_public_names() -> None:
    """The lazy table and ``__all__`` name the same names, so nothing public is missing."""
    assert set(certchain._HOMES) == set(certchain.__all__)


def test_unknown_name_is_an_attribute_error() -> None:
    """A name certchain does not export raises AttributeError, as for any module."""
    with pytest.raises(AttributeError, match="no_such_thing"):
        certchain.no_such_thing  # noqa: B018


def test_build_imports_no_other_command(tmp_path: Path) -> None:
    """``certchain build`` imports neither the other commands nor what only they use."""
    pki = PKI()
    chain = hierarchy(pki, "www.example.org")
    leaf = chain.leaf.write(tmp_path / "leaf.crt")
    inter = chain.intermediate.write(tmp_path / "inter.crt")
    root = chain.root.write(tmp_path / "root.crt")

    loaded = modules_after(
        "build", str(leaf), str(inter), "--trust", str(root), "--at", "2030-01-01", "-q",
        "-o", str(tmp_path / "out.crt"),
    )

    assert (tmp_path / "out.crt").exists()
    assert "certchain.build" in loaded
    assert not loaded & {
        "certchain.cli.audit", "certchain.cli.deploy", "certchain.doctor", "certchain.jhconfig",
        "certchain.verify", "certchain.inventory", "certchain.certbot",
        "certchain.fetcher", "urllib.request", "http.client",  # no network: nothing fetched
        "ssl", "certifi",  # anchors given (--trust FILE): neither OpenSSL's paths nor certifi
        "json", "textwrap",  # no --json, no terminal to wrap lines for
    }


def test_verify_of_one_file_starts_no_pool(tmp_path: Path) -> None:
    """``certchain verify`` of one file imports neither multiprocessing nor concurrent.futures."""
    chain = hierarchy(PKI(), "www.example.org")
    path = tmp_path / "chained.pem"
    path.write_bytes(chain.leaf.pem + chain.intermediate.pem)
    root = chain.root.write(tmp_path / "root.crt")

    loaded = modules_after("verify", str(path), "--trust", str(root), "--at", "2030-01-01", "-q")

    assert "certchain.batch" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("multiprocessing", "concurrent")}


EXIT_PROBE = """
import atexit, sys
atexit.register(lambda: print("atexit ran", file=sys.stderr))
from certchain.cli import run
sys.argv = ["certchain", *sys.argv[1:]]
run()
"""


def _ended(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", EXIT_PROBE, *argv], capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_a_finished_run_ends_at_once(tmp_path: Path) -> None:
    """Output flushed, the process ends without taking Python apart (no exit handlers)."""
    chain = hierarchy(PKI(), "www.example.org")
    path = tmp_path / "chained.pem"
    path.write_bytes(chain.leaf.pem + chain.intermediate.pem)
    root = chain.root.write(tmp_path / "root.crt")

    done = _ended("verify", str(path), "--trust", str(root), "--at", "2030-01-01")
    refused = _ended("verify", str(tmp_path / "missing.pem"))

    assert done.returncode == 0 and "ok" in done.stdout.lower()
    assert "atexit ran" not in done.stderr
    assert refused.returncode == 2 and "Error:" in refused.stderr  # exit codes kept


def test_a_run_with_a_pool_ends_at_once_too(tmp_path: Path) -> None:
    """A verify of many files forks workers, joins them when done, and ends at once too."""
    from certchain import batch

    if batch.cores() < 2 or not batch._can_fork():
        pytest.skip("a batch runs on a pool only with two cores and fork")
    chain = hierarchy(PKI(), "www.example.org")
    files = []
    for n in range(batch.MIN_PARALLEL + 8):
        path = tmp_path / f"host{n}.pem"
        path.write_bytes(chain.leaf.pem + chain.intermediate.pem)
        files.append(str(path))
    root = chain.root.write(tmp_path / "root.crt")

    done = _ended("verify", *files, "--trust", str(root), "--at", "2030-01-01")

    assert done.returncode == 0
    assert f"{len(files)} files: {len(files)} ok" in done.stdout
    assert "atexit ran" not in done.stderr


def test_a_thread_left_running_ends_the_ordinary_way() -> None:
    """Something still running (here a thread) is joined: the process ends normally."""
    probe = (
        "import atexit, sys, threading, time\n"
        "atexit.register(lambda: print('atexit ran', file=sys.stderr))\n"
        "threading.Thread(target=time.sleep, args=(0.2,)).start()\n"
        "from certchain.cli import run\n"
        "sys.argv = ['certchain', '--version']\n"
        "run()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)

    assert done.returncode == 0 and "certchain, version" in done.stdout
    assert "atexit ran" in done.stderr


def test_an_audit_with_a_pool_ends_at_once_too(tmp_path: Path) -> None:
    """audit judges many sites on a pool, runs it to its end, and ends at once."""
    from certchain import batch

    if batch.cores() < 2 or not batch._can_fork():
        pytest.skip("a batch runs on a pool only with two cores and fork")
    pki = PKI()
    root = pki.root()
    inter = pki.intermediate(root)
    folder = tmp_path / "certs"
    folder.mkdir()
    for n in range(batch.MIN_PARALLEL + 8):
        leaf = pki.leaf(inter, f"host{n}.example.org")
        (folder / f"host{n}.pem").write_bytes(leaf.pem + inter.pem)
    anchor = root.write(tmp_path / "root.crt")

    done = _ended("audit", str(folder), "--trust", str(anchor), "--at", "2030-01-01")

    assert f"{batch.MIN_PARALLEL + 8} sites" in done.stdout, done.stdout + done.stderr
    assert "atexit ran" not in done.stderr
