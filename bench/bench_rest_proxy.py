"""Avro produce throughput through the REST Proxy, against confluent-kafka producing directly.

The same weather records are produced twice to fresh topics of the running platform: through the
REST Proxy in batches of 100 (one ``requests.Session``, one request after the other, each waiting
for Kafka's acknowledgements as any REST client does), and directly with confluent-kafka's
``SerializingProducer`` + ``AvroSerializer`` (idempotent, acks=all, flushed at the end).  The goal is
at least 25 % of the direct rate.  Both sides alternate over a few rounds and
each side's best round is compared, so a busy machine does not decide the ratio.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import requests
from confluent_kafka import SerializingProducer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer

RECORDS = 10_000
BATCH = 100
# Rounds alternate REST and direct so that both see the same machine load; each side's best round
# is reported, the one least disturbed by other work on the machine.
ROUNDS = 3
GOAL_RATIO = 0.25
SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "weather",
        "namespace": "org.chicago.cta",
        "fields": [
            {"name": "temperature", "type": "float"},
            {"name": "status", "type": "string"},
        ],
    }
)
STATUSES = ["sunny", "partly_cloudy", "cloudy", "windy", "precipitation"]


def _records() -> list[dict[str, Any]]:
    return [{"temperature": 20.0 + i % 50 / 10, "status": STATUSES[i % len(STATUSES)]} for i in range(RECORDS)]


def _new_topic(admin: AdminClient) -> str:
    name = f"bench.rest_proxy.{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(name, 3, 1)])[name].result(30)
    deadline = time.monotonic() + 30
    while name not in admin.list_topics(timeout=10).topics and time.monotonic() < deadline:
        time.sleep(0.05)
    return name


def _through_rest_proxy(rest_url: str, topic: str, records: list[dict[str, Any]]) -> float:
    headers = {"Content-Type": "application/vnd.kafka.avro.v2+json", "Accept": "application/vnd.kafka.v2+json"}
    with requests.Session() as session:
        # One warm-up request registers the schema, as a real client's first request would.
        warm = session.post(
            f"{rest_url}/topics/{topic}",
            data=json.dumps({"value_schema": SCHEMA, "records": [{"value": records[0]}]}),
            headers=headers,
        )
        warm.raise_for_status()
        started = time.perf_counter()
        for start in range(0, len(records), BATCH):
            body = {"value_schema": SCHEMA, "records": [{"value": v} for v in records[start : start + BATCH]]}
            response = session.post(f"{rest_url}/topics/{topic}", data=json.dumps(body), headers=headers)
            response.raise_for_status()
            if any(o["error_code"] is not None for o in response.json()["offsets"]):
                raise RuntimeError(f"the REST Proxy failed to write records: {response.text[:300]}")
        return len(records) / (time.perf_counter() - started)


def _directly(bootstrap: str, registry_url: str, topic: str, records: list[dict[str, Any]]) -> float:
    producer = SerializingProducer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "value.serializer": AvroSerializer(SchemaRegistryClient({"url": registry_url}), SCHEMA),
        }
    )
    producer.produce(topic, value=records[0])  # registers the schema, like the REST warm-up
    producer.flush(30)
    failures: list[str] = []

    def on_delivery(err: Any, _msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    started = time.perf_counter()
    for value in records:
        while True:
            try:
                producer.produce(topic, value=value, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    producer.flush(60)
    rate = len(records) / (time.perf_counter() - started)
    if failures:
        raise RuntimeError(f"direct produce failed: {failures[:3]}")
    return rate


def run() -> list[dict[str, Any]]:
    rest_url = os.environ.get("REST_PROXY_URL", "http://localhost:8082").rstrip("/")
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    registry_url = os.environ.get("SCHEMA_REGISTRY_URL", "http://localhost:8081")
    admin = AdminClient({"bootstrap.servers": bootstrap})
    records = _records()
    rest_rates, direct_rates = [], []
    for _ in range(ROUNDS):
        rest_rates.append(_through_rest_proxy(rest_url, _new_topic(admin), records))
        direct_rates.append(_directly(bootstrap, registry_url, _new_topic(admin), records))
    rest_rate, direct_rate = max(rest_rates), max(direct_rates)
    ratio = rest_rate / direct_rate
    print(
        f"REST Proxy Avro produce: {rest_rate:,.0f} records/s; direct confluent-kafka: {direct_rate:,.0f} records/s; "
        f"ratio {ratio:.1%} (goal {GOAL_RATIO:.0%})."
    )
    return [
        {"metric": "REST Avro produce (batches of 100)", "value": rest_rate, "unit": "records/s"},
        {"metric": "direct SerializingProducer Avro produce", "value": direct_rate, "unit": "records/s"},
        {
            "metric": "REST / direct throughput",
            "value": 100 * ratio,
            "unit": "%",
            "baseline": direct_rate,
            "goal": f">= {GOAL_RATIO:.0%}",
        },
    ]


if __name__ == "__main__":
    run()
