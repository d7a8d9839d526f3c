"""Producing a request's records: validate the whole batch, serialize it, then write it.

Nothing reaches Kafka until every record of the request has been checked and serialized, so a bad
record anywhere in a batch is refused (4xx) with nothing half-written.  Only Kafka itself can then
fail individual records; those failures are reported per record, as Confluent does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stack.common.codecs import AvroCodec, CodecError

from .errors import Errors, RestProxyError
from .formats import EmbeddedFormat, encode_plain
from .metadata import ClusterMetadataReader
from .producer import KafkaProducer, OutgoingRecord
from .schemas import Schemas


def _invalid(message: str) -> RestProxyError:
    return RestProxyError(Errors.UNPROCESSABLE_ENTITY, message)


@dataclass(frozen=True)
class _Record:
    key: Any
    value: Any
    partition: int


@dataclass(frozen=True)
class _Request:
    records: list[_Record]
    key_schema: str | None
    key_schema_id: int | None
    value_schema: str | None
    value_schema_id: int | None


def _optional(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise _invalid(f"{name} must be a {'string' if kind is str else 'non-negative integer'}")
    if kind is int and value is not None and value < 0:
        raise _invalid(f"{name} must be a non-negative integer")
    return value


def _parse(body: Any, partition: int | None, partition_count: int) -> _Request:
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object with a records array")
    raw_records = body.get("records")
    if not isinstance(raw_records, list):
        raise _invalid("records must be an array of records")
    records = []
    for index, raw in enumerate(raw_records):
        if not isinstance(raw, dict):
            raise _invalid(f"records[{index}] must be an object with key and/or value")
        target = raw.get("partition") if partition is None else partition
        if target is None:
            target = -1
        elif isinstance(target, bool) or not isinstance(target, int):
            raise _invalid(f"records[{index}].partition must be an integer")
        elif not 0 <= target < partition_count:
            raise RestProxyError(Errors.PARTITION_NOT_FOUND, f"Partition {target} not found.")
        records.append(_Record(raw.get("key"), raw.get("value"), target))
    request = _Request(
        records=records,
        key_schema=_optional(body, "key_schema", str),
        key_schema_id=_optional(body, "key_schema_id", int),
        value_schema=_optional(body, "value_schema", str),
        value_schema_id=_optional(body, "value_schema_id", int),
    )
    for side in ("key", "value"):
        if getattr(request, f"{side}_schema") is not None and getattr(request, f"{side}_schema_id") is not None:
            raise _invalid(f"Give {side}_schema or {side}_schema_id, not both")
    return request


class ProduceService:
    """The produce endpoints' logic, between the HTTP handlers and the Kafka producer."""

    def __init__(self, metadata: ClusterMetadataReader, registry: Schemas, producer: KafkaProducer) -> None:
        self._metadata = metadata
        self._registry = registry
        self._producer = producer

    async def produce(self, fmt: EmbeddedFormat, topic: str, partition: int | None, body: Any) -> dict[str, Any]:
        """Produces a v2 request body to a topic (or one of its partitions); returns the response."""
        partition_count = await self._metadata.partition_count(topic)
        if partition is not None and not 0 <= partition < partition_count:
            raise RestProxyError(Errors.PARTITION_NOT_FOUND, f"Partition {partition} not found.")
        request = _parse(body, partition, partition_count)
        key_schema_id = value_schema_id = None
        if fmt is EmbeddedFormat.AVRO:
            key_schema = await self._schema(topic, True, request.key_schema, request.key_schema_id)
            value_schema = await self._schema(topic, False, request.value_schema, request.value_schema_id)
            outgoing = _serialize_avro(request.records, key_schema, value_schema)
            key_schema_id = key_schema.schema_id if key_schema else None
            value_schema_id = value_schema.schema_id if value_schema else None
        else:
            outgoing = [
                OutgoingRecord(
                    encode_plain(fmt, r.key, f"records[{i}].key"),
                    encode_plain(fmt, r.value, f"records[{i}].value"),
                    r.partition,
                )
                for i, r in enumerate(request.records)
            ]
        results = await self._producer.produce(topic, outgoing)
        return {
            "key_schema_id": key_schema_id,
            "value_schema_id": value_schema_id,
            "offsets": [r.as_json() for r in results],
        }

    async def _schema(self, topic: str, is_key: bool, text: str | None, schema_id: int | None) -> AvroCodec | None:
        if text is not None:
            return await self._registry.from_text(topic, is_key, text)
        if schema_id is not None:
            return await self._registry.from_id(topic, is_key, schema_id)
        return None


def _serialize_avro(
    records: list[_Record], key_schema: AvroCodec | None, value_schema: AvroCodec | None
) -> list[OutgoingRecord]:
    outgoing = []
    for index, record in enumerate(records):
        encoded: dict[str, bytes | None] = {}
        for side, value, schema, code in (
            ("key", record.key, key_schema, Errors.KEY_SCHEMA_MISSING),
            ("value", record.value, value_schema, Errors.VALUE_SCHEMA_MISSING),
        ):
            if value is None:
                encoded[side] = None
            elif schema is None:
                raise RestProxyError(code, f"Request includes {side}s but does not include {side} schema")
            else:
                try:
                    encoded[side] = schema.encode(value)
                except CodecError as exc:
                    raise RestProxyError(Errors.JSON_CONVERSION_FAILED, f"records[{index}].{side}: {exc}") from exc
        outgoing.append(OutgoingRecord(encoded["key"], encoded["value"], record.partition))
    return outgoing
