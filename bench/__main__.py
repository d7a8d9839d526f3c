"""Runs the benchmarks, prints one table and writes ``bench/results.json``.

Each ``bench/bench_<name>.py`` has ``run() -> list[dict]``: rows of ``metric``, ``value``, ``unit``
and, where there is one, ``baseline`` (measured in the same run) and ``goal``.
"""

from __future__ import annotations

import gc
import importlib
import json
import sys
import time
from pathlib import Path

from stack.platform import lifecycle
from stack.platform.seeding import configured_seed
from stack.settings import load

HERE = Path(__file__).resolve().parent


def main(selected: list[str]) -> int:
    names = selected or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    settings = load()
    was_running = bool(lifecycle.running_services(settings))
    # The benchmarks measure the running platform; bench_platform starts its own.
    lifecycle.up(settings, seed=configured_seed())
    results: dict[str, list[dict]] = {}
    try:
        for name in names:
            print(f"Running benchmark {name}...", flush=True)
            started = time.monotonic()
            results[name] = importlib.import_module(f"bench.bench_{name}").run()
            print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
    finally:
        gc.collect()  # frees benchmark producers still in reference cycles before their broker goes away
        if not was_running:
            lifecycle.down(settings)
    print()
    print(f"| {'benchmark':16} | {'metric':44} | {'value':>14} | {'goal':>12} |")
    print(f"| {'-' * 16} | {'-' * 44} | {'-' * 14}:| {'-' * 12}:|")
    for name, rows in results.items():
        for row in rows:
            value = f"{row['value']:,.1f} {row['unit']}".strip()
            print(f"| {name:16} | {row['metric']:44} | {value:>14} | {row.get('goal', ''):>12} |")
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWrote {HERE / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
