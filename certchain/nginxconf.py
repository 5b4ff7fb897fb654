"""
Read an nginx configuration as nginx reads it: every TLS ``server`` and its files.

nginxinc's ``crossplane`` lexes each file (quotes, escapes, comments, blocks,
line numbers); this module follows ``include`` (globs sorted, as nginx
sorts them; relative patterns from the main file's folder, nginx's
configuration prefix) into the context it stands in, and walks every
``server`` of ``http``, ``stream`` and ``mail``.  A server is a TLS site when
one of its ``listen`` lines says ``ssl`` (or ``quic``), or ``ssl on`` is set.
Its ``ssl_certificate``, ``ssl_certificate_key`` and ``ssl_password_file``
come from the server, else from the block around it, as nginx inherits them
(a level that sets ``ssl_certificate`` replaces the whole list above it);
each certificate with its key is one :class:`~certchain.sites.Site`, whose
names are the ``server_name`` values (``.a.org`` stands for ``a.org`` and
``*.a.org``; regular expressions are reported, not guessed).  Relative file
paths are taken from the configuration prefix, as nginx does.

A value made at run time (a ``$variable``, ``data:``, ``engine:``) is an
``unevaluated-config`` warning.  A file crossplane cannot parse, an include
loop (on which nginx itself crashes), and an explicit include that is missing
or unreadable are :class:`~certchain.errors.ConfigError`; a glob that matches
nothing is fine, as nginx says.  Reads the configuration files only.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import crossplane  # type: ignore[import-untyped]  # no type information

from .errors import ConfigError
from .findings import Code, Finding, Severity
from .reading import read_config_part
from .sites import ServerConfig, Site, Where

# The blocks whose ``server`` blocks serve clients, and where each directive
# this reader uses may stand.
_PROTOCOLS = ("http", "stream", "mail")
_INHERITED = ("ssl_certificate", "ssl_certificate_key", "ssl_password_file", "ssl")
_DUMP_HEADER = "# configuration file "

Directive = dict[str, Any]


@dataclass
class _Scope:
    """The TLS directives in force at one level: those set here, else the level above."""

    values: dict[str, list[tuple[list[str], Where]]] = field(default_factory=dict)

    def child(self) -> _Scope:
        return _Scope(dict(self.values))

    def set(self, name: str, args: list[str], where: Where, *, fresh: set[str]) -> None:
        """Record one directive; the first at a level replaces what the level above set."""
        if name not in fresh:
            fresh.add(name)
            self.values[name] = []
        self.values[name].append((args, where))

    def get(self, name: str) -> list[tuple[list[str], Where]]:
        return self.values.get(name, [])


def read_nginx(path: Path, *, dump: str | None = None) -> ServerConfig:
    """
    Read the nginx configuration *path* and the files it includes.

    *dump*: the output of ``nginx -T`` (:func:`certchain.servercheck.nginx_dump`),
    read instead of the files themselves: what nginx itself read, each file
    under its own name; *path* is then the first file of the dump.

    Raises:
        LoadError: *path* cannot be read.
        ConfigError: a file cannot be parsed, an include loops, or an explicit
            include is missing or unreadable.
    """
    path = path.absolute()
    files: _Files = _DiskFiles()
    if dump is not None:
        files = dumped = _DumpedFiles(dump)
        path = dumped.first()
    reader = _Reader(files, path.parent)
    with files.opened():
        top = files.parse(path, None)
        reader.walk(top, path, (), _Scope(), [path])
    if not reader.sites:
        reader.findings.append(Finding(
            Code.SSL_NOT_SET, Severity.WARNING,
            f"No server in {path} or the files it includes listens with ssl: nginx serves "
            "no TLS site from this configuration.",
        ))
    whole = any(d["directive"] in ("events", "http") for d in top)
    return ServerConfig(
        "nginx", path, tuple(reader.sites), files=tuple(reader.read),
        findings=tuple(reader.findings), whole=whole,
    )


class _Reader:
    """One walk over the configuration: the sites found and the files read."""

    def __init__(self, files: _Files, prefix: Path) -> None:
        self.files = files
        self.prefix = prefix  # nginx's configuration prefix: relative paths start there
        self.sites: list[Site] = []
        self.findings: list[Finding] = []
        self.read: list[Path] = []

    def walk(
        self, block: list[Directive], file: Path, context: tuple[str, ...], scope: _Scope,
        stack: list[Path],
    ) -> None:
        """Walk *block* (of *file*, inside *context*), following includes in place."""
        if file not in self.read:
            self.read.append(file)
        directives = list(self._expanded(block, file, stack))
        # nginx merges a level's settings into its servers once the level is
        # read: a directive after a server block applies to it too.
        fresh: set[str] = set()
        for directive in directives:
            if directive["directive"] in _INHERITED and len(context) <= 1:
                where = Where(directive["file"], directive["line"])
                scope.set(directive["directive"], directive["args"], where, fresh=fresh)
        for directive in directives:
            name = directive["directive"]
            if name in _PROTOCOLS and not context and "block" in directive:
                self.walk(directive["block"], directive["file"], (name,), scope.child(), stack)
            elif name == "server" and "block" in directive and len(context) <= 1:
                # A file of server blocks alone (sites-enabled/x) is read as http's.
                self._server(directive, context[0] if context else "http", scope.child(), stack)

    def _expanded(
        self, block: list[Directive], file: Path, stack: list[Path]
    ) -> Iterator[Directive]:
        """*block*'s directives, each marked with its file, includes replaced by their content."""
        for directive in block:
            if directive["directive"] != "include":
                yield {**directive, "file": file}
                continue
            where = Where(file, directive["line"])
            for included in self._included(directive["args"], where):
                if included in stack:
                    raise ConfigError(
                        f"{where}: include loop: {included} includes itself through "
                        f"{' -> '.join(str(p) for p in [*stack[stack.index(included):]])}; "
                        "nginx cannot load it (it recurses until it crashes): remove the loop."
                    )
                if included not in self.read:
                    self.read.append(included)
                inner = self.files.parse(included, where)
                yield from self._expanded(inner, included, [*stack, included])

    def _included(self, args: list[str], where: Where) -> list[Path]:
        if len(args) != 1:
            raise ConfigError(f"{where}: include takes one file or pattern, not {len(args)}.")
        pattern = args[0]
        full = Path(pattern) if os.path.isabs(pattern) else self.prefix / pattern
        if glob.has_magic(pattern):
            return self.files.expand(full)  # nothing matched: fine, as nginx says
        return [full]

    def _server(
        self, directive: Directive, protocol: str, scope: _Scope, stack: list[Path]
    ) -> None:
        fresh: set[str] = set()
        listens: list[tuple[list[str], Where]] = []
        names: list[tuple[list[str], Where]] = []
        for inner in self._expanded(directive["block"], directive["file"], stack):
            where = Where(inner["file"], inner["line"])
            if inner["directive"] == "listen":
                listens.append((inner["args"], where))
            elif inner["directive"] == "server_name":
                names.append((inner["args"], where))
            elif inner["directive"] in _INHERITED:
                scope.set(inner["directive"], inner["args"], where, fresh=fresh)
        start = Where(directive["file"], directive["line"])
        tls = [w for args, w in listens if {"ssl", "quic"} & set(args[1:])]
        switched = scope.get("ssl")
        if not tls and not (switched and switched[-1][0][:1] == ["on"]):
            return
        self.sites += _sites(self, protocol, start, listens, names, scope)

    def path(self, value: str) -> Path:
        """A file path as nginx takes it: relative ones from the configuration prefix."""
        return Path(value) if os.path.isabs(value) else self.prefix / value


def _sites(
    reader: _Reader, protocol: str, start: Where, listens: list[tuple[list[str], Where]],
    names: list[tuple[list[str], Where]], scope: _Scope,
) -> list[Site]:
    served, names_where, found = _names(names)
    label = next((n for n in served if "*" not in n), None) or (served[0] if served else None)
    if label is None:
        address = listens[0][0][0] if listens and listens[0][0] else "443"
        label = f"{protocol} server listening on {address}"
    certs = scope.get("ssl_certificate")
    keys = scope.get("ssl_certificate_key")
    passwords = scope.get("ssl_password_file")
    password_file = None
    if passwords:
        password_file = _value(reader, "ssl_password_file", passwords[-1], found)
    base = Site(
        server="nginx", name=label, chain=None, names=tuple(served), names_where=names_where,
        directive="ssl_certificate", where=start, passwords=password_file,
    )
    if not certs:
        return [replace(base, findings=(*found, Finding(
            Code.SSL_NOT_SET, Severity.ERROR,
            f"Site {label} ({start}) listens with ssl, but no ssl_certificate is set in it "
            f"or around it: nginx will not start; name the certificate and key files.",
        )))]
    sites = []
    for index, cert in enumerate(certs):
        own = list(found)
        chain = _value(reader, "ssl_certificate", cert, own)
        key = None
        key_where = None
        if index < len(keys):
            key = _value(reader, "ssl_certificate_key", keys[index], own)
            key_where = keys[index][1]
        else:
            own.append(Finding(
                Code.SSL_NOT_SET, Severity.ERROR,
                f"Site {label}: ssl_certificate ({cert[1]}) has no ssl_certificate_key to go "
                f"with it: nginx will not start; name its key file.",
            ))
        sites.append(replace(
            base, chain=chain, key=key, where=cert[1], key_where=key_where,
            findings=tuple(own),
        ))
    return sites


def _value(
    reader: _Reader, name: str, setting: tuple[list[str], Where], found: list[Finding]
) -> Path | None:
    """The file a directive names, or None (with a finding) when it cannot be known."""
    args, where = setting
    if len(args) != 1:
        raise ConfigError(f"{where}: {name} takes one file, not {len(args)}.")
    value = args[0]
    if "$" in value or value.startswith(("data:", "engine:")):
        found.append(Finding(
            Code.UNEVALUATED_CONFIG, Severity.WARNING,
            f"{name} ({where}) is {value!r}, which nginx works out as it runs (a variable, "
            "inline data or an engine): certchain cannot read that file; check it by hand.",
        ))
        return None
    return reader.path(value)


def _names(
    settings: list[tuple[list[str], Where]],
) -> tuple[list[str], Where | None, list[Finding]]:
    """The host names of ``server_name`` lines, each to be covered; and where they are."""
    names: list[str] = []
    found: list[Finding] = []
    for args, where in settings:
        for value in args:
            if value in ("", "_") or value.startswith("$"):
                continue  # no name, a catch-all, or the machine's host name ($hostname)
            if value.startswith("~") or value.endswith(".*") or value.count("*") > 1:
                found.append(Finding(
                    Code.UNEVALUATED_CONFIG, Severity.WARNING,
                    f"server_name {value} ({where}) is a pattern certchain does not expand: "
                    "check by hand that the certificate covers the names it matches.",
                ))
                continue
            host = value.lower()
            expanded = [host[1:], "*" + host] if host.startswith(".") else [host]
            names += [n for n in expanded if n not in names]
    return names, settings[0][1] if settings else None, found


# ------------------------------------------------------------------ the files


class _Files:
    """Where the configuration's files come from: the disk, or nginx's own dump."""

    def parse(self, path: Path, includer: Where | None) -> list[Directive]:
        raise NotImplementedError

    def expand(self, pattern: Path) -> list[Path]:
        raise NotImplementedError

    @contextmanager
    def opened(self) -> Iterator[None]:
        yield


class _DiskFiles(_Files):
    """Files read from the disk, through certchain's bounded reader first."""

    def __init__(self) -> None:
        self.cache: dict[Path, list[Directive]] = {}

    def parse(self, path: Path, includer: Where | None) -> list[Directive]:
        if path not in self.cache:
            read_config_part(  # bounded, regular files only: checked before crossplane reads
                path, f"{includer}: include" if includer else None, main="nginx.conf",
                refusal="nginx refuses the configuration; fix the include or the file "
                        "(a pattern that matches nothing is fine)",
            )
            self.cache[path] = _crossplane(path, str(path), lambda text: text)
        return self.cache[path]

    def expand(self, pattern: Path) -> list[Path]:
        return [Path(p) for p in sorted(glob.glob(str(pattern)))]


class _DumpedFiles(_Files):
    """The files of ``nginx -T``'s output, each under the name nginx gave it."""

    def __init__(self, dump: str) -> None:
        self.texts: dict[Path, str] = {}
        current: Path | None = None
        lines: list[str] = []
        for line in dump.splitlines(keepends=True):
            if line.startswith(_DUMP_HEADER) and line.rstrip().endswith(":"):
                if current is not None:
                    self.texts.setdefault(current, _undumped(lines))
                current, lines = Path(line[len(_DUMP_HEADER):].rstrip()[:-1]), []
            elif current is not None:
                lines.append(line)
        if current is not None:
            self.texts.setdefault(current, _undumped(lines))
        if not self.texts:
            raise ConfigError("nginx -T printed no configuration file.")
        self.folder: Path | None = None
        self.cache: dict[Path, list[Directive]] = {}

    def first(self) -> Path:
        return next(iter(self.texts))

    @contextmanager
    def opened(self) -> Iterator[None]:
        with tempfile.TemporaryDirectory(prefix="certchain-nginx-") as folder:
            self.folder = Path(folder)
            try:
                yield
            finally:
                self.folder = None

    def parse(self, path: Path, includer: Where | None) -> list[Directive]:
        if path not in self.texts:
            raise ConfigError(f"{includer or path}: nginx -T did not print {path}.")
        if path not in self.cache:
            assert self.folder is not None
            copy = self.folder / f"{len(self.cache)}.conf"
            copy.write_text(self.texts[path], encoding="utf-8")
            self.cache[path] = _crossplane(path, str(copy), lambda text: text.replace(
                str(copy), str(path)
            ))
        return self.cache[path]

    def expand(self, pattern: Path) -> list[Path]:
        return sorted(p for p in self.texts if fnmatch.fnmatchcase(str(p), str(pattern)))


def _undumped(lines: list[str]) -> str:
    # nginx -T prints each file, then an empty line.
    text = "".join(lines)
    return text[:-1] if text.endswith("\n\n") else text


def _crossplane(path: Path, name: str, renamed: Callable[[str], str]) -> list[Directive]:
    """Parse one file with crossplane (its includes are followed by the reader)."""
    payload = crossplane.parse(name, single=True, check_ctx=False, check_args=False)
    errors = payload["errors"]
    if errors:
        first = errors[0]
        # crossplane ends its messages with " in FILE:LINE": said first instead.
        message = re.sub(r" in \S+:\d+$", "", renamed(str(first["error"])))
        where = f"{path}:{first['line']}" if first.get("line") else str(path)
        raise ConfigError(f"{where}: {message}: nginx refuses this configuration; fix it first.")
    parsed: list[Directive] = payload["config"][0]["parsed"]
    return parsed
