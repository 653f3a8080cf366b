"""The benchmark networks: generated, seeded, written to a directory.

Weights are drawn with He scaling (std = sqrt(2 / fan_in)) so hidden ReLU
activations keep a sane range through 4096-wide layers; outputs are softmax
(sigmoid for the 2-3-1 lesson net). Every file carries a few labelled samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neurodebug.engine import Layer, Network, Sample
from neurodebug.io import write_json_network
from neurodebug.io.npz_format import write_npz_network

SAMPLES = 5


@dataclass(frozen=True)
class Spec:
    name: str  # "784-128-64-10"
    sizes: tuple[int, ...]  # inputs, then each layer's units
    fmt: str  # "json" or "npz"
    dtype: str  # the dtype the file stores
    hidden: str  # hidden-layer activation
    output: str  # output-layer activation
    large: bool = False  # skipped by --quick

    @property
    def params(self) -> int:
        return sum(a * b + b for a, b in zip(self.sizes, self.sizes[1:]))

    @property
    def param_bytes(self) -> int:
        return self.params * np.dtype(self.dtype).itemsize

    @property
    def filename(self) -> str:
        return f"net-{self.name}.{self.fmt}"


SPECS = (
    Spec("2-3-1", (2, 3, 1), "json", "float64", "sigmoid", "sigmoid"),
    Spec("784-128-64-10", (784, 128, 64, 10), "json", "float64", "relu", "softmax"),
    Spec("784-1024-1024-10", (784, 1024, 1024, 10), "npz", "float32", "relu", "softmax"),
    Spec("4096-4096-4096-10", (4096, 4096, 4096, 10), "npz", "float32", "relu", "softmax", large=True),
)


def build(spec: Spec, seed: int = 7) -> Network:
    rng = np.random.default_rng(seed)
    dtype = np.dtype(spec.dtype)
    layers = []
    pairs = list(zip(spec.sizes, spec.sizes[1:]))
    for i, (fan_in, units) in enumerate(pairs):
        last = i == len(pairs) - 1
        W = rng.standard_normal((fan_in, units), dtype=np.float32).astype(dtype, copy=False)
        W *= dtype.type(np.sqrt(2.0 / fan_in))
        b = (0.01 * rng.standard_normal(units)).astype(dtype)
        layers.append(Layer(f"dense{i + 1}", spec.output if last else spec.hidden, W, b))
    n_in, n_out = spec.sizes[0], spec.sizes[-1]
    classes = 2 if n_out == 1 else n_out
    samples = [
        Sample(f"s{k + 1}", rng.random(n_in).astype(dtype), label=int(k % classes))
        for k in range(SAMPLES)
    ]
    return Network(layers, samples=samples, name=f"bench {spec.name}")


def write(spec: Spec, directory: Path, seed: int = 7) -> Path:
    net = build(spec, seed)
    path = directory / spec.filename
    if spec.fmt == "npz":
        write_npz_network(net, path, overwrite=True)
    else:
        write_json_network(net, path, overwrite=True)
    return path
