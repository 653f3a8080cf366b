"""neurodebug: a step debugger for neural-network forward propagation.

The public names are imported when first used (PEP 562): ``import neurodebug``
and the command line (``neurodebug.cli``) do not load NumPy and the whole
engine before they need them, which is most of the debugger's launch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import app_for, debug, network_from_arrays, save
    from .engine import Layer, Network, Normalization, Sample, Session, forward, trace_of
    from .io import NetworkFileError, load_network

__version__ = "0.1.0"

__all__ = [
    "Layer", "Network", "NetworkFileError", "Normalization", "Sample", "Session", "app_for", "debug", "forward",
    "load_network", "network_from_arrays", "save", "trace_of",
]

# Where each public name lives.
_HOMES = {
    "app_for": ".api", "debug": ".api", "network_from_arrays": ".api", "save": ".api",
    "Layer": ".engine", "Network": ".engine", "Normalization": ".engine", "Sample": ".engine",
    "Session": ".engine", "forward": ".engine", "trace_of": ".engine",
    "NetworkFileError": ".io", "load_network": ".io",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
