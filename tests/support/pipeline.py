"""The classic project's four commands started in any order, and the moment the status page is full.

Users start ``python simulation.py`` (in ``producers/``), ``faust -A faust_stream worker``, ``python
ksql.py`` and ``python server.py`` (in ``consumers/``) by hand, in whatever order they think of.
Whatever the order, the page must fill; this module starts them in a given order with given gaps
(:func:`start_in_order`), decides when the page is *full* (:func:`wait_full`: every station of
every line listed, a train at a platform on each line, the weather, and a turnstile total at each
station that had riders in Kafka before the page was read) and says precisely what is missing when
it is not. :func:`reset_pipeline` removes everything the application left on the platform
(connector, topics, schemas, consumer groups, KSQL's statements), so that the next order starts
from nothing on the same platform: Kafka, Connect and PostgreSQL keep running, the KSQL server
and the REST Proxy are restarted.

Shared by ``tests/system/consumers/test_start_orders.py`` (a representative set of orders) and
``bench/soak_orders.py`` (all 24, ``make soak``). Every function takes the platform as an
environment dict (its endpoints), so each caller can run on a private platform.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from clients.endpoints import PROJECT_ROOT, Endpoints
from cta import topics
from cta.lines import LINES, line_stations, parse_lines
from stack.platform.prerequisites import port_in_use
from stack.platform.supervisor import Running, process_of
from tests.support.kafka import zigzag_varint
from tests.support.processes import Script, run_stack
from tests.support.waiting import wait_for

COMMANDS: dict[str, tuple[str, list[str]]] = {
    "simulation": ("producers", ["simulation.py"]),
    "faust": ("consumers", ["faust", "-A", "faust_stream", "worker", "-l", "info"]),
    "ksql": ("consumers", ["ksql.py"]),
    "server": ("consumers", ["server.py"]),
}
"""Each command as its users type it, and the folder they type it in."""
ORDERS: list[tuple[str, ...]] = list(itertools.permutations(COMMANDS))
"""All 24 orders of the four commands."""
RUNS_ONCE = {"ksql"}
"""Commands that do their work and exit; the others keep running."""
ALONE = {
    "simulation": "Simulating from",
    "faust": "Waiting for the stations topic",
    "server": "No arrivals topics yet",
}
"""What each long-running command logs once it runs and has found the others' topics missing."""
ALONE_TIMEOUT = 120.0
EXPECTED: dict[str, set[int]] = {line: {s.station_id for s in line_stations(line)} for line in LINES}
"""Every line's stations: the page lists all eight lines whichever the simulation runs."""
LINES_VARIABLE = "SIMULATION_LINES"
POLL_EVERY = 0.5
RESET_TIMEOUT = 120.0

# What the application leaves on the platform: its topics (Connect's, the simulation's, Faust's
# internal ones, KSQL's sink and a query's internal ones), and its consumer groups.
APP_TOPIC = re.compile(
    rf"^({re.escape('org.chicago.cta.')}|{topics.TURNSTILE_SUMMARY}$|{topics.TURNSTILE_HOURLY}$|_confluent-ksql-.*query_)"
)
KSQL_COMMANDS = re.compile(r"^_confluent-ksql-.*_command_topic$")
"""KSQL's statements, replayed at its start: deleted too, so that KSQL starts again empty."""
KEEPS_CLIENTS = ("ksql", "rest-proxy")
"""The platform's services whose Kafka clients ask for the application's topics (see reset_pipeline)."""
APP_GROUP = re.compile(r"^(org\.chicago\.cta\.|cta-status-page-|_confluent-ksql-.*query_)")


# --- starting the commands ----------------------------------------------------------------------


@dataclass
class Run:
    """One order's four processes on one platform, and when the last of them was started."""

    env: dict[str, str]
    order: tuple[str, ...]
    gaps: list[float]
    scripts: dict[str, Script] = field(default_factory=dict)
    last_start: float = 0.0
    lines: tuple[str, ...] = LINES
    """The lines the simulation runs: the page is full when each has its stations and a train."""

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints.from_env(self.env)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.endpoints.web_port}"

    def failures(self) -> list[str]:
        """Processes that stopped when they should not have: a long-running one, or a once-only one that failed."""
        found = []
        for name, script in self.scripts.items():
            code = script.process.poll() if script.process else None
            if code is not None and (name not in RUNS_ONCE or code != 0):
                tail = "\n".join(f"    {line}" for line in script.output().splitlines()[-15:])
                found.append(f"{name} exited with code {code}; the end of {script.log}:\n{tail}")
        return found

    def stop(self) -> None:
        """Stops every process still running, as Ctrl+C would (each flushes and closes its clients)."""
        for script in self.scripts.values():
            script.stop()


def simulation_lines(simulation_args: Sequence[str], env: dict[str, str]) -> tuple[str, ...]:
    """The lines ``python simulation.py`` runs with these arguments: ``--lines``, else $SIMULATION_LINES, else all."""
    args = list(simulation_args)
    if "--lines" in args:
        names = itertools.takewhile(lambda arg: not arg.startswith("-"), args[args.index("--lines") + 1 :])
        return parse_lines(" ".join(names))
    return parse_lines(env.get(LINES_VARIABLE) or " ".join(LINES))


def start_in_order(
    env: dict[str, str],
    order: Sequence[str],
    gaps: Sequence[float],
    logs: Path,
    simulation_args: Sequence[str] = (),
    say: Callable[[str], None] = lambda _: None,
    first_alone: bool = False,
) -> Run:
    """Starts the commands of ``order`` as their users do, waiting ``gaps[i]`` seconds after the i-th start.

    The gaps are the scenario (a user who starts the next command a while later), not a wait for
    anything. With ``first_alone`` the first command runs alone until it has met the others'
    absence (:func:`wait_alone`) before the others start. ``simulation_args`` are added to
    ``python simulation.py`` (e.g. ``--seed 1``).
    """
    if len(gaps) != len(order) - 1:
        raise ValueError(f"{len(order)} commands need {len(order) - 1} gaps, not {len(gaps)}")
    _check_ports_free(env)
    logs.mkdir(parents=True, exist_ok=True)
    run = Run(env, tuple(order), list(gaps), lines=simulation_lines(simulation_args, env))
    try:
        for index, name in enumerate(order):
            folder, argv = COMMANDS[name]
            if name == "simulation":
                argv = [*argv, *simulation_args]
            run.scripts[name] = Script(PROJECT_ROOT / folder, argv, logs / f"{name}.log", env).start()
            run.last_start = time.monotonic()
            say(f"  started {name}")
            if index == 0 and first_alone:
                wait_alone(run, name)
            if index < len(gaps) and gaps[index] > 0:
                time.sleep(gaps[index])
    except BaseException:  # Ctrl+C during a gap too: a process left running would write into the next run
        run.stop()
        raise
    return run


def wait_alone(run: Run, name: str) -> None:
    """Waits until ``name``, started alone, has looked for what the others make and found it missing.

    That is the state a first command must come out of; a fixed pause could end before a slow
    worker got there, or idle long after. ``ksql.py`` creates what it needs and exits.
    """
    script = run.scripts[name]
    assert script.process is not None

    def met_the_absence() -> bool:
        code = script.process.poll()
        if name in RUNS_ONCE and code == 0:
            return True
        if code is not None:
            raise AssertionError(f"{name} exited with code {code} while alone:\n{script.output()[-3000:]}")
        return name in ALONE and ALONE[name] in script.output()

    wait_for(met_the_absence, f"{name}, started alone, to say it waits for the others", ALONE_TIMEOUT)


def _check_ports_free(env: dict[str, str]) -> None:
    """Fails when the page's or Faust's port is taken: by a process of an earlier run, which would disturb this one."""
    for variable in ("WEB_PORT", "FAUST_WEB_PORT"):
        if variable in env and port_in_use(int(env[variable])):
            raise RuntimeError(f"Port {env[variable]} ({variable}) is in use: is a process of an earlier run alive?")


# --- when the page is full ----------------------------------------------------------------------


class Riders:
    """The stations with turnstile events in Kafka, read up to the topic's end each time it is asked.

    A raw reader (station_id is the first field of the Avro record), reading only what is new since
    the last call, so that asking twice a second costs next to nothing however long the run.
    """

    def __init__(self, bootstrap: str) -> None:
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"start-orders-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
            }
        )
        self.positions: dict[int, int] = {}
        self.stations: set[int] = set()

    def until_now(self) -> set[int]:
        """Every station with an event written before this call (none while the topic does not exist)."""
        metadata = self.consumer.list_topics(topics.TURNSTILE, timeout=10).topics.get(topics.TURNSTILE)
        if metadata is None or metadata.error is not None:
            return set(self.stations)
        new = [TopicPartition(topics.TURNSTILE, p, 0) for p in metadata.partitions if p not in self.positions]
        if new:
            self.consumer.incremental_assign(new)
            self.positions.update({tp.partition: 0 for tp in new})
        ends = {
            p: self.consumer.get_watermark_offsets(TopicPartition(topics.TURNSTILE, p), timeout=10)[1]
            for p in self.positions
        }
        while any(self.positions[p] < end for p, end in ends.items()):
            for message in self.consumer.consume(10_000, 1.0):
                if message.error() is None:
                    # Confluent framing (5 bytes), then the Avro record: station_id, an int, comes first.
                    self.stations.add(zigzag_varint(message.value(), 5))
                    self.positions[message.partition()] = message.offset() + 1
        return set(self.stations)

    def close(self) -> None:
        self.consumer.close()


@dataclass
class Missing:
    """What a full page would show and this one does not; empty (false) when the page is full."""

    answered: bool = True
    stations: dict[str, int] = field(default_factory=dict)
    """Line -> how many of its stations the page does not list."""
    trains: list[str] = field(default_factory=list)
    """Lines without a train at any platform."""
    totals: int = 0
    """Stations with riders in Kafka that show no turnstile total."""
    riders: int = 0
    """Stations with riders in Kafka."""
    weather: bool = False
    """True when the weather (temperature or status) is missing."""

    def __bool__(self) -> bool:
        # No riders yet is missing too: else a page read just before the first entries reached Kafka
        # would count as full without a single total.
        return not self.answered or bool(self.stations or self.trains or self.totals or self.weather or not self.riders)

    def present(self) -> set[str]:
        """The parts of a full page this one has: ``stations``, ``trains``, ``weather``, ``totals``."""
        if not self.answered:
            return set()
        have = {"stations": not self.stations, "trains": not self.trains, "weather": not self.weather}
        have["totals"] = self.riders > 0 and not self.totals
        return {part for part, there in have.items() if there}

    def __str__(self) -> str:
        if not self.answered:
            return "the page does not answer"
        parts = [f"{line} lacks {count} of {len(EXPECTED[line])} stations" for line, count in self.stations.items()]
        if self.trains:
            parts.append(f"no train at a platform on {', '.join(self.trains)}")
        if not self.riders:
            parts.append("no turnstile entries in Kafka yet")
        if self.totals:
            parts.append(f"{self.totals} of the {self.riders} stations with riders in Kafka show no turnstile total")
        if self.weather:
            parts.append("no weather")
        return "; ".join(parts) or "nothing"


def missing(status: dict[str, Any] | None, riders: Iterable[int], lines: Sequence[str] = LINES) -> Missing:
    """What ``status`` (``/api/status``, read after ``riders`` were seen in Kafka) lacks to be full.

    Full is every station and a train on each of ``lines`` (those the simulation runs): the other
    lines are listed too, but no train runs on them.
    """
    if status is None:
        return Missing(answered=False)
    found = Missing()
    run = {color: EXPECTED[color] for color in lines}
    shown = {line["color"]: line["stations"] for line in status["lines"]}
    for color, expected in run.items():
        stations = shown.get(color, [])
        lacking = len(expected - {s["station_id"] for s in stations})
        if lacking:
            found.stations[color] = lacking
        if not any(s["a"] or s["b"] for s in stations):
            found.trains.append(color)
    totals = {s["station_id"] for line in shown.values() for s in line if s["entries"] is not None}
    riders = set(riders) & {station_id for stations in run.values() for station_id in stations}  # shown ones
    found.riders, found.totals = len(riders), len(riders - totals)
    weather = status.get("weather") or {}
    found.weather = weather.get("temperature") is None or weather.get("status") is None
    return found


def page_status(url: str) -> dict[str, Any] | None:
    """``/api/status``, or None while the server does not answer."""
    try:
        response = requests.get(f"{url}/api/status", timeout=5)
        return response.json() if response.ok else None
    except (requests.RequestException, ValueError):
        return None


class NotFull(AssertionError):
    """The page did not fill: the message says what it lacked last, and which process failed."""


@dataclass
class Filled:
    """How long the page took to fill after the last start, and when each part of it was first there."""

    seconds: float
    parts: dict[str, float]
    """``stations``, ``trains``, ``weather``, ``totals`` -> seconds after the last start."""

    def slowest(self) -> str:
        return max(self.parts, key=self.parts.__getitem__)


def wait_full(run: Run, timeout: float) -> Filled:
    """Waits until a page read shows everything; raises NotFull after ``timeout`` s from the last start.

    Each round first notes the stations with riders in Kafka up to now, then reads the page: a full
    page has a total for each of them. The poll interval is a measuring step, not a barrier.
    """
    riders = Riders(run.endpoints.kafka_bootstrap_servers)
    lacking: Missing | None = None
    parts: dict[str, float] = {}
    try:
        while True:
            failed = run.failures()
            if failed:
                last = f"the page lacked {lacking}" if lacking is not None else "the page was not read yet"
                raise NotFull(f"{' then '.join(run.order)}: a process failed; {last}.\n" + "\n".join(failed))
            seen = riders.until_now()
            lacking = missing(page_status(run.url), seen, run.lines)
            waited = time.monotonic() - run.last_start
            for part in lacking.present() - set(parts):
                parts[part] = waited
            if not lacking:
                return Filled(waited, parts)
            if waited > timeout:
                raise NotFull(f"{' then '.join(run.order)}: {timeout:.0f} s after the last start, {lacking}.")
            time.sleep(POLL_EVERY)
    finally:
        riders.close()


# --- starting again from nothing ----------------------------------------------------------------


def reset_pipeline(env: dict[str, str], timeout: float = RESET_TIMEOUT) -> None:
    """Removes what the application left on the platform, so that the next run starts from nothing.

    Kafka, Connect and PostgreSQL keep running; the four processes must be stopped first. Kafka
    creates a topic whenever a client asks for one it does not know (the platform keeps Kafka's
    default, auto.create.topics.enable), and librdkafka's producers and admin clients ask again for
    every topic they once knew, every 5 minutes. Our KSQL server and REST Proxy hold such clients
    (the REST Proxy's producer knows the weather topic; the KSQL server's clients knew its queries'
    topics, even after TERMINATE, and after a restart those of every query its command topic held),
    so minutes after the topics were deleted they came back with one partition each, and the next
    ``ksql.py`` failed on TURNSTILE_SUMMARY's. So the two
    servers are stopped first and KSQL's command topic is deleted with the application's topics:
    KSQL starts again empty, as on a fresh platform. Then the stations connector and its offsets
    (else Connect would not copy the table again), the topics, their schemas (soft-deleted), the
    two servers started again, and last the consumer groups (a KSQL query's static member stays in
    its group until its session times out, about 10 s). Each step waits until what it removed is
    gone. Meant for a platform that runs only this application.
    """
    endpoints = Endpoints.from_env(env)
    _stop_services(env, KEEPS_CLIENTS, timeout)
    _delete_connector(env)
    admin = AdminClient({"bootstrap.servers": endpoints.kafka_bootstrap_servers})
    deleted = _delete_topics(admin, timeout)
    _delete_subjects(endpoints.schema_registry_url, deleted)
    run_stack(env, "up")  # starts the two servers again
    _delete_groups(admin, timeout)
    # Faust's own folder (the memory store keeps nothing there, but the worker writes its metadata).
    shutil.rmtree(Path(env["STACK_DATA_DIR"]) / "faust", ignore_errors=True)


def _stop_services(env: dict[str, str], names: Iterable[str], timeout: float) -> None:
    """Stops some of the platform's services (SIGTERM, as ``stack down`` does), checking each pid is theirs."""
    services = json.loads((Path(env["STACK_DATA_DIR"]) / "services.json").read_text())["services"]
    stopping = []
    for name in names:
        # The pid is the service's only if that process started when the platform recorded it.
        process = process_of(Running(**services[name]))
        if process is None:
            raise RuntimeError(f"pid {services[name]['pid']} is not the {name} the platform started")
        process.terminate()
        stopping.append(process)
    _, alive = psutil.wait_procs(stopping, timeout)
    if alive:
        raise RuntimeError(f"{', '.join(map(str, alive))} did not stop within {timeout:.0f} s")


def _delete_connector(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "connector.py", "--delete"],
        cwd=PROJECT_ROOT / "producers",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"connector.py --delete failed: {result.stdout}{result.stderr}")


def _ksql(url: str, statement: str) -> list[dict[str, Any]]:
    headers = {"Content-Type": "application/vnd.ksql.v1+json", "Accept": "application/vnd.ksql.v1+json"}
    response = requests.post(
        f"{url}/ksql", json={"ksql": statement, "streamsProperties": {}}, headers=headers, timeout=60
    )
    if not response.ok:
        raise RuntimeError(f"KSQL refused {statement!r}: {response.text[:300]}")
    return response.json()


def _app_groups(admin: AdminClient) -> list[str]:
    listed = admin.list_consumer_groups(request_timeout=10).result(15).valid
    return [g.group_id for g in listed if APP_GROUP.match(g.group_id)]


def _delete_groups(admin: AdminClient, timeout: float) -> None:
    """Deletes the application's groups; a group whose members have not left yet (static ones) is tried again."""

    def gone() -> bool:
        groups = _app_groups(admin)
        if groups:
            for future in admin.delete_consumer_groups(groups, request_timeout=10).values():
                try:
                    future.result(15)
                except KafkaException as error:
                    if error.args[0].code() not in (KafkaError.NON_EMPTY_GROUP, KafkaError.GROUP_ID_NOT_FOUND):
                        raise
        return not _app_groups(admin)

    wait_for(gone, "the application's consumer groups deleted", timeout, every=1.0)


def _app_topics(admin: AdminClient) -> list[str]:
    return sorted(name for name in admin.list_topics(timeout=10).topics if APP_TOPIC.match(name))


def _delete_topics(admin: AdminClient, timeout: float) -> list[str]:
    """Deletes the application's topics and KSQL's command topic, waits until Kafka lists none; returns their names."""

    def doomed() -> list[str]:
        return sorted(t for t in admin.list_topics(timeout=10).topics if APP_TOPIC.match(t) or KSQL_COMMANDS.match(t))

    names = doomed()
    if names:
        for future in admin.delete_topics(names, operation_timeout=30).values():
            try:
                future.result(60)
            except KafkaException as error:
                if error.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                    raise
    try:
        wait_for(lambda: not doomed(), "the application's topics deleted", timeout)
    except AssertionError as error:
        # Something writes to them again: a process of this run (or an earlier one) still alive.
        raise RuntimeError(f"{error}; still there: {', '.join(doomed()[:8])}") from None
    return names


def _delete_subjects(registry_url: str, deleted_topics: list[str]) -> None:
    """Soft-deletes the subjects of the deleted topics (and of any earlier run's).

    Not permanently: the REST Proxy caches each schema's id, as Confluent's does, and would keep
    sending the weather under an id that no longer exists. A soft-deleted schema keeps its id, and
    registering it again gives that id back.
    """

    def subjects() -> list[str]:
        listed = requests.get(f"{registry_url}/subjects", timeout=30).json()
        return [s for s in listed if APP_TOPIC.match(s) or s.rsplit("-", 1)[0] in deleted_topics]

    for subject in subjects():
        response = requests.delete(f"{registry_url}/subjects/{subject}", timeout=30)
        if response.status_code not in (200, 404):
            raise RuntimeError(f"The Schema Registry did not delete {subject}: {response.text[:300]}")
    if subjects():
        raise RuntimeError(f"The Schema Registry still lists {subjects()}")


def leftovers(env: dict[str, str]) -> list[str]:
    """What of the application is still on the platform (empty after a clean reset), for checks."""
    endpoints = Endpoints.from_env(env)
    admin = AdminClient({"bootstrap.servers": endpoints.kafka_bootstrap_servers})
    found = [f"topic {t}" for t in _app_topics(admin)] + [f"group {g}" for g in _app_groups(admin)]
    subjects = requests.get(f"{endpoints.schema_registry_url}/subjects", timeout=30).json()
    found += [f"subject {s}" for s in subjects if APP_TOPIC.match(s)]
    sources = _ksql(endpoints.ksql_url, "SHOW STREAMS; SHOW TABLES; SHOW QUERIES;")
    found += [
        f"KSQL {kind} {item.get('name') or item.get('id')}"
        for entity in sources
        for kind in ("streams", "tables", "queries")
        for item in entity.get(kind, [])
    ]
    connectors = requests.get(f"{endpoints.kafka_connect_url}/connectors", timeout=30).json()
    found += [f"connector {c}" for c in connectors]
    return found


def page_entries(status: dict[str, Any]) -> dict[int, int]:
    """Each station's turnstile total in the status page's ``/api/status``; stations nobody has entered show none."""
    return {
        s["station_id"]: s["entries"] for line in status["lines"] for s in line["stations"] if s["entries"] is not None
    }
