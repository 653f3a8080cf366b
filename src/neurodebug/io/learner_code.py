"""Running a learner's own forward propagation, and reading recorded values.

The learner's file is imported and its functions called **only in a child
process** (``python -I``: no PYTHON* variables, no user site-packages), with
a time limit (the whole process group is killed when it runs out), a memory
limit (``RLIMIT_AS``) and a file-size limit, cwd and ``sys.path[0]`` its own
folder, stdout and stderr captured to files. Arrays go both ways as ``.npy``
files in a temporary folder, loaded with ``allow_pickle=False``, and a JSON
summary; the parent never unpickles, ``eval``s or ``exec``s anything of it.
This contains mistakes (an endless loop, a crash, a huge allocation, prints);
it is not a sandbox against code written to do harm (docs/security.md).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.diagnosis import (
    Changed, LayerRun, Tolerance, VerifyReport, check_layers, check_outputs, check_values,
)
from ..engine.network import Network
from ..engine.trace import Trace, trace_of
from .arrays import numpy_load
from .errors import NetworkFileError, printable
from .files import check_readable
from .npz_format import _check_archive

DEFAULT_TIMEOUT = 10.0
MEMORY_LIMIT = 2 * 1024**3
FILE_LIMIT = 1024**3
PRINTED_KEPT = 4000  # characters of their output kept for the report
LAYER_FUNCTIONS = ("my_dense", "my_dense_v")
NETWORK_FUNCTIONS = ("my_sequential", "my_predict")
LOOKED_FOR = LAYER_FUNCTIONS + NETWORK_FUNCTIONS
OWN_ACTIVATION = "{name}({args}, W, b) takes no g: called without one, it applies its own activation to every layer"


class LearnerCodeError(Exception):
    """The learner's file cannot be used (no import, no function): exit 2, one line."""


@dataclass
class LearnerRuns:
    """What the child reported: per function found, one LayerRun per layer
    (or one for the outputs), plus what their code printed."""

    layer_runs: dict[str, list[LayerRun | None]] = field(default_factory=dict)
    network_runs: dict[str, LayerRun] = field(default_factory=dict)
    printed: str = ""
    stopped: str | None = None  # the time limit ran out, or the child died: where it was
    own_activation: set[str] = field(default_factory=set)  # layer functions that take no g: (a_in, W, b)


# -- the child --------------------------------------------------------------------------
CHILD = r'''
import importlib.util, inspect, json, os, re, sys, traceback
job_dir = sys.argv[1]
with open(os.path.join(job_dir, "job.json"), encoding="utf-8") as fh:
    job = json.load(fh)
sys.path.insert(0, job["package"])
import numpy as np
from neurodebug.engine.activations import ACTIVATIONS
try:
    import resource
    for limit, value in ((resource.RLIMIT_AS, job["memory"]), (resource.RLIMIT_FSIZE, job["files"])):
        soft, hard = resource.getrlimit(limit)
        if hard == resource.RLIM_INFINITY or value < hard:
            resource.setrlimit(limit, (value, value if hard == resource.RLIM_INFINITY else min(value, hard)))
except (ImportError, ValueError, OSError):
    pass
PATH = job["file"]
result = {"functions": {}}

def progress(text):
    with open(os.path.join(job_dir, "progress"), "w", encoding="utf-8") as fh:
        fh.write(text)

def save():
    with open(os.path.join(job_dir, "result.tmp"), "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    os.replace(os.path.join(job_dir, "result.tmp"), os.path.join(job_dir, "result.json"))

class Returned(Exception):
    """What the function returned cannot be compared: no frame of ours is shown."""

def describe(exc):
    if isinstance(exc, Returned):
        return str(exc)
    head = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
    if isinstance(exc, SyntaxError) and exc.filename == PATH:
        code = (exc.text or "").strip()
        return f"{head} at {os.path.basename(PATH)}:{exc.lineno}" + (f": {code}" if code else "")
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if f.filename == PATH]
    frame = mine[-1] if mine else (frames[-1] if frames else None)
    if frame is None:
        return head
    code = (frame.line or "").strip()
    return f"{head} at {os.path.basename(frame.filename)}:{frame.lineno}" + (f": {code}" if code else "")

progress("importing")
sys.path.insert(0, os.path.dirname(PATH))
try:
    spec = importlib.util.spec_from_file_location("learner_code", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["learner_code"] = module
    spec.loader.exec_module(module)
except BaseException as exc:
    result["import_error"] = describe(exc) if not isinstance(exc, SystemExit) else f"it called sys.exit({exc.code!r}) while being imported"
    save()
    sys.exit(0)

def g_for(name, params):
    act = ACTIVATIONS[name]
    return lambda z: act(np.asarray(z, dtype=np.float64) if np.asarray(z).dtype.kind != "f" else np.asarray(z), params)

def changed(name, before, after, sample):
    after = np.asarray(after)
    if after.shape == before.shape and np.array_equal(after, before, equal_nan=True):
        return None
    if after.shape != before.shape:
        return {"argument": name, "sample": sample, "index": 0, "before": float("nan"), "after": float("nan")}
    k = int(np.flatnonzero(~((after == before) | (np.isnan(after) & np.isnan(before)))).ravel()[0])
    return {"argument": name, "sample": sample, "index": k, "before": float(before.ravel()[k]), "after": float(after.ravel()[k])}

def as_values(r, shape, what, batch=False):
    if r is None:
        raise Returned(f"it returned None (no return statement?), expected the activations, {what}")
    if isinstance(r, tuple) and len(r) > 1 and all(isinstance(v, np.ndarray) and v.ndim > 0 for v in r):
        raise Returned(f"it returned a tuple of {len(r)} values (return a, z?), expected the activations alone, {what}")
    try:
        arr = np.asarray(r)
    except Exception as exc:
        raise Returned(f"what it returned is not an array ({type(exc).__name__}: {exc})") from None
    if arr.dtype.kind not in "fiub":
        raise Returned(f"it returned {type(r).__name__} of dtype {arr.dtype}, expected numbers")
    if arr.shape != shape:
        m, units = shape if batch else (1, shape[0])
        # One sample: (units,), (1, units) or (units, 1) all hold its values. A batch: rows are
        # samples, so (units, m) is transposed; (m,) holds one output per sample.
        if batch and m > 1:
            fits = units == 1 and arr.shape == (m,)
        else:
            fits = arr.size == m * units and np.squeeze(arr).shape == np.squeeze(np.empty(shape)).shape
        if not fits:
            raise Returned(f"it returned shape {arr.shape}, expected {what}"
                           + (" (rows are samples: transposed?)" if batch and arr.shape == shape[::-1] else ""))
    return arr.reshape(shape).astype(np.float64), str(arr.dtype)

def g_kind(fn):
    """How my_dense takes its activation: "function" (my_dense(a_in, W, b, g)), "name" (a
    fourth parameter whose default is a string: activation="sigmoid"), or None (the course's
    other lab: my_dense(a_in, W, b) and a g of its own)."""
    try:
        ps = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return "function"
    positional = [p for p in ps if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= 4:
        return "name" if isinstance(positional[3].default, str) else "function"
    return "function" if any(p.kind == p.VAR_POSITIONAL for p in ps) else None

def run_layers(fname, fn, batch):
    params = list(inspect.signature(fn).parameters) if callable(fn) else []
    how = g_kind(fn)
    runs = []
    m = job["samples"]
    for l, spec in enumerate(job["layers"]):
        if spec["skip"]:
            runs.append({"skipped": spec["skip"]})
            continue
        W = np.load(os.path.join(job_dir, f"W{l}.npy"), allow_pickle=False)
        b = np.load(os.path.join(job_dir, f"b{l}.npy"), allow_pickle=False)
        X = np.load(os.path.join(job_dir, f"in{l}.npy"), allow_pickle=False)
        units = W.shape[1]
        g = g_for(spec["activation"], spec["params"])
        out = np.full((m, units), np.nan)
        returned = np.zeros(m, dtype=bool)
        run = {"dtype": None, "error": None, "error_sample": None, "changed": None}
        b_arg = b.reshape(1, -1) if batch and len(params) > 2 and params[2] == "B" else b
        calls = [(None, X)] if batch else list(enumerate(X))
        for i, x in calls:
            a_in, Wc, bc = x.copy(), W.copy(), b_arg.copy()
            progress(f"{fname}, layer {l + 1}" + (f", sample {i + 1}" if i is not None else ""))
            try:
                r = fn(a_in, Wc, bc) if how is None else fn(a_in, Wc, bc, spec["activation"] if how == "name" else g)
                shape = (m, units) if batch else (units,)
                vals, dtype = as_values(r, shape, f"({m}, {units})" if batch else f"({units},)", batch)
            except Exception as exc:
                run["error"], run["error_sample"] = describe(exc), i
                break
            rows = slice(None) if batch else i
            out[rows] = vals
            returned[rows] = True
            run["dtype"] = run["dtype"] or dtype
            arg = "A_in" if batch else "a_in"
            for name, before, after in ((arg, x, a_in), ("W", W, Wc), ("b", b_arg, bc)):
                c = changed(name, before, after, i or 0)
                if c is not None and run["changed"] is None:
                    run["changed"] = c
        np.save(os.path.join(job_dir, f"out_{fname}_{l}.npy"), out)
        np.save(os.path.join(job_dir, f"ret_{fname}_{l}.npy"), returned)
        runs.append(run)
        result["functions"][fname] = {"layers": runs, "own_activation": how is None}
        save()
    result["functions"][fname] = {"layers": runs, "own_activation": how is None}
    save()

def run_network(fname, fn, batch):
    L = len(job["layers"])
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p for p in params[1:] if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in positional]
    required = [p.name for p in positional if p.default is p.empty]
    if len(names) != 2 * L and len(required) == 2 * L:  # my_sequential(x, W1, b1, W2, b2, g=sigmoid)
        names = required
    info = {"skipped": None, "dtype": None, "error": None, "error_sample": None, "changed": None}
    result["functions"][fname] = {"network": info}
    if job["network_skip"]:
        info["skipped"] = job["network_skip"]
        return save()
    if len(names) != 2 * L:
        info["skipped"] = (f"it takes {len(names)} weight arrays ({', '.join(names)}) but the network has {L} "
                           f"layer{'s' if L != 1 else ''} ({2 * L} arrays: W1, b1, …)")
        return save()
    arrays = []
    for l in range(L):
        arrays += [np.load(os.path.join(job_dir, f"W{l}.npy"), allow_pickle=False),
                   np.load(os.path.join(job_dir, f"b{l}.npy"), allow_pickle=False)]
    numbered = {}
    for name in names:
        mt = re.fullmatch(r"([WwBb])_?(\d+)", name)
        if mt and 1 <= int(mt.group(2)) <= L:
            numbered[name] = arrays[2 * (int(mt.group(2)) - 1) + (mt.group(1) in "Bb")]
    ordered = [numbered[n] for n in names] if len(numbered) == len(names) else arrays
    X = np.load(os.path.join(job_dir, "in0.npy"), allow_pickle=False)
    m, n_out = X.shape[0], job["outputs"]
    out = np.full((m, n_out), np.nan)
    returned = np.zeros(m, dtype=bool)
    calls = [(None, X)] if batch else list(enumerate(X))
    for i, x in calls:
        xc = x.copy()
        progress(f"{fname}" + (f", sample {i + 1}" if i is not None else ""))
        try:
            r = fn(xc, *[a.copy() for a in ordered])
            shape = (m, n_out) if batch else (n_out,)
            vals, dtype = as_values(r, shape, f"({m}, {n_out})" if batch else f"({n_out},)", batch)
        except Exception as exc:
            info["error"], info["error_sample"] = describe(exc), i
            break
        rows = slice(None) if batch else i
        out[rows] = vals
        returned[rows] = True
        info["dtype"] = info["dtype"] or dtype
        c = changed("X" if batch else "x", x, xc, i or 0)
        if c is not None and info["changed"] is None:
            info["changed"] = c
    np.save(os.path.join(job_dir, f"out_{fname}_net.npy"), out)
    np.save(os.path.join(job_dir, f"ret_{fname}_net.npy"), returned)
    save()

found = [n for n in job["names"] if callable(getattr(module, n, None))]
result["found"] = found
save()
for fname in found:
    fn = getattr(module, fname)
    if fname in ("my_dense", "my_dense_v"):
        run_layers(fname, fn, batch=fname == "my_dense_v")
    else:
        run_network(fname, fn, batch=fname == "my_predict")
result["done"] = True
save()
'''


def _package_dir() -> str:
    """The folder that holds this neurodebug package, for the child's sys.path."""
    return str(Path(__file__).resolve().parents[2])


def _write_job(job_dir: Path, path: Path, trace: Trace) -> None:
    net = trace.network
    layers = []
    for l, layer in enumerate(net.layers):
        skip = None
        if layer.norm is not None:
            skip = f"layer {l + 1} has a {layer.norm.title}, which my_dense(a_in, W, b, g) does not take"
        layers.append({"activation": layer.activation, "params": layer.params, "skip": skip})
        np.save(job_dir / f"W{l}.npy", np.asarray(layer.W))
        np.save(job_dir / f"b{l}.npy", np.asarray(layer.b))
        np.save(job_dir / f"in{l}.npy", np.asarray(trace.layer_input(l)))
    normed = [l + 1 for l, layer in enumerate(net.layers) if layer.norm is not None]
    job = {
        "file": str(path), "package": _package_dir(), "memory": MEMORY_LIMIT, "files": FILE_LIMIT,
        "names": list(LOOKED_FOR), "layers": layers, "samples": trace.n_samples, "outputs": net.n_outputs,
        "network_skip": (f"layer {normed[0]} has a {net.layers[normed[0] - 1].norm.title}"  # type: ignore[union-attr]
                         ", which a function of W1, b1, … does not take") if normed else None,
    }
    (job_dir / "job.json").write_text(json.dumps(job), encoding="utf-8")


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    # One thread per BLAS: its thread buffers would count against the memory limit.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONIOENCODING="utf-8")
    return env


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - PRINTED_KEPT))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return ("…" if size > PRINTED_KEPT else "") + text


def run_learner_code(path: str | os.PathLike[str], trace: Trace, timeout: float = DEFAULT_TIMEOUT) -> LearnerRuns:
    """Import the learner's file in a child process and call every function it
    defines (``LOOKED_FOR``) on the engine's layer inputs; raise
    ``LearnerCodeError`` for a file that cannot be imported or defines none."""
    p = check_readable(path, pipe_ok=False).resolve()
    with tempfile.TemporaryDirectory(prefix="neurodebug-verify-") as tmp:
        job_dir = Path(tmp)
        _write_job(job_dir, p, trace)
        out_path, err_path = job_dir / "stdout.txt", job_dir / "stderr.txt"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen([sys.executable, "-I", "-B", "-c", CHILD, str(job_dir)], cwd=p.parent,
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=_child_env(),
                                    start_new_session=True)
            stopped = None
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                stopped = f"stopped after {timeout:g} s (--timeout)"
            finally:
                _kill_group(proc)
        runs = LearnerRuns(printed=printable((_tail(out_path) + _tail(err_path)).strip(), newlines=True))
        result = _read_result(job_dir)
        where = _read_text(job_dir / "progress")
        if stopped is None and not result.get("done"):
            code = proc.returncode
            how = f"was killed by signal {signal.Signals(-code).name}" if code and code < 0 else f"exited with status {code}"
            last = (runs.printed.strip().splitlines() or [""])[-1]
            stopped = f"the child process {how}" + (f" ({last})" if last and code else "")
        if result.get("import_error"):
            error = str(result["import_error"])
            missing = (f"; it runs with neurodebug's own Python ({printable(sys.executable)}): install the module "
                       "there, or keep your functions in a file that does not import it") \
                if error.startswith("ModuleNotFoundError") else ""
            raise LearnerCodeError(f"{p.name}: cannot be imported: {printable(error)}{missing}")
        if "found" not in result:
            raise LearnerCodeError(f"{p.name}: {stopped or 'did not finish'} while being imported"
                                   + (": an endless loop?" if stopped and stopped.startswith("stopped") else ""))
        if not result["found"]:
            raise LearnerCodeError(f"{p.name}: defines none of the functions looked for: {', '.join(LOOKED_FOR)}")
        if stopped:
            named = re.sub(r"sample (\d+)$", lambda m: _sample_text(trace, int(m.group(1))), printable(where))
            later = re.search(r"sample (\d+)$", where)
            why = ": an endless loop?" if later is None or later.group(1) == "1" else \
                ": too slow for the --timeout? (give a longer one, or fewer samples with --inputs)"
            runs.stopped = (f"{stopped} while calling {named}" if where else stopped) \
                + (why if stopped.startswith("stopped") else "")
        _collect(job_dir, result, trace, runs, where)
        return runs


def _sample_text(trace: Trace, k: int) -> str:
    names = trace.network.samples.names
    return f'sample {k} ("{printable(names[k - 1])}")' if 1 <= k <= len(names) else f"sample {k}"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """End the child and everything it started (its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:200]
    except OSError:
        return ""


def _read_result(job_dir: Path) -> dict[str, Any]:
    try:
        result = json.loads((job_dir / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return result if isinstance(result, dict) else {}


def _load(path: Path, shape: tuple[int, ...], dtype: str) -> np.ndarray | None:
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(arr, np.ndarray) or arr.shape != shape or arr.dtype.kind != np.dtype(dtype).kind:
        return None
    return arr


def _run_of(info: dict[str, Any], values: np.ndarray | None, returned: np.ndarray | None,
            shape: tuple[int, int]) -> LayerRun:
    m, units = shape
    vals = values if values is not None else np.full(shape, np.nan)
    rets = returned if returned is not None else np.zeros(m, dtype=bool)
    error = info.get("error")
    c = info.get("changed")
    changed = Changed(str(c["argument"]), int(c["sample"]), int(c["index"]), float(c["before"]), float(c["after"])) \
        if isinstance(c, dict) else None
    sample = info.get("error_sample")
    return LayerRun(vals, rets, str(info.get("dtype") or "float64"), printable(str(error)) if error else None,
                    int(sample) if isinstance(sample, int) else None, changed,
                    str(info["skipped"]) if info.get("skipped") else None)


def _collect(job_dir: Path, result: dict[str, Any], trace: Trace, runs: LearnerRuns, where: str) -> None:
    """LayerRuns from the child's files. A function the time limit stopped gets
    the stop as its error at the layer it was in; later ones were never called."""
    net = trace.network
    m = trace.n_samples
    functions = result.get("functions", {})
    functions = functions if isinstance(functions, dict) else {}
    running = where.split(",")[0] if runs.stopped else None
    never = {"skipped": "not called: the child process was stopped before"}
    for name in result["found"]:
        info = functions.get(name, {})
        info = info if isinstance(info, dict) else {}
        if name in LAYER_FUNCTIONS:
            layers: list[LayerRun | None] = []
            infos = info.get("layers", [])
            infos = infos if isinstance(infos, list) else []
            for l, layer in enumerate(net.layers):
                shape = (m, layer.units)
                if l < len(infos) and isinstance(infos[l], dict):
                    li = infos[l]
                elif name == running and l == len(infos):
                    li = {"error": runs.stopped}
                else:
                    li = never if runs.stopped else {"skipped": "not called"}
                layers.append(_run_of(li, _load(job_dir / f"out_{name}_{l}.npy", shape, "float64"),
                                      _load(job_dir / f"ret_{name}_{l}.npy", (m,), "bool"), shape))
            runs.layer_runs[name] = layers
            if info.get("own_activation") is True:
                runs.own_activation.add(name)
        else:
            net_info = info.get("network")
            if not isinstance(net_info, dict):
                net_info = never if runs.stopped and name != running else {}
            if name == running:
                net_info = {**net_info, "error": runs.stopped}
            shape = (m, net.n_outputs)
            runs.network_runs[name] = _run_of(net_info, _load(job_dir / f"out_{name}_net.npy", shape, "float64"),
                                              _load(job_dir / f"ret_{name}_net.npy", (m,), "bool"), shape)


def _returned_tolerance(net: Network, runs: list[LayerRun | None], rtol: float | None) -> tuple[Tolerance, str]:
    """The tolerance for what a function returned: within the rounding of
    its own dtype when coarser than the network's (float32 values from a
    float64 network), and the note that says so ('' when not coarser)."""
    returned = {r.dtype for r in runs if r is not None and r.skipped is None and r.returned.any()}
    floats = sorted(d for d in returned if d in _FLOATS)
    tol = Tolerance.for_dtypes(net.compute_dtype, *floats, rel=rtol)
    coarser = [d for d in floats if np.finfo(np.dtype(d)).eps > np.finfo(net.compute_dtype).eps]
    if not coarser:
        return tol, ""
    return tol, f"it returned {', '.join(coarser)}: compared within its rounding ({tol.rel:.2g} relative)"


_FLOATS = ("float16", "float32", "float64")


# -- recorded values ----------------------------------------------------------------------
def read_reference_values(path: str | os.PathLike[str], trace: Trace
                          ) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray], list[np.dtype[Any]]]:
    """(z, a, the arrays' dtypes) by 0-based layer from an .npz of ``a1``,
    ``a2``, … (and ``z1``, …), each samples × units; bounded, never unpickled."""
    p = check_readable(path, pipe_ok=False)
    _check_archive(p, 2 * 1024**3)
    arrays = numpy_load(p, "arrays")
    if not isinstance(arrays, dict):
        raise NetworkFileError(p, "", "not an .npz archive (a zip of .npy arrays, as np.savez writes)")
    net = trace.network
    z: dict[int, np.ndarray] = {}
    a: dict[int, np.ndarray] = {}
    dtypes: list[np.dtype[Any]] = []
    known = {f"{q}{l + 1}" for q in "za" for l in range(len(net.layers))}
    for key, value in arrays.items():
        if key not in known:
            raise NetworkFileError(p, key, f"unknown key: expected a1…a{len(net.layers)} and optionally "
                                   f"z1…z{len(net.layers)} (one per layer, samples × units)")
        l = int(key[1:]) - 1
        units = net.layers[l].units
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiu":
            raise NetworkFileError(p, key, f"expected numbers, got an array of dtype {arr.dtype}")
        if arr.ndim == 1 and arr.size == units and trace.n_samples == 1:
            arr = arr.reshape(1, units)
        if arr.shape != (trace.n_samples, units):
            raise NetworkFileError(p, key, f"has shape {arr.shape}, expected ({trace.n_samples}, {units}): "
                                   f"samples × units of layer {l + 1}")
        dtypes.append(arr.dtype)
        (z if key[0] == "z" else a)[l] = arr.astype(np.float64)
    if not a:
        raise NetworkFileError(p, "", "holds no a1, a2, …: nothing to compare")
    return z, a, dtypes


def verify_file(code: Path, net: Network, timeout: float = DEFAULT_TIMEOUT,
                rtol: float | None = None) -> VerifyReport:
    """Check ``code`` — a learner's Python file (run in a child process) or
    recorded values (an .npz of a1, a2, …) — against the engine on the
    network's samples: what ``neurodebug verify`` prints and the debugger's
    ``--verify`` shows. Raises LearnerCodeError (or NetworkFileError for a
    bad .npz) when the file cannot be used."""
    trace = trace_of(net)
    names = list(net.samples.names)
    with open(code, "rb") as fh:
        is_npz = code.suffix.lower() == ".npz" or fh.read(2) == b"PK"
    if is_npz:
        z, a, dtypes = read_reference_values(code, trace)
        tol = Tolerance.for_dtypes(net.compute_dtype, *dtypes, rel=rtol)
        functions = [check_values(trace, f"{code.name} ({', '.join(f'a{l + 1}' for l in sorted(a))})", z, a, tol,
                                  names)]
        printed = ""
    else:
        runs = run_learner_code(code, trace, timeout=timeout)
        tol = Tolerance.for_dtypes(net.compute_dtype, rel=rtol)
        kinds = {"my_dense": "one sample, one layer", "my_dense_v": "a batch, one layer"}
        functions = []
        for n, layer_runs in runs.layer_runs.items():
            f_tol, coarser = _returned_tolerance(net, layer_runs, rtol)
            f = check_layers(n, kinds[n], trace, layer_runs, f_tol, names)
            notes = [coarser] if coarser else []
            if n in runs.own_activation:  # the course's first lab: my_dense(a_in, W, b) and a global g
                notes.append(OWN_ACTIVATION.format(name=n, args="A_in" if n == "my_dense_v" else "a_in"))
            f.note = "; ".join(notes + ([f.note] if f.note else [])) or None
            functions.append(f)
            tol = max(tol, f_tol, key=lambda t: t.rel)
        for n, run in runs.network_runs.items():
            f_tol, coarser = _returned_tolerance(net, [run], rtol)
            f = check_outputs(n, trace, run, f_tol, names)
            if coarser and f.note is None:
                f.note = coarser
            functions.append(f)
            tol = max(tol, f_tol, key=lambda t: t.rel)
        printed = runs.printed
    return VerifyReport(printable(code.name), net, names, functions, printed, tol)
