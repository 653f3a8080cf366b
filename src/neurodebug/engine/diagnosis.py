"""Checking someone else's forward propagation against the engine, neuron by neuron.

What a learner's ``my_dense`` returned (or what a framework recorded) arrives
here as plain arrays, one ``LayerRun`` per layer: this module compares them
with the engine's values, finds the first diverging neuron (layer, then
neuron, then sample), writes its formula with the real numbers, and tests
the usual mistakes as hypotheses: each one is computed with NumPy from the
same inputs, and a hypothesis is named when it reproduces *their* values.
Running the learner's code is not done here (``io/learner_code.py`` does it
in a child process); this module only reads numbers.

Two values agree when ``|theirs − ours| ≤ tol``, with
``tol_z = rel·|z| + 2·ε·(n + 1)·S`` (``S = Σ|w_i·x_i| + |b|``, the terms
that may cancel; ε the coarser machine epsilon of the two) and
``tol_a = rel·|a| + |g′|·tol_z`` (g′ the largest slope of g within tol_z of
z); ``rel`` is 1e−9 for float64 values. NaN agrees with NaN, ±∞ with itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .activations import ACTIVATIONS
from .network import Layer, Network
from .norms import NormAt
from .numbers import fmt, fmt_operand, fmt_vector, json_value, quiet
from .refs import NeuronRef
from .trace import FORMULA_TERMS, SampleTrace, Trace

REL_TOL = 1e-9
HYPOTHESIS_REL = 1e-6  # a hypothesis is computed in another order than theirs: a looser match
TINY = 1e-300
COURSE_CLIP = 500.0  # the course's sigmoid (lab_utils_common.py) clips z to ±500 first

OK, DIFFERS, ERROR, NOT_CHECKED = "ok", "differs", "error", "not checked"
RECORDED = "recorded values"
STOPPED = ("stopped", "the child process")  # how io/learner_code.py words a child that did not finish


@dataclass(frozen=True)
class Tolerance:
    """``rel``: relative tolerance; ``eps``: the rounding unit of the coarser
    of the two computations (float64: 2.2e−16, float32: 1.2e−7); ``floor``:
    its smallest normal number, under which it holds no digits to compare
    (float32: 1.2e−38, so a float32 0 agrees with σ(−600) ≈ 3e−261)."""

    rel: float = REL_TOL
    eps: float = float(np.finfo(np.float64).eps)
    floor: float = float(np.finfo(np.float64).tiny)

    @classmethod
    def for_dtypes(cls, *dtypes: Any, rel: float | None = None) -> Tolerance:
        floats = [np.finfo(np.dtype(d)) for d in dtypes if np.dtype(d).kind == "f"] + [np.finfo(np.float64)]
        eps = max(float(f.eps) for f in floats)
        return cls(rel if rel is not None else max(REL_TOL, 4 * eps), eps, max(float(f.tiny) for f in floats))


@dataclass(frozen=True)
class Changed:
    """An argument the learner's function changed in place: the first value that changed."""

    argument: str  # "a_in", "W", "b", "A_in", "x"
    sample: int
    index: int  # flat, 0-based
    before: float
    after: float


@dataclass
class LayerRun:
    """What a function gave for one layer (or, for a whole-network function,
    for the outputs): ``values`` samples × units, NaN rows where nothing was
    returned; the problems met while calling it."""

    values: np.ndarray
    returned: np.ndarray  # bool per sample
    dtype: str = "float64"  # what it returned, as NumPy names it
    error: str | None = None  # one line: the exception and their frame
    error_sample: int | None = None
    changed: Changed | None = None
    skipped: str | None = None  # why this layer was not called


@dataclass(frozen=True)
class Divergence:
    """The first value that differs: 0-based layer, neuron and sample."""

    layer: int
    neuron: int
    sample: int
    where: str  # 'layer 1 (layer1), neuron 2'
    sample_name: str
    quantity: str  # "a" or "z"
    theirs: float
    ours: float
    formula: tuple[str, ...]  # 'z = 1×200 + (−2)×17 + 0.5 = 166.5', 'a = σ(166.5) ≈ 1.0000'
    differing: int  # how many values of this function differ
    compared: int


@dataclass(frozen=True)
class Diagnosis:
    """The hypothesis that reproduces their values (``key`` "unknown": none does)."""

    key: str
    text: str
    also: tuple[str, ...] = ()  # other hypotheses that reproduce them too (the data cannot tell)
    untestable: tuple[str, ...] = ()  # hypotheses that could not be tested, and why
    tried: tuple[str, ...] = ()


@dataclass
class LayerCheck:
    """One layer's comparison, for any front end: per sample × neuron, their
    value, ours, and whether they differ (✗) — False where nothing was returned."""

    layer: int
    quantity: str
    theirs: np.ndarray
    ours: np.ndarray
    mismatch: np.ndarray
    returned: np.ndarray
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.skipped is not None or not bool(self.mismatch.any())


@dataclass
class FunctionResult:
    name: str  # "my_dense", "a1…a2 in values.npz"
    kind: str  # "one sample, one layer", "a batch, one layer", "the whole network", "recorded values"
    status: str  # OK, DIFFERS, ERROR, NOT_CHECKED
    layers: list[LayerCheck] = field(default_factory=list)
    divergence: Divergence | None = None
    diagnosis: Diagnosis | None = None
    error: str | None = None
    note: str | None = None


@dataclass
class VerifyReport:
    source: str
    network: Network
    sample_names: list[str]
    functions: list[FunctionResult]
    printed: str = ""  # what their code wrote to stdout/stderr (the end of it)
    tolerance: Tolerance = field(default_factory=Tolerance)

    @property
    def ok(self) -> bool:
        return any(f.status == OK for f in self.functions) and all(f.status in (OK, NOT_CHECKED) for f in self.functions)

    @property
    def first_problem(self) -> FunctionResult | None:
        return next((f for f in self.functions if f.status in (DIFFERS, ERROR)), None)

    def shown(self) -> FunctionResult | None:
        """The function a front end shows neuron by neuron: the first that
        compared layers (my_dense before my_dense_v), a differing one first."""
        with_layers = [f for f in self.functions if f.layers]
        return next((f for f in with_layers if f.status == DIFFERS), with_layers[0] if with_layers else None)

    def layer_check(self, layer: int) -> LayerCheck | None:
        """The shown function's comparison of ``layer`` (None: not compared)."""
        f = self.shown()
        if f is None:
            return None
        return next((c for c in f.layers if c.layer == layer and c.skipped is None), None)

    def mismatches(self) -> list[tuple[int, int, int]]:
        """Every (sample, layer, neuron) whose value differs, in the order
        of the pass: sample by sample, layer by layer."""
        f = self.shown()
        if f is None:
            return []
        out = []
        for check in f.layers:
            if check.skipped is None:
                for row, j in np.argwhere(check.mismatch):
                    out.append((int(row), check.layer, int(j)))
        return sorted(out)


# -- agreeing within rounding ---------------------------------------------------------------
def _norm_scale(layer: Layer, at: NormAt) -> np.ndarray | float:
    """How much the layer's (affine) norm at ``at`` stretches a difference."""
    if not layer.norm_step_at(at):
        return 1.0
    assert layer.norm is not None
    scale: np.ndarray = np.abs(layer.norm.slope())
    return scale


def _slope(layer: Layer, z: np.ndarray, a: np.ndarray, tz: np.ndarray) -> np.ndarray:
    act = ACTIVATIONS[layer.activation]
    with quiet():
        if act.per_layer:  # a change dz moves softmax's a_j by at most 2·a_j·max|dz|, log_softmax's by 2·max|dz|
            spread = np.max(tz, axis=-1, keepdims=True) / np.maximum(tz, TINY)
            base = 2 * np.abs(a) if layer.activation == "softmax" else np.full_like(a, 2.0)
            out: np.ndarray = base * spread
            return out
        slopes = [np.abs(act.derivative(z + k * tz, layer.params)) for k in (-1.0, 0.0, 1.0)]
        steepest: np.ndarray = np.nan_to_num(np.maximum.reduce(slopes), nan=0.0, posinf=np.finfo(np.float64).max)
        return steepest


def tolerances(layer: Layer, x: np.ndarray, z: np.ndarray, a: np.ndarray, tol: Tolerance,
               x_tol: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(tol_z, tol_a), samples × units, for the layer's values z, a on inputs x
    (``x_tol``: how far the inputs themselves may be off)."""
    x = np.asarray(x, dtype=np.float64)
    W = np.asarray(layer.W, dtype=np.float64)
    with quiet():
        S = np.abs(x) @ np.abs(W) + np.abs(np.asarray(layer.b, dtype=np.float64))
        tz = 2 * tol.eps * (layer.n_inputs + 1) * S
        if x_tol is not None:
            tz = tz + x_tol @ np.abs(W)
        tz = tz * _norm_scale(layer, NormAt.Z) + tol.rel * np.abs(z)
        ta = tol.rel * np.abs(a) + _slope(layer, z, a, tz) * tz * _norm_scale(layer, NormAt.A) + TINY + tol.floor
        if layer.activation == "sigmoid" and not layer.norm_step_at(NormAt.A):
            # The course's own sigmoid clips z to ±500 first (its lab_utils_common.py): below
            # σ(−500) ≈ 7e−218 its values are that instead of ours; they agree.
            ta = ta + np.abs(ACTIVATIONS["sigmoid"](np.clip(z, -COURSE_CLIP, COURSE_CLIP)) - a)
    return np.nan_to_num(tz, nan=np.inf), np.nan_to_num(ta, nan=np.inf)


def agree(theirs: np.ndarray, ours: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Elementwise: equal within ``tol`` where both are finite; NaN equals
    NaN, and ±∞ only itself (a tolerance that grew infinite with an infinite
    value would otherwise let any number through)."""
    with quiet():
        close = np.isfinite(theirs) & np.isfinite(ours) & (np.abs(theirs - ours) <= tol)
        same: np.ndarray = (theirs == ours) | close | (np.isnan(theirs) & np.isnan(ours))
    return same


# -- the hypotheses ---------------------------------------------------------------------------
Hypothesis = Callable[[Layer, np.ndarray], "np.ndarray | None"]


def _layer_out(layer: Layer, x: np.ndarray, W: np.ndarray | None = None, bias: float = 1.0,
               activation: str | None = None, bias_after: bool = False, sign: float = 1.0) -> np.ndarray:
    """a for inputs x, the way the engine computes it, with one thing changed
    (``sign`` −1: g is given −z)."""
    act = ACTIVATIONS[activation or layer.activation]
    params = layer.params if activation is None else None
    norm = layer.norm
    with quiet():
        zsum = x @ (layer.W if W is None else W) + (0.0 if bias_after else bias * layer.b)
        z = sign * (norm.apply(zsum) if norm is not None and layer.norm_at == NormAt.Z else zsum)
        g = act(z, params) if not act.per_layer else act(np.atleast_2d(z), params)
        if bias_after:
            g = g + layer.b
        out: np.ndarray = norm.apply(g) if norm is not None and layer.norm_at == NormAt.A else g
    return out


def _transposed(layer: Layer, x: np.ndarray) -> np.ndarray | None:
    return _layer_out(layer, x, W=layer.W.T) if layer.n_inputs == layer.units else None


def _last_skipped(layer: Layer, x: np.ndarray) -> np.ndarray:
    a = np.array(_layer_out(layer, x), dtype=np.float64)
    a[..., -1] = 0.0
    return a


def _per_neuron(layer: Layer, x: np.ndarray) -> np.ndarray | None:
    act = ACTIVATIONS[layer.activation]
    if not act.per_layer:
        return None
    z = _layer_out(layer, x, activation="linear")
    with quiet():
        return np.vectorize(lambda v: float(act(np.asarray([v]), layer.params)[0]))(z)  # type: ignore[no-any-return]


def _tiny_lost(layer: Layer, x: np.ndarray) -> np.ndarray | None:
    a = np.array(_layer_out(layer, x), dtype=np.float64)
    tiny = np.abs(a) < TINY_LOST
    if not tiny.any() or not np.any(a[tiny] != 0):
        return None  # nothing tiny to lose: it would only repeat our values
    a[tiny] = 0.0
    return a


def _thresholded(layer: Layer, x: np.ndarray) -> np.ndarray | None:
    if layer.activation != "sigmoid" or layer.units != 1:
        return None
    with quiet():
        return (_layer_out(layer, x) >= 0.5).astype(np.float64)


def _naive_softmax(layer: Layer, x: np.ndarray) -> np.ndarray | None:
    if layer.activation != "softmax" or layer.norm is not None:
        return None
    z = _layer_out(layer, x, activation="linear")
    with quiet():
        e = np.exp(z)
        out: np.ndarray = e / np.sum(e, axis=-1, keepdims=True)
    return out


TINY_LOST = 1e-15  # below float64's resolution at 1: what a formula like 0.5·(1 + tanh(z/2)) rounds to 0
IMPRECISE_ABS = TINY_LOST  # near 0, how far off values still count as ours to about 6 digits


def _wrong(name: str) -> Hypothesis:
    return lambda layer, x: None if name == layer.activation else _layer_out(layer, x, activation=name)


HYPOTHESES: list[tuple[str, str, Hypothesis]] = [
    ("last_neuron_skipped", "last neuron never computed: its value stays 0 from np.zeros "
     "(a loop bound of range(units − 1)?)", _last_skipped),
    ("w_transposed", "W transposed: neuron j uses W[j, :] (a row) instead of W[:, j] (column j); "
     "W is inputs × units", _transposed),
    ("bias_missing", "bias missing: a = g(w·a_in), without + b", lambda layer, x: _layer_out(layer, x, bias=0.0)),
    ("bias_twice", "bias added twice: a = g(w·a_in + 2b)", lambda layer, x: _layer_out(layer, x, bias=2.0)),
    ("activation_before_bias", "activation applied before the bias: a = g(w·a_in) + b",
     lambda layer, x: _layer_out(layer, x, bias_after=True)),
    ("activation_missing", "activation missing: a = z = w·a_in + b, g never applied",
     lambda layer, x: None if layer.activation == "linear" else _layer_out(layer, x, activation="linear")),
    ("z_sign_flipped", "the sign of z lost inside the activation: a = g(−z), as 1 / (1 + np.exp(z)) computes "
     "for σ (σ(z) = 1 / (1 + np.exp(−z)))",
     lambda layer, x: None if layer.activation == "linear" else _layer_out(layer, x, sign=-1.0)),
    ("per_neuron_activation", "a whole-layer activation applied one neuron at a time: softmax needs every z of "
     "the layer (softmax of one number is 1)", _per_neuron),
    ("naive_softmax", "softmax without subtracting the max: np.exp(z) overflows to ∞ past z ≈ 709 and ∞/∞ is NaN; "
     "np.exp(z − np.max(z)) / np.sum(…) is the same softmax without the overflow", _naive_softmax),
    ("thresholded", "0/1 decisions instead of the activation: you returned (a ≥ 0.5), the prediction; return a, "
     "the probability, and threshold it where you predict", _thresholded),
    ("tiny_lost", "values below 1e−15 lost: yours are 0 where ours are tiny (σ written 0.5·(1 + tanh(z/2)), "
     "or an e^z that underflows); under float64's resolution at 1 and harmless to the outputs, but not the same "
     "numbers", _tiny_lost),
]
WRONG = [(f"wrong_activation:{name}", f"wrong activation: {name} instead of the layer's", _wrong(name))
         for name in ACTIVATIONS if name != "linear"]
NOT_TESTABLE = {"w_transposed": "W transposed: not testable on {where}: W is {n}×{u} (inputs × units), "
                                "so W[j, :] has {u} values for {n} inputs (it would raise a shape error)"}


SHORT = {"integer_output": "integer output array", "last_neuron_skipped": "last neuron never computed",
         "w_transposed": "W transposed", "bias_missing": "bias missing", "bias_twice": "bias added twice",
         "activation_before_bias": "activation before the bias", "activation_missing": "activation missing",
         "per_neuron_activation": "softmax applied one neuron at a time", "input_overwritten": "input overwritten",
         "z_sign_flipped": "the sign of z lost in g", "naive_softmax": "softmax without subtracting the max",
         "thresholded": "0/1 decisions returned", "tiny_lost": "tiny values lost", "imprecise": "digits lost"}


def short(key: str, own: str = "the layer's") -> str:
    """A hypothesis in a few words: 'bias missing', 'tanh instead of sigmoid'."""
    if key.startswith("wrong_activation:"):
        return f"{key.split(':', 1)[1]} instead of {own}"
    return SHORT.get(key, key)


def _closeness(pred: np.ndarray | None, theirs: np.ndarray, rows: np.ndarray, slack: np.ndarray) -> float | None:
    """None when ``pred`` does not reproduce ``theirs``; else the largest
    relative difference (0: exactly, 1: only within the absolute slack)."""
    if pred is None:
        return None
    pred = np.broadcast_to(np.asarray(pred, dtype=np.float64), theirs.shape)[rows]
    t = theirs[rows]
    # Where our own value is ±∞ (or NaN) its tolerance is infinite: there a hypothesis must give theirs exactly.
    slack = np.where(np.isfinite(slack), slack, 0.0)
    if not agree(t, pred, HYPOTHESIS_REL * np.abs(pred) + slack[rows]).all():
        return None
    with quiet():
        rel = np.abs(t - pred) / np.maximum(np.maximum(np.abs(t), np.abs(pred)), TINY)
    rel = np.where((t == pred) | (np.isnan(t) & np.isnan(pred)), 0.0, rel)
    return float(np.max(rel, initial=0.0))


def diagnose(network: Network, layer_index: int | None, inputs: np.ndarray, theirs: np.ndarray,
             returned: np.ndarray, slack: np.ndarray, dtype: str = "float64",
             changed: Changed | None = None) -> Diagnosis:
    """Which mistake reproduces ``theirs``. ``layer_index`` None: ``theirs``
    are the outputs of the whole network on ``inputs`` (the mistake in every
    layer, or in one); otherwise one layer's values on its (correct) inputs."""
    if changed is not None:
        what = f"{changed.argument}[{changed.index}] was {fmt(changed.before)}, is {fmt(changed.after)} after the call"
        return Diagnosis("input_overwritten", f"the input overwritten in place: your function changes {changed.argument} "
                         f"({what}); write into a new array (a_out = np.zeros(units))")
    layers = network.layers if layer_index is None else [network.layers[layer_index]]
    found: list[tuple[bool, int, str, str]] = []  # (loose, priority, key, text)
    untestable: list[str] = []
    tried: list[str] = []
    for priority, (key, text, hyp) in enumerate(HYPOTHESES + WRONG):
        # the mistake in every layer, or (a whole network) in one layer only
        for only in [None] if layer_index is not None else [None, *range(len(layers))]:
            pred = _predict(layers, inputs, hyp, only)
            if pred is None:
                if key in NOT_TESTABLE and layer_index is not None:
                    lay = layers[0]
                    untestable.append(NOT_TESTABLE[key].format(where=NeuronRef(layer_index).label(network),
                                                               n=lay.n_inputs, u=lay.units))
                continue
            tried.append(key)
            close = _closeness(pred, theirs, returned, slack)
            if close is not None:
                where = "" if only is None else f" (in layer {only + 1} only)"
                found.append((close > HYPOTHESIS_REL, priority, key, text.replace("the layer's", _own(layers, only))
                              + where))
                break
    if dtype[:3] in ("int", "uin", "boo"):  # what they returned says so (a float array never held integers only)
        # first, unless they are 0/1 decisions: integers that are no truncation (then those come first)
        decisions = [f for f in found if f[2] == "thresholded" and not f[0]]
        found = [(False, -2, *f[2:]) if f in decisions else f for f in found]
        found.append((False, len(HYPOTHESES) + len(WRONG) if decisions else -1, "integer_output",
                      f"integer output array: your function returned {dtype} values "
                      "(a_out = np.zeros(units, dtype=int)?), which truncates every activation"))
    found.sort(key=lambda f: (f[0], f[1]))
    tried_names = tuple(dict.fromkeys(tried))
    if not found and _closeness(_predict(layers, inputs, _layer_out, None), theirs, returned,
                                slack + IMPRECISE_ABS) is not None:
        return Diagnosis("imprecise", "your values are ours to about 6 digits (within 1e−6 relative, or 1e−15 near "
                         "0) but not within rounding: a formula that loses digits, like σ written "
                         "0.5·(1 + tanh(z/2)) or 1 − σ(−z), or float32 somewhere",
                         untestable=tuple(untestable), tried=tried_names)
    if not found:
        listed = ", ".join(dict.fromkeys(k.split(":")[0] for k in tried))
        return Diagnosis("unknown", f"none of the usual mistakes reproduces your values (tried: {listed})",
                         untestable=tuple(untestable), tried=tried_names)
    loose, _, key, text = found[0]
    also = tuple(short(f[2], _own(layers, None)) for f in found[1:] if f[0] == loose)  # as exact as the first
    return Diagnosis(key, text, also=also,
                     untestable=tuple(untestable), tried=tried_names)


def _own(layers: list[Layer], only: int | None) -> str:
    """The activation a wrong one replaced: the layer's, or every layer's when they share one."""
    names = {layer.activation for layer in layers} if only is None else {layers[only].activation}
    return names.pop() if len(names) == 1 else "the layers' own"


def _predict(layers: list[Layer], x: np.ndarray, hyp: Hypothesis, only: int | None) -> np.ndarray | None:
    """The layers' output with the mistake in each (``only`` None) or in layer ``only``."""
    for l, layer in enumerate(layers):
        out = hyp(layer, x) if only is None or only == l else _layer_out(layer, x)
        if out is None:
            return None
        x = out
    return x


# -- the formula and the first divergence ---------------------------------------------------
def formula(layer: Layer, x: np.ndarray, j: int, z_row: np.ndarray, a_row: np.ndarray) -> tuple[str, ...]:
    """Neuron j's z and a with the real numbers: 'z = 1×200 + (−2)×17 + 0.5 = 166.5', 'a = σ(166.5) ≈ 1.0000'."""
    w = layer.W[:, j]
    terms = [f"{fmt_operand(wi)}×{fmt_operand(xi)}" for wi, xi in zip(w[:FORMULA_TERMS], x)]
    rest = len(w) - FORMULA_TERMS
    b = float(layer.b[j])
    body = " + ".join(terms) + (f" + … ({rest} more terms)" if rest > 0 else "")
    body += f" + {fmt(b)}" if not fmt(b).startswith("−") else f" − {fmt(b)[1:]}"
    z, a = float(z_row[j]), float(a_row[j])
    norm = layer.norm.title if layer.norm is not None else ""
    lines = [f"z = {body} = {fmt(z)}" + (f" (then {norm})" if layer.norm_step_at(NormAt.Z) else "")]
    act = ACTIVATIONS[layer.activation]
    if act.per_layer:
        lines.append(f"a = {act.symbol}({fmt_vector(z_row)})[{j + 1}] = {fmt(a)}")
    else:
        lines.append(f"a = {act.text(fmt(z), layer.params)} {SampleTrace._result_text(layer.activation, z, a)}"
                     + (f" (then {norm})" if layer.norm_step_at(NormAt.A) else ""))
    return tuple(lines)


def pair(theirs: float, ours: float) -> tuple[str, str]:
    """Both values with as many digits as it takes to tell them apart."""
    for digits in (6, 9, 12, 17):
        t, o = fmt(theirs, digits), fmt(ours, digits)
        if t != o:
            break
    return t, o


def _first(mismatch: np.ndarray) -> tuple[int, int] | None:
    """(neuron, sample) of the first differing value: first neuron, then first sample."""
    cols = np.flatnonzero(mismatch.any(axis=0))
    if not cols.size:
        return None
    j = int(cols[0])
    return j, int(np.flatnonzero(mismatch[:, j])[0])


def _divergence(network: Network, names: list[str], l: int, quantity: str, check: LayerCheck,
                x: np.ndarray, z: np.ndarray, a: np.ndarray, total: tuple[int, int]) -> Divergence | None:
    first = _first(check.mismatch)
    if first is None:
        return None
    j, s = first
    layer = network.layers[l]
    return Divergence(l, j, s, NeuronRef(l, j).label(network), names[s], quantity,
                      float(check.theirs[s, j]), float(check.ours[s, j]), formula(layer, x[s], j, z[s], a[s]),
                      total[0], total[1])


def _run_problems(name: str, kind: str, checks: list[LayerCheck], runs: list[LayerRun | None],
                  names: list[str], network: Network | None = None) -> FunctionResult:
    errors = []
    for l, r in enumerate(runs):
        if r is None or not r.error:
            continue
        if r.error.startswith(STOPPED):  # says where it was itself
            errors.append(r.error)
            continue
        place = [NeuronRef(l).label(network)] if network is not None else []
        if r.error_sample is not None and 0 <= r.error_sample < len(names):
            place.append(f'sample "{names[r.error_sample]}"')
        errors.append(r.error + (f" ({', '.join(place)})" if place else ""))
    status = DIFFERS if any(not c.ok for c in checks) else ERROR if errors else OK
    changed = next((r.changed for r in runs if r is not None and r.changed is not None), None)
    if status == OK and changed is not None:
        status = DIFFERS
    if all(c.skipped for c in checks) and status == OK:
        status = NOT_CHECKED
    note = next((c.skipped for c in checks if c.skipped), None)
    return FunctionResult(name, kind, status, checks, error=errors[0] if errors else None, note=note)


def check_layers(name: str, kind: str, trace: Trace, runs: list[LayerRun | None], tol: Tolerance,
                 names: list[str]) -> FunctionResult:
    """A layer function (my_dense, my_dense_v) called on the engine's own layer inputs."""
    net = trace.network
    checks: list[LayerCheck] = []
    first: tuple[int, LayerCheck, np.ndarray] | None = None
    differing = compared = 0
    for l, run in enumerate(runs):
        vals = trace.values[l]
        x = trace.layer_input(l)
        if run is None or run.skipped:
            checks.append(LayerCheck(l, "a", np.full(vals.a.shape, np.nan), vals.a, np.zeros(vals.a.shape, bool),
                                     np.zeros(len(names), bool), run.skipped if run else "not called"))
            continue
        _, ta = tolerances(net.layers[l], x, vals.z, vals.a, tol)
        rows = run.returned
        mismatch = ~agree(run.values, vals.a, ta) & rows[:, None]
        check = LayerCheck(l, "a", run.values, vals.a, mismatch, rows)
        checks.append(check)
        differing += int(mismatch.sum())
        compared += int(rows.sum()) * vals.a.shape[1]
        if first is None and (mismatch.any() or run.changed is not None):
            first = (l, check, ta)
    result = _run_problems(name, kind, checks, list(runs), names, net)
    if first is not None:
        l, check, ta = first
        run = runs[l]
        assert run is not None
        vals = trace.values[l]
        x = trace.layer_input(l)
        result.divergence = _divergence(net, names, l, "a", check, x, vals.z, vals.a, (differing, compared))
        result.diagnosis = diagnose(net, l, x, run.values, run.returned, ta, run.dtype, run.changed)
    return result


def _chained_tolerances(trace: Trace, tol: Tolerance) -> list[tuple[np.ndarray, np.ndarray]]:
    out: list[tuple[np.ndarray, np.ndarray]] = []
    x_tol: np.ndarray | None = None
    for l, layer in enumerate(trace.network.layers):
        vals = trace.values[l]
        tz, ta = tolerances(layer, trace.layer_input(l), vals.z, vals.a, tol, x_tol)
        out.append((tz, ta))
        x_tol = ta
    return out


def check_outputs(name: str, trace: Trace, run: LayerRun, tol: Tolerance, names: list[str]) -> FunctionResult:
    """A whole-network function (my_sequential, my_predict) compared on the outputs."""
    net = trace.network
    L = len(net.layers) - 1
    kind = "the whole network"
    if run.skipped:
        return FunctionResult(name, kind, NOT_CHECKED, note=run.skipped)
    _, ta = _chained_tolerances(trace, tol)[-1]
    ours = trace.outputs
    mismatch = ~agree(run.values, ours, ta) & run.returned[:, None]
    check = LayerCheck(L, "a", run.values, ours, mismatch, run.returned)
    result = _run_problems(name, kind, [check], [run], names)
    if mismatch.any() or run.changed is not None:
        vals = trace.values[L]
        result.divergence = _divergence(net, names, L, "a", check, trace.layer_input(L), vals.z, vals.a,
                                        (int(mismatch.sum()), int(run.returned.sum()) * ours.shape[1]))
        result.diagnosis = diagnose(net, None, trace.x, run.values, run.returned, ta, run.dtype, run.changed)
    return result


def check_values(trace: Trace, source: str, z: dict[int, np.ndarray], a: dict[int, np.ndarray],
                 tol: Tolerance, names: list[str]) -> FunctionResult:
    """Recorded values (a1, a2, … and optionally z1, …): each layer is recomputed
    from *their* previous layer's values, so one difference does not cascade."""
    net = trace.network
    checks: list[LayerCheck] = []
    result_first: tuple[int, LayerCheck, np.ndarray, np.ndarray, np.ndarray, np.ndarray, str] | None = None
    differing = compared = 0
    x = trace.x
    rows = np.ones(trace.n_samples, dtype=bool)
    for l, layer in enumerate(net.layers):
        with quiet():
            single = Trace(Network([layer], name=net.name), np.asarray(x).astype(net.compute_dtype))
        vals = single.values[0]
        tz, ta = tolerances(layer, x, vals.z, vals.a, tol)
        if l not in a:
            checks.append(LayerCheck(l, "a", np.full(vals.a.shape, np.nan), vals.a, np.zeros(vals.a.shape, bool),
                                     rows, f"a{l + 1} is not in the file"))
            x = vals.a
            continue
        layer_checks = []
        if l in z:
            layer_checks.append(("z", z[l], vals.z, tz))
        layer_checks.append(("a", a[l], vals.a, ta))
        for quantity, theirs, ours, t in layer_checks:
            mismatch = ~agree(theirs, ours, t)
            check = LayerCheck(l, quantity, theirs, ours, mismatch, rows)
            checks.append(check)
            differing += int(mismatch.sum())
            compared += mismatch.size
            if result_first is None and mismatch.any():
                result_first = (l, check, np.asarray(x), vals.z, vals.a, ta, quantity)
        x = a[l]
    result = _run_problems(source, RECORDED, checks, [], names)
    if result_first is not None:
        l, check, xin, zl, al, ta, quantity = result_first
        result.divergence = _divergence(net, names, l, quantity, check, xin, zl, al, (differing, compared))
        if quantity == "a":
            result.diagnosis = diagnose(net, l, xin, a[l], rows, ta)
    return result


# -- words and JSON -------------------------------------------------------------------------------
MARK = {OK: "✓", DIFFERS: "✗", ERROR: "✗", NOT_CHECKED: "–"}


def report_lines(report: VerifyReport) -> list[str]:
    net = report.network
    n = len(report.sample_names)
    lines = [f"{report.source} against {net.name} ({net.shape_summary()}), {n} sample{'' if n == 1 else 's'}:"]
    for f in report.functions:
        what = {OK: "matches", DIFFERS: "differs", ERROR: "fails", NOT_CHECKED: "not checked"}[f.status]
        extra = "" if not f.note or f.status == ERROR else f": {f.note}" if f.status == NOT_CHECKED else f" ({f.note})"
        lines.append(f"  {MARK[f.status]} {f.name} ({f.kind}): {what}{extra}")
    bad = report.first_problem
    if bad is None:
        rel = f"{report.tolerance.rel:.2g}".replace("e-0", "e-").replace("-", "−")
        lines.append(f"every value matches the engine's (within {rel} relative, and rounding: docs/verify.md)"
                     if report.ok else "nothing was checked")
        return lines
    d = bad.divergence
    if d is not None and not (bad.diagnosis is not None and bad.diagnosis.key == "input_overwritten"
                              and d.differing == 0):
        theirs, ours = pair(d.theirs, d.ours)
        lines.append(f"first difference: {bad.name}, {d.where}, sample \"{d.sample_name}\"")
        who = "recorded" if bad.kind == RECORDED else "yours"
        lines.append(f"  {who}: {d.quantity} = {theirs}    expected: {d.quantity} = {ours}")
        lines.extend(f"  {line}" for line in d.formula)
        lines.append(f"  {d.differing} of {d.compared} values differ")
    elif bad.status == DIFFERS:
        lines.append(f"{bad.name}: changes its input in place")
    if bad.error:
        stop = bad.error.startswith((*STOPPED, "it returned", "what it returned"))
        lines.append(f"{bad.name}: {bad.error}" if stop else f"{bad.name} raised {bad.error}")
        if "not aligned" in bad.error or "shapes" in bad.error:
            lines.append("  hint: W is inputs × units, so neuron j's weights are the column W[:, j]; "
                         "W[j] or W[j, :] is row j")
        if "setting an array element with a sequence" in bad.error:
            lines.append("  hint: an array of one value does not go into one element (NumPy 2 refuses what older "
                         "versions allowed): p[i, 0] = my_sequential(…)[0], or .item()")
    g = bad.diagnosis
    if g is not None:
        lines.append(f"diagnosis: {g.text}")
        if g.also:
            lines.append("  also consistent with these values: " + ", ".join(g.also))
        if g.key == "unknown":
            lines.extend(f"  {u}" for u in g.untestable)
    return lines


def report_to_dict(report: VerifyReport, exit_status: int) -> dict[str, Any]:
    def div(d: Divergence | None) -> dict[str, Any] | None:
        if d is None:
            return None
        return {"layer": d.layer + 1, "neuron": d.neuron + 1, "sample": d.sample + 1, "where": d.where,
                "sample_name": d.sample_name, "quantity": d.quantity, "theirs": json_value(d.theirs),
                "expected": json_value(d.ours), "formula": list(d.formula), "differing": d.differing,
                "compared": d.compared}

    def diag(g: Diagnosis | None) -> dict[str, Any] | None:
        if g is None:
            return None
        return {"key": g.key, "text": g.text, "also": list(g.also), "untestable": list(g.untestable),
                "tried": list(g.tried)}

    first = report.first_problem
    return {
        "status": "ok" if report.ok else (first.status if first is not None else NOT_CHECKED),
        "exit_status": exit_status, "source": report.source, "network": report.network.name,
        "tolerance": {"rel": report.tolerance.rel, "eps": report.tolerance.eps},
        "samples": list(report.sample_names),
        "first_divergence": div(first.divergence) if first else None,
        "diagnosis": diag(first.diagnosis) if first else None,
        "functions": [{
            "name": f.name, "kind": f.kind, "status": f.status, "error": f.error, "note": f.note,
            "divergence": div(f.divergence), "diagnosis": diag(f.diagnosis),
            "layers": [{"layer": c.layer + 1, "quantity": c.quantity, "skipped": c.skipped,
                        "differing": int(c.mismatch.sum()),
                        "mismatch": [[int(k) + 1 for k in np.flatnonzero(row)] for row in c.mismatch]}
                       for c in f.layers],
        } for f in report.functions],
        "printed": report.printed,
    }
