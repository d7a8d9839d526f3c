"""The simulation's one writer to Kafka: creates topics, registers schemas, produces Avro records.

``main`` creates one :class:`KafkaWriter` and passes it to every model. Each model asks it for a
:class:`TopicWriter` for its topic. Topics are set up in the background (created, their key and
value schemas registered) so that 92 stations are ready in seconds rather than one after the other
(the topics named meanwhile are created together, in one request to Kafka);
a topic's first ``produce`` waits for its set-up, and ``wait_ready`` waits for all of them. Writers
with the same pair of schemas share one idempotent ``SerializingProducer``: 92 stations then cost
one connection pool and one set of librdkafka threads instead of 92.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, SerializingProducer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer

from cta.config import SimulationConfig

logger = logging.getLogger(__name__)

"""Topics are created and schemas registered this many at a time: each waits ~0.1-0.2 s on a server."""


class ProducerError(Exception):
    """Kafka or the Schema Registry cannot be used: the message says which and what to do."""


@dataclass
class DeliveryStats:
    """Records handed to Kafka and records Kafka finally refused, over all topics of the writer."""

    produced: int = 0
    failed: int = 0


class Topics:
    """Creates topics once, sized for the cluster it finds, those named meanwhile in one request.

    A request per topic took 5.3 s for the simulation's 145 on a busy machine, one request for all
    0.07 s: each request waits for the controller to commit its topics, and they queue one behind another.
    """

    def __init__(self, bootstrap_servers: str, timeout: float) -> None:
        """``timeout``: seconds Kafka may take to list or create a topic."""
        self._admin = AdminClient({"bootstrap.servers": bootstrap_servers})
        self._timeout = timeout
        try:
            metadata = self._admin.list_topics(timeout=timeout)
        except KafkaException as error:
            raise ProducerError(
                f"Kafka is not reachable at {bootstrap_servers} ({error.args[0].str()}): "
                "start the platform (`python -m stack up`) or set KAFKA_BOOTSTRAP_SERVERS."
            ) from error
        self.brokers = len(metadata.brokers)
        self._known = set(metadata.topics)
        self._named: dict[str, int] = {}
        """Topics named but not created yet, with their partitions: the next request creates them all."""
        self._refused: dict[str, str] = {}
        self._lock = threading.Lock()

    def name(self, name: str, partitions: int) -> None:
        """Says that ``name`` will be needed: the next :meth:`ensure` creates it along with its own topic."""
        with self._lock:
            if name not in self._known:
                self._named.setdefault(name, partitions)

    def ensure(self, name: str, partitions: int) -> None:
        """Creates ``name`` unless it exists, with every topic named so far; another process creating it first is
        fine. While one request is under way, the others wait for it: their topics are likely in it."""
        with self._lock:
            if name not in self._known:
                self._named.setdefault(name, partitions)
                self._create(self._named)
                self._known.update(self._named)
                self._named = {}
            if name in self._refused:
                raise ProducerError(f"Kafka refused to create topic {name}: {self._refused[name]}")

    def _create(self, topics: dict[str, int]) -> None:
        # Three copies when the cluster has three brokers, so that one broker can fail; with
        # min.insync.replicas one less than that, an acks=all write is on two brokers before it is
        # acknowledged and producing goes on while one broker is down. A one-broker development
        # platform can only hold one copy. Retention stays at the broker's default (7 days): the
        # turnstile counts are rebuilt from these topics, so they must outlive a restart.
        replicas = min(3, self.brokers)
        config = {"min.insync.replicas": str(max(1, replicas - 1))}
        new = [
            NewTopic(name, num_partitions=n, replication_factor=replicas, config=config) for name, n in topics.items()
        ]
        for name, created in self._admin.create_topics(new, operation_timeout=self._timeout).items():
            try:
                created.result(self._timeout)
                logger.debug("Created topic %s (%d partition(s), %d replica(s)).", name, topics[name], replicas)
            except KafkaException as error:
                if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    self._refused[name] = error.args[0].str()


class KafkaWriter:
    """Everything the simulation writes goes through this one object (created once in ``main``)."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.endpoints = endpoints = config.endpoints
        self.stats = DeliveryStats()
        self.topics = Topics(endpoints.kafka_bootstrap_servers, config.admin_timeout_ms / 1000)
        self._registry = SchemaRegistryClient({"url": endpoints.schema_registry_url})
        self._producers: dict[tuple[str, str], SerializingProducer] = {}
        self._setups: dict[str, Future[None]] = {}
        self._pool = ThreadPoolExecutor(config.setup_threads, thread_name_prefix="topic-setup")

    def topic(self, name: str, key_schema: str, value_schema: str, partitions: int = 1) -> TopicWriter:
        """A writer for topic ``name``, whose set-up starts now in the background (once per topic)."""
        if name not in self._setups:
            self.topics.name(name, partitions)
            self._setups[name] = self._pool.submit(self._set_up, name, partitions, key_schema, value_schema)
        return TopicWriter(self, name, self._producer_for(key_schema, value_schema), self._setups[name])

    def wait_ready(self) -> int:
        """Waits until every topic named so far exists with its schemas; returns how many topics."""
        for setup in list(self._setups.values()):
            setup.result()
        return len(self._setups)

    def poll(self) -> None:
        """Serves delivery reports without waiting."""
        for producer in self._producers.values():
            producer.poll(0)

    def flush(self, timeout: float = 60.0) -> int:
        """Waits for every record to be acknowledged or finally refused; returns how many are undelivered."""
        undelivered = sum(producer.flush(timeout) for producer in self._producers.values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        return undelivered

    def _producer_for(self, key_schema: str, value_schema: str) -> SerializingProducer:
        shared = self._producers.get((key_schema, value_schema))
        if shared is None:
            # Subjects <topic>-key and <topic>-value, the Confluent convention KSQL and the consumers
            # look up; naming it skips the client's default per-topic "associations" lookups.
            subjects = {"subject.name.strategy": topic_subject_name_strategy}
            shared = SerializingProducer(
                {
                    "bootstrap.servers": self.endpoints.kafka_bootstrap_servers,
                    # Exactly one copy of each record in order, even when a broker fails mid-write.
                    "enable.idempotence": True,
                    "acks": "all",
                    # Wait up to 20 ms to fill batches: far fewer, larger requests at full speed, and
                    # still well under a tick of the simulated clock.
                    "linger.ms": 20,
                    # Only failures call back into Python; successes are counted as produced - failed.
                    "delivery.report.only.error": True,
                    "on_delivery": self._on_delivery,
                    "key.serializer": AvroSerializer(self._registry, key_schema, conf=subjects),
                    "value.serializer": AvroSerializer(self._registry, value_schema, conf=subjects),
                }
            )
            self._producers[(key_schema, value_schema)] = shared
        return shared

    def _set_up(self, topic: str, partitions: int, key_schema: str, value_schema: str) -> None:
        """Creates the topic and registers its schemas, where the serializers will find them cached."""
        self.topics.ensure(topic, partitions)
        for field, schema in (("key", key_schema), ("value", value_schema)):
            try:
                self._registry.register_schema(f"{topic}-{field}", Schema(schema, "AVRO"))
            except Exception as error:  # HTTP, connection or registry errors alike: all mean "cannot write"
                raise ProducerError(
                    f"Could not register the {field} schema of {topic} with the Schema Registry at "
                    f"{self.endpoints.schema_registry_url}: {error}"
                ) from error

    def _on_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self.stats.failed += 1
            logger.error("Kafka did not accept a record for topic %s: %s", message.topic(), error.str())


class TopicWriter:
    """Writes Avro records to one topic."""

    def __init__(self, writer: KafkaWriter, name: str, producer: SerializingProducer, setup: Future[None]) -> None:
        self.name = name
        self._writer = writer
        self._producer = producer
        self._setup: Future[None] | None = setup

    def produce(self, key: dict[str, Any], value: dict[str, Any]) -> None:
        """Hands one record to Kafka, waiting for room when librdkafka's local queue is full."""
        if self._setup is not None:
            self._setup.result()
            self._setup = None
        while True:
            try:
                self._producer.produce(self.name, key=key, value=value)
                break
            except BufferError:
                self._producer.poll(0.05)
        self._writer.stats.produced += 1
