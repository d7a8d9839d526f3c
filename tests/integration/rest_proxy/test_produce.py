"""Producing through the REST Proxy, proven by reading the records back with real Kafka clients."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from typing import Any

import requests
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient

from clients.endpoints import PROJECT_ROOT
from tests.support.reading import avro, read_count
from tests.support.rest import AVRO, BINARY, JSON, KEY_SCHEMA, WEATHER_SCHEMA, produce


def console_consumer_command(bootstrap: str, topic: str, max_messages: int) -> list[str]:
    """Kafka's console consumer reading a topic from the start (one place, so it is easy to swap)."""
    return [
        sys.executable,
        "-m",
        "stack",
        "kafka-console-consumer",
        "--bootstrap-server",
        bootstrap,
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        str(max_messages),
        "--timeout-ms",
        "60000",
        "--property",
        "print.key=true",
        "--property",
        "key.separator=|",
    ]


def test_json_records_are_written_as_compact_json_and_read_back_by_a_kafka_consumer(
    http: requests.Session, rest_url: str, kafka_bootstrap: str, topic: str
) -> None:
    values = [{"station": "Clark/Lake", "count": i, "tags": ["a", None]} for i in range(5)]
    body = {"records": [{"key": f"k{i}", "value": v} for i, v in enumerate(values)]}
    answer = produce(http, f"{rest_url}/topics/{topic}", JSON, body)

    assert answer["key_schema_id"] is None and answer["value_schema_id"] is None
    assert len(answer["offsets"]) == 5
    assert all(o["error_code"] is None and o["offset"] >= 0 for o in answer["offsets"])
    messages = read_count(kafka_bootstrap, [topic], 5)
    by_key = {json.loads(m.key()): json.loads(m.value()) for m in messages}
    assert by_key == {f"k{i}": v for i, v in enumerate(values)}
    located = {(m.partition(), m.offset()) for m in messages}
    assert located == {(o["partition"], o["offset"]) for o in answer["offsets"]}


def test_binary_records_keep_their_exact_bytes(
    http: requests.Session, rest_url: str, kafka_bootstrap: str, topic: str
) -> None:
    payloads = [bytes(range(256)), b"", b"\x00\xff"]
    body = {"records": [{"value": base64.b64encode(p).decode()} for p in payloads] + [{"key": "a2V5"}]}
    answer = produce(http, f"{rest_url}/topics/{topic}", BINARY, body)

    assert len(answer["offsets"]) == 4
    messages = read_count(kafka_bootstrap, [topic], 4)
    assert sorted((m.value() or b"") for m in messages if m.key() is None) == sorted(payloads)
    keyed = [m for m in messages if m.key() is not None]
    assert [(m.key(), m.value()) for m in keyed] == [(b"key", None)]


def test_records_produced_to_a_partition_all_land_in_it(
    http: requests.Session, rest_url: str, kafka_bootstrap: str, topic: str
) -> None:
    body = {"records": [{"key": "same", "value": i} for i in range(10)]}
    answer = produce(http, f"{rest_url}/topics/{topic}/partitions/2", JSON, body)

    assert {o["partition"] for o in answer["offsets"]} == {2}
    assert [o["offset"] for o in answer["offsets"]] == list(range(10))
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": "unused"})
    try:
        assert consumer.get_watermark_offsets(TopicPartition(topic, 2), timeout=10) == (0, 10)
    finally:
        consumer.close()


def test_records_naming_their_partitions_land_there_in_request_order(
    http: requests.Session, rest_url: str, kafka_bootstrap: str, topic: str
) -> None:
    # The proxy hands a request's records to librdkafka one partition at a time; each answer entry
    # must still be its own record's, and each partition keep the request's order.
    targets = [2, 0, 2, None, 1, 0, 2, None, 1, 2]
    body = {"records": [{"value": i} if p is None else {"value": i, "partition": p} for i, p in enumerate(targets)]}
    answer = produce(http, f"{rest_url}/topics/{topic}", JSON, body)

    where = [(o["partition"], o["offset"]) for o in answer["offsets"]]
    assert all(p == t for (p, _), t in zip(where, targets, strict=True) if t is not None)
    for partition in {p for p, _ in where}:
        offsets = [o for p, o in where if p == partition]
        assert offsets == sorted(offsets)
    written = {(m.partition(), m.offset()): json.loads(m.value()) for m in read_count(kafka_bootstrap, [topic], 10)}
    assert {place: i for i, place in enumerate(where)} == written


def test_records_with_the_same_key_go_to_the_same_partition(http: requests.Session, rest_url: str, topic: str) -> None:
    body = {"records": [{"key": f"station-{i % 4}", "value": i} for i in range(40)]}
    answer = produce(http, f"{rest_url}/topics/{topic}", JSON, body)

    partitions: dict[str, set[int]] = {}
    for record, offset in zip(body["records"], answer["offsets"], strict=True):
        partitions.setdefault(record["key"], set()).add(offset["partition"])
    assert all(len(p) == 1 for p in partitions.values())


def test_avro_records_use_confluent_wire_format_and_avro_deserializer_reads_them(
    http: requests.Session, rest_url: str, kafka_bootstrap: str, registry_url: str, topic: str
) -> None:
    body = {
        "key_schema": KEY_SCHEMA,
        "value_schema": WEATHER_SCHEMA,
        "records": [
            {"key": {"timestamp": 1700000000000}, "value": {"temperature": 21.5, "status": "sunny"}},
            {
                "key": {"timestamp": 1700000001000},
                "value": {"temperature": -3, "status": "windy", "note": {"string": "x"}},
            },
            {
                "key": {"timestamp": 1700000002000},
                "value": {"temperature": 0.0, "status": "cloudy", "note": "untagged"},
            },
        ],
    }
    answer = produce(http, f"{rest_url}/topics/{topic}", AVRO, body)

    registry = SchemaRegistryClient({"url": registry_url})
    assert registry.get_latest_version(f"{topic}-value").schema_id == answer["value_schema_id"]
    assert registry.get_latest_version(f"{topic}-key").schema_id == answer["key_schema_id"]
    messages = read_count(kafka_bootstrap, [topic], 3, keys=avro(registry_url), values=avro(registry_url))
    assert all(isinstance(m.value(), dict) and isinstance(m.key(), dict) for m in messages)
    got = sorted(
        (m.key()["timestamp"], m.value()["temperature"], m.value()["status"], m.value()["note"]) for m in messages
    )
    assert got == [
        (1700000000000, 21.5, "sunny", None),
        (1700000001000, -3.0, "windy", "x"),
        (1700000002000, 0.0, "cloudy", "untagged"),
    ]


def test_avro_records_start_with_magic_byte_and_the_returned_schema_id(
    http: requests.Session, rest_url: str, kafka_bootstrap: str, topic: str
) -> None:
    body = {"value_schema": WEATHER_SCHEMA, "records": [{"value": {"temperature": 1, "status": "sunny"}}]}
    answer = produce(http, f"{rest_url}/topics/{topic}", AVRO, body)

    (message,) = read_count(kafka_bootstrap, [topic], 1)
    assert message.value()[0] == 0
    assert int.from_bytes(message.value()[1:5], "big") == answer["value_schema_id"]


def test_a_registered_schema_can_be_named_by_its_id(
    http: requests.Session, rest_url: str, kafka_bootstrap: str, registry_url: str, topic: str
) -> None:
    first = produce(
        http,
        f"{rest_url}/topics/{topic}",
        AVRO,
        {"value_schema": WEATHER_SCHEMA, "records": [{"value": {"temperature": 1, "status": "sunny"}}]},
    )
    schema_id = first["value_schema_id"]
    second = produce(
        http,
        f"{rest_url}/topics/{topic}",
        AVRO,
        {"value_schema_id": schema_id, "records": [{"value": {"temperature": 2, "status": "cloudy"}}]},
    )

    assert second["value_schema_id"] == schema_id
    read = read_count(kafka_bootstrap, [topic], 2, values=avro(registry_url))
    temperatures = sorted(m.value()["temperature"] for m in read)
    assert temperatures == [1.0, 2.0]


def test_producing_to_a_topic_nobody_created_creates_it_as_confluent_does(
    http: requests.Session, rest_url: str, kafka_bootstrap: str
) -> None:
    # The classic project's weather producer posts to a topic it never created; Confluent's REST
    # Proxy lets the broker auto-create it (auto.create.topics.enable, true by default).
    for content_type, body in (
        (JSON, {"records": [{"value": {"n": 1}}]}),
        (AVRO, {"value_schema": WEATHER_SCHEMA, "records": [{"value": {"temperature": 1.5, "status": "sunny"}}]}),
    ):
        topic = f"test.rest_proxy.auto.{uuid.uuid4().hex[:10]}"
        answer = produce(http, f"{rest_url}/topics/{topic}", content_type, body)
        assert answer["offsets"] == [{"partition": 0, "offset": 0, "error_code": None, "error": None}]
        assert len(read_count(kafka_bootstrap, [topic], 1)) == 1


def test_whole_number_floats_are_accepted_for_avro_int_and_long(
    http: requests.Session, rest_url: str, kafka_bootstrap: str, registry_url: str, topic: str
) -> None:
    # Python code that computes a timestamp or a temperature sends 1795824000.0 or 38.0; Avro's JSON
    # decoding, and so every Confluent REST Proxy, takes them as the whole numbers they are.
    value_schema = json.dumps({"type": "record", "name": "reading", "fields": [{"name": "degrees", "type": "int"}]})
    body = {
        "key_schema": KEY_SCHEMA,
        "value_schema": value_schema,
        "records": [{"key": {"timestamp": 1795824000000.0}, "value": {"degrees": 38.0}}],
    }
    produce(http, f"{rest_url}/topics/{topic}", AVRO, body)

    (message,) = read_count(kafka_bootstrap, [topic], 1, keys=avro(registry_url), values=avro(registry_url))
    assert message.key() == {"timestamp": 1795824000000}
    assert message.value() == {"degrees": 38}

    fraction = {"value_schema": value_schema, "records": [{"value": {"degrees": 38.73}}]}
    refused = http.post(f"{rest_url}/topics/{topic}", json=fraction, headers={"Content-Type": AVRO})
    assert refused.status_code == 422 and refused.json()["error_code"] == 42203


def test_kafka_console_consumer_reads_what_the_proxy_produced(
    http: requests.Session, rest_url: str, kafka_bootstrap: str, new_topic: Any
) -> None:
    topic = new_topic(1)
    body = {"records": [{"key": f"key-{i}", "value": {"n": i}} for i in range(3)]}
    produce(http, f"{rest_url}/topics/{topic}", JSON, body)

    result = subprocess.run(
        console_consumer_command(kafka_bootstrap, topic, 3),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in result.stdout.splitlines() if "|" in line]
    assert lines == [f'"key-{i}"|{{"n":{i}}}' for i in range(3)], result.stderr[-2000:]
