"""`make run` as a user meets it: the time to the first train on the page, and the memory of everything.

``run.py`` (what ``make run`` runs once the venv and jars are set up) is started on a private
platform (this shell's ports moved by ``bench.ports.RUN_SHIFT``, own data folder): from cold (no
platform data: Kafka formatted, topics and schemas created from nothing) and warm (the data of the
first run kept). Each time the clock runs from the start of ``run.py`` until ``/api/status`` shows
a train at a platform. Meanwhile the resident memory of every process involved (the platform's
services with their children, and ``run.py`` with the application's processes) is summed twice a
second until a minute after the first train; the peak is reported.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import requests

from bench.ports import RUN_SHIFT, private_env
from clients.endpoints import PROJECT_ROOT

FIRST_TRAIN_TIMEOUT = 300.0
GOAL_SECONDS = 45
RSS_WINDOW = 60.0  # seconds after the first train that memory is still sampled
GOAL_MIB = 1536


def _trains(status: dict[str, Any]) -> int:
    return sum(1 for line in status["lines"] for s in line["stations"] for d in ("a", "b") if s[d])


def _tree(pid: int) -> list[psutil.Process]:
    try:
        process = psutil.Process(pid)
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return []


def _total_rss(run: subprocess.Popen[bytes], data_dir: Path) -> int:
    """The RSS of run.py's process tree and the platform's, each process counted once (the trees overlap)."""
    services_file = data_dir / "services.json"
    services = json.loads(services_file.read_text())["services"].values() if services_file.exists() else []
    processes = {p.pid: p for pid in [run.pid, *(entry["pid"] for entry in services)] for p in _tree(pid)}
    total = 0
    for process in processes.values():
        with contextlib.suppress(psutil.Error):  # it ended between the listing and the reading
            total += process.memory_info().rss
    return total


def _first_train(env: dict[str, str], data_dir: Path, log: Path) -> tuple[float, float]:
    """Seconds from ``run.py``'s start to a train on the page, and the peak RSS (bytes) until RSS_WINDOW later."""
    started = time.monotonic()
    with log.open("ab") as output:
        run = subprocess.Popen([sys.executable, "run.py"], cwd=PROJECT_ROOT, env=env, stdout=output, stderr=output)
    first_train: float | None = None
    peak = 0
    try:
        while time.monotonic() - started < FIRST_TRAIN_TIMEOUT:
            if run.poll() is not None:
                raise RuntimeError(f"run.py exited with {run.returncode}: see {log}")
            peak = max(peak, _total_rss(run, data_dir))
            if first_train is None:
                try:
                    status = requests.get(f"http://localhost:{env['WEB_PORT']}/api/status", timeout=2).json()
                    if _trains(status):
                        first_train = time.monotonic() - started
                except (requests.RequestException, ValueError):
                    pass
            elif time.monotonic() - started > first_train + RSS_WINDOW:
                return first_train, peak
            time.sleep(0.5)
        raise TimeoutError(f"no train on the page within {FIRST_TRAIN_TIMEOUT:.0f} s: see {log}")
    finally:
        run.send_signal(signal.SIGINT)  # Ctrl+C: run.py stops the application and the platform it started
        run.wait(180)


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-run-") as folder:
        data_dir = Path(folder)
        env = {**os.environ, **private_env(RUN_SHIFT, folder), "PYTHONUNBUFFERED": "1"}
        log = data_dir / "run.log"
        cold, cold_peak = _first_train(env, data_dir, log)
        warm, warm_peak = _first_train(env, data_dir, log)
    peak = max(cold_peak, warm_peak) / 2**20
    print(f"make run to the first train: {cold:.1f} s cold, {warm:.1f} s warm; peak RSS of everything {peak:,.0f} MiB.")
    return [
        {
            "metric": "`make run` to first train, cold (no data)",
            "description": "`run.py` on a private platform with no data, until `/api/status` shows a train",
            "value": cold,
            "unit": "s",
        },
        {
            "metric": "`make run` to first train, warm",
            "description": "the same again with the first run's platform data kept",
            "value": warm,
            "unit": "s",
            "goal": f"<= {GOAL_SECONDS} s",
        },
        {
            "metric": "peak RSS of everything together",
            "description": f"every process's RSS summed twice a second, until {RSS_WINDOW:.0f} s after the first train",
            "value": peak,
            "unit": "MiB",
            "goal": f"<= {GOAL_MIB} MiB",
        },
    ]


if __name__ == "__main__":
    run()
