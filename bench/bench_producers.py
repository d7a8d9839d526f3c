"""Unthrottled throughput of the simulation against a bare loop producing the very same records.

One ``producers/simulation.py --max-rate`` process (the classic three lines, as before the eight
lines came; seeded, from a fixed Monday, no connector) runs for a fixed time and reports the events
Kafka acknowledged per second, flush included. The baseline does the same work without the model:
the same seed's records, recorded once by running the simulation's lines for one simulated day
(``_Recorder`` stands in for its writer), are produced by a plain loop to the same topics, through
producers configured as the simulation's (``SerializingProducer`` with ``AvroSerializer``,
idempotent, acks=all, ``linger.ms`` 20, delivery reports only for errors, one per pair of schemas),
with one ``poll(0)`` per simulated tick and the hourly weather POSTed to the REST Proxy, as the
simulation does. So the ratio is what the simulation's model costs. Both alternate over a few rounds
and each side's best round counts, so that a busy machine does not decide the ratio; the loop runs
in a process of its own too (``python -m bench.bench_producers SECONDS`` prints its rate), so both
sides start alike.

It measures a private platform of its own, started fresh and stopped at the end, not the one ``python
-m bench`` started: its rounds write millions of events to the pipeline's own turnstile topic, and on
a platform ``make run`` has used the KSQL server's persistent queries then count them for minutes. On
the shared platform the benchmarks after it measured that: the REST Proxy's rounds with 4 requests in
flight fell from 77 % of direct to 56-60 %, direct production from 148,000 records/s to 117,000-139,000.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from confluent_kafka import KafkaError, Message, SerializingProducer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer

from clients.endpoints import PROJECT_ROOT, endpoints
from cta import schemas, topics
from cta.lines import CLASSIC_LINES as LINES  # comparable with the results from before the eight lines
from producers.models.line import build_line
from tests.support.processes import private_env, run_stack

SECONDS = 20.0
ROUNDS = 2
GOAL_RATIO = 0.70
GOAL_RATE = 20_000
SEED = 7
START = "2024-10-07T00:00"
"""A Monday at midnight: both sides simulate the same weekdays from the same hour."""
TRAINS_PER_LINE = 10
"""The simulation's default."""
STEP = timedelta(minutes=5)
"""The simulation's default time step."""
RECORDED_TICKS = 288
"""One simulated day of records, which the baseline cycles through."""
SUMMARY = re.compile(r"Produced ([\d,]+) events in ([\d.]+) s \(([\d,]+) events/s\); ([\d,]+) failed")
SUBJECTS = {"subject.name.strategy": topic_subject_name_strategy}
"""Subjects <topic>-key and <topic>-value, named as the simulation's writer names them."""
WEATHER_KEY, WEATHER_VALUE = schemas.load("weather_key"), schemas.load("weather_value")
REST_HEADERS = {"Content-Type": "application/vnd.kafka.avro.v2+json", "Accept": "application/vnd.kafka.v2+json"}
WEATHER = {"key": {"timestamp": 0}, "value": {"temperature": 51.3, "status": "cloudy"}}

Record = list[Any]
"""[(key schema, value schema), topic, key, value, how many times in a row]."""


class _Recorder:
    """Stands in for the simulation's KafkaWriter while its lines run once: keeps each tick's records."""

    def __init__(self) -> None:
        self.tick: list[Record] = []

    def topic(self, name: str, key_schema: str, value_schema: str, partitions: int = 1) -> _TopicRecorder:
        return _TopicRecorder(self, name, (key_schema, value_schema))


class _TopicRecorder:
    def __init__(self, recorder: _Recorder, name: str, pair: tuple[str, str]) -> None:
        self.recorder, self.name, self.pair = recorder, name, pair

    def produce(self, key: dict[str, Any], value: dict[str, Any]) -> None:
        """Keeps the record; a turnstile's riders of one step are one record repeated, kept as a count."""
        records = self.recorder.tick
        last = records[-1] if records else None
        if last is not None and last[1] == self.name and last[2] is key and last[3] is value:
            last[4] += 1
        else:
            records.append([self.pair, self.name, key, value, 1])


def _record() -> list[tuple[bool, list[Record]]]:
    """The simulation's records of ``RECORDED_TICKS`` ticks, each with whether its tick posts the weather."""
    recorder = _Recorder()
    lines = [build_line(recorder, color, TRAINS_PER_LINE, SEED, LINES) for color in LINES]  # type: ignore[arg-type]
    clock, last_hour, ticks = datetime.fromisoformat(START), None, []
    for _ in range(RECORDED_TICKS):
        recorder.tick = []
        new_hour = (clock.date(), clock.hour) != last_hour
        last_hour = (clock.date(), clock.hour)
        for line in lines:
            line.run(clock, STEP)
        ticks.append((new_hour, recorder.tick))
        clock += STEP
    return ticks


def _simulation(seconds: float, env: dict[str, str]) -> float:
    result = subprocess.run(
        [
            *(sys.executable, "simulation.py", "--max-rate", "--duration", str(seconds)),
            *("--seed", str(SEED), "--start", START, "--no-connector", "--lines", ",".join(LINES)),
        ],
        cwd=PROJECT_ROOT / "producers",
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 300,
    )
    found = SUMMARY.search(result.stderr)
    if result.returncode != 0 or found is None or found.group(4) != "0":
        raise RuntimeError(f"the simulation failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return float(found.group(3).replace(",", ""))


def _bare_loop(ticks: list[tuple[bool, list[Record]]], seconds: float) -> float:
    """Events/s of a plain loop producing the recorded ticks (cycled) as the simulation would, flush included."""
    settings = endpoints()
    registry = SchemaRegistryClient({"url": settings.schema_registry_url})
    failures: list[str] = []

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        failures.append(str(err))

    producers = {
        (key_schema, value_schema): SerializingProducer(
            {
                "bootstrap.servers": settings.kafka_bootstrap_servers,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 20,
                "delivery.report.only.error": True,
                "on_delivery": on_delivery,
                "key.serializer": AvroSerializer(registry, key_schema, conf=SUBJECTS),
                "value.serializer": AvroSerializer(registry, value_schema, conf=SUBJECTS),
            }
        )
        for key_schema, value_schema in {record[0] for _, records in ticks for record in records}
    }
    for pair, topic in {(record[0], record[1]) for _, records in ticks for record in records}:
        # Registered before the clock starts, as the simulation's writer does while setting up its topics.
        for field, schema in zip(("key", "value"), pair, strict=True):
            registry.register_schema(f"{topic}-{field}", Schema(schema, "AVRO"))
    weather = requests.Session()
    body = json.dumps({"key_schema": WEATHER_KEY, "value_schema": WEATHER_VALUE, "records": [WEATHER]})
    sent = 0
    started = time.monotonic()
    deadline = started + seconds
    for new_hour, records in itertools.cycle(ticks):
        if time.monotonic() >= deadline:
            break
        if new_hour:
            weather.post(
                f"{settings.rest_proxy_url}/topics/{topics.WEATHER}", data=body, headers=REST_HEADERS, timeout=10
            ).raise_for_status()
        for pair, topic, key, value, times in records:
            producer = producers[pair]
            for _ in range(times):
                while True:
                    try:
                        producer.produce(topic, key=key, value=value)
                        break
                    except BufferError:
                        producer.poll(0.05)
            sent += times
        for producer in producers.values():
            producer.poll(0)
    for producer in producers.values():
        producer.flush(60)
    rate = sent / (time.monotonic() - started)
    weather.close()
    if failures:
        raise RuntimeError(f"the bare loop failed to deliver: {failures[:3]}")
    return rate


def _bare_loop_process(seconds: float, env: dict[str, str]) -> float:
    """The bare loop's rate, measured in a fresh process as the simulation's is."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_producers", str(seconds)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the bare loop failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return float(result.stdout.split()[-1])


def _rounds() -> tuple[list[float], list[float]]:
    """The simulation's and the bare loop's rates, round after round, on a private platform."""
    with tempfile.TemporaryDirectory(prefix="bench-producers-") as folder:
        env = {**os.environ, **private_env(Path(folder))}
        run_stack(env, "up", "--fresh")
        try:
            _simulation(5, env)  # creates the topics and registers the schemas once: not part of any round
            simulated, bare = [], []
            for _ in range(ROUNDS):
                simulated.append(_simulation(SECONDS, env))
                bare.append(_bare_loop_process(SECONDS, env))
            return simulated, bare
        finally:
            run_stack(env, "down", check=False)


def run() -> list[dict[str, Any]]:
    simulated, bare = _rounds()
    rate, baseline = max(simulated), max(bare)
    print(
        f"Simulation --max-rate: {rate:,.0f} events/s; the same records by a bare loop: {baseline:,.0f} events/s; "
        f"ratio {rate / baseline:.1%}. Rounds: {json.dumps([round(r) for r in simulated + bare])}."
    )
    return [
        {
            "metric": "simulation --max-rate, one process",
            "description": f"all lines, seeded, no sleep between ticks, for {SECONDS:.0f} s; events acknowledged/s",
            "value": rate,
            "unit": "events/s",
            "goal": f">= {GOAL_RATE:,}",
        },
        {
            "metric": "the same records by a bare producer loop",
            "description": "the simulation's records, topics, producer settings, polls and weather POSTs; no model",
            "value": baseline,
            "unit": "events/s",
        },
        {
            "metric": "simulation / bare producer loop",
            "description": f"the simulation's rate as a share of the loop's, best of {ROUNDS} alternating rounds each",
            "value": 100 * rate / baseline,
            "unit": "%",
            "baseline": baseline,
            "goal": f">= {GOAL_RATIO:.0%}",
        },
    ]


if __name__ == "__main__":
    print(_bare_loop(_record(), float(sys.argv[1])))
