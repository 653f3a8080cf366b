"""python -m benchmarks [--quick] [--json FILE]: issue 7's benchmark suite, its targets as ratios (issue 19).

Writes the networks to a temporary directory, measures the floor app
(``benchmarks.floor``), each network (its launch alone five times, each after
a launch of the floor app, then everything else with the floor's key measured
just before and after its keys; each in a fresh interpreter:
``benchmarks.measure``), the floor app again, then ``neurodebug check`` over many rows
against a bare chunked NumPy pass (``benchmarks.checkrows``); prints the
results, the breakdown and PASS/FAIL for every target. Exits 1 when a target
fails, 2 on an error.
"""

from __future__ import annotations

import argparse
import compileall
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

from . import checkrows, floor, measure, report
from .networks import SPECS, write

CHECK = "check-rows"  # the name --only knows the check over many rows by
LAUNCHES = 5  # fresh launches of each network, each after one of the floor app: the medians are compared

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help=f"skip the 33.6 M-parameter network; check {checkrows.ROWS_QUICK:,} rows")
    p.add_argument("--json", metavar="FILE", type=Path, help="write one object per network (and one for the check run) to FILE")
    p.add_argument("--presses", type=int, default=measure.PRESSES, help=f"timed presses of each of n, N, L (default {measure.PRESSES})")
    p.add_argument("--only", metavar="NAME", action="append",
                   help=f"measure only this network (e.g. 2-3-1), or {CHECK}; repeatable")
    p.add_argument("--check-rows", metavar="N", type=int,
                   help=f"rows of the check run (default {checkrows.ROWS:,}, {checkrows.ROWS_QUICK:,} with --quick; 0: skip it)")
    p.add_argument("--keep", metavar="DIR", type=Path, help="write the networks and raw measurements here and keep them")
    p.add_argument("--profile", metavar="DIR", type=Path, help="also write cProfile stats of each key per network here")
    args = p.parse_args(argv)

    known = {s.name for s in SPECS} | {CHECK}
    unknown = sorted(set(args.only or ()) - known)
    if unknown:
        p.error(f"--only: no network {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    specs = [s for s in SPECS if not (args.quick and s.large) and (not args.only or s.name in args.only)]
    rows_n = args.check_rows if args.check_rows is not None else (checkrows.ROWS_QUICK if args.quick else checkrows.ROWS)
    do_check = rows_n > 0 and (not args.only or CHECK in args.only)
    if not specs and not do_check:
        p.error("nothing left to measure")
    info = report.machine()
    print(f"machine: {info['nproc']} cores, {info['cpu']}; Python {info['python']}, NumPy {info['numpy']}, "
          f"Textual {info['textual']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="neurodebug-bench-") as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        rows = []
        floors = []
        if specs:
            compile_package()
        if specs:
            floors.append(run_floor(directory, "before", args.presses))
            if floors[-1] is None:
                return 2
        for spec in specs:
            path = write(spec, directory)
            out = directory / f"{spec.name}.measure.json"
            cmd = [sys.executable, "-m", "benchmarks.measure", str(path), str(out), "--presses", str(args.presses)]
            if args.profile:
                cmd += ["--profile", str(args.profile.resolve())]
            print(f"{spec.name}: {spec.params:,} parameters, {path.name} "
                  f"({path.stat().st_size / 1e6:.1f} MB) …", end=" ", flush=True)
            t = perf_counter()
            launches, floor_launches = [], []
            for k in range(LAUNCHES):
                floor_out = directory / f"{spec.name}.floor-launch{k + 1}.json"
                done = subprocess.run([sys.executable, "-m", floor.__name__, str(floor_out), "--launch-only"], cwd=ROOT)
                if done.returncode != 0:
                    print(f"\nbenchmarks: launching the floor app failed (exit {done.returncode})", file=sys.stderr)
                    return 2
                floor_launches.append(json.loads(floor_out.read_text()))
                launch_out = directory / f"{spec.name}.launch{k + 1}.json"
                done = subprocess.run([sys.executable, "-m", "benchmarks.measure", str(path), str(launch_out),
                                       "--launch-only"], cwd=ROOT)
                if done.returncode != 0:
                    print(f"\nbenchmarks: launching {spec.name} failed (exit {done.returncode})", file=sys.stderr)
                    return 2
                launches.append(json.loads(launch_out.read_text()))
            done = subprocess.run(cmd, cwd=ROOT)
            if done.returncode != 0:
                print(f"\nbenchmarks: measuring {spec.name} failed (exit {done.returncode})", file=sys.stderr)
                return 2
            print(f"{perf_counter() - t:.0f} s", flush=True)
            rows.append(with_launch(json.loads(out.read_text()), launches, floor_launches))
            if not args.keep:
                path.unlink()
        if specs:
            floors.append(run_floor(directory, "after", args.presses))
            if floors[-1] is None:
                return 2
            fl = report.floor_summary(*floors)
            rows = [report.summary(spec, m, fl) for spec, m in zip(specs, rows)]
        check = None
        if do_check:
            print(f"{CHECK}: neurodebug check over {rows_n:,} rows of {checkrows.NETWORK} against a bare chunked "
                  f"NumPy pass …", end=" ", flush=True)
            t = perf_counter()
            try:
                check = checkrows.measure(directory, rows_n, keep=bool(args.keep))
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                print(f"\nbenchmarks: measuring {CHECK} failed: {exc}", file=sys.stderr)
                return 2
            print(f"{perf_counter() - t:.0f} s", flush=True)

    if rows:
        print()
        print("the floor app (three bordered panes repainted per key), before and after the networks:")
        print(report.floor_table(rows[0]["floor"]))
        print()
        print(report.results_table(rows))
        print()
        print("where a key's time goes (medians, ms):")
        print(report.breakdown_table(rows))
    if check is not None:
        print()
        print(report.check_table(check))
    print()
    verdicts = report.targets(rows, check)
    for ok, text in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    failed = sum(not ok for ok, _ in verdicts)
    print(f"\n{len(verdicts) - failed} of {len(verdicts)} targets met")
    if args.json:
        doc = rows + ([check] if check is not None else [])
        args.json.write_text(json.dumps(doc, indent=1, allow_nan=True) + "\n")
        print(f"wrote {args.json}")
    return 1 if failed else 0


def compile_package() -> None:
    """Bytecode for neurodebug, as ``pip install`` writes it: the launch then
    reads it, as Textual's own (already compiled in site-packages) is read,
    instead of compiling every module again where PYTHONDONTWRITEBYTECODE is set."""
    import neurodebug

    compileall.compile_dir(Path(neurodebug.__file__).parent, quiet=1)


def with_launch(m: dict, launches: list[dict], floor_launches: list[dict]) -> dict:
    """The measurement with the launch of the median fresh launch (imports →
    first complete screen): in the full run the loads and the NumPy
    reference, before the app, have imported what the launch would have.
    And the floor app's launches made alternately with them, their median
    what the launch is divided by."""
    ranked = sorted(launches, key=lambda r: r["import_s"] + r["launch_s"])
    median = ranked[(len(ranked) - 1) // 2]
    keys = ("import_s", "launch_s", "launch_health_s", "launch_loader_s", "launch_last_frame_s")
    m["in_run"] = {k: m[k] for k in keys}
    m.update({k: median[k] for k in keys})
    m["launches_s"] = [r["import_s"] + r["launch_s"] for r in launches]
    m["floor_launches_s"] = [r["import_s"] + r["launch_s"] for r in floor_launches]
    return m


def run_floor(directory: Path, when: str, presses: int) -> dict | None:
    """The floor app in a fresh interpreter; None (after saying why) when it failed."""
    out = directory / f"floor-{when}.json"
    print(f"floor app ({when} the networks) …", end=" ", flush=True)
    t = perf_counter()
    done = subprocess.run([sys.executable, "-m", floor.__name__, str(out), "--presses", str(presses)], cwd=ROOT)
    if done.returncode != 0:
        print(f"\nbenchmarks: measuring the floor app failed (exit {done.returncode})", file=sys.stderr)
        return None
    print(f"{perf_counter() - t:.0f} s", flush=True)
    return json.loads(out.read_text())


if __name__ == "__main__":
    sys.exit(main())
