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


def _output_severity(verdicts: Verdicts, config: HealthConfig, out: list[Finding]) -> list[Finding]:
    """Wrong outputs among a few hand-picked samples are each a problem; on a
    dataset, a trained model's usual share of mistakes is a note."""
    if not out:
        return out
    judged = verdicts.judged
    total, wrong = int(judged.sum()), int((judged & ~verdicts.right).sum())
    if total < config.min_labelled:
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
    l = len(network.layers) - 1
    ctx = LayerContext(trace, l, names)
    outputs = trace.outputs
    units = outputs.shape[1]
    out: list[Finding] = []

    # Expected vectors: one finding per output neuron that misses.
    expected = network.samples.expected
    if verdicts.by_expected.any():
        assert expected is not None
        miss = ~verdicts.expected_right
        with quiet():
            err = np.abs(outputs.astype(np.float64) - expected)
        score = np.where(np.isnan(err), np.inf, err)
        for j, hit, worst in per_neuron(miss, score):
            off = (f"off by {fmt(err[worst, j], 3)}, tolerance {fmt(config.output_tolerance)}"
                   if np.isfinite(err[worst, j]) else "not a finite number")
            cause = f"output {fmt(outputs[worst, j], 4)}, expected {fmt(expected[worst, j], 4)} ({off})"
            out.append(ctx.finding(WRONG_OUTPUT, j, hit, worst, outputs[worst, j],
                                   config.output_tolerance, cause=cause))

    # Labels: the class the outputs vote for (``predicted_classes``).
    wrong = np.flatnonzero(verdicts.by_label & ~verdicts.label_right)
    if wrong.size:
        labels = network.samples.labels
        assert labels is not None
        neuron = 0 if units == 1 else None
        # The first wrong sample is the one quoted: "worst" has no common
        # measure across sigmoid, tanh and softmax outputs.
        r = int(wrong[0])
        cls = int(verdicts.classes[r])
        value = outputs[r, 0] if units == 1 else math.nan
        got = "no class (not finite)" if cls == NO_CLASS else f"class {class_name(network, cls)}"
        shown = fmt(outputs[r, 0], 4) if units == 1 else _vector_text(outputs[r])
        cause = f"label {class_name(network, int(labels[r]))}, the output {shown} gives {got}"
        found = ctx.finding(WRONG_OUTPUT, neuron, wrong, r, value, cause=cause)
        # Merge with an expected-vector finding of the same output neuron.
        for k, f in enumerate(out):
            if f.neuron == neuron:
                out[k] = replace(f, samples=f.samples | found.samples)
                break
        else:
            out.append(found)
    return _output_severity(verdicts, config, out)


def class_name(network: Network, cls: int) -> str:
    last = network.layers[-1]
    if last.units == 1:
        name = network.output_name(0)
        return f"{cls} ({'not ' if cls == 0 else ''}{name})"
    return f"{cls} ({network.output_name(cls)})"


def _vector_text(v: np.ndarray, limit: int = 6) -> str:
    parts = [fmt(x, 3) for x in v[:limit]]
    return "[" + ", ".join(parts) + (", …" if v.size > limit else "") + "]"
