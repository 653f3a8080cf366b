"""The Network pane's part of a Frame: a row per input, layer and neuron,
the sample's numbers, and per neuron what is computed and flagged.

Whatever is per neuron is a NumPy array (a 4096-unit layer costs no Python
loop); the sample's numbers and the rows are carried over from frame to
frame until the values, the sample or the last edit change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..engine import NORMALIZE, Network, Session
from ..engine.edits import INPUT, Edit, EditResult, ValueChange
from ..engine.numbers import fmt_fit
from .fit import cells, shorten_names

INPUTS, INPUT_ROW, LAYER, NEURON, CHANGE, THEIRS = range(6)  # the kinds of row
NAME_MAX = 16  # cells an input's or a neuron's name may take; longer ones are shortened visibly
NUMBER = 6  # cells of z and a (and of an input's value): numbers are fitted, never cut


# -- what it shows ---------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LayerInfo:
    name: str
    activation: str  # what follows x·W + b: "relu", or "batch norm → relu"
    units: int
    neuron_name: Callable[[int], str]


@dataclass(frozen=True, eq=False)
class NetworkRows:
    """One row per input, layer and neuron, plus an old → new row under each
    neuron the last edit changed in this sample: NumPy columns, so a
    4096-unit layer costs no Python loop."""

    kind: np.ndarray  # per row: INPUTS, INPUT_ROW, LAYER, NEURON, CHANGE or THEIRS (--verify: their differing value)
    layer: np.ndarray
    index: np.ndarray  # the input or neuron of the row
    layer_row: tuple[int, ...]  # the header row of each layer
    neuron_row: tuple[np.ndarray, ...]  # per layer: the row of each neuron

    def row_of(self, layer: int, neuron: int | None) -> int:
        """The row of a neuron (None: of the layer's header)."""
        if neuron is None:
            return self.layer_row[layer]
        return int(self.neuron_row[layer][neuron])


@dataclass(frozen=True, eq=False)
class SampleValues:
    """The current sample's numbers and what was last changed in it: built
    again only when the values, the sample or the last edit change."""

    stamp: int
    basis: tuple
    x_raw: np.ndarray
    x: np.ndarray
    z: tuple[np.ndarray, ...]
    a: tuple[np.ndarray, ...]
    failing: frozenset[tuple[int, int]]  # neurons with a problem in this sample
    noted: frozenset[tuple[int, int]]  # neurons with only notes in this sample
    edit: EditResult | None  # the last edit, when it was made in this sample
    input_was: tuple[int, float] | None  # (input, old value) when the last edit set an input here
    rows: NetworkRows
    verified: Mapping[tuple[int, int], bool] = field(default_factory=dict)  # --verify: their value agrees (✓) or not (✗)
    theirs: Mapping[tuple[int, int], tuple[str, float]] = field(default_factory=dict)  # differing: (quantity, their value)

    def was(self, layer: int, neuron: int) -> tuple[ValueChange | None, ValueChange | None]:
        """z and a of a neuron before the last edit (None where they did not change)."""
        if self.edit is None:
            return None, None
        return self.edit.changed(layer, neuron, "z"), self.edit.changed(layer, neuron, "a")


@dataclass(frozen=True, eq=False)
class NetworkFrame:
    n_inputs: int
    normalised: bool
    feature_name: Callable[[int], str]  # shortened to ``name_width`` where longer (``shorten_names``)
    layers: tuple[LayerInfo, ...]  # their ``neuron_name`` shortened the same way
    values: SampleValues
    x_done: bool  # the normalisation step has run
    z_done: tuple[np.ndarray, ...]  # per layer, per neuron: z computed
    a_done: tuple[np.ndarray, ...]  # per layer, per neuron: a computed
    current: tuple[int, int | None] | None  # (layer, neuron or None: the layer) of the step; None: the inputs
    breakpoints: frozenset[tuple[int, int | None]]
    name_width: int = NAME_MAX  # the widest name shown, at most NAME_MAX cells
    number_width: int = NUMBER
    width: int = 0  # the cells a row takes at most: what the pane asks for (CSS width: auto)
    _names: _Names | None = None  # carried over to the next frame
    verifying: bool = False  # --verify: a ✓/✗ column after a
    lit_layer: int | None = None  # a whole layer lit: a per-layer step of the backward pass

    @property
    def current_row(self) -> int:
        if self.current is None:
            return 0
        return self.values.rows.row_of(*self.current)

    def number(self, value: float) -> str:
        """A value of the pane in its column: the most precise form that fits
        ``number_width`` cells (``fmt_fit``), never cut."""
        return fmt_fit(value, self.number_width)


@dataclass(frozen=True, eq=False)
class _Names:
    """The names the pane shows, shortened once per network (a 4096-unit
    layer's default names n1 … n4096 are written when read)."""

    feature_name: Callable[[int], str]
    layers: tuple[LayerInfo, ...]
    name_width: int
    width: int


def _names(net: Network) -> _Names:
    features = shorten_names([net.feature_name(i) for i in range(net.n_inputs)], NAME_MAX)
    widest = max(cells(name) for name in features)
    infos = []
    heads = [cells(f"inputs ({net.n_inputs}) → normalised x'")]
    for l, layer in enumerate(net.layers):
        ops = layer.operations
        if layer.neuron_names:
            short = shorten_names(layer.neuron_names, NAME_MAX)
            widest = max(widest, *(cells(name) for name in short))
            infos.append(LayerInfo(layer.name, ops, layer.units, short.__getitem__))
        else:
            widest = max(widest, len(f"n{layer.units}"))
            infos.append(LayerInfo(layer.name, ops, layer.units, layer.neuron_name))
        heads.append(cells(f" L{l + 1} {layer.name} · {ops} · {layer.units} units"))
    # a neuron's row: breakpoint, flag, space, name, " z", number, " a", number (each number after a space)
    rows = 3 + widest + 2 * (2 + 1 + NUMBER)
    return _Names(features.__getitem__, tuple(infos), widest, max(rows, *heads))


# -- read off the session ---------------------------------------------------------------
def network_frame(s: Session, version: int, old: NetworkFrame | None) -> NetworkFrame:
    net = s.network
    result = s.last_result if s.last_result is not None and s.last_result.sample == s.sample_index else None
    basis = (s.values_version, s.sample_index, result, s.health_pending)  # the flags come with the report
    if old is not None and old.values.basis[:2] == basis[:2] and old.values.basis[2] is result \
            and old.values.basis[3] == basis[3]:
        values = old.values
    else:
        values = _sample_values(s, version, basis, result)
    names = old._names if old is not None and old._names is not None else _names(net)
    step, back = s.step, s.back_step
    lit = None
    if back is not None:  # the neuron the backward step is about (per layer: the whole layer)
        current: tuple[int, int | None] | None = (back.layer, back.neuron)
        lit = back.layer if back.neuron is None else None
    else:
        current = None if step is None or step.kind == NORMALIZE else (step.layer, step.neuron)
    return NetworkFrame(
        n_inputs=net.n_inputs, normalised=net.normalization is not None,
        feature_name=names.feature_name, layers=names.layers, values=values,
        x_done=s.done(-1, None, NORMALIZE),
        z_done=tuple(s.value_done(l, "z") for l in range(len(names.layers))),
        a_done=tuple(s.value_done(l, "a") for l in range(len(names.layers))),
        current=current, breakpoints=frozenset(s.breakpoints),
        name_width=names.name_width, width=names.width + (2 if s.verified is not None else 0), _names=names,
        verifying=s.verified is not None, lit_layer=lit,
    )


def _sample_values(s: Session, version: int, basis: tuple, result: EditResult | None) -> SampleValues:
    st = s.sample_trace
    report = s.shown_health()

    def frozen(values: np.ndarray) -> np.ndarray:
        out = np.array(values)  # a copy: the trace changes under an edit, a frame does not
        out.flags.writeable = False
        return out

    n_layers = len(s.network.layers)
    input_was = None
    if result is not None and isinstance(result.edit, Edit) and result.edit.target.kind == INPUT:
        input_was = (result.edit.target.index, result.edit.old)
    return SampleValues(
        stamp=version, basis=basis, x_raw=frozen(st.x_raw), x=frozen(st.x),
        z=tuple(frozen(st.z(l)) for l in range(n_layers)), a=tuple(frozen(st.a(l)) for l in range(n_layers)),
        failing=frozenset(report.failing_neurons(s.sample_index)),
        noted=frozenset(report.noted_neurons(s.sample_index)),
        edit=result, input_was=input_was, rows=_rows(s, result), verified=_verified(s), theirs=_theirs(s),
    )


def _theirs(s: Session) -> dict[tuple[int, int], tuple[str, float]]:
    """(layer, neuron) → (quantity, their value) where the verified code differs in this sample."""
    report = s.verified
    out: dict[tuple[int, int], tuple[str, float]] = {}
    if report is None:
        return out
    for l in range(len(s.network.layers)):
        check = report.layer_check(l)
        if check is None or s.sample_index >= check.mismatch.shape[0]:
            continue
        for j in np.flatnonzero(check.mismatch[s.sample_index]):
            out[(l, int(j))] = (check.quantity, float(check.theirs[s.sample_index, j]))
    return out


def _verified(s: Session) -> dict[tuple[int, int], bool]:
    """(layer, neuron) → their value agrees, for the neurons the verified
    code returned a value for in this sample."""
    report = s.verified
    if report is None:
        return {}
    out = {}
    for l in range(len(s.network.layers)):
        check = report.layer_check(l)
        if check is None or s.sample_index >= check.mismatch.shape[0] or not check.returned[s.sample_index]:
            continue
        for j, bad in enumerate(check.mismatch[s.sample_index]):
            out[(l, j)] = not bool(bad)
    return out


def _differs(s: Session, l: int, units: int) -> np.ndarray:
    """Per neuron of layer ``l``: the verified code's value differs in this sample."""
    check = s.verified.layer_check(l) if s.verified is not None else None
    if check is None or s.sample_index >= check.mismatch.shape[0]:
        return np.zeros(units, bool)
    return np.asarray(check.mismatch[s.sample_index], dtype=bool)


def _rows(s: Session, result: EditResult | None) -> NetworkRows:
    net = s.network
    kinds = [np.array([INPUTS], np.int8), np.full(net.n_inputs, INPUT_ROW, np.int8)]
    layers = [np.array([-1], np.int32), np.full(net.n_inputs, -1, np.int32)]
    indices = [np.array([-1], np.int32), np.arange(net.n_inputs, dtype=np.int32)]
    offset = 1 + net.n_inputs
    layer_row: list[int] = []
    neuron_row: list[np.ndarray] = []
    for l, layer in enumerate(net.layers):
        layer_row.append(offset)
        changed = np.zeros(layer.units, bool)
        masks = (result.changed_mask(l, "z"), result.changed_mask(l, "a")) if result is not None else (None, None)
        if masks[0] is not None and masks[1] is not None:
            changed = masks[0] | masks[1]
        theirs = _differs(s, l, layer.units)
        # a changed neuron has a "was …" row under it; one the verified code got wrong, a "yours …" row last
        counts = 1 + changed.astype(np.int32) + theirs.astype(np.int32)
        starts = np.cumsum(counts) - counts
        kind = np.full(int(counts.sum()), CHANGE, np.int8)
        kind[starts] = NEURON
        kind[(starts + counts - 1)[theirs]] = THEIRS
        kinds += [np.array([LAYER], np.int8), kind]
        layers += [np.full(1 + kind.size, l, np.int32)]
        indices += [np.array([-1], np.int32), np.repeat(np.arange(layer.units, dtype=np.int32), counts)]
        neuron_row.append(offset + 1 + starts)
        offset += 1 + kind.size
    return NetworkRows(np.concatenate(kinds), np.concatenate(layers), np.concatenate(indices),
                       tuple(layer_row), tuple(neuron_row))
