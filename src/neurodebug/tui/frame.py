"""What every pane of the debugger shows, as one immutable value.

After each action the screen builds a ``Frame`` from the session and the
selection (``build_frame``) and hands it down; the panes draw from it alone,
never from the session. Textual's "attributes down": the screen state is a
function of (session, selection), computed in one place.

A frame is cheap to build: the parts that a step does not change (the
sample's numbers, the trace's lines, the side views) are carried over from
the previous frame unchanged, with the ``stamp`` (a frame version) they were
built at, and whatever is per neuron stays a NumPy array or is read lazily
for the lines on screen. Line caches key on those stamps and on ``epoch``,
so a frame built from scratch (ctrl+l) redraws everything, with no
hand-written invalidation.

The Network pane's part is in ``network_section.py``, the Operation pane's,
the Trace's and the side views' in ``sections.py``; none of the three
imports Textual or Rich (styles are Rich style names).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ..engine import DOT, NORMALIZE, Session, Step, Target
from ..engine.curves import ArrayStats, array_stats, window
from ..engine.edits import BIAS as BIAS_TARGET
from ..engine.edits import INPUT, WEIGHT
from ..engine.explanation import Explanation
from .network_section import NetworkFrame, network_frame
from .sections import (
    ChangesFrame, JournalFrame, OperationFrame, Piece, ProblemsFrame, TraceFrame, TraceLines, changes_frame,
    journal_frame, operation_frame, problems_frame,
)

ROWS = 9  # rows of a windowed array
VECTOR = 7  # entries of z and a shown around the neuron


# -- the selection: what ``e`` edits --------------------------------------------------
@dataclass(frozen=True)
class Selection:
    """The weight, bias or input the Arrays pane shows selected and ``e``
    edits: a weight or the bias of neuron (layer, neuron), or input ``index``."""

    kind: str = WEIGHT
    layer: int = 0
    neuron: int = 0
    index: int = 0

    def target(self) -> Target:
        if self.kind == INPUT:
            return Target(INPUT, index=self.index)
        if self.kind == BIAS_TARGET:
            return Target(BIAS_TARGET, self.layer, self.neuron)
        return Target(WEIGHT, self.layer, self.neuron, self.index)

    def moved(self, delta: int, n_weights: int, n_inputs: int) -> Selection:
        """``delta`` places along the list ↑/↓ walk: the neuron's weights,
        its bias, then the sample's inputs."""
        if self.kind == WEIGHT and 0 <= self.index < n_weights:
            k = self.index
        elif self.kind == BIAS_TARGET:
            k = n_weights
        elif self.kind == INPUT and 0 <= self.index < n_inputs:
            k = n_weights + 1 + self.index
        else:
            k = 0
        k = max(0, min(n_weights + n_inputs, k + delta))
        if k < n_weights:
            return replace(self, kind=WEIGHT, index=k)
        if k == n_weights:
            return replace(self, kind=BIAS_TARGET, index=0)
        return replace(self, kind=INPUT, index=k - n_weights - 1)

    def followed(self, step: Step | None, units: Callable[[int], int]) -> Selection:
        """The selection once the cursor stands on ``step``: an operand of it
        (``units(layer)`` is the layer's size). A weight picked on the neuron
        stays picked while its dot product is the step."""
        if step is None or step.kind == NORMALIZE:
            return Selection(INPUT, 0, min(self.neuron, units(0) - 1), 0)
        same_neuron = step.layer == self.layer and step.neuron in (None, self.neuron)
        neuron = self.neuron if step.neuron is None else step.neuron
        neuron = min(neuron, units(step.layer) - 1)
        if step.kind != DOT:
            return Selection(BIAS_TARGET, step.layer, neuron, 0)
        if same_neuron and self.kind == WEIGHT:
            return Selection(WEIGHT, step.layer, neuron, self.index)
        return Selection(WEIGHT, step.layer, neuron, 0)


# -- the Arrays pane ------------------------------------------------------------------------
@dataclass(frozen=True)
class ArrayRow:
    index: int  # 0-based: the input, or the weight's input
    name: str
    x: float
    w: float | None  # None in the list of raw inputs


@dataclass(frozen=True, eq=False)
class VectorRow:
    """A window of the layer's z or a around the neuron."""

    name: str  # "z1", "a2"
    units: int
    entries: tuple[tuple[int, float, bool], ...]  # (neuron, value, computed yet)
    more_before: bool
    more_after: bool


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
        listed = tuple(ArrayRow(i, net.feature_name(i), float(values[i]), None) for i in rows)
        stats = ("x", array_stats(values)) if values.size > len(rows) else None
        selected_x, selected_w, raw_note = sel.index, None, False
    else:
        xin = st.layer_input(l)
        w = layer.W[:, j]
        rows = window(xin.size, sel.index if sel.kind in (WEIGHT, INPUT) else 0, ROWS)
        xs = st.x_raw if l == 0 and sel.kind == INPUT else xin
        listed = tuple(ArrayRow(i, net.feature_name(i) if l == 0 else f"a{l}_{i + 1}", float(xs[i]), float(w[i]))
                       for i in rows)
        stats = ("w", array_stats(w)) if xin.size > len(rows) else None
        selected_x = sel.index if sel.kind == INPUT and l == 0 else None
        selected_w = sel.index if sel.kind == WEIGHT else None
        raw_note = l == 0 and sel.kind == INPUT and net.normalization is not None
    vectors = []
    for name, values, done in (("z", st.z(l), z_done[l]), ("a", st.a(l), a_done[l])):
        idx = window(values.size, j, VECTOR)
        entries = tuple((i, float(values[i]), bool(done[i])) for i in idx)
        vectors.append(VectorRow(f"{name}{l + 1}", layer.units, entries, idx.start > 0, idx.stop < values.size))
    return ArraysFrame(
        label=sel.target().label(), n_weights=layer.n_inputs, n_inputs=net.n_inputs, raw_inputs=raw_inputs,
        x_header=("x" if l == 0 else f"a{l}") + "_i", w_header=f"w{l + 1}_{j + 1}[i]", rows=listed,
        selected_x=selected_x, selected_w=selected_w, stats=stats, raw_note=raw_note, neuron=j,
        neuron_name=layer.neuron_name(j) if layer.neuron_names else None, bias=float(layer.b[j]),
        bias_selected=sel.kind == BIAS_TARGET, vectors=tuple(vectors),
    )


# -- the frame ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Frame:
    version: int  # one more than the frame before
    epoch: int  # the version of the last frame built from scratch: part of every line-cache key
    selection: Selection
    selection_request: int  # the Arrays pane's last selection request this frame answers
    status: tuple[Piece, ...]
    network: NetworkFrame
    operation: OperationFrame
    arrays: ArraysFrame
    trace: TraceFrame
    changes: ChangesFrame
    journal: JournalFrame
    problems: ProblemsFrame


def build_frame(session: Session, selection: Selection, previous: Frame | None = None, *,
                name: str | None = None, selection_request: int = 0, fresh: bool = False) -> Frame:
    """What the panes show now. Parts whose inputs are unchanged since
    ``previous`` are carried over (with their stamps) unless ``fresh``."""
    s = session
    version = previous.version + 1 if previous is not None else 1
    old = None if fresh else previous
    epoch = version if old is None else old.epoch
    report = s.health()
    network = network_frame(s, version, old.network if old else None)
    side = (s.values_version, s.sample_index, len(s.journal), len(s.redo_stack), s.dirty)
    trace_basis = (s.values_version, s.sample_index, s.plan)
    trace_lines = old.trace.lines if old and old.trace.lines.basis == trace_basis else None
    return Frame(
        version=version,
        epoch=epoch,
        selection=selection,
        selection_request=selection_request,
        status=_status(s, name or s.network.name, len(network.values.failing)),
        network=network,
        operation=operation_frame(s, why_pieces(s)),
        arrays=arrays_frame(s, selection, network.z_done, network.a_done),
        trace=TraceFrame(trace_lines or TraceLines(version, trace_basis, s.plan, s.sample_trace, s.settings),
                         s.cursor + 1, s.cursor),
        changes=old.changes if old and old.changes.basis == side else changes_frame(s, version, side),
        journal=old.journal if old and old.journal.basis == side else journal_frame(s, version, side),
        problems=old.problems if old and old.problems.basis == side else problems_frame(s, report, version, side),
    )


def _status(s: Session, name: str, failing_here: int) -> tuple[Piece, ...]:
    pieces: list[Piece] = [
        (name, "bold cyan"),
        (f" · step {s.cursor + 1}/{len(s.plan)}", ""),
        (f" · per {s.granularity}", ""),
        (f" · sample {s.sample_index + 1}/{len(s.samples)} \"{s.sample.name}\"", ""),
    ]
    if s.breakpoints:
        n = len(s.breakpoints)
        pieces.append((f" · {n} breakpoint{'s' if n > 1 else ''}", "red"))
    if not s.health().ok:
        pieces.append((f" · ✗ {failing_here} failing here" if failing_here else " · ✗ problems in other samples", "yellow"))
    if s.watches:
        pieces.append((" · watch " + ", ".join(w.label() for w in s.watches), "magenta"))
    if s.dirty:
        n = len(s.journal)
        pieces.append((f" · ● {n} edit{'s' if n != 1 else ''} unsaved", "yellow"))
    return tuple(pieces)


# -- why the current neuron fails ------------------------------------------------------------
def why_pieces(s: Session) -> tuple[Piece, ...]:
    """The explanation of the current neuron, when it fails (or is noted) for this sample."""
    step = s.step
    if step is None or step.neuron is None or step.layer < 0:
        return ()
    found = [f for f in s.health().for_neuron(step.layer, step.neuron) if s.sample_index in f.samples]
    if not found:
        return ()
    if any(f.is_problem for f in found):
        out: list[Piece] = [("why this neuron fails (x for the full explanation):", "bold yellow")]
    else:
        out = [("a note, not a problem (x for the full explanation):", "bold")]
        out += [(f"  {f.verdict}", "dim") for f in found if f.verdict]
    out += [("  " + line, "") for line in summary_lines(s.explain(step.layer, step.neuron))]
    return tuple(out)


def summary_lines(e: Explanation) -> tuple[str, ...]:
    """An Explanation in brief, as the engine writes it: its z line and one
    line per finding (no table of terms; the step already says where)."""
    return e.summary
