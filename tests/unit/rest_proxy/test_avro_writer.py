"""The REST Proxy's compiled Avro writer against the generic path it replaces, without a platform.

``AvroCodec.encode`` (stack.common: check and convert the Avro JSON, then fastavro writes) is the
reference: for the same schema and value the compiled writer must write the same bytes, or refuse
the value with the same message.
"""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stack.common.codecs import AvroCodec, CodecError
from stack.rest_proxy.avro_writer import AvroWriter

NODE = {
    "type": "record",
    "name": "node",
    "fields": [
        {"name": "n", "type": "int"},
        {"name": "next", "type": ["null", "node"], "default": None},
    ],
}
SCHEMA = {
    "type": "record",
    "name": "everything",
    "namespace": "org.chicago.cta",
    "fields": [
        {"name": "flag", "type": "boolean"},
        {"name": "count", "type": "int"},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "temperature", "type": "float"},
        {"name": "ratio", "type": "double"},
        {"name": "name", "type": "string"},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "raw", "type": "bytes"},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 2}},
        {"name": "hash", "type": {"type": "fixed", "name": "hash4", "size": 4}},
        {"name": "colour", "type": {"type": "enum", "name": "colour", "symbols": ["RED", "GREEN"]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "counts", "type": {"type": "map", "values": "long"}},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "either", "type": ["int", "string"]},
        {"name": "list", "type": NODE},
        {"name": "spare", "type": ["null", "hash4"], "default": None},
        {"name": "level", "type": "long", "default": 3},
        {"name": "nothing", "type": "null"},
    ],
}
SCHEMA_TEXT = json.dumps(SCHEMA)
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=5,
)
LATIN1 = st.text(st.characters(max_codepoint=0xFF), max_size=6)
FITTING = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1) | st.integers(-1000, 1000).map(float),
    "long": st.integers(-(2**63), 2**63 - 1) | st.just(1795824000000.0),
    "float": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**70), 2**70),
    "double": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**70), 2**70),
    "string": st.text(max_size=6),
    "bytes": LATIN1,
}
# Values that are near misses: a lone surrogate, a character beyond ISO-8859-1, an int out of range, ...
MISFITS = {
    "int": st.sampled_from([2**31, 1.5, True, "1"]),
    "long": st.sampled_from([2**63, -(2**63) - 1, 0.5]),
    "float": st.sampled_from([10**400, False]),
    "string": st.just("\ud800"),
    "bytes": st.just("\u0100"),
}
NAMED = {"hash4": SCHEMA["fields"][10]["type"], "node": NODE}


def draw_value(data: st.DataObject, schema: Any, odd: bool, depth: int = 0) -> Any:
    """A value for ``schema``; when ``odd``, one node in 20 is a near miss or any JSON at all."""
    if odd and data.draw(st.integers(0, 19)) == 0:
        kind = schema if isinstance(schema, str) else None
        return data.draw(MISFITS.get(kind, JUNK) if kind in MISFITS and data.draw(st.booleans()) else JUNK)
    if isinstance(schema, str) and schema in NAMED:
        schema = NAMED[schema]
    if isinstance(schema, list):
        branches = [b for b in schema if not (depth > 2 and b != "null")] or schema
        branch = data.draw(st.sampled_from(branches))
        value = draw_value(data, branch, odd, depth + 1)
        if value is None or not data.draw(st.booleans()):
            return value
        name = branch if isinstance(branch, str) else branch.get("name", branch["type"])
        return {name: value}
    kind = schema if isinstance(schema, str) else schema["type"]
    if kind in FITTING:
        return data.draw(FITTING[kind])
    if kind == "fixed":
        return data.draw(st.text(st.characters(max_codepoint=0xFF), min_size=4, max_size=4))
    if kind == "enum":
        return data.draw(st.sampled_from(schema["symbols"]))
    if kind == "array":
        return [draw_value(data, schema["items"], odd, depth + 1) for _ in range(data.draw(st.integers(0, 3)))]
    if kind == "map":
        keys = data.draw(st.lists(st.text(max_size=3), max_size=3, unique=True))
        return {key: draw_value(data, schema["values"], odd, depth + 1) for key in keys}
    record = {}
    for field in schema["fields"]:
        if "default" not in field or data.draw(st.booleans()):
            record[field["name"]] = draw_value(data, field["type"], odd, depth + 1)
    return record


def outcome(encode: Any, value: Any) -> bytes | str:
    try:
        return encode(value)
    except CodecError as error:
        return f"refused: {error}"


GENERIC = AvroCodec(SCHEMA_TEXT, 7)
COMPILED = AvroWriter(SCHEMA_TEXT, 7)


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_the_compiled_writer_writes_what_the_generic_path_writes_or_refuses_alike(data: st.DataObject) -> None:
    value = draw_value(data, SCHEMA, odd=data.draw(st.booleans()))
    try:
        expected = outcome(GENERIC.encode, value)
    except OverflowError:  # the generic path cannot turn a huge integer into a float: a 500 there
        assert outcome(COMPILED.encode, value).startswith("refused: Conversion of JSON to Avro failed: ")
        return
    assert outcome(COMPILED.encode, value) == expected


def test_a_weather_record_is_written_as_fastavro_writes_it() -> None:
    schema = {
        "type": "record",
        "name": "weather",
        "fields": [{"name": "temperature", "type": "float"}, {"name": "status", "type": "string"}],
    }
    value = {"temperature": 21.5, "status": "sunny"}
    body = io.BytesIO()
    fastavro.schemaless_writer(body, fastavro.parse_schema(schema), value)
    assert AvroWriter(json.dumps(schema), 258).encode(value) == b"\x00\x00\x00\x01\x02" + body.getvalue()


def test_a_refused_value_names_the_path_to_it() -> None:
    with pytest.raises(
        CodecError, match=r"^Conversion of JSON to Avro failed: flag: missing field \(it has no default\)$"
    ):
        COMPILED.encode({"tags": ["a", 5]})
    node_schema = json.dumps({"type": "array", "items": NODE})
    with pytest.raises(CodecError, match=r"failed: \[1\]\.next\.n: expected an Avro int, got \"x\"$"):
        AvroWriter(node_schema, 1).encode([{"n": 1}, {"n": 2, "next": {"node": {"n": "x"}}}])


@pytest.mark.parametrize(
    ("schema", "value"),
    [(["float", "double"], 0.1), (["int", "long"], {"long": 5}), (["null", "int", "string"], {"string": "x"})],
)
def test_a_union_of_several_types_is_written_as_fastavro_chooses(schema: Any, value: Any) -> None:
    # fastavro prefers a double to a float (no precision lost) and ignores the tag: the same bytes as before.
    text = json.dumps(schema)
    assert AvroWriter(text, 1).encode(value) == AvroCodec(text, 1).encode(value)


def test_a_number_too_big_for_a_float_is_refused_not_a_server_error() -> None:
    with pytest.raises(OverflowError):  # the generic path's failure, a 500 before the compiled writer
        AvroCodec(json.dumps("double"), 1).encode(10**400)
    with pytest.raises(CodecError, match="int too large to convert to float"):
        AvroWriter(json.dumps("double"), 1).encode(10**400)


def test_an_invalid_schema_is_refused_as_the_generic_codec_refuses_it() -> None:
    with pytest.raises(CodecError, match="invalid schema"):
        AvroWriter(json.dumps({"type": "record", "name": "x", "fields": [{"name": "a", "type": "nope"}]}), 1)


def test_the_wire_format_reads_back_with_fastavro() -> None:
    writer = AvroWriter(json.dumps(NODE), 3)
    encoded = writer.encode({"n": -5, "next": {"node": {"n": 7}}})
    assert fastavro.schemaless_reader(io.BytesIO(encoded[5:]), fastavro.parse_schema(NODE), None) == {
        "n": -5,
        "next": {"n": 7, "next": None},
    }
