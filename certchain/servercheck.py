"""
The server's own verdict on its configuration: ``nginx -t``, ``apachectl -t``, ``haproxy -c``.

Run when the server is installed, on the files certchain read, so that a
configuration the server refuses is reported as refused, whatever
certchain's reader made of it.  The server's complaints are sorted three
ways: about a site's certificate or key file (it names one: a
``server-refuses`` error on that site, beside certchain's own findings);
about this user's rights (``Permission denied`` on another file: the check
could not be made here, an ``unevaluated-config`` warning); anything else
is the configuration refused (:class:`~certchain.errors.ConfigError`).
Also ``nginx -T``, which prints every file nginx reads.  The only module
that runs a server's program; never through a shell, always with a
deadline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .findings import Code, Finding, Severity
from .sites import ServerConfig

#: The longest a server's check may take (httpd loads its modules, HAProxy its certificates).
CHECK_TIMEOUT = 60.0
# Where servers' programs live, beyond PATH (not on every user's PATH).
_SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")
_PROGRAMS = {
    "nginx": ("nginx",),
    "apache": ("apachectl", "apache2ctl", "apache2", "httpd"),
    "haproxy": ("haproxy",),
}
_NGINX_LINE = re.compile(r"^(?:nginx: |\S+ \S+ )?\[(emerg|alert|crit)\] (?:\d+#\d+: )?(.*)$")
_HAPROXY_NOISE = ("Error(s) found in configuration file", "Fatal errors found")


@dataclass(frozen=True, slots=True)
class CheckRun:
    """One run of a server's check: the command, whether it passed, what it said."""

    command: tuple[str, ...]
    ok: bool
    output: str

    @property
    def program(self) -> str:
        """How messages name the check: ``nginx -t``."""
        return f"{Path(self.command[0]).name} {self.command[1]}"


def program(server: str) -> str | None:
    """The installed program of *server* that checks its configuration, or None."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *_SBIN])
    for name in _PROGRAMS.get(server, ()):
        found = shutil.which(name, path=search)
        if found is not None:
            return found
    return None


def run_check(config: ServerConfig) -> CheckRun | None:
    """
    Run the server's own check on *config*'s file; None when it is not installed.

    Not run for JupyterHub (which has none) nor on a file that is part of a
    configuration (``ServerConfig.whole`` is False: the server would refuse
    it alone).
    """
    found = program(config.server) if config.whole else None
    if found is None:
        return None
    path = str(config.path.absolute())
    command = {
        "nginx": (found, "-t", "-c", path),
        "apache": (found, "-t", "-f", path, "-d", str(config.path.absolute().parent)),
        "haproxy": (found, "-c", "-f", path),
    }[config.server]
    return _run(command, config.path.absolute().parent)


def nginx_dump(path: Path | None) -> str:
    """
    Return what ``nginx -T`` prints: every file nginx reads for *path* (None: its default).

    Raises:
        ConfigError: nginx is not installed, or refuses the configuration.
    """
    found = program("nginx")
    if found is None:
        raise ConfigError("nginx is not installed here, so it cannot print its configuration "
                          "(nginx -T): give the configuration file instead.")
    command = (found, "-T", *(("-c", str(path.absolute())) if path is not None else ()))
    run = _run(command, None, stdout_only=True)
    if not run.ok:
        said = _complaints("nginx", run.output) or [run.output.strip() or "no reason given"]
        raise ConfigError(f"nginx -T refuses the configuration: {said[0]}")
    return run.output


def judge_run(config: ServerConfig, run: CheckRun) -> tuple[dict[int, Finding], list[Finding]]:
    """
    Sort what a failed check said: findings per site (by index), and about the configuration.

    Raises:
        ConfigError: the server refuses the configuration for a reason that is
            not one site's files, nor this user's rights.
    """
    per_site: dict[int, Finding] = {}
    general: list[Finding] = []
    if run.ok:
        return per_site, general
    complaints = _complaints(config.server, run.output)
    for line in complaints:
        hit = [i for i, site in enumerate(config.sites) if _names_files(line, site.chain,
                                                                         site.key,
                                                                         site.extra_chain)]
        for index in hit:
            site = config.sites[index]
            per_site.setdefault(index, Finding(
                Code.SERVER_REFUSES, Severity.ERROR,
                f"{run.program} refuses the files of site {site.name}: {line} (the "
                "findings say why; the server will not start with them).",
            ))
        if hit:
            continue
        if "Permission denied" in line:
            general.append(Finding(
                Code.UNEVALUATED_CONFIG, Severity.WARNING,
                f"{run.program} could not check {config.path} as this user ({line}): run "
                "certchain as the user that starts the server (root, for a system service) "
                "to have its verdict too.",
            ))
            continue
        raise ConfigError(f"{config.path}: {run.program} refuses this configuration: {line}")
    if not complaints:
        raise ConfigError(f"{config.path}: {run.program} refuses this configuration: "
                          f"{run.output.strip() or 'it gave no reason'}")
    return per_site, general


def _names_files(line: str, *paths: Path | None) -> bool:
    return any(p is not None and str(p) in line for p in paths)


def _complaints(server: str, output: str) -> list[str]:
    """The lines of *output* that say what is wrong, without the program's decorations."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if server == "nginx":
        return [m.group(2) for m in map(_NGINX_LINE.match, lines) if m is not None]
    if server == "haproxy":
        found = []
        for line in lines:
            if "[ALERT]" in line and not any(noise in line for noise in _HAPROXY_NOISE):
                found.append(re.sub(r"^\[ALERT\]\s*(\(\d+\)\s*)?:\s*(config\s*:\s*)?", "",
                                    line))
        return found
    # httpd: "AH00526: Syntax error on line 9 of FILE:" then the reason, or one line.
    joined = []
    for index, line in enumerate(lines):
        if line.startswith(("Action ", "The Apache error log")):
            continue
        if line.endswith(":") and index + 1 < len(lines):
            continue  # its reason follows on the next line, which names it
        previous = lines[index - 1] if index and lines[index - 1].endswith(":") else ""
        joined.append(f"{previous} {line}".strip())
    # httpd also prints warnings (AH00558: no fully qualified domain name) that
    # do not refuse anything: its syntax errors, when there are some, say why.
    errors = [line for line in joined if "Syntax error" in line or "AH00526" in line]
    return errors or joined


def _run(command: tuple[str, ...], folder: Path | None, *, stdout_only: bool = False) -> CheckRun:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, errors="replace", timeout=CHECK_TIMEOUT,
            stdin=subprocess.DEVNULL, cwd=folder, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ConfigError(f"{' '.join(command[:2])} did not answer within "
                          f"{CHECK_TIMEOUT:.0f} seconds.") from exc
    except OSError as exc:
        raise ConfigError(f"{command[0]} cannot be run: {exc.strerror or exc}.") from exc
    said = done.stdout if stdout_only and done.returncode == 0 else done.stdout + done.stderr
    return CheckRun(command, done.returncode == 0, said)
