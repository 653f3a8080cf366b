"""Losses and the gradient of their mean over a batch, layer by layer.

The reduction is the mean over the samples, the default of Keras and
PyTorch, so ``gradients`` gives what one optimiser step uses:

* ``bce`` — one sigmoid output, labels 0/1 (or probabilities):
  ℓ = −[y log p + (1 − y) log(1 − p)], computed from the logit z as
  softplus(z) − y·z (PyTorch's ``BCEWithLogitsLoss``), so ∂ℓ/∂z = p − y
  even where p rounds to 1;
* ``ce`` — a softmax output and class indices (or expected outputs that are
  one-hot: Keras's ``categorical_crossentropy`` targets, read as the class
  of their 1): ℓ = log Σ e^z − z_y (``CrossEntropyLoss`` on the logits),
  ∂ℓ/∂z = a − onehot(y), one step;
  a log_softmax output: ℓ = −a_y (``NLLLoss``);
* on a linear output the logits are the outputs, and the softmax (or the
  sigmoid) is the loss's: ``ce`` is ℓ = log Σ e^a − a_y, ∂ℓ/∂a = softmax(a) −
  onehot(y) — a PyTorch classifier trained with ``CrossEntropyLoss``, a Keras
  one with ``from_logits=True`` — and ``bce`` on one linear unit
  softplus(a) − y·a, ∂ℓ/∂a = σ(a) − y (``BCEWithLogitsLoss``);
* ``mse`` — expected vectors: ℓ = mean over the outputs of (a − y)²
  (``MSELoss``, Keras's ``mean_squared_error``), ∂ℓ/∂a = 2(a − y)/k.

Like ``dense.py`` this sits below ``network.py`` and reads a network only
through the attributes it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from . import dense
from .kinds import LossKind
from .norms import Norm, NormAt
from .numbers import fmt_vector, quiet

__all__ = ["Backward", "LOSSES", "backward_pass", "ce_classes", "check_output", "class_indices", "infer_loss",
           "loss_targets", "no_loss_fits", "on_logits", "one_hot_rows"]

LOSSES = tuple(LossKind)


class DenseNetwork(Protocol):
    @property
    def layers(self) -> Sequence[dense.DenseLayer]: ...

    @property
    def normalization(self) -> Norm | None: ...


def infer_loss(net: DenseNetwork, labelled: bool = False) -> LossKind:
    """The loss an output activation implies: one sigmoid unit → bce, softmax
    or log_softmax → ce, anything else → mse; ``labelled`` (the targets are
    class indices): several linear units are logits → ce."""
    last = net.layers[-1]
    if last.norm is None or last.norm_at == NormAt.Z:
        if last.activation == "sigmoid" and last.W.shape[1] == 1:
            return LossKind.BCE
        if last.activation in ("softmax", "log_softmax"):
            return LossKind.CE
    if labelled and _logits(net) and last.W.shape[1] > 1:
        return LossKind.CE
    return LossKind.MSE


def no_loss_fits(net: DenseNetwork, kind: LossKind, refused: ValueError) -> str:
    """Why no loss is taken when none was asked for: the one the output
    implies (``infer_loss``), and why it does not fit (``refused``)."""
    return f"no loss fits: the {net.layers[-1].activation} output implies {kind}, and {refused}"


def class_indices(y: np.ndarray | Sequence[float] | Sequence[int]) -> bool:
    """Are targets ``y`` one class index per sample (whole numbers, one axis)?"""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.dtype.kind not in "iuf":
        return False
    return bool(arr.dtype.kind in "iu" or np.all(np.isfinite(arr) & (arr == np.round(arr))))


def on_logits(net: DenseNetwork, loss: LossKind) -> bool:
    """Does ``loss`` take the outputs as logits, its own sigmoid or softmax
    applied to them: bce or ce on a linear output?"""
    return loss != LossKind.MSE and net.layers[-1].activation == "linear"


def _logits(net: DenseNetwork) -> bool:
    """Are the outputs logits: a linear output layer with no norm after it?"""
    last = net.layers[-1]
    return last.activation == "linear" and (last.norm is None or last.norm_at == NormAt.Z)


def check_output(net: DenseNetwork, loss: LossKind) -> None:
    """Raise ValueError (saying which loss fits) when ``loss`` does not fit the output layer."""
    last = net.layers[-1]
    after = last.norm is not None and last.norm_at == NormAt.A
    units = last.W.shape[1]
    if loss == LossKind.BCE and (units != 1 or after or last.activation not in ("sigmoid", "linear")):
        raise ValueError("bce needs one sigmoid output unit (or one linear unit: a logit), no norm after it; "
                         "use mse, or ce for a softmax")
    if loss == LossKind.CE and (after or not (last.activation in ("softmax", "log_softmax")
                                              or (last.activation == "linear" and units > 1))):
        raise ValueError("ce needs a softmax (or log_softmax) output layer, or several linear units (logits); "
                         "use bce for one sigmoid unit, or mse")


def loss_targets(net: DenseNetwork, y: np.ndarray | Sequence[float] | Sequence[int], loss: LossKind,
                 n: int) -> np.ndarray:
    """``y`` checked against the loss and the output: bce → (n, 1) in [0, 1];
    ce → n class indices; mse → (n, outputs)."""
    k = int(net.layers[-1].W.shape[1])
    arr = np.asarray(y, dtype=np.float64)
    if loss == LossKind.CE:
        return ce_classes(arr, n, k)
    want = (n, 1) if loss == LossKind.BCE else (n, k)
    if loss == LossKind.MSE and k > 1 and arr.shape == (n,) and class_indices(arr):
        raise ValueError(f"mse needs an expected output of {k} values per sample, not a class label; class labels "
                         "go with ce on a softmax or linear (logits) output")
    if arr.size != n * want[1]:
        raise ValueError(f"{loss} needs {want[1]} target value{'s' if want[1] > 1 else ''} per sample "
                         f"({n} samples), got shape {np.shape(y)}")
    out = arr.reshape(want)
    if not np.all(np.isfinite(out)):
        raise ValueError("the targets must be finite numbers")
    if loss == LossKind.BCE and (out.min() < 0 or out.max() > 1):
        raise ValueError("bce needs labels (or probabilities) between 0 and 1")
    return out


def ce_classes(y: np.ndarray | Sequence[float] | Sequence[int], n: int, k: int) -> np.ndarray:
    """The class of each of ``n`` targets of ce over ``k`` outputs: class
    indices 0..k−1 (one per sample), or expected outputs of ``k`` values
    that are one-hot (a single 1, the rest 0), read as the class of their 1.
    Anything else is refused (ValueError): a spread of probabilities is not
    a class, mse takes it."""
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 2 and arr.shape == (n, k) and k > 1:
        one_hot = one_hot_rows(arr)
        if not one_hot.all():
            bad = arr[np.flatnonzero(~one_hot)[0]]
            raise ValueError(f"ce takes a class index or a one-hot expected output (a single 1, the rest 0) per "
                             f"sample; one expected output is {fmt_vector(bad)}: mse takes expected outputs like it")
        classes: np.ndarray = np.argmax(arr, axis=1).astype(np.int64)
        return classes
    flat = arr.reshape(-1)
    if flat.shape != (n,) or not np.all(np.isfinite(flat)) or np.any(flat != np.round(flat)):
        each = "one class index" if arr.ndim <= 1 else f"a class index or a one-hot vector of {k} values"
        raise ValueError(f"ce needs {each} per sample (integers 0..{k - 1}; {n} sample{'s' if n != 1 else ''}), "
                         f"got shape {arr.shape}")
    if flat.size and (flat.min() < 0 or flat.max() > k - 1):
        raise ValueError(f"a class index is out of range 0..{k - 1}")
    return flat.astype(np.int64)


def one_hot_rows(e: np.ndarray) -> np.ndarray:
    """Which rows of ``e`` (samples × outputs) are one-hot: a single 1, the rest 0."""
    ones = e == 1
    rows: np.ndarray = np.all(ones | (e == 0), axis=1) & (ones.sum(axis=1) == 1)
    return rows


@dataclass(frozen=True, eq=False)
class Backward:
    """One backward pass: the loss (mean and per sample) and every layer's
    gradients, the parameters' summed over the batch of the mean loss (the
    first layer's ∂L/∂x, which no layer takes, is not computed: None)."""

    loss: LossKind
    value: float
    per_sample: np.ndarray
    layers: tuple[dense.LayerBackward, ...]
    forward: tuple[dense.LayerForward, ...]


def _output_gradient(net: DenseNetwork, loss: LossKind, out: dense.LayerForward,
                     y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(ℓ per sample, ∂ℓ/∂a, ∂ℓ/∂z when the loss is written on the logits) for one sample each."""
    last = net.layers[-1]
    with quiet():
        if on_logits(net, loss):
            return _from_logits(loss, out.a.astype(np.float64), y)
        if loss == LossKind.BCE:
            z = out.z.astype(np.float64)
            per = (np.logaddexp(0.0, z) - y * z).reshape(-1)
            p = out.a.astype(np.float64)
            return per, np.zeros_like(p), (p - y)
        if loss == LossKind.CE:
            rows = np.arange(y.size)
            onehot = np.zeros(out.a.shape, dtype=np.float64)
            onehot[rows, y] = 1.0
            if last.activation == "log_softmax":
                a = out.a.astype(np.float64)
                return -a[rows, y], -onehot, None
            z = out.z.astype(np.float64)
            zmax = np.max(z, axis=1, keepdims=True)
            lse = (zmax + np.log(np.sum(np.exp(z - zmax), axis=1, keepdims=True))).reshape(-1)
            return lse - z[rows, y], np.zeros_like(z), out.a.astype(np.float64) - onehot
        a = out.a.astype(np.float64)
        k = a.shape[1]
        return np.mean((a - y) ** 2, axis=1), 2.0 * (a - y) / k, None


def backward_pass(net: DenseNetwork, x: np.ndarray, y: np.ndarray | Sequence[float] | Sequence[int],
                  loss: LossKind | str | None = None,
                  taken: Callable[[int, dense.LayerBackward], dense.LayerBackward] | None = None) -> Backward:
    """Forward then backward over the batch ``x`` (already normalised: the
    first layer's input), for the mean ``loss`` (inferred when None).
    ValueError, saying why, when the loss does not fit the output or ``y``
    (for an inferred loss: which one the output implies, first).
    ``taken``: called with each layer's gradients as they are made (the last
    layer first); what it returns is kept, so a caller that needs only a
    summary of a layer's ∂L/∂W can let that array go before the next is made."""
    kind = infer_loss(net, labelled=class_indices(y)) if loss is None else LossKind(loss)
    n = int(x.shape[0])
    try:
        check_output(net, kind)
        targets = loss_targets(net, y, kind, n)
    except ValueError as exc:
        if loss is not None:
            raise
        raise ValueError(no_loss_fits(net, kind, exc)) from None
    inputs, forwards = [], []
    h = x
    for layer in net.layers:
        inputs.append(h)
        f = dense.forward(layer, h)
        forwards.append(f)
        h = f.a
    per, da, dz = _output_gradient(net, kind, forwards[-1], targets)
    da, dz = da / n, (dz / n if dz is not None else None)  # the mean over the batch
    back: list[dense.LayerBackward] = []
    for l in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[l]
        step = dense.backward(layer, inputs[l].astype(np.float64), _f64(forwards[l]), da, dz, input_gradient=l > 0)
        if step.dx is not None:
            da, dz = step.dx, None
        back.append(step if taken is None else taken(l, step))
        del step
    return Backward(kind, float(np.mean(per)), per, tuple(reversed(back)), tuple(forwards))


def _from_logits(loss: LossKind, a: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, None]:
    """(ℓ per sample, ∂ℓ/∂a) of bce or ce on outputs ``a`` that are logits."""
    if loss == LossKind.BCE:
        p = 0.5 * (1.0 + np.tanh(0.5 * a))  # σ(a), no overflow for any a
        return (np.logaddexp(0.0, a) - y * a).reshape(-1), p - y, None
    rows = np.arange(y.size)
    amax = np.max(a, axis=1, keepdims=True)
    e = np.exp(a - amax)
    total = np.sum(e, axis=1, keepdims=True)
    onehot = np.zeros(a.shape, dtype=np.float64)
    onehot[rows, y] = 1.0
    lse = (amax + np.log(total)).reshape(-1)
    return lse - a[rows, y], e / total - onehot, None


def _f64(f: dense.LayerForward) -> dense.LayerForward:
    """Gradients in float64 whatever the weights' precision (the reference a
    float32 model's gradients are checked against)."""
    return dense.LayerForward(*(np.asarray(v, dtype=np.float64) for v in (f.zdot, f.zsum, f.z, f.g, f.a)))
