"""Starts, watches and stops the platform's processes, remembering exactly which ones it started.

Each process runs in its own session (so Ctrl+C in a terminal does not reach it) and logs to its
own file. ``services.json`` in the data folder records every pid with its start time: ``down`` and
``status`` only ever touch a process whose pid *and* start time match, never an unrelated process
that happens to reuse a pid. On Linux the start time is the kernel's, in clock ticks since boot:
a wall-clock start time moves when the clock is set (NTP, a resumed VM), and the platform would
then take its own processes for strangers.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil


@dataclass
class Running:
    """What ``up`` recorded about one process it started."""

    name: str
    pid: int
    port: int
    log: str
    created: float
    """When the process started, as :func:`started_at` tells it."""
    stop_signal: int = signal.SIGTERM


@dataclass
class Launch:
    """How to start one service and how to tell that it is ready."""

    name: str
    port: int
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 30.0
    before_start: Callable[[], None] | None = None
    """Runs just before the process starts (not when found running): e.g. waits for a crashed predecessor."""


class StateFile:
    """The ``services.json`` record of running processes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Running]:
        if not self.path.exists():
            return {}
        entries = json.loads(self.path.read_text())
        return {name: Running(**entry) for name, entry in entries.get("services", {}).items()}

    def meta(self) -> dict:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text()).get("meta", {})

    def save(self, services: dict[str, Running], meta: dict | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"meta": self.meta() if meta is None else meta, "services": {n: asdict(r) for n, r in services.items()}}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, indent=2))
        tmp.replace(self.path)


def started_at(process: psutil.Process) -> float:
    """When ``process`` started: clock ticks since boot on Linux (field 22 of /proc/PID/stat, after the
    command name in parentheses), which no setting of the clock moves; elsewhere its wall-clock start time."""
    try:
        stat = Path(f"/proc/{process.pid}/stat").read_text()
    except OSError:
        return process.create_time()
    return float(stat.rpartition(")")[2].split()[19])


def process_of(entry: Running) -> psutil.Process | None:
    """The live process ``entry`` describes, or None if it has exited (or its pid was reused)."""
    try:
        process = psutil.Process(entry.pid)
        if abs(started_at(process) - entry.created) > 1.0 or process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process
    except psutil.Error:
        return None


def spawn(launch: Launch, logs_dir: Path) -> Running:
    logs_dir.mkdir(parents=True, exist_ok=True)
    log_path = logs_dir / f"{launch.name}.log"
    with log_path.open("ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {launch.name}\n".encode())
        log.flush()
        process = subprocess.Popen(
            launch.command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=launch.cwd,
            env={**os.environ, **launch.env},
            start_new_session=True,
        )
    created = started_at(psutil.Process(process.pid))
    return Running(launch.name, process.pid, launch.port, str(log_path), created, int(launch.stop_signal))


def stop(entries: Iterable[Running], timeout: float = 30.0) -> list[str]:
    """Stops processes gracefully with their stop signal, then forcefully after ``timeout``.

    Processes are signalled together so that, for example, all Kafka brokers shut down at once.
    Returns the names of the processes that had to be killed.
    """
    live = {entry.name: (entry, proc) for entry in entries if (proc := process_of(entry)) is not None}
    for entry, proc in live.values():
        with contextlib.suppress(psutil.Error):
            proc.send_signal(entry.stop_signal)
    _, alive = psutil.wait_procs([proc for _, proc in live.values()], timeout=timeout)
    killed = []
    for proc in alive:
        killed.append(next(n for n, (_, p) in live.items() if p.pid == proc.pid))
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=5)
    for entry, _ in live.values():
        # Anything left in the stopped service's process group (e.g. orphaned PostgreSQL workers).
        with contextlib.suppress(OSError):
            os.killpg(entry.pid, signal.SIGKILL)
    return killed
