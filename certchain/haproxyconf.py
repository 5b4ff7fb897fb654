"""
Read an HAProxy configuration: the certificates of every ``bind ... ssl`` line.

A small reader of HAProxy's line syntax (words, ``"..."`` and ``'...'``
quoting, backslash escapes, ``#`` comments; ``.if`` blocks are read as
true).  In each ``frontend`` and ``listen`` section, a ``bind`` line with
``ssl`` names its certificates with ``crt`` and ``crt-list``:

- ``crt FILE``: one :class:`~certchain.sites.Site`; the names it serves are
  the certificate's own (HAProxy chooses it by them), so none is checked;
- ``crt DIRECTORY``: one site per file in it, in alphabetic order, except
  dot files and HAProxy's companions (``.key``, ``.ocsp``, ``.issuer``,
  ``.sctl``);
- ``crt-list FILE``: one site per line, its names the line's SNI filters
  (``!name`` excludes a name and is not checked).

When a certificate file holds no key, HAProxy loads ``FILE.key`` (with
``ssl-load-extra-del-ext``, the name without its extension, then ``.key``);
that file is the site's key.  Relative paths are taken from ``crt-base``,
else from the configuration's folder (HAProxy takes them from its working
directory: ``doctor`` runs ``haproxy -c`` there).  A value from the
environment (``"${VAR}"``) is an ``unevaluated-config`` warning; a
``crt-list`` file that cannot be read is a
:class:`~certchain.errors.ConfigError`.  HAProxy has no include directive.
Reads the configuration files only.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .findings import Code, Finding, Severity
from .reading import read_config_part
from .sites import ServerConfig, Site, Where

_PROXIES = ("frontend", "listen")
_SECTIONS = ("global", "defaults", "frontend", "backend", "listen", "peers", "resolvers",
             "userlist", "program", "http-errors", "ring", "mailers", "cache", "fcgi-app")
# Files of a crt directory that HAProxy reads as companions, not as certificates.
_COMPANIONS = (".key", ".ocsp", ".issuer", ".sctl")


@dataclass
class _Reader:
    path: Path
    crt_base: Path | None = None
    del_ext: bool = False  # ssl-load-extra-del-ext
    sites: list[Site] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    read: list[Path] = field(default_factory=list)


def read_haproxy(path: Path) -> ServerConfig:
    """
    Read the HAProxy configuration *path*, and the crt-list files it names.

    Raises:
        LoadError: *path* cannot be read.
        ConfigError: a crt-list file cannot be read, or a line cannot be split.
    """
    path = path.absolute()
    lines = _lines(path, None)
    reader = _Reader(path, read=[path])
    # crt-base and the extra-file settings hold for every section, wherever they stand.
    section = ""
    for _, words in lines:
        if words[0] in _SECTIONS:
            section = words[0]
        elif section == "global" and words[0] == "crt-base" and len(words) == 2:
            reader.crt_base = _resolved(path.parent, words[1])
        elif section == "global" and words[0] == "ssl-load-extra-del-ext":
            reader.del_ext = True
    proxy = None
    for where, words in lines:
        if words[0] in _SECTIONS:
            proxy = f"{words[0]} {words[1]}" if words[0] in _PROXIES and len(words) > 1 else None
        elif proxy is not None and words[0] == "bind" and "ssl" in words[2:]:
            _bind(reader, proxy, words, where)
    if not reader.sites:
        reader.findings.append(Finding(
            Code.SSL_NOT_SET, Severity.WARNING,
            f"No bind line of {path} has ssl with a crt: HAProxy serves no TLS site from "
            "this configuration.",
        ))
    return ServerConfig("haproxy", path, tuple(reader.sites), files=tuple(reader.read),
                        findings=tuple(reader.findings))


def _bind(reader: _Reader, proxy: str, words: list[str], where: Where) -> None:
    for keyword, value in itertools.pairwise(words):
        if keyword not in ("crt", "crt-list"):
            continue
        if "$" in value:
            reader.findings.append(Finding(
                Code.UNEVALUATED_CONFIG, Severity.WARNING,
                f"{keyword} {value} ({where}, {proxy}) comes from the environment, which "
                "certchain does not read: check those certificates by hand.",
            ))
            continue
        if keyword == "crt-list":
            # crt-base holds for the certificates it lists, not for the list itself.
            _crt_list(reader, proxy, _resolved(reader.path.parent, value), where)
            continue
        target = _resolved(reader.crt_base or reader.path.parent, value)
        if target.is_dir():
            for name in sorted(os.listdir(target)):
                file = target / name
                if not name.startswith(".") and not name.endswith(_COMPANIONS) and file.is_file():
                    reader.sites.append(_site(reader, proxy, file, where, ()))
        else:
            reader.sites.append(_site(reader, proxy, target, where, ()))


def _crt_list(reader: _Reader, proxy: str, path: Path, where: Where) -> None:
    if path not in reader.read:
        reader.read.append(path)
    for entry, words in _lines(path, where):
        filters: list[str] = []
        options = False
        for word in words[1:]:
            # [ssl options ...] come first, then the SNI filters.
            if word.startswith("["):
                options = True
            if not options and not word.startswith("!"):
                filters.append(word.lower())
            if word.endswith("]"):
                options = False
        target = _resolved(reader.crt_base or reader.path.parent, words[0])
        reader.sites.append(_site(reader, proxy, target, entry, tuple(filters)))


def _site(reader: _Reader, proxy: str, file: Path, where: Where, names: tuple[str, ...]) -> Site:
    stem = file.with_suffix("") if reader.del_ext else file
    key = stem.with_name(stem.name + ".key")
    return Site(
        server="haproxy", name=f"{proxy}: {names[0] if names else file.name}", chain=file,
        key=key if key.exists() else None, names=names, where=where,
        names_where=where if names else None, key_where=where, directive="crt",
        key_if_missing=True,
    )


def _resolved(base: Path, value: str) -> Path:
    return Path(value) if os.path.isabs(value) else base / value


def _lines(path: Path, includer: Where | None) -> list[tuple[Where, list[str]]]:
    """(where, words) of each line that holds something, ``.if`` lines left out."""
    data = read_config_part(path, f"{includer}: crt-list" if includer else None,
                            main="haproxy.cfg", refusal="HAProxy refuses the configuration")
    lines = []
    for number, text in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        words = _words(text, Where(path, number))
        if words and not words[0].startswith("."):
            lines.append((Where(path, number), words))
    return lines


def _words(text: str, where: Where) -> list[str]:
    """Split one line as HAProxy does: quotes, backslash escapes, ``#`` comments."""
    words: list[str] = []
    word: list[str] | None = None
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        index += 1
        if char == "\\" and quote != "'" and index < len(text):
            word = (word or []) + [text[index]]
            index += 1
        elif quote:
            if char == quote:
                quote = ""
            else:
                word = (word or []) + [char]
        elif char in "\"'":
            quote, word = char, word or []
        elif char == "#":
            break
        elif char.isspace():
            if word is not None:
                words.append("".join(word))
            word = None
        else:
            word = (word or []) + [char]
    if quote:
        raise ConfigError(f"{where}: a quote is not closed: HAProxy refuses this line.")
    if word is not None:
        words.append("".join(word))
    return words
