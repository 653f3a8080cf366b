"""The engine's thresholds: one settings object, read by every rule."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Every threshold of the engine, in one object: the health checks, the
    step notes, the watches and the explanations all read these.

    ``saturation_slope``: a neuron is saturated where its slope g'(z) is below
    this on a flat side of its activation (``Activation.flat``): past |z| =
    9.21 for σ and 5.30 for tanh at the default 1e−4, below z = −4.41 for
    GELU, above 6 for relu6 (docs/health-checks.md has every activation).
    There a change of z moves the activation by less than a ten-thousandth of
    it: the neuron has stopped listening to its inputs.

    ``exploding_z``: |z| above this is reported whatever the activation. The
    default, 1e3, is two orders of magnitude past what a healthy network
    gives (standardised inputs and the usual initialisations, variance ≈
    1/fan-in, keep z of order 1 to 10), and past the point where exp(z)
    overflows even in float64 (|z| > 709.8), so any softmax or loss computed
    naively from such a z breaks. It still leaves the seed's unnormalised
    example (z = 166.5) to the saturation detector, which explains it better.

    ``output_tolerance``: an output disagrees with the sample's ``expected``
    vector when |a − e| > tolerance · max(1, |e|): absolute for targets of
    order 1 (a tenth of a sigmoid's range), relative for large regression
    targets.

    ``dead_min_samples``: "z ≤ 0 for every sample" only means something when
    there are several samples. A healthy ReLU that fires for half the inputs
    looks dead in n samples with probability 2⁻ⁿ: one in two for a single
    input, one in four for two. From three samples on the finding is made
    (and its message gives the count, so the reader can weigh it).

    ``large_input``: for the explanation: a raw input feature whose |x|
    passes this in some sample is taken to be in its own units (°C, minutes,
    pixel values), not standardised (standardised features rarely pass 3).

    ``dataset_samples``: "in every sample" means something by its count
    alone from this many samples on: a neuron that is dead, or saturated on
    the same side, in every one of 100 samples is a problem (a healthy unit
    that responds to one input in twenty would look so with probability
    0.006; trained networks have such rare units). Below it (but from
    ``dead_min_samples`` on), the samples must also sit far past the limit
    and close together: a new input drawn like them would come back with
    probability under 0.1 %, by the one-sided 99.9 % prediction bound
    mean ± t · s · √(1 + 1/n) of Student's t with n − 1 degrees of freedom.

    ``min_labelled``: wrong outputs among fewer labelled samples than this
    are each a problem (hand-written test cases); from this many on they are
    weighed as an error rate.

    ``max_error_rate``: on a dataset, wrong outputs are a problem when more
    than this share of the labelled samples is wrong (a trained model gets
    some wrong: that alone is a note).

    ``gradient_ratio``: a layer's gradient is vanishing when its size per
    parameter (the root mean square of ∂L/∂W and ∂L/∂b over the labelled
    samples) is under 1/ratio of a later layer's, exploding when it is over
    ratio times a later layer's: with one learning rate for every layer, one
    of them then learns ten thousand times slower than the other (at the
    default 1e4). Trained, healthy networks measured for this stay within a
    factor of 10 to 30 between layers; a ten-layer sigmoid network at its
    usual initialisation passes 1e4.

    ``exploding_gradient``: a layer's gradient is exploding when its norm is
    over this many times its weights' norm: one step at a learning rate of
    0.01 would move its weights by more than their own size (at the default
    100). Healthy trained networks measured for this stay under 1 (the
    broken ones: 150 to 90,000).
    """

    saturation_slope: float = 1e-4
    exploding_z: float = 1e3
    output_tolerance: float = 0.1
    dead_min_samples: int = 3
    large_input: float = 10.0
    dataset_samples: int = 100
    min_labelled: int = 30
    max_error_rate: float = 0.2
    gradient_ratio: float = 1e4
    exploding_gradient: float = 100.0

    def __post_init__(self) -> None:
        if not 0 < self.saturation_slope < 0.25:
            raise ValueError("saturation_slope must lie in (0, 0.25): the slope of σ never exceeds 0.25")
        if not (math.isfinite(self.exploding_z) and self.exploding_z > 0):
            raise ValueError("exploding_z must be a finite number > 0")
        if not (math.isfinite(self.output_tolerance) and self.output_tolerance >= 0):
            raise ValueError("output_tolerance must be a finite number ≥ 0")
        if self.dead_min_samples < 1:
            raise ValueError("dead_min_samples must be at least 1")
        if self.dataset_samples < 1 or self.min_labelled < 1:
            raise ValueError("dataset_samples and min_labelled must be at least 1")
        if not 0 <= self.max_error_rate <= 1:
            raise ValueError("max_error_rate must lie in [0, 1]")
        if not (math.isfinite(self.gradient_ratio) and self.gradient_ratio > 1):
            raise ValueError("gradient_ratio must be a finite number > 1")
        if not (math.isfinite(self.exploding_gradient) and self.exploding_gradient > 0):
            raise ValueError("exploding_gradient must be a finite number > 0")

    def to_dict(self) -> dict[str, float]:
        return {
            "saturation_slope": self.saturation_slope,
            "exploding_z": self.exploding_z,
            "output_tolerance": self.output_tolerance,
            "dead_min_samples": self.dead_min_samples,
            "large_input": self.large_input,
            "dataset_samples": self.dataset_samples,
            "min_labelled": self.min_labelled,
            "max_error_rate": self.max_error_rate,
            "gradient_ratio": self.gradient_ratio,
            "exploding_gradient": self.exploding_gradient,
        }


DEFAULT_CONFIG = Settings()  # frozen: one instance serves as every default

HealthConfig = Settings  # the name the health checks have always used
