"""neurodebug: a step debugger for neural-network forward propagation."""

from .engine import Layer, Network, Normalization, Sample, Session, forward, trace_of
from .io import NetworkFileError, load_network

__version__ = "0.1.0"

__all__ = [
    "Layer", "Network", "NetworkFileError", "Normalization", "Sample", "Session", "forward", "load_network", "trace_of",
]
