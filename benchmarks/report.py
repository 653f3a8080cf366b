"""Turn the per-network measurements into the summary rows, the tables and
the PASS/FAIL lines of the targets (issue 7's, as ratios since issue 19).

Every time target is a ratio to a reference measured in the same run, so that
a slower machine moves both sides: the floor app (``benchmarks.floor``) for a
key, its launch for the debugger's, the bare NumPy pass for an edit's re-run
and for ``check`` over many rows (``benchmarks.checkrows``)."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from typing import Any

STEP_KEYS = ("n", "N", "L", "G")  # the per-step keys; G is the jump to the end
STEP_MEDIAN_RATIO, STEP_P95_RATIO = 1.25, 2.0  # × the floor's median key
FLAT_RATIO = 2.0  # the largest network's median ÷ the smallest's
EDIT_RATIO = 1.5  # × (the NumPy pass from the edited layer + one floor frame)
LAUNCH_RATIO = 2.0  # × the floor app's launch (imports → first complete frame)
MEMORY_FACTOR, MEMORY_EXTRA_MB = 2.0, 150.0
CHECK_RATIO = 1.5  # check's wall time ÷ the bare chunked NumPy pass's
CHECK_MEMORY_FACTOR, CHECK_MEMORY_EXTRA_MB = 2.0, 300.0
MiB = 1024 * 1024


def floor_summary(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The floor app's two runs (before and after the networks), averaged."""
    both = (before, after)
    return {
        "median_ms": sum(f["key"]["complete_ms"]["median"] for f in both) / 2,
        "p95_ms": sum(f["key"]["complete_ms"]["p95"] for f in both) / 2,
        "paint_ms": sum(f["key"]["paint_ms"]["median"] for f in both) / 2,
        "pilot_ms": sum(f["key"]["pilot_ms"]["median"] for f in both) / 2,
        "launch_s": sum(f["import_s"] + f["launch_s"] for f in both) / 2,
        "import_s": sum(f["import_s"] for f in both) / 2,
        "before": {"median_ms": before["key"]["complete_ms"]["median"], "p95_ms": before["key"]["complete_ms"]["p95"],
                   "launch_s": before["import_s"] + before["launch_s"]},
        "after": {"median_ms": after["key"]["complete_ms"]["median"], "p95_ms": after["key"]["complete_ms"]["p95"],
                  "launch_s": after["import_s"] + after["launch_s"]},
    }


def summary(spec: Any, m: dict[str, Any], floor: dict[str, Any]) -> dict[str, Any]:
    """One JSON object per network: the keys the issue names, then the detail."""
    numpy_fwd = (m["numpy_before"]["forward_ms"] + m["numpy_after"]["forward_ms"]) / 2
    numpy_from = (m["numpy_before"]["from_layer1_ms"] + m["numpy_after"]["from_layer1_ms"]) / 2
    steps = {k: {"median": m[f"key_{k}"]["complete_ms"]["median"], "p95": m[f"key_{k}"]["complete_ms"]["p95"],
                 "first_frame_median": m[f"key_{k}"]["first_frame_ms"]["median"],
                 "first_frame_p95": m[f"key_{k}"]["first_frame_ms"]["p95"]}
             for k in STEP_KEYS}
    launch_s = m["import_s"] + m["launch_s"]
    # the floor's launches made alternately with this network's (their median), else its two runs' mean
    paired = sorted(m.get("floor_launches_s", []))
    floor_launch_s = paired[(len(paired) - 1) // 2] if paired else floor["launch_s"]
    # The floor's key measured in the network's own process just before and after its keys (the mean of
    # the two medians), else the floor runs' (before and after all the networks)
    paired_keys = [m[k]["complete_ms"]["median"] for k in ("floor_keys_before", "floor_keys_after") if k in m]
    floor_ms = sum(paired_keys) / len(paired_keys) if paired_keys else floor["median_ms"]
    edit_ms, edit_ui_ms = m["edit_direct"]["complete_ms"]["median"], m["edit_ui"]["complete_ms"]["median"]
    return {
        "network": spec.name,
        "params": m["params"],
        "floor_ms": floor_ms,
        # the worst of n, N, L and G ÷ the floor app's median key, both medians; p95 ÷ that same median
        "step_ratio": max(s["median"] for s in steps.values()) / floor_ms,
        "step_p95_ratio": max(s["p95"] for s in steps.values()) / floor_ms,
        "launch_ratio": launch_s / floor_launch_s,
        # the direct edit (Session.edit + redraw) ÷ (NumPy from the edited layer + one floor frame)
        "edit_ratio": edit_ms / (numpy_from + floor_ms),
        "edit_ui_ratio": edit_ui_ms / (numpy_from + floor_ms),
        "load_s": m["load_s"],
        "launch_s": launch_s,
        "floor_launch_s": floor_launch_s,  # the floor app's, launched alternately with this network
        "floor_keys_ms": paired_keys,  # the floor's median key just before and just after this network's
        "launches_s": m.get("launches_s", [launch_s]),
        "floor_launches_s": m.get("floor_launches_s", []),
        # the worst of n, N, L and G: key sent → the first frame showing the final screen
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
        # a big network's first health report comes from a worker thread after its first screen:
        # the interpreter's start → the report on screen (NaN: the report came with the first screen)
        "launch_health_s": m["import_s"] + m.get("launch_health_s", math.nan),
        "steps": steps,
        "edit_target": m["edit_target"],
        "edit_rerun_ms_p95": m["edit_direct"]["complete_ms"]["p95"],
        "edit_engine_ms": m["edit_direct"]["edit_ms"]["median"],
        "edit_ui_ms": m["edit_ui"]["complete_ms"]["median"],
        "edit_ui_ms_p95": m["edit_ui"]["complete_ms"]["p95"],
        # a slow health report comes from a worker thread after the edit's values: edit → the report on
        # screen (NaN: the report came with the values)
        "edit_health_ms": m["edit_direct"]["health_ms"]["median"],
        "edit_ui_health_ms": m["edit_ui"]["health_ms"]["median"],
        "numpy_from_edit_ms": numpy_from,
        "health_ms": m["health_ms"],
        "per_key": {k: m[f"key_{k}"] for k in STEP_KEYS},
        "edit_direct": m["edit_direct"],
        "edit_ui": m["edit_ui"],
        "floor": floor,
        "raw": {k: v for k, v in m.items() if not k.startswith(("key_", "edit_"))},
    }


# -- targets ------------------------------------------------------------------------
def targets(rows: list[dict[str, Any]], check: dict[str, Any] | None = None) -> list[tuple[bool, str]]:
    out: list[tuple[bool, str]] = []
    for r in rows:
        f = r["floor_ms"]
        for k in STEP_KEYS:
            s = r["steps"][k]
            med, p95 = s["median"] / f, s["p95"] / f
            ok = med <= STEP_MEDIAN_RATIO and p95 <= STEP_P95_RATIO
            out.append((ok, f"step {k!r} {r['network']}: median {s['median']:.1f} ms = {med:.2f}× the floor's "
                            f"{f:.1f} (≤ {STEP_MEDIAN_RATIO:g}×), p95 {s['p95']:.1f} ms = {p95:.2f}× (≤ {STEP_P95_RATIO:g}×)"))
    if len(rows) > 1:
        small, large = rows[0], rows[-1]
        for k in STEP_KEYS:
            a, b = small["steps"][k]["median"], large["steps"][k]["median"]
            ratio = b / a if a > 0 else math.inf
            out.append((ratio <= FLAT_RATIO, f"flat {k!r}: {large['network']} median {b:.1f} ms = {ratio:.2f}× "
                                             f"{small['network']}'s {a:.1f} ms (≤ {FLAT_RATIO:g}×)"))
    for r in rows:
        base = r["numpy_from_edit_ms"] + r["floor_ms"]
        for key, ratio, health_key, how in (("edit_rerun_ms", "edit_ratio", "edit_health_ms", "Session.edit + refresh"),
                                            ("edit_ui_ms", "edit_ui_ratio", "edit_ui_health_ms", "through the edit dialog")):
            health = r[health_key]
            later = "" if math.isnan(health) else f"; its health report {health:.1f} ms, from a worker thread"
            out.append((r[ratio] <= EDIT_RATIO, f"edit {r['network']} ({how}): {r[key]:.1f} ms = {r[ratio]:.2f}× "
                                               f"(NumPy from layer 1 {r['numpy_from_edit_ms']:.2f} + floor frame "
                                               f"{r['floor_ms']:.1f} = {base:.1f} ms) (≤ {EDIT_RATIO:g}×){later}"))
    for r in rows:
        out.append((r["launch_ratio"] <= LAUNCH_RATIO,
                    f"launch {r['network']}: {r['launch_s']:.2f} s (imports {r['import_s']:.2f} s + app "
                    f"{r['launch_app_s']:.2f} s) = {r['launch_ratio']:.2f}× the floor app's "
                    f"{r['floor_launch_s']:.2f} s, launched alternately with it, medians of "
                    f"{len(r['launches_s'])} (≤ {LAUNCH_RATIO:g}×)"
                    + ("" if math.isnan(r["launch_health_s"]) else
                       f"; its health report at {r['launch_health_s']:.2f} s, from a worker thread")))
    for r in rows:
        limit = MEMORY_FACTOR * r["param_mb"] + MEMORY_EXTRA_MB
        out.append((r["peak_rss_mb"] <= limit, f"memory {r['network']}: peak RSS {r['peak_rss_mb']:.0f} MB ≤ "
                                               f"2 × {r['param_mb']:.1f} + {MEMORY_EXTRA_MB:g} = {limit:.0f} MB"))
    if check is not None:
        c = check
        ratio = c["check_s"] / c["numpy_s"]
        out.append((ratio <= CHECK_RATIO, f"check {c['rows']:,} rows of {c['of_network']}: {c['check_s']:.2f} s = "
                                          f"{ratio:.2f}× the bare chunked NumPy pass's {c['numpy_s']:.2f} s "
                                          f"(≤ {CHECK_RATIO:g}×)"))
        limit = CHECK_MEMORY_FACTOR * c["param_mb"] + CHECK_MEMORY_EXTRA_MB
        out.append((c["peak_rss_mb"] <= limit, f"check memory {c['rows']:,} rows: peak RSS {c['peak_rss_mb']:.0f} MB "
                                               f"≤ 2 × {c['param_mb']:.1f} + {CHECK_MEMORY_EXTRA_MB:g} = {limit:.0f} MB "
                                               f"(the input file is {c['input_mb']:.0f} MB)"))
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
    header = ["network", "params", "file", "floor ms", *(f"{k} ms med/p95" for k in STEP_KEYS),
              "step ÷ floor med/p95", "launch s", "floor launch s", "launch ÷ floor", "edit ms", "edit ÷ (NumPy+floor)",
              "edit (UI) ÷ (NumPy+floor)", "edit → health report ms", "NumPy fwd ms", "peak RSS MB"]
    body = []
    for r in rows:
        s = r["steps"]
        body.append([
            r["network"], f"{r['params']:,}", f"{r['format']} {r['weights_dtype']}", f"{r['floor_ms']:.1f}",
            *(f"{s[k]['median']:.1f} / {s[k]['p95']:.1f}" for k in STEP_KEYS),
            f"{r['step_ratio']:.2f} / {r['step_p95_ratio']:.2f}",
            f"{r['launch_s']:.2f}", f"{r.get('floor_launch_s', r['floor']['launch_s']):.2f}", f"{r['launch_ratio']:.2f}",
            f"{r['edit_rerun_ms']:.1f}", f"{r['edit_ratio']:.2f}", f"{r['edit_ui_ratio']:.2f}",
            "with the values" if math.isnan(r["edit_health_ms"]) else f"{r['edit_health_ms']:.0f}",
            f"{r['numpy_forward_ms']:.3f}", f"{r['peak_rss_mb']:.0f}",
        ])
    return _table(header, body)


def floor_table(floor: dict[str, Any]) -> str:
    header = ["floor app run", "key ms med", "key ms p95", "launch s"]
    body = [[name, f"{floor[name]['median_ms']:.1f}", f"{floor[name]['p95_ms']:.1f}", f"{floor[name]['launch_s']:.2f}"]
            for name in ("before", "after")]
    body.append(["mean", f"{floor['median_ms']:.1f}", f"{floor['p95_ms']:.1f}", f"{floor['launch_s']:.2f}"])
    table = _table(header, body)
    return (f"{table}\n(mean of the two runs: imports {floor['import_s']:.2f} s of the launch; a key's Textual paint "
            f"{floor['paint_ms']:.1f} ms, its whole Pilot press {floor['pilot_ms']:.1f} ms)")


def check_table(c: dict[str, Any]) -> str:
    header = ["check rows", "network", "input MB", "check s", "NumPy s (before / after)", "check ÷ NumPy",
              "check peak RSS MB", "NumPy peak RSS MB", "check exit"]
    body = [[f"{c['rows']:,}", c["of_network"], f"{c['input_mb']:.0f}", f"{c['check_s']:.2f}",
             f"{c['numpy_s']:.2f} ({c['numpy_s_before']:.2f} / {c['numpy_s_after']:.2f})",
             f"{c['check_s'] / c['numpy_s']:.2f}", f"{c['peak_rss_mb']:.0f}", f"{c['numpy_peak_rss_mb']:.0f}",
             str(c["check_exit"])]]
    return _table(header, body)


def breakdown_table(rows: list[dict[str, Any]]) -> str:
    """Where a key's time goes (medians, ms), and the median ÷ the floor's (an edit's ÷ NumPy from layer 1 + floor)."""
    header = ["network", "key", "→ complete", "→ 1st frame", "→ last frame", "Pilot press", "our action", "Textual paint",
              "frames/key", "÷ floor"]
    body = []
    for r in rows:
        for k in STEP_KEYS:
            d = r["per_key"][k]
            body.append([r["network"], k, f"{d['complete_ms']['median']:.1f}", f"{d['first_frame_ms']['median']:.1f}",
                         f"{d['last_frame_ms']['median']:.1f}",
                         f"{d['pilot_ms']['median']:.1f}", f"{d['action_ms']['median']:.1f}",
                         f"{d['paint_ms']['median']:.1f}", f"{d['frames_per_key']:.1f}",
                         f"{d['complete_ms']['median'] / r['floor_ms']:.2f}×"])
        for name, d, engine in (("edit", r["edit_direct"], "edit_ms"), ("edit UI", r["edit_ui"], "edit_ms")):
            body.append([r["network"], name, f"{d['complete_ms']['median']:.1f}", f"{d['first_frame_ms']['median']:.1f}",
                         f"{d['last_frame_ms']['median']:.1f}",
                         f"{d['pilot_ms']['median']:.1f}",
                         f"{d[engine]['median']:.1f} + {d['view_ms']['median']:.1f}",
                         f"{d['paint_ms']['median']:.1f}", f"{d['frames_per_key']:.1f}",
                         f"{d['complete_ms']['median'] / (r['numpy_from_edit_ms'] + r['floor_ms']):.2f}× (+NumPy)"])
    return _table(header, body)
