"""Runs the benchmarks and records each one's figures in ``bench/results.json`` as soon as it ends.

Each ``bench/bench_<name>.py`` has ``run() -> list[dict]``: figures as ``bench/results.py`` describes
them. ``python -m bench`` runs them all, ``python -m bench ksql consumers`` only those (the others'
sections of the file stay). A benchmark that fails is reported and the others still run; its old
section stays, with its old date and commit. ``python -m bench.report`` then rewrites the README's table.
"""

from __future__ import annotations

import gc
import importlib
import sys
import time
import traceback
from pathlib import Path

from bench import results
from bench.report import render
from stack.platform import lifecycle
from stack.platform.seeding import configured_seed
from stack.settings import load

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted((p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py")), key=results.position)


def main(selected: list[str]) -> int:
    names = selected or available()
    unknown = set(names) - set(available())
    if unknown:
        print(f"No such benchmark: {', '.join(sorted(unknown))} (there are {', '.join(available())}).")
        return 2
    settings = load()
    was_running = bool(lifecycle.running_services(settings))
    # The benchmarks measure the running platform; bench_platform and bench_run start their own.
    lifecycle.up(settings, seed=configured_seed())
    failed = []
    try:
        for name in names:
            print(f"Running benchmark {name}...", flush=True)
            started, clock = results.stamp(), time.monotonic()
            try:
                figures = importlib.import_module(f"bench.bench_{name}").run()
                results.record(name, started, time.monotonic() - clock, figures)
            except Exception:  # one broken benchmark must not cost the others' twenty minutes
                traceback.print_exc()
                failed.append(name)
            print(f"  done in {time.monotonic() - clock:.0f} s", flush=True)
    finally:
        gc.collect()  # frees benchmark producers still in reference cycles before their broker goes away
        if not was_running:
            lifecycle.down(settings)
    results.drop_missing(available())
    print()
    print(render(results.load()))
    print(f"Wrote {results.RESULTS}" + (f"; FAILED: {', '.join(failed)} (their old figures stay)" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
