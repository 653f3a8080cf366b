"""The backward pass of one sample, one operation at a time, with the numbers.

After the forward pass: the loss, then each layer from the last to the first,
neuron by neuron — ∂L/∂a (from the layer after it), through a norm after the
activation, ∂L/∂z = ∂L/∂a · g′(z) (softmax or sigmoid with its cross-entropy:
a − y, one step), through a norm before it, then ∂L/∂w = x · δ and ∂L/∂b = δ —
written like the forward formulas: symbols, the real numbers, the result.
Per layer, the same operations on the layer's vectors: ∂L/∂a1 = W2 · δ2,
∂L/∂z = ∂L/∂a ⊙ g′(z), ∂L/∂W = xᵀ · δ (an outer product), ∂L/∂b = δ.
Each operation is written once, for one neuron (``j``) or the layer (``j``
None). For one sample the mean loss is that sample's loss, so these are the
gradients ``Network.gradients`` gives for a batch of one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import conditions
from .activations import ACTIVATIONS, Activation
from .kinds import BackKind, Granularity, LossKind
from .losses import Backward, backward_pass, ce_classes, on_logits
from .network import Layer, Network
from .norms import NormAt
from .numbers import fmt, fmt_operand, fmt_vector, quiet
from .refs import NeuronRef
from .settings import DEFAULT_CONFIG, Settings
from .trace import SampleTrace

__all__ = ["BackStep", "backward_steps"]

TERMS_SHOWN = 8  # of a neuron's Σ_k w·δ
NAMED_SHOWN = 4  # neurons named in a layer's "cannot learn" note


@dataclass(frozen=True, eq=False)
class BackStep:
    title: str  # "layer 1 (layer1) · neuron 1 · ∂L/∂z"
    symbolic: str  # "∂L/∂z1_1 = ∂L/∂a1_1 · σ′(z1_1)"
    formula: str  # "∂L/∂z = 0.07 × 4.9e−73 = 3.4e−74"
    value: np.ndarray
    layer: int = -1  # the neuron it is about (the loss: the output layer)
    neuron: int | None = None  # None: the whole layer (or the loss)
    notes: tuple[str, ...] = ()  # "cannot learn: …"
    kind: BackKind = BackKind.LOSS
    cannot_learn: tuple[int, ...] = ()  # the neurons whose g′(z) lets almost nothing through


@dataclass(frozen=True, eq=False)
class _Layer:
    """One layer of one sample's backward pass, and how its steps are named."""

    st: SampleTrace
    back: Backward
    target: np.ndarray
    l: int
    settings: Settings

    @property
    def net(self) -> Network:
        return self.st.network

    @property
    def layer(self) -> Layer:
        return self.net.layers[self.l]

    @property
    def act(self) -> Activation:
        return ACTIVATIONS[self.layer.activation]

    @property
    def last(self) -> bool:
        return self.l == len(self.net.layers) - 1

    @property
    def combined(self) -> bool:
        """Is ∂L/∂z written with the loss, a − y, one step?"""
        kind, act = self.back.loss, self.layer.activation
        return self.last and ((kind == LossKind.BCE and act == "sigmoid") or (kind == LossKind.CE and act == "softmax"))

    def of(self, values: np.ndarray, j: int | None) -> np.ndarray:
        """This layer's ``da``, ``dz``… for the sample: neuron j's, or the vector."""
        row = np.asarray(values)[0] if np.ndim(values) == 2 else np.asarray(values)
        return np.asarray(row[j] if j is not None else row, dtype=np.float64)

    def sym(self, base: str, j: int | None, layer: int | None = None) -> str:
        """'a1_2' for a neuron, 'a1' for the layer."""
        return f"{base}{(self.l if layer is None else layer) + 1}" + ("" if j is None else f"_{j + 1}")

    def title(self, j: int | None, what: str) -> str:
        return f"{NeuronRef(self.l, j).label(self.net, sep=' · ')} · {what}"

    def step(self, j: int | None, kind: BackKind, what: str, symbolic: str, formula: str, value: np.ndarray,
             notes: tuple[str, ...] = (), cannot_learn: tuple[int, ...] = ()) -> BackStep:
        return BackStep(self.title(j, what), symbolic, formula, np.array(value), self.l, j, notes, kind, cannot_learn)


def _num(v: np.ndarray) -> str:
    """A scalar as an operand, a vector in brackets (shortened like ``fmt_vector``)."""
    return fmt_vector(v) if np.ndim(v) else fmt_operand(float(v))


def _res(v: np.ndarray) -> str:
    return fmt_vector(v) if np.ndim(v) else fmt(float(v))


def _times(j: int | None) -> str:
    return "×" if j is not None else "⊙"


def _da(c: _Layer, j: int | None) -> BackStep | None:
    if c.combined:
        return None
    da = c.of(c.back.layers[c.l].da, j)
    if c.last:
        source = "∂ℓ/∂a"
        if on_logits(c.net, c.back.loss):
            k = "" if j is None else f"_{j + 1}"
            source = {LossKind.BCE: f"σ({c.sym('a', None)}) − y",
                      LossKind.CE: f"softmax({c.sym('a', None)}){k} − onehot(y){k}"}.get(c.back.loss, source)
        numbers = ""
    elif j is not None:  # what the next layer sends back: its weights on this neuron times its δ
        w_next, d_next = c.net.layers[c.l + 1].W[j, :], c.back.layers[c.l + 1].dzsum[0]
        source = f"Σ_k w{c.l + 2}_k[{j + 1}] · δ{c.l + 2}_k"
        terms = [f"{fmt_operand(float(w))}×{fmt_operand(float(d))}" for w, d in zip(w_next[:TERMS_SHOWN], d_next)]
        more = f" + … ({w_next.size - TERMS_SHOWN} more)" if w_next.size > TERMS_SHOWN else ""
        numbers = " + ".join(terms) + more + " = "
    else:
        W = c.net.layers[c.l + 1].W
        source = f"W{c.l + 2} · δ{c.l + 2}"
        numbers = f"W{c.l + 2} ({W.shape[0]}×{W.shape[1]}) · {fmt_vector(c.back.layers[c.l + 1].dzsum[0])} = "
    return c.step(j, BackKind.DA, "∂L/∂a", f"∂L/∂{c.sym('a', j)} = {source}", f"∂L/∂a = {numbers}{_res(da)}", da)


def _dh(c: _Layer, j: int | None) -> BackStep | None:
    """Through a norm after the activation."""
    layer = c.layer
    if c.combined or layer.norm is None or layer.norm_at != NormAt.A:
        return None
    lb = c.back.layers[c.l]
    da, dg = c.of(lb.da, j), c.of(lb.dg, j)
    k = c.of(layer.norm.slope(), j)
    x = _times(j)
    return c.step(j, BackKind.DH, f"∂L/∂h (through the {layer.norm.title})",
                  f"∂L/∂{c.sym('h', j)} = ∂L/∂{c.sym('a', j)} {'·' if j is not None else '⊙'} ∂a/∂h",
                  f"∂L/∂h = {_res(da)} {x} {_num(k)} = {_res(dg)}", dg)


def _dz(c: _Layer, j: int | None) -> BackStep:
    lb, act, L = c.back.layers[c.l], c.act, c.l + 1
    dz, dg = c.of(lb.dz, j), c.of(lb.dg, j)
    z = c.of(c.st.z(c.l), j)
    if c.combined:
        kind = c.back.loss
        y = c.target if kind == LossKind.BCE else (np.arange(c.layer.units) == int(c.target)).astype(np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        a = c.of(c.st.a(c.l), j)
        why = ("σ with binary cross-entropy: σ′(z) cancels the loss's 1/(a(1 − a)), so ∂L/∂z = a − y"
               if kind == LossKind.BCE else
               "softmax with cross-entropy: the softmax Jacobian times −y/a leaves a − onehot(y), one step")
        return c.step(j, BackKind.DZ, "∂L/∂z (with the loss)", f"∂L/∂{c.sym('z', j)} = {c.sym('a', j)} − y",
                      f"∂L/∂z = {_res(a)} − {_res(y[j] if j is not None else y)} = {_res(dz)}", dz, (why,))
    if act.per_layer:
        if j is not None:
            return c.step(j, BackKind.DZ, "∂L/∂z", f"∂L/∂z{L}_{j + 1} = Σ_k ∂L/∂a{L}_k · ∂a{L}_k/∂z{L}_{j + 1}",
                          f"∂L/∂z = {fmt(float(dz))}", dz)
        g = c.of(c.st.g(c.l), None)
        with quiet():
            if c.layer.activation == "softmax":  # ∂a_j/∂z_k = a_j(δ_jk − a_k)
                symbolic = f"∂L/∂z{L} = J(z{L})ᵀ · ∂L/∂a{L} = a{L} ⊙ (∂L/∂a{L} − a{L}·∂L/∂a{L})"
                numbers = f"{fmt_vector(g)} ⊙ ({fmt_vector(dg)} − {fmt_operand(float(np.dot(g, dg)))})"
            else:  # log_softmax: ∂a_j/∂z_k = δ_jk − softmax_k
                symbolic = f"∂L/∂z{L} = J(z{L})ᵀ · ∂L/∂a{L} = ∂L/∂a{L} − softmax(z{L})·Σ_k ∂L/∂a{L}_k"
                numbers = f"{fmt_vector(dg)} − {fmt_vector(np.exp(g))} × {fmt_operand(float(np.sum(dg)))}"
        return c.step(None, BackKind.DZ, "∂L/∂z", symbolic, f"∂L/∂z = {numbers} = {fmt_vector(dz)}", dz)
    with quiet():
        slope = np.asarray(act.derivative(z, c.layer.params), dtype=np.float64)
    stuck = conditions.slope_too_small(slope, c.settings)  # barely learns from this sample
    s, x = act.symbol, _times(j)
    formula = f"∂L/∂z = {_res(dg)} {x} {s}′({_res(z)}) = {_res(dg)} {x} {_num(slope)} = {_res(dz)}"
    if j is not None:
        notes = _cannot_learn(s, float(z), float(slope)) if stuck else ()
        return c.step(j, BackKind.DZ, "∂L/∂z", f"∂L/∂z{L}_{j + 1} = ∂L/∂a · {s}′(z{L}_{j + 1})", formula, dz,
                      notes, (j,) if stuck else ())
    who = tuple(int(k) for k in np.flatnonzero(stuck))
    return c.step(None, BackKind.DZ, "∂L/∂z", f"∂L/∂z{L} = ∂L/∂a{L} ⊙ {s}′(z{L})", formula, dz,
                  _cannot_learn_layer(s, who, z, slope), who)


def _delta(c: _Layer, j: int | None) -> BackStep | None:
    """Through a norm before the activation."""
    layer = c.layer
    if layer.norm is None or layer.norm_at != NormAt.Z:
        return None
    lb = c.back.layers[c.l]
    dz, dzsum = c.of(lb.dz, j), c.of(lb.dzsum, j)
    k = c.of(layer.norm.slope(), j)
    dot = "·" if j is not None else "⊙"
    return c.step(j, BackKind.DELTA, f"δ (through the {layer.norm.title})",
                  f"{c.sym('δ', j)} = ∂L/∂{c.sym('z', j)}' {dot} ∂z'/∂z",
                  f"δ = {_res(dz)} {_times(j)} {_num(k)} = {_res(dzsum)}", dzsum)


def _dw(c: _Layer, j: int | None) -> BackStep:
    lb = c.back.layers[c.l]
    inp = "x" if c.l == 0 else f"a{c.l}"
    xin = np.asarray(c.st.layer_input(c.l))
    dzsum = c.of(lb.dzsum, j)
    if j is not None:
        dw = lb.dW[:, j]
        return c.step(j, BackKind.DW, "∂L/∂w", f"∂L/∂w{c.l + 1}_{j + 1} = {inp} · δ{c.l + 1}_{j + 1}",
                      f"∂L/∂w = {fmt_vector(xin)} × {fmt_operand(float(dzsum))} = {fmt_vector(dw)}", dw)
    dW = lb.dW
    rows = ", ".join(fmt_vector(r, limit=4) for r in dW[:2]) + (", …" if dW.shape[0] > 2 else "")
    return c.step(None, BackKind.DW, "∂L/∂W", f"∂L/∂W{c.l + 1} = {inp}ᵀ · δ{c.l + 1}  (an outer product)",
                  f"∂L/∂W = {fmt_vector(xin)}ᵀ · {fmt_vector(dzsum)} = {dW.shape[0]}×{dW.shape[1]} [{rows}]", dW)


def _db(c: _Layer, j: int | None) -> BackStep:
    db = c.of(c.back.layers[c.l].db, j)
    return c.step(j, BackKind.DB, "∂L/∂b", f"∂L/∂{c.sym('b', j)} = {c.sym('δ', j)}", f"∂L/∂b = {_res(db)}", db)


# Per neuron (or per layer), in this order; a step that does not apply is None.
OPERATIONS: tuple[Callable[[_Layer, int | None], BackStep | None], ...] = (_da, _dh, _dz, _delta, _dw, _db)


def backward_steps(st: SampleTrace, y: int | float | np.ndarray, loss: LossKind | str | None = None,
                   settings: Settings = DEFAULT_CONFIG,
                   granularity: Granularity | str = Granularity.NEURON) -> list[BackStep]:
    """The backward steps of sample ``st`` for target ``y`` (a label or an
    expected vector), per neuron or per layer; ``loss`` inferred from the
    output activation when None."""
    net = st.network
    per_layer = Granularity(granularity) == Granularity.LAYER
    target = np.asarray(y, dtype=np.float64)
    back = backward_pass(net, np.asarray(st.x, dtype=np.float64)[None, :], target[None, ...], loss)
    last = len(net.layers) - 1
    kind = back.loss
    if on_logits(net, kind):
        loss_text = {LossKind.BCE: "ℓ = log(1 + eᵃ) − y·a  (σ inside the loss: a is the logit)",
                     LossKind.CE: "ℓ = log Σ_k e^(a_k) − a_y  (softmax inside the loss: a are the logits)"}[kind]
    else:
        loss_text = {LossKind.BCE: "ℓ = −[y·log a + (1 − y)·log(1 − a)]", LossKind.CE: "ℓ = −log a_y",
                     LossKind.MSE: "ℓ = mean((a − y)²)"}[kind]
    y_text = fmt_vector(target) if target.ndim else fmt(float(target))
    if kind == LossKind.CE and target.ndim:  # a one-hot expected output: the class of its 1, as the loss takes it
        target = np.asarray(float(ce_classes(target[None, :], 1, net.layers[last].units)[0]))
        y_text += f", class {int(target)}"
    steps = [BackStep(f"loss ({kind})", loss_text, f"ℓ = {fmt(back.value)}  (a = {fmt_vector(st.a(last))}, y = {y_text})",
                      np.asarray(back.value), last, None)]
    with quiet():
        for l in range(last, -1, -1):
            c = _Layer(st, back, target, l, settings)
            for j in ([None] if per_layer else range(c.layer.units)):
                steps += [s for s in (op(c, j) for op in OPERATIONS) if s is not None]
    return steps


def _cannot_learn(symbol: str, z: float, slope: float) -> tuple[str, ...]:
    """Why a neuron barely learns from this sample, in words."""
    if slope == 0:
        return (f"cannot learn from this sample: {symbol}′({fmt(z)}) = 0, so no gradient reaches its weights and bias",)
    return (f"cannot learn from this sample: {symbol}′({fmt(z)}) = {fmt(slope, 3)}, so ∂L/∂z ≈ 0 and its weights "
            "and bias barely move (saturated)",)


def _cannot_learn_layer(symbol: str, who: tuple[int, ...], z: np.ndarray, slope: np.ndarray) -> tuple[str, ...]:
    """A layer's neurons that barely learn from this sample, named."""
    if not who:
        return ()
    named = ", ".join(f"neuron {k + 1} ({symbol}′({fmt(float(z[k]))}) = {fmt(float(slope[k]), 2)})"
                      for k in who[:NAMED_SHOWN])
    more = f" and {len(who) - NAMED_SHOWN} more" if len(who) > NAMED_SHOWN else ""
    return (f"cannot learn from this sample: {named}{more}",)
