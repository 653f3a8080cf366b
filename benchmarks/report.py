"""Turn the per-network measurements into the summary rows, the tables and
the PASS/FAIL lines of issue 7's targets."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from typing import Any

STEP_KEYS = ("n", "N", "L")
STEP_MEDIAN_MS, STEP_P95_MS, FLAT_RATIO = 20.0, 50.0, 2.0
EDIT_FACTOR, EDIT_SCREEN_MS = 2.0, 50.0
LAUNCH_SMALL_S, LAUNCH_LARGE_S = 1.0, 3.0
MEMORY_FACTOR, MEMORY_EXTRA_MB = 2.0, 150.0
MiB = 1024 * 1024


def summary(spec: Any, m: dict[str, Any]) -> dict[str, Any]:
    """One JSON object per network: the keys the issue names, then the detail."""
    numpy_fwd = (m["numpy_before"]["forward_ms"] + m["numpy_after"]["forward_ms"]) / 2
    numpy_from = (m["numpy_before"]["from_layer1_ms"] + m["numpy_after"]["from_layer1_ms"]) / 2
    steps = {k: {"median": m[f"key_{k}"]["complete_ms"]["median"], "p95": m[f"key_{k}"]["complete_ms"]["p95"],
                 "first_frame_median": m[f"key_{k}"]["first_frame_ms"]["median"],
                 "first_frame_p95": m[f"key_{k}"]["first_frame_ms"]["p95"]}
             for k in STEP_KEYS}
    return {
        "network": spec.name,
        "params": m["params"],
        "load_s": m["load_s"],
        "launch_s": m["import_s"] + m["launch_s"],
        # the worst of n, N and L: key sent → the first frame showing the final screen
        "step_ms_median": max(s["median"] for s in steps.values()),
        "step_ms_p95": max(s["p95"] for s in steps.values()),
        "edit_rerun_ms": m["edit_direct"]["complete_ms"]["median"],
        "numpy_forward_ms": numpy_fwd,
        "peak_rss_mb": m["peak_rss_mb"],
        # -- more detail ------------------------------------------------------------
        "file": spec.filename,
        "format": spec.fmt,
        "weights_dtype": m["weights_dtype"],
        "compute_dtype": m["dtype"],
        "param_mb": m["param_bytes"] / MiB,
        "samples": m["samples"],
        "steps_in_plan": m["steps"],
        "import_s": m["import_s"],
        "launch_app_s": m["launch_s"],
        "launch_loader_s": m["launch_loader_s"],
        "steps": steps,
        "jump_end_ms": m["key_G"]["complete_ms"]["median"],
        "edit_target": m["edit_target"],
        "edit_rerun_ms_p95": m["edit_direct"]["complete_ms"]["p95"],
        "edit_engine_ms": m["edit_direct"]["edit_ms"]["median"],
        "edit_ui_ms": m["edit_ui"]["complete_ms"]["median"],
        "edit_ui_ms_p95": m["edit_ui"]["complete_ms"]["p95"],
        "numpy_from_edit_ms": numpy_from,
        "health_ms": m["health_ms"],
        "per_key": {k: m[f"key_{k}"] for k in (*STEP_KEYS, "G")},
        "edit_direct": m["edit_direct"],
        "edit_ui": m["edit_ui"],
        "raw": {k: v for k, v in m.items() if not k.startswith(("key_", "edit_"))},
    }


# -- targets ------------------------------------------------------------------------
def targets(rows: list[dict[str, Any]], large_name: str) -> list[tuple[bool, str]]:
    out: list[tuple[bool, str]] = []
    for r in rows:
        for k in STEP_KEYS:
            s = r["steps"][k]
            ok = s["median"] <= STEP_MEDIAN_MS and s["p95"] <= STEP_P95_MS
            out.append((ok, f"step {k!r} {r['network']}: median {s['median']:.1f} ms (≤ {STEP_MEDIAN_MS:g}), "
                            f"p95 {s['p95']:.1f} ms (≤ {STEP_P95_MS:g})"))
    if len(rows) > 1:
        small, large = rows[0], rows[-1]
        for k in STEP_KEYS:
            a, b = small["steps"][k]["median"], large["steps"][k]["median"]
            ratio = b / a if a > 0 else math.inf
            out.append((ratio <= FLAT_RATIO, f"flat {k!r}: {large['network']} median {b:.1f} ms = {ratio:.2f}× "
                                             f"{small['network']}'s {a:.1f} ms (≤ {FLAT_RATIO:g}×)"))
    for r in rows:
        bound = EDIT_FACTOR * r["numpy_from_edit_ms"] + EDIT_SCREEN_MS
        for key, how in (("edit_rerun_ms", "Session.edit + refresh"), ("edit_ui_ms", "through the edit dialog")):
            v = r[key]
            out.append((v <= bound, f"edit {r['network']} ({how}): {v:.1f} ms ≤ 2 × {r['numpy_from_edit_ms']:.2f} "
                                    f"(NumPy from layer 1) + {EDIT_SCREEN_MS:g} = {bound:.1f} ms"))
    for r in rows:
        limit = LAUNCH_LARGE_S if r["network"] == large_name else LAUNCH_SMALL_S
        out.append((r["launch_s"] <= limit, f"launch {r['network']}: {r['launch_s']:.2f} s (imports "
                                            f"{r['import_s']:.2f} s + app {r['launch_app_s']:.2f} s) ≤ {limit:g} s"))
    for r in rows:
        limit = MEMORY_FACTOR * r["param_mb"] + MEMORY_EXTRA_MB
        out.append((r["peak_rss_mb"] <= limit, f"memory {r['network']}: peak RSS {r['peak_rss_mb']:.0f} MB ≤ "
                                               f"2 × {r['param_mb']:.1f} + {MEMORY_EXTRA_MB:g} = {limit:.0f} MB"))
    return out


# -- text -----------------------------------------------------------------------------
def machine() -> dict[str, str]:
    import numpy
    import textual

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    return {
        "nproc": nproc,
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "textual": textual.__version__,
        "platform": platform.platform(),
    }


def _table(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(header)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |"
              for row in body]
    return "\n".join(lines)


def results_table(rows: list[dict[str, Any]]) -> str:
    header = ["network", "params", "file", "load s", "launch s", "n ms med/p95", "N ms med/p95", "L ms med/p95",
              "G ms", "edit ms", "edit (UI) ms", "NumPy fwd ms", "edit ÷ NumPy", "peak RSS MB"]
    body = []
    for r in rows:
        s = r["steps"]
        body.append([
            r["network"], f"{r['params']:,}", f"{r['format']} {r['weights_dtype']}", f"{r['load_s']:.3f}",
            f"{r['launch_s']:.2f}",
            *(f"{s[k]['median']:.1f} / {s[k]['p95']:.1f}" for k in STEP_KEYS),
            f"{r['jump_end_ms']:.1f}", f"{r['edit_rerun_ms']:.1f}", f"{r['edit_ui_ms']:.1f}",
            f"{r['numpy_forward_ms']:.3f}", f"{r['edit_rerun_ms'] / r['numpy_from_edit_ms']:.0f}×",
            f"{r['peak_rss_mb']:.0f}",
        ])
    return _table(header, body)


def breakdown_table(rows: list[dict[str, Any]]) -> str:
    """Where a key's time goes (medians, ms)."""
    header = ["network", "key", "→ complete", "→ 1st frame", "→ last frame", "Pilot press", "our action", "Textual paint",
              "frames/key", "÷ NumPy fwd"]
    body = []
    for r in rows:
        for k in (*STEP_KEYS, "G"):
            d = r["per_key"][k]
            body.append([r["network"], k, f"{d['complete_ms']['median']:.1f}", f"{d['first_frame_ms']['median']:.1f}",
                         f"{d['last_frame_ms']['median']:.1f}",
                         f"{d['pilot_ms']['median']:.1f}", f"{d['action_ms']['median']:.1f}",
                         f"{d['paint_ms']['median']:.1f}", f"{d['frames_per_key']:.1f}",
                         f"{d['complete_ms']['median'] / r['numpy_forward_ms']:.3g}×"])
        for name, d, engine in (("edit", r["edit_direct"], "edit_ms"), ("edit UI", r["edit_ui"], "edit_ms")):
            body.append([r["network"], name, f"{d['complete_ms']['median']:.1f}", f"{d['first_frame_ms']['median']:.1f}",
                         f"{d['last_frame_ms']['median']:.1f}",
                         f"{d['pilot_ms']['median']:.1f}",
                         f"{d[engine]['median']:.1f} + {d['view_ms']['median']:.1f}",
                         f"{d['paint_ms']['median']:.1f}", f"{d['frames_per_key']:.1f}",
                         f"{d['complete_ms']['median'] / r['numpy_from_edit_ms']:.3g}×"])
    return _table(header, body)
