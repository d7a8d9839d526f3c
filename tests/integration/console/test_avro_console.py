"""``python -m stack kafka-avro-console-consumer`` / ``-producer`` against the running platform.

Records written by confluent-kafka's own AvroSerializer must print as Confluent's tool prints them
(Avro's JSON encoding, key and value separated by a tab); records our producer writes must read
back through confluent-kafka's AvroDeserializer. Bad input is reported and skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, SerializingProducer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer

from clients.endpoints import PROJECT_ROOT
from stack.settings import Settings
from tests.support.kafka import group_name, new_topic
from tests.support.reading import avro, read_count
from tests.support.rest import KEY_SCHEMA, WEATHER_SCHEMA


def run_tool(tool: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stack", tool, *args],
        cwd=PROJECT_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def produce_lines(topic: str, lines: list[str], *properties: str) -> subprocess.CompletedProcess[str]:
    """Runs the Avro console producer with ``--property`` for each of ``properties``, one record a line."""
    arguments = [argument for pair in properties for argument in ("--property", pair)]
    return run_tool("kafka-avro-console-producer", "--topic", topic, *arguments, stdin="\n".join(lines) + "\n")


def consume(topic: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Reads the topic from the beginning up to ``--max-messages``; the 60 s timeout only ends a test that fails."""
    return run_tool("kafka-avro-console-consumer", "--topic", topic, "--from-beginning", "--timeout-ms", "60000", *args)


@pytest.fixture
def topic(bootstrap_servers: str) -> str:
    return new_topic(AdminClient({"bootstrap.servers": bootstrap_servers}), "test.avro_console")


@pytest.fixture
def registry_url(running_platform: Settings) -> str:
    return running_platform.endpoints.schema_registry_url


def weather(temperature: float, note: str | None = None) -> dict[str, Any]:
    return {"temperature": temperature, "status": "sunny", "note": note}


def serializing_producer(bootstrap: str, registry_url: str) -> SerializingProducer:
    registry = SchemaRegistryClient({"url": registry_url})
    return SerializingProducer(
        {
            "bootstrap.servers": bootstrap,
            "key.serializer": AvroSerializer(registry, KEY_SCHEMA),
            "value.serializer": AvroSerializer(registry, WEATHER_SCHEMA),
        }
    )


def temperatures(output: str) -> list[float]:
    return [json.loads(line)["temperature"] for line in output.splitlines()]


def test_records_from_confluents_serializer_print_as_confluents_tool_prints_them(
    topic: str, bootstrap_servers: str, registry_url: str
) -> None:
    producer = serializing_producer(bootstrap_servers, registry_url)
    producer.produce(topic, key={"timestamp": 1}, value=weather(40.5, "windy later"))
    producer.produce(topic, key={"timestamp": 2}, value=weather(-3.25))
    assert producer.flush(30) == 0

    result = consume(topic, "--max-messages", "2", "--property", "print.key=true")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        '{"timestamp":1}\t{"temperature":40.5,"status":"sunny","note":{"string":"windy later"}}',
        '{"timestamp":2}\t{"temperature":-3.25,"status":"sunny","note":null}',
    ]
    assert "Processed a total of 2 messages" in result.stderr


def test_producer_output_reads_back_through_confluents_deserializer_and_our_consumer(
    topic: str, bootstrap_servers: str, registry_url: str
) -> None:
    lines = [
        '{"timestamp": 10}|{"temperature": 1.5, "status": "cloudy", "note": {"string": "fog"}}',
        '{"timestamp": 11}|{"temperature": 2.5, "status": "windy", "note": null}',
    ]
    produced = produce_lines(
        topic,
        lines,
        f"schema.registry.url={registry_url}",
        f"value.schema={WEATHER_SCHEMA}",
        f"key.schema={KEY_SCHEMA}",
        "parse.key=true",
        "key.separator=|",
    )
    assert produced.returncode == 0, produced.stderr

    messages = read_count(bootstrap_servers, [topic], 2, keys=avro(registry_url), values=avro(registry_url))
    assert [(m.key(), m.value()) for m in messages] == [
        ({"timestamp": 10}, {"temperature": 1.5, "status": "cloudy", "note": "fog"}),
        ({"timestamp": 11}, {"temperature": 2.5, "status": "windy", "note": None}),
    ]
    subjects = SchemaRegistryClient({"url": registry_url}).get_subjects()
    assert {f"{topic}-key", f"{topic}-value"} <= set(subjects)

    result = consume(topic, "--max-messages", "2", "--property", "print.key=true", "--property", "key.separator=|")
    assert result.stdout.splitlines() == [
        '{"timestamp":10}|{"temperature":1.5,"status":"cloudy","note":{"string":"fog"}}',
        '{"timestamp":11}|{"temperature":2.5,"status":"windy","note":null}',
    ]


def test_a_message_that_is_not_avro_is_reported_and_skipped(
    topic: str, bootstrap_servers: str, registry_url: str
) -> None:
    avro = serializing_producer(bootstrap_servers, registry_url)
    avro.produce(topic, key={"timestamp": 1}, value=weather(1.0))
    assert avro.flush(30) == 0
    plain = Producer({"bootstrap.servers": bootstrap_servers})
    plain.produce(topic, value=b'{"temperature": 2.0}')
    assert plain.flush(30) == 0
    avro.produce(topic, key={"timestamp": 3}, value=weather(3.0))
    assert avro.flush(30) == 0

    result = consume(topic, "--max-messages", "2")

    assert temperatures(result.stdout) == [1.0, 3.0]
    assert f"Skipped the record at {topic}/0@1" in result.stderr
    assert "wire format" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.returncode == 1


def test_partition_and_offset_start_where_asked(topic: str, bootstrap_servers: str, registry_url: str) -> None:
    producer = serializing_producer(bootstrap_servers, registry_url)
    for i in range(3):
        producer.produce(topic, key={"timestamp": i}, value=weather(float(i)))
    assert producer.flush(30) == 0

    result = run_tool(
        "kafka-avro-console-consumer", "--topic", topic, "--partition", "0", "--offset", "1", "--max-messages", "2"
    )

    assert result.returncode == 0, result.stderr
    assert temperatures(result.stdout) == [1.0, 2.0]


def test_an_unknown_topic_is_one_line_and_exit_code_1(running_platform: Settings) -> None:
    result = run_tool("kafka-avro-console-consumer", "--topic", "test.avro_console.no_such_topic", "--from-beginning")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: Topic test.avro_console.no_such_topic does not exist (see `python -m stack kafka-topics --list`)."
    )


def test_a_bad_schema_is_refused_before_anything_is_written(topic: str, bootstrap_servers: str) -> None:
    bad = json.dumps({"type": "record", "name": "x", "fields": [{"name": "a", "type": "no_such_type"}]})
    result = produce_lines(topic, ['{"a": 1}'], f"value.schema={bad}")
    assert result.returncode == 1
    assert result.stderr.startswith("error: The Schema Registry refused the value schema:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": group_name()})
    try:
        assert consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=30) == (0, 0)
    finally:
        consumer.close()


def test_lines_that_do_not_fit_the_schema_are_reported_and_the_rest_is_written(topic: str) -> None:
    lines = [
        '{"temperature": 1.0, "status": "sunny", "note": null}',
        "not json",
        '{"temperature": "two", "status": "sunny", "note": null}',
        '{"temperature": 4.0, "status": "windy", "note": "gusts"}',
    ]
    result = produce_lines(topic, lines, f"value.schema={WEATHER_SCHEMA}")

    assert result.returncode == 1
    assert "Skipped line 2: the value is not JSON" in result.stderr
    assert "Skipped line 3:" in result.stderr and "temperature" in result.stderr
    assert f"Wrote 2 records to {topic}; skipped 2 lines" in result.stderr
    assert temperatures(consume(topic, "--max-messages", "2").stdout) == [1.0, 4.0]
