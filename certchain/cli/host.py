"""
``certchain audit``: every TLS site of this host, found and judged in one run.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem

from ..audit import AuditResult, FailOn, SiteAudit, find_sites, judge_sites
from ..findings import Code, Severity
from ..hostreport import audit_summary, audit_table, config_dict, config_text, site_dict
from ..report import error_lines
from ..write import plan_output, write_file
from .codes import ExitCode
from .common import (
    AUDIT_HINTS,
    EXIT_CODES_HELP,
    PASSWORD_FILE,
    QUIET_OPTION,
    BadInput,
    Judging,
    bad_input,
    input_limits,
    judging_options,
    read_password,
    show_error,
    style_for,
    user_errors,
)
from .progress import progress
from .types import OutputFile

#: What --fail-on takes besides finding codes.
_WARNING, _ERROR = "warning", "error"


class FailOnValue(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 on
    """``warning`` (every warning), ``error`` (the default: errors only) or a finding code."""

    name = "CODE|warning"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Code | Severity:
        if isinstance(value, (Code, Severity)):
            return value
        text = str(value).strip().lower()
        if text in (_WARNING, _ERROR):
            return Severity(text)
        try:
            return Code(text)
        except ValueError:
            self.fail(
                f"{value!r} is neither 'warning' nor a finding code (such as expires-soon; "
                "the README's findings table lists them).", param, ctx,
            )

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        words = [_WARNING, _ERROR, *(code.value for code in Code)]
        return [CompletionItem(w) for w in words if w.startswith(incomplete)]


@click.command(
    epilog=EXIT_CODES_HELP.replace("the chain is good", "every site is good")
    .replace("unreadable file", "an unreadable configuration or folder"),
    short_help="Audit every TLS site of this host, from its server configurations.",
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Look for the usual locations under DIR instead of / (a container's "
                   "filesystem); the files configurations name are read as written.")
@PASSWORD_FILE
@input_limits
@judging_options
@click.option("--fail-on", "fail_on", multiple=True, type=FailOnValue(),
              help="Also count these findings as errors: 'warning' (every warning) or a "
                   "finding code, such as expires-soon with --warn-days; repeatable.")
@click.option("--prometheus", type=OutputFile(), metavar="FILE",
              help="Also write the metrics to FILE in the Prometheus text format, "
                   "atomically (node_exporter's textfile collector).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per site, one per line.")
@QUIET_OPTION
def audit(
    paths: tuple[Path, ...], root: Path | None, password_file: Path | None, judging: Judging,
    fail_on: tuple[Code | Severity, ...], prometheus: Path | None, as_json: bool, quiet: bool,
) -> None:
    """
    Audit every TLS site of this host: each chain, key and name its servers serve.

    Without PATHs, reads the usual configurations of nginx, Apache httpd,
    HAProxy and JupyterHub, and certbot's /etc/letsencrypt/live/*.  A PATH
    is a configuration file, a certbot lineage or a folder of certificate
    files.  Each server's own check runs when it is installed; a file found
    twice is audited once; sites are judged on every core.  One row per
    site, then a summary line.
    """
    if root is not None and paths:
        raise click.UsageError("--root is where the usual locations are looked for: "
                               "give either PATHs or --root.")
    with user_errors(AUDIT_HINTS):
        policy = judging.policy()
        password = read_password(password_file)
        if prometheus is not None:
            _check_prometheus(prometheus)
    rules: FailOn = frozenset(f for f in fail_on if f is not Severity.ERROR)
    with user_errors(AUDIT_HINTS):  # the server's own check failing to run
        inventory = find_sites(paths, root=root or Path("/"), hostname=policy.hostname,
                               fail_on=rules)
    for item in inventory.unreadable:
        show_error(bad_input(item.error, AUDIT_HINTS), as_json=as_json,
                   file=str(item.found.path))
    audits: list[SiteAudit] = []
    style = style_for()
    shown = not (quiet or as_json)
    # user_errors: a worker that died (BatchError) is one line, exit 2.
    with progress(len(inventory.sites), "Auditing", shown=shown) as bar, user_errors(AUDIT_HINTS):
        for site_audit in judge_sites(inventory.sites, policy=policy, password=password,
                                      fail_on=rules, refused=inventory.refused):
            audits.append(site_audit)
            if as_json:
                line = json.dumps(site_dict(site_audit, policy.at, AUDIT_HINTS))
                bar.echo(line)
            bar.advance()
    result = AuditResult(policy.at, tuple(audits), inventory.configs, inventory.unreadable)
    if as_json:
        for config in result.configs:
            click.echo(json.dumps(config_dict(config, AUDIT_HINTS)))
    elif quiet:
        labelled = [(a.findings, f"{a.site.server} {a.site.name}") for a in audits]
        labelled += [(c.findings, f"{c.server} {c.path}") for c in result.configs]
        lines = [line for findings, label in labelled for line in error_lines(
            findings, label, AUDIT_HINTS, colour=style.colour, width=style.width)]
        if lines:
            click.echo("\n".join(lines))
    else:
        if audits:
            click.echo(audit_table(result, AUDIT_HINTS, colour=style.colour,
                                   width=style.width), nl=False)
        click.echo(config_text(result.configs, AUDIT_HINTS, colour=style.colour,
                               width=style.width), nl=False)
    if not quiet and (audits or not inventory.unreadable):
        click.echo(audit_summary(result, discovered=not paths), err=as_json)
    if prometheus is not None:
        with user_errors(AUDIT_HINTS):
            from ..metrics import prometheus_text

            write_file(prometheus, prometheus_text(result), overwrite=True, mode=0o644)
    if inventory.unreadable:
        sys.exit(ExitCode.BAD_INPUT)
    if not result.ok:
        sys.exit(ExitCode.CHAIN_PROBLEM)


def _check_prometheus(path: Path) -> None:
    """Refuse --prometheus before the audit: no prometheus_client, or nowhere to write."""
    if importlib.util.find_spec("prometheus_client") is None:
        raise BadInput(
            "--prometheus needs prometheus_client: pip install 'certchain[prometheus]'."
        )
    plan_output(path, b"", overwrite=True)  # the folder exists and is writable; not a folder
