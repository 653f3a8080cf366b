"""neurodebug: a step debugger for neural-network forward propagation."""

from .api import app_for, debug, network_from_arrays, save
from .engine import Layer, Network, Normalization, Sample, Session, forward, trace_of
from .io import NetworkFileError, load_network

__version__ = "0.1.0"

__all__ = [
    "Layer", "Network", "NetworkFileError", "Normalization", "Sample", "Session", "app_for", "debug", "forward",
    "load_network", "network_from_arrays", "save", "trace_of",
]
