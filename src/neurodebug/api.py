"""The Python API: arrays in, debugger up.

From a script or a notebook, with the arrays a NumPy lab already has::

    import neurodebug
    net = neurodebug.network_from_arrays([(W1, b1, "sigmoid"), (W2, b2, "sigmoid")], X=X_tstn)
    neurodebug.debug(net)            # the debugger, in a terminal
    neurodebug.save(net, "coffee.json")

``W`` is (inputs × units), as in the course: column j holds neuron j's
weights and ``z = x @ W + b``. Every mistake a user can make with the arrays
is a ``ValueError`` of one sentence naming the layer (1-based) and the shapes.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from .engine import PER_LAYER, PER_NEURON, Session
from .engine.activations import ACTIVATIONS, KERAS_NAMES, SUPPORTED_ACTIVATIONS
from .engine.network import Layer, Network, Normalization, ShapeError
from .engine.numbers import fmt
from .engine.trace_text import trace_text
from .engine.samples import NO_LABEL, Sample, Samples
from .io.json_writer import write_json_network
from .io.npz_format import write_npz_network

if TYPE_CHECKING:
    from .tui.app import NeurodebugApp

__all__ = ["activation_name", "app_for", "debug", "network_from_arrays", "save", "trace_text"]

# One layer: (W, b, activation) or (W, b, activation, {"alpha": 0.1}).
LayerSpec = Union[tuple[Any, Any, Any], tuple[Any, Any, Any, Mapping[str, float]]]

# Names people use for the activations neurodebug has, beyond their own and Keras's.
ALIASES: dict[str, str] = {
    "logistic": "sigmoid", "sigm": "sigmoid",
    "identity": "linear", "none": "linear", "": "linear",
    "swish": "silu", "hardswish": "hard_silu", "hardsigmoid": "hard_sigmoid", "hardtanh": "hard_tanh",
    "logsoftmax": "log_softmax", "leaky": "leaky_relu", "lrelu": "leaky_relu", "exp": "exponential",
}


def _squash(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.lower())


_NAMES: dict[str, str] = {
    **{_squash(k): v for k, v in ALIASES.items()},
    **{_squash(k): v for k, v in KERAS_NAMES.items()},
    **{_squash(k): k for k in ACTIVATIONS},
}


def activation_name(g: str | None) -> str:
    """The activation neurodebug calls ``g``: any case, with or without
    underscores ("ReLU", "LeakyReLU", "leaky_relu"), Keras's names and common
    aliases ("logistic" → sigmoid, "identity", "none" or None → linear,
    "swish" → silu). Raises ValueError listing the supported ones."""
    if g is None:
        return "linear"
    if not isinstance(g, str):
        raise ValueError(f"an activation is a name such as \"sigmoid\", got {type(g).__name__} {g!r}")
    found = _NAMES.get(_squash(g))
    if found is None:
        raise ValueError(f"unknown activation {g!r}; supported: {', '.join(SUPPORTED_ACTIVATIONS)} "
                         "(and aliases such as logistic, identity, swish)")
    return found


# -- arrays -----------------------------------------------------------------------------
def _floats(value: Any, what: str) -> np.ndarray:
    """``value`` as a real array: integers and booleans become float64, float16
    becomes float32, float32 and float64 stay as they are."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # a ragged list of lists
        raise ValueError(f"{what} is not an array of numbers ({str(exc).splitlines()[0]})") from None
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{what} must hold numbers, got an array of dtype {arr.dtype}")
    if arr.dtype.kind in "iub":
        return arr.astype(np.float64)
    if arr.dtype.itemsize <= 2:
        return arr.astype(np.float32)
    if arr.dtype not in (np.float32, np.float64):
        return arr.astype(np.float64)
    return arr


def _shape(arr: np.ndarray) -> str:
    return "×".join(str(n) for n in arr.shape) if arr.ndim else "a single number"


def _vector(value: Any, n: int, what: str) -> np.ndarray:
    """A vector of ``n`` numbers from a list, (n,), (1, n), (n, 1) or, when n = 1, a scalar."""
    arr = _floats(value, what)
    if arr.size == n and (arr.ndim <= 1 or (arr.ndim == 2 and 1 in arr.shape)):
        return arr.reshape(n)
    raise ValueError(f"{what} has shape {_shape(arr)}, expected {n} number{'' if n == 1 else 's'}")


def _layer(k: int, spec: Any, n_inputs: int | None, source: str) -> Layer:
    """Layer ``k`` (1-based) from its tuple; ``n_inputs``: what it must take, if
    known, and ``source``: what says so ("layer 1 has 3 units")."""
    where = f"layer {k}"
    if not isinstance(spec, (tuple, list)) or len(spec) not in (3, 4):
        got = f"{len(spec)} items" if isinstance(spec, (tuple, list)) else f"a {type(spec).__name__}"
        raise ValueError(f"{where} must be a tuple (W, b, activation) or (W, b, activation, params), got {got}")
    W_in, b_in, g = spec[0], spec[1], spec[2]
    extra = spec[3] if len(spec) == 4 else None
    if extra is not None and not isinstance(extra, Mapping):
        raise ValueError(f"{where}: the 4th item is the activation's parameters by name, e.g. {{\"alpha\": 0.1}}, "
                         f"got {type(extra).__name__}")
    params = dict(extra or {})
    W = _floats(W_in, f"{where}: W")
    if W.ndim != 2:
        hint = "; for one unit use W.reshape(-1, 1)" if W.ndim == 1 else ""
        raise ValueError(f"{where}: W must be a 2-D (inputs × units) array, got shape {_shape(W)}{hint}")
    if W.size == 0:
        raise ValueError(f"{where}: W is empty (shape {_shape(W)})")
    rows, cols = W.shape
    b_arr = _floats(b_in, f"{where}: b")
    if n_inputs is not None and rows != n_inputs:
        if cols == n_inputs:
            raise ValueError(f"{where}: W is {rows}×{cols} but {source}: W looks transposed "
                             f"(units × inputs); neurodebug takes W as inputs × units, as the course does: pass W.T")
        fix = "" if k > 1 else "; X has one row per sample (samples × inputs)"
        if k == 1 and source.startswith("X is ") and source.split("×")[0] == f"X is {rows}":
            fix = "; X looks transposed (inputs × samples): pass X.T, one sample per row"
        raise ValueError(f"{where}: W is {rows}×{cols}, so it takes {rows} inputs, but {source}{fix}")
    if b_arr.size != cols:
        if b_arr.size == rows and rows != cols:
            raise ValueError(f"{where}: W is {rows}×{cols} but b has {rows} values, one per unit: W looks transposed "
                             f"(units × inputs); neurodebug takes W as inputs × units, as the course does: pass W.T")
        raise ValueError(f"{where}: b has shape {_shape(b_arr)}, expected {cols} values (one per unit: W is {rows}×{cols})")
    b = _vector(b_arr, cols, f"{where}: b")
    if not isinstance(b_in, np.ndarray) or b_in.dtype.kind != "f":
        b = b.astype(W.dtype)  # a list or integers: the weights' precision
    if not (isinstance(g, str) or g is None):
        raise ValueError(f"{where}: the activation must be a name such as \"sigmoid\", got {type(g).__name__} {g!r:.40}")
    try:
        name = activation_name(g)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    try:
        return Layer(f"layer{k}", name, W, b, params=params)
    except (ShapeError, ValueError) as exc:
        raise ValueError(f"{where} ({name}): {exc}") from None


def _normalization(n: int, mean: Any, variance: Any, std: Any) -> Normalization | None:
    if mean is None and variance is None and std is None:
        return None
    if mean is None:
        raise ValueError("the normalisation needs mean= as well as variance= or std=")
    if (variance is None) == (std is None):
        raise ValueError("give the normalisation's spread once: variance= or std= (variance is what Keras's Normalization stores)")
    m = _vector(mean, n, "mean")
    spread = _vector(variance if std is None else std, n, "variance" if std is None else "std")
    for what, v in (("mean", m), ("variance" if std is None else "std", spread)):
        if not np.isfinite(v).all():
            raise ValueError(f"{what} holds {fmt(float(v[~np.isfinite(v)][0]))}; expected finite numbers")
    if not (spread > 0).all():
        i = int(np.flatnonzero(~(spread > 0))[0])
        which = "variance" if std is None else "std"
        raise ValueError(f"{which}[{i}] is {float(spread[i]):g}; expected a positive number")
    return Normalization(m, np.sqrt(spread) if std is None else spread)


def _samples(net: Network, X: Any, y: Any, names: Sequence[str] | None) -> Samples:
    """X (one sample as a vector, or samples × inputs) with y: class labels
    (integers) or expected output vectors (floats)."""
    n_in, n_out = net.n_inputs, net.n_outputs
    if X is None:
        if y is not None or names is not None:
            raise ValueError("y and sample_names need X, the inputs they belong to")
        return Samples.of([], n_in)
    x = _floats(X, "X")
    if x.ndim == 1:
        x = x.reshape(1, -1)
    if x.ndim != 2 or x.shape[1] != n_in:
        if x.ndim == 2 and x.shape[0] == n_in:
            raise ValueError(f"X is {_shape(x)} but the network takes {n_in} inputs: X looks transposed "
                             "(inputs × samples); pass X.T, one sample per row")
        raise ValueError(f"X has shape {_shape(x)}, expected (samples × {n_in}) or one sample of {n_in} values")
    if not np.isfinite(x).all():
        row, col = (int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise ValueError(f"X[{row}, {col}] is {x[row, col]}; inputs must be finite numbers")
    too_big = net.first_unrepresentable(x)
    if too_big is not None:
        (row, col), value = too_big
        raise ValueError(f"X[{row}, {col}] = {value:g} does not fit the network's {net.compute_dtype}")
    m = x.shape[0]
    if names is not None and len(names) != m:
        raise ValueError(f"{len(names)} sample_names for {m} samples")
    labels, expected = _targets(y, m, n_out)
    return Samples(x, labels, expected, None if names is None else [str(s) for s in names])


def _targets(y: Any, m: int, n_out: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    if y is None:
        return None, None
    raw = np.asarray(y)
    if raw.dtype.kind in "iub":  # class labels
        if raw.size != m or (raw.ndim == 2 and 1 not in raw.shape) or raw.ndim > 2:
            raise ValueError(f"y holds integers, so class labels: expected {m} (one per sample), got shape {_shape(raw)}")
        labels = raw.reshape(m).astype(np.int64)
        n_classes = 2 if n_out == 1 else n_out
        bad = np.flatnonzero((labels != NO_LABEL) & ((labels < 0) | (labels >= n_classes)))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"y[{i}] is class {labels[i]}, expected 0..{n_classes - 1} (or -1 for none)")
        return labels, None
    e = _floats(raw, "y")
    if e.size == m * n_out and (e.ndim <= 1 or e.shape == (m, n_out) or (e.ndim == 2 and 1 in (m, n_out) and 1 in e.shape)):
        return None, e.reshape(m, n_out).astype(np.float64)
    raise ValueError(f"y holds floats, so expected outputs: expected {m}×{n_out} (samples × outputs), got shape "
                     f"{_shape(e)}; for class labels pass integers (y.astype(int))")


def network_from_arrays(
    layers: Sequence[LayerSpec],
    X: Any = None,
    y: Any = None,
    *,
    mean: Any = None,
    variance: Any = None,
    std: Any = None,
    feature_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    sample_names: Sequence[str] | None = None,
    name: str = "network",
) -> Network:
    """A Network from NumPy arrays, laid out as in the course's labs.

    ``layers``: ``[(W1, b1, "sigmoid"), (W2, b2, "sigmoid")]``, each ``W``
    (inputs × units), ``b`` one value per unit (a list, shape (n,), (1, n) or
    (n, 1)); a 4th item gives the activation's parameters:
    ``(W, b, "leaky_relu", {"alpha": 0.1})``. Activation names are taken in
    any case, with the usual aliases (``activation_name``). Integer arrays
    become float64; float32 weights stay float32.

    ``X``: the samples, (samples × inputs), or one sample as a vector.
    ``y``: per sample, a class label when y holds integers (or booleans), an
    expected output vector when it holds floats ((samples × outputs); a
    vector when there is one output). Course labels stored as floats become
    labels with ``y.astype(int)``.

    ``mean`` with ``variance`` (what Keras's ``Normalization`` stores,
    x' = (x − mean) / √variance) or with ``std`` normalise the inputs: X is
    then raw, and the debugger shows the normalisation as its own step.

    Raises ValueError, one sentence naming the layer (1-based) and the shapes.
    """
    if isinstance(layers, np.ndarray) or not isinstance(layers, Sequence) or isinstance(layers, (str, bytes)):
        raise ValueError("layers must be a list of (W, b, activation) tuples")
    if not layers:
        raise ValueError("a network needs at least one layer: [(W1, b1, \"sigmoid\"), …]")
    n_inputs, source = _n_inputs(X)
    built: list[Layer] = []
    for k, spec in enumerate(layers, start=1):
        if built:
            n_inputs, source = built[-1].units, f"layer {k - 1} has {built[-1].units} units"
        built.append(_layer(k, spec, n_inputs, source))
    net = Network(built, name=str(name))
    net.normalization = _normalization(net.n_inputs, mean, variance, std)
    for what, names, n in (("feature_names", feature_names, net.n_inputs), ("output_names", output_names, net.n_outputs)):
        if names is not None:
            if isinstance(names, str) or len(names) != n:
                raise ValueError(f"{what} has {1 if isinstance(names, str) else len(names)} names, expected {n}")
    net.feature_names = None if feature_names is None else [str(s) for s in feature_names]
    net.output_names = None if output_names is None else [str(s) for s in output_names]
    net.samples = _samples(net, X, y, sample_names)
    return net


def _n_inputs(X: Any) -> tuple[int | None, str]:
    """How many inputs the first layer must take, if X says, and how X says it."""
    try:
        shape: tuple[int, ...] = tuple(np.shape(X)) if X is not None and not isinstance(X, (str, bytes)) else ()
    except ValueError:  # ragged: reported when X is read
        shape = ()
    if len(shape) == 1:
        return int(shape[0]), f"X, one sample, has {shape[0]} value{'' if shape[0] == 1 else 's'}"
    if len(shape) == 2 and shape[1]:
        return int(shape[1]), f"X is {shape[0]}×{shape[1]}: {shape[1]} input{'' if shape[1] == 1 else 's'} per sample"
    return None, ""


# -- saving ---------------------------------------------------------------------------------
def save(network: Network, path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
    """Write ``network`` to ``path``: neurodebug JSON for ``.json``, NumPy
    arrays for ``.npz`` (big networks), through a temporary file and a rename,
    so the file is never half-written. Replaces an existing file unless
    ``overwrite`` is False (then FileExistsError). Returns the path."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".json":
        return write_json_network(network, target, overwrite=overwrite)
    if suffix == ".npz":
        return write_npz_network(network, target, overwrite=overwrite)
    raise ValueError(f"cannot save as {target.suffix or '(no extension)'!r}: the path must end in .json or .npz")


def _new_path(name: str, folder: Path) -> Path:
    """NAME.json in ``folder``, or NAME-2.json, NAME-3.json … if it exists."""
    stem = re.sub(r"[^\w.\-]+", "_", name).strip("._") or "network"
    for k in range(1, 10_000):
        target = folder / f"{stem}{'' if k == 1 else f'-{k}'}.json"
        if not target.exists():
            return target
    raise FileExistsError(f"{folder / stem}.json and 9999 numbered copies exist")


# -- the debugger ---------------------------------------------------------------------------
def _network(net_or_layers: Network | Sequence[LayerSpec], X: Any, y: Any, kwargs: dict[str, Any]) -> Network:
    if isinstance(net_or_layers, Network):
        if kwargs:
            raise ValueError(f"{sorted(kwargs)[0]}= is for building a network from arrays, not for a Network")
        if X is None and y is None:
            return net_or_layers
        net = replace(net_or_layers)
        net.samples = _samples(net, X, y, None)
        return net
    return network_from_arrays(net_or_layers, X, y, **kwargs)


def _session(net: Network, sample: int, per_layer: bool) -> Session:
    if not net.samples:
        # As the command line does for a file without samples: start on zeros.
        net = replace(net)
        net.samples = Samples.of([Sample("zeros (no X given)", np.zeros(net.n_inputs))], net.n_inputs)
    if not 0 <= sample < len(net.samples):
        raise ValueError(f"sample={sample}: there are {len(net.samples)} samples (0-based)")
    return Session(net, granularity=PER_LAYER if per_layer else PER_NEURON, sample_index=sample)


def app_for(net_or_layers: Network | Sequence[LayerSpec], X: Any = None, y: Any = None, *,
            path: str | os.PathLike[str] | None = None, sample: int = 0, per_layer: bool = False,
            **kwargs: Any) -> NeurodebugApp:
    """The debugger's Textual App on the network, not yet running (``debug``
    runs it; tests drive it with ``app.run_test()``). ``path``: the file it
    came from, beside which edits are saved (NAME.edited.json); without one
    they go to the current directory."""
    from .tui.app import NeurodebugApp

    session = _session(_network(net_or_layers, X, y, kwargs), sample, per_layer)
    p = None if path is None else Path(path)
    return NeurodebugApp(session, path=p, save_dir=Path.cwd() if p is None else None)


def in_notebook() -> bool:
    """Running in a Jupyter (IPython) kernel."""
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    try:
        return get is not None and get() is not None
    except Exception:  # an IPython half torn down
        return False


def _interactive_terminal() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError, OSError):  # replaced or closed streams
        return False


def debug(net_or_layers: Network | Sequence[LayerSpec], X: Any = None, y: Any = None, *,
          path: str | os.PathLike[str] | None = None, sample: int = 0, per_layer: bool = False,
          **kwargs: Any) -> Network | Path:
    """Open the debugger on a Network, or on the network ``network_from_arrays``
    builds from the same arguments (``debug([(W1, b1, "sigmoid"), …], X=X)``).

    In a terminal the full-screen debugger runs until you quit (q); edits are
    saved (s) to NAME.edited.json in the current directory, or beside
    ``path``, which is written first when given. Returns the network, with
    your edits.

    In a Jupyter notebook, or when stdin or stdout is not a terminal, a
    full-screen app cannot run: the network is saved as JSON instead (to
    ``path``, or NAME.json in the current directory, never over an existing
    file: NAME-2.json …), the forward trace of the sample is printed, and the
    command that opens the file in a terminal, ``neurodebug NAME.json``.
    Returns that path.
    """
    net = _network(net_or_layers, X, y, kwargs)
    if in_notebook() or not _interactive_terminal():
        target = save(net, path) if path is not None else write_json_network(net, _new_path(net.name, Path.cwd()))
        print(trace_text(_session(net, sample, per_layer)))
        shown = target if not target.is_absolute() else _relative(target)
        print(f"saved {shown}; open it in the debugger from a terminal with: neurodebug {shlex.quote(str(shown))}")
        return target
    if path is not None:
        save(net, path)
    app = app_for(net, sample=sample, per_layer=per_layer, path=path)
    app.run()
    return app.session.network if app.session is not None else net


def _relative(p: Path) -> Path:
    try:
        return p.relative_to(Path.cwd())
    except ValueError:
        return p
