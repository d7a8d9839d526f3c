"""Confluent's Avro console tools on the local platform: ``python -m stack kafka-avro-console-consumer ...``.

``kafka-avro-console-consumer`` prints each record in Avro's JSON encoding (unions tagged with
their branch, as Confluent's ``AvroMessageFormatter`` prints them), the key first and a tab
between with ``--property print.key=true``. ``kafka-avro-console-producer`` reads one Avro-JSON
record per line from stdin (``key<TAB>value`` with ``parse.key=true``), registers the schemas
given as ``value.schema`` / ``key.schema`` under ``<topic>-value`` / ``<topic>-key`` and writes
Confluent's wire format. Both take the flags and ``--property`` keys of Confluent's tools that the
classic project's checks use. Schemas come from our Schema Registry (``schema.registry.url``
overrides it); the bytes are framed by :mod:`stack.common.codecs`.

Unlike Confluent's tools, a record that cannot be read or written is reported on stderr and
skipped, and the tool carries on; the exit code says whether anything was skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import time
from typing import Any, TextIO

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, KafkaException, Message, Producer
from confluent_kafka import TopicPartition as Partition

from clients.kafka import client_config, error_text, kafka_log
from clients.registry import RegistryUnavailable, SchemaRefused, SchemaRegistry, subject_of
from stack.common.codecs import AvroCodec, AvroDecoder, CodecError
from stack.common.errors import StackError
from stack.common.jsontext import dumps

CONSUMER = "kafka-avro-console-consumer"
PRODUCER = "kafka-avro-console-producer"
TOOLS = (CONSUMER, PRODUCER)
STRING_DESERIALIZER = "org.apache.kafka.common.serialization.StringDeserializer"
POLL_SECONDS = 0.5


def _parser(tool: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m stack {tool}", description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap-server", help="Kafka brokers (default: the running platform's)")
    parser.add_argument("--topic", required=True)
    parser.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="schema.registry.url, and for the consumer print.key, key.separator, print.timestamp, "
        "print.partition, print.offset, key.deserializer; for the producer value.schema, key.schema, "
        "value.schema.id, key.schema.id, parse.key, key.separator",
    )
    if tool == CONSUMER:
        parser.add_argument("--from-beginning", action="store_true", help="start at the earliest offset")
        parser.add_argument("--max-messages", type=int, help="exit after printing this many records")
        parser.add_argument("--group", help="consumer group (default: a new console-consumer-N group)")
        parser.add_argument("--partition", type=int, help="read this partition only")
        parser.add_argument("--offset", help="with --partition: earliest, latest or an offset (default latest)")
        parser.add_argument("--timeout-ms", type=int, help="exit when no record arrives for this long")
        parser.add_argument(
            "--skip-message-on-error", action="store_true", help="accepted for compatibility: always on"
        )
    return parser


def _properties(pairs: list[str]) -> dict[str, str]:
    properties = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator:
            raise StackError(f"--property {pair!r} is not KEY=VALUE.")
        properties[key.strip()] = value
    return properties


def _is_true(properties: dict[str, str], key: str) -> bool:
    return properties.get(key, "false").strip().lower() == "true"


def _registry(properties: dict[str, str], default_url: str) -> SchemaRegistry:
    return SchemaRegistry(properties.get("schema.registry.url", default_url).split(",")[0].strip().rstrip("/"))


def _report(stream: TextIO, text: str) -> None:
    print(text, file=stream, flush=True)


class RecordFormatter:
    """Renders a record as Confluent's Avro console consumer prints it."""

    def __init__(self, properties: dict[str, str], decoder: AvroDecoder) -> None:
        self.decoder = decoder
        self.print_key = _is_true(properties, "print.key")
        self.print_timestamp = _is_true(properties, "print.timestamp")
        self.print_partition = _is_true(properties, "print.partition")
        self.print_offset = _is_true(properties, "print.offset")
        self.key_separator = properties.get("key.separator", "\t")
        self.string_keys = properties.get("key.deserializer", "") == STRING_DESERIALIZER

    def format(self, message: Message) -> str:
        """The printed line; raises CodecError (or SchemaRefused for an unknown schema id) for an unreadable record."""
        parts = []
        if self.print_timestamp:
            kind, stamp = message.timestamp()
            name = {1: "CreateTime", 2: "LogAppendTime"}.get(kind, "NoTimestampType")
            parts.append(f"{name}:{stamp}\t")
        if self.print_partition:
            parts.append(f"Partition:{message.partition()}\t")
        if self.print_offset:
            parts.append(f"Offset:{message.offset()}\t")
        if self.print_key:
            parts.append(self._key(message.key()) + self.key_separator)
        parts.append(self._avro(message.value(), "value"))
        return "".join(parts)

    def _key(self, key: bytes | None) -> str:
        if key is not None and self.string_keys:
            return key.decode("utf-8", errors="replace")
        return self._avro(key, "key")

    def _avro(self, data: bytes | None, part: str) -> str:
        if data is None:
            return "null"
        try:
            return dumps(self.decoder.decode(data), compact=True)
        except CodecError as error:
            raise CodecError(f"its {part} {error}") from error


def consume(args: argparse.Namespace, bootstrap: str, registry_url: str) -> int:
    properties = _properties(args.property)
    if args.offset is not None and args.partition is None:
        raise StackError("The partition is required when offset is specified (--partition).")
    registry = _registry(properties, registry_url)
    formatter = RecordFormatter(properties, AvroDecoder(registry.schema_text))
    consumer = Consumer(
        client_config(
            bootstrap,
            **{
                "group.id": args.group or f"console-consumer-{random.randint(10000, 99999)}",
                "auto.offset.reset": "earliest" if args.from_beginning else "latest",
                # A named group keeps its place, as with Kafka's tool; a throwaway group commits nothing.
                "enable.auto.commit": args.group is not None,
            },
        )
    )
    printed = skipped = 0
    try:
        _subscribe(consumer, args)
        idle_since = time.monotonic()
        while args.max_messages is None or printed < args.max_messages:
            message = consumer.poll(POLL_SECONDS)
            if message is None:
                if args.timeout_ms is not None and (time.monotonic() - idle_since) * 1000 >= args.timeout_ms:
                    break
                continue
            idle_since = time.monotonic()
            if message.error() is not None:
                if message.error().fatal():
                    raise StackError(f"Kafka failed: {message.error().str()}")
                continue
            try:
                line = formatter.format(message)
            except (CodecError, SchemaRefused) as error:
                skipped += 1
                where = f"{message.topic()}/{message.partition()}@{message.offset()}"
                _report(sys.stderr, f"Skipped the record at {where}: {error}")
                continue
            except RegistryUnavailable as error:
                raise StackError(f"Cannot read the schemas: {error}") from error
            print(line, flush=True)
            printed += 1
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    _report(sys.stderr, f"Processed a total of {printed} messages" + (f"; skipped {skipped}" if skipped else ""))
    return 1 if skipped else 0


def _subscribe(consumer: Consumer, args: argparse.Namespace) -> None:
    """Subscribes (or assigns the one partition asked for) once the topic is known to exist."""
    try:
        found = consumer.list_topics(args.topic, timeout=10).topics.get(args.topic)
    except KafkaException as error:
        raise StackError(f"Kafka is not reachable: {error_text(error)}") from error
    if found is None or (found.error is not None and found.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART):
        raise StackError(f"Topic {args.topic} does not exist (see `python -m stack kafka-topics --list`).")
    if args.partition is None:
        consumer.subscribe([args.topic])
        return
    if args.partition not in found.partitions:
        raise StackError(f"Topic {args.topic} has no partition {args.partition} (it has {len(found.partitions)}).")
    consumer.assign([Partition(args.topic, args.partition, _start_offset(args))])


def _start_offset(args: argparse.Namespace) -> int:
    offset = args.offset or ("earliest" if args.from_beginning else "latest")
    if offset == "earliest":
        return OFFSET_BEGINNING
    if offset == "latest":
        return OFFSET_END
    if offset.isdigit():
        return int(offset)
    raise StackError(f"--offset {offset!r} must be earliest, latest or a non-negative number.")


def _codec(registry: SchemaRegistry, properties: dict[str, str], topic: str, part: str) -> AvroCodec | None:
    """The codec of ``<part>.schema`` (registered under the topic's subject) or ``<part>.schema.id``."""
    text, schema_id = properties.get(f"{part}.schema"), properties.get(f"{part}.schema.id")
    try:
        if schema_id is not None:
            return AvroCodec(registry.schema_text(int(schema_id)), int(schema_id))
        if text is not None:
            return AvroCodec(text, asyncio.run(registry.register(subject_of(topic, part == "key"), text)))
    except ValueError as error:  # CodecError included: the registry accepted a schema we cannot use
        raise StackError(f"The {part} schema cannot be used: {error}") from error
    except SchemaRefused as error:
        raise StackError(f"The Schema Registry refused the {part} schema: {error.message}") from error
    except RegistryUnavailable as error:
        raise StackError(str(error)) from error
    return None


def produce(args: argparse.Namespace, bootstrap: str, registry_url: str) -> int:
    properties = _properties(args.property)
    registry = _registry(properties, registry_url)
    parse_key = _is_true(properties, "parse.key")
    value_codec = _codec(registry, properties, args.topic, "value")
    if value_codec is None:
        raise StackError("Give the value's Avro schema: --property value.schema='{...}' (or value.schema.id=N).")
    key_codec = _codec(registry, properties, args.topic, "key") if parse_key else None
    if parse_key and key_codec is None:
        raise StackError("parse.key=true needs the key's Avro schema: --property key.schema='{...}'.")
    separator = properties.get("key.separator", "\t")

    failures: list[str] = []
    producer = Producer(client_config(bootstrap, **{"enable.idempotence": True, "acks": "all", "linger.ms": 5}))
    sent = skipped = 0
    try:
        for number, line in enumerate(sys.stdin, start=1):
            try:
                key, value = _encode(line.rstrip("\r\n"), key_codec, value_codec, separator)
            except (CodecError, ValueError) as error:
                skipped += 1
                _report(sys.stderr, f"Skipped line {number}: {error}")
                continue
            _produce(producer, args.topic, key, value, failures)
            sent += 1
    except KeyboardInterrupt:
        pass
    finally:
        undelivered = producer.flush(30)
    for failure in failures[:5]:
        _report(sys.stderr, f"Kafka did not take a record: {failure}")
    delivered = sent - len(failures) - undelivered
    skipped_text = f"; skipped {skipped} lines" if skipped else ""
    _report(sys.stderr, f"Wrote {delivered} records to {args.topic}{skipped_text}")
    return 0 if delivered == sent and not skipped else 1


def _encode(
    line: str, key_codec: AvroCodec | None, value_codec: AvroCodec, separator: str
) -> tuple[bytes | None, bytes]:
    key = None
    if key_codec is not None:
        key_text, found, line = line.partition(separator)
        if not found:
            raise ValueError(f"no key separator {separator!r} in the line (parse.key=true)")
        key = key_codec.encode(_json(key_text, "key"))
    return key, value_codec.encode(_json(line, "value"))


def _json(text: str, part: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(f"the {part} is not JSON ({error})") from error


def _produce(producer: Producer, topic: str, key: bytes | None, value: bytes, failures: list[str]) -> None:
    def on_delivery(error: KafkaError | None, _message: Message) -> None:
        if error is not None:
            failures.append(error.str())

    while True:
        try:
            producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
            producer.poll(0)
            return
        except BufferError:  # the local queue is full: let deliveries drain it
            producer.poll(0.5)


def run(tool: str, argv: list[str], bootstrap: str, registry_url: str) -> int:
    """Runs ``tool`` with Confluent's command line ``argv``; the platform's endpoints are the defaults."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stderr)
    # librdkafka repeats a refused connection many times a second; the tool says it once, in its own words.
    kafka_log.setLevel(logging.CRITICAL)
    args = _parser(tool).parse_args(argv)
    bootstrap = args.bootstrap_server or bootstrap
    return consume(args, bootstrap, registry_url) if tool == CONSUMER else produce(args, bootstrap, registry_url)
