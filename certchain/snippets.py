"""
Configuration snippets: the lines a server needs to use the chained file.

Pure renderers, one per server, in an explicit registry.  Every path is
absolute and quoted by the rules of the format it goes into; a path that a
format cannot express safely raises :class:`SnippetError` rather than
producing a line the server would read differently.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from .errors import SnippetError

NO_KEY_NOTE = "no private key was found: pass it with --key FILE"


class ServedFiles(NamedTuple):
    """The files a server is configured with (absolute paths)."""

    chain: Path  # leaf + intermediates (+ root)
    key: Path | None  # None when no usable key file is known
    key_note: str = NO_KEY_NOTE  # what to do when key is None
    combined: Path | None = None  # key + chain in one file (HAProxy)


def jupyterhub(files: ServedFiles) -> str:
    """
    Return the two ``jupyterhub_config.py`` lines for *files*.

    Follows the JupyterHub documentation's "Use a chained SSL certificate"
    (``c.JupyterHub.ssl_cert`` / ``c.JupyterHub.ssl_key``), but as valid
    Python: the paths are string literals (``repr`` quotes and escapes any
    path correctly).  Without a key file the second line is a comment that
    says what to do.
    """
    lines = [f"c.JupyterHub.ssl_cert = {str(files.chain)!r}"]
    if files.key is not None:
        lines.append(f"c.JupyterHub.ssl_key = {str(files.key)!r}")
    else:
        lines.append(f"# c.JupyterHub.ssl_key = ...  ({_one_line(files.key_note)})")
    return "\n".join(lines) + "\n"


def jupyterhub_cli(files: ServedFiles) -> str:
    """
    Return the ``jupyterhub`` command line with ``--ssl-cert`` and ``--ssl-key``.

    The command-line form of the same two settings (``jupyterhub --help-all``
    lists ``--ssl-cert`` and ``--ssl-key``), quoted for a POSIX shell.
    """
    words = ["jupyterhub", "--ssl-cert", str(files.chain)]
    for path in (files.chain, files.key):
        if path is not None:
            _refuse_control(path, "the shell")  # a line break is quoted
    if files.key is not None:
        words += ["--ssl-key", str(files.key)]
        return shlex.join(words) + "\n"
    return shlex.join(words) + f"  # --ssl-key ...  ({_one_line(files.key_note)})\n"


def nginx(files: ServedFiles) -> str:
    """
    Return the ``ssl_certificate`` / ``ssl_certificate_key`` directives.

    nginx's ngx_http_ssl_module: ``ssl_certificate`` takes the leaf followed
    by the intermediates in one file, which is what ``build`` writes.  Values
    are double-quoted with ``\\`` and ``"`` escaped; a ``$`` is refused,
    since nginx 1.15.9 reads it as a variable in these directives.
    """
    return _directive_pair(
        files, "# inside the server { listen 443 ssl; ... } block",
        ("ssl_certificate    ", "ssl_certificate_key"), _nginx_quote, end=";",
    )


def apache(files: ServedFiles) -> str:
    """
    Return the ``SSLCertificateFile`` / ``SSLCertificateKeyFile`` directives.

    mod_ssl in httpd 2.4.8 and later reads the intermediates from
    ``SSLCertificateFile`` (``SSLCertificateChainFile`` is obsolete).  Values
    are double-quoted with ``\\`` and ``"`` escaped (httpd's
    ``ap_getword_conf``); ``${`` is refused, since httpd substitutes defined
    variables there.
    """
    return _directive_pair(
        files, "# inside the <VirtualHost *:443> block, with SSLEngine on (httpd 2.4.8 or later)",
        ("SSLCertificateFile   ", "SSLCertificateKeyFile"), _apache_quote, end="",
    )


def haproxy(files: ServedFiles) -> str:
    """
    Return a ``bind ... ssl crt`` line for HAProxy.

    HAProxy's ``crt`` takes one PEM file holding the chain and its key
    (``--combined FILE`` writes it).  The path is single-quoted (HAProxy's
    strong quoting: no variables, no escapes) in the shell's way of
    splicing a quote, which HAProxy's parser shares.
    """
    if files.combined is None:
        raise SnippetError(
            "haproxy needs the chain and the key in one file: pass --combined FILE."
        )
    _refuse_newline(files.combined, "haproxy")
    return (
        "# in the frontend section\n"
        f"bind :443 ssl crt {shlex.quote(str(files.combined))}\n"
    )


RENDERERS: Mapping[str, Callable[[ServedFiles], str]] = {
    "jupyterhub": jupyterhub,
    "jupyterhub-cli": jupyterhub_cli,
    "nginx": nginx,
    "apache": apache,
    "haproxy": haproxy,
}


def render(format_name: str, files: ServedFiles) -> str:
    """Return the snippet of *format_name* (a key of :data:`RENDERERS`)."""
    return RENDERERS[format_name](files)


def _directive_pair(
    files: ServedFiles, comment: str, names: tuple[str, str],
    quote: Callable[[Path], str], *, end: str,
) -> str:
    """A comment, the certificate directive, and the key directive (or a note)."""
    lines = [comment, f"{names[0]} {quote(files.chain)}{end}"]
    if files.key is not None:
        lines.append(f"{names[1]} {quote(files.key)}{end}")
    else:
        lines.append(f"# {names[1].strip()} ...{end}  ({_one_line(files.key_note)})")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    # One comment line whatever the note holds (a path may hold a newline).
    return " ".join(text.split())


def _refuse_newline(path: Path, server: str) -> None:
    if "\n" in str(path) or "\r" in str(path):
        raise SnippetError(f"{path!r}: {server} cannot read a path with a line break; "
                           "move the file.")
    _refuse_control(path, server)


def _refuse_control(path: Path, server: str) -> None:
    # A control character other than a line break or a tab (ESC, ...) would
    # be printed raw, driving the terminal, or escaped, and then the line
    # could not be copied as it is.
    if not "".join(c for c in str(path) if c not in "\t\n\r").isprintable():
        raise SnippetError(f"{path!r}: a path with a control character cannot be written "
                           f"safely for {server}; move the file.")


def _double_quote(path: Path, server: str, variable: str) -> str:
    """Double-quote *path* with ``\\`` and ``"`` escaped; refuse *variable* syntax."""
    _refuse_newline(path, server)
    text = str(path)
    if variable in text:
        raise SnippetError(
            f"{text}: {server} would read '{variable}' as a variable; move the file."
        )
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nginx_quote(path: Path) -> str:
    return _double_quote(path, "nginx", "$")


def _apache_quote(path: Path) -> str:
    return _double_quote(path, "httpd", "${")
