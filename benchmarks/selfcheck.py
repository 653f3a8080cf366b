"""A few seconds' check of the ratio arithmetic, no app and no timing:

    python -m benchmarks.selfcheck

Feeds ``report`` made-up measurements whose ratios sit just inside and just
outside each target and checks the PASS/FAIL it gives and the JSON keys the
issue names. Not part of the test suite (``tests/`` stays fast).
"""

from __future__ import annotations

import math
import sys
from types import SimpleNamespace
from typing import Any

from . import report
from .probe import completed


def _key(median: float, p95: float) -> dict[str, Any]:
    one = {"median": median, "p95": p95}
    return {"complete_ms": one, "first_frame_ms": one, "last_frame_ms": one, "pilot_ms": one, "action_ms": one,
            "view_ms": one, "edit_ms": one, "paint_ms": one, "frames_per_key": 1.0,
            "health_ms": {"median": math.nan, "p95": math.nan}}


def _floor(median: float, launch_s: float) -> dict[str, Any]:
    return {"import_s": launch_s / 2, "launch_s": launch_s / 2, "key": _key(median, 2 * median)}


def _measure(step: float, p95: float, launch_s: float, edit: float, numpy_from: float) -> dict[str, Any]:
    numpy = {"forward_ms": numpy_from, "from_layer1_ms": numpy_from}
    m = {f"key_{k}": _key(step, p95) for k in report.STEP_KEYS}
    m.update(params=13, load_s=0.0, import_s=launch_s / 2, launch_s=launch_s / 2, launch_loader_s=0.0,
             numpy_before=numpy, numpy_after=numpy, peak_rss_mb=60.0, weights_dtype="float64", dtype="float64",
             param_bytes=104, samples=5, steps=10, edit_target="L1.N1.w1", health_ms=0.0,
             edit_direct=_key(edit, edit), edit_ui=_key(edit, edit))
    return m


def main() -> int:
    spec = SimpleNamespace(name="2-3-1", filename="net.json", fmt="json")
    floor = report.floor_summary(_floor(8.0, 0.5), _floor(12.0, 0.3))  # mean: 10 ms a key, 0.4 s launch
    problems = []

    def expect(what: str, rows: list[dict[str, Any]], check: dict[str, Any] | None, passes: list[bool]) -> None:
        got = [ok for ok, _ in report.targets(rows, check)]
        if got != passes:
            problems.append(f"{what}: expected {passes}, got {got}: {report.targets(rows, check)}")

    inside = report.summary(spec, _measure(12.4, 19.9, 0.79, 14.9, 0.0), floor)
    outside = report.summary(spec, _measure(12.6, 19.9, 0.81, 15.1, 0.0), floor)
    p95_out = report.summary(spec, _measure(12.0, 20.1, 0.5, 10.0, 0.0), floor)
    for key in ("floor_ms", "step_ratio", "step_p95_ratio", "launch_ratio", "edit_ratio"):
        if key not in inside:
            problems.append(f"the JSON row lacks {key!r}")
    if abs(inside["floor_ms"] - 10.0) > 1e-9 or abs(inside["step_ratio"] - 1.24) > 1e-9:
        problems.append(f"floor or step ratio off: {inside['floor_ms']}, {inside['step_ratio']}")
    # one line per step key, then edit direct and UI, launch, memory
    steps = len(report.STEP_KEYS)
    expect("just inside", [inside], None, [True] * steps + [True, True, True, True])
    expect("just outside", [outside], None, [False] * steps + [False, False, False, True])
    expect("p95 outside", [p95_out], None, [False] * steps + [True, True, True, True])
    # The launch against the floor's launches made alternately with it (their median), not the two runs' mean
    paired = _measure(12.0, 19.9, 0.79, 14.9, 0.0)
    paired["floor_launches_s"] = [0.5, 0.39, 0.38]  # median 0.39: 0.79 s is 2.03×
    paired_row = report.summary(spec, paired, floor)
    if abs(paired_row["launch_ratio"] - 0.79 / 0.39) > 1e-9 or paired_row["floor_launch_s"] != 0.39:
        problems.append(f"the paired launch ratio is off: {paired_row['launch_ratio']}")
    expect("launch outside its paired floor", [paired_row], None, [True] * steps + [True, True, False, True])
    # The floor's key measured beside the network's (the mean of its two medians), not the floor runs'
    beside = _measure(12.4, 19.9, 0.79, 14.9, 0.0)
    beside["floor_keys_before"], beside["floor_keys_after"] = _key(9.0, 9.0), _key(10.0, 10.0)  # mean 9.5
    beside_row = report.summary(spec, beside, floor)
    if abs(beside_row["floor_ms"] - 9.5) > 1e-9:
        problems.append(f"the floor beside the network is off: {beside_row['floor_ms']}")
    expect("steps outside the floor beside them", [beside_row], None, [False] * steps + [False, False, True, True])
    with_numpy = report.summary(spec, _measure(10.0, 10.0, 0.5, 1.5 * (10.0 + 20.0) - 0.1, 20.0), floor)
    expect("edit with NumPy 20 ms", [with_numpy], None, [True] * (steps + 4))
    # An edit whose health report a worker thread computed after its values: the ratio is the values', the
    # line says when the report came
    later = _measure(10.0, 10.0, 0.5, 14.9, 0.0)
    later["edit_direct"] = {**later["edit_direct"], "health_ms": {"median": 95.0, "p95": 99.0}}
    later_row = report.summary(spec, later, floor)
    expect("edit with its report later", [later_row], None, [True] * (steps + 4))
    lines = [line for _, line in report.targets([later_row])]
    if "its health report 95.0 ms" not in lines[steps] or "health report" in lines[steps + 1]:
        problems.append(f"the edits' lines do not say when the report came: {lines[steps:steps + 2]}")
    # A first screen drawn before its health report: the launch is to the screen, the line says when the
    # report came (and says nothing when it came with the screen)
    first_later = _measure(10.0, 10.0, 0.79, 14.9, 0.0)
    first_later["launch_health_s"] = 0.5  # after the imports (0.395 s): at 0.895 s
    first_row = report.summary(spec, first_later, floor)
    expect("launch with its report later", [first_row], None, [True] * (steps + 4))
    launch_line = report.targets([first_row])[steps + 2][1]
    if not launch_line.startswith("launch ") or "its health report at 0.90 s" not in launch_line:
        problems.append(f"the launch line does not say when the report came: {launch_line}")
    if "health report" in report.targets([inside])[steps + 2][1]:
        problems.append("a launch whose report came with the screen says it came later")
    # The frames of an edit: its values with "checking…" (painted twice), then the report
    frames = [(1.0, None, "v0 checking…"), (2.0, None, "v1 checking…"), (3.0, None, "v1 checking…"),
              (4.0, None, "v1 ok"), (5.0, None, "v1 ok")]
    if completed(frames, edited=True) != (2.0, 4.0) or completed(frames, edited=False)[0] != 4.0:
        problems.append(f"an edit's frames are read wrong: {completed(frames, edited=True)}")
    if completed(frames[:3], edited=True)[0] != 2.0 or not math.isnan(completed(frames[:3], edited=True)[1]):
        problems.append(f"an edit still checking is read wrong: {completed(frames[:3], edited=True)}")
    check = {"network": "check-rows", "rows": 100, "check_s": 1.49, "numpy_s": 1.0, "peak_rss_mb": 301.0,
             "params": 13, "of_network": "x", "param_mb": 1.0, "input_mb": 1.0}
    expect("check inside", [], check, [True, True])
    expect("check outside", [], {**check, "check_s": 1.51, "peak_rss_mb": 303.0}, [False, False])
    for p in problems:
        print(p, file=sys.stderr)
    print("selfcheck: " + ("ok" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
