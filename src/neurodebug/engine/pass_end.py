"""The end of the pass: a sample's outputs and whether they are right — the
numbers (``pass_end``) and the one way they are written (``pass_end_text``),
for ``neurodebug trace`` and the debugger alike."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Network
from .numbers import fmt, fmt_output
from .output_findings import class_name
from .outputs import NO_CLASS, judge
from .samples import Samples
from .settings import Settings

MAX_OUTPUTS = 6  # outputs written out at the end of the pass


@dataclass(frozen=True)
class PassEnd:
    """The sample's outputs, judged by the engine's rule (``outputs.judge``)
    against its label or its expected output vector."""

    outputs: tuple[tuple[str, float], ...]  # (name, value): the first MAX_OUTPUTS
    more: int  # outputs left out
    predicted: str | None  # the class they vote for, "1 (good roast)"; None: no class
    label: str | None  # the sample's label, written the same way
    expected: tuple[float, ...] | None  # per output shown
    error: float | None  # the largest |a − e| over the outputs
    tolerance: float
    right: bool | None  # None: nothing to judge it by


def pass_end(network: Network, row: int, outputs: np.ndarray, settings: Settings) -> PassEnd:
    """Sample ``row``'s ``outputs`` judged alone, whatever the size of the data set."""
    sample = network.samples[row]
    out = np.asarray(outputs, dtype=np.float64).ravel()
    verdicts = judge(network, out.reshape(1, -1), settings.output_tolerance, Samples.of([sample], network.n_inputs))
    cls = int(verdicts.classes[0])
    expected = error = None
    if sample.expected is not None:
        e = np.asarray(sample.expected, dtype=np.float64).ravel()
        expected = tuple(float(v) for v in e[:MAX_OUTPUTS])
        with np.errstate(invalid="ignore"):
            error = float(np.max(np.abs(out - e)))
    shown = tuple((network.output_name(j), float(out[j])) for j in range(min(out.size, MAX_OUTPUTS)))
    return PassEnd(shown, out.size - len(shown), None if cls == NO_CLASS else class_name(network, cls),
                   None if sample.label is None else class_name(network, sample.label), expected, error,
                   settings.output_tolerance, bool(verdicts.right[0]) if verdicts.judged[0] else None)


def pass_end_text(end: PassEnd) -> tuple[str, str]:
    """(the line without its verdict, the verdict): 'output: good roast =
    0.97193 → class 1 (good roast), label 1: ' and 'right ✓'. The verdict is
    '' when there is nothing to judge by, or the output votes for no class."""
    text = "output: " + ", ".join(f"{name} = {fmt_output(v)}" for name, v in end.outputs) + (", …" if end.more else "")
    if end.predicted is not None:
        text += f" → class {end.predicted}"
    judged = []
    if end.label is not None:
        # the label's class named only where it is not the one voted for
        same = end.predicted is not None and end.label == end.predicted
        judged.append(f"label {end.label.split(' ', 1)[0] if same else end.label}")
    if end.expected is not None:
        off = "" if end.error is None else f", off by {fmt_output(end.error)} (tolerance {fmt(end.tolerance)})"
        judged.append("expected " + ", ".join(fmt_output(v) for v in end.expected) + off)
    if not judged:
        return text + " (no label or expected output to judge it by)", ""
    if end.right is None:
        return text + ", " + ", ".join(judged) + ": not judged (the output votes for no class)", ""
    return text + ", " + ", ".join(judged) + ": ", "right ✓" if end.right else "wrong ✗"
