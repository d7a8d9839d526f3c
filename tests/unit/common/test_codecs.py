"""The codecs of the embedded formats, without a platform: what goes into Kafka and what comes back."""

from __future__ import annotations

import json

import pytest

from stack.common.codecs import AvroCodec, AvroDecoder, BinaryCodec, CodecError, JsonCodec
from stack.common.http import strict_int

READING = json.dumps(
    {
        "type": "record",
        "name": "reading",
        "fields": [
            {"name": "degrees", "type": "int"},
            {"name": "at", "type": "long"},
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
)


def test_whole_number_floats_are_ints_and_longs_as_in_avros_json_decoder() -> None:
    codec = AvroCodec(READING, 7)
    encoded = codec.encode({"degrees": 38.0, "at": 1795824000000.0})
    assert codec.decode(encoded) == {"degrees": 38, "at": 1795824000000, "note": None}


@pytest.mark.parametrize("value", [38.73, float(2**31), "38", True])
def test_a_fraction_or_an_out_of_range_number_is_not_an_int(value: object) -> None:
    with pytest.raises(CodecError, match="degrees"):
        AvroCodec(READING, 7).encode({"degrees": value, "at": 0})


def test_avro_records_carry_confluents_header_and_decode_by_their_schema_id() -> None:
    encoded = AvroCodec(READING, 258).encode({"degrees": -3, "at": 5, "note": {"string": "cold"}})
    assert encoded[:5] == b"\x00\x00\x00\x01\x02"
    assert AvroCodec.schema_id_of(encoded) == 258
    fetched: list[int] = []
    decoder = AvroDecoder(lambda schema_id: fetched.append(schema_id) or READING)
    assert decoder.decode(encoded) == {"degrees": -3, "at": 5, "note": {"string": "cold"}}
    decoder.decode(encoded)
    assert fetched == [258]  # each writer schema is fetched once


@pytest.mark.parametrize("data", [b"", b"\x01\x00\x00\x00\x01\x02", b"\x00\x00"])
def test_bytes_without_confluents_header_are_refused(data: bytes) -> None:
    with pytest.raises(CodecError):
        AvroCodec.schema_id_of(data)


def test_binary_is_base64_both_ways_and_refuses_anything_else() -> None:
    codec = BinaryCodec()
    assert codec.encode("aGk=") == b"hi"
    assert codec.decode(b"hi") == "aGk="
    for bad in ("not base64!", 5, None):
        with pytest.raises(CodecError):
            codec.encode(bad)


def test_json_is_compact_utf8_and_keeps_a_lone_surrogate_as_its_escape() -> None:
    codec = JsonCodec()
    assert codec.encode({"name": "Clark/Lake", "n": [1, 2]}) == b'{"name":"Clark/Lake","n":[1,2]}'
    assert codec.encode("\u00e9") == '"\u00e9"'.encode()
    assert codec.encode("\ud800") == b'"\\ud800"'
    assert codec.decode(b'{"a":1}') == {"a": 1}
    with pytest.raises(CodecError):
        codec.decode(b"{nope")


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("-12", -12), ("0\x1f", None), (" 1", None), ("", None)])
def test_integer_query_arguments_are_as_strict_as_java(text: str, value: int | None) -> None:
    assert strict_int(text) == value
