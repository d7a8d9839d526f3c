"""Columns of a stream or table: their ksqlDB type names, Avro equivalents and value coercion.

A source's schema is its key columns followed by its value columns, each a name and a
:class:`~stack.ksql.statements.SqlType`. ksqlDB prints types as ``INTEGER``, ``STRING``,
``DECIMAL(4, 2)``, ``ARRAY<STRING>``, ``STRUCT<`A` STRING>``; clients parse these strings out of
query headers and DESCRIBE output, so :func:`type_text` reproduces them exactly.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from stack.ksql.statements import SqlType, StatementError

BOOLEAN = SqlType("BOOLEAN")
INTEGER = SqlType("INTEGER")
BIGINT = SqlType("BIGINT")
DOUBLE = SqlType("DOUBLE")
STRING = SqlType("STRING")
BYTES = SqlType("BYTES")
NUMERIC = {"INTEGER", "BIGINT", "DOUBLE", "DECIMAL"}
INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Column:
    name: str
    type: SqlType
    key: bool = False


@dataclass(frozen=True)
class LogicalSchema:
    """Key columns, then value columns, in declaration order."""

    columns: tuple[Column, ...]

    @property
    def key(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.key)

    @property
    def value(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.key)

    def find(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def header_text(self, mark_keys: bool = False) -> str:
        """The ``schema`` string of a query header: `` `NAME` TYPE `` pairs joined by ``, ``."""
        return ", ".join(f"`{c.name}` {type_text(c.type)}{' KEY' if mark_keys and c.key else ''}" for c in self.columns)


def type_text(sql_type: SqlType) -> str:
    base = sql_type.base
    if base == "DECIMAL":
        return f"DECIMAL({sql_type.precision}, {sql_type.scale})"
    if base == "ARRAY":
        return f"ARRAY<{type_text(sql_type.items[0])}>"
    if base == "MAP":
        return f"MAP<{type_text(sql_type.items[0])}, {type_text(sql_type.items[1])}>"
    if base == "STRUCT":
        return "STRUCT<" + ", ".join(f"`{name}` {type_text(t)}" for name, t in sql_type.fields) + ">"
    return base


def describe_type(sql_type: SqlType) -> dict[str, Any]:
    """The ``schema`` object of a field in DESCRIBE output (``{"type", "fields", "memberSchema"}``)."""
    fields = None
    member = None
    if sql_type.base == "STRUCT":
        fields = [{"name": name, "schema": describe_type(t)} for name, t in sql_type.fields]
    elif sql_type.base in ("ARRAY", "MAP"):
        member = describe_type(sql_type.items[-1])
    described: dict[str, Any] = {"type": sql_type.base, "fields": fields, "memberSchema": member}
    if sql_type.base == "DECIMAL":
        described["parameters"] = {"precision": sql_type.precision, "scale": sql_type.scale}
    return described


# --- Avro ---------------------------------------------------------------------------------------

AVRO_PRIMITIVES = {
    "BOOLEAN": "boolean",
    "INTEGER": "int",
    "BIGINT": "long",
    "DOUBLE": "double",
    "STRING": "string",
    "BYTES": "bytes",
}


def avro_schema(columns: tuple[Column, ...], name: str = "KsqlDataSourceSchema") -> dict[str, Any]:
    """The Avro record ksqlDB registers for columns: every field optional (a union with null, default null)."""
    return {
        "type": "record",
        "name": name,
        "namespace": "io.confluent.ksql.avro_schemas",
        "fields": [
            {"name": c.name, "type": ["null", _avro_type(c.type, f"{name}_{c.name}")], "default": None} for c in columns
        ],
        "connect.name": f"io.confluent.ksql.avro_schemas.{name}",
    }


def _avro_type(sql_type: SqlType, name: str) -> Any:
    base = sql_type.base
    if base in AVRO_PRIMITIVES:
        return AVRO_PRIMITIVES[base]
    if base == "DECIMAL":
        return {"type": "bytes", "logicalType": "decimal", "precision": sql_type.precision, "scale": sql_type.scale}
    if base == "DATE":
        return {"type": "int", "logicalType": "date"}
    if base == "TIME":
        return {"type": "int", "logicalType": "time-millis"}
    if base == "TIMESTAMP":
        return {"type": "long", "logicalType": "timestamp-millis"}
    if base == "ARRAY":
        return {"type": "array", "items": ["null", _avro_type(sql_type.items[0], name)]}
    if base == "MAP":
        return {"type": "map", "values": ["null", _avro_type(sql_type.items[1], name)]}
    return avro_schema(tuple(Column(n, t) for n, t in sql_type.fields), name)


def columns_from_avro(schema_text: str) -> tuple[Column, ...]:
    """Value columns for a source declared without columns: one per field of the topic's Avro record."""
    schema = json.loads(schema_text)
    if not isinstance(schema, dict) or schema.get("type") != "record":
        raise StatementError("The value schema of the topic is not an Avro record; list the columns instead.")
    return tuple(Column(field["name"].upper(), _sql_type_of_avro(field["type"])) for field in schema["fields"])


def _sql_type_of_avro(avro: Any) -> SqlType:
    if isinstance(avro, list):
        branches = [b for b in avro if b != "null"]
        if len(branches) != 1:
            raise StatementError(f"Avro union {json.dumps(avro)} has no ksqlDB type.")
        return _sql_type_of_avro(branches[0])
    if isinstance(avro, dict):
        logical = avro.get("logicalType")
        if logical == "decimal":
            return SqlType("DECIMAL", avro.get("precision"), avro.get("scale", 0))
        if logical == "date":
            return SqlType("DATE")
        if logical in ("time-millis", "time-micros"):
            return SqlType("TIME")
        if logical in ("timestamp-millis", "timestamp-micros"):
            return SqlType("TIMESTAMP")
        kind = avro["type"]
        if kind == "array":
            return SqlType("ARRAY", items=(_sql_type_of_avro(avro["items"]),))
        if kind == "map":
            return SqlType("MAP", items=(STRING, _sql_type_of_avro(avro["values"])))
        if kind == "record":
            return SqlType(
                "STRUCT", fields=tuple((f["name"].upper(), _sql_type_of_avro(f["type"])) for f in avro["fields"])
            )
        if kind == "enum":
            return STRING
        return _sql_type_of_avro(kind)
    by_avro = {v: k for k, v in AVRO_PRIMITIVES.items()} | {"float": "DOUBLE", "fixed": "BYTES"}
    if avro in by_avro:
        return SqlType(by_avro[avro])
    raise StatementError(f"Avro type {json.dumps(avro)} has no ksqlDB type.")


# --- values -------------------------------------------------------------------------------------


class BadValue(ValueError):
    """A field's value does not fit its column's type; the record is skipped and counted."""


def coerce(value: Any, sql_type: SqlType) -> Any:
    """A decoded JSON/Avro/delimited value as the column type holds it (ints for INTEGER, Decimal for DECIMAL...)."""
    if value is None:
        return None
    base = sql_type.base
    try:
        if base == "BOOLEAN":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
        elif base in ("INTEGER", "BIGINT"):
            number = _integral(value)
            low, high = INT_RANGE if base == "INTEGER" else LONG_RANGE
            if low <= number <= high:
                return number
        elif base == "DOUBLE":
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str):
                return float(value)
        elif base == "DECIMAL":
            if isinstance(value, int | float | Decimal | str) and not isinstance(value, bool):
                return round(Decimal(str(value)), sql_type.scale or 0)
        elif base == "STRING":
            if isinstance(value, str):
                return value
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, int | float | Decimal):
                return str(value)
            return json.dumps(value, separators=(",", ":"))
        elif base == "BYTES":
            if isinstance(value, bytes):
                return value
            if isinstance(value, str):
                return base64.b64decode(value)
        elif base in ("DATE", "TIME", "TIMESTAMP"):
            return _temporal(value, base)
        elif base == "ARRAY" and isinstance(value, list):
            return [coerce(v, sql_type.items[0]) for v in value]
        elif base == "MAP" and isinstance(value, dict):
            return {str(k): coerce(v, sql_type.items[1]) for k, v in value.items()}
        elif base == "STRUCT" and isinstance(value, dict):
            by_name = {k.upper(): v for k, v in value.items()}
            return {name: coerce(by_name.get(name.upper()), t) for name, t in sql_type.fields}
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        pass
    raise BadValue(f"{json.dumps(value, default=str)[:80]} is not a {type_text(sql_type)}")


def _integral(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise ValueError("not integral")


def _temporal(value: Any, base: str) -> Any:
    """DATE as days since the epoch, TIME as ms of the day, TIMESTAMP as ms since the epoch (ksqlDB's wire forms)."""
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, datetime.date):
        return (value - datetime.date(1970, 1, 1)).days
    if isinstance(value, datetime.time):
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000
    return _integral(value)


def to_json(value: Any) -> Any:
    """A column value as it appears in JSON output (query rows and JSON-format records)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value
