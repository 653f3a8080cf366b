"""Numbers written for people: plain strings, no ``repr``, a real minus sign.

The engine hands formulas to the screen and the command line as plain text;
these helpers are the one place that decides how a number reads.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MINUS = "\u2212"


def quiet() -> np.errstate:
    """Floating-point trouble (an overflowing dot product, ∞ − ∞) becomes
    values the health checks find, never warnings: the one error state for
    every computation of the engine."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")


def json_number(v: float | None) -> float | str | None:
    """A float for strict JSON: NaN and ±∞ as the strings "NaN", "Infinity",
    "-Infinity" (what the JSON network format reads back)."""
    if v is None:
        return None
    v = float(v)
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def json_value(v: Any) -> Any:
    """Arrays, NumPy scalars and nested lists as strict-JSON-ready Python
    values, non-finite floats written by ``json_number``."""
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return json_number(float(v))
    return v


def fmt(v: float, digits: int = 6) -> str:
    """166.5 → '166.5', -2.0 → '−2', 1e-21 → '1e−21', NaN → 'NaN'."""
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else f"{MINUS}∞"
    if v == int(v) and abs(v) < 10 ** max(digits, 6):  # larger: as the rest of its size are (2.15883e07, not 21588324)
        text = str(int(v))
    else:
        text = f"{v:.{digits}g}".replace("e+", "e")
    return text.replace("-", MINUS)


def _exponent_form(v: float, digits: int) -> str:
    """``v`` as mantissa and power of ten with ``digits`` significant digits,
    the exponent without padding: 3.879e−06 → '3.88e−6' (digits=3)."""
    mantissa, _, power = f"{v:.{max(0, digits - 1)}e}".partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(power)}".replace("-", MINUS)


def fmt_fit(v: float, width: int, digits: int = 6) -> str:
    """The most precise way to write ``v`` in at most ``width`` cells: ``fmt``
    with ``digits`` significant digits when it fits, else fewer, else the
    exponent form (``1.425e−21`` → ``1.4e−21``, ``123456`` → ``1.2e5``).
    Never cut: where nothing fits, the shortest form is returned, longer
    than ``width``. NaN and ±∞ read as ``fmt`` writes them."""
    text = fmt(v, digits)
    if len(text) <= width:
        return text
    v = float(v)
    if not math.isfinite(v):
        return text
    shortest = text
    for d in range(digits, 0, -1):
        for text in (fmt(v, d), _exponent_form(v, d)):
            if len(text) <= width:
                return text
            if len(text) < len(shortest):
                shortest = text
    return shortest


def fmt_output(v: float) -> str:
    """An output as the end of a pass reads it: five significant digits, or
    three in the exponent form (0.9719322 → '0.97193', 3.2898e−08 → '3.29e−08')."""
    text = fmt(v, 5)
    return fmt(v, 3) if "e" in text else text


def fmt_operand(v: float) -> str:
    """A number as an operand in a product: negatives in parentheses."""
    text = fmt(v)
    return f"({text})" if text.startswith(MINUS) else text


def fmt_fixed(v: float, places: int = 4) -> str:
    v = float(v)
    if not math.isfinite(v):
        return fmt(v)
    return f"{v:.{places}f}".replace("-", MINUS)


def fmt_vector(values: np.ndarray, limit: int = 6, digits: int = 6) -> str:
    """A vector in brackets; past ``limit`` entries, its ends and its length."""
    flat = np.asarray(values).ravel()
    n = flat.size
    if n <= limit:
        return "[" + ", ".join(fmt(v, digits) for v in flat) + "]"
    head = ", ".join(fmt(v, digits) for v in flat[: limit - 2])
    tail = ", ".join(fmt(v, digits) for v in flat[-2:])
    return f"[{head}, …, {tail}] ({n} values)"


NON_FINITE_WORDS = {"nan": math.nan, "inf": math.inf, "+inf": math.inf, "-inf": -math.inf,
                    "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf,
                    "∞": math.inf, "+∞": math.inf, "-∞": -math.inf}


def parse_number(text: str, non_finite: bool = False) -> float:
    """Parse what a user typed as a number; raise ValueError otherwise.

    Accepts the real minus sign too, since the screen shows it. NaN and ±∞
    (``nan``, ``inf``, ``-inf``, ``∞``) only with ``non_finite``: a weight
    set to NaN on purpose, to watch it spread.
    """
    cleaned = text.strip().replace(MINUS, "-").replace("_", "")
    if not cleaned:
        raise ValueError("empty value: type a number such as 0.5 or -2")
    word = NON_FINITE_WORDS.get(cleaned.lower())
    if word is not None:
        if non_finite:
            return word
        raise ValueError(f"{text.strip()!r} is not a finite number (NaN and Inf are refused here)")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()!r} is too large for a float64 (past ±1.8e308)")
    return value
