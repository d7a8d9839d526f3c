"""Cluster metadata: topics, partitions, replicas, brokers and topic configs.

Answers the v2 metadata endpoints and lets a produce request check its topic and partition before
anything is written. The metadata endpoints ask for the full topic list, which never creates a
topic. A produce request for a topic that does not exist asks for that one topic, which lets a
broker with ``auto.create.topics.enable`` (Kafka's default) create it, exactly as Confluent's proxy
behaves; code written for the classic project posts to topics nobody created. Every blocking call
runs on the shared thread pool.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ClusterMetadata, ConfigResource, PartitionMetadata

from clients.kafka import error_text, off_loop, wait_until_usable

from .errors import Errors, RestProxyError

T = TypeVar("T")

_TIMEOUT_S = 10.0
# How long a produce request may trust the last topic list; a miss always refreshes it.
_PARTITION_CACHE_TTL_S = 5.0
# How long a produce request waits for the broker to create a new topic and elect its leaders.
_AUTO_CREATE_TIMEOUT_S = 10.0
_LEGAL_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")
# Kafka's own bookkeeping topics, which Confluent's topic list leaves out as "internal".
_INTERNAL_TOPICS = {"__consumer_offsets", "__transaction_state", "__share_group_state"}


def _partition_json(partition: PartitionMetadata) -> dict[str, Any]:
    return {
        "partition": partition.id,
        "leader": partition.leader,
        "replicas": [
            {"broker": broker, "leader": broker == partition.leader, "in_sync": broker in partition.isrs}
            for broker in partition.replicas
        ],
    }


class ClusterMetadataReader:
    """Reads topic and broker metadata from Kafka, with a short-lived cache for produce checks."""

    def __init__(self, client_config: dict[str, Any], executor: Executor) -> None:
        self._admin = AdminClient(client_config)
        self._executor = executor
        self._partition_counts: dict[str, int] = {}
        self._counts_read_at = float("-inf")

    async def _run(self, call: Callable[[], T]) -> T:
        try:
            return await off_loop(self._executor, call)
        except KafkaException as exc:
            raise RestProxyError(
                Errors.BROKER_NOT_AVAILABLE, f"Kafka did not answer the metadata request: {error_text(exc)}"
            ) from exc

    async def _cluster(self) -> ClusterMetadata:
        cluster = await self._run(lambda: self._admin.list_topics(timeout=_TIMEOUT_S))
        self._partition_counts = {name: len(t.partitions) for name, t in cluster.topics.items() if t.error is None}
        self._counts_read_at = time.monotonic()
        return cluster

    async def topic_names(self) -> list[str]:
        cluster = await self._cluster()
        return sorted(name for name in cluster.topics if name not in _INTERNAL_TOPICS)

    async def broker_ids(self) -> list[int]:
        cluster = await self._cluster()
        return sorted(cluster.brokers)

    async def partitions(self, topic: str) -> list[dict[str, Any]]:
        cluster = await self._cluster()
        found = cluster.topics.get(topic)
        if found is None or found.error is not None:
            raise RestProxyError(Errors.TOPIC_NOT_FOUND, f"Topic {topic} not found.")
        return [_partition_json(p) for _, p in sorted(found.partitions.items())]

    async def partition(self, topic: str, partition: int) -> dict[str, Any]:
        for entry in await self.partitions(topic):
            if entry["partition"] == partition:
                return entry
        raise RestProxyError(Errors.PARTITION_NOT_FOUND, f"Partition {partition} of topic {topic} not found.")

    async def topic(self, topic: str) -> dict[str, Any]:
        partitions = await self.partitions(topic)
        return {"name": topic, "configs": await self._configs(topic), "partitions": partitions}

    async def _configs(self, topic: str) -> dict[str, str | None]:
        def describe() -> dict[str, str | None]:
            futures = self._admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
            entries = next(iter(futures.values())).result(timeout=_TIMEOUT_S)
            return {name: entry.value for name, entry in entries.items()}

        return await self._run(describe)

    async def partition_count(self, topic: str) -> int:
        """How many partitions a topic has, for validating a produce request (404 if none)."""
        fresh = time.monotonic() - self._counts_read_at < _PARTITION_CACHE_TTL_S
        if not fresh or topic not in self._partition_counts:
            await self._cluster()
        if topic not in self._partition_counts:
            self._partition_counts[topic] = await self._auto_create(topic)
        return self._partition_counts[topic]

    async def _auto_create(self, topic: str) -> int:
        """Asks for ``topic``'s metadata, so that the broker creates it; 404 when it does not."""
        not_found = RestProxyError(Errors.TOPIC_NOT_FOUND, f"Topic {topic} not found.")
        if not _LEGAL_TOPIC.fullmatch(topic) or topic in (".", ".."):
            raise not_found

        def create() -> int | None:
            try:
                return wait_until_usable(self._admin, topic, _AUTO_CREATE_TIMEOUT_S)
            except (KafkaException, TimeoutError):
                return None

        partitions = await self._run(create)
        if partitions is None:
            raise not_found
        return partitions
