"""What the forward findings of one layer need, gathered a chunk of samples
at a time (``streaming.py`` drives it): per neuron, the rows where each
condition holds, the worst of them and its value, whether z stayed past an
edge (or dead) in every sample, and z's count, mean and spread for the
evidence rule. Memory grows with the rows a finding lists, never with the
activations of the whole dataset.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from . import conditions
from .findings import Finding, Rows
from .health import (
    dead_finding, exploding_finding, on_every_sample, raw_input_dominates, saturated_finding, saturation_verdict,
)
from .layer_context import LayerContext
from .learning_stats import take_first
from .network import Layer
from .settings import HealthConfig

__all__ = ["Worst", "LayerRun"]


@dataclass
class Worst:
    """Per neuron: the rows (table rows) where a condition held so far, and
    the first row with the largest score, its value."""

    units: int
    parts: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # (neurons, rows) per chunk
    score: np.ndarray = field(init=False)
    row: np.ndarray = field(init=False)
    value: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.score = np.full(self.units, np.nan)
        self.row = np.zeros(self.units, dtype=np.int64)
        self.value = np.zeros(self.units)

    def add(self, mask: np.ndarray, score: Callable[[], np.ndarray], values: np.ndarray, offset: int) -> np.ndarray:
        """This chunk's ``mask`` (rows × neurons) and ``score`` (made when
        asked); returns which neurons took a new worst row."""
        if not mask.any():  # the usual case: nothing to gather
            return np.zeros(self.units, dtype=bool)
        cols, rows = np.nonzero(mask.T)
        self.parts.append((cols, rows + offset))
        masked = np.where(mask, score(), -np.inf)
        hit = mask.any(axis=0)
        k = np.argmax(masked, axis=0)
        best = masked[k, np.arange(self.units)]
        better: np.ndarray = hit & (np.isnan(self.score) | (best > self.score))
        self.score[better] = best[better]
        self.row[better] = k[better] + offset
        self.value[better] = values[k, np.arange(self.units)][better]
        return better

    def neurons(self) -> list[tuple[int, np.ndarray]]:
        """(neuron, its rows, sorted) for every neuron the condition held for."""
        if not self.parts:
            return []
        cols = np.concatenate([c for c, _ in self.parts])
        rows = np.concatenate([r for _, r in self.parts])
        order = np.argsort(cols, kind="stable")  # chunks came in row order: each neuron's rows stay sorted
        cols, rows = cols[order], rows[order]
        splits = np.flatnonzero(np.diff(cols)) + 1
        return [(int(c[0]), r) for c, r in zip(np.split(cols, splits), np.split(rows, splits))]


class ZStats:
    """Per neuron: how many z, their mean and Σ(z − mean)², merged chunk by
    chunk (Chan et al.) in float64. The whole-batch check takes NumPy's
    mean and std of the column: the same numbers up to rounding in the last
    digits, which only matters at the evidence rule's exact boundary."""

    def __init__(self, units: int) -> None:
        self.n = 0
        self.mean = np.zeros(units)
        self.m2 = np.zeros(units)

    def add(self, z: np.ndarray, columns: np.ndarray | None = None) -> None:
        """This chunk's z (rows × neurons); ``columns``: only the neurons whose
        statistics still matter (the others' go stale, and are never read)."""
        k = z.shape[0]
        if not k:
            return
        cols = slice(None) if columns is None else columns
        part = z[:, cols].astype(np.float64)
        mean = np.mean(part, axis=0)
        m2 = np.sum((part - mean) ** 2, axis=0)
        if self.n == 0:
            self.mean[cols], self.m2[cols] = mean, m2
        else:
            n = self.n + k
            delta = mean - self.mean[cols]
            self.mean[cols] = self.mean[cols] + delta * (k / n)
            self.m2[cols] = self.m2[cols] + m2 + delta ** 2 * (self.n * k / n)
        self.n += k

    def of(self, j: int) -> tuple[int, float, float]:
        """(n, mean, sample std) of neuron j, as ``health.z_stats`` gives them."""
        if self.n < 2:
            return self.n, math.nan, math.nan
        return self.n, float(self.mean[j]), math.sqrt(float(self.m2[j]) / (self.n - 1))


class LayerRun:
    """One layer's saturated, exploding and dead neurons over every chunk so far."""

    def __init__(self, layer: Layer, l: int, config: HealthConfig, raw_inputs: bool) -> None:
        self.layer, self.l, self.config = layer, l, config
        units = layer.units
        self.flat = conditions.flat_region(layer, config)
        self.at = conditions.dies_at(layer)
        self.saturated = Worst(units)
        self.exploding = Worst(units)
        self.below = np.ones(units, dtype=bool)
        self.above = np.ones(units, dtype=bool)
        self.right = np.ones(units, dtype=bool)  # an output: right in every saturated sample
        self.inactive = np.ones(units, dtype=bool)
        self.top = np.full(units, np.nan)  # the largest z, and its row (a dead neuron's)
        self.top_row = np.zeros(units, dtype=np.int64)
        self.stats = ZStats(units)
        self.z_lo = np.full(units, np.inf)  # the finite z range (an explanation's bias fixes)
        self.z_hi = np.full(units, -np.inf)
        # layer 1 on raw inputs: the worst saturated sample's inputs, for the raw-input verdict
        self.worst_x = np.zeros((units, layer.n_inputs)) if raw_inputs and l == 0 else None

    def add(self, z: np.ndarray, x: np.ndarray, offset: int, right: np.ndarray | None) -> bool:
        """This chunk's z (rows × neurons), the layer's input ``x``, its first
        row's index in the table and (an output) each sample's verdict;
        returns whether every z was finite.

        Each neuron's smallest and largest z say most of it at the cost of
        two reductions (NaN propagates through them, as through the masks'
        "in every sample"); the masks are made only where they can hold."""
        lo, hi = z.min(axis=0), z.max(axis=0)
        clean = bool(np.isfinite(lo).all() and np.isfinite(hi).all())  # no NaN or ±∞ in the chunk
        rows = np.arange(z.shape[0]) + offset
        absz: list[np.ndarray] = []

        def magnitude() -> np.ndarray:
            if not absz:
                absz.append(np.abs(z))
            return absz[0]

        if self.flat is not None:
            edge_lo, edge_hi = self.flat
            if not clean or (lo < edge_lo).any() or (hi > edge_hi).any():
                mask = np.isfinite(z) & conditions.saturated(self.layer, z, self.config)
                better = self.saturated.add(mask, magnitude, z, offset)
                if self.worst_x is not None and better.any():
                    self.worst_x[better] = x[self.saturated.row[better] - offset]
                if right is not None:
                    self.right &= ~(mask & ~right[:, None]).any(axis=0)
            self.below &= hi < edge_lo  # z < lo in every sample (a NaN compares False)
            self.above &= lo > edge_hi
        limit = self.config.exploding_z
        if not clean or (-lo > limit).any() or (hi > limit).any():
            self.exploding.add(conditions.exploding(z, self.config), magnitude, z, offset)
        if self.at is not None:
            self.inactive &= hi <= self.at
            dead = np.flatnonzero(self.inactive)  # the largest z matters for the dead only
            top, top_row = self.top[dead], self.top_row[dead]
            take_first(top, top_row, z[:, dead].astype(np.float64), rows)
            self.top[dead], self.top_row[dead] = top, top_row
            if not clean:  # the finite range
                zfin = np.isfinite(z)
                lo = np.where(zfin, z, np.inf).min(axis=0)
                hi = np.where(zfin, z, -np.inf).max(axis=0)
            self.z_lo, self.z_hi = np.minimum(self.z_lo, lo), np.maximum(self.z_hi, hi)
        # z's spread matters only where z stayed past an edge, or dead, in every sample so far
        candidates = np.zeros(self.layer.units, dtype=bool)
        if self.flat is not None:
            candidates |= self.below | self.above
        if self.at is not None:
            candidates |= self.inactive
        if candidates.any():
            self.stats.add(z, np.flatnonzero(candidates))
        else:
            self.stats.n += z.shape[0]
        return clean

    def z_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Each neuron's smallest and largest finite z (NaN: none finite)."""
        none = ~np.isfinite(self.z_lo)
        return np.where(none, np.nan, self.z_lo), np.where(none, np.nan, self.z_hi)

    def findings(self, ctx: LayerContext, judged: bool) -> list[Finding]:
        """The layer's saturated, exploding and dead findings over all ``ctx.n``
        samples; ``judged``: some sample had a label or expected output."""
        out: list[Finding] = []
        n, config, layer = ctx.n, self.config, self.layer
        if self.flat is not None:
            run = self.saturated
            for j, rows in run.neurons():
                worst = int(run.row[j])
                worst_x = self.worst_x

                def raw(j: int = j, worst_x: np.ndarray | None = worst_x) -> bool:
                    return worst_x is not None and raw_input_dominates(worst_x[j], layer.W[:, j], config)

                severity, verdict = saturation_verdict(
                    n, rows.size, bool(self.below[j]), bool(self.above[j]), self.flat,
                    partial(self.stats.of, j), ctx.is_output and judged and bool(self.right[j]), raw, config)
                out.append(saturated_finding(ctx, j, rows, worst, float(run.value[j]), self.flat, severity, verdict))
        for j, rows in self.exploding.neurons():
            out.append(exploding_finding(ctx, j, rows, int(self.exploding.row[j]), float(self.exploding.value[j]), config))
        if self.at is not None and n >= config.dead_min_samples:
            for j in np.flatnonzero(self.inactive).tolist():
                severity = on_every_sample(n, partial(self.stats.of, j), self.at, True, config)
                out.append(dead_finding(ctx, j, int(self.top_row[j]), float(self.top[j]), self.at, severity))
        return out


def rows_of(parts: list[np.ndarray]) -> Rows:
    return Rows(np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64))
