"""
``certchain build``: from a pile of CA files to a verified chained certificate.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..build import build_chain
from ..deploy import served_files
from ..keyfiles import find_keys
from ..load import load_file, load_files
from ..model import LockedKey, Material
from ..report import build_dict, build_text, links_lines
from ..results import BuildResult
from ..snippets import render
from ..write import (
    Output,
    Protected,
    chain_pem,
    linked,
    plan_output,
    secret_files,
    write_outputs,
)
from .codes import ExitCode
from .common import (
    COMBINED_OPTION,
    EXIT_CODES_HELP,
    FORMAT_OPTION,
    HINTS,
    PASSWORD_FILE,
    QUIET_OPTION,
    Judging,
    check_format,
    combined_output,
    echo_errors,
    input_limits,
    judging_options,
    style_for,
    user_errors,
    with_password,
)


@click.command(
    epilog=EXIT_CODES_HELP, short_help="Build a verified chained certificate from CA files."
)
@click.argument("host", type=click.Path(path_type=Path))
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path),
              help="The host's private key (default: a key among the inputs, "
                   "else HOST-STEM.key beside HOST).")
@PASSWORD_FILE
@input_limits
@judging_options
@click.option("--no-root", is_flag=True, help="Leave the self-signed root out of the output.")
@click.option("-o", "--output", help="Where to write the chained file ('-' for stdout). "
                                      "Default: HOST-STEM-chained.crt beside HOST.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@FORMAT_OPTION
@COMBINED_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@QUIET_OPTION
def build(
    host: Path, inputs: tuple[Path, ...], key_path: Path | None, password_file: Path | None,
    judging: Judging, no_root: bool, output: str | None, force: bool, format_name: str,
    combined: Path | None, as_json: bool, quiet: bool,
) -> None:
    """
    Build a verified chained certificate from HOST and the CA files INPUTS.

    HOST is the host certificate file; INPUTS are the intermediates and the
    root, in any order and any format.  Writes HOST-STEM-chained.crt (leaf,
    intermediates, root) and prints the jupyterhub_config.py lines.
    """
    if output == "-" and as_json:
        raise click.UsageError("--json cannot be combined with -o - (both use stdout).")
    check_format(format_name, combined)
    target = None if output == "-" else Path(output or _default_output(host)).absolute()
    with user_errors():
        policy = judging.policy()
        host_material, others, keys = with_password(
            password_file, lambda pw: _load_inputs(host, inputs, key_path, pw)
        )
        # Refused before any work, but after the inputs: a missing input is
        # the more useful message.  Planned again, with the data, before writing.
        protected = secret_files(key_path, password_file, keys, host_material, others)
        if target is not None:
            plan_output(target, b"", overwrite=force, protected=protected)
        if combined is not None:  # an existing one: refused with its own fixes
            plan_output(combined, b"", overwrite=True, protected=protected)
        result = build_chain(
            host_material, others, policy=policy, keys=keys, include_root=not no_root,
        )
        # The second proof, before anything is written: Python's ssl loads
        # what would be written and shakes hands with it.  Without a key
        # there is nothing a server could load (no-key says so), and the
        # proof's module is not even imported.
        if result.key is not None:
            from ..proof import prove_build

            result = prove_build(result, policy, combined=combined is not None)
        locked = next(iter(keys.locked), None) if keys is not None else None
        written, snippet, key_file, split = _write_result(
            result, target, force, format_name, combined, locked, protected
        )
    if split and not quiet:
        click.echo("\n".join(links_lines(split)), err=True)
    if as_json:
        import json  # here: only --json needs it

        click.echo(json.dumps(
            build_dict(result, written, snippet, HINTS, combined=key_file), indent=2
        ))
    elif quiet:
        echo_errors(result.findings, str(host), HINTS, err=target is None)
    else:
        style = style_for(err=target is None)
        text = build_text(result, host, written, snippet, format_name, HINTS,
                          combined=key_file, colour=style.colour, width=style.width)
        click.echo(text, nl=False, err=target is None)
    if not result.ok:
        sys.exit(ExitCode.CHAIN_PROBLEM)


def _default_output(host: Path) -> Path:
    return host.with_name(f"{host.stem}-chained.crt")


def _load_inputs(
    host: Path, inputs: tuple[Path, ...], key_path: Path | None, password: bytes | None
) -> tuple[Material, Material, Material | None]:
    host_material = load_file(host, password=password)
    others = load_files(inputs, password=password)
    found = Material.merge([host_material, others])
    # A key found beside HOST that is encrypted: asked for on a terminal,
    # else a finding; the user did not name it, so it never stops the build.
    keys = find_keys(
        key_path, password=password, found=found, beside=host, skip=inputs,
        ask=sys.stdin.isatty(),
    )
    return host_material, others, keys


def _write_result(
    result: BuildResult, target: Path | None, force: bool, format_name: str,
    combined: Path | None, locked: LockedKey | None, protected: Protected,
) -> tuple[str | None, str | None, Path | None, list[Output]]:
    """
    Write the chained file (and --combined) if the result is good.

    Returns (where, snippet, combined, the outputs that split hard links).
    """
    if not result.ok:
        return None, None, None, []
    data = chain_pem(result.output_chain)
    # Everything that can refuse (a path the format cannot express, a
    # missing key, an existing file, a dangling link, the key itself as the
    # output, a folder that cannot be written) is settled before anything
    # is written.
    pair = combined_output(combined, result.output_chain, result.key, force)
    snippet = None
    if target is not None:
        files = served_files(target, result.key, combined=combined, locked=locked)
        snippet = render(format_name, files)
    outputs = []
    if pair is not None:
        outputs.append(plan_output(*pair, overwrite=force, mode=0o600, protected=protected))
    if target is not None:
        outputs.append(plan_output(target, data, overwrite=force, protected=protected))
    write_outputs(outputs)
    key_file = pair[0] if pair else None
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return "-", None, key_file, linked(outputs)
    return str(target), snippet, key_file, linked(outputs)
