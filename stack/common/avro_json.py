"""Avro's JSON encoding, both ways, for the ``avro`` embedded format.

REST clients send and receive Avro data as JSON: unions are tagged with their branch
(``{"string": "x"}``), bytes and fixed values are strings whose code points are the byte values
(ISO-8859-1).  The Avro serializers of confluent-kafka work on Python values instead, so this module
converts between the two, checking every value against the schema on the way in so that a record
that does not match is refused with a precise message before anything is produced.

Like Karapace, untagged union values are accepted too (the first branch that fits wins).
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import uuid
from typing import Any

import avro.schema
import fastavro
from avro.errors import AvroException
from fastavro.schema import SchemaParseException

Schema = Any  # a schema as parsed by fastavro: a type name, a dict or a list (union)

_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_EPOCH_DATE = datetime.date(1970, 1, 1)
_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


class AvroSchemaError(ValueError):
    """The schema text is not a valid Avro schema."""


class AvroDataError(ValueError):
    """A value does not match its Avro schema."""


def _fail(path: str, expected: str, value: Any) -> AvroDataError:
    shown = json.dumps(value, default=repr)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return AvroDataError(f"{path or 'value'}: expected {expected}, got {shown}")


class AvroJsonCodec:
    """Converts between Avro-JSON values and Python values for one schema."""

    def __init__(self, schema_text: str) -> None:
        try:
            raw = json.loads(schema_text)
        except (TypeError, ValueError) as exc:
            raise AvroSchemaError(f"the schema is not JSON ({exc})") from exc
        self._named: dict[str, Schema] = {}
        try:
            # The avro package checks the schema as strictly as Java's Avro does; fastavro's parsed
            # form is what the conversions below and confluent-kafka's serializers work with.
            avro.schema.parse(schema_text)
            self.parsed = fastavro.parse_schema(raw, named_schemas=self._named)
        except (AvroException, SchemaParseException, TypeError, ValueError, KeyError, AttributeError) as exc:
            raise AvroSchemaError(str(exc)) from exc

    # ----- Avro JSON -> Python value ---------------------------------------------------------

    def from_json(self, value: Any) -> Any:
        """Checks an Avro-JSON value against the schema and returns the Python value to serialize."""
        return self._decode(self.parsed, value, "")

    def _resolve(self, schema: Schema) -> Schema:
        if isinstance(schema, str) and schema not in _PRIMITIVES:
            return self._named[schema]
        return schema

    def _decode(self, schema: Schema, value: Any, path: str) -> Any:
        schema = self._resolve(schema)
        if isinstance(schema, list):
            return self._decode_union(schema, value, path)
        kind = schema if isinstance(schema, str) else schema["type"]
        logical = None if isinstance(schema, str) else schema.get("logicalType")
        if kind == "null":
            if value is not None:
                raise _fail(path, "null", value)
            return None
        if kind == "boolean":
            if not isinstance(value, bool):
                raise _fail(path, "a boolean", value)
            return value
        if kind in ("int", "long"):
            low, high = _INT_RANGE if kind == "int" else _LONG_RANGE
            # Avro's JSON decoder (so every Confluent REST Proxy) takes a whole-number float such as
            # 38.0 or 1795824000.0 for an int or long; a real fraction stays an error.
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise _fail(path, f"an Avro {kind}", value)
            return value
        if kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _fail(path, f"an Avro {kind}", value)
            return float(value)
        if kind == "string":
            if not isinstance(value, str):
                raise _fail(path, "a string", value)
            return value
        if kind in ("bytes", "fixed"):
            return self._decode_bytes(schema, kind, logical, value, path)
        if kind == "enum":
            if not isinstance(value, str) or value not in schema["symbols"]:
                raise _fail(path, f"one of the symbols {schema['symbols']}", value)
            return value
        if kind == "array":
            if not isinstance(value, list):
                raise _fail(path, "an array", value)
            return [self._decode(schema["items"], item, f"{path}[{i}]") for i, item in enumerate(value)]
        if kind == "map":
            if not isinstance(value, dict):
                raise _fail(path, "a map (JSON object)", value)
            return {k: self._decode(schema["values"], v, f"{path}[{k!r}]") for k, v in value.items()}
        if kind == "record":
            return self._decode_record(schema, value, path)
        raise AvroDataError(f"{path or 'value'}: unsupported Avro type {kind!r}")

    def _decode_bytes(self, schema: Schema, kind: str, logical: str | None, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise _fail(path, f"Avro {kind} as a string", value)
        try:
            data = value.encode("latin-1")
        except UnicodeEncodeError:
            raise _fail(path, f"Avro {kind} (characters U+0000..U+00FF only)", value) from None
        if kind == "fixed" and len(data) != schema["size"]:
            raise _fail(path, f"fixed of {schema['size']} bytes", value)
        if logical == "decimal":
            unscaled = int.from_bytes(data, "big", signed=True)
            return decimal.Decimal(unscaled).scaleb(-schema.get("scale", 0))
        return data

    def _decode_record(self, schema: Schema, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _fail(path, f"a record {schema['name']} (JSON object)", value)
        out = {}
        for field in schema["fields"]:
            name = field["name"]
            where = f"{path}.{name}" if path else name
            if name in value:
                out[name] = self._decode(field["type"], value[name], where)
            elif "default" in field:
                field_type = self._resolve(field["type"])
                first = field_type[0] if isinstance(field_type, list) else field_type
                out[name] = self._decode(first, field["default"], where)
            else:
                raise AvroDataError(f"{where}: missing field (it has no default)")
        return out

    def _decode_union(self, branches: list[Schema], value: Any, path: str) -> Any:
        if value is None:
            if "null" in branches:
                return None
            raise _fail(path, f"one of {[self._branch_name(b) for b in branches]}", value)
        if isinstance(value, dict) and len(value) == 1:
            ((tag, inner),) = value.items()
            for branch in branches:
                if tag in self._branch_names(branch):
                    return self._decode(branch, inner, path)
        for branch in branches:
            try:
                return self._decode(branch, value, path)
            except AvroDataError:
                continue
        raise _fail(path, f"one of {[self._branch_name(b) for b in branches]}", value)

    def _branch_name(self, branch: Schema) -> str:
        resolved = self._resolve(branch)
        if isinstance(resolved, str):
            return resolved
        if resolved["type"] in ("record", "enum", "fixed"):
            return resolved["name"]
        return resolved["type"]

    def _branch_names(self, branch: Schema) -> set[str]:
        full = self._branch_name(branch)
        return {full, full.rsplit(".", 1)[-1]}

    # ----- Python value -> Avro JSON ---------------------------------------------------------

    def to_json(self, value: Any) -> Any:
        """Renders a deserialized Python value in Avro's JSON encoding."""
        return self._encode(self.parsed, value)

    def _encode(self, schema: Schema, value: Any) -> Any:
        schema = self._resolve(schema)
        if isinstance(schema, list):
            if value is None:
                return None
            branch = next((b for b in schema if self._matches(b, value)), schema[-1])
            return {self._branch_name(branch): self._encode(branch, value)}
        kind = schema if isinstance(schema, str) else schema["type"]
        logical = None if isinstance(schema, str) else schema.get("logicalType")
        if logical:
            value = _logical_to_plain(logical, schema, value)
        if kind in ("bytes", "fixed") and isinstance(value, bytes):
            return value.decode("latin-1")
        if kind in ("float", "double") and isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if kind == "record":
            return {f["name"]: self._encode(f["type"], value.get(f["name"])) for f in schema["fields"]}
        if kind == "array":
            return [self._encode(schema["items"], item) for item in value]
        if kind == "map":
            return {k: self._encode(schema["values"], v) for k, v in value.items()}
        return value

    def _matches(self, schema: Schema, value: Any) -> bool:
        """Whether a deserialized value belongs to this union branch (first match wins)."""
        schema = self._resolve(schema)
        kind = schema if isinstance(schema, str) else schema["type"]
        if kind == "null":
            return value is None
        if kind == "boolean" or isinstance(value, bool):
            return kind == "boolean" and isinstance(value, bool)
        if kind in ("int", "long"):
            return isinstance(value, (int, datetime.date, datetime.time))
        if kind in ("float", "double"):
            return isinstance(value, float)
        if kind == "string":
            return isinstance(value, (str, uuid.UUID))
        if kind in ("bytes", "fixed"):
            return isinstance(value, (bytes, decimal.Decimal))
        if kind == "enum":
            return isinstance(value, str) and value in schema["symbols"]
        if kind == "array":
            return isinstance(value, list)
        if kind == "map":
            return isinstance(value, dict)
        if kind == "record":
            return isinstance(value, dict) and set(value) <= {f["name"] for f in schema["fields"]}
        return False


def _logical_to_plain(logical: str, schema: dict[str, Any], value: Any) -> Any:
    """Undoes fastavro's logical-type conversions, since Avro JSON carries the underlying type."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        micros = (value - _EPOCH) // datetime.timedelta(microseconds=1)
        return micros // 1000 if logical.endswith("millis") else micros
    if isinstance(value, datetime.date):
        return (value - _EPOCH_DATE).days
    if isinstance(value, datetime.time):
        micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
        return micros // 1000 if logical.endswith("millis") else micros
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        unscaled = int(value.scaleb(schema.get("scale", 0)).to_integral_value())
        size = schema.get("size") or max(1, (unscaled.bit_length() + 8) // 8)
        return unscaled.to_bytes(size, "big", signed=True)
    return value
