"""The trace: one forward pass that keeps every intermediate vector.

For each layer l the trace holds, for every sample at once, ``zdot[l] = x @ W``
(the dot products), ``z[l] = zdot[l] + b`` and ``a[l] = g(z[l])``. A layer with
a norm before its activation keeps ``zsum[l] = zdot[l] + b`` and
``z[l] = norm(zsum[l])``; one with a norm after it keeps ``g[l] = g(z[l])`` and
``a[l] = norm(g[l])``, so ``z`` is always what the activation is given and ``a``
what the next layer is given. A step of the plan is a view into these arrays:
stepping never recomputes anything and the memory grows with the activations,
not with the number of steps.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from . import conditions, dense
from .activations import ACTIVATIONS
from .network import Layer, Network, ShapeError
from .norms import NormAt
from .numbers import fmt, fmt_fixed, fmt_operand, fmt_vector, quiet
from .refs import NeuronRef
from .plan import ACTIVATE, BIAS, DOT, NORM, NORMALIZE, Step
from .settings import DEFAULT_CONFIG, Settings

FORMULA_TERMS = 8  # dot-product terms written out before "…"


@dataclass
class LayerValues:
    """One layer's vectors for every sample: rows are samples.

    ``zsum`` is ``z`` itself and ``g`` is ``a`` itself (the same array) unless
    the layer has a norm there."""

    zdot: np.ndarray
    z: np.ndarray
    a: np.ndarray
    zsum: np.ndarray | None = None  # x·W + b, before a norm at z
    g: np.ndarray | None = None  # g(z), before a norm at a

    def __post_init__(self) -> None:
        if self.zsum is None:
            self.zsum = self.z
        if self.g is None:
            self.g = self.a

    @property
    def biased(self) -> np.ndarray:
        """x·W + b (the add-bias step's result)."""
        assert self.zsum is not None
        return self.zsum

    @property
    def activated(self) -> np.ndarray:
        """g(z) (the activation step's result)."""
        assert self.g is not None
        return self.g


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
        f = dense.forward(self.network.layers[l], self.layer_input(l))
        return LayerValues(f.zdot, f.z, f.a, f.zsum, f.g)

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

    def detached(self) -> Trace:
        """A trace to read in another thread while this one goes on. The
        values and the samples' arrays are those of now: an edit replaces
        them, it never writes into them. The network is a copy whose numbers
        are this one's (no parameter is copied: a big network's are hundreds
        of megabytes) and whose structure is its own. An edit writes into the
        parameters, so what is read across an edit is of no one state: its
        result is to be dropped (``Session.take_health`` does, by the
        values' version)."""
        network = self.network
        shared: dict[int, object] = {id(network.samples): copy.copy(network.samples)}
        for norm in (network.normalization, *(layer.norm for layer in network.layers)):
            if norm is not None:
                shared.update((id(a), a) for a in norm.params().values())
        for layer in network.layers:
            shared.update(((id(layer.W), layer.W), (id(layer.b), layer.b)))
        twin = object.__new__(Trace)
        twin.network = copy.deepcopy(network, shared)
        twin.x_raw, twin.x, twin.values = self.x_raw, self.x, list(self.values)
        return twin

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


@dataclass(frozen=True, eq=False)
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


KIND_NAMES = {NORMALIZE: "normalise inputs", DOT: "dot product", BIAS: "add bias", NORM: "norm",
              ACTIVATE: "activation"}


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

    def zsum(self, l: int) -> np.ndarray:
        """x·W + b: z before a norm at z (z itself without one)."""
        return self.trace.values[l].biased[self.row, ...]

    def g(self, l: int) -> np.ndarray:
        """g(z): a before a norm at a (a itself without one)."""
        return self.trace.values[l].activated[self.row, ...]

    @property
    def outputs(self) -> np.ndarray:
        return self.trace.outputs[self.row, ...]

    def value(self, step: Step) -> np.ndarray:
        """The step's result: a 0-d view for a neuron, a vector for a layer."""
        if step.kind == NORMALIZE:
            return self.x
        vals = self.trace.values[step.layer]
        norm_out = vals.z if self.network.layers[step.layer].norm_at == NormAt.Z else vals.a
        vec = {DOT: vals.zdot, BIAS: vals.biased, NORM: norm_out, ACTIVATE: vals.activated}[step.kind][self.row, ...]
        return vec if step.neuron is None else vec[step.neuron, ...]

    # -- explaining ------------------------------------------------------------
    def detail(self, step: Step, settings: Settings = DEFAULT_CONFIG) -> StepDetail:
        if step.kind == NORMALIZE:
            return self._normalize_detail(step)
        where = NeuronRef(step.layer, step.neuron).label(self.network, sep=" · ")
        title = f"{where} · {KIND_NAMES[step.kind]}"
        if step.kind == NORM:
            return self._norm_detail(step, where)
        if step.neuron is None:
            return self._layer_detail(step, title, settings)
        return self._neuron_detail(step, title, settings)

    def _input_symbol(self, l: int) -> str:
        return "x" if l == 0 else f"a{l}"

    def _normalize_detail(self, step: Step) -> StepDetail:
        norm = self.network.normalization
        assert norm is not None
        return StepDetail(
            step,
            "normalise the inputs" if norm.kind == "normalization" else f"{norm.title} the inputs ({norm.name})",
            norm.symbolic("x", "x'"),
            f"x' = {norm.numbers(self.x_raw, self.x)}",
            {"x": self.x_raw, **norm.params()},
            self.x,
        )

    def _norm_detail(self, step: Step, where: str) -> StepDetail:
        """A layer's batch norm or rescaling, of one neuron or the whole layer.

        Before the activation it takes z and gives z' (then a = g(z')); after
        it, it takes h = g(z) and gives a."""
        l, j = step.layer, step.neuron
        layer = self.network.layers[l]
        norm = layer.norm
        assert norm is not None
        at_z = layer.norm_at == NormAt.Z
        given, out = (self.zsum(l), self.z(l)) if at_z else (self.g(l), self.a(l))
        name_in, name_out = ("z", "z'") if at_z else ("h", "a")
        sub = f"{l + 1}" if j is None else f"{l + 1}_{j + 1}"
        sym_in, sym_out = (f"z{sub}", f"z{sub}'") if at_z else (f"h{sub}", f"a{sub}")
        when = "before the activation" if at_z else "after the activation"
        params = {p: (v if j is None else v[j, ...]) for p, v in norm.params().items()}
        given_j = given if j is None else given[j, ...]
        notes = () if j is None else self._nonfinite_notes(float(out[j]), {name_in: given_j, **params})
        return StepDetail(
            step, f"{where} · {norm.title} {when} ({norm.name})", norm.symbolic(sym_in, sym_out),
            f"{name_out} = {norm.numbers(given, out, j)}",
            {name_in: given_j, **params}, out if j is None else out[j, ...],
            notes=notes,
        )

    def _neuron_detail(self, step: Step, title: str, settings: Settings) -> StepDetail:
        l, j = step.layer, step.neuron
        assert j is not None
        layer = self.network.layers[l]
        L, J = l + 1, j + 1
        xin = self.layer_input(l)
        w = layer.W[:, j]
        zdot = self.zdot(l)[j]
        zsum = self.zsum(l)[j]
        z = self.z(l)[j]
        inp = self._input_symbol(l)
        zin, out = self._activation_symbols(layer, f"{L}_{J}")
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
                f"z = {fmt(zdot)} {sign} = {fmt(zsum)}",
                {"w·x": self.zdot(l)[j, ...], "b": layer.b[j, ...]}, self.zsum(l)[j, ...],
                notes=self._nonfinite_notes(zsum, {"w·x": self.zdot(l)[j, ...], "b": layer.b[j, ...]}),
            )
        act = ACTIVATIONS[layer.activation]
        a = self.g(l)[j]
        return StepDetail(
            step, title, f"{out} = g({zin}) = {act.text(zin, layer.params)}",
            f"{out[0]} = {act.text(fmt(z), layer.params)} {self._result_text(layer.activation, z, a)}",
            {"z": self.z(l)[j, ...]}, self.g(l)[j, ...],
            notes=self._activation_notes(layer, z, settings),
        )

    @staticmethod
    def _activation_symbols(layer: Layer, sub: str) -> tuple[str, str]:
        """What the activation takes and gives: z1_1 → a1_1, or z1_1' after a
        norm, or → h1_1 before one."""
        zin = f"z{sub}'" if layer.norm_step_at(NormAt.Z) else f"z{sub}"
        out = f"h{sub}" if layer.norm_step_at(NormAt.A) else f"a{sub}"
        return zin, out

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
                f"z = {fmt_vector(self.zdot(l))} + {fmt_vector(layer.b)} = {fmt_vector(self.zsum(l))}",
                {"x·W": self.zdot(l), "b": layer.b}, self.zsum(l),
            )
        act = ACTIVATIONS[layer.activation]
        zin, out = self._activation_symbols(layer, f"{L}")
        symbolic = f"{out} = {act.text(zin, layer.params)}"
        if act.per_layer:  # a whole-layer function: say what it computes per neuron
            symbolic += f"   ({out}_j = {act.definition.format(z=zin)})"
        notes: list[str] = []
        if act.can_saturate:
            sat = conditions.saturated(layer, self.z(l), settings)
            if sat.any():
                names = ", ".join(layer.neuron_name(int(j)) for j in np.flatnonzero(sat)[:8])
                notes.append(f"saturated: {int(sat.sum())} of {layer.units} neurons ({names})")
        return StepDetail(
            step, title, symbolic,
            f"{out[0]} = {act.text(fmt_vector(self.z(l)), layer.params)} = {fmt_vector(self.g(l), digits=4)}",
            {"z": self.z(l)}, self.g(l), notes=tuple(notes),
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
        zs = "z'" if layer.norm_step_at(NormAt.Z) else "z"  # what the activation takes, as the formula names it
        if np.isnan(z):
            return (f"NaN: {zs} is not a number, so neither is the activation",)
        if conditions.saturated(layer, z, settings):
            d = float(act.derivative(np.asarray(z), layer.params))
            return (
                f"saturated: slope {act.symbol}'({zs}) = {fmt(d, 3)} < {fmt(settings.saturation_slope)}; "
                "changes to this neuron's inputs barely move its output",
            )
        if conditions.inactive(layer, z):
            at = conditions.dies_at(layer)
            assert at is not None
            who = "ReLU" if layer.activation == "relu" else act.symbol
            return (f"inactive: {zs} ≤ {fmt(at)}, so {who} outputs 0 and passes no gradient",)
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
