"""python -m benchmarks [--quick] [--json FILE]: issue 7's benchmark suite.

Writes the networks to a temporary directory, measures each in a fresh
interpreter (``benchmarks.measure``), prints the results, the breakdown and
PASS/FAIL for every target. Exits 1 when a target fails, 2 on an error.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

from . import measure, report
from .networks import SPECS, write

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="skip the 33.6 M-parameter network")
    p.add_argument("--json", metavar="FILE", type=Path, help="write one object per network to FILE")
    p.add_argument("--presses", type=int, default=measure.PRESSES, help=f"timed presses of each of n, N, L (default {measure.PRESSES})")
    p.add_argument("--only", metavar="NAME", action="append", help="measure only this network (e.g. 2-3-1); repeatable")
    p.add_argument("--keep", metavar="DIR", type=Path, help="write the networks and raw measurements here and keep them")
    p.add_argument("--profile", metavar="DIR", type=Path, help="also write cProfile stats of each key per network here")
    args = p.parse_args(argv)

    specs = [s for s in SPECS if not (args.quick and s.large) and (not args.only or s.name in args.only)]
    if not specs:
        p.error("no network left to measure")
    info = report.machine()
    print(f"machine: {info['nproc']} cores, {info['cpu']}; Python {info['python']}, NumPy {info['numpy']}, "
          f"Textual {info['textual']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="neurodebug-bench-") as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        rows = []
        for spec in specs:
            path = write(spec, directory)
            out = directory / f"{spec.name}.measure.json"
            cmd = [sys.executable, "-m", "benchmarks.measure", str(path), str(out), "--presses", str(args.presses)]
            if args.profile:
                cmd += ["--profile", str(args.profile.resolve())]
            print(f"{spec.name}: {spec.params:,} parameters, {path.name} "
                  f"({path.stat().st_size / 1e6:.1f} MB) …", end=" ", flush=True)
            t = perf_counter()
            done = subprocess.run(cmd, cwd=ROOT)
            if done.returncode != 0:
                print(f"\nbenchmarks: measuring {spec.name} failed (exit {done.returncode})", file=sys.stderr)
                return 2
            print(f"{perf_counter() - t:.0f} s", flush=True)
            rows.append(report.summary(spec, json.loads(out.read_text())))
            if not args.keep:
                path.unlink()

    print()
    print(report.results_table(rows))
    print()
    print("where a key's time goes (medians, ms):")
    print(report.breakdown_table(rows))
    print()
    large = next((s.name for s in SPECS if s.large), "")
    verdicts = report.targets(rows, large)
    for ok, text in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    failed = sum(not ok for ok, _ in verdicts)
    print(f"\n{len(verdicts) - failed} of {len(verdicts)} targets met")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, allow_nan=True) + "\n")
        print(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
