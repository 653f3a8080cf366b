"""The Arrays pane's part of a Frame, and the selection (what ``e`` edits).

Per neuron, the pane lists the neuron's inputs beside its weights, its bias,
and the layer's z and a around it; per layer (``v``), the layer's W as a
matrix beside its input, with b, z and a under it. Big arrays are windows
around the selection; a value whose step has not run yet is ``None`` (the
pane shows it pending), so nothing is shown before its step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

import numpy as np

from ..engine import DOT, NORM, NORMALIZE, PER_LAYER, Layer, Network, NormAt, Session, Step, Target
from ..engine.curves import ArrayStats, array_stats, window
from ..engine.edits import BIAS as BIAS_TARGET
from ..engine.edits import INPUT, WEIGHT
from ..engine.edits import NORM as NORM_TARGET
from ..engine.norms import SYMBOLS
from .fit import shorten_names

ROWS = 9  # rows of a windowed array
VECTOR = 9  # entries of z and a (and columns of W) around the neuron; the pane shows what fits
NAME_MAX = 16  # cells an input's name may take


# -- the selection: what ``e`` edits --------------------------------------------------
@dataclass(frozen=True)
class Selection:
    """The weight, bias or input the Arrays pane shows selected and ``e``
    edits: a weight, the bias or a norm parameter (``param``, the
    ``index``-th of its norm's) of neuron (layer, neuron), or input ``index``."""

    kind: str = WEIGHT
    layer: int = 0
    neuron: int = 0
    index: int = 0
    param: str = ""

    def target(self) -> Target:
        if self.kind == INPUT:
            return Target(INPUT, index=self.index)
        if self.kind == BIAS_TARGET:
            return Target(BIAS_TARGET, self.layer, self.neuron)
        if self.kind == NORM_TARGET:
            return Target(NORM_TARGET, self.layer, self.neuron, param=self.param)
        return Target(WEIGHT, self.layer, self.neuron, self.index)

    def moved(self, delta: int, n_weights: int, n_inputs: int, norm_params: tuple[str, ...] = ()) -> Selection:
        """``delta`` places along the list ↑/↓ walk: the neuron's weights,
        its bias, its norm's parameters, then the sample's inputs."""
        n_norm = len(norm_params)
        if self.kind == WEIGHT and 0 <= self.index < n_weights:
            k = self.index
        elif self.kind == BIAS_TARGET:
            k = n_weights
        elif self.kind == NORM_TARGET and 0 <= self.index < n_norm:
            k = n_weights + 1 + self.index
        elif self.kind == INPUT and 0 <= self.index < n_inputs:
            k = n_weights + 1 + n_norm + self.index
        else:
            k = 0
        k = max(0, min(n_weights + n_norm + n_inputs, k + delta))
        if k < n_weights:
            return replace(self, kind=WEIGHT, index=k, param="")
        if k == n_weights:
            return replace(self, kind=BIAS_TARGET, index=0, param="")
        if k <= n_weights + n_norm:
            i = k - n_weights - 1
            return replace(self, kind=NORM_TARGET, index=i, param=norm_params[i])
        return replace(self, kind=INPUT, index=k - n_weights - 1 - n_norm, param="")

    def followed_back(self, layer: int, neuron: int | None, weights: bool) -> Selection:
        """The selection at a backward step of ``layer`` (``neuron``: None for
        a whole layer or the loss, which keep the selected neuron): its
        weights at ∂L/∂w, else its bias."""
        if neuron is None:
            neuron = self.neuron if layer == self.layer else 0
        if weights:
            keep = self.kind == WEIGHT and (layer, neuron) == (self.layer, self.neuron)
            return Selection(WEIGHT, layer, neuron, self.index if keep else 0)
        return Selection(BIAS_TARGET, layer, neuron, 0)

    def followed(self, step: Step | None, units: Callable[[int], int],
                 norm_params: Callable[[int], tuple[str, ...]] = lambda l: ()) -> Selection:
        """The selection once the cursor stands on ``step``: an operand of it
        (``units(layer)`` is the layer's size, ``norm_params(layer)`` its
        norm's parameters). A weight picked on the neuron stays picked while
        its dot product is the step, a norm parameter while the norm is."""
        if step is None or step.kind == NORMALIZE:
            return Selection(INPUT, 0, min(self.neuron, units(0) - 1), 0)
        same_neuron = step.layer == self.layer and step.neuron in (None, self.neuron)
        neuron = self.neuron if step.neuron is None else step.neuron
        neuron = min(neuron, units(step.layer) - 1)
        if step.kind == NORM:
            params = norm_params(step.layer)
            if same_neuron and self.kind == NORM_TARGET and self.param in params:
                return replace(self, neuron=neuron)
            return Selection(NORM_TARGET, step.layer, neuron, 0, params[0]) if params else Selection(
                BIAS_TARGET, step.layer, neuron, 0)
        if step.kind != DOT:
            return Selection(BIAS_TARGET, step.layer, neuron, 0)
        if same_neuron and self.kind == WEIGHT:
            return Selection(WEIGHT, step.layer, neuron, self.index)
        return Selection(WEIGHT, step.layer, neuron, 0)


# -- the Arrays pane ------------------------------------------------------------------------
@dataclass(frozen=True)
class ArrayRow:
    index: int  # 0-based: the input, or the weight's input
    name: str  # shortened to NAME_MAX cells where longer, visibly
    x: float
    w: float | None  # None in the list of raw inputs
    grad: float | None = None  # ∂L/∂w, once the backward pass has computed it


@dataclass(frozen=True, eq=False)
class VectorRow:
    """A window of the layer's z or a around the neuron."""

    name: str  # "z1", "a2"
    units: int
    entries: tuple[tuple[int, float, bool], ...]  # (neuron, value, computed yet)
    more_before: bool
    more_after: bool


@dataclass(frozen=True, eq=False)
class MatrixFrame:
    """Per layer: a window of the layer's W (inputs × neurons) beside the
    layer's input, and b, z, a under its columns."""

    layer: int
    shape: tuple[int, int]  # W's, whole
    columns: tuple[int, ...]  # the neurons listed, around ``current``
    w: np.ndarray  # (rows listed × columns listed), read-only
    b: tuple[float, ...]
    zdot: tuple[float | None, ...]  # x·W, before the bias; None: not computed yet
    z: tuple[float | None, ...]
    a: tuple[float | None, ...]
    current: int  # the lit column: the selected neuron
    more_columns: tuple[int, int]  # neurons left out before and after the window


@dataclass(frozen=True, eq=False)
class ArraysFrame:
    label: str  # the selection as --set writes it: "L1.N2.w3"
    n_weights: int  # the selected neuron's weights (what ↑/↓ walk first)
    n_inputs: int
    raw_inputs: bool  # an input is selected in a later layer: the list of the sample's raw inputs
    x_header: str  # "x_i", "a1_i"
    w_header: str  # "w2_1[i]"
    rows: tuple[ArrayRow, ...]
    selected_x: int | None  # the input whose x is selected
    selected_w: int | None  # the input whose weight is selected
    stats: tuple[str, ArrayStats] | None  # the whole array, when only a window is listed
    raw_note: bool  # the x column holds raw inputs of a normalising network
    neuron: int
    neuron_name: str | None  # when the file names its neurons
    bias: float
    bias_selected: bool
    vectors: tuple[VectorRow, ...]
    layer: int = 0
    more_rows: tuple[int, int] = (0, 0)  # inputs left out before and after the rows listed
    matrix: MatrixFrame | None = None  # per layer: the layer's W, b, z and a
    norm_title: str = ""  # the layer's norm ("batch norm") and where: "batch norm before g"
    norm: tuple[tuple[str, str, float], ...] = ()  # the neuron's (param, symbol, value)
    norm_selected: int | None = None  # which of them is selected
    g_header: str = ""  # "∂L/∂w" once the backward pass has the neuron's weight gradients (ArrayRow.grad)

    @property
    def norm_params(self) -> tuple[str, ...]:
        return tuple(p for p, _, _ in self.norm)


def _input_names(net: Network) -> tuple[str, ...]:
    """Every input's name (``feature_name``), without a call per input."""
    if net.feature_names and len(net.feature_names) >= net.n_inputs:
        return tuple(net.feature_names[: net.n_inputs])
    if not net.feature_names:
        return _numbered(net.n_inputs)
    return tuple(net.feature_name(i) for i in range(net.n_inputs))


@lru_cache(maxsize=8)
def _numbered(n: int) -> tuple[str, ...]:
    return tuple(f"x{i + 1}" for i in range(n))


def _names(s: Session, l: int, rows: range) -> list[str]:
    """The names of the inputs of layer ``l`` listed, shortened alike."""
    net = s.network
    if l > 0:
        return [f"a{l}_{i + 1}" for i in rows]
    names = _input_names(net) if net.n_inputs <= 4096 else None
    if names is None:  # a wide input: shorten the window's names among themselves
        return list(shorten_names([net.feature_name(i) for i in rows], NAME_MAX))
    short = shorten_names(names, NAME_MAX)
    return [short[i] for i in rows]


def arrays_frame(s: Session, sel: Selection, z_done: tuple[np.ndarray, ...],
                 a_done: tuple[np.ndarray, ...]) -> ArraysFrame:
    net = s.network
    st = s.sample_trace
    l, j = sel.layer, sel.neuron
    layer = net.layers[l]
    raw_inputs = sel.kind == INPUT and l > 0
    selected_x: int | None
    selected_w: int | None
    if raw_inputs:
        values = st.x_raw
        rows = window(values.size, sel.index, ROWS)
        listed = tuple(ArrayRow(i, name, float(values[i]), None) for i, name in zip(rows, _names(s, 0, rows)))
        stats = ("x", array_stats(values)) if values.size > len(rows) else None
        selected_x, selected_w, raw_note = sel.index, None, False
        grad = None
    else:
        xin = st.layer_input(l)
        w = layer.W[:, j]
        rows = window(xin.size, sel.index if sel.kind in (WEIGHT, INPUT) else 0, ROWS)
        xs = st.x_raw if l == 0 and sel.kind == INPUT else xin
        grad = s.weight_gradient(l, j)
        listed = tuple(ArrayRow(i, name, float(xs[i]), float(w[i]), None if grad is None else float(grad[i]))
                       for i, name in zip(rows, _names(s, l, rows)))
        stats = ("w", array_stats(w)) if xin.size > len(rows) else None
        selected_x = sel.index if sel.kind == INPUT and l == 0 else None
        selected_w = sel.index if sel.kind == WEIGHT else None
        raw_note = l == 0 and sel.kind == INPUT and net.normalization is not None
    vectors = []
    for name, values, done in (("z", st.z(l), z_done[l]), ("a", st.a(l), a_done[l])):
        idx = window(values.size, j, VECTOR)
        entries = tuple((i, float(values[i]), bool(done[i])) for i in idx)
        vectors.append(VectorRow(f"{name}{l + 1}", layer.units, entries, idx.start > 0, idx.stop < values.size))
    matrix = None
    if s.granularity == PER_LAYER and not raw_inputs:
        columns = window(layer.units, j, VECTOR)
        w_window = np.array(layer.W[rows.start:rows.stop, columns.start:columns.stop])
        w_window.flags.writeable = False
        zdot, z, a = st.zdot(l), st.z(l), st.a(l)
        dot_done = s.done_mask(l, DOT)
        matrix = MatrixFrame(
            l, (layer.n_inputs, layer.units), tuple(columns), w_window,
            tuple(float(layer.b[k]) for k in columns),
            tuple(float(zdot[k]) if dot_done[k] else None for k in columns),
            tuple(float(z[k]) if z_done[l][k] else None for k in columns),
            tuple(float(a[k]) if a_done[l][k] else None for k in columns),
            j, (columns.start, layer.units - columns.stop),
        )
    n_rows = layer.n_inputs if not raw_inputs else net.n_inputs
    return ArraysFrame(
        label=sel.target().label(), n_weights=layer.n_inputs, n_inputs=net.n_inputs, raw_inputs=raw_inputs,
        x_header=("x" if l == 0 else f"a{l}") + "_i", w_header=f"w{l + 1}_{j + 1}[i]", rows=listed,
        g_header="" if grad is None else "∂L/∂w",
        selected_x=selected_x, selected_w=selected_w, stats=stats, raw_note=raw_note, neuron=j,
        neuron_name=layer.neuron_name(j) if layer.neuron_names else None, bias=float(layer.b[j]),
        bias_selected=sel.kind == BIAS_TARGET, vectors=tuple(vectors), layer=l,
        more_rows=(rows.start, n_rows - rows.stop), matrix=matrix,
        norm_title=_norm_title(layer), norm=_norm_rows(layer, j),
        norm_selected=sel.index if sel.kind == NORM_TARGET else None,
    )


def _norm_title(layer: Layer) -> str:
    if layer.norm is None:
        return ""
    return f"{layer.norm.title} {'before g' if layer.norm_at == NormAt.Z else 'after g'}"


def _norm_rows(layer: Layer, j: int) -> tuple[tuple[str, str, float], ...]:
    """The neuron's norm parameters, for the Arrays pane: (name, symbol, value)."""
    if layer.norm is None:
        return ()
    return tuple((p, SYMBOLS[p], float(v[j])) for p, v in layer.norm.params().items())
