"""What the "cannot learn" findings need from the labelled samples' values,
gathered a trace (or a chunk's trace) at a time: per neuron, whether g′(z)
is under the saturation slope in every labelled sample and the sample
closest to learning; per input, whether it is 0 in every labelled sample;
per layer, the slopes of the first ``CHUNK_ROWS`` labelled samples.

``learning.py`` turns them into findings; the whole-batch check adds its
one trace, the streaming check (``streaming.py``) each chunk's, in order,
and both end with the same numbers.
"""

from __future__ import annotations

import numpy as np

from . import conditions
from .activations import ACTIVATIONS
from .gradient_sizes import CHUNK_ROWS
from .kinds import LossKind
from .network import Network
from .numbers import quiet
from .settings import Settings
from .trace import Trace

__all__ = ["LearningStats", "take_first"]


def take_first(run_value: np.ndarray, run_row: np.ndarray, values: np.ndarray, rows: np.ndarray,
                run_z: np.ndarray | None = None, z: np.ndarray | None = None) -> None:
    """Keep, per column, the largest value seen and the first row holding it
    (``values``: this batch's, rows × columns; NaN never wins), and ``z`` there."""
    if not values.shape[0]:
        return
    score = np.where(np.isnan(values), -np.inf, values)
    k = np.argmax(score, axis=0)
    best = score[k, np.arange(score.shape[1])]
    better = np.isnan(run_value) | (best > run_value)
    run_value[better] = best[better]
    run_row[better] = rows[k[better]]
    if run_z is not None and z is not None:
        run_z[better] = z[k, np.arange(z.shape[1])][better]


class LearningStats:
    """Per layer: ``judged`` (False: a whole-layer activation, or an output
    whose ∂L/∂z the loss sets), ``stuck`` (no slope in every labelled sample
    so far), the largest |g′(z)| and its row, the largest z and its row;
    ``zero``: inputs 0 in every labelled sample; ``rows``: how many."""

    def __init__(self, network: Network, loss: LossKind, settings: Settings) -> None:
        self.network = network
        self.settings = settings
        self.rows = 0
        last = len(network.layers) - 1
        self.judged: list[bool] = []
        self.stuck: list[np.ndarray] = []
        self.slope: list[np.ndarray] = []
        self.slope_row: list[np.ndarray] = []
        self.slope_z: list[np.ndarray] = []  # z where the slope is largest
        self.top: list[np.ndarray] = []
        self.top_row: list[np.ndarray] = []
        for l, layer in enumerate(network.layers):
            with_loss = l == last and ((loss == LossKind.BCE and layer.activation == "sigmoid")
                                       or (loss == LossKind.CE and layer.activation == "softmax"))
            self.judged.append(not (ACTIVATIONS[layer.activation].per_layer or with_loss))
            self.stuck.append(np.ones(layer.units, dtype=bool))
            for run in (self.slope, self.top, self.slope_z):
                run.append(np.full(layer.units, np.nan))
            for at in (self.slope_row, self.top_row):
                at.append(np.zeros(layer.units, dtype=np.int64))
        self.zero = np.ones(network.n_inputs, dtype=bool)
        self.first_z: list[list[np.ndarray]] = [[] for _ in network.layers]  # the first CHUNK_ROWS labelled rows' z

    def add(self, trace: Trace, local: np.ndarray, offset: int = 0) -> None:
        """The labelled rows ``local`` of ``trace`` (its rows are the table's
        from ``offset`` on), in table order after every row added before."""
        if not local.size:
            return
        rows = local + offset
        for start in range(0, local.size, CHUNK_ROWS):  # bounded temporaries
            part = local[start:start + CHUNK_ROWS]
            self.zero &= ~np.any(trace.x[part] != 0, axis=0)
        keep = max(0, min(CHUNK_ROWS - self.rows, local.size))
        with quiet():
            for l, layer in enumerate(self.network.layers):
                z = trace.values[l].z[local]
                if keep:
                    self.first_z[l].append(z[:keep])
                if not self.judged[l]:
                    continue
                self.stuck[l] &= conditions.no_slope(layer, z, self.settings).all(axis=0)
                z64 = z.astype(np.float64)
                slopes = np.abs(ACTIVATIONS[layer.activation].derivative(z64, layer.params))
                take_first(self.slope[l], self.slope_row[l], slopes, rows, self.slope_z[l], z64)
                take_first(self.top[l], self.top_row[l], z64, rows)
        self.rows += local.size

    def mean_slope(self, l: int) -> float | None:
        """|g′(z)| averaged over the first CHUNK_ROWS labelled samples (a fair
        sample of the slopes); None for a whole-layer activation or a slope that is not finite."""
        layer = self.network.layers[l]
        act = ACTIVATIONS[layer.activation]
        if act.per_layer or not self.first_z[l]:
            return None
        with quiet():
            z = np.concatenate(self.first_z[l])
            s = np.abs(act.derivative(z.astype(np.float64), layer.params))
        return float(np.mean(s)) if np.isfinite(s).all() else None

    @classmethod
    def of(cls, trace: Trace, rows: np.ndarray, loss: LossKind, settings: Settings) -> LearningStats:
        stats = cls(trace.network, loss, settings)
        stats.add(trace, rows)
        return stats
