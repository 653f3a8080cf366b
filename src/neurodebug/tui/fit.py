"""Text that fits its space without a cut number or an ambiguous name.

Numbers are shortened by ``numbers.fmt_fit`` (fewer digits, then the
exponent form); this module does the same for words: names shortened with a
visible "…" so that names of one list stay distinct, formulas shortened by
whole tokens, and lines of pieces fitted by leaving out the least important.
No Textual or Rich here: the frame and the panes both use it.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from itertools import accumulate
from typing import Sequence

ELLIPSIS = "…"


def cells(text: str) -> int:
    """How many terminal cells ``text`` takes (wide East Asian characters two,
    combining marks none)."""
    if text.isascii():
        return len(text)
    # A formula repeats a few symbols (−, ·, ×) many times: each distinct
    # character is weighed once.
    total = len(text)
    for ch in set(text):
        if not ch.isascii():
            extra = _char_cells(ch) - 1
            if extra:
                total += extra * text.count(ch)
    return total


@lru_cache(maxsize=4096)
def _char_cells(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _head(text: str, width: int) -> str:
    """The longest start of ``text`` that fits ``width`` cells."""
    out = []
    used = 0
    for ch in text:
        w = cells(ch)
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out)


def _tail(text: str, width: int) -> str:
    """The longest end of ``text`` that fits ``width`` cells."""
    return _head(text[::-1], width)[::-1]


def _cut(name: str, width: int, tail: int) -> str:
    """``name`` in ``width`` cells: its start, "…", and ``tail`` cells of its end."""
    tail = max(0, min(tail, width - 2))
    end = _tail(name, tail) if tail else ""
    return _head(name, width - 1 - cells(end)) + ELLIPSIS + end


def shorten_names(names: Sequence[str], width: int) -> tuple[str, ...]:
    """Each of ``names`` in at most ``width`` cells, the shortened ones marked
    with "…", and no two alike that were not alike before.

    A name that fits stays as it is. A longer one loses its end
    ("temperature" → "temper…"); where that makes names of the list read
    alike, they keep more of their end instead ("too cold", "too short" →
    "to…ld", "to…rt" at 5 cells). Where even that cannot tell them apart,
    they are numbered by their place in the list ("na…7").
    """
    return _shorten(tuple(names), max(1, width))


@lru_cache(maxsize=64)
def _shorten(names: tuple[str, ...], width: int) -> tuple[str, ...]:
    out = list(names)
    tails: dict[int, int] = {i: 0 for i, name in enumerate(names) if cells(name) > width}
    if not tails:
        return names
    for i in tails:
        out[i] = _cut(names[i], width, 0)
    # Names that now read alike keep more of their end, a cell at a time.
    for _ in range(width):
        clashes = _clashes(out, tails)
        if not clashes:
            return tuple(out)
        for i in clashes:
            if tails[i] < width - 2:
                tails[i] += 1
                out[i] = _cut(names[i], width, tails[i])
    for i in _clashes(out, tails):
        number = str(i + 1)
        out[i] = _head(names[i], max(0, width - 1 - len(number))) + ELLIPSIS + number
    return tuple(out)


def _clashes(out: list[str], shortened: dict[int, int]) -> list[int]:
    """The shortened names that read like another name of the list."""
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(out):
        seen.setdefault(name, []).append(i)
    return [i for group in seen.values() if len(group) > 1 for i in group if i in shortened]


OPERATORS = frozenset("+ − - = ≈ · / ×".split())
EQUALS = ("=", "≈")


def fit_tokens(text: str, width: int) -> str:
    """``text`` in ``width`` cells, shortened by whole words: its start and
    the result after the last " = " are kept, the terms between give way to
    a "…" of their own ("z = (−2.6)×(−0.142857) + … = 0.371429"). Where even
    that is too long, words go from the end. A word is never cut."""
    if cells(text) <= width:
        return text
    words = text.split(" ")
    # cells() adds up character by character, so a candidate's width is its
    # words' widths plus one cell per space: each word is measured once
    # (a layer's formula has hundreds of terms).
    starts = [0]  # starts[k]: cells of " ".join(words[:k]) + " " (k ≥ 1)
    for word in words:
        starts.append(starts[-1] + cells(word) + 1)
    ellipsis = cells(ELLIPSIS)
    last_eq = max((k for k, w in enumerate(words) if w in EQUALS), default=-1)
    if last_eq > 0:
        tail = starts[-1] - starts[last_eq] - 1  # " ".join(words[last_eq:])
        opens = list(accumulate((w.count("(") - w.count(")") for w in words), initial=0))
        squares = list(accumulate((w.count("[") - w.count("]") for w in words), initial=0))
        for keep in range(last_eq - 1, 0, -1):
            # cut between terms: just after an operator ("+ …", "= …")
            if words[keep - 1] not in OPERATORS or opens[keep] or squares[keep]:
                continue
            if starts[keep] + ellipsis + 1 + tail <= width:
                return " ".join([*words[:keep], ELLIPSIS, *words[last_eq:]])
    for keep in range(len(words) - 1, 0, -1):
        if starts[keep] + ellipsis <= width:
            return " ".join([*words[:keep], ELLIPSIS])
    return ELLIPSIS if width >= 1 else ""


def fit_pieces(pieces: Sequence[tuple[str, str]], width: int, keep: int = 1) -> tuple[tuple[str, str], ...]:
    """The first of ``pieces`` (text, style) that fit ``width`` cells whole, in
    order; the first ``keep`` are kept even so (the caller shortens them)."""
    out: list[tuple[str, str]] = []
    used = 0
    for k, (text, style) in enumerate(pieces):
        w = cells(text)
        if used + w > width and k >= keep:
            break
        out.append((text, style))
        used += w
    return tuple(out)
