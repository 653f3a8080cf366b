"""The big key storm: 2,000 random keys (quits, saves, the palette, edits,
resizes from 20×5 to 300×100) on every sample network, each in a new set of
apps. Too slow for every test run (the suite runs 200 keys per sample);
run it by hand before a release:

    python tests/storm.py [--keys 2000] [--seed N]

It prints one line per sample and exits 1 if any app raised.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from tui_helpers import SAMPLES, make_app, storm, storm_keys  # noqa: E402


async def run(keys: int, seed: int) -> int:
    failed = 0
    for path in sorted(SAMPLES.glob("*.json")):
        rng = random.Random(f"{seed} {path.name}")
        start = time.monotonic()
        with tempfile.TemporaryDirectory() as folder:
            os.chdir(folder)  # saves land in a scratch folder
            try:
                apps = await storm(lambda p=path: make_app(p.name), storm_keys(rng, keys))
                print(f"{path.name:28} {keys} keys, {apps} apps, {time.monotonic() - start:.0f} s: ok")
            except Exception:
                failed += 1
                print(f"{path.name:28} FAILED")
                traceback.print_exc()
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    return asyncio.run(run(args.keys, args.seed))


if __name__ == "__main__":
    raise SystemExit(main())
