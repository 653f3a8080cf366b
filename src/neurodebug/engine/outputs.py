"""What the outputs say and whether it is right: the class they vote for, and
each sample's verdict against its label or expected vector.

One home for the rule, for the health check, the edit results and the end
of the pass alike; whole-array, so judging a million samples is a few NumPy
operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .activations import ACTIVATIONS
from .network import Network
from .samples import Samples
from .numbers import quiet

NO_CLASS = -1


def predicted_classes(net: Network, outputs: np.ndarray) -> np.ndarray:
    """The class each row of ``outputs`` votes for, NO_CLASS where it votes for none.

    One sigmoid (or softmax) unit votes 1 at a ≥ 0.5, one tanh unit at a ≥ 0;
    a single linear unit votes for no class; several units vote for the
    largest. A NaN output votes for none (several units: only if all are NaN).
    """
    out = np.atleast_2d(np.asarray(outputs, dtype=np.float64))
    if out.shape[1] == 1:
        cut = ACTIVATIONS[net.layers[-1].activation].class_cut
        if cut is None:
            return np.full(out.shape[0], NO_CLASS, dtype=np.int64)
        a = out[:, 0]
        return np.where(np.isnan(a), NO_CLASS, (a >= cut).astype(np.int64))
    all_nan = np.isnan(out).all(axis=1)
    safe = np.where(np.isnan(out), -np.inf, out)
    return np.where(all_nan, NO_CLASS, np.argmax(safe, axis=1)).astype(np.int64)


def predicted_class(net: Network, outputs: np.ndarray) -> int | None:
    """The class one sample's outputs vote for, or None."""
    cls = int(predicted_classes(net, np.asarray(outputs).reshape(1, -1))[0])
    return None if cls == NO_CLASS else cls


@dataclass(frozen=True, eq=False)
class Verdicts:
    """Per sample: whether it can be judged, and whether it is right."""

    by_label: npt.NDArray[np.bool_]  # has a label the outputs can be compared with
    by_expected: npt.NDArray[np.bool_]  # has an expected output vector
    label_right: npt.NDArray[np.bool_]  # the class is the label's, and the output is finite
    expected_right: npt.NDArray[np.bool_]  # (samples × outputs): within tolerance of the expected value
    classes: np.ndarray  # the class each sample's outputs vote for

    @property
    def judged(self) -> npt.NDArray[np.bool_]:
        return self.by_label | self.by_expected

    @property
    def right(self) -> npt.NDArray[np.bool_]:
        """Judged and right on every count it was judged by."""
        return self.judged & (~self.by_label | self.label_right) & (
            ~self.by_expected | self.expected_right.all(axis=1))


def judge(net: Network, outputs: np.ndarray, tolerance: float, samples: Samples | None = None) -> Verdicts:
    """Judge every sample of ``net`` (or ``samples``) against its label and expected vector.

    ``outputs`` are the network's outputs for those samples, row for row.
    An expected output is met when |a − e| ≤ tolerance · max(1, |e|). A label
    is not judged where a single linear output votes for no class, unless the
    output is not finite (then it is wrong whatever the label).
    """
    samples = net.samples if samples is None else samples
    n = len(samples)
    outputs = np.asarray(outputs, dtype=np.float64).reshape(n, -1)
    classes = predicted_classes(net, outputs)
    finite = np.isfinite(outputs).all(axis=1)
    labels = samples.labels
    if labels is None:
        by_label = np.zeros(n, dtype=bool)
        label_right = np.zeros(n, dtype=bool)
    else:
        by_label = (labels != NO_CLASS) & ((classes != NO_CLASS) | ~finite)
        label_right = by_label & (classes == labels) & finite
    expected = samples.expected
    if expected is None:
        by_expected = np.zeros(n, dtype=bool)
        expected_right = np.ones(outputs.shape, dtype=bool)
    else:
        by_expected = ~np.isnan(expected).all(axis=1)
        with quiet():
            # NaN compares False: a NaN output misses its expected value.
            expected_right = np.abs(outputs - expected) <= tolerance * np.maximum(1.0, np.abs(expected))
        expected_right |= ~by_expected[:, None]
    return Verdicts(by_label, by_expected, label_right, expected_right, classes)
