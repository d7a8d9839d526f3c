"""The base class of every model that writes Avro records to Kafka, and the topic set-up they share.

Each producer creates its topic once (the first time any instance names it) and writes Avro key and
value through the Schema Registry with confluent-kafka's own serializers. All instances with the same
pair of schemas share one idempotent ``SerializingProducer``: 92 stations then cost one connection
pool and one set of librdkafka threads instead of 92, which is what keeps the simulation fast.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from confluent_kafka import KafkaError, KafkaException, Message, SerializingProducer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer

from . import endpoints

logger = logging.getLogger(__name__)

SCHEMAS = Path(__file__).resolve().parent / "schemas"
ADMIN_TIMEOUT = 30.0
SETUP_THREADS = 16
"""Topics are created and schemas registered this many at a time: each waits ~0.1-0.2 s on a server."""


def load_schema(name: str) -> str:
    """The Avro schema ``models/schemas/<name>.json`` as the string the serializers take."""
    return json.dumps(json.loads((SCHEMAS / f"{name}.json").read_text()))


class ProducerError(Exception):
    """Kafka or the Schema Registry cannot be used: the message says which and what to do."""


@dataclass
class DeliveryStats:
    """Records handed to Kafka and records Kafka finally refused, over all producers of this process."""

    produced: int = 0
    failed: int = 0


class Topics:
    """Creates topics once per process, sized for the cluster it finds."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._admin = AdminClient({"bootstrap.servers": bootstrap_servers})
        try:
            metadata = self._admin.list_topics(timeout=ADMIN_TIMEOUT)
        except KafkaException as error:
            raise ProducerError(
                f"Kafka is not reachable at {bootstrap_servers} ({error.args[0].str()}): "
                "start the platform (`python -m stack up`) or set KAFKA_BOOTSTRAP_SERVERS."
            ) from error
        self.brokers = len(metadata.brokers)
        self._known = set(metadata.topics)

    def ensure(self, name: str, partitions: int) -> None:
        """Creates ``name`` unless it exists; another process creating it first is fine."""
        if name not in self._known:
            # Three copies when the cluster has three brokers, so that one broker can fail; with
            # min.insync.replicas one less than that, an acks=all write is on two brokers before it is
            # acknowledged and producing goes on while one broker is down. A one-broker development
            # platform can only hold one copy. Retention stays at the broker's default (7 days): the
            # turnstile counts are rebuilt from these topics, so they must outlive a restart.
            replicas = min(3, self.brokers)
            topic = NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=replicas,
                config={"min.insync.replicas": str(max(1, replicas - 1))},
            )
            try:
                self._admin.create_topics([topic], operation_timeout=ADMIN_TIMEOUT)[name].result(ADMIN_TIMEOUT)
                logger.debug("Created topic %s (%d partition(s), %d replica(s)).", name, partitions, replicas)
            except KafkaException as error:
                if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise ProducerError(f"Kafka refused to create topic {name}: {error.args[0].str()}") from error
            self._known.add(name)


class Producer:
    """Writes Avro records to one topic; subclasses say which topic, schemas and partition count.

    A new producer sets up its topic in the background (creates it, registers its key and value
    schemas) so that 92 stations are ready in seconds rather than one after the other; its first
    ``produce`` waits for that, and ``wait_ready`` waits for all of them.
    """

    stats: ClassVar[DeliveryStats] = DeliveryStats()
    _topics: ClassVar[Topics | None] = None
    _registry: ClassVar[SchemaRegistryClient | None] = None
    _shared: ClassVar[dict[tuple[str, str], SerializingProducer]] = {}
    _setups: ClassVar[dict[str, Future[None]]] = {}
    _pool: ClassVar[ThreadPoolExecutor | None] = None

    def __init__(self, topic_name: str, key_schema: str, value_schema: str, num_partitions: int = 1) -> None:
        self.topic_name = topic_name
        topics, registry = self.topics(), self.registry()
        self.producer = self._producer_for(key_schema, value_schema)
        setup = Producer._setups.get(topic_name)
        if setup is None:
            if Producer._pool is None:
                Producer._pool = ThreadPoolExecutor(SETUP_THREADS, thread_name_prefix="topic-setup")
            setup = Producer._pool.submit(
                _set_up, topics, registry, topic_name, num_partitions, key_schema, value_schema
            )
            Producer._setups[topic_name] = setup
        self._setup: Future[None] | None = setup

    @classmethod
    def topics(cls) -> Topics:
        if Producer._topics is None:
            Producer._topics = Topics(endpoints.load().kafka_bootstrap_servers)
        return Producer._topics

    @classmethod
    def registry(cls) -> SchemaRegistryClient:
        if Producer._registry is None:
            Producer._registry = SchemaRegistryClient({"url": endpoints.load().schema_registry_url})
        return Producer._registry

    @classmethod
    def wait_ready(cls) -> int:
        """Waits until every topic named so far exists with its schemas; returns how many topics."""
        for setup in list(Producer._setups.values()):
            setup.result()
        return len(Producer._setups)

    @classmethod
    def _producer_for(cls, key_schema: str, value_schema: str) -> SerializingProducer:
        shared = Producer._shared.get((key_schema, value_schema))
        if shared is None:
            # Subjects <topic>-key and <topic>-value, the Confluent convention KSQL and the consumers
            # look up; naming it skips the client's default per-topic "associations" lookups.
            subjects = {"subject.name.strategy": topic_subject_name_strategy}
            shared = SerializingProducer(
                {
                    "bootstrap.servers": endpoints.load().kafka_bootstrap_servers,
                    # Exactly one copy of each record in order, even when a broker fails mid-write.
                    "enable.idempotence": True,
                    "acks": "all",
                    # Wait up to 20 ms to fill batches: far fewer, larger requests at full speed, and
                    # still well under a tick of the simulated clock.
                    "linger.ms": 20,
                    # Only failures call back into Python; successes are counted as produced - failed.
                    "delivery.report.only.error": True,
                    "on_delivery": _on_delivery,
                    "key.serializer": AvroSerializer(cls.registry(), key_schema, conf=subjects),
                    "value.serializer": AvroSerializer(cls.registry(), value_schema, conf=subjects),
                }
            )
            Producer._shared[(key_schema, value_schema)] = shared
        return shared

    def produce(self, key: dict[str, Any], value: dict[str, Any]) -> None:
        """Hands one record to Kafka, waiting for room when librdkafka's local queue is full."""
        if self._setup is not None:
            self._setup.result()
            self._setup = None
        while True:
            try:
                self.producer.produce(self.topic_name, key=key, value=value)
                break
            except BufferError:
                self.producer.poll(0.05)
        Producer.stats.produced += 1

    @classmethod
    def poll_all(cls) -> None:
        """Serves delivery reports of every shared producer without waiting."""
        for producer in Producer._shared.values():
            producer.poll(0)

    def close(self) -> None:
        """Waits until every record handed to Kafka is acknowledged or has finally failed."""
        Producer.flush_all()

    @classmethod
    def flush_all(cls, timeout: float = 60.0) -> int:
        """Flushes every shared producer; returns how many records are still undelivered."""
        return sum(producer.flush(timeout) for producer in Producer._shared.values())


def _set_up(
    topics: Topics,
    registry: SchemaRegistryClient,
    topic: str,
    partitions: int,
    key_schema: str,
    value_schema: str,
) -> None:
    """Creates the topic and registers its schemas, where the serializers will find them cached."""
    topics.ensure(topic, partitions)
    for field, schema in (("key", key_schema), ("value", value_schema)):
        try:
            registry.register_schema(f"{topic}-{field}", Schema(schema, "AVRO"))
        except Exception as error:  # HTTP, connection or registry errors alike: all mean "cannot write"
            raise ProducerError(
                f"Could not register the {field} schema of {topic} with the Schema Registry at "
                f"{endpoints.load().schema_registry_url}: {error}"
            ) from error


def _on_delivery(error: KafkaError | None, message: Message) -> None:
    if error is not None:
        Producer.stats.failed += 1
        logger.error("Kafka did not accept a record for topic %s: %s", message.topic(), error.str())
