"""The trace: one forward pass that keeps every intermediate vector.

For each layer l the trace holds, for every sample at once, ``zdot[l] = x @ W``
(the dot products), ``z[l] = zdot[l] + b`` and ``a[l] = g(z[l])``. A step of the
plan is a view into these arrays: stepping never recomputes anything and the
memory grows with the activations, not with the number of steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import conditions
from .activations import ACTIVATIONS
from .network import Layer, Network, ShapeError
from .numbers import fmt, fmt_fixed, fmt_operand, fmt_vector, quiet
from .refs import NeuronRef
from .plan import ACTIVATE, BIAS, DOT, NORMALIZE, Step
from .settings import DEFAULT_CONFIG, Settings

FORMULA_TERMS = 8  # dot-product terms written out before "…"


@dataclass
class LayerValues:
    """One layer's vectors for every sample: rows are samples."""

    zdot: np.ndarray
    z: np.ndarray
    a: np.ndarray


@dataclass
class Snapshot:
    """Values replaced by a recomputation, kept so the UI can show old → new."""

    from_layer: int  # -1: the normalisation (an input changed)
    x: np.ndarray | None
    layers: dict[int, LayerValues] = field(default_factory=dict)


class Trace:
    def __init__(self, network: Network, batch: np.ndarray) -> None:
        self.network = network
        self.x_raw = batch
        self.x = batch
        self.values: list[LayerValues] = []
        self._normalize()
        for l in range(len(network.layers)):
            self.values.append(self._layer(l))

    # -- computing -----------------------------------------------------------
    def _normalize(self) -> None:
        norm = self.network.normalization
        with quiet():
            self.x = norm.apply(self.x_raw) if norm is not None else self.x_raw

    def _layer(self, l: int) -> LayerValues:
        layer = self.network.layers[l]
        x = self.layer_input(l)
        act = ACTIVATIONS[layer.activation]
        with quiet():
            zdot = x @ layer.W
            z = zdot + layer.b
            a = act(z, layer.params)
        return LayerValues(zdot, z, a)

    def recompute(self, from_layer: int) -> Snapshot:
        """Recompute layer ``from_layer`` and every layer after it.

        ``from_layer = -1`` starts at the normalisation (an input changed).
        The replaced arrays are returned; the new ones are fresh objects.
        """
        snap = Snapshot(from_layer, self.x if from_layer < 0 else None)
        if from_layer < 0:
            self._normalize()
            from_layer = 0
        for l in range(from_layer, len(self.values)):
            snap.layers[l] = self.values[l]
            self.values[l] = self._layer(l)
        return snap

    def set_input(self, row: int, feature: int, value: float) -> None:
        """Replace one raw input value (a copy: the old array stays intact)."""
        x_raw = self.x_raw.copy()
        x_raw[row, feature] = value
        self.x_raw = x_raw

    # -- reading -------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return int(self.x_raw.shape[0])

    def layer_input(self, l: int) -> np.ndarray:
        return self.x if l == 0 else self.values[l - 1].a

    @property
    def outputs(self) -> np.ndarray:
        return self.values[-1].a

    def sample(self, i: int) -> "SampleTrace":
        if not 0 <= i < self.n_samples:
            raise IndexError(f"sample {i} out of range 0..{self.n_samples - 1}")
        return SampleTrace(self, i)


def trace_of(network: Network, x: np.ndarray | list[float] | None = None) -> Trace:
    """Run the forward pass once and keep every intermediate value.

    ``x`` is one sample (1-D), a batch (2-D), or None for the file's samples.
    """
    if x is None:
        if not len(network.samples):
            raise ShapeError("the network has no samples; pass an input")
        x = network.samples.x
    batch, _ = network.as_batch(x)
    return Trace(network, batch)


def forward(network: Network, x: np.ndarray | list[float]) -> np.ndarray:
    """The network's outputs for one sample (1-D) or a batch (2-D)."""
    batch, single = network.as_batch(x)
    out = Trace(network, batch).outputs
    return out[0] if single else out


@dataclass(frozen=True)
class StepDetail:
    """Everything about one step, as plain data for any front end."""

    step: Step
    title: str  # "layer1 · neuron n1 · dot product"
    symbolic: str  # "z1_1 = w1_1 · x"
    formula: str  # "z = 1×200 + (−2)×17 = 166"
    operands: dict[str, np.ndarray]
    result: np.ndarray  # 0-d for a neuron step, 1-d for a layer step
    products: np.ndarray | None = None  # w_i·x_i of a neuron's dot product
    notes: tuple[str, ...] = ()


KIND_NAMES = {NORMALIZE: "normalise inputs", DOT: "dot product", BIAS: "add bias", ACTIVATE: "activation"}


class SampleTrace:
    """The trace of one sample: views into the batch arrays, no copies.

    A row is taken as ``[row, ...]``: the same view as ``[row]`` of these
    (samples × units) arrays, and typed as an array, not as a scalar."""

    def __init__(self, trace: Trace, row: int) -> None:
        self.trace = trace
        self.row = row
        self.network = trace.network

    @property
    def x_raw(self) -> np.ndarray:
        return self.trace.x_raw[self.row, ...]

    @property
    def x(self) -> np.ndarray:
        return self.trace.x[self.row, ...]

    def layer_input(self, l: int) -> np.ndarray:
        return self.trace.layer_input(l)[self.row, ...]

    def zdot(self, l: int) -> np.ndarray:
        return self.trace.values[l].zdot[self.row, ...]

    def z(self, l: int) -> np.ndarray:
        return self.trace.values[l].z[self.row, ...]

    def a(self, l: int) -> np.ndarray:
        return self.trace.values[l].a[self.row, ...]

    @property
    def outputs(self) -> np.ndarray:
        return self.trace.outputs[self.row, ...]

    def value(self, step: Step) -> np.ndarray:
        """The step's result: a 0-d view for a neuron, a vector for a layer."""
        if step.kind == NORMALIZE:
            return self.x
        vals = self.trace.values[step.layer]
        vec = {DOT: vals.zdot, BIAS: vals.z, ACTIVATE: vals.a}[step.kind][self.row, ...]
        return vec if step.neuron is None else vec[step.neuron, ...]

    # -- explaining ------------------------------------------------------------
    def detail(self, step: Step, settings: Settings = DEFAULT_CONFIG) -> StepDetail:
        if step.kind == NORMALIZE:
            return self._normalize_detail(step)
        where = NeuronRef(step.layer, step.neuron).label(self.network, sep=" · ")
        title = f"{where} · {KIND_NAMES[step.kind]}"
        if step.neuron is None:
            return self._layer_detail(step, title, settings)
        return self._neuron_detail(step, title, settings)

    def _input_symbol(self, l: int) -> str:
        return "x" if l == 0 else f"a{l}"

    def _normalize_detail(self, step: Step) -> StepDetail:
        norm = self.network.normalization
        assert norm is not None
        formula = (
            f"x' = (x − μ) / σ = ({fmt_vector(self.x_raw)} − {fmt_vector(norm.mean)})"
            f" / {fmt_vector(norm.std)} = {fmt_vector(self.x)}"
        )
        return StepDetail(
            step,
            "normalise the inputs",
            "x' = (x − μ) / σ",
            formula,
            {"x": self.x_raw, "mean": norm.mean, "std": norm.std},
            self.x,
        )

    def _neuron_detail(self, step: Step, title: str, settings: Settings) -> StepDetail:
        l, j = step.layer, step.neuron
        assert j is not None
        layer = self.network.layers[l]
        L, J = l + 1, j + 1
        xin = self.layer_input(l)
        w = layer.W[:, j]
        zdot = self.zdot(l)[j]
        z = self.z(l)[j]
        inp = self._input_symbol(l)
        if step.kind == DOT:
            with quiet():
                products = w * xin
            terms = [f"{fmt_operand(wi)}×{fmt_operand(xi)}" for wi, xi in zip(w[:FORMULA_TERMS], xin)]
            rest = len(w) - FORMULA_TERMS
            body = " + ".join(terms) + (f" + … ({rest} more terms)" if rest > 0 else "")
            return StepDetail(
                step, title, f"z{L}_{J} = w{L}_{J} · {inp}",
                f"z = {body} = {fmt(zdot)}",
                {"w": w, inp: xin}, self.zdot(l)[j, ...], products,
                self._nonfinite_notes(zdot, {"w": w, inp: xin}),
            )
        if step.kind == BIAS:
            b = layer.b[j]
            sign = f"+ {fmt(b)}" if not str(fmt(b)).startswith("−") else f"− {fmt(b)[1:]}"
            return StepDetail(
                step, title, f"z{L}_{J} = w{L}_{J} · {inp} + b{L}_{J}",
                f"z = {fmt(zdot)} {sign} = {fmt(z)}",
                {"w·x": self.zdot(l)[j, ...], "b": layer.b[j, ...]}, self.z(l)[j, ...],
                notes=self._nonfinite_notes(z, {"w·x": self.zdot(l)[j, ...], "b": layer.b[j, ...]}),
            )
        act = ACTIVATIONS[layer.activation]
        a = self.a(l)[j]
        return StepDetail(
            step, title, f"a{L}_{J} = g(z{L}_{J}) = {act.text(f'z{L}_{J}', layer.params)}",
            f"a = {act.text(fmt(z), layer.params)} {self._result_text(layer.activation, z, a)}",
            {"z": self.z(l)[j, ...]}, self.a(l)[j, ...],
            notes=self._activation_notes(layer, z, settings),
        )

    def _layer_detail(self, step: Step, title: str, settings: Settings) -> StepDetail:
        l = step.layer
        layer = self.network.layers[l]
        L = l + 1
        inp = self._input_symbol(l)
        xin = self.layer_input(l)
        if step.kind == DOT:
            return StepDetail(
                step, title, f"z{L} = {inp} · W{L}",
                f"z = {fmt_vector(xin)} · W{L} ({layer.n_inputs}×{layer.units}) = {fmt_vector(self.zdot(l))}",
                {inp: xin, "W": layer.W}, self.zdot(l),
            )
        if step.kind == BIAS:
            return StepDetail(
                step, title, f"z{L} = {inp} · W{L} + b{L}",
                f"z = {fmt_vector(self.zdot(l))} + {fmt_vector(layer.b)} = {fmt_vector(self.z(l))}",
                {"x·W": self.zdot(l), "b": layer.b}, self.z(l),
            )
        act = ACTIVATIONS[layer.activation]
        symbolic = f"a{L} = {act.text(f'z{L}', layer.params)}"
        if act.per_layer:  # a whole-layer function: say what it computes per neuron
            symbolic += f"   (a{L}_j = {act.definition.format(z=f'z{L}')})"
        notes: list[str] = []
        if act.can_saturate:
            sat = conditions.saturated(layer, self.z(l), settings)
            if sat.any():
                names = ", ".join(layer.neuron_name(int(j)) for j in np.flatnonzero(sat)[:8])
                notes.append(f"saturated: {int(sat.sum())} of {layer.units} neurons ({names})")
        return StepDetail(
            step, title, symbolic,
            f"a = {act.text(fmt_vector(self.z(l)), layer.params)} = {fmt_vector(self.a(l), digits=4)}",
            {"z": self.z(l)}, self.a(l), notes=tuple(notes),
        )

    # -- notes -------------------------------------------------------------------
    @staticmethod
    def _result_text(activation: str, z: float, a: float) -> str:
        act = ACTIVATIONS[activation]
        if not act.bounded or not np.isfinite(a):
            return f"= {fmt(a)}"
        text = fmt_fixed(a, 4)
        # σ(166.5) is 1.0 in floating point but not in mathematics: say ≈.
        exact = float(text.replace("−", "-")) == a and not act.at_limit(z, a)
        out = f"{'=' if exact else '≈'} {text}"
        if a != 0 and abs(a) < 5e-5:
            out += f" ({fmt(a, 3)})"
        return out

    def _activation_notes(self, layer: Layer, z: float, settings: Settings) -> tuple[str, ...]:
        act = ACTIVATIONS[layer.activation]
        if np.isnan(z):
            return ("NaN: z is not a number, so neither is the activation",)
        if conditions.saturated(layer, z, settings):
            d = float(act.derivative(np.asarray(z), layer.params))
            return (
                f"saturated: slope {act.symbol}'(z) = {fmt(d, 3)} < {fmt(settings.saturation_slope)}; "
                "changes to this neuron's inputs barely move its output",
            )
        if conditions.inactive(layer, z):
            at = conditions.dies_at(layer)
            assert at is not None
            who = "ReLU" if layer.activation == "relu" else act.symbol
            return (f"inactive: z ≤ {fmt(at)}, so {who} outputs 0 and passes no gradient",)
        return ()

    @staticmethod
    def _nonfinite_notes(result: float, operands: dict[str, np.ndarray]) -> tuple[str, ...]:
        if np.isfinite(result):
            return ()
        for name, arr in operands.items():
            bad = np.flatnonzero(~np.isfinite(np.atleast_1d(arr)))
            if bad.size:
                at = "" if np.ndim(arr) == 0 else f"[{int(bad[0]) + 1}]"
                return (f"not finite: {name}{at} = {fmt(np.atleast_1d(arr)[bad[0]])}",)
        return (f"not finite: {fmt(result)} produced here from finite operands (overflow or ∞ − ∞)",)
