"""
``certchain audit`` through click's runner, on a fake host under ``tmp_path``.

Every run passes ``--at T0_ISO`` and ``--trust`` the fake host's root.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hostkit import LIVE, Host, fake_host, tree
from pki import PKI, T0_ISO
from prometheus_client.parser import text_string_to_metric_families

from certchain.cli import ExitCode, main

SITE_KEYS = {"server", "site", "names", "config", "file", "key", "ok", "verdict",
             "first_expiry", "days_left", "leaf_not_after", "findings"}


@pytest.fixture
def host(tmp_path: Path, pki: PKI) -> Host:
    """A host with a good lineage, one missing its intermediate, one expiring in 10 days."""
    host = fake_host(tmp_path, pki)
    host.add_lineage("good.example.org")
    host.add_lineage("missing.example.org", chain=False)
    host.add_lineage("soon.example.org", days=10)
    return host


def audit(runner: CliRunner, host: Host, *args: object, paths: Sequence[Path] = ()) -> Result:
    """Run ``certchain audit PATHS ARGS --trust ROOT --at T0``; no PATHS: ``--root`` the host."""
    argv = ["audit", *(str(p) for p in paths), *(str(a) for a in args),
            "--trust", str(host.trust), "--at", T0_ISO]
    return runner.invoke(main, argv if paths else [*argv, "--root", str(host.root)])


def rows(result: Result) -> list[list[str]]:
    """The table's rows, split on runs of two spaces (the header first)."""
    lines = result.stdout.splitlines()[:-1]  # the summary line last
    return [[cell for cell in line.split("  ") if cell.strip()] for line in lines]


class TestOutput:
    def test_a_table_row_per_site_and_a_summary(self, runner: CliRunner, host: Host) -> None:
        """Server, site, file, verdict, first expiry, days left, first error; then counts."""
        result = audit(runner, host)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        table = rows(result)
        assert [c.strip() for c in table[0]] == [
            "SERVER", "SITE", "FILE", "VERDICT", "FIRST EXPIRY", "DAYS LEFT", "FIRST ERROR"]
        by_site = {row[1].strip(): [c.strip() for c in row] for row in table[1:]}
        good = host.lineages["good.example.org"] / "fullchain.pem"
        assert by_site["good.example.org"][:4] == ["certbot", "good.example.org", str(good), "OK"]
        assert by_site["soon.example.org"][3:6] == ["WARN", "2030-01-11", "10"]
        assert by_site["missing.example.org"][3] == "FAIL"
        assert by_site["missing.example.org"][6].startswith("No issuer found for certificate 0")
        assert result.stdout.splitlines()[-1] == (
            "3 sites: 1 ok, 1 with warnings, 1 with errors; first expiry 2030-01-11 "
            "(10 days left): certbot site soon.example.org."
        )
        assert result.stderr == ""

    def test_json_lines(self, runner: CliRunner, host: Host) -> None:
        """--json: one object per site (the README's keys), the summary on stderr."""
        result = audit(runner, host, "--json")

        objects = [json.loads(line) for line in result.stdout.splitlines()]
        assert [o["site"] for o in objects] == [
            "good.example.org", "missing.example.org", "soon.example.org"]
        assert all(set(o) == SITE_KEYS for o in objects)
        soon = objects[2]
        assert (soon["ok"], soon["verdict"], soon["days_left"]) == (True, "warn", 10)
        assert soon["first_expiry"] == soon["leaf_not_after"] == "2030-01-11T00:00:00Z"
        assert [f["code"] for f in soon["findings"]] == ["expires-soon"]
        assert objects[1]["findings"][0]["message"].endswith("(--trust ROOT.crt).")
        assert result.stderr.startswith("3 sites: 1 ok")
        assert result.exit_code == ExitCode.CHAIN_PROBLEM

    def test_quiet_prints_the_error_lines_only(self, runner: CliRunner, host: Host) -> None:
        """-q: one line per error, naming the server and site; no table, no summary."""
        result = audit(runner, host, "-q")

        assert result.stdout.splitlines() == [
            line for line in result.stdout.splitlines()
            if line.startswith("certbot missing.example.org: error missing-issuer: ")
        ] and result.stdout
        assert result.exit_code == ExitCode.CHAIN_PROBLEM

    def test_all_good_exits_0(self, runner: CliRunner, host: Host) -> None:
        """Only good sites (and warnings): exit 0."""
        result = audit(runner, host, paths=[host.lineages["good.example.org"],
                                            host.lineages["soon.example.org"]])

        assert result.exit_code == ExitCode.OK, result.output
        assert result.stdout.splitlines()[-1].startswith("2 sites: 1 ok, 1 with warnings, 0 with")

    def test_nothing_found(self, runner: CliRunner, host: Host, tmp_path: Path) -> None:
        """A host with none of the usual locations: said so, exit 0."""
        empty = tmp_path / "empty"
        empty.mkdir()

        result = runner.invoke(main, ["audit", "--root", str(empty), "--at", T0_ISO])

        assert result.exit_code == ExitCode.OK
        assert result.stdout == "No TLS site found in the usual locations.\n"


class TestFailOn:
    def test_warn_days_with_fail_on_expires_soon(self, runner: CliRunner, host: Host) -> None:
        """--warn-days 30 --fail-on expires-soon: the expiring site fails, exit 1."""
        live = host.lineages["soon.example.org"]
        plain = audit(runner, host, "--warn-days", "30", paths=[live])
        failing = audit(runner, host, "--warn-days", "30", "--fail-on", "expires-soon",
                        paths=[live])
        later = audit(runner, host, "--warn-days", "5", "--fail-on", "expires-soon",
                      paths=[live])

        assert plain.exit_code == ExitCode.OK
        assert failing.exit_code == ExitCode.CHAIN_PROBLEM
        assert "FAIL" in rows(failing)[1][3] and "expires in 10 days" in rows(failing)[1][6]
        assert later.exit_code == ExitCode.OK

    def test_fail_on_warning(self, runner: CliRunner, host: Host) -> None:
        """--fail-on warning: a warning fails the run."""
        result = audit(runner, host, "--fail-on", "warning",
                       paths=[host.lineages["soon.example.org"]])

        assert result.exit_code == ExitCode.CHAIN_PROBLEM

    def test_an_unknown_value_is_a_usage_error(self, runner: CliRunner, host: Host) -> None:
        """--fail-on takes 'warning' or a finding code."""
        result = audit(runner, host, "--fail-on", "nonsense")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "is neither 'warning' nor a finding code" in result.stderr


def samples(path: Path) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The metrics of a --prometheus file, read by prometheus_client's own parser."""
    return {
        family.name: [(dict(s.labels), s.value) for s in family.samples]
        for family in text_string_to_metric_families(path.read_text())
    }


class TestPrometheus:
    def test_metrics_are_written_and_parse(
        self, runner: CliRunner, host: Host, tmp_path: Path
    ) -> None:
        """--prometheus FILE: the metrics, mode 0644, and the report as usual."""
        out = tmp_path / "textfile" / "certchain.prom"
        out.parent.mkdir()

        result = audit(runner, host, "--prometheus", out)

        assert result.exit_code == ExitCode.CHAIN_PROBLEM
        assert result.stdout.splitlines()[0].startswith("SERVER")
        metrics = samples(out)
        assert sorted(labels["site"] for labels, _ in metrics["certchain_chain_ok"]) == [
            "good.example.org", "missing.example.org", "soon.example.org"]
        assert ({"server": "certbot", "site": "missing.example.org",
                 "file": str(host.lineages["missing.example.org"] / "fullchain.pem")}, 0.0) in (
            metrics["certchain_chain_ok"])
        assert out.stat().st_mode & 0o777 == 0o644
        assert sorted(p.name for p in out.parent.iterdir()) == ["certchain.prom"]

    def test_an_older_file_is_replaced(
        self, runner: CliRunner, host: Host, tmp_path: Path
    ) -> None:
        """The last run's metrics are replaced (atomically, by write.py's writer)."""
        out = tmp_path / "certchain.prom"
        out.write_text("# the last run\n")

        audit(runner, host, "--prometheus", out)

        assert "certchain_chain_ok" in out.read_text()

    def test_nothing_else_is_written(self, runner: CliRunner, host: Host, tmp_path: Path) -> None:
        """The host's files are as they were: links, archive files and all."""
        before = tree(host.root)

        audit(runner, host, "--prometheus", tmp_path / "out.prom", "--json")

        assert tree(host.root) == before

    def test_a_missing_folder_is_refused_before_the_audit(
        self, runner: CliRunner, host: Host, tmp_path: Path
    ) -> None:
        """--prometheus in a folder that does not exist: exit 2, one line, no report."""
        result = audit(runner, host, "--prometheus", tmp_path / "nowhere" / "c.prom")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and "no such folder" in result.stderr

    def test_without_prometheus_client(
        self, runner: CliRunner, host: Host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No prometheus_client installed: exit 2, one line naming the extra, nothing written."""
        real = importlib.util.find_spec

        def find_spec(name: str, *args: Any) -> Any:
            return None if name == "prometheus_client" else real(name, *args)

        monkeypatch.setattr(importlib.util, "find_spec", find_spec)
        result = audit(runner, host, "--prometheus", tmp_path / "c.prom")

        assert result.exit_code == ExitCode.BAD_INPUT
        assert result.stderr == (
            "Error: --prometheus needs prometheus_client: pip install 'certchain[prometheus]'.\n")
        assert not (tmp_path / "c.prom").exists()


class TestBadInput:
    def test_a_missing_path_is_one_error_line(
        self, runner: CliRunner, host: Host, tmp_path: Path
    ) -> None:
        """A path that does not exist: exit 2, one Error: line naming it, nothing on stdout."""
        result = audit(runner, host, paths=[tmp_path / "missing.conf"])

        assert result.exit_code == ExitCode.BAD_INPUT
        assert result.stdout == ""
        assert result.stderr == f"Error: {tmp_path / 'missing.conf'}: does not exist.\n"

    def test_the_others_are_still_audited(
        self, runner: CliRunner, host: Host, tmp_path: Path
    ) -> None:
        """One bad path among good ones: the error line, the others' rows, exit 2."""
        result = audit(runner, host,
                       paths=[tmp_path / "missing.conf", host.lineages["good.example.org"]])

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "good.example.org" in result.stdout
        assert ", 1 input unreadable;" in result.stdout.splitlines()[-1]

    def test_json_error_objects(self, runner: CliRunner, host: Host, tmp_path: Path) -> None:
        """--json: an unreadable input is an error object on stdout, in its place."""
        result = audit(runner, host, "--json", paths=[tmp_path / "missing.conf"])

        (doc,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert doc["ok"] is False and doc["file"] == str(tmp_path / "missing.conf")
        assert doc["error"]["code"] == "load-error"

    def test_root_and_paths_together_are_a_usage_error(
        self, runner: CliRunner, host: Host
    ) -> None:
        """--root is where the usual locations are looked for: not with PATHs."""
        result = runner.invoke(main, ["audit", str(host.root / LIVE), "--root", "/"])

        assert result.exit_code == ExitCode.BAD_INPUT
        assert "give either PATHs or --root" in result.stderr

    def test_no_traceback_for_a_bad_folder(
        self, runner: CliRunner, host: Host, tmp_path: Path
    ) -> None:
        """A folder of files with an unreadable certificate: a finding, not a crash."""
        folder = host.add_files("srv/certs", "x.example.org")
        (folder / "broken.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n")

        result = audit(runner, host, paths=[folder])

        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.exit_code == ExitCode.CHAIN_PROBLEM
        assert "broken.crt" in result.stdout and "file-unreadable" not in result.stderr


class TestParallel:
    def test_many_sites_print_as_one_by_one(
        self, runner: CliRunner, host: Host, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """40 sites on every core print exactly what one core prints."""
        for n in range(37):
            host.add_lineage(f"h{n:02}.example.org", chain=n % 7 != 0)
        from certchain import batch

        parallel = audit(runner, host, "--json")
        monkeypatch.setattr(batch, "cores", lambda: 1)
        serial = audit(runner, host, "--json")

        assert len(parallel.stdout.splitlines()) == 40
        assert parallel.stdout == serial.stdout and parallel.exit_code == serial.exit_code
