"""Consumer instances of the v2 consumer API: create, subscribe, read, commit, delete.

Each instance owns one confluent-kafka ``Consumer`` in a consumer group.  Its calls block, so they
run on the shared thread pool, one at a time per instance (an asyncio lock orders them).

Records are handed to the client only through ``read``; their offsets are stored for committing
only then (``enable.auto.offset.store`` is off), so auto-commit and "commit everything" never
commit a record the client has not received.  Records fetched beyond a request's ``max_bytes``
wait in the instance's buffer for the next request instead of being lost.  Instances idle longer
than ``consumer.instance.timeout.ms`` (5 minutes, Confluent's default) are closed.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from confluent_kafka import OFFSET_INVALID, Consumer, KafkaError, KafkaException, Message, TopicPartition

from clients.kafka import error_text, off_loop

from .errors import Errors, RestProxyError
from .formats import EmbeddedFormat
from .requests import SubscriptionRequest

T = TypeVar("T")
log = logging.getLogger(__name__)

# A records request never holds a pool thread longer than this, whatever timeout it asks for.
_MAX_REQUEST_TIMEOUT_MS = 30000
_FETCH_BATCH = 500
_OFFSET_RESETS = {"earliest": "earliest", "latest": "latest", "none": "error"}


def _invalid_config(message: str) -> RestProxyError:
    return RestProxyError(Errors.INVALID_CONSUMER_CONFIG, f"Invalid consumer configuration: {message}")


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _invalid_config(f"{name} must be true or false")


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid_config(f"{name} must be a non-negative integer")
    return value


@dataclass(frozen=True)
class InstanceConfig:
    """A validated create-consumer request body."""

    name: str | None
    format: EmbeddedFormat
    auto_offset_reset: str | None
    auto_commit: bool | None
    fetch_min_bytes: int | None
    request_timeout_ms: int | None
    """None: the proxy's default (``KAFKA_REST_CONSUMER_REQUEST_TIMEOUT_MS``)."""

    @classmethod
    def from_body(cls, body: Any) -> InstanceConfig:
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _invalid_config("the body must be a JSON object")
        name = body.get("name", body.get("id"))
        if name is not None and (not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._\-]{1,200}", name)):
            raise _invalid_config("name must be 1-200 letters, digits, '.', '_' or '-'")
        raw_format = body.get("format")
        if raw_format is None:
            raw_format = "binary"
        formats = {f.value: f for f in EmbeddedFormat}
        if not isinstance(raw_format, str) or raw_format.lower() not in formats:
            raise _invalid_config(f"format {raw_format!r} is not one of binary, json, avro")
        fmt = formats[raw_format.lower()]
        reset = body.get("auto.offset.reset")
        if reset is not None and (not isinstance(reset, str) or reset not in _OFFSET_RESETS):
            raise _invalid_config("auto.offset.reset must be earliest, latest or none")
        auto_commit = body.get("auto.commit.enable")
        fetch_min = body.get("fetch.min.bytes")
        timeout = body.get("consumer.request.timeout.ms")
        return cls(
            name=name,
            format=fmt,
            auto_offset_reset=reset,
            auto_commit=None if auto_commit is None else _flag(auto_commit, "auto.commit.enable"),
            fetch_min_bytes=None if fetch_min is None else _positive_int(fetch_min, "fetch.min.bytes"),
            request_timeout_ms=None
            if timeout is None
            else min(_positive_int(timeout, "consumer.request.timeout.ms"), _MAX_REQUEST_TIMEOUT_MS),
        )


def _record_size(message: Message) -> int:
    return len(message.key() or b"") + len(message.value() or b"")


@dataclass
class ConsumerInstance:
    """One client's consumer, its undelivered records and what it subscribed to."""

    group: str
    instance_id: str
    config: InstanceConfig
    consumer: Consumer
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    buffer: deque[Message] = field(default_factory=deque)
    topics: list[str] = field(default_factory=list)
    pattern: str | None = None
    last_used: float = field(default_factory=time.monotonic)

    @property
    def subscribed(self) -> bool:
        return bool(self.topics) or self.pattern is not None

    def drop_buffered(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """On rebalance, forgets buffered records of partitions this member no longer owns."""
        revoked = {(p.topic, p.partition) for p in partitions}
        self.buffer = deque(m for m in self.buffer if (m.topic(), m.partition()) not in revoked)

    def fetch(self, timeout_ms: int, max_bytes: int) -> list[Message]:
        """Blocking: collects records until some arrive, ``max_bytes`` is reached or time runs out."""
        deadline = time.monotonic() + timeout_ms / 1000
        taken: list[Message] = []
        size = 0
        while True:
            while self.buffer:
                message = self.buffer[0]
                if message.error() is not None:
                    self.buffer.popleft()
                    self._report(message.error())
                    continue
                if taken and size + _record_size(message) > max_bytes:
                    return taken
                taken.append(self.buffer.popleft())
                size += _record_size(message)
            remaining = deadline - time.monotonic()
            if taken or remaining <= 0:
                return taken
            self.buffer.extend(self.consumer.consume(_FETCH_BATCH, timeout=min(remaining, 0.5)))

    def deliver(self, messages: list[Message]) -> None:
        """Marks records as received by the client: their offsets may now be committed."""
        for message in messages:
            try:
                self.consumer.store_offsets(message=message)
            except KafkaException:
                # The partition was revoked meanwhile; its new owner will read it again.
                log.info("Consumer %s lost partition %s[%d].", self.instance_id, message.topic(), message.partition())

    def _report(self, error: KafkaError) -> None:
        if error.fatal():
            raise RestProxyError(Errors.KAFKA_ERROR, f"Kafka error: {error.str()}")
        log.info("Consumer %s of group %s: %s", self.instance_id, self.group, error.str())


class ConsumerRegistry:
    """All consumer instances of this proxy, by group and instance id."""

    def __init__(
        self, client_config: dict[str, Any], executor: Executor, request_timeout_ms: int, instance_timeout_ms: int
    ) -> None:
        """``request_timeout_ms``: a records request's wait when none is asked; ``instance_timeout_ms``: idle life."""
        self._client_config = client_config
        self._executor = executor
        self._request_timeout_ms = request_timeout_ms
        self._instance_timeout_s = instance_timeout_ms / 1000
        self._instances: dict[tuple[str, str], ConsumerInstance] = {}

    async def _run(self, call: Callable[[], T]) -> T:
        try:
            return await off_loop(self._executor, call)
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            code = Errors.KAFKA_RETRIABLE_ERROR if error.retriable() else Errors.KAFKA_ERROR
            raise RestProxyError(code, f"Kafka error: {error_text(exc)}") from exc

    def create(self, group: str, config: InstanceConfig) -> ConsumerInstance:
        instance_id = config.name or f"rest-consumer-{uuid.uuid4().hex}"
        if (group, instance_id) in self._instances:
            raise RestProxyError(
                Errors.CONSUMER_ALREADY_EXISTS,
                "Consumer with specified consumer ID already exists in the specified consumer group.",
            )
        settings: dict[str, Any] = {
            **self._client_config,
            "group.id": group,
            "client.id": instance_id,
            "enable.auto.offset.store": False,
        }
        if config.auto_offset_reset is not None:
            settings["auto.offset.reset"] = _OFFSET_RESETS[config.auto_offset_reset]
        if config.auto_commit is not None:
            settings["enable.auto.commit"] = config.auto_commit
        if config.fetch_min_bytes is not None:
            settings["fetch.min.bytes"] = max(1, config.fetch_min_bytes)
        try:
            consumer = Consumer(settings)
        except KafkaException as exc:
            raise _invalid_config(str(exc.args[0].str())) from exc
        instance = ConsumerInstance(group, instance_id, config, consumer)
        self._instances[(group, instance_id)] = instance
        log.info("Created consumer %s in group %s (format %s).", instance_id, group, config.format.value)
        return instance

    def get(self, group: str, instance_id: str) -> ConsumerInstance:
        instance = self._instances.get((group, instance_id))
        if instance is None:
            raise RestProxyError(Errors.CONSUMER_INSTANCE_NOT_FOUND, "Consumer instance not found.")
        instance.last_used = time.monotonic()
        return instance

    async def delete(self, group: str, instance_id: str) -> None:
        instance = self.get(group, instance_id)
        del self._instances[(group, instance_id)]
        async with instance.lock:
            await self._run(instance.consumer.close)
        log.info("Closed consumer %s of group %s.", instance_id, group)

    async def subscribe(self, instance: ConsumerInstance, request: SubscriptionRequest) -> None:
        targets, pattern = request.targets, request.pattern
        async with instance.lock:
            if not targets:
                await self._run(instance.consumer.unsubscribe)
            else:
                await self._run(lambda: instance.consumer.subscribe(targets, on_revoke=instance.drop_buffered))
            instance.buffer.clear()
            instance.topics = [] if pattern is not None else targets
            instance.pattern = pattern

    async def subscription(self, instance: ConsumerInstance) -> list[str]:
        if instance.pattern is None:
            return list(instance.topics)
        async with instance.lock:
            assigned = await self._run(instance.consumer.assignment)
        return sorted({p.topic for p in assigned})

    async def unsubscribe(self, instance: ConsumerInstance) -> None:
        async with instance.lock:
            await self._run(instance.consumer.unsubscribe)
            instance.buffer.clear()
            instance.topics, instance.pattern = [], None

    async def read(
        self,
        instance: ConsumerInstance,
        timeout_ms: int | None,
        max_bytes: int | None,
        render: Callable[[Message], dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Fetches records and renders them for the client; only then do they count as delivered.

        A record that cannot be rendered in the consumer's format (not JSON, not Avro) ends the
        response before it; when it is the first, the request fails naming it and it is skipped,
        so one bad record cannot block the consumer forever.  Records not returned stay buffered.
        """
        if timeout_ms is None or timeout_ms < 0:
            asked = instance.config.request_timeout_ms
            timeout_ms = self._request_timeout_ms if asked is None else asked
        timeout_ms = min(timeout_ms, _MAX_REQUEST_TIMEOUT_MS)
        limit = max_bytes if max_bytes is not None and max_bytes > 0 else 64 * 1024 * 1024

        def read() -> list[dict[str, Any]]:
            messages = instance.fetch(timeout_ms, limit)
            rendered: list[dict[str, Any]] = []
            for index, message in enumerate(messages):
                try:
                    rendered.append(render(message))
                except RestProxyError as exc:
                    unreadable = exc.code is Errors.JSON_CONVERSION_FAILED and not rendered
                    instance.buffer.extendleft(reversed(messages[index + 1 if unreadable else index :]))
                    if not rendered:
                        if unreadable:
                            instance.deliver([message])
                            raise RestProxyError(exc.code, f"{exc.message} (the record was skipped)") from exc
                        raise
                    break
            instance.deliver(messages[: len(rendered)])
            return rendered

        async with instance.lock:
            if not instance.subscribed:
                raise RestProxyError(
                    Errors.ILLEGAL_STATE,
                    "Illegal state: Consumer is not subscribed to any topics or assigned any partitions",
                )
            return await self._run(read)

    async def commit(
        self, instance: ConsumerInstance, offsets: list[TopicPartition] | None, asynchronous: bool
    ) -> None:
        """Commits the given offsets (each already +1, as Confluent does) or everything delivered so far."""
        async with instance.lock:

            def commit() -> None:
                try:
                    if offsets is None:
                        instance.consumer.commit(asynchronous=asynchronous)
                    else:
                        instance.consumer.commit(offsets=offsets, asynchronous=asynchronous)
                except KafkaException as exc:
                    # Nothing delivered yet means nothing to commit, which is not an error.
                    if exc.args[0].code() != KafkaError._NO_OFFSET:
                        raise

            await self._run(commit)

    async def committed(self, instance: ConsumerInstance, partitions: list[TopicPartition]) -> list[dict[str, Any]]:
        async with instance.lock:
            found = await self._run(lambda: instance.consumer.committed(partitions, timeout=10))
        return [
            {"topic": p.topic, "partition": p.partition, "offset": p.offset, "metadata": p.metadata or ""}
            for p in found
            if p.offset != OFFSET_INVALID and p.error is None
        ]

    async def expire_idle(self) -> None:
        """Closes instances nobody has used for the instance timeout."""
        now = time.monotonic()
        for (group, instance_id), instance in list(self._instances.items()):
            if now - instance.last_used > self._instance_timeout_s and not instance.lock.locked():
                idle = self._instance_timeout_s
                log.info("Consumer %s of group %s was idle for %.0f s; closing it.", instance_id, group, idle)
                await self.delete(group, instance_id)

    async def close_all(self) -> None:
        for group, instance_id in list(self._instances):
            await self.delete(group, instance_id)
