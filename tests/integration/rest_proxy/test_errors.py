"""Every refusal carries Confluent's status and error code, and a refused batch writes nothing."""

from __future__ import annotations

import base64
import uuid

import requests
from confluent_kafka import Consumer, TopicPartition

from tests.support.kafka import group_name
from tests.support.reading import read_count
from tests.support.rest import AVRO, BINARY, JSON, V2, WEATHER_SCHEMA, assert_error, create_consumer, post, subscribe


def test_unknown_topic_is_40401(http: requests.Session, rest_url: str) -> None:
    missing = f"missing-{uuid.uuid4().hex}"
    assert_error(http.get(f"{rest_url}/topics/{missing}"), 404, 40401)
    assert_error(http.get(f"{rest_url}/topics/{missing}/partitions"), 404, 40401)


def test_producing_to_a_name_kafka_cannot_create_is_40401(http: requests.Session, rest_url: str) -> None:
    for illegal in ("no spaces allowed", "x" * 250, "bad*chars"):
        url = f"{rest_url}/topics/{requests.utils.quote(illegal, safe='')}"
        assert_error(post(http, url, JSON, {"records": [{"value": 1}]}), 404, 40401)


def test_unknown_partition_is_40402(http: requests.Session, rest_url: str, topic: str) -> None:
    assert_error(http.get(f"{rest_url}/topics/{topic}/partitions/7"), 404, 40402)
    assert_error(post(http, f"{rest_url}/topics/{topic}/partitions/7", JSON, {"records": [{"value": 1}]}), 404, 40402)
    assert_error(
        post(http, f"{rest_url}/topics/{topic}", JSON, {"records": [{"value": 1, "partition": 3}]}), 404, 40402
    )


def test_unknown_consumer_instance_is_40403(http: requests.Session, rest_url: str) -> None:
    base = f"{rest_url}/consumers/nobody/instances/nothing"
    assert_error(http.get(f"{base}/records", headers={"Accept": BINARY}), 404, 40403)
    assert_error(http.get(f"{base}/subscription"), 404, 40403)
    assert_error(post(http, f"{base}/subscription", V2, {"topics": ["x"]}), 404, 40403)
    assert_error(post(http, f"{base}/offsets", V2, ""), 404, 40403)
    assert_error(http.delete(base), 404, 40403)


def test_avro_keys_without_a_key_schema_are_42201(http: requests.Session, rest_url: str, topic: str) -> None:
    body = {"value_schema": WEATHER_SCHEMA, "records": [{"key": 1, "value": {"temperature": 1, "status": "sunny"}}]}
    assert_error(post(http, f"{rest_url}/topics/{topic}", AVRO, body), 422, 42201)


def test_avro_values_without_a_value_schema_are_42202(http: requests.Session, rest_url: str, topic: str) -> None:
    assert_error(post(http, f"{rest_url}/topics/{topic}", AVRO, {"records": [{"value": {"a": 1}}]}), 422, 42202)


def test_a_record_that_does_not_match_its_schema_is_42203(http: requests.Session, rest_url: str, topic: str) -> None:
    for value in ({"temperature": "hot", "status": "sunny"}, {"status": "sunny"}, {"temperature": 1, "status": "rain"}):
        body = {"value_schema": WEATHER_SCHEMA, "records": [{"value": value}]}
        assert_error(post(http, f"{rest_url}/topics/{topic}", AVRO, body), 422, 42203)


def test_an_invalid_schema_is_42205(http: requests.Session, rest_url: str, topic: str) -> None:
    for schema in ("not json", '{"type": "record", "name": "x"}', '{"type": "nosuchtype"}'):
        body = {"value_schema": schema, "records": [{"value": 1}]}
        assert_error(post(http, f"{rest_url}/topics/{topic}", AVRO, body), 422, 42205)


def test_an_unknown_schema_id_is_42207(http: requests.Session, rest_url: str, topic: str) -> None:
    body = {"value_schema_id": 987654321, "records": [{"value": 1}]}
    assert_error(post(http, f"{rest_url}/topics/{topic}", AVRO, body), 422, 42207)


def test_a_content_type_without_embedded_format_is_415(http: requests.Session, rest_url: str, topic: str) -> None:
    for content_type in ("application/json", V2, "text/plain", "application/vnd.kafka.protobuf.v2+json"):
        assert_error(post(http, f"{rest_url}/topics/{topic}", content_type, {"records": []}), 415, 415)
    assert_error(post(http, f"{rest_url}/consumers/{group_name()}", "text/plain", {}), 415, 415)


def test_malformed_bodies_are_400_or_422(http: requests.Session, rest_url: str, topic: str) -> None:
    url = f"{rest_url}/topics/{topic}"
    assert_error(post(http, url, JSON, "{not json"), 400, 400)
    assert_error(post(http, url, JSON, {"values": []}), 422, 422)
    assert_error(post(http, url, JSON, {"records": [1]}), 422, 422)
    assert_error(post(http, url, BINARY, {"records": [{"value": "***"}]}), 422, 422)
    assert_error(post(http, url, BINARY, {"records": [{"value": 5}]}), 422, 422)


def test_a_batch_with_one_bad_record_writes_nothing(
    http: requests.Session, rest_url: str, kafka_bootstrap: str, topic: str
) -> None:
    good = {"temperature": 1, "status": "sunny"}
    body = {"value_schema": WEATHER_SCHEMA, "records": [{"value": good, "partition": 0}] * 5 + [{"value": {}}]}
    assert_error(post(http, f"{rest_url}/topics/{topic}", AVRO, body), 422, 42203)
    binary = {"records": [{"value": "aGk=", "partition": 0}, {"value": "not base64!", "partition": 0}]}
    assert_error(post(http, f"{rest_url}/topics/{topic}", BINARY, binary), 422, 422)

    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": "unused"})
    try:
        assert consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10) == (0, 0)
    finally:
        consumer.close()


def test_consumer_errors_follow_confluent(http: requests.Session, rest_url: str, topic: str) -> None:
    group = group_name()
    base = create_consumer(http, rest_url, group, name="only", format="json")
    assert_error(post(http, f"{rest_url}/consumers/{group}", V2, {"name": "only"}), 409, 40902)
    assert_error(post(http, f"{rest_url}/consumers/{group}", V2, {"format": "xml"}), 422, 42204)
    assert_error(post(http, f"{rest_url}/consumers/{group}", V2, {"auto.offset.reset": "sometime"}), 422, 42204)
    assert_error(post(http, f"{rest_url}/consumers/{group}", V2, {"auto.commit.enable": "maybe"}), 422, 42204)
    assert_error(http.get(f"{base}/records", headers={"Accept": JSON}), 409, 40903)
    subscribe(http, base, topic)
    assert_error(http.get(f"{base}/records", headers={"Accept": BINARY}), 406, 40601)
    assert_error(http.get(f"{base}/records", headers={"Accept": AVRO}), 406, 40601)
    assert_error(post(http, f"{base}/subscription", V2, {"topics": [topic], "topic_pattern": "x.*"}), 409, 40903)
    assert_error(http.get(f"{base}/offsets", headers={"Content-Type": V2}), 404, 40402)
    assert http.delete(base).status_code == 204


def test_unknown_routes_and_methods_answer_in_confluent_error_form(http: requests.Session, rest_url: str) -> None:
    assert_error(http.get(f"{rest_url}/no/such/route"), 404, 404)
    assert_error(http.put(f"{rest_url}/topics"), 405, 405)


def test_a_record_kafka_refuses_fails_alone_with_50002(
    http: requests.Session, rest_url: str, kafka_bootstrap: str, topic: str
) -> None:
    # A value over the producer's message.max.bytes (1,000,000) is refused by the client before any
    # broker sees it; as in Confluent's proxy the request still succeeds and that record carries the
    # non-retriable Kafka error, while its neighbours are written.
    too_big = base64.b64encode(b"x" * 1_100_000).decode()
    body = {"records": [{"value": "AA==", "partition": 1}, {"value": too_big}, {"value": "AQ==", "partition": 1}]}
    response = post(http, f"{rest_url}/topics/{topic}", BINARY, body)

    assert response.status_code == 200, response.text[:300]
    first, refused, last = response.json()["offsets"]
    assert (refused["partition"], refused["offset"], refused["error_code"]) == (None, None, 50002)
    assert "too large" in refused["error"]
    assert (first["partition"], first["offset"], first["error_code"]) == (1, 0, None)
    assert (last["partition"], last["offset"], last["error_code"]) == (1, 1, None)
    written = read_count(kafka_bootstrap, [topic], 2)
    assert [(m.partition(), m.offset(), m.value()) for m in written] == [(1, 0, b"\x00"), (1, 1, b"\x01")]
