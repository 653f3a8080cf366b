"""The Session's edits: one number at a time, a sample's label, gradient
descent, undo and redo — each recomputes from the first layer it changes and
returns what changed (``EditResult``); and the gradient check of one neuron.

A part of ``Session`` (which inherits it), kept apart so each reads in one
sitting.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .edits import DescentStep, Edit, EditError, EditResult, OutputChange, Target, differs
from .kinds import LossKind, TargetKind
from .network import Network, Sample, Samples
from .numbers import quiet
from .outputs import predicted_class
from .sample_targets import set_target, target_value
from .trace import SampleTrace, Trace
from .rows import RowSource

if TYPE_CHECKING:
    from collections.abc import Callable

    from .descent import Descent
    from .gradcheck import NeuronCheck


CHECKS_KEPT = 2  # neuron checks remembered: the one shown and the one before


LayerRows = dict[int, tuple[np.ndarray, np.ndarray]]  # layer → one row's (z, a)


class Editing:
    """What the Session knows of edits (it declares the rest)."""

    network: Network
    trace: Trace
    sample_index: int
    loss: LossKind | None
    values_version: int
    edits_version: int
    journal: list[Edit | DescentStep]
    redo_stack: list[Edit | DescentStep]
    last_result: EditResult | None
    _checked: dict[tuple[object, ...], NeuronCheck | str]
    rows: RowSource | None

    if TYPE_CHECKING:  # the Session's own
        @property
        def samples(self) -> Samples: ...

        @property
        def sample(self) -> Sample: ...

        @property
        def sample_trace(self) -> SampleTrace: ...

    # -- edits --------------------------------------------------------------------
    def value_of(self, target: Target) -> float:
        target.check(self.network)
        if target.kind == TargetKind.TARGET:
            return target_value(self.network, self.sample_index, target)
        if target.kind == TargetKind.INPUT:
            return float(self.trace.x_raw[self.sample_index, target.index])
        if target.kind == TargetKind.NORM:
            arr, idx = self.array_of(target)
            return float(arr[idx])
        layer = self.network.layers[target.layer]
        if target.kind == TargetKind.BIAS:
            return float(layer.b[target.neuron])
        return float(layer.W[target.index, target.neuron])

    def array_of(self, t: Target) -> tuple[np.ndarray, tuple[int, ...]]:
        """The array a parameter target lives in, and its index there."""
        if t.kind == TargetKind.NORM:
            norm = t.norm(self.network)
            assert norm is not None  # t.check passed
            return norm.param(t.param), (t.norm_element(),)
        layer = self.network.layers[t.layer]
        if t.kind == TargetKind.BIAS:
            return layer.b, (t.neuron,)
        return layer.W, (t.index, t.neuron)

    def dtype_of(self, target: Target) -> np.dtype:
        """The dtype ``target``'s value is kept in: its array's (an input's,
        the samples'); a label or expected output is a float64."""
        if target.kind == TargetKind.TARGET:
            return np.dtype(np.float64)
        if target.kind == TargetKind.INPUT:
            return self.trace.x_raw.dtype
        return self.array_of(target)[0].dtype

    def _stored(self, target: Target, value: float) -> float:
        """``value`` as ``target``'s array would keep it (a float32 weight's
        0.1 is the float32 nearest it; past float32, ∞)."""
        with quiet():
            return float(self.dtype_of(target).type(value))

    def unchanged(self, target: Target, value: float) -> bool:
        """Would ``value`` leave ``target`` as it is? Compared as its array
        keeps it (a float32 weight typed back as the 0.1 it shows is the
        float32 it holds), NaN as NaN. A finite value its dtype cannot hold
        is a change (that ``edit`` refuses), not the ∞ it would round to."""
        stored = self._stored(target, value)
        if math.isfinite(value) and not math.isfinite(stored):
            return False
        return not bool(differs(np.asarray(self.value_of(target)), np.asarray(stored)))

    def check_editable(self, target: Target) -> None:
        """Raise EditError when ``target`` cannot be edited in this session: a
        sample's inputs and label, when the samples are rows read one at a time."""
        if target.kind in (TargetKind.INPUT, TargetKind.TARGET) and self.rows is not None:
            raise EditError(f"{target.label()}: the samples are rows of {self.rows.name}, read one at a time "
                            f"({len(self.rows):,} rows): they are not edited here; weights, biases and norms are")

    def check_descent(self) -> None:
        """Raise EditError when gradient descent cannot run here: it is over
        every labelled sample, and rows read one at a time are not in memory."""
        if self.rows is not None:
            raise EditError(f"gradient descent is over every labelled sample, and the {len(self.rows):,} rows of "
                            f"{self.rows.name} are read one at a time here: descend on a file of fewer rows")

    def edit(self, target: Target, value: float) -> EditResult:
        """Set one number and recompute from its layer on."""
        value = float(value)
        if not np.isfinite(value) and target.kind == TargetKind.INPUT:
            # The network file holds inputs as finite numbers only: saved, it would not read back.
            raise EditError(f"{target.label()}: an input must be a finite number (NaN and ∞ go in a weight or bias)")
        old = self.value_of(target)
        norm = target.norm(self.network) if target.kind == TargetKind.NORM else None
        why = norm.check_value(target.param, value) if norm is not None else None
        if why is not None:
            raise EditError(f"{target.label()}: {why}")
        self.check_editable(target)
        per_sample = target.kind in (TargetKind.INPUT, TargetKind.TARGET)
        result = self._apply(Edit(target, old, value, self.sample_index if per_sample else -1))
        self.journal.append(result.edit)
        self.redo_stack.clear()
        return result

    def undo(self) -> EditResult | None:
        if not self.journal:
            return None
        edit = self.journal.pop()
        result = self._apply(edit.inverse(), undone=True)
        self.redo_stack.append(edit)
        return result

    def redo(self) -> EditResult | None:
        if not self.redo_stack:
            return None
        edit = self.redo_stack.pop()
        result = self._apply(edit)
        self.journal.append(result.edit)
        return result

    # -- gradient descent -------------------------------------------------------------
    def descend(self, lr: float, steps: int = 1) -> EditResult:
        """``steps`` full-batch steps of gradient descent on the mean loss over
        the labelled samples (``self.loss``, else the output's), as one
        undoable edit; nothing changes when a step is not finite."""
        return self.apply_descent(self.descent(lr, steps))

    def descent(self, lr: float, steps: int = 1, progress: Callable[[int], bool] | None = None) -> Descent:
        """The steps of ``descend`` worked out and not applied (EditError when
        they cannot be taken): on copies of the weights, read at the start, so
        it may run in a thread while nothing edits the session. ``progress``:
        as ``descent.descend``'s (DescentStopped when it says stop)."""
        self.check_descent()
        targets = self.samples.targets()
        if targets is None:
            raise EditError("no sample has a label or an expected output: there is no loss to descend")
        rows, y = targets
        from . import descent

        try:  # the trace's x: the raw inputs through the input normalisation, the first layer's input
            return descent.descend(self.network, self.trace.x[rows], y, self.loss, lr, steps, progress)
        except ValueError as exc:
            raise EditError(str(exc)) from None

    def apply_descent(self, done: Descent) -> EditResult:
        """Apply what ``descent`` worked out, as one undoable edit."""
        net = self.network
        old = tuple((layer.W.copy(), layer.b.copy()) for layer in net.layers)
        norms_old = tuple({p: layer.norm.param(p).copy() for p in new} if layer.norm is not None else {}
                          for layer, new in zip(net.layers, done.norms))
        step = DescentStep(done.lr, old, done.new, done.loss, done.loss_before, done.losses[-1], done.rows,
                           self.sample_index, len(done.losses), done.losses, norms_old, done.norms)
        result = self._apply(step)
        self.journal.append(step)
        self.redo_stack.clear()
        return result

    # -- the gradient check of one neuron ------------------------------------------------
    def neuron_check(self, layer: int, neuron: int) -> NeuronCheck | str | None:
        """The current sample's gradient check of one neuron's weights and bias
        (``gradcheck.neuron_check``), or why there is none (a string); None
        when the sample has no label or expected output."""
        target = self.sample.target
        if target is None:
            return None
        key = (self.values_version, self.sample_index, self.loss, layer, neuron)
        if key not in self._checked:
            from .gradcheck import neuron_check

            try:
                found: NeuronCheck | str = neuron_check(self.network, self.sample_trace.x[None, :],
                                                        np.asarray(target)[None, ...], layer, neuron, self.loss)
            except ValueError as exc:
                found = str(exc)
            if len(self._checked) >= CHECKS_KEPT:
                self._checked.pop(next(iter(self._checked)))
            self._checked[key] = found
        return self._checked[key]

    def _apply_descent(self, edit: DescentStep, undone: bool) -> EditResult:
        row = self.sample_index
        old_outputs = self.trace.outputs
        for layer, (W, b) in zip(self.network.layers, edit.new):
            layer.W[...] = W
            layer.b[...] = b
        for layer, params in zip(self.network.layers, edit.norms_new):
            for name, value in params.items():  # a batch norm's γ and β
                assert layer.norm is not None
                layer.norm.param(name)[...] = value
        before, after = self._recomputed(0, row)
        return self._applied(EditResult(edit, undone, row, before, after, self._output_changes(old_outputs)))

    def _apply(self, edit: Edit | DescentStep, undone: bool = False) -> EditResult:
        if isinstance(edit, DescentStep):
            return self._apply_descent(edit, undone)
        t = edit.target
        row = edit.sample if t.kind in (TargetKind.INPUT, TargetKind.TARGET) else self.sample_index
        if t.kind == TargetKind.TARGET:  # the loss changes, no value of the pass
            set_target(self.network, row, t, edit.new)
            self.sample_index = row
            return self._applied(EditResult(edit, undone, row, {}, {}, ()))
        old_outputs = self.trace.outputs
        if t.kind == TargetKind.INPUT:
            if not math.isfinite(self._stored(t, edit.new)):
                raise EditError(f"{t.label()}: {edit.new:g} does not fit in {self.trace.x_raw.dtype}")
            self.trace.set_input(row, t.index, edit.new)
            self.network.samples.with_input(row, t.index, edit.new)
            stored = float(self.trace.x_raw[row, t.index])
        else:
            arr, idx = self.array_of(t)
            stored = self._stored(t, edit.new)  # what float32 weights really hold
            if math.isfinite(edit.new) and not np.isfinite(stored):
                raise EditError(f"{t.label()}: {edit.new:g} does not fit in {arr.dtype} (it would be {stored})")
            arr[idx] = stored
        before, after = self._recomputed(t.first_layer, row)
        self.sample_index = row
        return self._applied(EditResult(replace(edit, new=stored), undone, row, before, after,
                                        self._output_changes(old_outputs)))

    def _recomputed(self, first_layer: int, row: int) -> tuple[LayerRows, LayerRows]:
        """Recompute the trace from ``first_layer`` on: row ``row``'s (z, a)
        of each recomputed layer before and after."""
        snap = self.trace.recompute(first_layer)
        before = {l: (v.z[row], v.a[row]) for l, v in snap.layers.items()}
        after = {l: (self.trace.values[l].z[row], self.trace.values[l].a[row]) for l in snap.layers}
        return before, after

    def _applied(self, result: EditResult) -> EditResult:
        """An edit, undo or redo made: the last result, and every cache keyed on the values renews."""
        self.last_result = result
        self.values_version += 1
        self.edits_version += 1
        return result

    def _output_changes(self, old_outputs: np.ndarray) -> tuple[OutputChange, ...]:
        new_outputs = self.trace.outputs
        changes = []
        moved = differs(old_outputs, new_outputs)
        for i in np.flatnonzero(moved.any(axis=1)):
            o, n = old_outputs[i], new_outputs[i]
            changes.append(
                OutputChange(int(i), o, n, predicted_class(self.network, o), predicted_class(self.network, n))
            )
        return tuple(changes)
