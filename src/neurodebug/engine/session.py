"""A debugging session: trace, cursor, breakpoints, watches and edits.

Everything a front end shows is a function of this state. Stepping moves an
integer cursor over the plan and never recomputes; an edit changes one number,
recomputes from the edited layer on, and returns what changed.
"""

from __future__ import annotations

import bisect
import copy
import time
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Callable, NamedTuple

import numpy as np
import numpy.typing as npt

from .findings import HealthReport
from .settings import DEFAULT_CONFIG, Settings
from .edits import DescentStep, Edit, EditResult
from .network import Network, Sample, Samples
from .kinds import Granularity, LossKind, StepKind, StopKind
from .norms import NormAt
from .plan import DOT, NORMALIZE, PER_LAYER, PER_NEURON, Plan, Step
from .trace import SampleTrace, StepDetail, Trace, trace_of
from .refs import NeuronRef
from . import backward_cursor as bc
from .backward_steps import BackStep
from .session_backward import BackwardPass, StopReason
from .session_edits import Editing
from .health import check_health
from .rows import RowSource, SamplesRows
from .watch import Watch, first_firing

if TYPE_CHECKING:  # annotations only: verify, the gradient check, the scan and explain load them when used
    from .explanation import Explanation
    from .diagnosis import VerifyReport
    from .gradcheck import NeuronCheck
    from .scan import DatasetScan


class ComputedHealth(NamedTuple):
    """A health report and what it is of (``Session.health_job``)."""

    version: int  # the session's values_version
    report: HealthReport
    seconds: float  # how long it took to compute


def _computed_health(version: int, trace: Trace, settings: Settings, loss: LossKind | None) -> ComputedHealth:
    start = time.perf_counter()
    report = check_health(trace, settings, loss)
    return ComputedHealth(version, report, time.perf_counter() - start)


START = -1  # the cursor before the first step: inputs loaded, nothing computed
EXPLAINED_KEPT = 2  # explanations Session.explain remembers (a big layer's are thousands of terms)


@dataclass(eq=False)
class Session(Editing, BackwardPass):
    network: Network
    granularity: Granularity = PER_NEURON
    sample_index: int = 0
    watches: list[Watch] = field(default_factory=list)
    settings: Settings = DEFAULT_CONFIG  # every threshold: health, step notes, watches
    verified: VerifyReport | None = None  # a learner's code (or recorded values) checked against the engine
    loss: LossKind | None = None  # the backward pass's loss; None: from the output activation
    # A dataset too big to trace at once: the session holds and traces the
    # row it shows alone (``sample_index`` is then 0; ``row`` says which).
    rows: RowSource | None = None

    def __post_init__(self) -> None:
        self._row = 0
        self.file_samples = self.network.samples  # what a save writes (with ``rows``: the model file's own)
        if self.rows is not None:
            if not len(self.rows):
                raise ValueError("the session needs at least one sample (an input)")
            self._row = self.sample_index % len(self.rows)
            self.sample_index = 0
            self.network.samples = self.rows.read(self._row)
        if not self.network.samples:
            raise ValueError("the session needs at least one sample (an input)")
        self.trace = trace_of(self.network)
        self.plan = Plan(self.network, self.granularity)
        self.granularity = self.plan.granularity
        self.cursor = START
        # Breakpoints are (layer, neuron); neuron None marks a whole layer.
        self.breakpoints: set[tuple[int, int | None]] = set()
        self.journal: list[Edit | DescentStep] = []
        self.redo_stack: list[Edit | DescentStep] = []
        self.last_result: EditResult | None = None
        self._saved: tuple[Edit | DescentStep, ...] = ()
        self.values_version = 0  # bumped by every edit, undo and redo, and by showing another of ``rows``
        self.edits_version = 0  # bumped by every edit, undo and redo alone
        self._health: tuple[int, HealthReport] | None = None
        self.health_s: float | None = None  # how long the last health report took to compute (None: none yet)
        # Session.explain's recent answers, by (values_version, sample_index, layer, neuron, settings)
        self._explained: dict[tuple[int, int, int, int, Settings], Explanation] = {}
        # Past the forward pass: the backward step the cursor stands on (None: in the forward pass)
        self.back_cursor: int | None = None
        # (what it is of, the steps, why there are none although the sample has a target)
        self._backward: tuple[tuple[object, ...], list[BackStep], str | None] | None = None
        # Session.neuron_check's recent answers, by (values_version, sample_index, loss, layer, neuron)
        self._checked: dict[tuple[object, ...], NeuronCheck | str] = {}

    @property
    def dirty(self) -> bool:
        """Do the edits in force differ from what was last saved?"""
        return tuple(self.journal) != self._saved

    def mark_saved(self) -> None:
        self._saved = tuple(self.journal)

    # -- what is shown --------------------------------------------------------
    @property
    def samples(self) -> Samples:
        return self.network.samples

    @property
    def sample(self) -> Sample:
        return self.network.samples[self.sample_index]

    @property
    def row(self) -> int:
        """The shown sample's row in the whole dataset (0-based)."""
        return self._row if self.rows is not None else self.sample_index

    @property
    def n_rows(self) -> int:
        """How many samples there are: with ``rows``, the whole dataset's."""
        return len(self.rows) if self.rows is not None else len(self.network.samples)

    def network_to_save(self) -> Network:
        """The network as a save writes it: with ``rows``, the samples the model
        file had (the dataset stays in its own file), else the session's."""
        if self.rows is None:
            return self.network
        return replace(self.network, samples=self.file_samples)

    @property
    def sample_trace(self) -> SampleTrace:
        return self.trace.sample(self.sample_index)

    @property
    def step(self) -> Step | None:
        return None if self.cursor == START else self.plan[self.cursor]

    def detail(self) -> StepDetail | None:
        step = self.step
        return None if step is None else self.sample_trace.detail(step, self.settings)

    def done(self, layer: int, neuron: int | None, kind: StepKind | str) -> bool:
        """Has the step computing (layer, neuron, kind) been executed?"""
        if self.cursor == START:
            return False
        return self.plan.index_of(layer, neuron, kind) <= self.cursor

    def done_mask(self, layer: int, kind: StepKind | str) -> npt.NDArray[np.bool_]:
        """``done(layer, j, kind)`` for every neuron j of the layer at once."""
        if self.cursor == START:
            return np.zeros(self.network.layers[layer].units, dtype=bool)
        return np.asarray(self.plan.indices(layer, kind) <= self.cursor)

    def value_done(self, layer: int, quantity: str) -> npt.NDArray[np.bool_]:
        """Per neuron: has the step that gives its ``z`` (what the activation
        takes: after a norm there) or its ``a`` (what the next layer takes)
        been executed?"""
        at = NormAt.Z if quantity == "z" else NormAt.A
        last = StepKind.BIAS if quantity == "z" else StepKind.ACTIVATE
        return self.done_mask(layer, StepKind.NORM if self.network.layers[layer].norm_step_at(at) else last)

    @property
    def at_end(self) -> bool:
        return self.cursor == len(self.plan) - 1

    # -- health ---------------------------------------------------------------
    def health(self) -> HealthReport:
        """The health report for the current values (recomputed after edits)."""
        if self._health is None or self._health[0] != self.values_version:
            self.take_health(_computed_health(self.values_version, self.trace, self.settings, self.loss))
        assert self._health is not None
        return self._health[1]

    def health_job(self) -> Callable[[], ComputedHealth]:
        """The health report of the current values, to compute in another
        thread (``Trace.detached``); ``take_health`` keeps what it computes
        if the values are still those, and drops it after an edit (which may
        have written into the weights it was reading)."""
        return partial(_computed_health, self.values_version, self.trace.detached(), self.settings, self.loss)

    def take_health(self, computed: ComputedHealth) -> bool:
        """Keep a computed report if it is of the current values and none is
        yet; else drop it (False)."""
        if computed.version != self.values_version or not self.health_pending:
            return False
        self._health = (computed.version, computed.report)
        self.health_s = computed.seconds
        return True

    @property
    def health_pending(self) -> bool:
        """Is the health report of the current values still to be computed?"""
        return self._health is None or self._health[0] != self.values_version

    def shown_health(self) -> HealthReport:
        """What a screen shows before ``health()`` is called again: the report
        of the current values when it is computed, else the last one computed
        (of the values before an edit), else an empty report. A screen draws
        an edit's result with it first and the new report a moment after."""
        if self._health is None:
            return HealthReport((), self.samples.names, self.settings)
        return self._health[1]

    def explain(self, layer: int, neuron: int) -> Explanation:
        """Why neuron (layer, neuron) of the current sample computes what it does."""
        # The screen explains the neuron it stands on at each of its steps:
        # keep the last few, until the values change.
        key = (self.values_version, self.sample_index, layer, neuron, self.settings)
        cached = self._explained.get(key)
        if cached is None:
            from .explain import explain  # (the first screen explains nothing)

            cached = explain(self.trace, self.sample_index, layer, neuron, self.settings)
            if len(self._explained) >= EXPLAINED_KEPT:
                self._explained.pop(next(iter(self._explained)))
            self._explained[key] = cached
        return cached

    def next_failing(self) -> tuple[int, int] | None:
        """Move to the next failing neuron of this sample after the cursor, in step
        order (wrapping round), standing on its last step so z and a show."""
        step = self.step
        after = None
        if step is not None and step.layer >= 0:
            after = (step.layer, step.neuron if step.neuron is not None else -1)
            # standing before the neuron's last step, it is still "next"
            if step.neuron is not None and self.cursor < self._group_end(self.cursor):
                after = (step.layer, step.neuron - 1)
        stop = self.health().next_failing(after, self.sample_index)
        if stop is None:
            return None
        l, j = stop
        if self.granularity == PER_LAYER:
            self.goto(self.plan.layer_end(l))
        else:
            self.goto(self._group_end(self.plan.index_of(l, j, DOT)))
        return stop

    def next_mismatch(self) -> tuple[int, int, int] | None:
        """Move to the next value the verified code got wrong — (sample,
        layer, neuron) after the current sample and neuron, wrapping round —
        standing on the neuron's last step so both values show."""
        if self.verified is None:
            return None
        found = self.verified.mismatches()
        if not found:
            return None
        step = self.step
        here = (self.sample_index, -1, -1)
        if step is not None and step.layer >= 0:
            here = (self.sample_index, step.layer, step.neuron if step.neuron is not None else -1)
            if step.neuron is not None and self.cursor < self._group_end(self.cursor):
                here = (self.sample_index, step.layer, step.neuron - 1)
        stop = next((m for m in found if m > here), found[0])
        row, l, j = stop
        if row != self.sample_index:
            self.set_sample(row)
        if self.granularity == PER_LAYER:
            self.goto(self.plan.layer_end(l))
        else:
            self.goto(self._group_end(self.plan.index_of(l, j, DOT)))
        return stop

    # -- moving -----------------------------------------------------------------
    def goto(self, k: int) -> int:
        self.back_cursor = None  # a move in the forward pass leaves the backward one
        self.cursor = max(START, min(k, len(self.plan) - 1))
        return self.cursor

    # -- the backward pass (engine/session_backward.py) ---------------------------------
    def step_on(self) -> bool:
        """One step on: through the forward pass, then into and through the
        backward one. False at the very end (nothing moved)."""
        if self.back_cursor is not None:
            if self.back_cursor + 1 >= len(self.backward_steps()):
                return False
            self.back_cursor += 1
            return True
        if not self.at_end:
            self.forward()
            return True
        if self.backward_steps():
            self.back_cursor = 0
            return True
        return False

    def step_back(self) -> bool:
        """One step back: in the backward pass, to the step before (from its
        first, to the end of the forward pass). False at the start."""
        if self.back_cursor is not None:
            if self.back_cursor == 0:
                self.back_cursor = None
            else:
                self.back_cursor -= 1
            return True
        if self.step is None:
            return False
        self.back()
        return True

    @property
    def at_last_step(self) -> bool:
        """Is there nothing further on: the end of the backward pass, or of a
        forward pass with no backward one after it?"""
        if self.back_cursor is not None:
            return self.back_cursor >= len(self.backward_steps()) - 1
        return self.at_end and not self.backward_steps()

    def forward(self, n: int = 1) -> int:
        return self.goto(self.cursor + n)

    def back(self, n: int = 1) -> int:
        return self.goto(self.cursor - n)

    def to_start(self) -> int:
        return self.goto(START)

    def to_end(self) -> int:
        """To the end of the pass: in the backward pass, of the backward pass."""
        if self.back_cursor is not None:
            self._back_to(len(self.backward_steps()) - 1)
            return self.cursor
        return self.goto(len(self.plan) - 1)

    def _group_end(self, k: int) -> int:
        """Last step of the neuron (or layer step) that step k belongs to."""
        step = self.plan[k]
        if step.kind == NORMALIZE:
            return k
        if step.neuron is None:
            return k if self.granularity == PER_NEURON else self.plan.layer_end(step.layer)
        return self.plan.index_of(step.layer, step.neuron, self.plan.neuron_kinds(step.layer)[-1])

    def next_neuron(self) -> int:
        """Finish the current neuron; if it is finished, finish the next one."""
        if self.back_cursor is not None:
            self._back_to(self._back_end(bc.group_end))
            return self.cursor
        if self.at_end:  # a labelled sample goes on into the backward pass
            if self.backward_steps():
                self._back_to(bc.group_end(self.backward_steps(), 0))
            return self.cursor
        k = self.cursor + 1
        return self.goto(self._group_end(k))

    def next_layer(self) -> int:
        """Finish the current layer; if it is finished, finish the next one."""
        if self.back_cursor is not None:
            self._back_to(self._back_end(bc.layer_end))
            return self.cursor
        if self.at_end:
            if self.backward_steps():
                self._back_to(bc.layer_end(self.backward_steps(), 0))
            return self.cursor
        step = self.plan[self.cursor + 1]
        if step.kind == NORMALIZE:
            return self.goto(0)
        return self.goto(self.plan.layer_end(step.layer))

    def goto_neuron(self, layer: int, neuron: int | None = None) -> int:
        """Jump to the first step of a neuron (or of a layer)."""
        return self.goto(self.plan.index_of(layer, neuron, DOT))

    def set_granularity(self, granularity: Granularity | str) -> None:
        """Switch plans, keeping the position: same layer, neuron and kind."""
        if granularity == self.granularity:
            return
        back = self.back_step
        step = self.step
        self.plan = Plan(self.network, granularity)
        self.granularity = self.plan.granularity
        if step is None:
            self.cursor = START
            return
        if back is not None:  # the same layer and operation of the backward pass
            self._back_to(bc.matching(self.backward_steps(), back, self.network.layers[back.layer].units))
        neuron = step.neuron
        if granularity == PER_NEURON and neuron is None and step.kind != NORMALIZE:
            # A whole-layer step maps to the layer's last neuron of that kind,
            # so everything the layer step had computed stays computed.
            neuron = self.network.layers[step.layer].units - 1
        self.cursor = self.plan.index_of(step.layer, neuron, step.kind)

    def toggle_granularity(self) -> str:
        self.set_granularity(PER_LAYER if self.granularity == PER_NEURON else PER_NEURON)
        return self.granularity

    def set_sample(self, i: int) -> None:
        """Show another sample (with ``rows``: row ``i`` of the whole dataset,
        read and traced now); the cursor keeps its place in the plan."""
        if self.rows is None:
            self.sample_index = i % len(self.samples)
            return
        i %= len(self.rows)
        if i == self._row:
            return
        self.network.samples = self.rows.read(i)
        self.trace = trace_of(self.network)
        self._row = i
        self.last_result = None  # it was about the row shown before
        # The values held are another row's: every cache keyed on the values
        # (health, explanations, checks, the backward steps, a screen's parts) renews.
        self.values_version += 1

    def scan(self) -> DatasetScan:
        """A scan of every sample (of ``rows``, or the session's own) with the
        values as they are now: it reads copies (of the network, and of the
        samples, which edits may change), so edits made meanwhile do not reach
        it. The session's own samples get no health report from it:
        ``health()`` is that report."""
        from .scan import DatasetScan  # not on every session's path

        empty = Samples(np.zeros((0, self.network.n_inputs)))
        network = copy.deepcopy(replace(self.network, samples=empty))
        if self.rows is not None:
            return DatasetScan(network, self.rows, self.settings, self.loss, self.edits_version)
        own = SamplesRows(self.samples.take(np.arange(len(self.samples))), "the samples")
        return DatasetScan(network, own, self.settings, self.loss, self.edits_version, checked=False)

    # -- breakpoints and continue ----------------------------------------------------
    def toggle_breakpoint(self, layer: int | None = None, neuron: int | None = None) -> bool:
        """Toggle a breakpoint (default: the current neuron). True if now set."""
        if layer is None:
            step = self.step if self.step is not None else self.plan[0]
            if step.kind == NORMALIZE:
                step = self.plan[1] if len(self.plan) > 1 else step
            layer, neuron = step.layer, step.neuron
        key = (layer, neuron)
        if key in self.breakpoints:
            self.breakpoints.remove(key)
            return False
        self.breakpoints.add(key)
        return True

    def has_breakpoint(self, layer: int, neuron: int | None) -> bool:
        return (layer, neuron) in self.breakpoints or (layer, None) in self.breakpoints

    def breakpoint_at(self, layer: int, neuron: int | None) -> bool:
        """Does a breakpoint stop here: on the neuron or its layer; a whole-layer step, on any of its neurons?"""
        if neuron is None:
            return any(l == layer for l, _ in self.breakpoints)
        return self.has_breakpoint(layer, neuron)

    def _breakpoint_steps(self) -> list[int]:
        steps = set()
        for layer, neuron in self.breakpoints:
            if layer < len(self.network.layers):
                steps.add(self.plan.index_of(layer, neuron, DOT))
        return sorted(steps)

    def continue_(self) -> StopReason:
        """Run to the next breakpoint or firing watch after the cursor, else
        the end; from the end of the forward pass of a labelled sample, and in
        the backward pass, through the backward pass."""
        if self.back_cursor is not None or (self.at_end and self.backward_steps()):
            return self._continue_backward()
        start = self.cursor + 1
        if start >= len(self.plan):
            return StopReason(StopKind.END, "already at the end of the pass")
        bps = self._breakpoint_steps()
        i = bisect.bisect_left(bps, start)
        bp = bps[i] if i < len(bps) else None
        fired = self.first_firing(start, limit=bp)
        if fired is not None:
            self.goto(fired[0])
            return StopReason(StopKind.WATCH, fired[1])
        if bp is not None:
            self.goto(bp)
            step = self.plan[bp]
            return StopReason(StopKind.BREAKPOINT, f"breakpoint at {self._where(step)}")
        self.to_end()
        return StopReason(StopKind.END, "reached the end of the pass")

    def _where(self, step: Step) -> str:
        return NeuronRef(step.layer, step.neuron).label(self.network)

    def first_firing(self, start: int, limit: int | None = None) -> tuple[int, str] | None:
        """The first step ≥ start (and < limit) where a watch holds on the
        current sample, with why."""
        return first_firing(self.watches, self.plan, self.sample_trace, self.settings, start, limit)

