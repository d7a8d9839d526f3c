"""How the REST Proxy reads requests, without a platform: formats, produce bodies, consumer configs."""

from __future__ import annotations

import pytest

from stack.rest_proxy.consumers import InstanceConfig
from stack.rest_proxy.errors import Errors, RestProxyError
from stack.rest_proxy.formats import EmbeddedFormat, encode_plain, produce_format, records_format, response_type
from stack.rest_proxy.requests import produce_request


def code_of(call: object) -> int:
    with pytest.raises(RestProxyError) as raised:
        call()  # type: ignore[operator]
    return raised.value.error_code


def test_the_content_type_names_the_embedded_format() -> None:
    assert produce_format("application/vnd.kafka.avro.v2+json; charset=utf-8") is EmbeddedFormat.AVRO
    assert produce_format("APPLICATION/VND.KAFKA.JSON.V2+JSON") is EmbeddedFormat.JSON
    assert code_of(lambda: produce_format("application/json")) == Errors.UNSUPPORTED_MEDIA_TYPE.error_code
    assert code_of(lambda: produce_format(None)) == Errors.UNSUPPORTED_MEDIA_TYPE.error_code


def test_answers_are_in_confluents_type_unless_only_plain_json_is_accepted() -> None:
    assert response_type(None) == "application/vnd.kafka.v2+json"
    assert response_type("application/json") == "application/json"
    assert response_type("application/vnd.kafka.v2+json, application/json") == "application/vnd.kafka.v2+json"
    assert records_format("application/vnd.kafka.v2+json", EmbeddedFormat.JSON) is EmbeddedFormat.BINARY
    assert records_format("*/*", EmbeddedFormat.AVRO) is EmbeddedFormat.AVRO


def test_a_produce_body_is_checked_record_by_record() -> None:
    request = produce_request({"records": [{"value": 1}, {"key": "k", "value": 2, "partition": 1}]}, None, 3)
    assert request.records[1] == ("k", 2, 1)
    assert request.records[0][:2] == (None, 1) and request.records[0][2] in range(3)


def test_keyless_records_share_a_partition_drawn_for_the_request_and_keyed_ones_are_hashed_later() -> None:
    body = {"records": [{"value": 1}, {"key": "k", "value": 2}, {"value": 3}, {"value": 4, "partition": 2}]}
    drawn = {produce_request(body, None, 3).records[0][2] for _ in range(60)}
    assert drawn == {0, 1, 2}
    for _ in range(20):
        first, keyed, third, placed = produce_request(body, None, 3).records
        assert third[2] == first[2] and keyed[2] == -1 and placed[2] == 2
    assert code_of(lambda: produce_request({"records": [{"value": 1, "partition": 3}]}, None, 3)) == 40402
    assert code_of(lambda: produce_request({"records": "x"}, None, 1)) == 422
    assert code_of(lambda: produce_request([], None, 1)) == 422
    assert code_of(lambda: produce_request({"records": [], "value_schema": "s", "value_schema_id": 1}, None, 1)) == 422


def test_plain_values_are_encoded_or_refused_with_their_place_in_the_batch() -> None:
    assert encode_plain(EmbeddedFormat.JSON, {"a": 1}, "records[0].value") == b'{"a":1}'
    assert encode_plain(EmbeddedFormat.BINARY, None, "records[0].key") is None
    with pytest.raises(RestProxyError, match=r"records\[2\]\.value is not valid base64"):
        encode_plain(EmbeddedFormat.BINARY, "***", "records[2].value")


def test_consumer_configs_follow_confluents_rules() -> None:
    config = InstanceConfig.from_body({"name": "c1", "format": "AVRO", "auto.offset.reset": "earliest"})
    assert (config.name, config.format, config.auto_offset_reset) == ("c1", EmbeddedFormat.AVRO, "earliest")
    assert InstanceConfig.from_body(None).format is EmbeddedFormat.BINARY
    for bad in ({"format": "xml"}, {"auto.offset.reset": "sometime"}, {"auto.commit.enable": "maybe"}, []):
        assert code_of(lambda bad=bad: InstanceConfig.from_body(bad)) == Errors.INVALID_CONSUMER_CONFIG.error_code
