"""
Read an Apache httpd 2.4 configuration as httpd reads it: every TLS virtual host.

No maintained Python library parses httpd's configuration as httpd does
(``Include`` with globs and directories, ``Define`` and ``${VAR}``,
``<IfModule>``): this is a small reader of its syntax, enough for the
directives certchain needs.  Lines continue after a trailing backslash;
``#`` starts a comment line; arguments are words, or quoted with ``"`` or
``'``.  ``${VAR}`` is replaced by what ``Define`` set before it, line by
line as httpd does (variables of httpd's environment, such as Debian's
``envvars``, are not read).  ``Include`` and ``IncludeOptional`` are
followed in place (relative paths from ``ServerRoot``, else the main
file's folder; globs and directories sorted, as httpd sorts them).
``<IfModule>`` is decided by the ``LoadModule`` lines read before it (all
true when the file loads no module: a file of virtual hosts alone),
``<IfDefine>`` by ``Define``, ``<IfFile>`` by the file; other conditions
(``<IfVersion>``, ``<IfDirective>``, ``<IfSection>``) are read as true.

Each ``<VirtualHost>`` with ``SSLEngine on`` (set in it or for the whole
server) is a :class:`~certchain.sites.Site` per ``SSLCertificateFile``, with
the ``SSLCertificateKeyFile`` of the same rank and ``SSLCertificateChainFile``
(deprecated since 2.4.8: a ``deprecated-directive`` warning); its names are
``ServerName`` (else the server's) and ``ServerAlias``.  The whole server is
a site when it enables TLS and has no virtual host.  What cannot be
evaluated (an undefined ``${VAR}``, a macro) is an ``unevaluated-config``
warning; a missing ``Include`` or one that matches nothing, an unreadable
include, an include loop and an unclosed section are
:class:`~certchain.errors.ConfigError`, as httpd refuses them.
Reads the configuration files only.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigError
from .findings import Code, Finding, Severity
from .reading import read_config_part
from .sites import ServerConfig, Site, Where

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_WORD = re.compile(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'|(\S+)')
# Directives this reader keeps (lower case: httpd's names are case-insensitive).
_KEPT = {
    "sslengine", "sslcertificatefile", "sslcertificatekeyfile", "sslcertificatechainfile",
    "servername", "serveralias", "use",
}
# Modules compiled into httpd, which no LoadModule line names.
_STATIC = {"core.c", "mod_so.c", "http_core.c", "mod_watchdog.c", "mod_log_config.c",
           "mod_logio.c", "mod_version.c", "mod_unixd.c"}


@dataclass
class _Line:
    """One directive kept: its name (lower case), arguments, place, and what stays unknown."""

    name: str
    args: list[str]
    where: Where
    unknown: tuple[str, ...] = ()  # ${VAR}s nothing defined
    block: list[_Line] | None = None  # a <VirtualHost>'s directives


@dataclass
class _State:
    """What reading has learnt so far, in file order (as httpd learns it)."""

    root: Path  # ServerRoot
    defines: dict[str, str] = field(default_factory=dict)
    modules: set[str] = field(default_factory=set)
    read: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def read_apache(path: Path) -> ServerConfig:
    """
    Read the httpd configuration *path* and the files it includes.

    Raises:
        LoadError: *path* cannot be read.
        ConfigError: a section is not closed, an include loops, or an
            ``Include`` is missing, unreadable or matches nothing.
    """
    path = path.absolute()
    state = _State(root=path.parent)
    top = _file(path, None, state, [path])
    lines = [line for line in top if line.block is None]
    hosts = [line for line in top if line.block is not None]
    sites: list[Site] = []
    for host in hosts:
        sites += _sites(host.block or [], lines, host.where, state,
                        f"<VirtualHost {' '.join(host.args)}>")
    if not hosts:
        sites += _sites(lines, [], None, state)
    for line in top:
        for used in [line, *(line.block or [])]:
            if used.name == "use":
                state.findings.append(_unevaluated(used, "is a macro, which certchain does "
                                                   "not expand: check the sites it makes by hand"))
    if not sites:
        state.findings.append(Finding(
            Code.SSL_NOT_SET, Severity.WARNING,
            f"No virtual host in {path} or the files it includes has SSLEngine on: httpd "
            "serves no TLS site from this configuration.",
        ))
    return ServerConfig("apache", path, tuple(sites), files=tuple(state.read),
                        findings=tuple(state.findings), whole=bool(state.modules))


# ------------------------------------------------------------------ the sites


def _sites(
    own: list[_Line], server: list[_Line], start: Where | None, state: _State,
    unnamed: str = "the main server",
) -> list[Site]:
    """The sites of one virtual host (*own*: its directives), or of the whole server."""

    def values(name: str) -> list[_Line]:
        mine = [line for line in own if line.name == name]
        return mine or [line for line in server if line.name == name]

    engine = values("sslengine")
    if not engine or engine[-1].args[:1] != ["on"] or _unknown(engine[-1], state):
        return []
    found: list[Finding] = []
    names, names_where = _names(values("servername"), [x for x in own if x.name == "serveralias"],
                                found, state)
    label = names[0] if names else unnamed
    base = Site(server="apache", name=label, chain=None, names=tuple(names),
                names_where=names_where, where=start, directive="SSLCertificateFile")
    certs = values("sslcertificatefile")
    if not certs:
        return [replace(base, findings=(Finding(
            Code.SSL_NOT_SET, Severity.ERROR,
            f"Site {label} ({start or 'the server'}) has SSLEngine on, but no "
            "SSLCertificateFile is set in it or for the server: httpd will not start; "
            "name the certificate and key files.",
        ),))]
    chains = values("sslcertificatechainfile")
    extra = _path(chains[-1], state, found) if chains else None
    if chains:
        found.append(Finding(
            Code.DEPRECATED_DIRECTIVE, Severity.WARNING,
            f"Site {label}: SSLCertificateChainFile ({chains[-1].where}) is deprecated "
            "since httpd 2.4.8: put the intermediates in SSLCertificateFile's file, after "
            "the leaf, and remove the directive.",
        ))
    keys = values("sslcertificatekeyfile")
    sites = []
    for rank, cert in enumerate(certs):
        own_found = list(found)
        key = keys[rank] if rank < len(keys) else None
        sites.append(replace(
            base, chain=_path(cert, state, own_found), where=cert.where,
            key=_path(key, state, own_found) if key is not None else None,
            key_where=key.where if key is not None else None,
            extra_chain=extra, extra_where=chains[-1].where if chains else None,
            findings=tuple(own_found),
        ))
    return sites


def _names(
    server_names: list[_Line], aliases: list[_Line], found: list[Finding], state: _State
) -> tuple[list[str], Where | None]:
    names: list[str] = []
    for line in [*server_names[-1:], *aliases]:
        if _unknown(line, state, found):
            continue
        for value in line.args[:1] if line.name == "servername" else line.args:
            # ServerName may be [scheme://]name[:port].
            host = value.split("://", 1)[-1].rsplit(":", 1)[0] if "]" not in value else value
            host = host.lower()
            if "?" in host or host.count("*") > 1 or ("*" in host and not host.startswith("*.")):
                found.append(_unevaluated(line, f"holds {value}, a pattern certchain does not "
                                          "expand: check the names it matches by hand"))
            elif host and host not in names:
                names.append(host)
    first = server_names[-1] if server_names else aliases[0] if aliases else None
    return names, first.where if first is not None else None


def _path(line: _Line, state: _State, found: list[Finding]) -> Path | None:
    """The file *line* names (relative paths from ServerRoot), or None when not known."""
    if _unknown(line, state, found):
        return None
    if len(line.args) != 1:
        raise ConfigError(f"{line.where}: {_title(line.name)} takes one file, "
                          f"not {len(line.args)}: httpd refuses it.")
    value = line.args[0]
    if re.match(r"^[a-z0-9]+:", value) and not os.path.isabs(value):
        found.append(_unevaluated(line, f"names {value!r}, which is not a file (an OpenSSL "
                                  "engine or store URI): check it by hand"))
        return None
    return Path(value) if os.path.isabs(value) else state.root / value


def _unknown(line: _Line, state: _State, found: list[Finding] | None = None) -> bool:
    if not line.unknown:
        return False
    finding = _unevaluated(line, f"uses ${{{line.unknown[0]}}}, which no Define sets "
                           "(httpd may take it from its environment): check it by hand")
    (found if found is not None else state.findings).append(finding)
    return True


def _unevaluated(line: _Line, why: str) -> Finding:
    return Finding(Code.UNEVALUATED_CONFIG, Severity.WARNING,
                   f"{_title(line.name)} ({line.where}) {why}.")


def _title(name: str) -> str:
    titles = {"sslcertificatefile": "SSLCertificateFile",
              "sslcertificatekeyfile": "SSLCertificateKeyFile",
              "sslcertificatechainfile": "SSLCertificateChainFile", "sslengine": "SSLEngine",
              "servername": "ServerName", "serveralias": "ServerAlias", "use": "Use",
              "include": "Include", "includeoptional": "IncludeOptional"}
    return titles.get(name, name)


# ------------------------------------------------------------------ the files


def _file(path: Path, includer: Where | None, state: _State, stack: list[Path]) -> list[_Line]:
    """The directives kept from *path*, its includes read in place."""
    data = read_config_part(
        path, f"{includer}: Include" if includer else None, main="httpd.conf or apache2.conf",
        refusal="httpd refuses the configuration (IncludeOptional would not, for a missing file)",
    )
    if path not in state.read:
        state.read.append(path)
    lines = _logical_lines(data.decode("utf-8", "replace"))
    kept, _ = _section(path, lines, 0, None, state, stack)
    return kept


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of each directive line: continuations joined, comments dropped."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        line, pending = (pending + line).strip(), ""
        if line and not line.startswith("#"):
            out.append((start, line))
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def _section(
    path: Path, lines: list[tuple[int, str]], index: int, closing: str | None, state: _State,
    stack: list[Path],
) -> tuple[list[_Line], int]:
    """Read from *index* until ``</closing>`` (or the end); return the kept lines and where."""
    kept: list[_Line] = []
    while index < len(lines):
        number, text = lines[index]
        where = Where(path, number)
        index += 1
        if text.startswith("</"):
            name = text[2:].rstrip(">").strip().lower()
            if closing is None or name != closing:
                raise ConfigError(f"{where}: {text} closes no open section: httpd refuses it.")
            return kept, index
        if text.startswith("<"):
            kept_inner, index = _container(path, lines, index, where, text, state, stack)
            kept += kept_inner
            continue
        name, _, rest = text.partition(" ")
        name = name.lower()
        rest, unknown = _substitute(rest.strip(), state)
        args = [next(g for g in m.groups() if g is not None) for m in _WORD.finditer(rest)]
        if name in ("include", "includeoptional"):
            kept += _include(name, args, unknown, where, state, stack)
        elif name == "define" and args and not unknown:
            state.defines[args[0]] = " ".join(args[1:])
        elif name == "undefine" and args:
            state.defines.pop(args[0], None)
        elif name == "loadmodule" and len(args) == 2:
            state.modules |= {args[0], Path(args[1]).name.removesuffix(".so") + ".c"}
        elif name == "serverroot" and len(args) == 1 and not unknown:
            state.root = Path(args[0])
        elif name in _KEPT:
            kept.append(_Line(name, args, where, unknown))
    if closing is not None:
        raise ConfigError(f"{path}: <{closing}> is not closed before the end of the file: "
                          "httpd refuses it.")
    return kept, index


def _container(
    path: Path, lines: list[tuple[int, str]], index: int, where: Where, text: str,
    state: _State, stack: list[Path],
) -> tuple[list[_Line], int]:
    """A ``<Section args>``: a virtual host, a condition, or another container."""
    inner_text, unknown = _substitute(text[1:].rstrip(">").strip(), state)
    name, _, argument = inner_text.partition(" ")
    name, argument = name.lower(), argument.strip()
    if name == "macro":
        return [], _skip(path, lines, index, "macro")
    inner, index = _section(path, lines, index, name, state, stack)
    if name == "virtualhost":
        return [_Line(name, argument.split(), where, unknown, block=inner)], index
    if name.startswith("if") and name not in ("if",):
        return (inner if _holds(name, argument, state) else []), index
    # <Directory>, <Location>, <If>, ...: nothing certchain reads stands there.
    return [], index


def _skip(path: Path, lines: list[tuple[int, str]], index: int, closing: str) -> int:
    depth = 1
    while index < len(lines):
        text = lines[index][1].lower()
        index += 1
        if text.startswith(f"</{closing}"):
            depth -= 1
            if depth == 0:
                return index
        elif text.startswith(f"<{closing}"):
            depth += 1
    raise ConfigError(f"{path}: <{closing}> is not closed before the end of the file: "
                      "httpd refuses it.")


def _holds(name: str, argument: str, state: _State) -> bool:
    """Whether a condition holds (one httpd decides at start-up without a request)."""
    negated = argument.startswith("!")
    subject = argument[1:].strip() if negated else argument
    if name == "ifmodule":
        result = not state.modules or subject in state.modules or subject in _STATIC
    elif name == "ifdefine":
        result = subject in state.defines
    elif name == "iffile":
        file = Path(subject.strip('"'))
        result = (file if file.is_absolute() else state.root / file).exists()
    else:
        return True  # <IfVersion>, <IfDirective>, <IfSection>: read as true
    return result != negated


def _substitute(text: str, state: _State) -> tuple[str, tuple[str, ...]]:
    """*text* with each defined ``${VAR}`` replaced; and the names nothing defines."""
    unknown: list[str] = []

    def value(match: re.Match[str]) -> str:
        if match.group(1) in state.defines:
            return state.defines[match.group(1)]
        unknown.append(match.group(1))
        return match.group(0)

    return _VARIABLE.sub(value, text), tuple(unknown)


def _include(
    name: str, args: list[str], unknown: tuple[str, ...], where: Where, state: _State,
    stack: list[Path],
) -> list[_Line]:
    optional = name == "includeoptional"
    line = _Line(name, args, where, unknown)
    if unknown:
        state.findings.append(_unevaluated(line, f"uses ${{{unknown[0]}}}, which no Define "
                                           "sets: the files it includes were not read"))
        return []
    if len(args) != 1:
        raise ConfigError(f"{where}: {_title(name)} takes one path, not {len(args)}.")
    pattern = Path(args[0]) if os.path.isabs(args[0]) else state.root / args[0]
    if glob.has_magic(str(pattern)):
        files = sorted(glob.glob(str(pattern)))
        if not files and not optional:
            raise ConfigError(f"{where}: Include {args[0]} matches no file: httpd refuses "
                              "that (IncludeOptional allows it).")
    elif pattern.is_dir():
        files = [str(pattern)]
    elif not pattern.exists() and optional:
        files = []
    else:
        files = [str(pattern)]
    kept: list[_Line] = []
    for name_found in files:
        for file in _walk(Path(name_found)):
            if file in stack:
                raise ConfigError(
                    f"{where}: include loop: {file} includes itself through "
                    f"{' -> '.join(str(p) for p in stack[stack.index(file):])}: httpd "
                    "refuses it; remove the loop."
                )
            kept += _file(file, where, state, [*stack, file])
    return kept


def _walk(path: Path) -> list[Path]:
    """*path*, or every file under the directory *path*, sorted (httpd reads them all)."""
    if not path.is_dir():
        return [path]
    found: list[Path] = []
    for entry in sorted(os.listdir(path)):
        found += _walk(path / entry)
    return found
