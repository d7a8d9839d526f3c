"""The KSQL server for tests: statements over HTTP, Avro turnstile events, a table's counts read back, private servers.

Every test uses topics and stream/table names of its own, so tests never see each other's rows."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    SerializingProducer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer

from clients.endpoints import PROJECT_ROOT, Endpoints
from clients.kafka import create_topic
from cta import schemas
from tests.support.processes import Script
from tests.support.reading import follow, read_to_end
from tests.support.waiting import wait_for

KSQL_JSON = "application/vnd.ksql.v1+json"


STATIONS = {40820: "Austin", 40380: "Clark/Lake", 41660: "Lake", 40890: "O'Hare"}


def ksql(
    url: str, text: str, properties: dict[str, Any] | None = None, sequence: int | None = None
) -> requests.Response:
    body: dict[str, Any] = {"ksql": text, "streamsProperties": properties or {}}
    if sequence is not None:
        body["commandSequenceNumber"] = sequence
    return requests.post(f"{url}/ksql", json=body, headers={"Content-Type": KSQL_JSON}, timeout=90)


def ok(
    url: str, text: str, properties: dict[str, Any] | None = None, sequence: int | None = None
) -> list[dict[str, Any]]:
    response = ksql(url, text, properties, sequence)
    assert response.status_code == 200, response.text
    return response.json()


def suffix() -> str:
    return uuid.uuid4().hex[:8]


def turnstile_topic(admin: AdminClient, partitions: int = 3) -> str:
    name = f"test.turnstile.{suffix()}"
    create_topic(admin, name, partitions)
    return name


class TurnstileEvents:
    """Produces Avro turnstile events as the simulation does (key: timestamp record) and counts them per station."""

    def __init__(self, bootstrap: str, registry_url: str, topic: str) -> None:
        registry = SchemaRegistryClient({"url": registry_url})
        self.topic = topic
        self.produced: Counter[int] = Counter()
        self._producer = SerializingProducer(
            {
                "bootstrap.servers": bootstrap,
                "enable.idempotence": True,
                "acks": "all",
                "key.serializer": AvroSerializer(registry, schemas.load("turnstile_key")),
                "value.serializer": AvroSerializer(registry, schemas.load("turnstile_value")),
            }
        )

    def produce(self, count: int, start: int = 0) -> None:
        ids = list(STATIONS)
        for n in range(start, start + count):
            station = ids[(n * 7 + n // 3) % len(ids)]
            simulated = 1_700_000_000_000 + n
            value = {"station_id": station, "station_name": STATIONS[station], "line": "blue", "entry_time": simulated}
            self._producer.produce(self.topic, key={"timestamp": simulated}, value=value)
            self.produced[station] += 1
            if n % 500 == 0:
                self._producer.poll(0)
        assert self._producer.flush(30) == 0


def latest_values(
    bootstrap: str, topic: str, expected: dict[Any, int], key_of: Any, timeout: float = 90.0
) -> dict[Any, Any]:
    """A table's latest value per key (committed records only), once every expected key has its expected
    COUNT and the query writing the table has read all its input: a key counted twice would show."""
    latest: dict[Any, Any] = {}
    for message in follow(bootstrap, [topic], f"the expected counts in {topic}", timeout=timeout):
        latest[key_of(message.key())] = json.loads(message.value()) if message.value() else None
        if all(latest.get(k) and latest[k]["COUNT"] >= v for k, v in expected.items()):
            break
    admin = AdminClient({"bootstrap.servers": bootstrap})
    wait_for(
        lambda: query_caught_up(admin, bootstrap, topic), f"the query writing {topic} to read all its input", timeout
    )
    return {key_of(m.key()): json.loads(m.value()) if m.value() else None for m in read_to_end(bootstrap, [topic])}


def query_group(admin: AdminClient, sink: str) -> str | None:
    """The consumer group of the persistent query writing ``sink`` (``..query_CTAS_<sink>_<n>``), once it exists."""
    pattern = re.compile(rf".*query_C[TS]AS_{re.escape(sink)}_\d+")
    groups = admin.list_consumer_groups(request_timeout=30).result(60).valid
    return next((g.group_id for g in groups if pattern.fullmatch(g.group_id)), None)


def committed_offsets(admin: AdminClient, group: str) -> list[TopicPartition]:
    """The offsets ``group`` has committed: one per partition it has read and committed a batch of."""
    request = ConsumerGroupTopicPartitions(group)
    found = admin.list_consumer_group_offsets([request], request_timeout=30)[group].result(60)
    return [tp for tp in found.topic_partitions if tp.offset >= 0]


def query_caught_up(admin: AdminClient, bootstrap: str, sink: str) -> bool:
    """Whether the query writing ``sink`` has committed past every committed record of each partition it reads.

    The query commits its offsets in the transaction that writes its output, so by then all its output
    is in ``sink``. A partition written in transactions (the repartition topic) ends in markers and
    perhaps aborted records that a commit may stop short of: it is read from the committed offset to
    its end, and only a record there counts as unread.
    """
    group = query_group(admin, sink)
    if group is None:
        return False
    reader = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{suffix()}",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    try:
        behind = []
        for tp in committed_offsets(admin, group):
            low, high = reader.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=30)
            if tp.offset < high:
                behind.append(TopicPartition(tp.topic, tp.partition, max(tp.offset, low)))
        reader.assign(behind)
        open_partitions = {(tp.topic, tp.partition) for tp in behind}
        while open_partitions:
            message = reader.poll(30)
            if message is None or message.error() is None:
                return False  # a record the query has not committed yet (or no answer: ask again)
            if message.error().code() == KafkaError._PARTITION_EOF:
                open_partitions.discard((message.topic(), message.partition()))
        return True
    finally:
        reader.close()


class KsqlProcess:
    """A KSQL server of its own (``python -m stack.ksql``), which a test may kill -9 and start again."""

    def __init__(self, endpoints: Endpoints, bootstrap: str, port: int, service_id: str, log_path: str) -> None:
        self.port = port
        self.url = f"http://localhost:{port}"
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "SCHEMA_REGISTRY_URL": endpoints.schema_registry_url,
            "KSQL_URL": self.url,
            "KSQL_SERVICE_ID": service_id,
        }
        self.script = Script(PROJECT_ROOT, ["-m", "stack.ksql"], Path(log_path), env)

    def start(self, timeout: float = 90.0) -> None:
        self.script.start().wait_answering(f"{self.url}/info", timeout)

    def kill(self) -> None:
        self.script.kill()

    def stop(self) -> None:
        if self.script.process is not None:
            self.script.stop(30)
