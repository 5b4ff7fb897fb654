"""
Fuzzing the commands end to end (issue 9): ``build``, ``verify``, ``inspect``,
``config`` and ``doctor`` on damaged files, through click's runner (fast), and
a handful through a real process.

The property (fuzzkit.assert_clean_outcome): exit 0 or 1 with a report, or
exit 2 with ``Error:`` lines that name the file; never a traceback, never
another exit code; every input answered within 1 s (the profile's deadline).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fuzzkit import (
    assert_clean_outcome,
    corpus,
    corpus_file,
    examples,
    passwords,
)
from hypothesis import given
from hypothesis import strategies as st
from pki import T0_ISO

from certchain.cli import PASSWORD_ENV, main

#: A warning Python printed (a certificate's field read with a warning, ...).
PYTHON_WARNING = re.compile(r"\w+Warning: ")


@pytest.fixture(autouse=True)
def _no_password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a password in the caller's environment out of every run."""
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the files of every example of the module."""
    return tmp_path_factory.mktemp("fuzz-cli")


class Files:
    """The files of one example, each under a name no other file of the run contains."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names: list[str] = []

    def add(self, name: str, data: bytes) -> str:
        """Write *data* as a new file named after *name*, and return its path."""
        path = self.folder / f"f{len(self.names)}-{name}"
        path.write_bytes(data)
        self.names.append(path.name)
        return str(path)

    def password(self, password: bytes | None) -> list[str]:
        """``--password-file`` for *password* (none for None)."""
        return [] if password is None else ["--password-file", self.add("pw.txt", password)]


@contextmanager
def example_files(scratch: Path) -> Iterator[Files]:
    """A fresh folder for one example's files."""
    with tempfile.TemporaryDirectory(dir=scratch) as where:
        yield Files(Path(where))


def run(*args: str, stdin: bytes | None = None) -> Result:
    """Run certchain through click's runner, at the pinned time."""
    return CliRunner().invoke(main, [*args, "--at", T0_ISO], input=stdin)


def anchors(files: Files, damaged: tuple[str, bytes] | None) -> list[str]:
    """``--trust`` with the corpus root, or a damaged corpus file in its place."""
    name, data = damaged if damaged is not None else ("root.pem", corpus().root.pem)
    return ["--trust", files.add(name, data)]


some_files = st.lists(corpus_file(intact=0.3), min_size=1, max_size=3)
maybe_damaged = st.none() | corpus_file(intact=0.0)
hostnames = st.sampled_from([[], ["--hostname", "hub.example.org"], ["--hostname", "10.0.0.7"],
                             ["--hostname", "other.example.org"]])
judging_flags = st.lists(
    st.sampled_from(["--strict", "--allow-weak", "--max-depth=0", "--max-depth=1", "--warn-days=0",
                     "--warn-days=100000"]),
    max_size=2, unique=True,
)


class TestBuild:
    @examples(600)
    @given(corpus_file(intact=0.3), st.lists(corpus_file(intact=0.5), max_size=2), maybe_damaged,
           st.none() | corpus_file(intact=0.5), passwords, hostnames, judging_flags,
           st.lists(st.sampled_from(["--no-root", "--json", "-q", "--combined", "--force",
                                     "--format=nginx", "--format=haproxy", "-o-"]),
                    max_size=3, unique=True))
    def test_build(
        self, scratch: Path, host: tuple[str, bytes], inputs: list[tuple[str, bytes]],
        trust: tuple[str, bytes] | None, key: tuple[str, bytes] | None, password: bytes | None,
        hostname: list[str], judging: list[str], flags: list[str],
    ) -> None:
        """build of damaged inputs writes a verified chain, or refuses in one Error: line."""
        with example_files(scratch) as files:
            args = ["build", files.add(host[0], host[1])]
            args += [files.add(name, data) for name, data in inputs]
            args += anchors(files, trust) + files.password(password) + hostname + judging
            if key is not None:
                args += ["--key", files.add(*key)]
            if "--combined" in flags:
                flags = [f for f in flags if f != "--combined"]
                args += ["--combined", str(files.folder / "combined.pem")]
            result = run(*args, *flags)
            names = list(files.names)
        assert_clean_outcome(result, *names, usage=True)


class TestAudit:
    @examples(600)
    @given(some_files, st.none() | corpus_file(intact=0.5), maybe_damaged, passwords, hostnames,
           judging_flags, st.sampled_from([[], ["--json"], ["-q"]]))
    def test_verify(
        self, scratch: Path, chains: list[tuple[str, bytes]], key: tuple[str, bytes] | None,
        trust: tuple[str, bytes] | None, password: bytes | None, hostname: list[str],
        judging: list[str], flags: list[str],
    ) -> None:
        """verify of damaged files judges each, or says in one Error: line per file why not."""
        with example_files(scratch) as files:
            args = ["verify", *(files.add(name, data) for name, data in chains)]
            args += anchors(files, trust) + files.password(password) + hostname + judging
            if key is not None:
                args += ["--key", files.add(*key)]
            result = run(*args, *flags)
            names = list(files.names)
        assert_clean_outcome(result, *names, errors=None)

    @examples(400)
    @given(some_files, passwords, st.sampled_from([[], ["--json"], ["-q"]]))
    def test_inspect(
        self, scratch: Path, items: list[tuple[str, bytes]], password: bytes | None,
        flags: list[str],
    ) -> None:
        """inspect of damaged files lists them, or says in one Error: line per file why not."""
        with example_files(scratch) as files:
            paths = [files.add(name, data) for name, data in items]
            result = run("inspect", *paths, *files.password(password), *flags)
            names = list(files.names)
        assert_clean_outcome(result, *names, errors=None)

    @examples(500)
    @given(corpus_file(intact=0.3), st.sampled_from(["verify", "inspect"]), passwords)
    def test_standard_input(
        self, scratch: Path, item: tuple[str, bytes], command: str, password: bytes | None
    ) -> None:
        """verify - and inspect - read damaged standard input, or refuse it naming '-'."""
        with example_files(scratch) as files:
            args = [command, "-", *files.password(password)]
            if command == "verify":
                args += anchors(files, None)
            result = run(*args, stdin=item[1])
            names = [*files.names, "<stdin>"]
        assert_clean_outcome(result, *names)


def config_text(cert: str | None, key: str | None, bind: str | None) -> str:
    """A jupyterhub_config.py naming *cert*, *key* and *bind_url* (those given)."""
    lines = ["c = get_config()  # noqa"]
    for trait, value in (("ssl_cert", cert), ("ssl_key", key), ("bind_url", bind)):
        if value is not None:
            lines.append(f"c.JupyterHub.{trait} = {value!r}")
    return "\n".join(lines) + "\n"


class TestDeploy:
    @examples(400)
    @given(corpus_file(intact=0.3), st.none() | corpus_file(intact=0.5), passwords,
           st.sampled_from([None, "https://hub.example.org:8443/", "https://[::1]/", "http://*:80",
                            "https://[hub.example.org/", "https://hub.example.org:99999/", "//",
                            "https://\u2603.example/", "https://h\x1b[31m.example/"]),
           st.sampled_from([None, "~nobody-here/x", "a\x00b", "/dev/null", "/", "\x1b]0;t\x07"]),
           st.lists(st.sampled_from(["--json", "-q", "--strict"]), max_size=2, unique=True))
    def test_doctor(
        self, scratch: Path, chain: tuple[str, bytes], key: tuple[str, bytes] | None,
        password: bytes | None, bind: str | None, odd_key: str | None, flags: list[str],
    ) -> None:
        """doctor of a config naming damaged files or odd paths reports findings, or one Error:."""
        with example_files(scratch) as files:
            cert_path = files.add(*chain)
            key_path = files.add(*key) if key is not None else odd_key
            config = files.add("jupyterhub_config.py",
                               config_text(cert_path, key_path, bind).encode())
            result = run("doctor", config, *anchors(files, None), *files.password(password),
                         *flags)
            names = list(files.names)
        assert_clean_outcome(result, *names)

    @examples(400)
    @given(corpus_file(intact=0.3), st.none() | corpus_file(intact=0.5), passwords,
           st.lists(st.sampled_from(["--write", "--combined", "--force", "-q",
                                     "--format=apache", "--format=haproxy"]),
                    max_size=3, unique=True))
    def test_config(
        self, scratch: Path, chain: tuple[str, bytes], key: tuple[str, bytes] | None,
        password: bytes | None, flags: list[str],
    ) -> None:
        """config of damaged files prints the lines, or refuses in one Error: line."""
        with example_files(scratch) as files:
            args = ["config", files.add(*chain), *anchors(files, None), *files.password(password)]
            if key is not None:
                args += ["--key", files.add(*key)]
            if "--write" in flags:
                text = config_text(None, None, None).encode()
                args += ["--write", files.add("jupyterhub_config.py", text)]
            if "--combined" in flags:
                args += ["--combined", str(files.folder / "combined.pem")]
            flags = [f for f in flags if f not in ("--write", "--combined")]
            result = run(*args, *flags)
            names = list(files.names)
        assert_clean_outcome(result, *names, usage=True)


class TestOptions:
    @examples(300)
    @given(st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
           | st.datetimes(timezones=st.none() | st.timezones()).map(lambda t: t.isoformat())
           | st.text(max_size=30),
           st.sampled_from([0, 999_999_999, 10**10, 2**63]) | st.integers(0, 10**12),
           st.sampled_from([0, 2**31, 2**63]) | st.integers(0, 10**12))
    def test_option_values(self, scratch: Path, at: str, warn_days: int, max_depth: int) -> None:
        """Any --at, --warn-days and --max-depth is used or refused as a usage error."""
        with example_files(scratch) as files:
            args = ["verify", files.add("chain.pem", corpus().files["chain.pem"]),
                    *anchors(files, None), f"--at={at}", f"--warn-days={warn_days}",
                    f"--max-depth={max_depth}"]
            result = CliRunner().invoke(main, args)
            names = list(files.names)
        assert_clean_outcome(result, *names, usage=True)


class TestProcess:
    @examples(10, deadline=timedelta(seconds=10))
    @given(corpus_file(intact=0.2),
           st.sampled_from(["verify", "inspect", "build", "config", "doctor"]))
    def test_real_process(self, scratch: Path, item: tuple[str, bytes], command: str) -> None:
        """A real certchain process on a damaged file ends as click's runner does, in time."""
        with example_files(scratch) as files:
            target = files.add(*item)
            if command == "doctor":
                text = config_text(target, None, None).encode()
                target = files.add("jupyterhub_config.py", text)
            args = [command, target, "--at", T0_ISO]
            if command != "inspect":
                args += anchors(files, None)
            if command == "build":
                args.append("--force")  # both runs write the chain
            expected = CliRunner().invoke(main, args)
            assert_clean_outcome(expected, *files.names)
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "certchain", *args], capture_output=True, timeout=30,
                env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
            )
            took = time.monotonic() - started
        stderr = done.stderr.decode(errors="replace")
        assert done.returncode == expected.exit_code, stderr
        assert "Traceback" not in stderr and not PYTHON_WARNING.search(stderr), stderr
        assert took < 5, took  # the interpreter's start included
