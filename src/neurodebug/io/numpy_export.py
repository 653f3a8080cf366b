"""``neurodebug export NET --numpy -o forward.py``: the network as a
standalone NumPy script, in the lesson's style.

The script defines the activation functions the network uses as plain NumPy
functions with the engine's names and keyword parameters (the calls
``engine.code.activation_call`` writes: ``leaky_relu(z, alpha=0.01)``), then
the lesson's vectorised layer, ``dense(a_in, W, b, g)``, and
``sequential(x)`` calling it layer by layer, with the input normalisation and
any batch norm or rescaling written as their formula. The weights are
written out with every digit (``W1 = np.array([[...], ...])``, the dtype
when not float64), or, past ``INLINE_LIMIT`` numbers, kept in an ``.npz``
beside the script. Run, it prints every sample's outputs — neurodebug's own
numbers to 1e-12, a float32 network's float32 numbers bit for bit.

Each activation's text below is written as the engine computes it
(``engine/activation_functions.py``): stable for any float z, no warning at
z = ±1000, and where the engine works in float64 and rounds to z's dtype
once, so does the text. NumPy has no erf: gelu uses ``math.erfc`` element by
element. These are texts for a file neurodebug writes; neurodebug never runs
them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

from ..engine.code import INLINE, SYMBOLS, activation_call, array_literal, literal, norm_expression
from ..engine.network import Layer, Network
from ..engine.norms import Norm, NormAt
from .errors import NetworkFileError, printable
from .files import atomic_write, same_file, writing_output

INLINE_LIMIT = 2000  # numbers (weights, biases, norms; or sample inputs) written in the script; more go to the .npz
LINE = 100  # a matrix whose one-line form is longer is written a row per line
NEEDS_MATH = frozenset({"gelu"})  # activations whose text uses the standard library's math
NORM_WORDS = {"normalization": "normalisation", "batchnorm": "batch norm", "rescaling": "rescaling"}

SOURCES: dict[str, str] = {
    "sigmoid": '''
def sigmoid(z):
    """1 / (1 + e^-z), with no e^z to overflow: e^-|z| is at most 1."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
''',
    "relu": '''
def relu(z):
    """max(0, z)."""
    return np.maximum(z, 0.0)
''',
    "leaky_relu": '''
def leaky_relu(z, alpha):
    """z where z > 0, else alpha·z."""
    return np.where(z > 0, z, alpha * z)
''',
    "tanh": '''
def tanh(z):
    return np.tanh(z)
''',
    "linear": '''
def linear(z):
    """No activation: g(z) = z."""
    return z
''',
    "softmax": '''
def softmax(z):
    """e^z_j / Σ_k e^z_k along each row, shifted by the row's maximum so no e^z overflows."""
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
''',
    "gelu": '''
_erfc = np.vectorize(math.erfc, otypes=[np.float64])  # NumPy has no erf: the standard library's, element by element


def gelu(z):
    """z·Φ(z), Φ the standard normal CDF: Φ(z) = erfc(-z/√2) / 2, exact far into the left tail.
    Computed in float64 and returned in z's dtype."""
    z64 = np.asarray(z, dtype=np.float64)
    return (z64 * (0.5 * _erfc(-z64 / np.sqrt(2.0)))).astype(z.dtype)
''',
    "gelu_tanh": '''
def gelu_tanh(z):
    """½·z·(1 + tanh(u)) = z·σ(2u), u = √(2/π)·(z + 0.044715·z³): GELU's tanh approximation.
    z is clipped to ±800 first (σ is exactly 0 or 1 long before), so z³ cannot overflow.
    Computed in float64 and returned in z's dtype."""
    z64 = np.asarray(z, dtype=np.float64)
    zc = np.clip(z64, -800.0, 800.0)
    v = 2.0 * np.sqrt(2.0 / np.pi) * (zc + 0.044715 * zc * zc * zc)
    e = np.exp(-np.abs(v))
    return (z64 * np.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e))).astype(z.dtype)
''',
    "silu": '''
def silu(z):
    """z·σ(z), σ with no e^z to overflow. Computed in float64 and returned in z's dtype."""
    z64 = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z64))
    return (z64 * np.where(z64 >= 0, 1.0 / (1.0 + e), e / (1.0 + e))).astype(z.dtype)
''',
    "mish": '''
def mish(z):
    """z·tanh(softplus(z)), softplus(z) = log(1 + e^z) = np.logaddexp(0, z): no e^z to overflow.
    Computed in float64 and returned in z's dtype."""
    z64 = np.asarray(z, dtype=np.float64)
    return (z64 * np.tanh(np.logaddexp(0.0, z64))).astype(z.dtype)
''',
    "elu": '''
def elu(z, alpha):
    """z where z > 0, else alpha·(e^z - 1) (np.expm1: exact for small z).
    Computed in float64 and returned in z's dtype."""
    z64 = np.asarray(z, dtype=np.float64)
    return np.where(z64 > 0, z64, alpha * np.expm1(np.minimum(z64, 0.0))).astype(z.dtype)
''',
    "selu": '''
SELU_ALPHA = 1.6732632423543772848170429916717  # Klambauer et al. 2017, as PyTorch and Keras write them
SELU_SCALE = 1.0507009873554804934193349852946


def selu(z):
    """λ·z where z > 0, else λ·α·(e^z - 1). Computed in float64 and returned in z's dtype."""
    z64 = np.asarray(z, dtype=np.float64)
    curve = SELU_SCALE * SELU_ALPHA * np.expm1(np.minimum(z64, 0.0))
    return np.where(z64 > 0, SELU_SCALE * z64, curve).astype(z.dtype)
''',
    "softplus": '''
def softplus(z):
    """log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): no e^z to overflow.
    Computed in float64 and returned in z's dtype."""
    z64 = np.asarray(z, dtype=np.float64)
    return (np.maximum(z64, 0.0) + np.log1p(np.exp(-np.abs(z64)))).astype(z.dtype)
''',
    "softsign": '''
def softsign(z):
    """z / (1 + |z|). Computed in float64 and returned in z's dtype."""
    z64 = np.asarray(z, dtype=np.float64)
    return (z64 / (1.0 + np.abs(z64))).astype(z.dtype)
''',
    "hard_sigmoid": '''
def hard_sigmoid(z, alpha, beta):
    """max(0, min(1, alpha·z + beta))."""
    return np.minimum(np.maximum(alpha * z + beta, 0.0), 1.0)
''',
    "hard_silu": '''
def hard_silu(z):
    """z·min(max(z + 3, 0), 6) / 6. Computed in float64 and returned in z's dtype."""
    z64 = np.asarray(z, dtype=np.float64)
    return (z64 * (np.minimum(np.maximum(z64 + 3.0, 0.0), 6.0) / 6.0)).astype(z.dtype)
''',
    "exponential": '''
def exponential(z):
    """e^z: ∞ past z ≈ 709.78, where e^z is past float64 (the right answer, not a warning).
    Computed in float64 and returned in z's dtype."""
    with np.errstate(over="ignore"):
        return np.exp(np.asarray(z, dtype=np.float64)).astype(z.dtype)
''',
    "relu6": '''
def relu6(z):
    """min(max(0, z), 6)."""
    return np.minimum(np.maximum(z, 0.0), 6.0)
''',
    "clip": '''
def clip(z, min, max):
    """min(max(z, min), max)."""
    return np.minimum(np.maximum(z, min), max)
''',
    "log_softmax": '''
def log_softmax(z):
    """z_j - log Σ_k e^z_k along each row, shifted by the row's maximum: no e^z overflows, no log(0)."""
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
''',
}


def function_source(name: str) -> str:
    """The definition of activation ``name``, as a script's top holds it."""
    return SOURCES[name].strip("\n") + "\n"


# -- the script ------------------------------------------------------------------
def _matrix(name: str, m: np.ndarray) -> str:
    """``W1 = np.array([[...], ...])`` with every digit (a row per line when long)."""
    dtype = "" if m.dtype == np.float64 else f", dtype=np.{m.dtype.name}"
    if m.size == 0:
        return f"{name} = np.zeros({m.shape}{dtype})"
    rows = ["[" + ", ".join(literal(v, exact=True) for v in row) + "]" for row in m]
    one_line = f"{name} = np.array([{', '.join(rows)}]{dtype})"
    if len(one_line) <= LINE:
        return one_line
    return f"{name} = np.array([\n" + "".join(f"    {row},\n" for row in rows) + f"]{dtype})"


def _docstring_text(text: str) -> str:
    """Text from a file, safe inside a docstring: one line, no escapes or quotes that act."""
    return printable(text).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class _Script:
    """Builds the script's text; the arrays too big to write out go to ``in_npz``."""

    def __init__(self, net: Network, script_name: str, source: str | None) -> None:
        self.net, self.script_name, self.source = net, script_name, source
        self.npz_name = str(Path(script_name).with_suffix(".npz"))
        self.dtype = net.compute_dtype
        self.defs: list[str] = []  # the arrays written out, at module level
        self.loads: list[str] = []  # the arrays read from the .npz, in its with-block
        self.in_npz: dict[str, np.ndarray] = {}
        self.weights_in_npz = network_numbers(net) > INLINE_LIMIT
        self.x = np.asarray(net.samples.x).astype(self.dtype) if len(net.samples) else None
        self.names = list(net.samples.names) if len(net.samples) else ["zeros"]
        self.samples_in_npz = self.x is not None and self.x.size > INLINE_LIMIT

    # -- arrays: written out, or named and kept in the .npz ----------------------------
    def array(self, name: str, value: np.ndarray, to_npz: bool) -> None:
        value = np.asarray(value)
        if to_npz:
            self.in_npz[name] = value
            self.loads.append(f"{name} = npz[{name!r}]")
        elif value.ndim == 2:
            self.defs.append(_matrix(name, value))
        else:
            self.defs.append(f"{name} = {array_literal(value, exact=True)}")

    def comment(self, text: str) -> None:
        (self.loads if self.weights_in_npz else self.defs).append(f"# {printable(text)}")

    def norm_arrays(self, norm: Norm, suffix: str) -> None:
        """The vectors ``norm_expression`` names (those of a norm longer than INLINE)."""
        if norm.size > INLINE:
            for p in norm.PARAMS:
                self.array(f"{SYMBOLS[p]}{suffix}", norm.param(p), self.weights_in_npz)

    # -- the parts -----------------------------------------------------------------------
    def layer_lines(self, l: int, layer: Layer) -> list[str]:
        """Layer ``l``'s parameters (into defs or loads) and its lines in ``sequential``."""
        L, inp = l + 1, "x" if l == 0 else f"a{l}"
        self.comment(f"layer {L} ({layer.name}): {_plural(layer.n_inputs, 'input')} → {_plural(layer.units, 'unit')}, "
                     f"{layer.operations}")
        self.array(f"W{L}", layer.W, self.weights_in_npz)
        self.array(f"b{L}", layer.b, self.weights_in_npz)
        norm = layer.norm
        if norm is None:
            g = layer.activation if not layer.params else f"lambda z: {activation_call(layer, 'z', exact=True)}"
            return [f"a{L} = dense({inp}, W{L}, b{L}, {g})"]
        self.norm_arrays(norm, str(L))
        body = [f"z{L} = np.matmul({inp}, W{L}) + b{L}"]
        if layer.norm_at == NormAt.Z:
            body.append(f"z{L} = {norm_expression(norm, f'z{L}', None, str(L), exact=True)}")
            body.append(f"a{L} = {activation_call(layer, f'z{L}', exact=True)}")
        else:
            body.append(f"h{L} = {activation_call(layer, f'z{L}', exact=True)}")
            body.append(f"a{L} = {norm_expression(norm, f'h{L}', None, str(L), exact=True)}")
        return body

    def sequential(self) -> str:
        net, body = self.net, []
        if self.dtype != np.float64:
            body.append(f"x = np.asarray(x, dtype=np.{self.dtype.name})  # a {self.dtype} network "
                        f"sees {self.dtype} inputs, as in neurodebug")
        if net.normalization is not None:
            if net.normalization.size > INLINE:
                self.comment(f"the input {NORM_WORDS[net.normalization.kind]}")
            self.norm_arrays(net.normalization, "")
            body.append(f"x = {norm_expression(net.normalization, 'x', None, '', exact=True)}")
        for l, layer in enumerate(net.layers):
            body += self.layer_lines(l, layer)
        body.append(f"return a{len(net.layers)}")
        return ('def sequential(x):\n    """The forward pass: the network\'s outputs for x (samples × inputs, '
                'or one sample)."""\n' + "".join(f"    {line}\n" for line in body))

    def samples(self) -> list[str]:
        if self.x is None:
            dtype = "" if self.dtype == np.float64 else f", dtype=np.{self.dtype.name}"
            return ["# the file has no samples: one input of zeros",
                    f"X = np.zeros((1, {self.net.n_inputs}){dtype})", "names = ['zeros']"]
        if self.samples_in_npz:
            self.in_npz["X"], self.in_npz["names"] = self.x, np.array(self.names, dtype=str)
            self.loads += ["X = npz['X']  # the samples' inputs, a row per sample",
                           "names = [str(name) for name in npz['names']]"]
            return []
        defs, self.defs = self.defs, []
        self.array("X", self.x, False)
        names = [repr(name) for name in self.names]
        one_line = "names = [" + ", ".join(names) + "]"
        if len(one_line) > LINE:
            one_line = "names = [\n" + "".join(f"    {name},\n" for name in names) + "]"
        lines = ["# the samples of the file: a row of X per sample", *self.defs, one_line]
        self.defs = defs
        return lines

    def docstring(self) -> str:
        net = self.net
        where = f" from {_docstring_text(self.source)}" if self.source else ""
        npz = f" (and {_docstring_text(self.npz_name)} beside it, which holds the arrays)" if self.in_npz else ""
        if self.x is None:
            inputs = "The network file has no samples: it is run on one input of zeros, named 'zeros'."
        else:
            inputs = f"The inputs are the {_plural(len(self.names), 'sample')} of the file."
        agrees = ("neurodebug's own outputs, to 1e-12" if self.dtype == np.float64
                  else f"neurodebug's own outputs of this {self.dtype} network, bit for bit")
        return f'''"""Forward propagation of "{_docstring_text(net.name)}" ({net.shape_summary()}), in NumPy.

Written by `neurodebug export --numpy`{where}. It needs only
NumPy{npz}. Run it:

    python {_docstring_text(self.script_name)}

It prints one line per sample: the sample's name as a Python string
literal (ascii()), a tab, then the network's {_plural(net.n_outputs, 'output')} separated by
spaces, each written with repr() so that it reads back as the very same
number (nan, inf and -inf where a value is not finite). These are
{agrees}. {inputs}

Other inputs: import this file and call sequential(x) with a
(samples × {net.n_inputs}) array, or one sample's {net.n_inputs} values.
"""
'''

    def text(self) -> str:
        used = list(dict.fromkeys(layer.activation for layer in self.net.layers))
        sequential = self.sequential()
        samples = self.samples()
        arrays = list(self.defs)
        if self.loads:
            what = _plural(sum(int(a.size) for a in self.in_npz.values()), "number")
            arrays += [f"# {what} from {printable(self.npz_name)}, beside this script",
                       f"with np.load(Path(__file__).parent / {self.npz_name!r}, allow_pickle=False) as npz:"]
            arrays += ["    " + line for line in self.loads]
        imports = ["import math"] if NEEDS_MATH & set(used) else []
        imports += ["from pathlib import Path"] if self.loads else []
        head = self.docstring() + "\n" + "\n".join([*imports, *([""] if imports else []), "import numpy as np"])
        parts = [head, *(function_source(name) for name in used), DENSE, "\n".join(arrays), sequential,
                 "\n".join(samples), MAIN]
        return "\n\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


DENSE = '''def dense(a_in, W, b, g):
    """One dense layer, vectorised: g(a_in·W + b) for every sample (row of a_in) at once."""
    return g(np.matmul(a_in, W) + b)
'''

MAIN = '''if __name__ == "__main__":
    with np.errstate(all="ignore"):  # an overflow gives inf or nan, as in neurodebug, not a warning
        A = sequential(X)
    for name, a in zip(names, A):
        print(ascii(name) + "\\t" + " ".join(repr(float(v)) for v in a))
'''


def network_numbers(net: Network) -> int:
    """Every number of the network: weights, biases, norms (the input's too)."""
    norms = [n for n in [net.normalization, *(layer.norm for layer in net.layers)] if n is not None]
    return sum(int(layer.W.size + layer.b.size) for layer in net.layers) + sum(n.param_count for n in norms)


def numpy_script(net: Network, script_name: str = "forward.py",
                 source: str | None = None) -> tuple[str, dict[str, np.ndarray]]:
    """The script's text and the arrays of the .npz beside it (empty: none).
    ``source`` is the file the network came from, named in the docstring."""
    script = _Script(net, script_name, source)
    return script.text(), script.in_npz


# -- writing -----------------------------------------------------------------------
def export_numpy(net: Network, out: str | os.PathLike[str], overwrite: bool = False,
                 source: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write ``net`` as a NumPy script at ``out`` (a .py file) and, for a big
    network, its arrays in the .npz of the same name beside it, both
    atomically. An existing output is refused unless ``overwrite``; neither
    may be ``source``. Returns the files written, the script first."""
    out_path = Path(out)
    if out_path.suffix.lower() != ".py":
        raise NetworkFileError(out_path, "", f"cannot write '{out_path.suffix or '(no extension)'}'; "
                                             "the output must end in .py (a Python script)")
    text, arrays = numpy_script(net, out_path.name, None if source is None else Path(source).name)
    written = [out_path] + ([out_path.with_suffix(".npz")] if arrays else [])
    for target in written:
        if target.exists():
            if source is not None and same_file(Path(source), target):
                raise NetworkFileError(target, "", "is the network being exported; choose another output file")
            if not overwrite:
                raise NetworkFileError(target, "", "already exists; use --force to overwrite it")
    if arrays:  # the arrays first: the script is never there without them
        save: Callable[..., None] = np.savez  # typed loosely, as in npz_format: no key is "allow_pickle"
        _write(written[1], lambda fh: save(fh, **arrays), overwrite)
    _write(out_path, lambda fh: fh.write(text.encode("utf-8")), overwrite)
    return written


def _write(path: Path, write: Callable[[BinaryIO], object], overwrite: bool) -> None:
    writing_output(path, lambda: atomic_write(path, write, overwrite))
