"""Wrong outputs: each sample's output judged against its label or expected
vector, as findings (problems among a few hand-picked samples, a note for a
trained model's usual share of mistakes on a dataset)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .findings import NOTE, WRONG_OUTPUT, Finding
from .layer_context import LayerContext, per_neuron
from .network import Network
from .numbers import fmt, quiet
from .outputs import NO_CLASS, Verdicts, judge
from .settings import HealthConfig
from .trace import Trace


def judge_outputs(trace: Trace, config: HealthConfig) -> Verdicts | None:
    """Each sample's outputs judged against its label and expected vector;
    None when the trace was not run on the network's own samples."""
    network = trace.network
    if len(network.samples) != trace.n_samples:
        return None
    return judge(network, trace.outputs, config.output_tolerance)


def output_severity(total: int, wrong: int, config: HealthConfig, out: list[Finding]) -> list[Finding]:
    """Wrong outputs among a few hand-picked samples are each a problem; on a
    dataset (``total`` judged samples, ``wrong`` of them wrong), a trained
    model's usual share of mistakes is a note."""
    if not out or total < config.min_labelled:
        return out
    share = f"{wrong} of {total} labelled samples wrong ({1 - wrong / total:.1%} right)"
    if wrong / total > config.max_error_rate:
        return [replace(f, verdict=f"{share}, more than {config.max_error_rate:.0%}") for f in out]
    return [replace(f, severity=NOTE, verdict=f"{share}, a trained model's usual error") for f in out]


def check_outputs(trace: Trace, config: HealthConfig, names: Sequence[str]) -> list[Finding]:
    """Outputs that disagree with a sample's label or expected vector."""
    verdicts = judge_outputs(trace, config)
    if verdicts is None:
        return []  # the trace was not run on the file's samples: nothing to compare
    network = trace.network
    ctx = LayerContext(trace, len(network.layers) - 1, names)
    outputs = trace.outputs
    out: list[Finding] = []

    # Expected vectors: one finding per output neuron that misses.
    expected = network.samples.expected
    if verdicts.by_expected.any():
        assert expected is not None
        err, score = expected_errors(outputs, expected)
        for j, hit, worst in per_neuron(~verdicts.expected_right, score):
            out.append(expected_finding(ctx, j, hit, worst, outputs[worst, j], expected[worst, j],
                                        err[worst, j], config))

    # Labels: the class the outputs vote for (``predicted_classes``).
    wrong = np.flatnonzero(verdicts.by_label & ~verdicts.label_right)
    if wrong.size:
        labels = network.samples.labels
        assert labels is not None
        # The first wrong sample is the one quoted: "worst" has no common
        # measure across sigmoid, tanh and softmax outputs.
        r = int(wrong[0])
        out = with_label_finding(ctx, out, wrong, r, outputs[r], int(labels[r]), int(verdicts.classes[r]))
    judged = verdicts.judged
    return output_severity(int(judged.sum()), int((judged & ~verdicts.right).sum()), config, out)


def expected_errors(outputs: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|output − expected| and the score that ranks it (NaN: worst of all)."""
    with quiet():
        err = np.abs(outputs.astype(np.float64) - expected)
    return err, np.where(np.isnan(err), np.inf, err)


def expected_finding(ctx: LayerContext, j: int, rows: np.ndarray, worst: int, output: float, expected: float,
                     err: float, config: HealthConfig) -> Finding:
    off = (f"off by {fmt(err, 3)}, tolerance {fmt(config.output_tolerance)}"
           if np.isfinite(err) else "not a finite number")
    cause = f"output {fmt(output, 4)}, expected {fmt(expected, 4)} ({off})"
    return ctx.finding(WRONG_OUTPUT, j, rows, worst, output, config.output_tolerance, cause=cause)


def with_label_finding(ctx: LayerContext, out: list[Finding], wrong: np.ndarray, r: int, outputs: np.ndarray,
                       label: int, cls: int) -> list[Finding]:
    """``out`` with the wrong labels' finding (``wrong``: their rows; ``r``
    the one quoted, with its ``outputs``, label and class) merged into the
    expected-vector finding of the same output neuron, or added."""
    network = ctx.trace.network
    units = outputs.shape[0]
    neuron = 0 if units == 1 else None
    value = outputs[0] if units == 1 else math.nan
    got = "no class (not finite)" if cls == NO_CLASS else f"class {class_name(network, cls)}"
    shown = fmt(outputs[0], 4) if units == 1 else _vector_text(outputs)
    cause = f"label {class_name(network, label)}, the output {shown} gives {got}"
    found = ctx.finding(WRONG_OUTPUT, neuron, wrong, r, value, cause=cause)
    out = list(out)
    for k, f in enumerate(out):
        if f.neuron == neuron:
            out[k] = replace(f, samples=f.samples | found.samples)
            break
    else:
        out.append(found)
    return out


def class_name(network: Network, cls: int) -> str:
    last = network.layers[-1]
    if last.units == 1:
        name = network.output_name(0)
        return f"{cls} ({'not ' if cls == 0 else ''}{name})"
    return f"{cls} ({network.output_name(cls)})"


def _vector_text(v: np.ndarray, limit: int = 6) -> str:
    parts = [fmt(x, 3) for x in v[:limit]]
    return "[" + ", ".join(parts) + (", …" if v.size > limit else "") + "]"
