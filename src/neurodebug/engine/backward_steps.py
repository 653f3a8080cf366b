"""The backward pass of one sample, one operation at a time, with the numbers.

After the forward pass: the loss, then each layer from the last to the first,
neuron by neuron — ∂L/∂a (from the layer after it), through a norm after the
activation, ∂L/∂z = ∂L/∂a · g′(z) (softmax or sigmoid with its cross-entropy:
a − y, one step), through a norm before it, then ∂L/∂w = x · δ and ∂L/∂b = δ —
written like the forward formulas: symbols, the real numbers, the result.
For one sample the mean loss is that sample's loss, so these are the
gradients ``Network.gradients`` gives for a batch of one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .kinds import LossKind
from .losses import backward_pass
from .norms import NormAt
from .numbers import fmt, fmt_operand, fmt_vector, quiet
from .refs import NeuronRef
from .settings import DEFAULT_CONFIG, Settings
from .trace import SampleTrace

__all__ = ["BackStep", "backward_steps"]


@dataclass(frozen=True)
class BackStep:
    title: str  # "layer 1 (layer1) · neuron 1 · ∂L/∂z"
    symbolic: str  # "∂L/∂z1_1 = ∂L/∂a1_1 · σ′(z1_1)"
    formula: str  # "∂L/∂z = 0.07 × 4.9e−73 = 3.4e−74"
    value: np.ndarray
    layer: int = -1  # the neuron it is about (the loss: the output layer)
    neuron: int | None = None
    notes: tuple[str, ...] = ()  # "cannot learn: …"


def backward_steps(st: SampleTrace, y: int | float | np.ndarray, loss: LossKind | str | None = None,
                   settings: Settings = DEFAULT_CONFIG) -> list[BackStep]:
    """The backward steps of sample ``st`` for target ``y`` (a label or an
    expected vector); ``loss`` inferred from the output activation when None."""
    net = st.network
    target = np.asarray(y, dtype=np.float64)
    back = backward_pass(net, np.asarray(st.x, dtype=np.float64)[None, :], target[None, ...], loss)
    steps: list[BackStep] = []
    last = len(net.layers) - 1
    kind = back.loss
    a_out = st.a(last)
    loss_text = {LossKind.BCE: "ℓ = −[y·log a + (1 − y)·log(1 − a)]", LossKind.CE: "ℓ = −log a_y",
                 LossKind.MSE: "ℓ = mean((a − y)²)"}[kind]
    y_text = fmt_vector(target) if target.ndim else fmt(float(target))
    steps.append(BackStep(f"loss ({kind})", loss_text, f"ℓ = {fmt(back.value)}  (a = {fmt_vector(a_out)}, y = {y_text})",
                          np.asarray(back.value), last, None))
    with quiet():
        for l in range(last, -1, -1):
            layer, lb = net.layers[l], back.layers[l]
            act = ACTIVATIONS[layer.activation]
            L = l + 1
            inp = "x" if l == 0 else f"a{l}"
            xin = st.layer_input(l)
            combined = l == last and (kind == LossKind.BCE or (kind == LossKind.CE and layer.activation == "softmax"))
            for j in range(layer.units):
                J = j + 1
                where = NeuronRef(l, j).label(net, sep=" · ")
                da, dz, dzsum = float(lb.da[0, j]), float(lb.dz[0, j]), float(lb.dzsum[0, j])
                z = float(st.z(l)[j])
                if combined:
                    target_j = float(target) if kind == LossKind.BCE else float(int(target) == j)
                    steps.append(BackStep(f"{where} · ∂L/∂z (with the loss)", f"∂L/∂z{L}_{J} = a{L}_{J} − y",
                                          f"∂L/∂z = {fmt(float(a_out[j]))} − {fmt(target_j)} = {fmt(dz)}",
                                          np.asarray(dz), l, j))
                else:
                    if l == last:
                        source, numbers = "∂ℓ/∂a", ""
                    else:  # what the next layer sends back: its weights on this neuron times its δ
                        w_next, d_next = net.layers[l + 1].W[j, :], back.layers[l + 1].dzsum[0]
                        source = f"Σ_k w{L + 1}_k[{J}] · δ{L + 1}_k"
                        terms = [f"{fmt_operand(float(w))}×{fmt_operand(float(d))}" for w, d in zip(w_next[:8], d_next)]
                        more = f" + … ({w_next.size - 8} more)" if w_next.size > 8 else ""
                        numbers = " + ".join(terms) + more + " = "
                    steps.append(BackStep(f"{where} · ∂L/∂a", f"∂L/∂a{L}_{J} = {source}",
                                          f"∂L/∂a = {numbers}{fmt(da)}", np.asarray(da), l, j))
                    dg = float(lb.dg[0, j])
                    if layer.norm is not None and layer.norm_at == NormAt.A:
                        k = float(layer.norm.slope()[j])
                        steps.append(BackStep(f"{where} · ∂L/∂h (through the {layer.norm.title})",
                                              f"∂L/∂h{L}_{J} = ∂L/∂a{L}_{J} · ∂a/∂h",
                                              f"∂L/∂h = {fmt(da)} × {fmt_operand(k)} = {fmt(dg)}", np.asarray(dg), l, j))
                    if act.per_layer:
                        steps.append(BackStep(f"{where} · ∂L/∂z", f"∂L/∂z{L}_{J} = Σ_k ∂L/∂a{L}_k · ∂a{L}_k/∂z{L}_{J}",
                                              f"∂L/∂z = {fmt(dz)}", np.asarray(dz), l, j))
                    else:
                        slope = float(act.derivative(np.asarray(z), layer.params))
                        steps.append(BackStep(f"{where} · ∂L/∂z", f"∂L/∂z{L}_{J} = ∂L/∂a · {act.symbol}′(z{L}_{J})",
                                              f"∂L/∂z = {fmt(dg)} × {act.symbol}′({fmt(z)}) = {fmt(dg)} × "
                                              f"{fmt_operand(slope)} = {fmt(dz)}", np.asarray(dz), l, j,
                                              _cannot_learn(act.symbol, z, slope, settings)))
                if layer.norm is not None and layer.norm_at == NormAt.Z:
                    k = float(layer.norm.slope()[j])
                    steps.append(BackStep(f"{where} · δ (through the {layer.norm.title})",
                                          f"δ{L}_{J} = ∂L/∂z{L}_{J}' · ∂z'/∂z",
                                          f"δ = {fmt(dz)} × {fmt_operand(k)} = {fmt(dzsum)}", np.asarray(dzsum), l, j))
                dw = lb.dW[:, j]
                steps.append(BackStep(f"{where} · ∂L/∂w", f"∂L/∂w{L}_{J} = {inp} · δ{L}_{J}",
                                      f"∂L/∂w = {fmt_vector(xin)} × {fmt_operand(dzsum)} = {fmt_vector(dw)}",
                                      np.array(dw), l, j))
                steps.append(BackStep(f"{where} · ∂L/∂b", f"∂L/∂b{L}_{J} = δ{L}_{J}", f"∂L/∂b = {fmt(float(lb.db[j]))}",
                                      np.asarray(float(lb.db[j])), l, j))
    return steps


def _cannot_learn(symbol: str, z: float, slope: float, settings: Settings) -> tuple[str, ...]:
    """Why a neuron barely learns from this sample: its activation's slope."""
    if not np.isfinite(slope) or abs(slope) >= settings.saturation_slope:
        return ()
    if slope == 0:
        return (f"cannot learn from this sample: {symbol}′({fmt(z)}) = 0, so no gradient reaches its weights and bias",)
    return (f"cannot learn from this sample: {symbol}′({fmt(z)}) = {fmt(slope, 3)}, so ∂L/∂z ≈ 0 and its weights "
            "and bias barely move (saturated)",)
