"""Why one neuron misbehaves for one sample, as data.

An ``Explanation`` (made by ``explain.explain``) holds z = Σ w_i·x_i + b term
by term, the dominant term, and what the neuron's trouble calls for: the z
the inputs would give normalised (saturation from raw inputs), the bias
change that brings a dead ReLU back, the first operand that was not finite.
The fields are numbers, for a front end that wants to draw them; ``lines``
and ``summary`` are the same numbers in words (``explanation_text.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .findings import Finding
from .kinds import FindingKind
from .nonfinite import NonFiniteCause
from .numbers import json_number
from .terms import Term, Terms

SHOWN_TERMS = 5  # terms written out in ``lines``; ``terms`` holds them all

@dataclass(frozen=True)
class Explanation:
    layer: int
    neuron: int
    row: int
    where: str  # "layer 1 (layer1), neuron 2 (too short)"
    sample_name: str
    activation: str
    zdot: float
    bias: float
    z: float
    a: float
    terms: Terms  # every term, the bias included, largest |value| first
    dominant: Term
    kinds: tuple[FindingKind, ...]  # the findings that hold for this neuron and sample
    dominant_upstream: tuple[int, int] | None = None  # (layer, neuron) that made the dominant input
    dominant_upstream_kinds: tuple[FindingKind, ...] = ()  # that neuron's findings for this sample
    slope: float | None = None  # g'(z), for an activation that can saturate
    flat: tuple[float, float] | None = None  # saturated where z < lo or z > hi (conditions.flat_region)
    saturation_bound: float | None = None  # flat at ±this on both sides (σ, tanh, softsign)
    unscaled_inputs: bool = False  # saturation (or explosion) driven by raw, unnormalised features
    large_features: tuple[str, ...] = ()
    normalized_z: float | None = None  # z with the inputs normalised
    normalized_a: float | None = None
    normalization_source: str | None = None  # "file" or "samples"
    norm_mean: tuple[float, ...] | None = None
    norm_std: tuple[float, ...] | None = None
    bias_target: str = ""  # "L1.N2.b", as --set and the edit box write it
    dies_at: float | None = None  # where the activation dies (ReLU: 0), if it can
    bias_needed: float | None = None  # ReLU with z ≤ 0: b must rise by more than this (dies_at − z)
    bias_fix: float | None = None  # a round change just above it: z > dies_at for this sample
    bias_fix_any: float | None = None  # dead ReLU: z > dies_at in at least one sample
    bias_fix_all: float | None = None  # z > dies_at in every sample
    nonfinite: NonFiniteCause | None = None
    largest_z: float | None = None  # a dead ReLU's largest z over the samples
    wrong_output: Finding | None = None  # the output finding this sample is part of
    n_samples: int = 1  # how many samples the trace holds
    zsum: float | None = None  # w·x + b when a norm before the activation makes z from it
    norm_title: str = ""  # that norm: "batch norm"
    shift: float | None = None  # the norm's β (or offset) when the fixes change it instead of b
    shift_symbol: str = "b"  # "β"
    lines: tuple[str, ...] = ()  # all of it in words (explanation_text.py)
    summary: tuple[str, ...] = ()  # the words without the table of terms: z, the dominant term, the trouble

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, 1-based like ``neurodebug trace --format json``."""
        num = json_number
        cause = self.nonfinite
        return {
            "layer": self.layer + 1,
            "neuron": self.neuron + 1,
            "sample": self.row + 1,
            "sample_name": self.sample_name,
            "where": self.where,
            "activation": self.activation,
            "z": num(self.z),
            "a": num(self.a),
            "bias": num(self.bias),
            "z_before_norm": num(self.zsum),
            "kinds": list(self.kinds),
            "dominant": {"name": self.dominant.name, "value": num(self.dominant.value),
                         "share": num(self.dominant.share)},
            "terms": [{"name": t.name, "weight": num(t.weight), "input": num(t.input),
                       "value": num(t.value), "share": num(t.share)} for t in self.terms[:SHOWN_TERMS]],
            "unscaled_inputs": self.unscaled_inputs,
            "normalized_z": num(self.normalized_z),
            "normalization_source": self.normalization_source,
            "bias_target": self.bias_target,
            "bias_fix": num(self.bias_fix),
            "bias_fix_any": num(self.bias_fix_any),
            "bias_fix_all": num(self.bias_fix_all),
            "nonfinite": None if cause is None else {
                "kind": cause.kind, "text": cause.text,
                "origin": None if cause.origin is None else [cause.origin[0] + 1, cause.origin[1] + 1],
            },
            "lines": list(self.lines),
        }
