"""The KSQL server's request bodies, read into typed requests as ksqlDB's JSON mapper reads them. No platform."""

from __future__ import annotations

from typing import Any

import pytest

from stack.ksql.errors import KsqlError
from stack.ksql.requests import CloseQueryRequest, KsqlRequest, QueryStreamRequest


def refusal(read: Any, body: object) -> tuple[int, int, str]:
    with pytest.raises(KsqlError) as refused:
        read(body)
    return refused.value.status, refused.value.error_code, refused.value.message


def test_a_statements_request_takes_its_fields_as_jackson_reads_them() -> None:
    request = KsqlRequest.read(
        {"ksql": "SHOW STREAMS;", "streamsProperties": {"auto.offset.reset": "earliest"}, "commandSequenceNumber": 7}
    )
    assert request == KsqlRequest("SHOW STREAMS;", {"auto.offset.reset": "earliest"}, 7)
    assert KsqlRequest.read({}) == KsqlRequest("", {}, None)  # KsqlRequest: a missing ksql is empty text
    assert KsqlRequest.read({"ksql": None, "streamsProperties": None}) == KsqlRequest("", {}, None)
    assert KsqlRequest.read({"ksql": 5}).ksql == "5"  # a scalar where text is expected is its JSON text
    assert KsqlRequest.read({"ksql": True}).ksql == "true"
    assert KsqlRequest.read({"commandSequenceNumber": "12"}).command_sequence_number == 12
    assert KsqlRequest.read({"commandSequenceNumber": 3.9}).command_sequence_number == 3
    assert KsqlRequest.read({"ksql": "x", "unknown": 1}).ksql == "x"  # unknown fields are ignored


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (None, "No content to map due to end-of-input"),
        ([], "Cannot deserialize the request from Array value"),
        ("SHOW STREAMS;", "Cannot deserialize the request from String value"),
        ({"ksql": ["SHOW STREAMS;"]}, "Cannot deserialize value of type `java.lang.String` from Array value"),
        ({"ksql": "x", "streamsProperties": []}, "Cannot deserialize value of type `java.util.Map` from Array"),
        ({"ksql": "x", "streamsProperties": "earliest"}, "Cannot deserialize value of type `java.util.Map`"),
        ({"ksql": "x", "commandSequenceNumber": "soon"}, "Cannot deserialize value of type `java.lang.Long`"),
        ({"ksql": "x", "commandSequenceNumber": True}, "Cannot deserialize value of type `java.lang.Long`"),
        ({"ksql": "x", "commandSequenceNumber": 2**63}, "out of range of long"),
    ],
)
def test_a_body_jackson_cannot_read_is_400_40000_invalid_json(body: object, why: str) -> None:
    status, code, message = refusal(KsqlRequest.read, body)
    assert (status, code) == (400, 40000)
    assert message.startswith("Invalid JSON in request: ") and why in message


def test_a_query_request_must_hold_a_statement() -> None:
    assert KsqlRequest.read({"ksql": "SELECT * FROM t;"}).single_statement() == "SELECT * FROM t;"
    for blank in ({}, {"ksql": ""}, {"ksql": "  \n"}):
        assert refusal(lambda b: KsqlRequest.read(b).single_statement(), blank) == (
            400,
            40000,
            '"ksql" field must be populated',
        )


def test_query_stream_and_close_query_requests_require_their_field() -> None:
    assert QueryStreamRequest.read({"sql": "SELECT 1;"}) == QueryStreamRequest("SELECT 1;", {})
    assert QueryStreamRequest.read({"sql": "s", "properties": {"a": 1}}).properties == {"a": 1}
    assert refusal(QueryStreamRequest.read, {"properties": {}})[2].endswith("Missing required creator property 'sql'")
    assert CloseQueryRequest.read({"queryId": "q1"}) == CloseQueryRequest("q1")
    assert refusal(CloseQueryRequest.read, {})[:2] == (400, 40000)
