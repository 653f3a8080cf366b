"""The one error type every reader raises for a file it cannot use, and the
rule that keeps text from a file harmless on a terminal."""

from __future__ import annotations

import os
import re

# C0 and C1 control characters and DEL: an escape sequence in a file name or
# a cell of a CSV must be shown, never sent to the terminal. And the invisible
# characters that reorder or hide text (bidi overrides and isolates, zero-width
# characters, line and paragraph separators, the BOM), as in "Trojan Source" names.
_INVISIBLE = "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_CONTROL = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_INVISIBLE}]")
_CONTROL_BUT_NEWLINE = re.compile(f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{_INVISIBLE}]")


def printable(text: str, newlines: bool = False) -> str:
    """``text`` with every control character written as a visible escape
    (``\\x1b``, ``\\x00``, ``\\n``…) and lone surrogates escaped, so that it
    prints as one harmless line on any terminal or stream (``newlines``: keep
    line breaks, for a description)."""
    pattern = _CONTROL_BUT_NEWLINE if newlines else _CONTROL
    text = pattern.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
    # A JSON string may hold a lone surrogate ("\ud800"), which no stream can encode.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def size_text(n_bytes: float) -> str:
    """1536 → '1.5 KiB', 2147483648 → '2 GiB'; exact bytes when that is what tells two sizes apart."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{int(n_bytes)} bytes"


def over_limit(what: str, n_bytes: float, limit: float) -> str:
    """'the file is 2.5 GiB, over the 2 GiB limit', with exact byte counts
    when the rounded sizes would read the same."""
    size, most = size_text(n_bytes), size_text(limit)
    if size == most:
        size, most = f"{int(n_bytes):,} bytes", f"{int(limit):,}-byte"
    return f"{what} {size}, over the {most} limit"


# A value quoted from a file into a message (a cell of 5,000 digits, a name of
# a million characters) is shown by its ends, so that the message stays a line.
_LONG_WORD = re.compile(r"\S{120,}")
MESSAGE_CHARS = 1000  # a message's length past which the rest is counted, not shown


def _clipped(message: str) -> str:
    def ends(m: re.Match[str]) -> str:
        word = m.group(0)
        return f"{word[:48]}…({len(word):,} characters)…{word[-12:]}"

    message = _LONG_WORD.sub(ends, message)
    if len(message) > MESSAGE_CHARS:
        message = f"{message[:MESSAGE_CHARS]}… ({len(message) - MESSAGE_CHARS:,} more characters)"
    return message


class NetworkFileError(Exception):
    """A bad network or input file: names the file, the place and the problem.

    ``str(err)`` is one printable line: ``net.json: layers[1] (layer2).W: 3 rows, expected 2``.
    What the place and the message quote from the file is shown by its ends
    when long (``_clipped``); the file's path is shown whole.
    """

    def __init__(self, path: str | os.PathLike[str] | None, place: str, message: str) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.place = place
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.path, _clipped(self.place), _clipped(self.message)) if p]
        return printable(": ".join(parts))


class MissingExtraError(NetworkFileError):
    """A format needs an optional dependency that is not installed."""

    def __init__(self, path: str | os.PathLike[str], extra: str, module: str) -> None:
        super().__init__(
            path,
            "",
            f"reading this format needs the '{module}' package; "
            f"install it with: pip install 'neurodebug[{extra}]'",
        )
