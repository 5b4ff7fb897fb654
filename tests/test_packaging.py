"""
Packaging: the installed metadata and a freshly built wheel.

The wheel is built once per session (``pip wheel . --no-deps``, which may
fetch the build backend, hatchling, from the package index) and shared by
every test that looks inside it.
"""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from importlib.metadata import entry_points, version
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent


def pyproject() -> dict[str, object]:
    """Return the parsed pyproject.toml of this checkout."""
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def pyproject_version() -> str:
    """The version the build reads: certchain/__init__.py's ``__version__`` (hatch)."""
    project = pyproject()["project"]
    assert isinstance(project, dict)
    assert project["dynamic"] == ["version"]
    source = (ROOT / "certchain" / "__init__.py").read_text()
    found = re.search(r'^__version__ = "([^"]+)"$', source, re.M)
    assert found is not None
    return found.group(1)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    """Build the wheel once for the whole session and open it."""
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    built = sorted(out.glob("certchain-*.whl"))
    assert len(built) == 1, built
    archive = zipfile.ZipFile(built[0])
    with archive:
        yield archive


def dist_info_file(wheel: zipfile.ZipFile, name: str) -> str:
    """Return the text of *name* inside the wheel's .dist-info folder."""
    matches = [n for n in wheel.namelist() if n.endswith(f".dist-info/{name}")]
    assert len(matches) == 1, wheel.namelist()
    return wheel.read(matches[0]).decode()


class TestInstalledMetadata:
    def test_version_matches_pyproject(self) -> None:
        """The installed distribution's version is pyproject.toml's version."""
        import certchain

        assert pyproject_version() == version("certchain") == certchain.__version__

    def test_console_script_entry_point(self) -> None:
        """The installed distribution declares the console script certchain.cli:run."""
        from certchain.cli import run

        (script,) = entry_points(group="console_scripts", name="certchain")

        assert script.value == "certchain.cli:run"
        assert run is script.load()


class TestWheel:
    def test_contains_py_typed(self, wheel: zipfile.ZipFile) -> None:
        """The wheel ships the PEP 561 marker certchain/py.typed."""
        assert "certchain/py.typed" in wheel.namelist()

    def test_console_script(self, wheel: zipfile.ZipFile) -> None:
        """The wheel's entry points declare certchain = certchain.cli:run."""
        parser = configparser.ConfigParser()
        parser.read_string(dist_info_file(wheel, "entry_points.txt"))

        assert parser["console_scripts"]["certchain"] == "certchain.cli:run"

    def test_metadata_version(self, wheel: zipfile.ZipFile) -> None:
        """The wheel's METADATA carries the name certchain and pyproject's version."""
        metadata = Parser().parsestr(dist_info_file(wheel, "METADATA"))

        assert metadata["Name"] == "certchain"
        assert pyproject_version() == metadata["Version"]

    def test_only_the_package(self, wheel: zipfile.ZipFile) -> None:
        """The wheel holds the certchain package and its metadata, no tests or test data."""
        tops = {name.split("/", 1)[0] for name in wheel.namelist()}

        assert {"certchain", f"certchain-{pyproject_version()}.dist-info"} == tops
        assert "certchain/__main__.py" in wheel.namelist()


class TestWarningsPolicy:
    """pyproject's filterwarnings: our warnings fail the run, a dependency's deprecations do not."""

    @staticmethod
    def run_with_policy(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
        """Run one test with this checkout's pytest settings, in a folder of its own."""
        settings = pyproject()["tool"]["pytest"]["ini_options"]  # type: ignore[index]
        lines = ["[pytest]", "filterwarnings ="]
        lines += [f"    {rule}" for rule in settings["filterwarnings"]]
        (tmp_path / "pytest.ini").write_text("\n".join(lines) + "\n")
        (tmp_path / "test_policy.py").write_text(
            "import warnings\n\n\ndef test_it():\n" + body
        )
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
            cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        )

    def test_a_dependency_deprecation_is_shown_not_fatal(self, tmp_path: Path) -> None:
        """A DeprecationWarning raised inside a dependency leaves the run green."""
        result = self.run_with_policy(tmp_path, (
            "    warnings.warn_explicit('old API', DeprecationWarning, 'dep.py', 1,"
            " module='somedependency.api')\n"
        ))

        assert 0 == result.returncode, result.stdout
        assert "old API" in result.stdout

    def test_a_warning_from_certchain_fails(self, tmp_path: Path) -> None:
        """A warning attributed to a certchain module is an error."""
        result = self.run_with_policy(tmp_path, (
            "    warnings.warn_explicit('ours', UserWarning, 'build.py', 1,"
            " module='certchain.build')\n"
        ))

        assert 1 == result.returncode, result.stdout
        assert "UserWarning: ours" in result.stdout
