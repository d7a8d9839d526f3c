"""``make soak``: the four classic commands in all 24 orders, and how long the status page takes to fill.

Users start ``python simulation.py``, the Faust worker, ``python ksql.py`` and ``python server.py``
by hand, in any order and with any pause between them. For each order this starts them as users
do, with random gaps of 0 to ``--gap-max`` seconds between starts (seeded: the seed is printed and
recorded, ``--seed`` repeats a run), and measures the time from the last start until the page is
*full* (tests/support/pipeline.py: every station of every line, a train on each line, the weather, a
total at each station with riders). Then it stops the four, removes what they left on the
platform and goes on with the next order, on one private platform (its own ports and data folder).

It is a measurement, not a test: the goal is a full page within 20 s of the last start, on this
machine. The results go to ``bench/soak_orders.json`` (date, machine, git commit) when every
order ran; ``--orders N`` / ``--only ORDER`` shorten a run and write only with ``--output``.

    python -m bench.soak_orders [--seed N] [--gap-max S] [--orders N | --only simulation,faust,ksql,server]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from clients.endpoints import PROJECT_ROOT
from tests.support.pipeline import COMMANDS, ORDERS, NotFull, reset_pipeline, start_in_order, wait_full
from tests.support.processes import private_env, run_stack

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "soak_orders.json"
GOAL_SECONDS = 20.0
TIMEOUT = 120.0


@dataclass
class Outcome:
    order: list[str]
    gaps: list[float]
    seconds: float | None
    """From the last start to a full page; None when it did not fill within the timeout."""
    slowest: str | None
    """The part of the page that came last (stations, trains, weather or totals)."""
    failure: str | None
    load: float
    """The machine's one-minute load average when the order started (others' work slows it down)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, help="seed of the gaps and of the orders' shuffle (default: random)")
    parser.add_argument("--gap-max", type=float, default=30.0, help="longest gap between two starts, s (default 30)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--orders", type=int, help="run only N of the 24 orders, drawn with the seed")
    which.add_argument(
        "--only", action="append", metavar="ORDER", help="run this order (comma-separated commands); repeatable"
    )
    parser.add_argument(
        "--timeout", type=float, default=TIMEOUT, help=f"give up on an order after S s (default {TIMEOUT:.0f})"
    )
    parser.add_argument(
        "--output", type=Path, help=f"where to write the results (default {RESULTS.name} for a full run)"
    )
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1_000_000)
    for order in args.only or []:
        if sorted(order.split(",")) != sorted(COMMANDS):
            parser.error(f"--only {order}: name each of {', '.join(COMMANDS)} once, comma-separated")
    return args


def chosen_orders(args: argparse.Namespace, rng: random.Random) -> list[tuple[str, ...]]:
    """The orders to run: ``--only``'s, or all 24 (or ``--orders`` of them) in a seeded shuffle."""
    if args.only:
        return [tuple(order.split(",")) for order in args.only]
    orders = list(ORDERS)
    rng.shuffle(orders)  # so that a shortened run is not always the orders that start with the simulation
    return orders[: args.orders] if args.orders else orders


def run_order(
    env: dict[str, str], order: tuple[str, ...], gaps: list[float], logs: Path, timeout: float, seed: int
) -> Outcome:
    """One order: start, wait for a full page, stop, and remove what it left for the next one."""
    load = round(os.getloadavg()[0], 1)
    run = start_in_order(env, order, gaps, logs, ["--seed", str(seed)])
    try:
        filled = wait_full(run, timeout)
        return Outcome(list(order), gaps, round(filled.seconds, 1), filled.slowest(), None, load)
    except NotFull as error:
        return Outcome(list(order), gaps, None, None, str(error), load)
    finally:
        run.stop()
        reset_pipeline(env)


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    times = [o.seconds for o in outcomes if o.seconds is not None]
    return {
        "orders": len(outcomes),
        "full": len(times),
        "failed": len(outcomes) - len(times),
        "min_s": min(times, default=None),
        "median_s": round(statistics.median(times), 1) if times else None,
        "max_s": max(times, default=None),
        f"within_{GOAL_SECONDS:.0f}_s": sum(1 for t in times if t <= GOAL_SECONDS),
    }


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def git_commit() -> str:
    """HEAD's hash, with ``+dirty`` when the working tree has changes (the numbers are for that code)."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout
    return head.strip() + ("+dirty" if dirty.strip() else "")


def provenance() -> dict[str, Any]:
    """When, where and on which code a soak runs; taken at its start, before anyone edits the tree."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "commit": git_commit(),
        "started": time.monotonic(),
    }


def describe(index: int, total: int, outcome: Outcome) -> str:
    gaps = " ".join(f"{g:4.1f}" for g in outcome.gaps)
    result = (
        f"full in {outcome.seconds:5.1f} s (last: {outcome.slowest})" if outcome.seconds is not None else "NOT FULL"
    )
    return f"{index:2}/{total} {' > '.join(outcome.order):36} gaps {gaps} s | {result} | load {outcome.load:g}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    orders = chosen_orders(args, rng)
    print(f"Soak of {len(orders)} order(s), seed {args.seed}, gaps 0-{args.gap_max:g} s.", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="cta-soak-orders-"))
    env = {**os.environ, **private_env(folder / "platform"), "PYTHONUNBUFFERED": "1"}
    origin = provenance()
    outcomes: list[Outcome] = []
    try:
        run_stack(env, "up")
        for index, order in enumerate(orders, 1):
            gaps = [round(rng.uniform(0, args.gap_max), 1) for _ in order[1:]]
            logs = folder / "logs" / f"{index:02}-{'-'.join(order)}"
            outcome = run_order(env, order, gaps, logs, args.timeout, rng.randrange(1_000_000))
            outcomes.append(outcome)
            print(describe(index, len(orders), outcome), flush=True)
            if outcome.failure:
                print("    " + outcome.failure.replace("\n", "\n    "), flush=True)
    finally:
        gc.collect()  # frees the reset's Kafka clients before their broker goes, or they log its absence
        run_stack(env, "down", check=False)
    totals = summary(outcomes)
    print(
        f"\n{totals['full']} of {totals['orders']} orders filled the page; from the last start: "
        f"min {totals['min_s']} s, median {totals['median_s']} s, max {totals['max_s']} s; "
        f"{totals[f'within_{GOAL_SECONDS:.0f}_s']} within {GOAL_SECONDS:.0f} s.",
        flush=True,
    )
    write_results(args, len(orders), origin, outcomes, totals)
    if totals["failed"]:
        print(f"The logs of every order are kept in {folder / 'logs'}.")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if totals["failed"] else 0


def write_results(
    args: argparse.Namespace,
    count: int,
    origin: dict[str, Any],
    outcomes: list[Outcome],
    totals: dict[str, Any],
) -> None:
    output = args.output or (RESULTS if count == len(ORDERS) else None)
    if output is None:
        print(f"A shortened run: not written to {RESULTS.name} (pass --output to keep it).")
        return
    record = {
        **{key: value for key, value in origin.items() if key != "started"},
        "minutes": round((time.monotonic() - origin["started"]) / 60, 1),
        "command": " ".join(["python -m bench.soak_orders", *sys.argv[1:]]),
        "seed": args.seed,
        "gap_max_s": args.gap_max,
        "goal_s": GOAL_SECONDS,
        "summary": totals,
        "orders": [asdict(o) for o in outcomes],
    }
    output.write_text(json.dumps(record, indent=2) + "\n")
    print(f"Wrote {output}")


if __name__ == "__main__":
    sys.exit(main())
