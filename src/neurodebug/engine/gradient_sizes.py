"""The size of every layer's gradient over the labelled samples.

``gradients_of(trace, loss)`` takes the mean loss over the samples that have
a label or an expected output and measures each layer's ∂L/∂W and ∂L/∂b
together: the norm, the size per parameter (what one learning rate moves a
weight by) and the norm per neuron. It runs the backward pass in chunks of
rows, so a big dataset costs one chunk's activations in memory. What the
sizes mean is ``learning.py``'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .dense import LayerBackward
from .kinds import LossKind
from .losses import backward_pass, class_indices, infer_loss, no_loss_fits
from .numbers import json_number, quiet
from .network import Network
from .trace import Trace

CHUNK_ROWS = 1024  # rows per backward pass: a chunk's activations (70 MB of a 784-128-64-10 at 4096), not the dataset's, in memory

__all__ = ["CHUNK_ROWS", "GradientSums", "Gradients", "LayerGradient", "gradients_of"]


@dataclass(frozen=True, eq=False)
class LayerGradient:
    """One layer's gradient of the mean loss: ∂L/∂W and ∂L/∂b together."""

    layer: int
    norm: float  # ‖(∂L/∂W, ∂L/∂b)‖
    rms: float  # per parameter: norm / √(count)
    weight_norm: float  # ‖(W, b)‖, for scale
    neurons: np.ndarray  # per neuron: ‖(∂L/∂w_j, ∂L/∂b_j)‖
    delta: float = math.nan  # one sample's ∂L/∂z (before a norm: δ), root mean square: the signal sent back

    @property
    def finite(self) -> bool:
        return math.isfinite(self.norm)

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer + 1, "norm": json_number(self.norm), "rms": json_number(self.rms),
                "weight_norm": json_number(self.weight_norm), "delta_rms": json_number(self.delta),
                "neurons": [json_number(v) for v in self.neurons.tolist()]}


@dataclass(frozen=True, eq=False)
class Gradients:
    """The gradients of the mean loss over the labelled rows of a trace."""

    loss: LossKind
    value: float  # the mean loss
    rows: np.ndarray  # the labelled rows (0-based) they are taken over
    layers: tuple[LayerGradient, ...]

    @property
    def n_samples(self) -> int:
        return int(self.rows.size)

    def to_dict(self) -> dict[str, Any]:
        return {"loss": str(self.loss), "value": json_number(self.value), "samples": self.n_samples,
                "layers": [g.to_dict() for g in self.layers]}


def gradients_of(trace: Trace, loss: LossKind | str | None = None, chunk: int = CHUNK_ROWS) -> Gradients | None:
    """The gradients over the trace's samples that have a target; None when
    none has one. ValueError, saying why, when the loss does not fit the
    output (bce on a softmax) or the targets (class labels on tanh outputs)."""
    net = trace.network
    if len(net.samples) != trace.n_samples:
        return None
    targets = net.samples.targets()
    if targets is None:
        return None
    rows, y = targets
    sums = GradientSums(net, loss, chunk, one_chunk=rows.size <= chunk, labelled=class_indices(y))
    for start in range(0, rows.size, chunk):
        sums.add(trace.x[rows[start:start + chunk]], y[start:start + chunk])
    result = sums.result(rows)
    if sums.refused is not None:
        raise ValueError(sums.refused)
    return result


class GradientSums:
    """The sums behind ``Gradients``, added a batch of labelled rows at a time
    (the first layer's inputs, already normalised, and their targets) in any
    sizes: the rows are summed ``chunk`` at a time in the order they came, so
    the result does not depend on how they were handed over."""

    def __init__(self, net: Network, loss: LossKind | str | None = None, chunk: int = CHUNK_ROWS,
                 one_chunk: bool = False, labelled: bool = False) -> None:
        """``one_chunk``: every row comes in one chunk (the debugger's samples):
        each layer's ΣdW is cut down to its column norms as soon as it is made,
        so the layers' float64 gradients (twice a float32 model's bytes) are
        never all held at once. ``labelled``: the targets are class indices
        (``infer_loss``: on logits, ce)."""
        self.net = net
        self.inferred = loss is None
        self.kind = infer_loss(net, labelled) if loss is None else LossKind(loss)
        self.chunk = chunk
        self.one_chunk = one_chunk
        # Per layer (ΣdW, Σdb, scale): the sums are scale × the arrays held. The
        # first chunk's gradients are kept as they come (scale = its rows), so
        # a batch of one chunk — the debugger's case — costs no pass to scale them.
        self.sums: list[tuple[np.ndarray, np.ndarray, float] | None] = [None] * len(net.layers)
        # one_chunk: per layer (‖(ΣdW, Σdb)[:, j]‖ for every j, ΣdW's and Σdb's size, scale)
        self.column_norms: list[tuple[np.ndarray, int, float] | None] = [None] * len(net.layers)
        self.deltas = np.zeros(len(net.layers))  # Σ over samples of mean_j δ², δ of one sample's own loss
        self.total = 0.0
        self.refused: str | None = None  # why the loss cannot be taken of these targets (ValueError's words)
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.waiting = 0

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        if self.refused is not None or not len(x):
            return
        self.pending.append((x, y))
        self.waiting += len(x)
        while self.waiting >= self.chunk:
            self._flush(self.chunk)

    def _flush(self, count: int) -> None:
        xs, ys = np.concatenate([p[0] for p in self.pending]), np.concatenate([p[1] for p in self.pending])
        self.pending = [(xs[count:], ys[count:])] if count < len(xs) else []
        self.waiting = len(xs) - count
        if self.refused is None:
            self._sum(xs[:count], ys[:count])

    def _sum(self, x: np.ndarray, y: np.ndarray) -> None:
        share = len(x)  # backward_pass gives the chunk's mean: weigh it by its rows
        if self.one_chunk and any(held is not None for held in self.column_norms):
            raise ValueError("GradientSums(one_chunk=True) was given more than one chunk")

        def taken(l: int, g: LayerBackward) -> LayerBackward:
            """One chunk: the layer's column norms now, its ΣdW let go."""
            self.column_norms[l] = (_column_norms(g.dW, g.db), g.dW.size + g.db.size, float(share))
            return replace(g, dW=_NO_ARRAY)

        with quiet():
            try:
                back = backward_pass(self.net, x, y, self.kind, taken if self.one_chunk else None)
            except ValueError as exc:
                self.refused = no_loss_fits(self.net, self.kind, exc) if self.inferred else str(exc)
                return
            self.total += float(np.sum(back.per_sample))
            for l, g in enumerate(back.layers):
                self.deltas[l] += float(np.sum(np.mean((g.dzsum * share) ** 2, axis=1)))
            if self.one_chunk:
                return
            for l, g in enumerate(back.layers):
                held = self.sums[l]
                if held is None:
                    self.sums[l] = (g.dW, g.db, float(share))
                    continue
                dW, db, scale = held
                if scale != 1.0:
                    dW, db = dW * scale, db * scale
                dW += g.dW * share
                db += g.db * share
                self.sums[l] = (dW, db, 1.0)

    def result(self, rows: np.ndarray) -> Gradients | None:
        """The gradients over ``rows`` (every labelled row added, 0-based);
        None if none, or the loss did not fit (``refused`` says why)."""
        if self.waiting:
            self._flush(self.waiting)
        n = rows.size
        if self.refused is not None or not n:
            return None
        layers = []
        with quiet():
            for l, layer in enumerate(self.net.layers):
                columns, size, scale = self._layer_norms(l)
                per_neuron = columns * (scale / n)  # a neuron's weights and bias together
                norm = float(_norms(per_neuron[:, None])[0]) if per_neuron.size else 0.0
                weights = _weight_norm(layer.W, layer.b)
                layers.append(LayerGradient(l, norm, norm / math.sqrt(size), weights,
                                            per_neuron, math.sqrt(self.deltas[l] / n)))
        return Gradients(self.kind, self.total / n, rows, tuple(layers))

    def _layer_norms(self, l: int) -> tuple[np.ndarray, int, float]:
        """Layer ``l``'s (‖(ΣdW, Σdb)[:, j]‖ for every j, the sums' size, their scale)."""
        if self.one_chunk:
            found = self.column_norms[l]
            assert found is not None  # n > 0: the chunk has been through every layer
            return found
        held = self.sums[l]
        assert held is not None  # n > 0: every layer has had a chunk
        dW, db, scale = held
        return _column_norms(dW, db), dW.size + db.size, scale


_NO_ARRAY = np.zeros(0)  # where a let-go ΣdW stood


def _column_norms(W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """‖(W[:, j], b[j])‖ for every column j, in float64: one plain pass, and
    the scaled ``_norms`` only for the columns it cannot be trusted with (a
    0 or a tiny value its squares may have underflowed into, ∞ from overflow)."""
    with quiet():
        squares = (np.einsum("ij,ij->j", W, W) if W.dtype == np.float64
                   else np.sum(np.square(W, dtype=np.float64), axis=0))
        out: np.ndarray = np.sqrt(squares + np.square(b, dtype=np.float64))
        doubtful = ~np.isfinite(out) | (out < 1e-140)
        if doubtful.any():
            # An all-0 column (a dead neuron's gradient: hundreds of them) has its exact 0 already
            cols = np.flatnonzero(doubtful & (np.any(W, axis=0) | (b != 0)))
            if cols.size:
                out[cols] = _norms(np.vstack([W[:, cols], b[None, cols]]).astype(np.float64, copy=False))
    return out


def _weight_norm(W: np.ndarray, b: np.ndarray) -> float:
    """‖(W, b)‖, in float64 however the weights are stored (one pass; the
    scaled norms where its sum of squares cannot be trusted)."""
    with quiet():
        w, c = W.ravel(), b.ravel()
        total = math.sqrt(float(np.einsum("i,i->", w, w, dtype=np.float64) + np.einsum("i,i->", c, c, dtype=np.float64)))
    if math.isfinite(total) and total >= 1e-140:
        return total
    return float(_norms(_column_norms(W, b)[:, None])[0]) if W.size else 0.0


def _norms(a: np.ndarray) -> np.ndarray:
    """The 2-norm of each column, scaled by its largest entry first, so a
    gradient of 1e−180 reads 1e−180 and not the 0 its square underflows to."""
    with quiet():
        top = np.max(np.abs(a), axis=0) if a.size else np.zeros(a.shape[1])
        safe = np.where((top > 0) & np.isfinite(top), top, 1.0)
        out: np.ndarray = np.where(np.isfinite(top), safe * np.sqrt(np.sum((a / safe) ** 2, axis=0)), top)
    return np.where(top == 0, 0.0, out)
