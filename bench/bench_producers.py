"""Unthrottled throughput of the simulation against a bare confluent-kafka Avro producer loop.

One ``producers/simulation.py --max-rate`` process (the classic three lines, so that results stay
comparable with those before the eight lines; seeded, no connector) runs for a fixed time and
reports the events Kafka acknowledged per second, flush included. The baseline, in
the same run and on the same platform, is the loop of confluent-kafka's examples: a
``SerializingProducer`` with ``AvroSerializer`` key and value (idempotent, acks=all) writing arrival
records to one topic, ``poll(0)`` after each, flushed at the end. Both alternate over a few rounds
and each side's best round counts, so that a busy machine does not decide the ratio. It measures the
platform that ``python -m bench`` has started.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from typing import Any

from confluent_kafka import SerializingProducer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer

from clients.endpoints import PROJECT_ROOT, endpoints
from cta import schemas

SECONDS = 20.0
ROUNDS = 2
GOAL_RATIO = 0.70
GOAL_RATE = 20_000
SUMMARY = re.compile(r"Produced ([\d,]+) events in ([\d.]+) s \(([\d,]+) events/s\); ([\d,]+) failed")
ARRIVAL = {
    "station_id": 40380,
    "train_id": "BL007",
    "direction": "a",
    "line": "blue",
    "train_status": "in_service",
    "prev_station_id": 40370,
    "prev_direction": "a",
}


def _simulation(seconds: float) -> float:
    result = subprocess.run(
        [
            sys.executable,
            "simulation.py",
            "--max-rate",
            "--duration",
            str(seconds),
            "--seed",
            "7",
            "--no-connector",
            "--lines",
            "red,blue,green",
        ],
        cwd=PROJECT_ROOT / "producers",
        capture_output=True,
        text=True,
        timeout=seconds + 300,
    )
    found = SUMMARY.search(result.stderr)
    if result.returncode != 0 or found is None or found.group(4) != "0":
        raise RuntimeError(f"the simulation failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return float(found.group(3).replace(",", ""))


def _bare_loop(bootstrap: str, registry_url: str, seconds: float) -> float:
    topic = f"bench.producers.{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1)])[topic].result(30)
    registry = SchemaRegistryClient({"url": registry_url})
    producer = SerializingProducer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "key.serializer": AvroSerializer(registry, schemas.load("arrival_key")),
            "value.serializer": AvroSerializer(registry, schemas.load("arrival_value")),
        }
    )
    producer.produce(topic, key={"timestamp": 0}, value=ARRIVAL)  # registers the schemas, as the simulation does
    producer.flush(30)
    failures: list[str] = []

    def on_delivery(err: Any, _msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    sent = 0
    started = time.monotonic()
    deadline = started + seconds
    while time.monotonic() < deadline:
        for _ in range(1000):
            try:
                producer.produce(topic, key={"timestamp": sent}, value=ARRIVAL, on_delivery=on_delivery)
            except BufferError:
                producer.poll(0.05)
                continue
            sent += 1
            producer.poll(0)
    producer.flush(60)
    rate = sent / (time.monotonic() - started)
    if failures:
        raise RuntimeError(f"the bare loop failed to deliver: {failures[:3]}")
    return rate


def run() -> list[dict[str, Any]]:
    bootstrap = endpoints().kafka_bootstrap_servers
    registry_url = endpoints().schema_registry_url
    _simulation(5)  # creates the topics and registers the schemas once: not part of any round
    simulated, bare = [], []
    for _ in range(ROUNDS):
        simulated.append(_simulation(SECONDS))
        bare.append(_bare_loop(bootstrap, registry_url, SECONDS))
    rate, baseline = max(simulated), max(bare)
    print(
        f"Simulation --max-rate: {rate:,.0f} events/s; bare SerializingProducer loop: {baseline:,.0f} events/s; "
        f"ratio {rate / baseline:.1%}. Rounds: {json.dumps([round(r) for r in simulated + bare])}."
    )
    return [
        {
            "metric": "simulation --max-rate, one process",
            "value": rate,
            "unit": "events/s",
            "goal": f">= {GOAL_RATE:,}",
        },
        {"metric": "bare SerializingProducer Avro loop", "value": baseline, "unit": "events/s"},
        {
            "metric": "simulation / bare producer loop",
            "value": 100 * rate / baseline,
            "unit": "%",
            "baseline": baseline,
            "goal": f">= {GOAL_RATIO:.0%}",
        },
    ]


if __name__ == "__main__":
    run()
