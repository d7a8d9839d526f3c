"""Producing a request's records: validate the whole batch, serialize it, then write it.

Nothing reaches Kafka until every record of the request has been checked and serialized, so a bad
record anywhere in a batch is refused (4xx) with nothing half-written.  Only Kafka itself can then
fail individual records; those failures are reported per record, as Confluent does.

The answer is written as JSON text here: its offsets are most of it, and formatting each from a
template costs a third of ``json.dumps`` of a dict per record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stack.common.codecs import CodecError
from stack.common.errors import ErrorCode
from stack.common.http import render_json

from .avro_writer import AvroWriter
from .errors import Errors, RestProxyError
from .formats import EmbeddedFormat, encode_plain
from .metadata import ClusterMetadataReader
from .producer import KafkaProducer, OutgoingRecord
from .requests import ProducedRecord, ProduceRequest
from .schemas import Schemas


class ProduceService:
    """The produce endpoints' logic, between the HTTP handlers and the Kafka producer."""

    def __init__(self, metadata: ClusterMetadataReader, registry: Schemas, producer: KafkaProducer) -> None:
        self._metadata = metadata
        self._registry = registry
        self._producer = producer

    async def partition_count(self, topic: str, partition: int | None) -> int:
        """The partitions of ``topic`` (40401 without it), and 40402 unless it has ``partition``."""
        partition_count = await self._metadata.partition_count(topic)
        if partition is not None and not 0 <= partition < partition_count:
            raise RestProxyError(Errors.PARTITION_NOT_FOUND, f"Partition {partition} not found.")
        return partition_count

    async def produce(self, fmt: EmbeddedFormat, topic: str, request: ProduceRequest) -> str:
        """Produces a request's records to a topic; returns the response's JSON text."""
        key_schema_id = value_schema_id = None
        if fmt is EmbeddedFormat.AVRO:
            key_schema = await self._schema(topic, True, request.key_schema, request.key_schema_id)
            value_schema = await self._schema(topic, False, request.value_schema, request.value_schema_id)
            outgoing = _serialize_avro(request.records, key_schema, value_schema)
            key_schema_id = key_schema.schema_id if key_schema else None
            value_schema_id = value_schema.schema_id if value_schema else None
        else:
            outgoing = [
                (
                    encode_plain(fmt, key, f"records[{i}].key"),
                    encode_plain(fmt, value, f"records[{i}].value"),
                    partition,
                )
                for i, (key, value, partition) in enumerate(request.records)
            ]
        offsets = ",".join(await self._producer.produce(topic, outgoing, _DELIVERED, _failed))
        return (
            f'{{"key_schema_id":{render_json(key_schema_id)},"value_schema_id":{render_json(value_schema_id)},'
            f'"offsets":[{offsets}]}}'
        )

    async def _schema(self, topic: str, is_key: bool, text: str | None, schema_id: int | None) -> AvroWriter | None:
        if text is not None:
            return await self._registry.from_text(topic, is_key, text)
        if schema_id is not None:
            return await self._registry.from_id(topic, is_key, schema_id)
        return None


# The entries of the offsets array, made by the producer's delivery thread as each report arrives.
_DELIVERED = '{{"partition":{},"offset":{},"error_code":null,"error":null}}'.format


def _failed(error_code: int, error: str) -> str:
    """The entry of a record Kafka refused: Confluent's error for it."""
    return render_json({"partition": None, "offset": None, "error_code": error_code, "error": error})


def _serialize_avro(
    records: list[ProducedRecord], key_schema: AvroWriter | None, value_schema: AvroWriter | None
) -> list[OutgoingRecord]:
    encode_key = _avro_encoder("key", key_schema, Errors.KEY_SCHEMA_MISSING)
    encode_value = _avro_encoder("value", value_schema, Errors.VALUE_SCHEMA_MISSING)
    return [
        (encode_key(key, index), encode_value(value, index), partition)
        for index, (key, value, partition) in enumerate(records)
    ]


def _avro_encoder(side: str, writer: AvroWriter | None, missing: ErrorCode) -> Callable[[Any, int], bytes | None]:
    """Encodes the keys (or values) of records: None stays None, anything else needs the side's schema."""

    def encode(value: Any, index: int) -> bytes | None:
        if value is None:
            return None
        if writer is None:
            raise RestProxyError(missing, f"Request includes {side}s but does not include {side} schema")
        try:
            return writer.encode(value)
        except CodecError as exc:
            raise RestProxyError(Errors.JSON_CONVERSION_FAILED, f"records[{index}].{side}: {exc}") from exc

    return encode
