"""Parts of a Frame: what the Operation pane, the Trace and the side views
show, as plain data, and how each is read off the session.

No Textual or Rich here either: numbers stay numbers (the panes format and
align them), styles are Rich style names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..engine import ACTIVATE, DOT, NORM, PER_LAYER, Plan, SampleTrace, Session
from ..engine.curves import Curve, activation_curve, rank_terms
from ..engine.edits import DescentStep, Edit, ValueChange
from ..engine.findings import Finding, HealthReport
from ..engine.numbers import fmt_vector
from ..engine.pass_end import PassEnd, pass_end
from ..engine.report_text import gradient_section
from ..engine.settings import Settings

if TYPE_CHECKING:
    from ..engine.code import CodeView
    from ..engine.sample_ranking import RankedSamples
    from ..engine.scan import ScanState

Piece = tuple[str, str]  # (text, Rich style name; "" for none)
TERMS = 12  # products w_i·x_i listed, largest first
MAX_CHANGED = 40  # values an edit changed, listed
MAX_PROBLEMS = 60  # this sample's problems listed (half as many of the rest)


# -- the Operation pane -------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Ready:
    """Before the first step: the sample and the network."""

    sample_name: str
    x: np.ndarray
    network_name: str
    shape: str
    params: int
    description: str


@dataclass(frozen=True)
class TermRow:
    name: str
    weight: float
    input: float
    value: float  # weight × input
    fraction: float  # |value| / the largest |value| (1 where not finite)


@dataclass(frozen=True)
class Terms:
    rows: tuple[TermRow, ...]  # the largest |w_i·x_i| first
    rest: int  # how many smaller terms are left out
    rest_sum: float


@dataclass(frozen=True)
class Plot:
    """Where z sits on the neuron's activation (drawn at the pane's width)."""

    activation: str
    z: float
    params: tuple[tuple[str, float], ...]  # the layer's activation parameters, as (name, value)

    def curve(self, points: int) -> Curve | None:
        return _curve(self.activation, self.z, points, self.params)


@lru_cache(maxsize=16)
def _curve(activation: str, z: float, points: int, params: tuple[tuple[str, float], ...]) -> Curve | None:
    return activation_curve(activation, z, points, dict(params))


def end_of_pass(s: Session) -> PassEnd:
    return pass_end(s.network, s.sample_index, s.sample_trace.outputs, s.settings)


@dataclass(frozen=True, eq=False)
class OperationFrame:
    ready: Ready | None  # set before the first step; the rest is then empty
    step_number: int = 0  # 1-based
    steps: int = 0
    title: str = ""
    symbolic: str = ""
    formula: str = ""
    notes: tuple[str, ...] = ()
    why: tuple[Piece, ...] = ()  # why the neuron fails (or is noted) in this sample, as far as the step has got
    terms: Terms | None = None  # a neuron's dot product
    plot: Plot | None = None  # a neuron's activation
    end: PassEnd | None = None  # at the last step: the outputs and the verdict
    brief: tuple[Piece, ...] = ()  # what ``why`` shrinks to where the pane has no room for it


def operation_frame(s: Session, why: tuple[Piece, ...]) -> OperationFrame:
    back = s.back_step
    if back is not None:  # past the output: the loss and the backward pass
        assert s.back_cursor is not None
        from .check_section import backward_check

        check, brief = backward_check(s)  # at ∂L/∂w and ∂L/∂b: the gradient check
        return OperationFrame(None, s.back_cursor + 1, len(s.backward_steps()), f"backward · {back.title}",
                              back.symbolic, back.formula, back.notes, check, brief=brief)
    d = s.detail()
    net = s.network
    if d is None:
        x = np.array(s.sample.x)
        x.flags.writeable = False
        return OperationFrame(Ready(s.sample.name, x, net.name, net.shape_summary(), net.param_count,
                                    net.description or ""))
    step = d.step
    terms = plot = None
    if d.products is not None and step.kind == DOT and step.neuron is not None:
        terms = _terms(s, step.layer, step.neuron, d.products)
    elif step.kind == ACTIVATE and step.neuron is not None:
        layer = net.layers[step.layer]
        plot = Plot(layer.activation, float(s.sample_trace.z(step.layer)[step.neuron]), tuple(layer.params.items()))
    notes = tuple(d.notes)
    refused = s.backward_refused() if s.at_end else None
    if refused is not None:  # a target, but no loss takes it: say so where the backward pass would begin
        notes += (f"no backward pass: {refused}",)
    return OperationFrame(None, step.index + 1, len(s.plan), d.title, d.symbolic, d.formula, notes,
                          why, terms, plot, end_of_pass(s) if s.at_end else None)


def _terms(s: Session, l: int, j: int, products: np.ndarray) -> Terms:
    w = s.network.layers[l].W[:, j]
    xin = s.sample_trace.layer_input(l)
    ranked = rank_terms(products, TERMS)
    rows = []
    for idx, frac in zip(ranked.indices, ranked.fractions):
        i = int(idx)
        name = s.network.feature_name(i) if l == 0 else f"a{l}_{i + 1}"
        rows.append(TermRow(name, float(w[i]), float(xin[i]), float(products[i]), float(frac)))
    return Terms(tuple(rows), ranked.rest, ranked.rest_sum)


# -- the Trace pane ----------------------------------------------------------------------------
KIND_SHORT = {"normalize": "norm", "dot": "dot ", "bias": "bias", "activate": "act "}
NORM_SHORT = {"batchnorm": "bn  ", "rescaling": "scal", "normalization": "norm"}


@dataclass(frozen=True)
class TraceRow:
    kind: str  # the Trace's four-cell column: "dot ", "bias", "act ", "bn  "
    where: str  # "L1.N2", "L2", "" for the normalisation
    formula: str
    warned: bool  # the step has notes (⚠)
    name: str = ""  # what the step computes, as the formula writes it: "z", "a", "x'"
    value: float | None = None  # a neuron step's result
    values: str = ""  # a layer step's result vector, written out


@dataclass(frozen=True, eq=False)
class TraceLines:
    """Every step's line, read when drawn: a trace of 24,000 steps costs what
    the lines on screen do. Built again when the values, the sample or the
    plan change (``stamp`` is the frame version it was built at)."""

    stamp: int
    basis: tuple
    plan: Plan
    sample_trace: SampleTrace
    settings: Settings

    def row(self, index: int) -> TraceRow:
        step = self.plan[index]
        d = self.sample_trace.detail(step, self.settings)
        where = "" if step.layer < 0 else f"L{step.layer + 1}" + (f".N{step.neuron + 1}" if step.neuron is not None else "")
        name = d.formula.split(" ", 1)[0]
        norm = self.sample_trace.network.layers[step.layer].norm if step.kind == NORM else None
        kind = NORM_SHORT[norm.kind] if norm is not None else KIND_SHORT[step.kind]
        if np.ndim(d.result) == 0:
            return TraceRow(kind, where, d.formula, bool(d.notes), name, float(d.result))
        return TraceRow(kind, where, d.formula, bool(d.notes), name, None, fmt_vector(d.result, 4))

    @property
    def where_width(self) -> int:
        """The widest "L2.N128" of the plan: the Trace's column."""
        net = self.sample_trace.network
        if self.plan.granularity == PER_LAYER:
            return len(f"L{len(net.layers)}")
        return max(len(f"L{l + 1}.N{layer.units}") for l, layer in enumerate(net.layers))


@dataclass(frozen=True, eq=False)
class TraceFrame:
    lines: TraceLines
    count: int  # the steps executed: the cursor + 1
    cursor: int


# -- the side views ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class OutputRow:
    name: str  # the sample's
    old: np.ndarray
    new: np.ndarray
    delta: float | None  # new − old, for a single output
    flipped: bool
    old_class: int | None
    new_class: int | None


@dataclass(frozen=True, eq=False)
class ChangesFrame:
    stamp: int
    basis: tuple
    edit: str | None  # what the last edit (or undo) did; None before any
    undone: bool = False
    outputs: tuple[OutputRow, ...] = ()
    changed: tuple[ValueChange, ...] = ()  # the first MAX_CHANGED values it changed in its sample
    total: int = 0  # how many it changed there
    sample_name: str = ""


def changes_frame(s: Session, version: int, basis: tuple) -> ChangesFrame:
    r = s.last_result
    if r is None:
        return ChangesFrame(version, basis, None)
    net = s.network
    outputs = []
    for oc in r.outputs:
        delta = float(oc.new[0] - oc.old[0]) if oc.old.size == 1 else None
        outputs.append(OutputRow(net.samples[oc.sample].name, oc.old, oc.new, delta, oc.flipped, oc.old_class, oc.new_class))
    return ChangesFrame(version, basis, r.edit.describe(net), r.undone, tuple(outputs),
                        tuple(r.changes(limit=MAX_CHANGED)), r.count(), net.samples[r.sample].name)


@dataclass(frozen=True, eq=False)
class JournalFrame:
    stamp: int
    basis: tuple
    edits: tuple[str, ...]  # the edits in force, in order
    undone: tuple[str, ...]  # the ones redo brings back, the next first
    dirty: bool
    # each edit described (an edit never changes): the next frame's journal describes only the new ones
    described: dict[int, tuple[Edit | DescentStep, str]] = field(default_factory=dict, repr=False)


def journal_frame(s: Session, version: int, basis: tuple, old: JournalFrame | None = None) -> JournalFrame:
    net = s.network
    known = old.described if old is not None else {}
    described: dict[int, tuple[Edit | DescentStep, str]] = {}

    def describe(edit: Edit | DescentStep) -> str:
        hit = known.get(id(edit))
        text = hit[1] if hit is not None and hit[0] is edit else edit.describe(net)
        described[id(edit)] = (edit, text)
        return text

    edits = tuple(describe(e) for e in s.journal)
    return JournalFrame(version, basis, edits, tuple(describe(e) for e in reversed(s.redo_stack)), s.dirty, described)


@dataclass(frozen=True, eq=False)
class ProblemsFrame:
    stamp: int
    basis: tuple
    summary: str
    ok: bool
    any_findings: bool
    any_problems: bool
    sample_name: str
    mine: tuple[str, ...]  # this sample's problems (the first MAX_PROBLEMS)
    mine_count: int
    others: tuple[str, ...]  # problems only in other samples
    others_count: int
    notes: tuple[str, ...]  # findings that are notes, not problems
    notes_count: int
    gradients: tuple[str, ...] = ()  # each layer's gradient over the labelled samples, or why none (a heading, then lines)


def problems_frame(s: Session, report: HealthReport, version: int, basis: tuple) -> ProblemsFrame:
    mine = [f for f in report.for_sample(s.sample_index) if f.is_problem]
    others = [f for f in report.problems if s.sample_index not in f.samples]
    notes = report.notes
    return ProblemsFrame(
        version, basis, report.summary(), report.ok, bool(report.findings), bool(report.problems), s.sample.name,
        tuple(f.message for f in mine[:MAX_PROBLEMS]), len(mine),
        tuple(f.message for f in others[: MAX_PROBLEMS // 2]), len(others),
        tuple(f.message for f in notes[: MAX_PROBLEMS // 2]), len(notes),
        tuple(gradient_section(report, s.trace)),
    )


# -- the Samples view ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SamplesPart:
    """What the Samples view shows: the ranking so far (None: none yet), the
    rows scanned of ``total`` (None: not known yet), whether the scan still
    runs, and a note (why there is no scan, an error reading the table). A
    dataset read a row at a time also gets its health report over every row,
    once scanned: ``summary`` and the problems (``problems``, the findings
    behind them in ``findings``, the first MAX_PROBLEMS)."""

    ranking: RankedSamples | None
    scanned: int = 0
    total: int | None = None
    running: bool = False
    note: str = ""
    summary: str = ""
    problems: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    problems_count: int = 0
    basis: object = None  # the scan state it was made of: a frame carries the part over while that stays


def samples_part(state: ScanState | None, total: int) -> SamplesPart:
    """The Samples view's part of the frame, from the scan as far as it has got."""
    if state is None:
        return SamplesPart(None, 0, total, running=True)
    note = f"the scan stopped after {state.scanned:,} rows: {state.error}" if state.error else ""
    report = state.report
    if report is None:
        return SamplesPart(state.ranking, state.scanned, state.total, not state.done, note, basis=state)
    problems = report.problems[:MAX_PROBLEMS]
    return SamplesPart(state.ranking, state.scanned, state.total, not state.done, note,
                       f"over every row: {report.summary()}", tuple(f.message for f in problems), problems,
                       len(report.problems), basis=state)


# -- the Code view -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CodeFrame:
    """The network as the lesson's NumPy code, the current step's line lit.
    Written when first read: most steps never show the Code view."""

    basis: tuple
    plan: Plan
    sample_trace: SampleTrace
    cursor: int

    @cached_property
    def view(self) -> CodeView:
        from ..engine.code import code_view  # (imported with the first Code view)

        return code_view(self.plan, self.sample_trace, self.cursor)


def code_frame(s: Session, old: CodeFrame | None) -> CodeFrame:
    basis = (s.values_version, s.sample_index, s.plan, s.cursor)
    if old is not None and old.basis == basis:
        return old
    return CodeFrame(basis, s.plan, s.sample_trace, s.cursor)
