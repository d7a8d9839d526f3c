"""Brings the whole platform up and down in order: what ``python -m stack up/down/status`` do.

Start order, each stage waiting for real health checks before the next:
  1. PostgreSQL and the Kafka brokers (independent, started together),
  2. the stations table, loaded once,
  3. Kafka Connect and our Schema Registry and REST Proxy (all need Kafka).
"""

from __future__ import annotations

import shutil
import time

from stack import connect, jars, kafka, postgres, servers
from stack.errors import StackError
from stack.prerequisites import require_free_port, require_java
from stack.settings import Settings
from stack.supervisor import Launch, Running, StateFile, process_of, spawn, stop, wait_healthy

HEALTH_TIMEOUT = 120.0
SERVICE_TITLES = {
    "postgres": "PostgreSQL",
    "connect": "Kafka Connect",
    "schema-registry": "Schema Registry",
    "rest-proxy": "REST Proxy",
}


def title(name: str) -> str:
    if name.startswith("kafka-"):
        return f"Kafka broker {name.removeprefix('kafka-')}"
    return SERVICE_TITLES.get(name, name)


def running_services(settings: Settings) -> dict[str, Running]:
    return {name: entry for name, entry in StateFile(settings.state_file).load().items() if process_of(entry)}


def running_brokers(settings: Settings) -> int | None:
    """The cluster size of the running platform, or None when it is not running."""
    if not running_services(settings):
        return None
    return StateFile(settings.state_file).meta().get("brokers")


def up(settings: Settings, brokers: int | None = None, fresh: bool = False) -> int:
    """Starts whatever is not running yet and waits until everything is healthy; returns the cluster size."""
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

    java = require_java()
    found = jars.ensure(settings.cache_dir)
    began = time.monotonic()
    started: dict[str, Running] = {}
    state.save(running, {"brokers": brokers})
    try:
        pg_bin = postgres.prepare(settings)
        configs = kafka.prepare(settings, java, found.kafka_classpath, brokers)
        _start_stage(
            settings,
            state,
            [
                postgres.launch(settings, pg_bin),
                *kafka.launches(settings, java, found.kafka_classpath, brokers, configs),
            ],
            started,
        )
        rows = postgres.load_stations(settings)
        print(f"PostgreSQL database {settings.postgres_db!r} has {rows} rows in table stations.", flush=True)
        _start_stage(
            settings,
            state,
            [
                connect.launch(settings, java, found.kafka_classpath, brokers, found.connect_plugins),
                *servers.launches(settings, brokers),
            ],
            started,
        )
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


def _start_stage(settings: Settings, state: StateFile, launches: list[Launch], started: dict[str, Running]) -> None:
    running = running_services(settings)
    to_start = [launch for launch in launches if launch.name not in running]
    for launch in to_start:
        require_free_port(launch.port, title(launch.name))
    for launch in to_start:
        print(f"Starting {title(launch.name)} on port {launch.port}...", flush=True)
        started[launch.name] = running[launch.name] = spawn(launch, settings.logs_dir)
        state.save(running)
    for name in sorted(set(running) & {launch.name for launch in launches} - set(started)):
        print(f"{title(name)} is already running (pid {running[name].pid}).", flush=True)
    took = wait_healthy(launches, running, HEALTH_TIMEOUT)
    for launch in to_start:
        print(f"{title(launch.name)} is up on localhost:{launch.port} ({took[launch.name]:.1f} s).", flush=True)


def down(settings: Settings) -> None:
    """Stops exactly the processes ``up`` started: Connect and our servers first, then brokers and PostgreSQL."""
    state = StateFile(settings.state_file)
    running = running_services(settings)
    if not running:
        print("The platform is not running.")
        state.save({})
        return
    clients = [entry for name, entry in running.items() if not name.startswith("kafka-") and name != "postgres"]
    for group in (clients, [entry for entry in running.values() if entry not in clients]):
        if not group:
            continue
        print(f"Stopping {', '.join(title(entry.name) for entry in group)}...", flush=True)
        for name in stop(group, timeout=60):
            print(f"{title(name)} did not stop in time and was killed.", flush=True)
    state.save({})
    print("The platform is stopped.")


def is_healthy(settings: Settings, name: str, port: int) -> bool:
    """The same real check ``up`` waits for: a metadata request, a SQL query or an HTTP call."""
    if name.startswith("kafka-"):
        return kafka.broker_is_serving(port, 1)
    if name == "postgres":
        return postgres.answers_query(settings)
    if name == "connect":
        return connect.has_plugin(port, connect.JDBC_SOURCE)
    return servers.answers_http(port)


def status(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(service, pid, port, health) rows for every service ``up`` recorded."""
    rows = []
    for name, entry in StateFile(settings.state_file).load().items():
        alive = process_of(entry) is not None
        health = ("healthy" if is_healthy(settings, name, entry.port) else "unhealthy") if alive else "stopped"
        rows.append((title(name), str(entry.pid) if alive else "-", str(entry.port), health))
    return rows
