"""neurodebug: a step debugger for neural-network forward propagation."""

from .engine import Layer, Network, Normalization, Sample, Session
from .io import NetworkFileError, load_network

__version__ = "0.1.0"

__all__ = ["Layer", "Network", "NetworkFileError", "Normalization", "Sample", "Session", "load_network"]
