"""The engine: plain NumPy forward propagation, step by step. No Textual here."""

from .activations import ACTIVATIONS, SUPPORTED_ACTIVATIONS, Activation
from .edits import Edit, EditError, EditResult, Target, parse_assignment, parse_target
from .network import BatchNorm, Layer, Network, Norm, NormAt, Normalization, Rescaling, Sample, Samples, ShapeError
from .plan import ACTIVATE, BIAS, DOT, NORM, NORMALIZE, PER_LAYER, PER_NEURON, Plan, Step
from .outputs import predicted_class
from .session import START, Session
from .session_backward import StopReason
from .trace import SampleTrace, StepDetail, Trace, forward, trace_of
from .watch import Watch, parse_watches

__all__ = [
    "ACTIVATE", "ACTIVATIONS", "Activation", "BIAS", "BatchNorm", "DOT", "Edit", "EditError", "EditResult",
    "Layer", "NORM", "NORMALIZE", "Network", "Norm", "NormAt", "Normalization", "PER_LAYER", "PER_NEURON", "Plan", "Rescaling",
    "START", "SUPPORTED_ACTIVATIONS", "Sample", "SampleTrace", "Samples", "Session", "ShapeError", "Step",
    "StepDetail", "StopReason", "Target", "Trace", "Watch", "forward", "parse_assignment", "parse_target",
    "parse_watches", "predicted_class", "trace_of",
]
