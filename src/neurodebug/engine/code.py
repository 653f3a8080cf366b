"""The network as from-scratch NumPy code, the way the lesson writes it.

Per neuron, each neuron is four lines, as the course's lab writes layer 1
neuron 2::

    w1_2 = np.array([-0.5, 3])
    b1_2 = 1
    z1_2 = np.dot(w1_2, x) + b1_2
    a1_2 = sigmoid(z1_2)

and the layer's outputs are gathered, ``a1 = np.array([a1_1, a1_2])``. Per
layer, the vectorised form: ``z1 = np.matmul(x, W1) + b1``, ``a1 =
sigmoid(z1)``. A norm is one more line (``z1_2 = (z1_2 - μ) / np.sqrt(σ² +
ε) * γ + β`` with its numbers).

Each line knows the plan steps it computes, so a front end lights the line of
the current step and writes its value beside it. Big layers are shown in a
window around the current neuron (``w1_517 = W1[:, 516]  # 784 weights``):
never thousands of lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .kinds import Granularity
from .network import Layer
from .norms import BatchNorm, Norm, NormAt, Normalization, Rescaling
from .numbers import fmt, fmt_vector
from .plan import ACTIVATE, BIAS, DOT, NORM, NORMALIZE, Plan
from .trace import SampleTrace

INLINE = 8  # a vector of up to this many numbers is written out; longer ones are named
NEURONS_AROUND = 2  # neurons shown either side of the current one in a big layer
SMALL_LAYER = 6  # a layer of up to this many neurons is shown whole


@dataclass(frozen=True)
class CodeLine:
    text: str
    steps: tuple[int, ...] = ()  # the plan steps this line computes, in order
    comment: bool = False


@dataclass(frozen=True)
class CodeView:
    """The code for the sample, the lit line and the value beside each line."""

    lines: tuple[CodeLine, ...]
    current: int | None  # the line of the cursor's step, if any
    values: tuple[str, ...]  # per line: its latest computed value ("" before its step)


def literal(v: float | np.floating[Any], exact: bool = False) -> str:
    """A number as Python source: 0.5, -2, 1e-07, np.nan, -np.inf.

    ``exact``: every digit, so the text reads back as the very same number
    (an exported script): float64's repr (0.30000000000000004, 200.0), and
    for a float32 or float16 scalar the shortest text that reads back as it
    in its own dtype (np.float32(0.1) → 0.1)."""
    x = float(v)
    if math.isnan(x):
        return "np.nan"
    if math.isinf(x):
        return "np.inf" if x > 0 else "-np.inf"
    if exact:
        if isinstance(v, np.floating) and v.dtype != np.float64:
            short = str(v)
            if type(v)(float(short)) == v:
                return short
        return repr(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def array_literal(v: np.ndarray, exact: bool = False) -> str:
    """``exact``: every digit, and the dtype when it is not float64
    (``np.array([0.1, 2.0], dtype=np.float32)``)."""
    values = ", ".join(literal(x, exact) for x in np.ravel(v))
    dtype = np.asarray(v).dtype
    if exact and dtype != np.float64:
        return f"np.array([{values}], dtype=np.{dtype.name})"
    return f"np.array([{values}])"


def activation_call(layer: Layer, arg: str, exact: bool = False) -> str:
    """``sigmoid(z1_2)``, ``leaky_relu(z1, alpha=0.01)``: the call the lesson writes."""
    params = "".join(f", {k}={literal(v, exact)}" for k, v in layer.params.items())
    return f"{layer.activation}({arg}{params})"


SYMBOLS = {"mean": "mu", "var": "var", "gamma": "gamma", "beta": "beta", "scale": "scale", "offset": "offset",
           "std": "std"}


def norm_names(norm: Norm, suffix: str) -> str:
    """'# mu1, var1, gamma1, beta1: …' for a norm too long to write out."""
    names = ", ".join(f"{SYMBOLS[p]}{suffix}" for p in norm.PARAMS)
    return f"# {names}: the {norm.title}'s {norm.size} values each, from the file"


def norm_expression(norm: Norm, arg: str, j: int | None, names: str | None = None, exact: bool = False) -> str:
    """The norm applied to ``arg``: element ``j``'s numbers, or (``j`` None)
    the vectors by ``names`` + parameter (``mu1``…) or written out when short
    (``exact``: with every digit, see ``literal``)."""
    def p(name: str) -> str:
        value = norm.param(name)
        if j is not None:
            return literal(value[j], exact) if value[j] >= 0 else f"({literal(value[j], exact)})"
        if value.size <= INLINE or names is None:
            return array_literal(value, exact)
        return f"{SYMBOLS[name]}{names}"

    if isinstance(norm, BatchNorm):
        return (f"({arg} - {p('mean')}) / np.sqrt({p('var')} + {literal(norm.eps, exact)})"
                f" * {p('gamma')} + {p('beta')}")
    if isinstance(norm, Rescaling):
        return f"{arg} * {p('scale')} + {p('offset')}"
    assert isinstance(norm, Normalization)
    return f"({arg} - {p('mean')}) / {p('std')}"


class _Writer:
    def __init__(self, plan: Plan, st: SampleTrace, focus: tuple[int, int]) -> None:
        self.plan, self.st, self.net = plan, st, st.network
        self.focus = focus  # (layer, neuron) the window of a big layer is centred on
        self.lines: list[CodeLine] = []

    def add(self, text: str, *steps: int, comment: bool = False) -> None:
        self.lines.append(CodeLine(text, tuple(steps), comment))

    def write(self) -> list[CodeLine]:
        net, st = self.net, self.st
        name = net.samples.names[st.row] if st.row < len(net.samples) else f"sample {st.row + 1}"
        x = st.x_raw
        if x.size <= INLINE:
            self.add(f"x = {array_literal(x)}  # sample \"{name}\"")
        else:
            self.add(f"x = X[{st.row}]  # sample \"{name}\", {x.size} features")
        if net.normalization is not None:
            if net.normalization.size > INLINE:
                self.add(norm_names(net.normalization, ""), comment=True)
            self.add(f"x = {norm_expression(net.normalization, 'x', None, '')}", self.plan.index_of(-1, None, NORMALIZE))
        for l, layer in enumerate(net.layers):
            if self.plan.granularity == Granularity.LAYER:
                self.layer_lines(l, layer)
            else:
                self.neuron_lines(l, layer)
        return self.lines

    # -- per layer -----------------------------------------------------------------
    def layer_lines(self, l: int, layer: Layer) -> None:
        L, inp = l + 1, "x" if l == 0 else f"a{l}"
        plan = self.plan
        self.add(f"# layer {L} ({layer.name}): {layer.n_inputs} inputs → {layer.units} units, {layer.operations}",
                 comment=True)
        if layer.W.size <= INLINE:
            rows = ", ".join("[" + ", ".join(literal(v) for v in row) + "]" for row in layer.W)
            self.add(f"W{L} = np.array([{rows}])")
        else:
            self.add(f"# W{L}: {layer.n_inputs}×{layer.units} weights, from the file", comment=True)
        if layer.units <= INLINE:
            self.add(f"b{L} = {array_literal(layer.b)}")
        else:
            self.add(f"# b{L}: {layer.units} biases, from the file", comment=True)
        self.add(f"z{L} = np.matmul({inp}, W{L}) + b{L}", plan.index_of(l, None, DOT), plan.index_of(l, None, BIAS))
        norm = layer.norm
        norm_step = plan.index_of(l, None, NORM)
        if norm is not None and norm.size > INLINE:
            self.add(norm_names(norm, str(L)), comment=True)
        if norm is not None and layer.norm_at == NormAt.Z:
            self.add(f"z{L} = {norm_expression(norm, f'z{L}', None, str(L))}", norm_step)
        if norm is not None and layer.norm_at == NormAt.A:
            self.add(f"h{L} = {activation_call(layer, f'z{L}')}", plan.index_of(l, None, ACTIVATE))
            self.add(f"a{L} = {norm_expression(norm, f'h{L}', None, str(L))}", norm_step)
        else:
            self.add(f"a{L} = {activation_call(layer, f'z{L}')}", plan.index_of(l, None, ACTIVATE))

    # -- per neuron ----------------------------------------------------------------
    def shown_neurons(self, l: int, units: int) -> list[int]:
        if units <= SMALL_LAYER:
            return list(range(units))
        centre = self.focus[1] if self.focus[0] == l else 0
        lo = max(0, min(centre - NEURONS_AROUND, units - 2 * NEURONS_AROUND - 1))
        return list(range(lo, min(units, lo + 2 * NEURONS_AROUND + 1)))

    def neuron_lines(self, l: int, layer: Layer) -> None:
        L, inp = l + 1, "x" if l == 0 else f"a{l}"
        plan, units = self.plan, layer.units
        self.add(f"# layer {L} ({layer.name}): {units} neurons, {layer.operations}", comment=True)
        shown = self.shown_neurons(l, units)
        whole_layer = ACTIVATE not in plan.neuron_kinds(l)  # softmax: one activation for the layer
        norm = layer.norm
        if shown[0] > 0:
            self.add(f"# … neurons 1–{shown[0]} as below", comment=True)
        for j in shown:
            J = j + 1
            if layer.n_inputs <= INLINE:
                self.add(f"w{L}_{J} = {array_literal(layer.W[:, j])}")
            else:
                self.add(f"w{L}_{J} = W{L}[:, {j}]  # {layer.n_inputs} weights")
            self.add(f"b{L}_{J} = {literal(layer.b[j])}")
            self.add(f"z{L}_{J} = np.dot(w{L}_{J}, {inp}) + b{L}_{J}",
                     plan.index_of(l, j, DOT), plan.index_of(l, j, BIAS))
            if norm is not None and layer.norm_at == NormAt.Z:
                self.add(f"z{L}_{J} = {norm_expression(norm, f'z{L}_{J}', j)}", plan.index_of(l, j, NORM))
            if whole_layer:
                continue
            if norm is not None and layer.norm_at == NormAt.A:
                self.add(f"h{L}_{J} = {activation_call(layer, f'z{L}_{J}')}", plan.index_of(l, j, ACTIVATE))
                self.add(f"a{L}_{J} = {norm_expression(norm, f'h{L}_{J}', j)}", plan.index_of(l, j, NORM))
            else:
                self.add(f"a{L}_{J} = {activation_call(layer, f'z{L}_{J}')}", plan.index_of(l, j, ACTIVATE))
        if shown[-1] < units - 1:
            self.add(f"# … neurons {shown[-1] + 2}–{units} as above", comment=True)
        gathered = _gather("z" if whole_layer else "a", L, units)
        if whole_layer:
            act = plan.index_of(l, None, ACTIVATE)
            if norm is not None and layer.norm_at == NormAt.A:
                if norm.size > INLINE:
                    self.add(norm_names(norm, str(L)), comment=True)
                self.add(f"h{L} = {activation_call(layer, gathered)}", act)
                self.add(f"a{L} = {norm_expression(norm, f'h{L}', None, str(L))}", plan.index_of(l, None, NORM))
            else:
                self.add(f"a{L} = {activation_call(layer, gathered)}", act)
        elif l < len(self.net.layers) - 1 or units > 1:
            self.add(f"a{L} = {gathered}")


def _gather(symbol: str, L: int, units: int) -> str:
    names = [f"{symbol}{L}_{j + 1}" for j in range(units)]
    if units > 4:
        names = names[:2] + ["…"] + names[-1:]
    return "np.array([" + ", ".join(names) + "])"


def _value_text(value: np.ndarray, dot_only: bool) -> str:
    """The value beside a line; ``dot_only``: z = np.dot(…) + b with only
    the dot product computed yet."""
    if np.ndim(value) == 0:
        return f"w·x = {fmt(float(value))}" if dot_only else f"= {fmt(float(value))}"
    text = fmt_vector(value, limit=4, digits=4)
    return f"x·W = {text}" if dot_only else f"= {text}"


def code_view(plan: Plan, st: SampleTrace, cursor: int) -> CodeView:
    """The code of the network for sample ``st``, with the cursor's line lit
    and the value of every line whose step has run (``cursor`` −1: none)."""
    step = plan[cursor] if cursor >= 0 else None
    focus = (step.layer, step.neuron or 0) if step is not None else (0, 0)
    lines = _Writer(plan, st, focus).write()
    current = None
    values = []
    for k, line in enumerate(lines):
        done = [s for s in line.steps if s <= cursor]
        if cursor in line.steps:
            current = k
        if not done:
            values.append("")
            continue
        last = done[-1]
        first_of_two = len(line.steps) == 2 and last == line.steps[0]  # z = np.dot(…) + b after the dot only
        values.append(_value_text(st.value(plan[last]), first_of_two))
    return CodeView(tuple(lines), current, tuple(values))
