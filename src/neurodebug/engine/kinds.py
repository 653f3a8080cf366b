"""The engine's vocabulary: every kind is an enum, never a bare string.

They are ``StrEnum``s, so a kind prints, compares and serialises as its
value (``StepKind.DOT == "dot"``, ``json.dumps`` writes ``"dot"``), and a
front end that only reads them needs nothing from this module.
"""

from __future__ import annotations

from enum import StrEnum


class StepKind(StrEnum):
    """One operation of the forward pass."""

    NORMALIZE = "normalize"
    DOT = "dot"
    BIAS = "bias"
    ACTIVATE = "activate"
    NORM = "norm"  # a layer's batch norm or rescaling, before or after its activation


class LossKind(StrEnum):
    """A loss, for the backward pass (engine/losses.py)."""

    BCE = "bce"  # binary cross-entropy, one sigmoid output
    CE = "ce"  # cross-entropy, a softmax output and class indices
    MSE = "mse"  # mean squared error


class BackKind(StrEnum):
    """One operation of the backward pass (engine/backward_steps.py)."""

    LOSS = "loss"
    DA = "da"  # ∂L/∂a, from the layer after (or the loss)
    DH = "dh"  # through a norm after the activation
    DZ = "dz"  # ∂L/∂z = ∂L/∂a · g′(z), or a − y with the loss
    DELTA = "delta"  # through a norm before the activation
    DW = "dw"
    DB = "db"


class Granularity(StrEnum):
    """How the pass is cut into steps."""

    NEURON = "neuron"
    LAYER = "layer"


class TargetKind(StrEnum):
    """What an edit changes."""

    INPUT = "input"
    WEIGHT = "weight"
    BIAS = "bias"
    NORM = "norm"  # a parameter of a normalisation, batch norm or rescaling
    TARGET = "target"  # what a sample should give: its label (y) or an expected output (y2)


class FindingKind(StrEnum):
    """What a health finding is about, in severity order."""

    NONFINITE = "nonfinite"
    EXPLODING = "exploding"
    SATURATED = "saturated"
    DEAD = "dead"
    WRONG_OUTPUT = "wrong_output"
    # Why it does not learn (the gradients over the labelled samples):
    CANNOT_LEARN = "cannot_learn"
    VANISHING_GRADIENT = "vanishing_gradient"
    EXPLODING_GRADIENT = "exploding_gradient"


class Severity(StrEnum):
    """What a finding costs: a problem fails ``check``; a note is shown only."""

    PROBLEM = "problem"
    NOTE = "note"


class CauseKind(StrEnum):
    """Where a non-finite value came from."""

    INPUT = "input"  # a layer-1 input was not finite
    UPSTREAM = "upstream"  # an earlier neuron's activation was not finite
    WEIGHT = "weight"
    BIAS = "bias"
    OVERFLOW = "overflow"  # one finite w_i × x_i overflowed
    CANCELLATION = "cancellation"  # overflowed terms of both signs: ∞ − ∞ = NaN
    SUM = "sum"  # finite terms whose sum overflowed
    BIAS_ADD = "bias_add"  # w·x + b overflowed
    NORM = "norm"  # a batch norm or rescaling: a bad parameter, or it overflowed
    ACTIVATION = "activation"


class WatchKind(StrEnum):
    """A condition that stops ``continue``."""

    NAN = "nan"
    SATURATED = "saturated"
    ZABS = "zabs"
    GRAD = "grad"  # |a gradient| > K, in the backward pass


class StopKind(StrEnum):
    """Why ``continue`` stopped."""

    BREAKPOINT = "breakpoint"
    WATCH = "watch"
    END = "end"
