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

The Network pane's part is in ``network_section.py``, the Arrays pane's
(and the selection) in ``arrays_section.py``, the Operation pane's, the
Trace's and the side views' in ``sections.py``; none of them imports
Textual or Rich (styles are Rich style names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine import ACTIVATE, DOT, NORM, Session
from ..engine.kinds import StepKind, StopKind
from ..engine.refs import NeuronRef
from ..engine.numbers import fmt, fmt_operand
from .arrays_section import ArrayRow, ArraysFrame, MatrixFrame, Selection, VectorRow, arrays_frame
from .fit import fit_pieces
from .network_section import NetworkFrame, network_frame
from .sections import (
    ChangesFrame, CodeFrame, JournalFrame, OperationFrame, Piece, ProblemsFrame, SamplesPart, TraceFrame,
    TraceLines, changes_frame, code_frame, journal_frame, operation_frame, problems_frame, samples_part,
)

if TYPE_CHECKING:
    from ..engine.explanation import Explanation
    from ..engine.scan import ScanState

__all__ = ["ArrayRow", "ArraysFrame", "Frame", "MatrixFrame", "Selection", "VectorRow", "build_frame",
           "fit_status", "status_pieces", "summary_lines", "why_lines", "why_pieces"]


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
    code: CodeFrame
    samples: SamplesPart  # the scan of every sample: the samples that matter most


def build_frame(session: Session, selection: Selection, previous: Frame | None = None, *,
                name: str | None = None, selection_request: int = 0, fresh: bool = False,
                scan: ScanState | None = None) -> Frame:
    """What the panes show now. Parts whose inputs are unchanged since
    ``previous`` are carried over (with their stamps) unless ``fresh``.
    ``scan``: how far the scan of every sample has got (None: not begun)."""
    s = session
    version = previous.version + 1 if previous is not None else 1
    old = None if fresh else previous
    epoch = version if old is None else old.epoch
    report = s.shown_health()
    network = network_frame(s, version, old.network if old else None)
    side = (s.values_version, s.sample_index, len(s.journal), len(s.redo_stack), s.dirty)
    checked = (*side, s.health_pending)  # Problems shows the report: renewed when it comes
    trace_basis = (s.values_version, s.sample_index, s.plan)
    trace_lines = old.trace.lines if old and old.trace.lines.basis == trace_basis else None
    return Frame(
        version=version,
        epoch=epoch,
        selection=selection,
        selection_request=selection_request,
        status=status_pieces(s, name or s.network.name, len(network.values.failing)),
        network=network,
        operation=operation_frame(s, () if s.in_backward else verify_pieces(s) + why_pieces(s)),
        arrays=arrays_frame(s, selection, network.z_done, network.a_done),
        trace=TraceFrame(trace_lines or TraceLines(version, trace_basis, s.plan, s.sample_trace, s.settings),
                         s.cursor + 1, s.cursor),
        changes=old.changes if old and old.changes.basis == side else changes_frame(s, version, side),
        journal=(old.journal if old and old.journal.basis == side
                 else journal_frame(s, version, side, old.journal if old else None)),
        problems=old.problems if old and old.problems.basis == checked else problems_frame(s, report, version, checked),
        code=code_frame(s, old.code if old else None),
        samples=old.samples if old and scan is not None and old.samples.basis is scan else samples_part(scan, s.n_rows),
    )


def status_pieces(s: Session, name: str, failing_here: int) -> tuple[Piece, ...]:
    """The status line, most important first: what must not be missed
    (unsaved edits, failing neurons, a breakpoint or watch that holds here),
    then where you are (file, step, sample), then the rest. Pieces after the
    first carry their " · "; ``fit_status`` keeps as many as fit, whole."""
    alerts: list[Piece] = []
    if s.dirty:
        n = len(s.journal)
        alerts.append((f"● {n} edit{'s' if n != 1 else ''} unsaved", "bold yellow"))
    report = s.shown_health()
    if not report.ok:
        if failing_here:
            alert = f"✗ {failing_here} failing here"
        elif any(f.is_problem for f in report.for_sample(s.sample_index)):
            alert = "✗ problems here"  # of the sample's own, no neuron's: its output is wrong
        else:
            alert = "✗ problems in other samples"
        alerts.append((alert, "yellow"))
    if s.health_pending:
        alerts.append(("checking…", "dim"))
    alerts += _stop_here(s)
    where = (f"backward {s.back_cursor + 1}/{len(s.backward_steps())}" if s.back_cursor is not None
             else f"step {s.cursor + 1}/{len(s.plan)}")
    first = [*alerts, (name, "bold cyan"), (where, "")]
    out: list[Piece] = [(text if k == 0 else f" · {text}", style) for k, (text, style) in enumerate(first)]
    # What is armed (breakpoints, watches) before the sample's name, which may be long.
    if s.breakpoints:
        n = len(s.breakpoints)
        out.append((f" · {n} breakpoint{'s' if n > 1 else ''}", "red"))
    if s.watches:
        out.append((" · watch " + ", ".join(w.label() for w in s.watches), "magenta"))
    out += [(f" · sample {s.row + 1:,}/{s.n_rows:,}", ""), (f" \"{s.sample.name}\"", ""),
            (f" · per {s.granularity}", "")]
    return tuple(out)


def _stop_here(s: Session) -> list[Piece]:
    """A breakpoint or a watch that holds at the current step (where ``c`` stops)."""
    if s.in_backward:
        stop, back = s.back_stop_here(), s.back_step
        if stop is None or back is None:
            return []
        if stop[0] == StopKind.BREAKPOINT:
            return [(f"● breakpoint {NeuronRef(back.layer, back.neuron).short}", "bold red")]
        return [(f"◆ {stop[1]}", "bold magenta")]
    step = s.step
    if step is None:
        return []
    out: list[Piece] = []
    if step.layer >= 0 and step.kind == DOT and s.has_breakpoint(step.layer, step.neuron):
        where = f"L{step.layer + 1}" + (f".N{step.neuron + 1}" if step.neuron is not None else "")
        out.append((f"● breakpoint {where}", "bold red"))
    fired = s.first_firing(s.cursor, limit=s.cursor + 1)
    if fired is not None:
        out.append((f"◆ {fired[1]}", "bold magenta"))
    return out


def fit_status(pieces: tuple[Piece, ...], width: int) -> tuple[Piece, ...]:
    """The status in ``width`` cells: whole pieces, the least important
    (last) left out first; nothing cut in the middle."""
    return fit_pieces(pieces, width)


# -- --verify: their value beside ours ---------------------------------------------------------
def verify_pieces(s: Session) -> tuple[Piece, ...]:
    """What the verified code gave for the current neuron (or layer) beside
    ours, ✓ or ✗, once the step that computes it has run; at the first
    difference, the diagnosis."""
    report, step = s.verified, s.step
    if report is None or step is None or step.layer < 0:
        return ()
    f, check = report.shown(), report.layer_check(step.layer)
    if f is None or check is None:
        return ()
    row, l = s.sample_index, step.layer
    if row >= check.theirs.shape[0] or not check.returned[row]:
        return ((f"{f.name} returned nothing for this sample", "yellow"),)
    done = s.value_done(l, check.quantity)
    q = check.quantity
    if step.neuron is not None:
        j = step.neuron
        if not done[j]:
            return ()
        theirs, ours = float(check.theirs[row, j]), float(check.ours[row, j])
        name = f"{q}{l + 1}_{j + 1}"
        if not check.mismatch[row, j]:
            return ((f"{f.name} gave {name} = {fmt(theirs)} ✓", "green"),)
        out: list[Piece] = [(f"{f.name} gave {name} = {fmt(theirs)} ✗ (ours {fmt(ours)})", "bold red")]
        d = f.divergence
        if d is not None and (d.sample, d.layer, d.neuron) == (row, l, j) and f.diagnosis is not None:
            out.append((f"  {f.diagnosis.text}", "red"))
        return tuple(out)
    if not done.all():
        return ()
    bad = [j for j in range(check.mismatch.shape[1]) if check.mismatch[row, j]]
    if not bad:
        return ((f"{f.name} gave {q}{l + 1}: every neuron agrees ✓", "green"),)
    names = ", ".join(f"{q}{l + 1}_{j + 1}" for j in bad[:6]) + (" …" if len(bad) > 6 else "")
    return ((f"{f.name} gave {q}{l + 1}: {len(bad)} of {check.mismatch.shape[1]} differ ✗ ({names}); f goes to them",
             "bold red"),)


# -- why the current neuron fails ------------------------------------------------------------
def why_pieces(s: Session) -> tuple[Piece, ...]:
    """The explanation of the current neuron, when it fails (or is noted) for
    this sample, told only as far as the step has got: a learner predicting
    z or a is not shown it before its step (``why_lines``)."""
    step = s.step
    if step is None or step.neuron is None or step.layer < 0:
        return ()
    found = [f for f in s.shown_health().for_neuron(step.layer, step.neuron) if s.sample_index in f.samples]
    if not found:
        return ()
    if any(f.is_problem for f in found):
        out: list[Piece] = [("why this neuron fails (x explains):", "bold yellow")]
    else:
        out = [("a note, not a problem (x explains):", "bold")]
        out += [(f"  {verdict}", "dim") for verdict in dict.fromkeys(f.verdict for f in found if f.verdict)]
    e = s.explain(step.layer, step.neuron)
    lines = why_lines(e, step.kind)
    out += [("  " + line, "") for line in lines]
    if len(lines) < len(summary_lines(e)):
        out.append(("  (more once z and a are computed)" if step.kind == DOT else "  (more once a is computed)", "dim"))
    return tuple(out)


def summary_lines(e: Explanation) -> tuple[str, ...]:
    """An Explanation in brief, as the engine writes it: its z line and one
    line per finding (no table of terms; the step already says where)."""
    return e.summary


# What a line of the summary tells, by how it starts: shown from the step
# that computes it. A line not listed here waits for the activation.
KNOWN_AT_DOT = ("dominant term:",)
KNOWN_AT_BIAS = ("not finite:", "exploding:", "dead ReLU:", "fix:", "the inputs are not normalised",
                 "with one sample there is no spread")


def why_lines(e: Explanation, kind: StepKind | str) -> tuple[str, ...]:
    """The summary of ``e`` as far as a step of ``kind`` has computed: at the
    dot product the terms (z = w·x + b without its sum), at the bias z (no a),
    at the activation all of it. No value is shown before its step."""
    lines = summary_lines(e)
    # a norm after the activation (no z' in e) comes when everything is known
    if kind == ACTIVATE or (kind == NORM and e.zsum is None) or not lines:
        return lines
    inp = "x" if e.layer == 0 else f"a{e.layer}"
    head = f"z = w·{inp} + b = {fmt(e.zdot)} + {fmt_operand(e.bias)}"
    if kind == DOT:
        known: tuple[str, ...] = KNOWN_AT_DOT
        first = head + " = ?"
    elif e.zsum is None:
        known = KNOWN_AT_DOT + KNOWN_AT_BIAS
        first = f"{head} = {fmt(e.z)}"
    else:  # the bias, then the norm before the activation
        known = KNOWN_AT_DOT + KNOWN_AT_BIAS
        first = f"{head} = {fmt(e.zsum)}" + (f";  z' = {e.norm_title}(z) = {fmt(e.z)}" if kind == NORM else "")
    # "a1_2 comes from layer 1, neuron 2: saturated": the dominant input's trouble, an earlier layer's
    upstream = f"{e.dominant.name} comes from "
    return (first, *(line for line in lines[1:] if line.startswith((*known, upstream))))
