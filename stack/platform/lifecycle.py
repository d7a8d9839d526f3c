"""Brings the whole platform up and down in order: what ``python -m stack up/down/status`` do.

Each service starts as soon as the services it needs pass their health checks
(:data:`~stack.platform.services.SERVICES` says what each needs):
  - PostgreSQL and the Kafka brokers at once (their storage prepared side by side on a first
    start); once PostgreSQL answers, the application's data is loaded by the seed ``up`` is given,
    while Kafka is still starting,
  - Kafka Connect and our servers once every broker serves.
A caller that wants to start work as soon as what it needs is there (``run.py``) passes
``on_ready``, told each service's name once it is healthy (PostgreSQL's once it is seeded).

The platform imports no application code: the seed is a callable its caller hands to :func:`up`
(see :mod:`stack.platform.seeding`).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from stack.common.errors import StackError
from stack.platform import jars
from stack.platform.prerequisites import require_free_port, require_java
from stack.platform.seeding import Seed
from stack.platform.services import SERVICES, Platform, Service, depth, service_of, title
from stack.platform.supervisor import Launch, Running, StateFile, process_of, spawn, stop
from stack.settings import Settings

HEALTH_TIMEOUT = 120.0
POLL_EVERY = 0.2
Ready = Callable[[str], None]
"""Told the name of each service (``kafka``, ``schema-registry``, ...) once it is ready."""


def running_services(settings: Settings) -> dict[str, Running]:
    return {name: entry for name, entry in StateFile(settings.state_file).load().items() if process_of(entry)}


def running_brokers(settings: Settings) -> int | None:
    """The cluster size of the running platform, or None when it is not running."""
    if not running_services(settings):
        return None
    return StateFile(settings.state_file).meta().get("brokers")


def up(
    settings: Settings,
    brokers: int | None = None,
    fresh: bool = False,
    seed: Seed | None = None,
    on_ready: Ready | None = None,
    stop_dependents: Callable[[], None] | None = None,
) -> int:
    """Starts whatever is not running yet and waits until everything is healthy; returns the cluster size.

    ``seed`` loads the application's data once PostgreSQL is up (every time: loading is idempotent).
    When the start fails or is interrupted, ``stop_dependents`` stops what the caller started on the
    platform meanwhile (``on_ready``), before ``up`` stops what it started: a simulation stopped
    after Kafka could not flush what it wrote.
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
    startup = Startup(platform, state, seed, on_ready or (lambda _name: None))
    state.save(running, {"brokers": brokers})
    try:
        startup.run()
    except BaseException:
        if stop_dependents is not None:
            stop_dependents()
        if startup.started:
            print(f"Stopping what this run started: {', '.join(map(title, startup.started))}.", flush=True)
            stop(startup.started.values())
            state.save(running_services(settings))
        raise
    print(
        f"The platform is up ({startup.elapsed():.1f} s): Kafka at {settings.bootstrap_servers(brokers)}.",
        flush=True,
    )
    return brokers


class Startup:
    """One ``up``: starts each service once what it needs is ready, and watches every process until it is healthy."""

    def __init__(self, platform: Platform, state: StateFile, seed: Seed | None, on_ready: Ready) -> None:
        self.platform = platform
        self.state = state
        self.seed = seed
        self.on_ready = on_ready
        self.began = time.monotonic()
        self.started: dict[str, Running] = {}
        self.running = running_services(platform.settings)
        self.waiting: dict[str, tuple[Launch, float]] = {}
        """Processes not healthy yet: their launch, and when they started (or were found running)."""
        self.ready: set[str] = set()

    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def run(self) -> None:
        pending = list(SERVICES)
        while pending or self.waiting:
            startable = [service for service in pending if set(service.needs) <= self.ready]
            if startable:
                pending = [service for service in pending if service not in startable]
                self._start(startable)
            healthy = [name for name, (launch, _) in self.waiting.items() if self._is_healthy(launch)]
            for name in healthy:
                launch, since = self.waiting.pop(name)
                if name in self.started:
                    print(
                        f"{title(name)} is up on localhost:{launch.port} "
                        f"({time.monotonic() - since:.1f} s; {self.elapsed():.1f} s into the start).",
                        flush=True,
                    )
            for service in {service_of(name) for name in healthy}:
                if not any(service.owns(name) for name in self.waiting):
                    self._ready(service)
            if not healthy and self.waiting:
                self._check_timeout()
                time.sleep(POLL_EVERY)

    def _start(self, services: list[Service]) -> None:
        """Prepares the services side by side (formatting Kafka's storage while initdb runs), then starts them."""
        with ThreadPoolExecutor(len(services)) as pool:
            launches = [launch for found in pool.map(lambda s: s.launches(self.platform), services) for launch in found]
        to_start = [launch for launch in launches if launch.name not in self.running]
        for launch in to_start:
            if launch.before_start is not None:
                launch.before_start()
            require_free_port(launch.port, title(launch.name))
        now = time.monotonic()
        for launch in launches:
            if launch.name not in self.running:
                print(f"Starting {title(launch.name)} on port {launch.port}...", flush=True)
                self.started[launch.name] = self.running[launch.name] = spawn(launch, self.platform.settings.logs_dir)
                self.state.save(self.running)
            else:
                print(f"{title(launch.name)} is already running (pid {self.running[launch.name].pid}).", flush=True)
            self.waiting[launch.name] = (launch, now)

    def _is_healthy(self, launch: Launch) -> bool:
        entry = self.running[launch.name]
        if process_of(entry) is None:
            raise StackError(f"{launch.name} exited while starting: see its log, {entry.log}")
        return service_of(launch.name).is_healthy(self.platform.settings, self.platform.brokers, launch.port)

    def _ready(self, service: Service) -> None:
        if service.name == "postgres" and self.seed is not None:
            print(self.seed(self.platform.settings.endpoints.postgres_url), flush=True)
        self.ready.add(service.name)
        self.on_ready(service.name)

    def _check_timeout(self) -> None:
        now = time.monotonic()
        for name, (_, since) in self.waiting.items():
            if now - since > HEALTH_TIMEOUT:
                raise StackError(
                    f"{name} did not become healthy within {HEALTH_TIMEOUT:.0f} s: "
                    f"see its log, {self.running[name].log}"
                )


def down(settings: Settings) -> None:
    """Stops exactly the processes ``up`` started, each service before those it needs (Connect, then Kafka)."""
    state = StateFile(settings.state_file)
    running = running_services(settings)
    if not running:
        print("The platform is not running.")
        state.save({})
        return
    for level in sorted({depth(service) for service in SERVICES}, reverse=True):
        group = [entry for name, entry in running.items() if depth(service_of(name)) == level]
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
