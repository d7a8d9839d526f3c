"""``make run``: the whole pipeline on this machine, stopped together with Ctrl+C.

Starts the local platform (unless it is already running), then the application's processes as the
classic project's users know them, each from its own folder, with its output prefixed by its name.
Ctrl+C or SIGTERM stops those processes (each flushes what it wrote), then the platform if this run
started it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

from stack.common.errors import exit_with
from stack.platform import lifecycle
from stack.settings import PROJECT_ROOT, load

# (name, folder, arguments to Python): the processes of the application, in start order.
APPLICATION = [
    ("simulation", "producers", ["simulation.py"]),
]
STOP_TIMEOUT = 30.0


def _relay(name: str, process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        print(f"[{name}] {line}", end="", flush=True)


def _start(name: str, folder: str, args: list[str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=Path(PROJECT_ROOT, folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,  # Ctrl+C reaches this runner only, which then stops each process once
    )
    threading.Thread(target=_relay, args=(name, process), daemon=True).start()
    return process


def main() -> int:
    settings = load()
    was_running = bool(lifecycle.running_services(settings))
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    processes: list[tuple[str, subprocess.Popen[str]]] = []
    try:
        lifecycle.up(settings)
        for name, folder, args in APPLICATION:
            print(f"Starting the {name} ({folder}/{' '.join(args)})...", flush=True)
            processes.append((name, _start(name, folder, args)))
        print(
            "Everything is running. Topics: `.venv/bin/python -m stack kafka-topics --list`. Press Ctrl+C to stop.",
            flush=True,
        )
        for name, process in processes:
            if process.wait() != 0:
                print(f"The {name} stopped with exit code {process.returncode}.", flush=True)
                return process.returncode
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        for name, process in processes:
            if process.poll() is None:
                print(f"Stopping the {name}...", flush=True)
                process.send_signal(signal.SIGINT)
        for _, process in processes:
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
        if not was_running:
            lifecycle.down(settings)


if __name__ == "__main__":
    exit_with(main)
