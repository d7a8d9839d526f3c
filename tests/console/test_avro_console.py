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
from confluent_kafka import Producer, SerializingProducer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer

from stack.settings import PROJECT_ROOT, Settings
from tests.helpers import avro_consumer, group_name, new_topic, read_all

KEY_SCHEMA = json.dumps({"type": "record", "name": "arrival_key", "fields": [{"name": "timestamp", "type": "long"}]})
VALUE_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "arrival",
        "namespace": "org.chicago.cta",
        "fields": [
            {"name": "station_id", "type": "int"},
            {"name": "train_id", "type": "string"},
            {"name": "prev_station_id", "type": ["null", "int"]},
        ],
    }
)


def run_tool(tool: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stack", tool, *args],
        cwd=PROJECT_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def consume(topic: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Reads the topic from the beginning; returns once it has been quiet for two seconds."""
    return run_tool("kafka-avro-console-consumer", "--topic", topic, "--from-beginning", "--timeout-ms", "2000", *args)


@pytest.fixture
def topic(bootstrap_servers: str) -> str:
    return new_topic(AdminClient({"bootstrap.servers": bootstrap_servers}), "test.avro_console")


@pytest.fixture
def registry_url(running_platform: Settings) -> str:
    return running_platform.endpoints.schema_registry_url


def serializing_producer(bootstrap: str, registry_url: str) -> SerializingProducer:
    registry = SchemaRegistryClient({"url": registry_url})
    return SerializingProducer(
        {
            "bootstrap.servers": bootstrap,
            "key.serializer": AvroSerializer(registry, KEY_SCHEMA),
            "value.serializer": AvroSerializer(registry, VALUE_SCHEMA),
        }
    )


def test_records_from_confluents_serializer_print_as_confluents_tool_prints_them(
    topic: str, bootstrap_servers: str, registry_url: str
) -> None:
    producer = serializing_producer(bootstrap_servers, registry_url)
    for key, station, train, previous in ((1, 40380, "BL001", 7), (2, 40390, "BL002", None)):
        value = {"station_id": station, "train_id": train, "prev_station_id": previous}
        producer.produce(topic, key={"timestamp": key}, value=value)
    assert producer.flush(30) == 0

    result = consume(topic, "--max-messages", "2", "--property", "print.key=true")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        '{"timestamp":1}\t{"station_id":40380,"train_id":"BL001","prev_station_id":{"int":7}}',
        '{"timestamp":2}\t{"station_id":40390,"train_id":"BL002","prev_station_id":null}',
    ]
    assert "Processed a total of 2 messages" in result.stderr


def test_producer_output_reads_back_through_confluents_deserializer_and_our_consumer(
    topic: str, bootstrap_servers: str, registry_url: str
) -> None:
    lines = [
        '{"timestamp": 10}|{"station_id": 1, "train_id": "RL001", "prev_station_id": {"int": 2}}',
        '{"timestamp": 11}|{"station_id": 3, "train_id": "RL002", "prev_station_id": null}',
    ]
    produced = run_tool(
        "kafka-avro-console-producer",
        "--bootstrap-server",
        bootstrap_servers,
        "--topic",
        topic,
        "--property",
        f"schema.registry.url={registry_url}",
        "--property",
        f"value.schema={VALUE_SCHEMA}",
        "--property",
        f"key.schema={KEY_SCHEMA}",
        "--property",
        "parse.key=true",
        "--property",
        "key.separator=|",
        stdin="\n".join(lines) + "\n",
    )
    assert produced.returncode == 0, produced.stderr

    messages = read_all(bootstrap_servers, topic, 2, avro_consumer(bootstrap_servers, registry_url, group_name()))
    assert [(m.key(), m.value()) for m in messages] == [
        ({"timestamp": 10}, {"station_id": 1, "train_id": "RL001", "prev_station_id": 2}),
        ({"timestamp": 11}, {"station_id": 3, "train_id": "RL002", "prev_station_id": None}),
    ]
    subjects = SchemaRegistryClient({"url": registry_url}).get_subjects()
    assert {f"{topic}-key", f"{topic}-value"} <= set(subjects)

    result = consume(topic, "--max-messages", "2", "--property", "print.key=true", "--property", "key.separator=|")
    assert result.stdout.splitlines() == [
        '{"timestamp":10}|{"station_id":1,"train_id":"RL001","prev_station_id":{"int":2}}',
        '{"timestamp":11}|{"station_id":3,"train_id":"RL002","prev_station_id":null}',
    ]


def test_a_message_that_is_not_avro_is_reported_and_skipped(
    topic: str, bootstrap_servers: str, registry_url: str
) -> None:
    avro = serializing_producer(bootstrap_servers, registry_url)
    avro.produce(topic, key={"timestamp": 1}, value={"station_id": 1, "train_id": "a", "prev_station_id": None})
    assert avro.flush(30) == 0
    plain = Producer({"bootstrap.servers": bootstrap_servers})
    plain.produce(topic, value=b'{"station_id": 2}')
    assert plain.flush(30) == 0
    avro.produce(topic, key={"timestamp": 3}, value={"station_id": 3, "train_id": "c", "prev_station_id": None})
    assert avro.flush(30) == 0

    result = consume(topic, "--max-messages", "2")

    assert [json.loads(line)["station_id"] for line in result.stdout.splitlines()] == [1, 3]
    assert f"Skipped the record at {topic}/0@1" in result.stderr
    assert "wire format" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.returncode == 1


def test_partition_and_offset_start_where_asked(topic: str, bootstrap_servers: str, registry_url: str) -> None:
    producer = serializing_producer(bootstrap_servers, registry_url)
    for i in range(3):
        producer.produce(topic, key={"timestamp": i}, value={"station_id": i, "train_id": "x", "prev_station_id": None})
    assert producer.flush(30) == 0

    result = run_tool(
        "kafka-avro-console-consumer", "--topic", topic, "--partition", "0", "--offset", "1", "--max-messages", "2"
    )

    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["station_id"] for line in result.stdout.splitlines()] == [1, 2]


def test_an_unknown_topic_is_one_line_and_exit_code_1(running_platform: Settings) -> None:
    result = run_tool("kafka-avro-console-consumer", "--topic", "test.avro_console.no_such_topic", "--from-beginning")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: Topic test.avro_console.no_such_topic does not exist (see `python -m stack kafka-topics --list`)."
    )


def test_a_bad_schema_is_refused_before_anything_is_written(topic: str, bootstrap_servers: str) -> None:
    result = run_tool(
        "kafka-avro-console-producer",
        "--topic",
        topic,
        "--property",
        'value.schema={"type": "record", "name": "x", "fields": [{"name": "a", "type": "no_such_type"}]}',
        stdin='{"a": 1}\n',
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: The Schema Registry refused the value schema:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert consume(topic).stdout == ""


def test_lines_that_do_not_fit_the_schema_are_reported_and_the_rest_is_written(
    topic: str, bootstrap_servers: str, registry_url: str
) -> None:
    lines = [
        '{"station_id": 1, "train_id": "a", "prev_station_id": null}',
        "not json",
        '{"station_id": "two", "train_id": "b", "prev_station_id": null}',
        '{"station_id": 4, "train_id": "d", "prev_station_id": 5}',
    ]
    result = run_tool(
        "kafka-avro-console-producer",
        "--topic",
        topic,
        "--property",
        f"value.schema={VALUE_SCHEMA}",
        stdin="\n".join(lines) + "\n",
    )

    assert result.returncode == 1
    assert "Skipped line 2: the value is not JSON" in result.stderr
    assert "Skipped line 3:" in result.stderr and "station_id" in result.stderr
    assert f"Wrote 2 records to {topic}; skipped 2 lines" in result.stderr
    printed: list[Any] = [json.loads(line) for line in consume(topic, "--max-messages", "2").stdout.splitlines()]
    assert [record["station_id"] for record in printed] == [1, 4]
