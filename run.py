"""``make run``: the whole product on this machine, with a live status line, stopped together with Ctrl+C.

Starts the local platform (unless it is already running; it loads the stations table through the
seed this module hands it, :func:`cta.stations_table.seed`), and the application as the classic
project's users run it by hand, each piece from its own folder (the table :data:`APPLICATION`):
the stations connector and the KSQL statements once, the Faust worker, the status page's server
and the simulation. Each piece starts as soon as the platform's services it needs are ready,
while the others are still starting (the pieces work in any order: tests/consumers/test_start_orders.py),
so the first train reaches the page without waiting for Kafka Connect. Each process logs to
``.data/logs/<name>.log``; this terminal shows when each piece started and when the first train
reached the page, then which processes are up, how many events a second reach Kafka and how far
each consumer group lags behind, one line every few seconds. A process that dies is reported in one line with the
tail of its log; the others carry on. Ctrl+C or SIGTERM stops every process this run started
(each flushes what it wrote), then the platform if this run started it.

``python run.py --no-platform`` runs the application against whatever already serves the
configured endpoints, such as ``docker-compose up``; ``--sleep 1`` runs the simulation at five
times its default pace (``make soak-memory`` does).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from clients.endpoints import PROJECT_ROOT, Endpoints
from clients.kafka import client_config
from cta import stations_table
from stack.common.errors import exit_with
from stack.platform import lifecycle
from stack.platform.prerequisites import port_in_use
from stack.settings import Settings, load

APP_TOPICS = "org.chicago.cta."
STATUS_EVERY = 5.0
STOP_TIMEOUT = 30.0
TAIL_LINES = 12


@dataclass(frozen=True)
class Process:
    """One piece of the application: how to run it, and whether it runs once or keeps running."""

    name: str
    folder: str
    command: list[str]
    """Arguments after the venv's Python (or a venv script, when the first one names it)."""
    once: bool = False
    """A set-up step that runs to completion, beside the long-running processes."""
    web_port: Callable[[Endpoints], int] | None = None
    """The port of a page this process serves: its URL is printed once it answers."""
    needs: tuple[str, ...] = ()
    """The platform's services (by their names in stack.platform.services) that must be ready first."""

    @property
    def source(self) -> Path:
        """The script the process runs; a missing one means that piece is not in this checkout."""
        module = self.command[self.command.index("-A") + 1] + ".py" if "-A" in self.command else self.command[0]
        return PROJECT_ROOT / self.folder / module

    def argv(self) -> list[str]:
        venv_bin = Path(sys.executable).parent
        if (venv_bin / self.command[0]).exists():
            return [str(venv_bin / self.command[0]), *self.command[1:]]
        return [sys.executable, *self.command]


APPLICATION = [
    # The seed has loaded PostgreSQL's stations table once "postgres" is ready.
    Process("connector", "producers", ["connector.py"], once=True, needs=("postgres", "connect")),
    Process("ksql", "consumers", ["ksql.py"], once=True, needs=("schema-registry", "ksql")),
    Process("faust", "consumers", ["faust", "-A", "faust_stream", "worker", "-l", "info"], needs=("kafka",)),
    Process(
        "server",
        "consumers",
        ["server.py"],
        web_port=lambda endpoints: endpoints.web_port,
        needs=("kafka", "schema-registry"),
    ),
    # The connector step above configures the stations connector.
    Process(
        "simulation", "producers", ["simulation.py", "--no-connector"], needs=("kafka", "schema-registry", "rest-proxy")
    ),
]


def with_simulation_options(processes: list[Process], options: list[str]) -> list[Process]:
    """The application with ``options`` added to the simulation's command line (``run.py --sleep 1``)."""
    return [dataclasses.replace(p, command=[*p.command, *options]) if p.name == "simulation" else p for p in processes]


@dataclass
class Started:
    process: Process
    popen: subprocess.Popen[bytes]
    log: Path
    reported: bool = False
    url_shown: bool = False


def trains(status: dict[str, Any]) -> int:
    """How many trains ``/api/status`` shows at a platform."""
    return sum(1 for line in status["lines"] for s in line["stations"] for d in ("a", "b") if s[d])


def train_on_page(port: int) -> bool:
    try:
        return trains(requests.get(f"http://localhost:{port}/api/status", timeout=2).json()) > 0
    except (requests.RequestException, ValueError, KeyError):
        return False


def log_tail(log: Path, lines: int = TAIL_LINES) -> list[str]:
    with log.open("rb") as file:
        file.seek(max(0, log.stat().st_size - 64 * 1024))
        return file.read().decode(errors="replace").splitlines()[-lines:]


@dataclass
class Supervisor:
    """Starts the application's processes, watches them, and stops exactly those it started."""

    settings: Settings
    processes: list[Process]
    say: Callable[[str], None] = field(default=lambda text: print(text, flush=True))
    started: list[Started] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)
    considered: set[str] = field(default_factory=set)

    def start(self, ready: Collection[str] | None = None) -> None:
        """Starts each process not started yet whose needs are all ``ready`` (None: every process)."""
        for process in self.processes:
            if process.name in self.considered or (ready is not None and not set(process.needs) <= set(ready)):
                continue
            self.considered.add(process.name)
            if not process.source.exists():
                self.say(f"Skipping the {process.name}: {process.source.relative_to(PROJECT_ROOT)} is not there.")
                continue
            self._spawn(process)

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.began:.1f} s"

    def _spawn(self, process: Process) -> Started:
        log = self.settings.logs_dir / f"{process.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as output:
            output.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} make run starts {process.name}\n".encode())
            output.flush()
            popen = subprocess.Popen(
                process.argv(),
                cwd=PROJECT_ROOT / process.folder,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                start_new_session=True,  # Ctrl+C reaches this supervisor only, which then stops each process once
            )
        what = "Running" if process.once else "Started"
        self.say(
            f"{what} the {process.name} ({process.folder}/{' '.join(process.command)}) "
            f"{self.elapsed()} into make run; log: {log}"
        )
        entry = Started(process, popen, log)
        self.started.append(entry)
        return entry

    def check(self) -> None:
        """Reports processes that died since the last check, and pages that began to answer."""
        for entry in self.started:
            code = entry.popen.poll()
            if code is not None and not entry.reported:
                entry.reported = True
                self._report_exit(entry, code)
            port = entry.process.web_port(self.settings.endpoints) if entry.process.web_port else None
            if code is None and port and not entry.url_shown and port_in_use(port):
                entry.url_shown = True
                self.say(f"The status page is up: http://localhost:{port} ({self.elapsed()} into make run)")

    def _report_exit(self, entry: Started, code: int) -> None:
        if code == 0:
            self.say(f"The {entry.process.name} finished ({self.elapsed()} into make run).")
            return
        tail = [f"    {line}" for line in log_tail(entry.log)]
        self.say("\n".join([f"The {entry.process.name} died (exit code {code}); the end of {entry.log}:", *tail]))

    def running(self) -> list[str]:
        return [e.process.name for e in self.started if not e.process.once and e.popen.poll() is None]

    def long_running(self) -> list[str]:
        return [e.process.name for e in self.started if not e.process.once]

    def stop(self) -> None:
        """SIGINT to every live process, newest first (the simulation flushes before its readers stop)."""
        live = [e for e in reversed(self.started) if e.popen.poll() is None]
        for entry in live:
            self.say(f"Stopping the {entry.process.name}...")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(entry.popen.pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT
        for entry in live:
            try:
                entry.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"The {entry.process.name} did not stop in {STOP_TIMEOUT:.0f} s and was killed.")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(entry.popen.pid, signal.SIGKILL)
                entry.popen.wait()
            entry.reported = True


def watch_first_train(supervisor: Supervisor, port: int, every: float = 0.5) -> threading.Thread:
    """Says when the page first shows a train (the measure of a start: README, "Startup"), from a thread of its own,
    so that it is told on time while the platform is still starting."""

    def watch() -> None:
        while not train_on_page(port):
            time.sleep(every)
        supervisor.say(f"The first train is on the page {supervisor.elapsed()} into make run.")

    thread = threading.Thread(target=watch, name="first-train", daemon=True)
    thread.start()
    return thread


class KafkaActivity:
    """Events a second written to the application's topics, and the lag of each active consumer group."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.admin = AdminClient(client_config(bootstrap_servers))
        self.last: tuple[float, int] | None = None

    def sample(self) -> str:
        try:
            topics = self.admin.list_topics(timeout=5).topics
            app = [TopicPartition(t, p) for t, m in topics.items() if t.startswith(APP_TOPICS) for p in m.partitions]
            lags = self._group_lags(topics)
            ends = self._end_offsets(app)
        except (KafkaException, TimeoutError) as error:
            return f"Kafka does not answer ({error})"
        now, total = time.monotonic(), sum(ends.values())
        rate = f"{(total - self.last[1]) / (now - self.last[0]):,.0f}" if self.last else "(measuring)"
        self.last = (now, total)
        lag_text = ", ".join(f"{group} {lag:,}" for group, lag in sorted(lags.items())) or "no consumer groups yet"
        return f"{rate} events/s | lag: {lag_text}"

    def _end_offsets(self, partitions: list[TopicPartition]) -> dict[tuple[str, int], int]:
        if not partitions:
            return {}
        futures = self.admin.list_offsets({tp: OffsetSpec.latest() for tp in partitions}, request_timeout=5)
        return {(tp.topic, tp.partition): future.result(10).offset for tp, future in futures.items()}

    def _group_lags(self, topics: dict) -> dict[str, int]:
        groups = self.admin.list_consumer_groups(request_timeout=5).result(10).valid
        active = [g.group_id for g in groups if g.state == ConsumerGroupState.STABLE]
        lags = {}
        for group in active:
            committed = self.admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(10)
            owned = [tp for tp in committed.topic_partitions if tp.offset >= 0 and tp.topic in topics]
            if not owned:
                continue  # a group that commits nothing (the status page reads from where it wants) has no lag
            ends = self._end_offsets([TopicPartition(tp.topic, tp.partition) for tp in owned])
            lags[group] = sum(max(0, ends[(tp.topic, tp.partition)] - tp.offset) for tp in owned)
        return lags


def status_line(supervisor: Supervisor, activity: KafkaActivity) -> str:
    up = set(supervisor.running())
    states = " · ".join(f"{name} {'up' if name in up else 'DOWN'}" for name in supervisor.long_running())
    return f"[{time.strftime('%H:%M:%S')}] {states or 'no processes'} | {activity.sample()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-platform",
        action="store_true",
        help="do not start the local platform: use the one at the configured endpoints (e.g. docker-compose)",
    )
    parser.add_argument(
        "--sleep",
        type=float,
        help="wall-clock seconds per simulated step, for the simulation (its default: 5; 1 is five times its pace)",
    )
    args = parser.parse_args()
    own_platform = not args.no_platform
    processes = (
        APPLICATION if args.sleep is None else with_simulation_options(APPLICATION, ["--sleep", f"{args.sleep:g}"])
    )
    settings = load()
    was_running = not own_platform or bool(lifecycle.running_services(settings))
    # Ctrl+C and SIGTERM both end the run, even when it was started with SIGINT ignored (in the background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    supervisor = Supervisor(settings, processes)
    watch_first_train(supervisor, settings.endpoints.web_port)
    ready: set[str] = set()

    def start_what_is_ready(service: str) -> None:
        ready.add(service)
        supervisor.start(ready)
        supervisor.check()

    try:
        bootstrap = settings.endpoints.kafka_bootstrap_servers
        if own_platform:
            brokers = lifecycle.up(
                settings, seed=stations_table.seed, on_ready=start_what_is_ready, stop_dependents=supervisor.stop
            )
            bootstrap = settings.bootstrap_servers(brokers)
        supervisor.start()
        print("Everything is started. Press Ctrl+C to stop it all.", flush=True)
        activity = KafkaActivity(bootstrap)
        next_status = time.monotonic()
        while True:
            supervisor.check()
            if time.monotonic() >= next_status:
                print(status_line(supervisor, activity), flush=True)
                next_status += STATUS_EVERY
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        supervisor.stop()
        if not was_running:
            lifecycle.down(settings)


if __name__ == "__main__":
    exit_with(main)
