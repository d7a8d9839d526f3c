"""The ``_schemas`` topic: the registry's only database, in Confluent's record layout.

Every change is one record on a compacted, one-partition topic, keyed and valued by JSON exactly as
Confluent's Schema Registry writes them (``{"keytype":"SCHEMA","subject":...,"version":...,"magic":1}``
and so on), so the topic could be handed to either implementation. At start a reader consumes the
topic from offset 0 and hands each record to the registry's in-memory state; it keeps following the
topic afterwards. A write produces a record (idempotent producer, acks=all) and returns only once
the reader has applied it, so an answer to a client always reflects what the topic says.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from confluent_kafka import KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource
from confluent_kafka.aio import AIOConsumer

from clients.kafka import client_config, create_topic, kafka_log, wait_until_usable
from stack.common.jsontext import dumps
from stack.schema_registry.errors import Errors, RegistryError
from stack.schema_registry.schemas import AVRO, Reference

log = logging.getLogger(__name__)


T = TypeVar("T")

TOPIC = "_schemas"


async def retry_while_kafka_settles(call: Callable[[], Awaitable[T]], what: str, timeout: float) -> T:
    """``await call()``, retried while Kafka refuses it, for up to ``timeout`` seconds.

    A broker that has just restarted answers metadata requests before it has elected partition
    leaders, so the first look at ``_schemas`` can fail with NOT_LEADER_FOR_PARTITION.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await call()
        except KafkaException as error:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kafka did not answer for {what}: {error.args[0].str()}") from None
            log.info("Waiting for Kafka to answer for %s (%s)...", what, error.args[0].str())
            await asyncio.sleep(0.5)


@dataclass(frozen=True)
class SchemaRecord:
    """One version of a subject; ``deleted`` marks a soft delete."""

    subject: str
    version: int
    schema_id: int
    schema: str
    schema_type: str = AVRO
    references: tuple[Reference, ...] = ()
    deleted: bool = False


@dataclass(frozen=True)
class SchemaTombstone:
    """A version removed for good (permanent delete)."""

    subject: str
    version: int


@dataclass(frozen=True)
class ConfigRecord:
    """A subject's (or, with subject None, the global) config; ``config`` None removes it."""

    subject: str | None
    config: dict[str, object] | None


@dataclass(frozen=True)
class ModeRecord:
    """A subject's (or the global) mode; ``mode`` None removes it."""

    subject: str | None
    mode: str | None


@dataclass(frozen=True)
class DeleteSubjectRecord:
    """Soft-deletes every version of ``subject`` up to ``version``."""

    subject: str
    version: int


Record = SchemaRecord | SchemaTombstone | ConfigRecord | ModeRecord | DeleteSubjectRecord


def _json(data: dict[str, object]) -> bytes:
    return dumps(data, compact=True).encode()


def encode(record: Record) -> tuple[bytes, bytes | None]:
    """Key and value bytes of ``record`` in Confluent's layout (key fields in Confluent's order)."""
    if isinstance(record, (SchemaRecord, SchemaTombstone)):
        key = _json({"keytype": "SCHEMA", "subject": record.subject, "version": record.version, "magic": 1})
        if isinstance(record, SchemaTombstone):
            return key, None
        value: dict[str, object] = {
            "subject": record.subject,
            "version": record.version,
            "id": record.schema_id,
            "schema": record.schema,
            "deleted": record.deleted,
        }
        if record.schema_type != AVRO:
            value["schemaType"] = record.schema_type
        if record.references:
            value["references"] = [reference.to_json() for reference in record.references]
        return key, _json(value)
    if isinstance(record, ConfigRecord):
        key = _json({"keytype": "CONFIG", "subject": record.subject, "magic": 0})
        return key, None if record.config is None else _json(record.config)
    if isinstance(record, ModeRecord):
        key = _json({"keytype": "MODE", "subject": record.subject, "magic": 0})
        return key, None if record.mode is None else _json({"mode": record.mode})
    key = _json({"keytype": "DELETE_SUBJECT", "subject": record.subject, "magic": 0})
    return key, _json({"subject": record.subject, "version": record.version})


def decode(key_bytes: bytes | None, value_bytes: bytes | None) -> Record | None:
    """The record these bytes hold, or None for NOOP and anything this registry does not use.

    Raises ValueError (or a subclass) for records that are not in Confluent's layout.
    """
    key = json.loads(key_bytes or b"null")
    value = None if value_bytes is None else json.loads(value_bytes)
    if not isinstance(key, dict) or not (value is None or isinstance(value, dict)):
        raise ValueError("key and value must be JSON objects")
    keytype = key.get("keytype")
    subject = key.get("subject")
    if keytype == "SCHEMA":
        if value is None:
            return SchemaTombstone(_text(subject), _int(key.get("version")))
        references = tuple(
            Reference(_text(ref["name"]), _text(ref["subject"]), _int(ref["version"]))
            for ref in value.get("references") or ()
        )
        return SchemaRecord(
            subject=_text(value.get("subject", subject)),
            version=_int(value.get("version", key.get("version"))),
            schema_id=_int(value["id"]),
            schema=_text(value["schema"]),
            schema_type=_text(value.get("schemaType") or AVRO),
            references=references,
            deleted=bool(value.get("deleted", False)),
        )
    if keytype == "CONFIG":
        return ConfigRecord(_optional_text(subject), value)
    if keytype == "MODE":
        return ModeRecord(_optional_text(subject), None if value is None else _text(value.get("mode")))
    if keytype == "DELETE_SUBJECT" and value is not None:
        return DeleteSubjectRecord(_text(value.get("subject", subject)), _int(value["version"]))
    return None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _optional_text(value: object) -> str | None:
    return None if value in (None, "") else _text(value)


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


class SchemasTopic:
    """Reads ``_schemas`` into ``apply`` and writes records to it, waiting for them to be read back."""

    def __init__(
        self, bootstrap_servers: str, apply: Callable[[Record], None], write_timeout: float, topic: str = TOPIC
    ) -> None:
        """``write_timeout``: seconds a write may take until the reader has applied it."""
        self.bootstrap_servers = bootstrap_servers
        self.write_timeout = write_timeout
        self.apply = apply
        self.topic = topic
        self.records_read = 0
        self._offset = 0  # the next offset the reader will apply
        self._consumer: AIOConsumer | None = None
        self._producer: Producer | None = None
        self._reader: asyncio.Task[None] | None = None
        self._caught_up = asyncio.Condition()
        self._executor = ThreadPoolExecutor(1, "schemas-writer")

    async def start(self, wait_for_kafka: float) -> None:
        """Make sure the topic exists (waiting up to ``wait_for_kafka`` seconds), then read it to the end."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._ensure_topic, wait_for_kafka)
        self._producer = Producer(
            {
                "bootstrap.servers": self.bootstrap_servers,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 0,
                "client.id": "schema-registry-writer",
                "logger": kafka_log,
            }
        )
        self._consumer = AIOConsumer(
            {
                "bootstrap.servers": self.bootstrap_servers,
                "group.id": f"schema-registry-{uuid.uuid4()}",  # never joins or commits: assign() only
                "enable.auto.commit": False,
                "client.id": "schema-registry-reader",
                "logger": kafka_log,
            },
            max_workers=2,
        )
        partition = TopicPartition(self.topic, 0, 0)
        await self._consumer.assign([partition])
        consumer = self._consumer
        _, end = await retry_while_kafka_settles(
            lambda: consumer.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=10),
            f"the end of {self.topic}",
            wait_for_kafka,
        )
        self._reader = asyncio.create_task(self._read_forever())
        await self._wait_until_read(end - 1, timeout=300)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._consumer is not None:
            await self._consumer.close()
        if self._producer is not None:
            self._producer.flush(5)
        self._executor.shutdown(wait=False)

    async def write(self, *records: Record) -> None:
        """Produce ``records`` in order and return once the reader has applied the last of them."""
        loop = asyncio.get_running_loop()
        offset = await loop.run_in_executor(self._executor, self._produce, records)
        await self._wait_until_read(offset, timeout=self.write_timeout)

    def _produce(self, records: tuple[Record, ...]) -> int:
        assert self._producer is not None
        outcome: list[tuple[KafkaError | None, Message]] = []
        for record in records:
            key, value = encode(record)
            try:
                self._producer.produce(
                    self.topic, key=key, value=value, partition=0, on_delivery=lambda e, m: outcome.append((e, m))
                )
            except KafkaException as error:  # refused at once, e.g. a schema larger than Kafka takes
                reason = error.args[0].str()
                raise RegistryError(
                    Errors.STORE_ERROR, f"Could not write to the {self.topic} topic: {reason}"
                ) from None
        left = self._producer.flush(self.write_timeout)
        errors = [error for error, _ in outcome if error is not None]
        if left or errors or len(outcome) != len(records):
            reason = errors[0].str() if errors else "no acknowledgement from Kafka in time"
            raise RegistryError(Errors.STORE_ERROR, f"Could not write to the {self.topic} topic: {reason}")
        return max(message.offset() for _, message in outcome)

    async def _wait_until_read(self, offset: int, timeout: float) -> None:
        async with self._caught_up:
            try:
                await asyncio.wait_for(self._caught_up.wait_for(lambda: self._offset > offset), timeout)
            except TimeoutError:
                raise RegistryError(
                    Errors.OPERATION_TIMEOUT, f"Timed out waiting to read back offset {offset} of {self.topic}"
                ) from None

    async def _read_forever(self) -> None:
        assert self._consumer is not None
        while True:
            try:
                # poll() returns as soon as one record arrives; consume() would wait out its whole
                # timeout for a full batch, delaying every write's read-back (200 ms a schema).
                first = await self._consumer.poll(1.0)
                messages = [] if first is None else [first, *await self._consumer.consume(num_messages=500, timeout=0)]
            except KafkaException as error:
                log.warning("Reading %s failed (%s); retrying", self.topic, error)
                await asyncio.sleep(1)
                continue
            if not messages:
                # Compaction can leave gaps, so an idle reader trusts its position, not offsets seen.
                position = (await self._consumer.position([TopicPartition(self.topic, 0)]))[0].offset
                if position > self._offset:
                    self._offset = position
                    async with self._caught_up:
                        self._caught_up.notify_all()
                continue
            applied = False
            for message in messages:
                if message.error() is not None:
                    if message.error().code() != KafkaError._PARTITION_EOF:
                        log.warning("Reading %s: %s", self.topic, message.error().str())
                    continue
                self._apply(message)
                self._offset = message.offset() + 1
                applied = True
            if applied:
                async with self._caught_up:
                    self._caught_up.notify_all()

    def _apply(self, message: Message) -> None:
        try:
            record = decode(message.key(), message.value())
        except (ValueError, KeyError, TypeError) as error:
            log.warning(
                "Skipping record at offset %d of %s that is not in Confluent's layout: %s",
                message.offset(),
                self.topic,
                error,
            )
            return
        if record is not None:
            self.apply(record)
            self.records_read += 1

    def _ensure_topic(self, wait_for_kafka: float) -> None:
        """Create the topic if missing (compacted, one partition); refuse one that is not compacted."""
        admin = AdminClient(client_config(self.bootstrap_servers))
        deadline = time.monotonic() + wait_for_kafka
        while True:
            try:
                metadata = admin.list_topics(timeout=5)
                break
            except KafkaException as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kafka at {self.bootstrap_servers} did not answer: {error}") from None
                log.info("Waiting for Kafka at %s ...", self.bootstrap_servers)
        if self.topic not in metadata.topics:
            brokers = len(metadata.brokers)
            config = {"cleanup.policy": "compact"}
            if brokers >= 3:
                config["min.insync.replicas"] = "2"
            if create_topic(admin, self.topic, 1, config, replication_factor=min(3, brokers)):
                log.info("Created topic %s (compacted, 1 partition, %d replica(s))", self.topic, min(3, brokers))
        try:
            partitions = wait_until_usable(admin, self.topic, wait_for_kafka)
        except TimeoutError as error:
            raise RuntimeError(str(error)) from None
        self._check_topic(admin, partitions)

    def _check_topic(self, admin: AdminClient, partitions: int) -> None:
        if partitions != 1:
            raise RuntimeError(f"Topic {self.topic} must have exactly 1 partition, it has {partitions}")
        resource = ConfigResource(ConfigResource.Type.TOPIC, self.topic)
        configs = admin.describe_configs([resource])[resource].result(30)
        policy = configs["cleanup.policy"].value
        if policy != "compact":
            raise RuntimeError(f"Topic {self.topic} must have cleanup.policy=compact, it has {policy}")
