"""Points of an activation's curve around a z, for a small plot."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS, Params
from .numbers import quiet


@dataclass(frozen=True, eq=False)
class Curve:
    zs: np.ndarray  # sample points, evenly spaced over [lo, hi]
    gs: np.ndarray  # g(zs)
    lo: float
    hi: float
    g_lo: float  # the plot's vertical range
    g_hi: float
    column: int | None  # the sample point nearest to z (None if z is off the plot)


def activation_curve(name: str, z: float, points: int, params: Params | None = None) -> Curve | None:
    """The curve g over a window that shows both its bend and where z sits.

    The window is at least [−6, 6] (where sigmoid and tanh bend) and widens
    to include z, so a saturated z = 166.5 is shown far out on the flat part.
    ``params``: the layer's activation parameters (None: the defaults).
    """
    act = ACTIVATIONS[name]
    if act.per_layer or points < 2:
        return None
    reach = 6.0
    if np.isfinite(z):
        reach = float(min(max(reach, abs(z) * 1.15), 1e300))
    zs = np.linspace(-reach, reach, points)
    with quiet():
        gs = np.asarray(act(zs, params), dtype=float)
    # e^z far out is ∞ in float64: drawn at the top of the plot, as the largest float.
    big = np.finfo(np.float64).max
    gs = np.clip(gs, -big, big)
    g_lo, g_hi = float(np.min(gs)), float(np.max(gs))
    if act.output_range is not None:
        g_lo, g_hi = act.output_range
    if g_hi == g_lo:
        g_hi = g_lo + 1.0
    column = None
    if np.isfinite(z):
        # |z| past 1e300 is beyond the widest window: it sits at the edge.
        column = int(round(min(max((z + reach) / (2 * reach), 0.0), 1.0) * (points - 1)))
    return Curve(zs, gs, -reach, reach, g_lo, g_hi, column)


@dataclass(frozen=True, eq=False)
class RankedTerms:
    """The largest-magnitude terms of a sum, for a bar chart."""

    indices: np.ndarray  # into the original terms, largest |term| first
    fractions: np.ndarray  # |term| / max |term| (0 where not finite)
    rest: int  # how many terms were left out
    rest_sum: float  # their sum


def rank_terms(terms: np.ndarray, limit: int) -> RankedTerms:
    terms = np.asarray(terms, dtype=float)
    mags = np.where(np.isnan(terms), np.inf, np.abs(terms))  # NaN ranks first: it is the news
    n = terms.size
    if n > limit:
        top = np.argpartition(-mags, limit - 1)[:limit]
    else:
        top = np.arange(n)
    top = top[np.argsort(-mags[top], kind="stable")]
    finite = np.abs(terms[top][np.isfinite(terms[top])])
    peak = float(finite.max()) if finite.size else 0.0
    with quiet():
        fr = np.where(np.isfinite(terms[top]), np.abs(terms[top]) / peak if peak > 0 else 0.0, 1.0)
    mask = np.ones(n, dtype=bool)
    mask[top] = False
    with quiet():
        rest_sum = float(terms[mask].sum()) if mask.any() else 0.0
    return RankedTerms(top, fr, int(mask.sum()), rest_sum)


@dataclass(frozen=True)
class ArrayStats:
    shape: tuple[int, ...]
    min: float
    max: float
    mean: float
    nan: int
    inf: int


def array_stats(values: np.ndarray) -> ArrayStats:
    """Summary of an array too large to show whole (NaN-aware)."""
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    with quiet():
        lo = float(finite.min()) if finite.size else float("nan")
        hi = float(finite.max()) if finite.size else float("nan")
        mean = float(finite.mean()) if finite.size else float("nan")
    return ArrayStats(v.shape, lo, hi, mean, int(np.isnan(v).sum()), int(np.isinf(v).sum()))


def window(n: int, center: int, size: int) -> range:
    """Indices of a window of ``size`` around ``center`` within 0..n-1."""
    size = max(1, min(size, n))
    start = max(0, min(center - size // 2, n - size))
    return range(start, start + size)
