"""Brings the whole platform up and down in order: what ``python -m stack up/down/status`` do.

Start order (:data:`~stack.platform.services.SERVICES` gives each service its stage), each stage
waiting for real health checks before the next:
  1. PostgreSQL and the Kafka brokers (independent, started together),
     then the application's data is loaded into PostgreSQL by the seed it passes in (once),
  2. Kafka Connect and our servers (all need Kafka).

The platform imports no application code: the seed is a callable its caller hands to :func:`up`
(see :mod:`stack.platform.seeding`).
"""

from __future__ import annotations

import shutil
import time

from stack.common.errors import StackError
from stack.platform import jars
from stack.platform.prerequisites import require_free_port, require_java
from stack.platform.seeding import Seed
from stack.platform.services import SERVICES, Platform, service_of, title
from stack.platform.supervisor import Launch, Running, StateFile, process_of, spawn, stop, wait_healthy
from stack.settings import Settings

HEALTH_TIMEOUT = 120.0


def running_services(settings: Settings) -> dict[str, Running]:
    return {name: entry for name, entry in StateFile(settings.state_file).load().items() if process_of(entry)}


def running_brokers(settings: Settings) -> int | None:
    """The cluster size of the running platform, or None when it is not running."""
    if not running_services(settings):
        return None
    return StateFile(settings.state_file).meta().get("brokers")


def up(settings: Settings, brokers: int | None = None, fresh: bool = False, seed: Seed | None = None) -> int:
    """Starts whatever is not running yet and waits until everything is healthy; returns the cluster size.

    ``seed`` loads the application's data once PostgreSQL is up (every time: loading is idempotent).
    """
    state = StateFile(settings.state_file)
    running = running_services(settings)
    current = state.meta().get("brokers") if running else None
    if current and brokers and brokers != current:
        raise StackError(
            f"The platform is running with {current} broker(s): "
            f"run `python -m stack down` before `up --brokers {brokers}`."
        )
    if running and fresh:
        raise StackError("--fresh deletes all platform data: run `python -m stack down` first.")
    brokers = current or brokers or 1
    if fresh:
        for folder in ("kafka", "postgres", "connect"):
            shutil.rmtree(settings.data_dir / folder, ignore_errors=True)
        print("Deleted the platform's data (--fresh).", flush=True)

    platform = Platform(settings, brokers, require_java(settings.java_home), jars.ensure(settings.cache_dir))
    began = time.monotonic()
    started: dict[str, Running] = {}
    state.save(running, {"brokers": brokers})
    try:
        for stage in sorted({service.stage for service in SERVICES}):
            launches = [launch for s in SERVICES if s.stage == stage for launch in s.launches(platform)]
            _start_stage(platform, state, launches, started)
            if stage == 1 and seed is not None:
                print(seed(settings.endpoints.postgres_url), flush=True)
    except BaseException:
        if started:
            print(f"Stopping what this run started: {', '.join(map(title, started))}.", flush=True)
            stop(started.values())
            state.save(running_services(settings))
        raise
    print(
        f"The platform is up ({time.monotonic() - began:.1f} s): Kafka at {settings.bootstrap_servers(brokers)}.",
        flush=True,
    )
    return brokers


def _start_stage(platform: Platform, state: StateFile, launches: list[Launch], started: dict[str, Running]) -> None:
    settings = platform.settings
    running = running_services(settings)
    to_start = [launch for launch in launches if launch.name not in running]
    for launch in to_start:
        if launch.before_start is not None:
            launch.before_start()
        require_free_port(launch.port, title(launch.name))
    for launch in to_start:
        print(f"Starting {title(launch.name)} on port {launch.port}...", flush=True)
        started[launch.name] = running[launch.name] = spawn(launch, settings.logs_dir)
        state.save(running)
    for name in sorted(set(running) & {launch.name for launch in launches} - set(started)):
        print(f"{title(name)} is already running (pid {running[name].pid}).", flush=True)
    took = wait_healthy(
        launches,
        running,
        lambda launch: service_of(launch.name).is_healthy(settings, platform.brokers, launch.port),
        HEALTH_TIMEOUT,
    )
    for launch in to_start:
        print(f"{title(launch.name)} is up on localhost:{launch.port} ({took[launch.name]:.1f} s).", flush=True)


def down(settings: Settings) -> None:
    """Stops exactly the processes ``up`` started, later stages first (Connect and our servers, then Kafka)."""
    state = StateFile(settings.state_file)
    running = running_services(settings)
    if not running:
        print("The platform is not running.")
        state.save({})
        return
    for stage in sorted({service.stage for service in SERVICES}, reverse=True):
        group = [entry for name, entry in running.items() if service_of(name).stage == stage]
        if not group:
            continue
        print(f"Stopping {', '.join(title(entry.name) for entry in group)}...", flush=True)
        for name in stop(group, timeout=60):
            print(f"{title(name)} did not stop in time and was killed.", flush=True)
    state.save({})
    print("The platform is stopped.")


def status(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(service, pid, port, health) rows for every process ``up`` recorded, checked as ``up`` checks them."""
    state = StateFile(settings.state_file)
    brokers = state.meta().get("brokers", 1)
    rows = []
    for name, entry in state.load().items():
        alive = process_of(entry) is not None
        healthy = alive and service_of(name).is_healthy(settings, brokers, entry.port)
        health = ("healthy" if healthy else "unhealthy") if alive else "stopped"
        rows.append((title(name), str(entry.pid) if alive else "-", str(entry.port), health))
    return rows
