"""How fast the local platform starts and how much memory it holds.

A private platform (this shell's ports moved by ``bench.ports.PLATFORM_SHIFT``, fresh data folder,
jars already cached) is started from cold, then stopped and started again with its data; the
resident memory of every process it started (PostgreSQL's workers included) is summed while it
idles with one broker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.ports import PLATFORM_SHIFT, private_env
from clients.endpoints import PROJECT_ROOT


def _stack(env: dict[str, str], *args: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "stack", *args], cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    return time.monotonic() - started


def _platform_rss(data_dir: Path) -> float:
    services = json.loads((data_dir / "services.json").read_text())["services"].values()
    total = 0
    for entry in services:
        process = psutil.Process(entry["pid"])
        total += sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])
    return total


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-platform-") as folder:
        env = {**os.environ, **private_env(PLATFORM_SHIFT, folder)}
        # A throwaway run warms the page cache (the jars are cached: `python -m bench` started its platform).
        _stack(env, "up", "--fresh")
        _stack(env, "down")
        try:
            cold = _stack(env, "up", "--fresh")
            time.sleep(10)  # let the JVMs settle after start-up
            rss = _platform_rss(Path(folder))
            _stack(env, "down")
            warm = _stack(env, "up")
        finally:
            _stack(env, "down")
    return [
        {
            "metric": "`up` from cold, jars cached, fresh data",
            "description": "`python -m stack up --fresh` on a private platform, until every service answers",
            "value": cold,
            "unit": "s",
            "goal": "<= 15 s",  # within issue 19's first train from cold: make run waits for part of it
        },
        {
            "metric": "`up` again with existing data",
            "description": "`python -m stack up` of the same platform after `down`, its data kept",
            "value": warm,
            "unit": "s",
            "goal": "<= 10 s",  # within the first train on a warm start
        },
        {
            "metric": "platform RSS, 1 broker, idle",
            "description": "resident memory of the 7 services and their children, 10 s after a cold `up`",
            "value": rss / 2**20,
            "unit": "MiB",
            "goal": "<= 1024 MiB",  # the whole system's budget (bench_run), the application included
        },
    ]
