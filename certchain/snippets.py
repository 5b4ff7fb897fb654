"""
Configuration snippets: the lines a server needs to use the chained file.

Pure renderers, one per server, in an explicit registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ServedFiles:
    """The files a server is configured with (absolute paths)."""

    chain: Path  # leaf + intermediates (+ root)
    key: Path | None  # None when no usable key file is known
    key_note: str = "no private key was found: pass it with --key FILE"


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
        # One comment line whatever the note holds (a path may hold a newline).
        note = " ".join(files.key_note.split())
        lines.append(f"# c.JupyterHub.ssl_key = ...  ({note})")
    return "\n".join(lines) + "\n"


RENDERERS: Mapping[str, Callable[[ServedFiles], str]] = {"jupyterhub": jupyterhub}
