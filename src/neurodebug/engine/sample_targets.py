"""What a sample should give, as something to edit: its label ``y`` or an
expected output ``y2``.

A label or an expected output changes no value of the forward pass, only
the loss, the backward pass and what the checks call a wrong output; an edit
of one is checked here, applied to the samples and undone like any other
(NaN: the sample has none).
"""

from __future__ import annotations

import math

import numpy as np

from .edits import TARGET, EditError, Target
from .network import Network


def sample_target(net: Network, row: int) -> Target:
    """What ``y`` of sample ``row`` is: its expected output 1 when it has an
    expected vector or the network a single output that votes for no class
    (a regression), else its label."""
    sample = net.samples[row]
    last = net.layers[-1]
    classifier = last.activation in ("softmax", "log_softmax") or (last.activation == "sigmoid" and last.units == 1)
    if sample.expected is not None or (sample.label is None and not classifier and net.n_outputs == 1):
        return Target(TARGET, index=0)
    return Target(TARGET)


def target_value(net: Network, row: int, target: Target) -> float:
    """The sample's label (``y``) or expected output (``y<k>``); NaN where it has none."""
    target.check(net)
    sample = net.samples[row]
    if target.index < 0:
        return math.nan if sample.label is None else float(sample.label)
    if sample.expected is None:
        return math.nan
    return float(np.asarray(sample.expected, dtype=np.float64).ravel()[target.index])


def set_target(net: Network, row: int, target: Target, value: float) -> None:
    """Give sample ``row`` a label or one expected output (NaN takes a label
    away); raise EditError, changing nothing, for a value that cannot be one."""
    target.check(net)
    samples = net.samples
    k = net.n_outputs
    if target.index < 0:
        if math.isnan(value):
            samples.with_label(row, None)
            return
        classes = max(k, 2)  # one sigmoid unit: 0 or 1
        if not (math.isfinite(value) and value == round(value) and 0 <= value < classes):
            raise EditError(f"y: a label is a class index, a whole number 0..{classes - 1} (NaN takes it away)")
        if samples.expected is not None and not np.isnan(samples.expected[row]).all():
            raise EditError("y: this sample has an expected output vector; edit that instead (y1, y2, …)")
        samples.with_label(row, int(value))
        return
    sample = samples[row]
    if sample.label is not None:
        raise EditError(f"{target.label()}: this sample has a label (y = {sample.label}); edit that instead")
    if not math.isfinite(value) and not (math.isnan(value) and k == 1):
        raise EditError(f"{target.label()}: an expected output must be a finite number")
    if samples.expected is None:
        if k != 1:
            raise EditError(f"{target.label()}: this sample has no expected output vector; "
                            f"give all {k} in the file or with --inputs")
        samples.with_expected_table(np.full((len(samples), 1), np.nan))
    elif np.isnan(samples.expected[row]).all() and k != 1:
        raise EditError(f"{target.label()}: this sample has no expected output vector; "
                        f"give all {k} in the file or with --inputs")
    samples.with_expected(row, target.index, value)
