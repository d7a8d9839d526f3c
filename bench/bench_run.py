"""`make run` as a user meets it: the time to the first train on the page, run after run, and the memory of everything.

``run.py`` (what ``make run`` runs once the venv and jars are set up) is started on a private
platform (free ports, own data folder), ``RUNS`` times cold (no platform data: Kafka formatted,
topics and schemas created from nothing) and ``RUNS`` times warm (the data of the run before
kept), so that a start that is fast only now and then shows. Each time the clock runs from the
start of ``run.py`` until ``/api/status`` shows a train at a platform; the timeline ``run.py``
printed (each service up, each piece started, the first train) is kept beside the figures, and so
are the CPU-seconds every process of the start had used by then, by process (``run.py`` starts
them all, and collects the time of those that ended): on a machine shared with other work the
seconds on the clock follow its load, the CPU-seconds much less, and they say where the work went.
Caches stay warm in every run: the jars, and the JVMs' class data sharing archives (written by
the first start on a new checkout; README, "Startup").

The memory of everything is ``make soak-memory`` for ``SOAK_MINUTES``: ``make run`` at five times
its pace, with every feature on and a page holding its event stream open, each process's RSS
sampled every second for the first two minutes (the start's short peaks), then every 10 s; the
peak of all processes together is the figure, kept with each process's share at that sample.

    python -m bench.bench_run [--runs 3] [--soak-minutes 10] [--output FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench import soak_memory
from clients.endpoints import PROJECT_ROOT
from run import train_on_page
from tests.support.processes import private_env

RUNS = 3
SOAK_MINUTES = 10.0
FIRST_TRAIN_TIMEOUT = 300.0
GOAL_WARM_S = 10
GOAL_COLD_S = 15
GOAL_MIB = 1024
DATA = {"cold": "no data", "warm": "the run before's data kept"}


PROCESS_NAMES = {
    "kafka.Kafka": "kafka",
    "org.apache.kafka.connect.cli.ConnectDistributed": "connect",
    "kafka.tools.StorageTool": "kafka-storage",
    "stack.schema_registry": "schema-registry",
    "stack.rest_proxy": "rest-proxy",
    "stack.ksql": "ksql-server",
    "faust": "faust",
    "server.py": "server",
    "simulation.py": "simulation",
    "connector.py": "connector",
    "ksql.py": "ksql.py",
    "run.py": "run.py",
}
"""Words of a command line and the name its CPU is counted under (PostgreSQL's processes are ``postgres``)."""


def process_name(process: psutil.Process) -> str:
    command = process.cmdline() or [process.name()]
    words = {Path(word).name for word in command}
    found = [name for word, name in PROCESS_NAMES.items() if word in words]
    if found:
        return found[0]
    first = Path(command[0]).name
    return "postgres" if first.startswith("postgres") else first


def cpu_by_process(pid: int) -> dict[str, float]:
    """CPU-seconds of a process and its descendants by name (:data:`PROCESS_NAMES`), those that ended and were
    waited for counted in their parent's."""
    used: dict[str, float] = {}
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # it ended between the listing and the reading
                times = process.cpu_times()
                name = process_name(process)
                used[name] = (
                    used.get(name, 0.0) + times.user + times.system + times.children_user + times.children_system
                )
    return used


def first_train(env: dict[str, str], log: Path) -> tuple[float, dict[str, float], list[str]]:
    """Seconds from ``run.py``'s start to a train on the page, the CPU-seconds each process had used by then, and
    the timeline ``run.py`` printed."""
    start_of_run = log.stat().st_size if log.exists() else 0
    started = time.monotonic()
    with log.open("ab") as output:
        run = subprocess.Popen([sys.executable, "run.py"], cwd=PROJECT_ROOT, env=env, stdout=output, stderr=output)
    try:
        while not train_on_page(int(env["WEB_PORT"])):
            if run.poll() is not None:
                raise RuntimeError(f"run.py exited with {run.returncode}: see {log}")
            if time.monotonic() - started > FIRST_TRAIN_TIMEOUT:
                raise TimeoutError(f"no train on the page within {FIRST_TRAIN_TIMEOUT:.0f} s: see {log}")
            time.sleep(0.1)
        seconds, cpu = time.monotonic() - started, cpu_by_process(run.pid)
        time.sleep(1.0)  # run.py's own line about the first train
    finally:
        run.send_signal(signal.SIGINT)  # Ctrl+C: run.py stops the application and the platform it started
        run.wait(180)
    with log.open("rb") as file:
        file.seek(start_of_run)
        printed = file.read().decode(errors="replace").splitlines()
    return seconds, cpu, [line for line in printed if "events/s" not in line and not line.startswith("Stopping")]


def starts(runs: int) -> dict[str, list[dict[str, Any]]]:
    """``runs`` cold starts, each followed by a warm one on its data: {"cold": [...], "warm": [...]}."""
    measured: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": []}
    for _ in range(runs):
        folder = Path(tempfile.mkdtemp(prefix="bench-run-"))
        try:
            env = {**os.environ, **private_env(folder / "platform"), "PYTHONUNBUFFERED": "1"}
            for kind in ("cold", "warm"):
                seconds, cpu, timeline = first_train(env, folder / "run.log")
                load, total = os.getloadavg()[0], sum(cpu.values())
                heaviest = ", ".join(
                    f"{name} {used:.1f}" for name, used in sorted(cpu.items(), key=lambda i: -i[1])[:4]
                )
                print(
                    f"  {kind}: first train after {seconds:.1f} s, {total:.1f} CPU-s ({heaviest}; load {load:.1f})",
                    flush=True,
                )
                measured[kind].append(
                    {"seconds": round(seconds, 1), "cpu_seconds": round(total, 1), "load_average": round(load, 1)}
                    | {"cpu_by_process": {name: round(used, 2) for name, used in sorted(cpu.items())}}
                    | {"timeline": timeline}
                )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return measured


def peak_memory(minutes: float) -> dict[str, Any]:
    """The peak RSS of every process together over ``minutes`` of ``make soak-memory``: its minute, its MiB
    and each process's share (:func:`bench.soak_memory.peak`)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-run-soak-"))
    try:
        soak_memory.main(["--minutes", f"{minutes:g}", "--output", str(folder)])
        return json.loads((folder / soak_memory.RESULTS.name).read_text())["peak"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(runs: int = RUNS, soak_minutes: float = SOAK_MINUTES) -> list[dict[str, Any]]:
    measured = starts(runs)
    rows: list[dict[str, Any]] = []
    for kind, goal in (("cold", GOAL_COLD_S), ("warm", GOAL_WARM_S)):
        seconds = [m["seconds"] for m in measured[kind]]
        cpu = [m["cpu_seconds"] for m in measured[kind]]
        print(
            f"make run to the first train, {kind}: {', '.join(f'{s:.1f}' for s in seconds)} s; "
            f"{', '.join(f'{c:.1f}' for c in cpu)} CPU-s",
            flush=True,
        )
        rows.append(
            {
                "metric": f"`make run` to first train, {kind}, worst of {runs}",
                "description": f"`run.py` on a private platform ({DATA[kind]}) until `/api/status` shows a train",
                "value": max(seconds),
                "unit": "s",
                "goal": f"<= {goal} s",
                "runs": measured[kind],
            }
        )
    if soak_minutes > 0:
        peak = peak_memory(soak_minutes)
        print(
            f"Peak RSS of everything over {soak_minutes:g} min at five times the pace: {peak['mib']:,.0f} MiB "
            f"at minute {peak['minute']:g}.",
            flush=True,
        )
        rows.append(memory_figure(peak, soak_minutes))
    return rows


def memory_figure(peak: dict[str, Any], soak_minutes: float) -> dict[str, Any]:
    """The soak's peak as a figure of the results file, each process's share at that sample kept in ``runs``."""
    return {
        "metric": f"peak RSS of everything, {soak_minutes:g} min at 5x pace",
        "description": "all processes' RSS (a page once) every 1 s for 2 min, then 10 s; `make soak-memory`",
        "value": peak["mib"],
        "unit": "MiB",
        "goal": f"<= {GOAL_MIB} MiB",
        "runs": [peak],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help=f"cold and warm starts each (default {RUNS})")
    parser.add_argument("--soak-minutes", type=float, default=SOAK_MINUTES, help="minutes of the memory soak; 0: none")
    parser.add_argument("--output", type=Path, help="a JSON file for the rows, timelines included")
    args = parser.parse_args(argv)
    rows = run(args.runs, args.soak_minutes)
    if args.output:
        args.output.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
