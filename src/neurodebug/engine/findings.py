"""What the health checks report: findings and the report, as plain data.

The detectors that fill them are in ``health.py``; the explanation of one
neuron in ``explanation.py``. Everything here is NumPy-free data a front end
can show, filter and turn into JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, overload

import numpy as np

from .gradient_sizes import Gradients
from .kinds import FindingKind, Severity
from .network import Network
from .numbers import fmt, json_number
from .refs import NeuronRef, neuron_label
from .settings import HealthConfig

SATURATED, DEAD, NONFINITE = FindingKind.SATURATED, FindingKind.DEAD, FindingKind.NONFINITE
EXPLODING, WRONG_OUTPUT = FindingKind.EXPLODING, FindingKind.WRONG_OUTPUT
CANNOT_LEARN, VANISHING = FindingKind.CANNOT_LEARN, FindingKind.VANISHING_GRADIENT
EXPLODING_GRADIENT = FindingKind.EXPLODING_GRADIENT
# Severity order: the order of a neuron's findings and of the report's groups;
# the forward pass's first, then why it does not learn (learning.py).
KINDS = (NONFINITE, EXPLODING, SATURATED, DEAD, WRONG_OUTPUT, CANNOT_LEARN, VANISHING, EXPLODING_GRADIENT)
LEARNING_KINDS = (CANNOT_LEARN, VANISHING, EXPLODING_GRADIENT)

JSON_ROWS = 10_000  # rows a finding lists in JSON; `sample_count` says how many hold

# What a finding costs the model: a problem fails ``check`` (exit 1), a note
# is shown and leaves the verdict alone (docs/health-checks.md says which is which).
PROBLEM, NOTE = Severity.PROBLEM, Severity.NOTE
KIND_TITLES = {
    NONFINITE: "NaN/Inf",
    EXPLODING: "exploding z",
    SATURATED: "saturated",
    DEAD: "dead ReLU",
    WRONG_OUTPUT: "wrong output",
    CANNOT_LEARN: "cannot learn",
    VANISHING: "vanishing gradient",
    EXPLODING_GRADIENT: "exploding gradient",
}




def where_text(network: Network, layer: int, neuron: int | None) -> str:
    """'layer 1 (layer1), neuron 2 (too short)', 1-based as the rest of the engine."""
    return NeuronRef(layer, neuron).label(network)


def input_name(network: Network, layer: int, i: int) -> str:
    """The name of input i of a layer: a feature name for layer 1, a{l}_{i} after."""
    return network.feature_name(i) if layer == 0 else f"a{layer}_{i + 1}"


class Rows(Sequence[int]):
    """The samples (0-based rows) a finding holds for: a sorted array that
    reads as a tuple of ints. A neuron stuck in ten million samples costs
    80 MB of int64, not ten million Python ints; ``row in rows`` is a binary
    search."""

    __slots__ = ("_a",)

    def __init__(self, rows: Iterable[int] | np.ndarray) -> None:
        if isinstance(rows, Rows):  # immutable: findings over the same rows share one array
            self._a: np.ndarray = rows.array
            return
        a = rows if isinstance(rows, np.ndarray) else np.fromiter((int(r) for r in rows), dtype=np.int64)
        a = a.astype(np.int64, copy=False)
        # sorted, once each: most come sorted already (np.unique of a million rows takes a second)
        self._a = a.copy() if a.size < 2 or bool(np.all(a[1:] > a[:-1])) else np.unique(a)

    @property
    def array(self) -> np.ndarray:
        return self._a

    def __len__(self) -> int:
        return int(self._a.size)

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[int, ...]: ...
    def __getitem__(self, i: int | slice) -> int | tuple[int, ...]:
        if isinstance(i, slice):
            return tuple(int(r) for r in self._a[i])
        return int(self._a[i])

    def __iter__(self) -> Iterator[int]:
        return (int(r) for r in self._a)

    def __contains__(self, row: object) -> bool:
        if not isinstance(row, (int, np.integer)):
            return False
        k = int(np.searchsorted(self._a, row))
        return k < self._a.size and int(self._a[k]) == row

    def __or__(self, other: Rows) -> Rows:
        return Rows(np.union1d(self._a, other.array))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows):
            return bool(np.array_equal(self._a, other.array))
        if isinstance(other, (tuple, list, range)):
            return len(other) == len(self) and all(int(a) == b for a, b in zip(self._a, other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash((len(self), self[0] if len(self) else -1, self[-1] if len(self) else -1))

    def __repr__(self) -> str:
        shown = ", ".join(str(r) for r in self._a[:8]) + (", …" if len(self) > 8 else "")
        return f"Rows({shown}; {len(self)} in all)"


@dataclass(frozen=True)
class Finding:
    """One problem of one neuron (or of a whole output), over the samples where it holds.

    ``value`` is the number behind it, taken at sample ``row`` (the worst
    sample): z for NONFINITE, EXPLODING and SATURATED, the largest z over the
    samples for DEAD, the output for WRONG_OUTPUT. ``threshold`` is the limit
    it passed (the saturation bound, the exploding limit, the tolerance).
    ``origin`` marks, for NONFINITE, the neuron that made a non-finite value
    from finite operands; ``False`` means it only passed one on.
    """

    kind: FindingKind
    layer: int
    neuron: int | None
    samples: Rows
    origin: bool = False
    value: float = math.nan
    row: int = 0
    threshold: float = math.nan
    layer_name: str = ""
    neuron_name: str | None = None  # only when the layer names its neurons
    activation: str = ""
    sample_name: str = ""  # the name of sample ``row``
    n_samples: int = 1  # how many samples the report checked
    cause: str = ""  # the words after the kind: "its dot product overflowed", "label 1, class 0"
    severity: Severity = PROBLEM  # PROBLEM fails the check; NOTE is shown only
    verdict: str = ""  # why it is a problem or only a note: "stuck on one side in every sample"
    symmetric: bool = False  # SATURATED: the activation is flat past ±threshold (σ, tanh), not on one side

    @property
    def is_problem(self) -> bool:
        return self.severity == PROBLEM

    @property
    def where(self) -> str:
        return neuron_label(self.layer, self.layer_name, self.neuron, self.neuron_name)

    @property
    def how_often(self) -> str:
        k, n = len(self.samples), self.n_samples
        if n == 1:
            return ""
        if k == n:
            return "in both samples" if n == 2 else f"in all {n} samples"
        return f"in {k} of {n} samples"

    @property
    def message(self) -> str:
        """One line naming the neuron and the numbers; built on demand, so a
        report with thousands of findings costs no formatting until shown."""
        often = self.how_often
        at = f'"{self.sample_name}"'
        if self.kind == SATURATED:
            past = f"±{fmt(self.threshold, 3)}" if self.symmetric else fmt(self.threshold, 3)
            text = f"saturated {self.activation}: z = {fmt(self.value, 4)} is past {past} (in {at})"
        elif self.kind == EXPLODING:
            text = f"exploding z: |z| = {fmt(abs(self.value), 4)} > {fmt(self.threshold)} (in {at})"
        elif self.kind == DEAD:
            who = "ReLU" if self.activation in ("relu", "") else self.activation
            at_most = fmt(0.0 if math.isnan(self.threshold) else self.threshold)
            text = f"dead {who}: z ≤ {at_most} in every sample, largest z = {fmt(self.value, 4)} (in {at})"
            often = ""
        elif self.kind == NONFINITE:
            if self.origin and self.cause.startswith(("its weight", "its bias")):
                text = f"z = {fmt(self.value)} starts here: {self.cause} (in {at})"
            elif self.origin:
                text = f"produced z = {fmt(self.value)} from finite operands: {self.cause} (in {at})"
            else:
                text = f"passes on a non-finite value: z = {fmt(self.value)}, {self.cause} (in {at})"
        elif self.kind == CANNOT_LEARN and self.neuron is not None:
            text = f"cannot learn: its gradient ‖∂L/∂w, ∂L/∂b‖ = {fmt(self.value, 3)}: {self.cause}"
            often = ""
        elif self.kind in LEARNING_KINDS:
            text = f"{KIND_TITLES[self.kind]}: {self.cause}"
            often = ""
        else:
            text = f"wrong output: {self.cause} (in {at})"
        text = f"{self.where}: {text}" + (f", {often}" if often else "")
        return f"{text} — {self.verdict}" if self.verdict else text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, 1-based like ``neurodebug trace --format json``."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "layer": self.layer + 1,
            "layer_name": self.layer_name,
            "neuron": None if self.neuron is None else self.neuron + 1,
            "neuron_name": self.neuron_name,
            "samples": [r + 1 for r in self.samples[:JSON_ROWS]],
            "sample_count": len(self.samples),
            "origin": self.origin,
            "value": json_number(self.value),
            "sample": self.row + 1,
            "sample_name": self.sample_name,
            "threshold": json_number(self.threshold),
            "verdict": self.verdict,
            "message": self.message,
        }


@dataclass(frozen=True)
class HealthReport:
    """Every finding of one check, in step order (layer, neuron), severest first."""

    findings: tuple[Finding, ...]
    sample_names: Sequence[str]  # the checked samples' names (made when read, for a big table)
    config: HealthConfig
    gradients: Gradients | None = None  # over the labelled samples; None when none has a target
    # Why there are none although samples have targets: no loss fits them and the output
    # (the loss inferred from the output activation, or the one asked for)
    gradients_refused: str | None = None

    @property
    def n_samples(self) -> int:
        return len(self.sample_names)

    @property
    def ok(self) -> bool:
        """No problems (notes may remain)."""
        return not self.problems

    @cached_property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_problem)

    @cached_property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.is_problem)

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    @cached_property
    def _by_neuron(self) -> dict[tuple[int, int | None], tuple[Finding, ...]]:
        out: dict[tuple[int, int | None], list[Finding]] = {}
        for f in self.findings:
            out.setdefault((f.layer, f.neuron), []).append(f)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _per_row(self) -> dict[int | None, tuple[tuple[Finding, ...], tuple[tuple[int, int], ...]]]:
        # The screen asks for the same sample's findings on every step: a
        # report with thousands of findings is scanned once per sample.
        return {}

    def _row(self, row: int | None) -> tuple[tuple[Finding, ...], tuple[tuple[int, int], ...]]:
        hit = self._per_row.get(row)
        if hit is None:
            mine = self.findings if row is None else tuple(f for f in self.findings if row in f.samples)
            failing = tuple(sorted({(f.layer, f.neuron) for f in mine if f.neuron is not None and f.is_problem}))
            hit = self._per_row[row] = (mine, failing)
        return hit

    def for_sample(self, row: int) -> tuple[Finding, ...]:
        """The findings that hold for sample ``row`` (0-based)."""
        return self._row(row)[0]

    def for_neuron(self, layer: int, neuron: int | None) -> tuple[Finding, ...]:
        """The findings of one neuron (``neuron=None``: whole-output findings of the layer)."""
        return self._by_neuron.get((layer, neuron), ())

    def of_kind(self, kind: FindingKind) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind == kind)

    def failing_neurons(self, row: int | None = None) -> list[tuple[int, int]]:
        """(layer, neuron) pairs with a problem for sample ``row`` (any sample if
        None), sorted in step order: the stops of the ``f`` key. Notes, and
        whole-output findings (neuron None), which are not neurons, are left out."""
        return list(self._row(row)[1])

    def noted_neurons(self, row: int | None = None) -> list[tuple[int, int]]:
        """(layer, neuron) pairs with only notes for sample ``row``, in step order."""
        failing = set(self._row(row)[1])
        mine = self._row(row)[0]
        return sorted({(f.layer, f.neuron) for f in mine if f.neuron is not None} - failing)

    def next_failing(
        self, after: tuple[int, int] | None, row: int | None = None
    ) -> tuple[int, int] | None:
        """The failing neuron after ``after`` in step order, wrapping round; None if none fails."""
        stops = self.failing_neurons(row)
        if not stops:
            return None
        if after is not None:
            for stop in stops:
                if stop > after:
                    return stop
        return stops[0]

    def counts(self, severity: Severity = PROBLEM) -> dict[FindingKind, int]:
        """Problems (or notes) per kind, every kind present (zero included)."""
        out = {k: 0 for k in KINDS}
        for f in self.findings:
            if f.severity == severity:
                out[f.kind] += 1
        return out

    def summary(self) -> str:
        """'ok: no problems found in 8 samples', '… ; 3 notes (3 saturated)' or
        '6 problems in 4 neurons over 8 samples: 3 saturated, …'."""
        n = self.n_samples
        samples = f"{n} sample{'s' if n != 1 else ''}"
        notes = ""
        if self.notes:
            kinds = ", ".join(f"{c} {KIND_TITLES[k]}" for k, c in self.counts(NOTE).items() if c)
            notes = f"; {len(self.notes)} note{'s' if len(self.notes) != 1 else ''} ({kinds})"
        if self.ok:
            return f"ok: no problems found in {samples}{notes}"
        counts = ", ".join(f"{c} {KIND_TITLES[k]}" for k, c in self.counts().items() if c)
        neurons = len({(f.layer, f.neuron) for f in self.problems})
        total = len(self.problems)
        return (f"{total} problem{'s' if total != 1 else ''} in {neurons} "
                f"neuron{'s' if neurons != 1 else ''} over {samples}: {counts}{notes}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "samples": list(self.sample_names[:JSON_ROWS]),
            "sample_count": self.n_samples,
            "config": self.config.to_dict(),
            "problems": len(self.problems),
            "notes": len(self.notes),
            "counts": self.counts(),
            "note_counts": self.counts(NOTE),
            "findings": [f.to_dict() for f in self.findings],
            "gradients": None if self.gradients is None else self.gradients.to_dict(),
            "gradients_refused": self.gradients_refused,
        }
