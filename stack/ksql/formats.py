"""Reading and writing the key and value of a record in ksqlDB's formats: KAFKA, JSON, AVRO, DELIMITED.

A :class:`Serde` turns one side of a record (key or value) into a row's columns and back. It is
built once per query and used on the query's own thread, so it may block (the AVRO serde asks the
Schema Registry for a writer schema it has not seen, once per schema id).

What ksqlDB writes, and so what this writes:
  * KAFKA: one column as Kafka's own serializers write it (INT 4 bytes big-endian, BIGINT 8 bytes,
    DOUBLE 8-byte IEEE, STRING UTF-8);
  * JSON: an object whose field names are the column names (read back case-insensitively); a
    single key column is the bare JSON value;
  * AVRO: Confluent's wire format with a ``KsqlDataSourceSchema`` record registered under
    ``<topic>-value`` (or ``-key``); a single key column is a bare Avro primitive;
  * DELIMITED: the columns' values joined by commas;
  * NONE: no columns at all (a keyless stream's key): read as nothing, written as a null key.
"""

from __future__ import annotations

import csv
import io
import json
import struct
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import fastavro

from clients.registry import RegistryUnavailable, SchemaRefused, SchemaRegistry, subject_of
from stack.common.codecs import MAGIC_BYTE, AvroCodec, CodecError
from stack.ksql.schema import BadValue, Column, avro_schema, coerce, to_json, type_text
from stack.ksql.statements import StatementError

FORMATS = ("KAFKA", "JSON", "AVRO", "DELIMITED", "NONE")
Row = dict[str, Any]
T = TypeVar("T")


class RecordError(ValueError):
    """A record that cannot be read (or a row that cannot be written) in its format; it is skipped."""


class Registry:
    """The Schema Registry as KSQL's serdes and statements see it, through the shared client.

    :class:`~clients.registry.SchemaRegistry` does the HTTP and the caching; this
    says what its failures mean here. A refusal (4xx) makes the record unreadable (RecordError,
    the record is skipped) or the statement impossible (StatementError); an unavailable registry
    (:class:`~clients.registry.RegistryUnavailable`) passes through: the query waits
    and reads the records again. Parsed writer schemas are kept, once per schema id.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = SchemaRegistry(url)
        self._parsed: dict[int, Any] = {}

    def parsed_schema(self, schema_id: int) -> Any:
        parsed = self._parsed.get(schema_id)
        if parsed is None:
            text = _record_side(lambda: self.client.schema_text(schema_id))
            parsed = self._parsed[schema_id] = fastavro.parse_schema(json.loads(text))
        return parsed

    def latest_schema(self, subject: str) -> str | None:
        """The latest schema text under ``subject``, None if there is none."""
        try:
            return self.client.latest_schema(subject)
        except SchemaRefused as error:
            raise StatementError(f"Schema Registry: {error.message}") from error
        except RegistryUnavailable as error:
            if error.status is not None:
                raise StatementError(f"Schema Registry: {error.reason}") from error
            raise StatementError(f"The Schema Registry at {self.url} is not reachable: {error.reason}") from error

    def register(self, subject: str, schema: dict[str, Any]) -> int:
        return _record_side(lambda: self.client.register_blocking(subject, json.dumps(schema)))

    def delete_subject(self, subject: str) -> None:
        _record_side(lambda: self.client.delete_subject(subject))


def _record_side(call: Callable[[], T]) -> T:
    """``call``'s answer; a registry's refusal is the record's fault (RecordError)."""
    try:
        return call()
    except SchemaRefused as error:
        raise RecordError(f"Schema Registry: {error.message}") from error


class Serde:
    """One side of a record: ``decode`` bytes to column values, ``encode`` column values to bytes."""

    def __init__(self, columns: tuple[Column, ...], wrap_single: bool = True) -> None:
        self.columns = columns
        self.wrap_single = wrap_single

    def decode(self, data: bytes | None) -> Row | None:
        """The columns of a record side; None for a null (tombstone) value; RecordError if unreadable."""
        if not self.columns:
            return {}
        if data is None:
            return None
        try:
            return self._decode(data)
        except (BadValue, CodecError, ValueError, TypeError, KeyError, IndexError, EOFError, struct.error) as error:
            raise RecordError(str(error)) from error

    def encode(self, row: Row | None) -> bytes | None:
        if row is None or not self.columns:
            return None
        return self._encode(row)

    def _decode(self, data: bytes) -> Row:
        raise NotImplementedError

    def _encode(self, row: Row) -> bytes:
        raise NotImplementedError

    def _from_fields(self, fields: Any) -> Row:
        """Columns from a decoded object, matching field names case-insensitively as ksqlDB does."""
        if len(self.columns) == 1 and not (self.wrap_single and isinstance(fields, dict)):
            return {self.columns[0].name: coerce(fields, self.columns[0].type)}
        if not isinstance(fields, dict):
            raise RecordError(f"expected an object with fields {', '.join(c.name for c in self.columns)}")
        upper = {str(k).upper(): v for k, v in fields.items()}
        return {
            c.name: coerce(fields[c.name] if c.name in fields else upper.get(c.name.upper()), c.type)
            for c in self.columns
        }


class KafkaSerde(Serde):
    """One column in Kafka's primitive serializer formats."""

    PACKERS: ClassVar[dict[str, str]] = {"INTEGER": ">i", "BIGINT": ">q", "DOUBLE": ">d"}

    def __init__(self, columns: tuple[Column, ...]) -> None:
        super().__init__(columns)
        if len(columns) > 1:
            raise StatementError(
                "The 'KAFKA' format only supports a single field. Got: "
                + ", ".join(f"`{c.name}` {type_text(c.type)}" for c in columns)
            )
        if columns and columns[0].type.base not in (*self.PACKERS, "STRING", "BYTES"):
            raise StatementError(f"The 'KAFKA' format does not support type '{type_text(columns[0].type)}'")

    def _decode(self, data: bytes) -> Row:
        column = self.columns[0]
        packer = self.PACKERS.get(column.type.base)
        if packer:
            (value,) = struct.unpack(packer, data)
        else:
            # Kafka's StringDeserializer replaces bytes that are not UTF-8 (an Avro key read as KSQL 5's ROWKEY).
            value = data if column.type.base == "BYTES" else data.decode("utf-8", errors="replace")
        return {column.name: value}

    def _encode(self, row: Row) -> bytes | None:
        column = self.columns[0]
        value = row.get(column.name)
        if value is None:
            return None
        packer = self.PACKERS.get(column.type.base)
        if packer:
            return struct.pack(packer, value)
        return value if isinstance(value, bytes) else str(value).encode()


class JsonSerde(Serde):
    def _decode(self, data: bytes) -> Row:
        return self._from_fields(json.loads(data))

    def _encode(self, row: Row) -> bytes:
        if len(self.columns) == 1 and not self.wrap_single:
            return json.dumps(to_json(row.get(self.columns[0].name)), separators=(",", ":")).encode()
        return json.dumps({c.name: to_json(row.get(c.name)) for c in self.columns}, separators=(",", ":")).encode()


class DelimitedSerde(Serde):
    def _decode(self, data: bytes) -> Row:
        (fields,) = csv.reader([data.decode("utf-8")])
        if len(fields) != len(self.columns):
            raise RecordError(f"expected {len(self.columns)} delimited fields, got {len(fields)}")
        return {c.name: coerce(f if f != "" else None, c.type) for c, f in zip(self.columns, fields, strict=True)}

    def _encode(self, row: Row) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(
            ["" if row.get(c.name) is None else row[c.name] for c in self.columns]
        )
        return out.getvalue().encode()


class NoneSerde(Serde):
    """ksqlDB's NONE format: a side of the record that holds no columns, whatever bytes it has."""

    def __init__(self, columns: tuple[Column, ...], is_key: bool) -> None:
        super().__init__(columns)
        if columns:
            described = ", ".join(f"`{c.name}` {type_text(c.type)}{' KEY' if is_key else ''}" for c in columns)
            raise StatementError(f"The 'NONE' format can only be used when no columns are defined. Got: [{described}]")


class AvroSerde(Serde):
    """Reads any writer schema by the id in the record; writes with the schema it registered for the columns."""

    def __init__(self, columns: tuple[Column, ...], registry: Registry, topic: str, is_key: bool) -> None:
        super().__init__(columns, wrap_single=not is_key)
        self.registry = registry
        self.subject = subject_of(topic, is_key)
        self._writer: tuple[bytes, Any] | None = None

    def _decode(self, data: bytes) -> Row:
        parsed = self.registry.parsed_schema(AvroCodec.schema_id_of(data))
        return self._from_fields(fastavro.schemaless_reader(io.BytesIO(data[5:]), parsed, parsed))

    def _encode(self, row: Row) -> bytes:
        header, parsed = self._writer or self._register()
        buffer = io.BytesIO()
        buffer.write(header)
        if len(self.columns) == 1 and not self.wrap_single:
            value: Any = row.get(self.columns[0].name)
        else:
            value = {c.name: row.get(c.name) for c in self.columns}
        fastavro.schemaless_writer(buffer, parsed, value)
        return buffer.getvalue()

    def _register(self) -> tuple[bytes, Any]:
        if len(self.columns) == 1 and not self.wrap_single:
            schema: Any = avro_schema(self.columns)["fields"][0]["type"][1]
        else:
            schema = avro_schema(self.columns)
        schema_id = self.registry.register(self.subject, schema)
        self._writer = (bytes([MAGIC_BYTE]) + schema_id.to_bytes(4, "big"), fastavro.parse_schema(schema))
        return self._writer


def serde(
    format_name: str,
    columns: tuple[Column, ...],
    registry: Registry,
    topic: str,
    is_key: bool,
    wrap_single: bool = True,
) -> Serde:
    """The serde of ``format_name`` for these columns; StatementError if the format cannot hold them."""
    if format_name == "KAFKA":
        return KafkaSerde(columns)
    if format_name == "JSON":
        return JsonSerde(columns, wrap_single=wrap_single and not is_key)
    if format_name == "AVRO":
        return AvroSerde(columns, registry, topic, is_key)
    if format_name == "DELIMITED":
        return DelimitedSerde(columns)
    if format_name == "NONE":
        return NoneSerde(columns, is_key)
    raise StatementError(f"Unknown format: {format_name}")


class TimeWindowedSerde(Serde):
    """A windowed table's record keys, as Kafka Streams' ``TimeWindowedSerde`` writes them: the key in its
    own format, then the window's start as 8 bytes big-endian. The end is the start plus the window's size."""

    def __init__(self, inner: Serde, size: int) -> None:
        super().__init__(inner.columns)
        self.inner = inner
        self.size = size

    def decode(self, data: bytes | None) -> Row | None:
        if data is None or len(data) < 8:
            raise RecordError("a windowed key holds the key and 8 bytes of window start")
        (start,) = struct.unpack(">q", data[-8:])
        return {**(self.inner.decode(data[:-8]) or {}), "WINDOWSTART": start, "WINDOWEND": start + self.size}

    def encode(self, row: Row | None) -> bytes | None:
        if row is None:
            return None
        start = row.get("WINDOWSTART")
        if start is None:
            raise RecordError("a windowed key needs its window's start")
        return (self.inner.encode(row) or b"") + struct.pack(">q", start)
