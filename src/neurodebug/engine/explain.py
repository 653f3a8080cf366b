"""Explaining one neuron of one sample: the numbers of an ``Explanation``,
then the same numbers in words (``explanation_text``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TypedDict

import numpy as np

from . import conditions
from .activations import ACTIVATIONS
from .explanation import Explanation
from .explanation_text import explanation_lines
from .findings import DEAD, EXPLODING, KINDS, NONFINITE, SATURATED, WRONG_OUTPUT, Finding, where_text
from .kinds import FindingKind
from .nonfinite import NonFiniteCause, nonfinite_cause
from .norms import Normalization, NormAt
from .numbers import quiet
from .output_findings import check_outputs
from .refs import NeuronRef
from .settings import DEFAULT_CONFIG, HealthConfig
from .terms import Terms, round_up
from .trace import Trace


class _Fields(TypedDict, total=False):
    """The optional fields of an ``Explanation`` that ``_explain`` has found
    so far: a key is left out where the field keeps its default."""

    dominant_upstream: tuple[int, int]
    dominant_upstream_kinds: tuple[FindingKind, ...]
    slope: float
    flat: tuple[float, float]
    saturation_bound: float
    dies_at: float
    unscaled_inputs: bool
    large_features: tuple[str, ...]
    normalized_z: float
    normalized_a: float
    normalization_source: str
    norm_mean: tuple[float, ...]
    norm_std: tuple[float, ...]
    bias_target: str
    bias_needed: float
    bias_fix: float
    bias_fix_any: float
    bias_fix_all: float
    nonfinite: NonFiniteCause
    largest_z: float
    wrong_output: Finding
    zsum: float
    norm_title: str
    shift: float
    shift_symbol: str


@dataclass(frozen=True, eq=False)
class Dataset:
    """What an explanation says about every sample when its trace holds only
    a few of them (the worst rows of a streaming check, read again): how many
    there are, the report's findings, each neuron's finite z range (dying
    layers) and the raw inputs' mean and std (no normalisation in the file)."""

    n: int
    rows: tuple[int, ...]  # the table row of each row of the trace
    findings: tuple[Finding, ...]
    z_range: dict[int, tuple[np.ndarray, np.ndarray]]  # layer → (smallest, largest) finite z per neuron
    x_stats: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # per feature: mean, std (ddof 0), |x| > large in some sample

    def has(self, kind: FindingKind, l: int, j: int | None) -> bool:
        return any(f.kind == kind and f.layer == l and f.neuron == j for f in self.findings)


def _wrong_output(trace: Trace, row: int, l: int, j: int, config: HealthConfig,
                  dataset: Dataset | None = None) -> Finding | None:
    """The output finding sample ``row`` is part of, for output neuron j (None elsewhere)."""
    if l != len(trace.network.layers) - 1:
        return None
    if dataset is not None:
        at = dataset.rows[row]
        return next((f for f in dataset.findings if f.kind == WRONG_OUTPUT and f.neuron in (j, None)
                     and at in f.samples), None)
    names = trace.network.samples.names_for(trace.n_samples)
    return next((f for f in check_outputs(trace, config, names) if f.neuron in (j, None) and row in f.samples),
                None)


def _kinds(trace: Trace, row: int, l: int, j: int, config: HealthConfig,
           wrong: Finding | None = None, dataset: Dataset | None = None) -> tuple[FindingKind, ...]:
    """The same tests as ``check_health``, for one neuron and one sample
    (``wrong``: its output finding, from ``_wrong_output``)."""
    layer = trace.network.layers[l]
    vals = trace.values[l]
    z, a = float(vals.z[row, j]), float(vals.a[row, j])
    kinds = []
    if conditions.nonfinite(z, a):
        kinds.append(NONFINITE)
    if conditions.exploding(z, config):
        kinds.append(EXPLODING)
    if math.isfinite(z) and conditions.saturated(layer, z, config):
        kinds.append(SATURATED)
    if dataset.has(DEAD, l, j) if dataset is not None else conditions.dead(layer, vals.z[:, j:j + 1], config)[0]:
        kinds.append(DEAD)
    if wrong is not None:
        kinds.append(WRONG_OUTPUT)
    return tuple(k for k in KINDS if k in kinds)


def _normalized(trace: Trace, row: int, l: int, j: int, large: float, dataset: Dataset | None = None) -> _Fields:
    """z with the inputs normalised: the file's statistics, else the samples'."""
    network = trace.network
    if l != 0 or trace.x is not trace.x_raw:
        return {}  # only layer 1 sees inputs, and these were normalised already
    x_raw = np.asarray(trace.x_raw, dtype=np.float64)
    with quiet():
        if dataset is not None and dataset.x_stats is not None:
            big = np.flatnonzero(dataset.x_stats[2])
        else:
            big = np.flatnonzero((np.abs(x_raw) > large).any(axis=0))
    out: _Fields = {"large_features": tuple(network.feature_name(int(i)) for i in big)}
    if not big.size:
        return out
    norm = network.normalization  # set after this trace ran
    if isinstance(norm, Normalization):
        mean, std, source = np.asarray(norm.mean, float), np.asarray(norm.std, float), "file"
    elif dataset is not None:
        if dataset.n < 2 or dataset.x_stats is None:
            return out
        mean, std, source = dataset.x_stats[0], dataset.x_stats[1], "samples"
        std = np.where(std > 0, std, 1.0)
    elif trace.n_samples < 2:
        return out  # one sample has no spread to scale by
    else:
        mean, std, source = x_raw.mean(axis=0), x_raw.std(axis=0), "samples"
        std = np.where(std > 0, std, 1.0)  # a constant feature is centred, not scaled
    layer = network.layers[l]
    xn = (x_raw[row] - mean) / std
    zn = float(xn @ np.asarray(layer.W[:, j], float) + float(layer.b[j]))
    if layer.norm is not None and layer.norm_at == NormAt.Z:  # element-wise: neuron j's part of it
        zn = float(layer.norm.apply(np.full(layer.units, zn))[j])
    an = float(ACTIVATIONS[layer.activation](np.array([zn]), layer.params)[0])
    out.update({"normalized_z": zn, "normalized_a": an, "normalization_source": source,
                "norm_mean": tuple(float(v) for v in mean), "norm_std": tuple(float(v) for v in std)})
    return out


def explain(trace: Trace, row: int, layer: int, neuron: int, config: HealthConfig = DEFAULT_CONFIG,
            dataset: Dataset | None = None) -> Explanation:
    """Explain neuron ``neuron`` of layer ``layer`` (0-based) for sample ``row``
    (of the trace; ``dataset``: what holds over every sample, when the trace
    holds only a few — then the explanation's row is the table's)."""
    network = trace.network
    if not 0 <= row < trace.n_samples:
        raise IndexError(f"sample {row} out of range 0..{trace.n_samples - 1}")
    lay = network.layers[layer]
    if not 0 <= neuron < lay.units:
        raise IndexError(f"layer {layer + 1} has {lay.units} neurons, not {neuron + 1}")
    with quiet():
        e = _explain(trace, row, layer, neuron, config, dataset)
    return e if dataset is None else replace(e, row=dataset.rows[row])


def _explain(trace: Trace, row: int, l: int, j: int, config: HealthConfig, dataset: Dataset | None) -> Explanation:
    """The numbers; ``explanation_text`` writes them as words."""
    network = trace.network
    layer = network.layers[l]
    act = ACTIVATIONS[layer.activation]
    vals = trace.values[l]
    zdot, z, a = float(vals.zdot[row, j]), float(vals.z[row, j]), float(vals.a[row, j])
    terms = Terms(trace, row, l, j)
    dominant = terms[0]
    wrong = _wrong_output(trace, row, l, j, config, dataset)  # judged once: it checks every sample's output
    kinds = _kinds(trace, row, l, j, config, wrong, dataset)
    own = len(network.samples) == trace.n_samples
    sample_name = network.samples.names[row] if own else f"sample {row + 1}"
    fields: _Fields = {"bias_target": NeuronRef(l, j).short + ".b"}
    if l > 0 and dominant.index is not None and math.isfinite(dominant.share):
        # Walk back: a dominant input made by a troubled neuron is the lead to follow
        # (a hidden neuron: no output finding).
        up = (l - 1, dominant.index)
        up_kinds = _kinds(trace, row, *up, config, dataset=dataset)
        fields.update({"dominant_upstream": up, "dominant_upstream_kinds": up_kinds})
    if NONFINITE in kinds:
        fields["nonfinite"] = nonfinite_cause(trace, row, l, j)
    flat = conditions.flat_region(layer, config)
    if flat is not None and math.isfinite(z):
        fields.update({"slope": float(act.derivative(np.asarray(z), layer.params)), "flat": flat})
        bound = conditions.saturation_bound(layer, config)
        if bound is not None:
            fields["saturation_bound"] = bound
    if SATURATED in kinds or EXPLODING in kinds:
        norm = _normalized(trace, row, l, j, config.large_input, dataset)
        fields.update(norm)
        if dominant.index is not None and dominant.name in norm.get("large_features", ()):
            fields["unscaled_inputs"] = True
    at = conditions.dies_at(layer)
    norm_z = layer.norm if layer.norm is not None and layer.norm_at == NormAt.Z else None
    if norm_z is not None:
        fields.update({"zsum": float(vals.biased[row, j]), "norm_title": norm_z.title})
        if norm_z.SHIFT is not None:  # z' moves 1:1 with β: the fixes change it, not b
            param, symbol = norm_z.SHIFT
            fields.update({"bias_target": f"{NeuronRef(l, j).short}.{param}", "shift_symbol": symbol,
                           "shift": float(norm_z.param(param)[j])})
    if at is not None and math.isfinite(z) and (norm_z is None or norm_z.SHIFT is not None):
        fields.update(_bias_fixes(trace, row, l, j, kinds, at, dataset))
    if wrong is not None:
        fields["wrong_output"] = wrong
    e = Explanation(l, j, row, where_text(network, l, j), sample_name, layer.activation, zdot,
                    float(layer.b[j]), z, a, terms, dominant, kinds,
                    n_samples=trace.n_samples if dataset is None else dataset.n, **fields)
    lines, summary = explanation_lines(e, trace, config)
    return replace(e, lines=lines, summary=summary)


def _bias_fixes(trace: Trace, row: int, l: int, j: int, kinds: tuple[FindingKind, ...], at: float,
                dataset: Dataset | None = None) -> _Fields:
    """The bias changes that make a ReLU (or any activation that dies at or
    below ``at``) fire: for this sample, for one sample at least (a dead
    one), for every sample."""
    zs = np.asarray(trace.values[l].z[:, j], dtype=np.float64)
    z = float(zs[row])
    out: _Fields = {"dies_at": at}
    finite = zs[np.isfinite(zs)]
    lowest, highest = (float(finite.min()), float(finite.max())) if finite.size else (math.nan, math.nan)
    if dataset is not None:
        lowest, highest = (float(v[j]) for v in dataset.z_range[l])
    if math.isfinite(lowest) and lowest <= at:
        out["bias_fix_all"] = round_up(at - lowest)
    if DEAD in kinds:
        out["largest_z"] = highest
        out["bias_fix_any"] = round_up(at - out["largest_z"])
    if z <= at:
        out["bias_needed"] = at - z
        out["bias_fix"] = round_up(at - z)
    return out
