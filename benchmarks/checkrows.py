"""``neurodebug check`` over many rows, against a bare chunked NumPy pass.

The 784-128-64-10 network (``networks.SPECS``) and a float32 ``.npy`` of
ROWS × 784 inputs (seeded, written in chunks) go to a directory; then, each
in a fresh interpreter under a small wrapper process that times it and reads
its peak RSS (``getrusage(RUSAGE_CHILDREN)``: the child alone, the pages of
the input it holds included):

- the reference: read the ``.npy`` in chunks and run the forward pass (NumPy
  only, the weights from a side ``.npz``, computed in the network's dtype as
  the engine does), before and after ``check`` (the mean of the two);
- ``python -m neurodebug check NET --inputs X.npy``, the real CLI (exit 0 or
  1 is a result; anything else a failed measurement).

    python -m benchmarks.checkrows numpy WEIGHTS.npz X.npy   # the reference pass
    python -m benchmarks.checkrows wrap OUT.json LOG -- CMD …  # time one child
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np

NETWORK = "784-128-64-10"
ROWS, ROWS_QUICK = 1_000_000, 200_000
CHUNK = 10_000  # rows per chunk, writing the input and in the reference pass
MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]


# -- the files ---------------------------------------------------------------------
def write_inputs(path: Path, rows: int, n_inputs: int, seed: int = 11) -> Path:
    """ROWS × n_inputs float32 in [0, 1), written a chunk at a time."""
    rng = np.random.default_rng(seed)
    x = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, n_inputs))
    for start in range(0, rows, CHUNK):
        stop = min(start + CHUNK, rows)
        x[start:stop] = rng.random((stop - start, n_inputs), dtype=np.float32)
    x.flush()
    del x
    return path


def write_weights(net: Any, path: Path) -> Path:
    """The layers as plain arrays, for a reference that imports NumPy alone."""
    arrays: dict[str, np.ndarray] = {}
    for i, layer in enumerate(net.layers):
        arrays[f"W{i}"], arrays[f"b{i}"] = layer.W, layer.b
        arrays[f"act{i}"] = np.array(layer.activation)
    np.savez(path, **arrays)
    return path


# -- the reference pass (its own interpreter) -----------------------------------------
def _activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0, out=z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if name == "linear":
        return z
    raise ValueError(f"the reference pass has no {name!r}")


def numpy_pass(weights: Path, inputs: Path) -> dict[str, Any]:
    """Read ``inputs`` CHUNK rows at a time into one buffer and run the forward pass."""
    with np.load(weights) as f:
        n = sum(1 for k in f.files if k.startswith("W"))
        layers = [(f[f"W{i}"], f[f"b{i}"], str(f[f"act{i}"])) for i in range(n)]
    dtype = layers[0][0].dtype
    rows = 0
    checksum = 0.0
    with open(inputs, "rb") as fh:
        version = np.lib.format.read_magic(fh)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, stored = header(fh)
        if fortran or len(shape) != 2:
            raise ValueError(f"{inputs}: expected a C-ordered 2-D array, got {shape}")
        total, width = shape
        buf = np.empty((CHUNK, width), dtype=stored)
        while rows < total:
            take = min(CHUNK, total - rows)
            chunk = buf[:take]
            fh.readinto(memoryview(chunk).cast("B"))
            a = chunk.astype(dtype)
            for W, b, act in layers:
                a = _activate(act, a @ W + b)
            checksum += float(a[:, 0].sum())  # uses the result
            rows += take
    return {"rows": rows, "checksum": checksum}


# -- the wrapper: one child, timed -------------------------------------------------------
def wrap(out: Path, log: Path, cmd: list[str]) -> int:
    with open(log, "wb") as fh:
        t = perf_counter()
        done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
        wall = perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    out.write_text(json.dumps({"wall_s": wall, "peak_rss_mb": peak, "returncode": done.returncode}))
    return 0


def _timed(directory: Path, name: str, cmd: list[str]) -> dict[str, Any]:
    out, log = directory / f"{name}.json", directory / f"{name}.log"
    subprocess.run([sys.executable, "-m", "benchmarks.checkrows", "wrap", str(out), str(log), "--", *cmd],
                   cwd=ROOT, check=True)
    result = json.loads(out.read_text())
    result["log"] = str(log)
    return result


def measure(directory: Path, rows: int, keep: bool) -> dict[str, Any]:
    """Write the files, time the reference, ``check``, the reference again."""
    from .networks import SPECS, build, write

    spec = next(s for s in SPECS if s.name == NETWORK)
    net_path = write(spec, directory)
    weights = write_weights(build(spec), directory / f"weights-{spec.name}.npz")
    inputs = write_inputs(directory / f"inputs-{rows}.npy", rows, spec.sizes[0])
    reference = [sys.executable, "-m", "benchmarks.checkrows", "numpy", str(weights), str(inputs)]
    check = [sys.executable, "-m", "neurodebug", "check", str(net_path), "--inputs", str(inputs)]
    try:
        before = _timed(directory, "checkrows-numpy-before", reference)
        done = _timed(directory, "checkrows-check", check)
        after = _timed(directory, "checkrows-numpy-after", reference)
        for r in (before, after):
            if r["returncode"] != 0:
                raise RuntimeError(f"the reference pass failed (exit {r['returncode']}); see {r['log']}")
        if done["returncode"] not in (0, 1):
            tail = Path(done["log"]).read_text(errors="replace")[-2000:]
            raise RuntimeError(f"neurodebug check failed (exit {done['returncode']}):\n{tail}")
    finally:
        if not keep:
            inputs.unlink(missing_ok=True)
    return {
        "network": "check-rows",
        "rows": rows,
        "check_s": done["wall_s"],
        "numpy_s": (before["wall_s"] + after["wall_s"]) / 2,
        "peak_rss_mb": done["peak_rss_mb"],
        "params": spec.params,
        # -- more detail ----------------------------------------------------------
        "of_network": spec.name,
        "param_mb": spec.param_bytes / MiB,
        "input_mb": rows * spec.sizes[0] * 4 / MiB,
        "check_exit": done["returncode"],
        "numpy_s_before": before["wall_s"],
        "numpy_s_after": after["wall_s"],
        "numpy_peak_rss_mb": max(before["peak_rss_mb"], after["peak_rss_mb"]),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) >= 4 and argv[0] == "wrap" and argv[3] == "--":
        return wrap(Path(argv[1]), Path(argv[2]), argv[4:])
    if len(argv) == 3 and argv[0] == "numpy":
        print(json.dumps(numpy_pass(Path(argv[1]), Path(argv[2]))))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
