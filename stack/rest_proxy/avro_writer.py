"""Avro's JSON encoding written straight to Avro binary, by a writer compiled once per schema.

The generic path (:meth:`AvroJsonCodec.from_json` walking the schema to check and convert a value,
then fastavro walking it again to write the bytes) costs about 3 µs for even a two-field record, the
largest share of a produce request's work.  Here each schema node becomes a small function, built
once per schema, that checks one JSON value and appends its binary encoding; a record is then a loop
over its fields' functions.  It accepts what :mod:`stack.common.avro_json` accepts and writes the
same bytes (tests/unit/rest_proxy/test_avro_writer.py holds the two side by side); a refused value is
handed to the generic path, whose message names the path to the first part that does not fit.  So
is a value in a union of several non-null types, whose branch fastavro picks by rules of its own;
optional fields (null and one type) stay on the fast path.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

import fastavro

from stack.common.codecs import MAGIC_BYTE, AvroCodec, CodecError

Schema = Any  # a schema as parsed by fastavro: a type name, a dict or a list (union)
Write = Callable[[Any, bytearray], None]

_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)
_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
_FLOAT = struct.Struct("<f")
_DOUBLE = struct.Struct("<d")
_INFINITY = float("inf")
# Zig-zag varints of the small numbers (lengths, counts, enum and branch indexes), ready-made.
_SMALL = [bytes([n << 1]) for n in range(64)]


class _Mismatch(Exception):
    """A value that does not match its schema; the generic path then says how (see ``AvroWriter.encode``)."""


class _Ambiguous(Exception):
    """A value for a union of several non-null branches: fastavro chooses the branch, so the generic path writes it."""


def _long(number: int, out: bytearray) -> None:
    """Appends ``number`` as Avro's zig-zag varint."""
    number = (number << 1) ^ (number >> 63)
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)


def _length(count: int, out: bytearray) -> None:
    if count < 64:
        out += _SMALL[count]
    else:
        _long(count, out)


class AvroWriter:
    """Encodes Avro-JSON values of one schema in Confluent's wire format, for one schema id."""

    def __init__(self, schema_text: str, schema_id: int) -> None:
        self.schema_id = schema_id
        # The generic codec checks the schema as strictly as Java's Avro does, and words refusals.
        self._generic = AvroCodec(schema_text, schema_id)
        self._named: dict[str, Schema] = {}
        parsed = fastavro.parse_schema(json.loads(schema_text), named_schemas=self._named)
        self._compiled: dict[str, Write] = {}
        self._header = bytes([MAGIC_BYTE]) + schema_id.to_bytes(4, "big")
        self._write = self._compile(parsed)

    def encode(self, value: Any) -> bytes:
        """The wire-format bytes of an Avro-JSON value (CodecError when it does not match the schema)."""
        out = bytearray(self._header)
        try:
            self._write(value, out)
        except _Ambiguous:
            return self._generic.encode(value)
        except (_Mismatch, TypeError, ValueError, OverflowError):
            raise self._refusal(value) from None
        return bytes(out)

    def _refusal(self, value: Any) -> CodecError:
        """Why a value is refused, in the generic path's words: they name the path to the first bad part."""
        try:
            self._generic.encode(value)
        except CodecError as error:
            return error
        except OverflowError as error:  # an integer too big for a float, a 500 in the generic path
            return CodecError(f"Conversion of JSON to Avro failed: {error}")
        return CodecError("Conversion of JSON to Avro failed: the value does not match the schema")

    # ----- compiling ------------------------------------------------------------------------

    def _compile(self, schema: Schema) -> Write:
        if isinstance(schema, str) and schema not in _PRIMITIVES:
            return self._named_writer(schema)
        if isinstance(schema, list):
            return self._union(schema)
        kind = schema if isinstance(schema, str) else schema["type"]
        if isinstance(schema, dict) and kind in ("record", "enum", "fixed"):
            return self._named_writer(schema["name"], schema)
        return self._writer(kind, schema)

    def _named_writer(self, name: str, schema: Schema | None = None) -> Write:
        """A named type's writer, compiled once; a recursive reference finds it through this indirection."""
        if name not in self._compiled:
            compiled: list[Write] = []
            self._compiled[name] = lambda value, out: compiled[0](value, out)  # for references inside it
            definition = schema if schema is not None else self._named[name]
            compiled.append(self._writer(definition["type"], definition))
            self._compiled[name] = compiled[0]  # later references call it directly
        return self._compiled[name]

    def _writer(self, kind: str, schema: Schema) -> Write:
        logical = schema.get("logicalType") if isinstance(schema, dict) else None
        if kind in _SIMPLE_WRITERS:
            return _SIMPLE_WRITERS[kind]
        if kind in ("bytes", "fixed"):
            return _bytes_writer(kind, schema, logical)
        if kind == "enum":
            return _enum_writer(schema["symbols"])
        if kind == "array":
            return _array_writer(self._compile(schema["items"]))
        if kind == "map":
            return _map_writer(self._compile(schema["values"]))
        if kind == "record":
            return self._record(schema)

        def unsupported(value: Any, out: bytearray) -> None:
            raise _Mismatch

        return unsupported

    def _record(self, schema: Schema) -> Write:
        fields = []
        for field in schema["fields"]:
            has_default = "default" in field
            default_writer = self._default_writer(field["type"]) if has_default else None
            fields.append((field["name"], self._compile(field["type"]), default_writer, field.get("default")))

        def write_record(value: Any, out: bytearray) -> None:
            if type(value) is not dict:
                raise _Mismatch
            for field_name, write, default_writer, default in fields:
                if field_name in value:
                    write(value[field_name], out)
                elif default_writer is not None:
                    default_writer(default, out)
                else:
                    raise _Mismatch

        return write_record

    def _default_writer(self, schema: Schema) -> Write:
        """A field's default is JSON for the union's first branch (Avro's rule), written as that branch."""
        resolved = self._named.get(schema, schema) if isinstance(schema, str) else schema
        if not isinstance(resolved, list):
            return self._compile(schema)
        if _chosen_by_fastavro([self._branch_name(branch) for branch in resolved]):
            return _write_ambiguous
        first = self._compile(resolved[0])

        def write_default(value: Any, out: bytearray) -> None:
            out += _SMALL[0]
            first(value, out)

        return write_default

    def _union(self, branches: list[Schema]) -> Write:
        writers = [self._compile(branch) for branch in branches]
        names = [self._branch_name(branch) for branch in branches]
        null_index = names.index("null") if "null" in names else None
        if _chosen_by_fastavro(names):
            return _null_writer(null_index)
        other = next(index for index, name in enumerate(names) if name != "null")
        write_other = writers[other]
        by_tag: dict[str, int] = {}
        for index, name in enumerate(names):
            for tag in (name, name.rsplit(".", 1)[-1]):
                by_tag.setdefault(tag, index)

        def write_union(value: Any, out: bytearray) -> None:
            if value is None:
                if null_index is None:
                    raise _Mismatch
                _length(null_index, out)
                return
            if type(value) is dict and len(value) == 1:
                ((tag, inner),) = value.items()
                index = by_tag.get(tag)
                if index is not None:
                    _length(index, out)
                    writers[index](inner, out)
                    return
            _length(other, out)
            write_other(value, out)

        return write_union

    def _branch_name(self, branch: Schema) -> str:
        resolved = self._named.get(branch, branch) if isinstance(branch, str) else branch
        if isinstance(resolved, str):
            return resolved
        if resolved["type"] in ("record", "enum", "fixed"):
            return resolved["name"]
        return resolved["type"]


# ----- the writers of the types without children ------------------------------------------


def _chosen_by_fastavro(names: list[str]) -> bool:
    """Whether a union has several non-null branches, among which fastavro picks by rules of its own.

    From the Python value, not the JSON tag: a double before a float, the record with the most
    matching fields, else the first branch the value fits.  A union of null and one other type (the
    usual optional field) leaves no choice.
    """
    return sum(name != "null" for name in names) != 1


def _write_ambiguous(value: Any, out: bytearray) -> None:
    raise _Ambiguous


def _null_writer(null_index: int | None) -> Write:
    """A union with a choice: null is written here, any other value by the generic path."""

    def write_null_or_leave(value: Any, out: bytearray) -> None:
        if value is not None or null_index is None:
            raise _Ambiguous
        _length(null_index, out)

    return write_null_or_leave


def _write_null(value: Any, out: bytearray) -> None:
    if value is not None:
        raise _Mismatch


def _write_boolean(value: Any, out: bytearray) -> None:
    if value is True:
        out.append(1)
    elif value is False:
        out.append(0)
    else:
        raise _Mismatch


def _integer_writer(kind: str) -> Write:
    low, high = _INT_RANGE if kind == "int" else _LONG_RANGE

    def write_integer(value: Any, out: bytearray) -> None:
        # Avro's JSON decoder (so every Confluent REST Proxy) takes a whole-number float such as
        # 38.0 for an int or long; a real fraction stays an error.
        if type(value) is float and value.is_integer():
            value = int(value)
        if type(value) is not int or not low <= value <= high:
            raise _Mismatch
        _long(value, out)

    return write_integer


def _real_writer(kind: str) -> Write:
    packer = _FLOAT if kind == "float" else _DOUBLE

    def write_real(value: Any, out: bytearray) -> None:
        if type(value) is not float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _Mismatch
            value = float(value)  # OverflowError for an integer beyond a double's range
        try:
            out += packer.pack(value)
        except OverflowError:  # beyond a float's range: infinity, as a C (and Java) cast makes it
            out += packer.pack(_INFINITY if value > 0 else -_INFINITY)

    return write_real


def _write_string(value: Any, out: bytearray) -> None:
    if type(value) is not str:
        raise _Mismatch
    data = value.encode()  # a lone surrogate fails here, as it does in fastavro
    _length(len(data), out)
    out += data


_SIMPLE_WRITERS: dict[str, Write] = {
    "null": _write_null,
    "boolean": _write_boolean,
    "int": _integer_writer("int"),
    "long": _integer_writer("long"),
    "float": _real_writer("float"),
    "double": _real_writer("double"),
    "string": _write_string,
}


def _bytes_writer(kind: str, schema: Schema, logical: str | None) -> Write:
    """Bytes and fixed values travel as strings whose code points are the byte values (ISO-8859-1)."""
    size = schema.get("size") if kind == "fixed" else None
    decimal_bytes = kind == "bytes" and logical == "decimal"

    def write_bytes(value: Any, out: bytearray) -> None:
        if type(value) is not str:
            raise _Mismatch
        try:
            data = value.encode("latin-1")
        except UnicodeEncodeError:  # a mismatch, so that an untagged union tries its next branch
            raise _Mismatch from None
        if size is not None:
            if len(data) != size:
                raise _Mismatch
            out += data
            return
        if decimal_bytes:  # fastavro writes a decimal's unscaled number in as few bytes as it takes
            unscaled = int.from_bytes(data, "big", signed=True)
            data = unscaled.to_bytes((unscaled.bit_length() + 8) // 8, "big", signed=True)
        _length(len(data), out)
        out += data

    return write_bytes


def _enum_writer(symbols: list[str]) -> Write:
    index_of = {symbol: index for index, symbol in enumerate(symbols)}

    def write_enum(value: Any, out: bytearray) -> None:
        index = index_of.get(value) if type(value) is str else None
        if index is None:
            raise _Mismatch
        _length(index, out)

    return write_enum


def _array_writer(write_item: Write) -> Write:
    def write_array(value: Any, out: bytearray) -> None:
        if type(value) is not list:
            raise _Mismatch
        if value:
            _length(len(value), out)
            for item in value:
                write_item(item, out)
        out.append(0)

    return write_array


def _map_writer(write_value: Write) -> Write:
    def write_map(value: Any, out: bytearray) -> None:
        if type(value) is not dict:
            raise _Mismatch
        if value:
            _length(len(value), out)
            for key, item in value.items():
                _write_string(key, out)
                write_value(item, out)
        out.append(0)

    return write_map
