"""Topic administration for statements: the topics a source, a sink or an aggregation needs, and DROP's DELETE TOPIC.

ksqlDB creates topics on the server that receives a statement, before the statement reaches the
command topic; so does the engine, through this module. Kafka's errors become statement errors
with ksqlDB's messages.
"""

from __future__ import annotations

import logging

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from clients.kafka import create_topic, error_text, wait_until_usable
from clients.registry import subject_of
from stack.ksql.checks import positive
from stack.ksql.formats import Registry
from stack.ksql.metastore import Source
from stack.ksql.persistent import Runtime, internal_topics, table_changelog
from stack.ksql.plan import QueryPlan
from stack.ksql.statements import CreateSource, StatementError

log = logging.getLogger("ksql.topics")

HIDDEN_TOPIC_PREFIXES = (
    "_confluent",
    "__confluent",
    "_schemas",
    "__consumer_offsets",
    "__transaction_state",
    "connect-",
)
CHANGELOG_CONFIG = {"cleanup.policy": "compact", "segment.ms": "60000"}
# Kafka Streams keeps a windowed changelog's records a day longer than the windows' retention
# (``windowstore.changelog.additional.retention.ms``), then deletes them: old windows need no tombstones.
WINDOW_CHANGELOG_EXTRA_RETENTION_MS = 24 * 60 * 60 * 1000


def changelog_config(plan: QueryPlan) -> dict[str, str]:
    """A changelog's topic configuration: compacted, and for windowed groups also deleted after their retention."""
    if plan.window is None:
        return CHANGELOG_CONFIG
    retention = plan.window.retention_ms + WINDOW_CHANGELOG_EXTRA_RETENTION_MS
    return {**CHANGELOG_CONFIG, "cleanup.policy": "compact,delete", "retention.ms": str(retention)}


class Topics:
    """The cluster's topics as statements see them."""

    def __init__(self, admin: AdminClient, registry: Registry) -> None:
        self.admin = admin
        self.registry = registry

    def describe(self, topic: str) -> tuple[int, int] | None:
        """(partitions, replicas) of a topic; None if it does not exist."""
        try:
            found = self.admin.list_topics(topic, timeout=10).topics.get(topic)
        except KafkaException as error:
            raise StatementError(f"Could not reach Kafka: {error_text(error)}") from error
        if found is None or found.error is not None or not found.partitions:
            return None
        replicas = len(next(iter(found.partitions.values())).replicas)
        return len(found.partitions), replicas

    def create(self, topic: str, partitions: int, config: dict[str, str], replicas: int = -1) -> None:
        try:
            create_topic(self.admin, topic, partitions, config, replication_factor=replicas)
        except KafkaException as error:
            raise StatementError(f"Could not create the topic {topic}: {error_text(error)}") from error

    def for_source(self, statement: CreateSource, topic: str) -> tuple[int, int]:
        """(partitions, replicas) of the source's topic, creating it when PARTITIONS is given."""
        props = statement.properties
        described = self.describe(topic)
        if described is not None:
            if "PARTITIONS" in props and int(props["PARTITIONS"]) != described[0]:
                raise StatementError(
                    f"A Kafka topic with the name '{topic}' already exists, with different partition/replica "
                    f"configuration than required. KSQL expects {props['PARTITIONS']} partitions "
                    f"(topic has {described[0]})."
                )
            return described
        if "PARTITIONS" not in props:
            kind = statement.kind.lower()
            raise StatementError(
                f"Topic '{topic}' does not exist. If you want to create a new topic for the {kind} please re-run the "
                "statement providing the required 'PARTITIONS' configuration in the WITH clause (and optionally "
                f"'REPLICAS'). For example: CREATE {statement.kind} {statement.name} (ID INT) "
                f"WITH (KAFKA_TOPIC='{topic}', PARTITIONS=2, REPLICAS=1, FORMAT='JSON');"
            )
        partitions = positive(props["PARTITIONS"], "PARTITIONS")
        replicas = positive(props.get("REPLICAS", -1), "REPLICAS", allow_default=True)
        self.create(topic, partitions, {"cleanup.policy": _policy(statement.kind)}, replicas)
        return self.describe(topic) or (partitions, replicas)

    def for_sink(self, sink: Source) -> None:
        """Creates a CSAS/CTAS's topic, or checks that the one there has the sink's partitions."""
        existing = self.describe(sink.topic)
        if existing is not None:
            if existing[0] != sink.partitions:
                raise StatementError(
                    f"A Kafka topic with the name '{sink.topic}' already exists, with different partition/replica "
                    f"configuration than required. KSQL expects {sink.partitions} partitions (topic has {existing[0]})."
                )
            return
        self.create(sink.topic, sink.partitions, {"cleanup.policy": _policy(sink.kind)}, sink.replicas)

    def for_aggregation(self, runtime: Runtime, query_id: str, plan: QueryPlan) -> None:
        """An aggregation's repartition and changelog topics (and an aggregated table's rows), named as ksqlDB's."""
        repartition, changelog = internal_topics(runtime, query_id)
        partitions = plan.source.partitions
        self.create(repartition, partitions, {"cleanup.policy": "delete"})
        self.create(changelog, partitions, changelog_config(plan))
        wait_until_usable(self.admin, changelog)
        if plan.undoes:
            rows = table_changelog(runtime, query_id)
            self.create(rows, partitions, CHANGELOG_CONFIG)
            wait_until_usable(self.admin, rows)

    def delete(self, target: dict[str, str]) -> None:
        """DROP ... DELETE TOPIC: the topic and, for AVRO, its subjects; failures are logged, as ksqlDB logs them."""
        topic = target["topic"]
        try:
            self.admin.delete_topics([topic], operation_timeout=30)[topic].result(30)
        except KafkaException as error:
            log.warning("Could not delete topic %s: %s", topic, error_text(error))
        for is_key, name in ((False, "format"), (True, "key_format")):
            if target.get(name) == "AVRO":
                try:
                    self.registry.delete_subject(subject_of(topic, is_key))
                except Exception as error:
                    log.warning("Could not delete subject %s: %s", subject_of(topic, is_key), error)

    def listed(self, include_hidden: bool) -> list[tuple[str, list[int]]]:
        """SHOW TOPICS: each topic with the replica count of each partition; internal ones only for ALL TOPICS."""
        try:
            metadata = self.admin.list_topics(timeout=10)
        except KafkaException as error:
            raise StatementError(f"Could not reach Kafka: {error_text(error)}") from error
        topics = []
        for name, topic in sorted(metadata.topics.items()):
            if not include_hidden and name.startswith(HIDDEN_TOPIC_PREFIXES):
                continue
            replicas = [len(p.replicas) for _, p in sorted(topic.partitions.items())]
            topics.append((name, replicas))
        return topics


def _policy(kind: str) -> str:
    return "compact" if kind == "TABLE" else "delete"
