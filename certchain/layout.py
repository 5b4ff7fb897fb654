"""
Text for a person: escaped, coloured, and fitted to a terminal's width.

Text that comes from outside (a certificate's names, SANs and URLs, a file's
name, a configuration's values, and the finding messages that quote them)
goes through :func:`escape` wherever it enters a text line, on a terminal
and off it: a control character is shown as ``\\x1b`` or ``\\n``, so a
certificate can neither start a line of its own nor drive the terminal.
The line breaks and colours of the layout are certchain's own
(:func:`paint`, :func:`wrap_line`, :func:`fit_text`, :func:`fitted`).
No click and no printing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(text: str) -> str:
    """
    Return *text* with every character that is not printable written as an escape.

    What Python's ``repr`` escapes: control characters (C0, DEL, C1: ESC,
    BEL, a line break), line and paragraph separators, format characters
    (bidirectional overrides, zero-width characters), lone surrogates (an
    undecodable file name), spaces other than the ASCII space.  Each becomes
    ``\\n``, ``\\r``, ``\\t``, ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``.  The result
    is printable, so escaping twice changes nothing.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escaped(c) for c in text)


def _escaped(char: str) -> str:
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_lines(text: str) -> str:
    """
    Return *text* (lines certchain made, meant to be copied) escaped but for ``\\n`` and tabs.

    The line breaks are certchain's; a tab (in a quoted path) can neither
    start a line nor drive a terminal, and escaping it would spoil the copy.
    """
    return "\n".join(
        "\t".join(escape(part) for part in line.split("\t")) for line in text.split("\n")
    )


_COLOURS = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "bold": "1"}


def paint(text: str, colour: str, enabled: bool) -> str:
    """Wrap *text* in an ANSI colour when *enabled* (the CLI decides: TTY, NO_COLOR)."""
    if not enabled:
        return text
    return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A line that starts with a painted word (a severity, a mark, a verdict).
_LEADING_PAINT = re.compile(r"^( *)(\x1b\[[0-9;]*m)(.*?)(\x1b\[0m)")
_SHORTEST_NAME = 12  # a shortened name keeps at least this much ("CN=hub...org")


def visible_len(text: str) -> int:
    """Return the width of *text* on a terminal (colour codes take none)."""
    return len(_ANSI.sub("", text))


def shorten_middle(text: str, room: int) -> str:
    """Return *text* cut in the middle to *room* characters (``CN=certc...rt,O=Demo``)."""
    if len(text) <= room:
        return text
    keep = max(room - 3, 2)
    head = (keep + 1) // 2
    return f"{text[:head]}...{text[len(text) - (keep - head):]}"


def wrap_line(line: str, width: int | None, *, hang: int | None = None) -> list[str]:
    """
    Return *line* wrapped to *width* (None: whole), continued *hang* columns in.

    A coloured word at the start of the line keeps its colour.  Words longer
    than the width (a fingerprint, a path) are cut.
    """
    if width is None or visible_len(line) <= width:
        return [line]
    plain = _ANSI.sub("", line)
    indent = len(plain) - len(plain.lstrip(" "))
    if hang is None:
        hang = indent + 4
    hang = min(hang, max(width // 3, 1))
    import textwrap  # here: lines are wrapped only on a terminal

    wrapped = textwrap.wrap(
        plain, width=width, subsequent_indent=" " * hang,
        break_long_words=True, break_on_hyphens=False,
    ) or [""]
    painted = _LEADING_PAINT.match(line)
    if painted is not None:
        spaces, start, word, end = painted.groups()
        if wrapped[0].startswith(spaces + word):
            wrapped[0] = spaces + start + word + end + wrapped[0][len(spaces + word):]
    return wrapped


def fit_text(lines: Sequence[str], width: int | None) -> str:
    """Join *lines*, each wrapped to *width*, into text ending with a newline."""
    fitted = [part for line in lines for part in wrap_line(line, width)]
    return "\n".join(fitted) + "\n"


def fitted(template: str, width: int | None, *names: str) -> str:
    """
    Return *template* (``{0}``, ``{1}``: the names) with *names* shortened to fit *width*.

    Each name gets an equal share of the room the rest of the line leaves, a
    name shorter than its share gives the rest to the others, and each is
    cut in the middle (its start and its end are the telling parts).
    """
    if width is None:
        return template.format(*names)
    room = width - visible_len(template.format(*("" for _ in names)))
    if sum(len(n) for n in names) <= room:
        return template.format(*names)
    shortened = list(names)
    left = room
    order = sorted(range(len(names)), key=lambda i: len(names[i]))
    for done, index in enumerate(order):
        share = max(left // (len(order) - done), _SHORTEST_NAME)
        shortened[index] = shorten_middle(names[index], share)
        left -= len(shortened[index])
    return template.format(*shortened)
