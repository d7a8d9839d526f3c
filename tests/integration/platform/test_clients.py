"""Real clients against the running platform: the proof that the chosen Kafka version fits them all."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

import psycopg2
import requests
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from clients.endpoints import PROJECT_ROOT
from tests.support.reading import read_count


def _new_topic(bootstrap: str) -> str:
    name = f"test.platform.{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept referenced until the result arrives
    admin.create_topics([NewTopic(name, 3)])[name].result(30)
    return name


def test_confluent_kafka_round_trip_is_idempotent_and_complete(bootstrap_servers: str) -> None:
    topic = _new_topic(bootstrap_servers)
    producer = Producer({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True, "acks": "all"})
    failures: list[str] = []
    for i in range(500):
        producer.produce(
            topic,
            key=str(i % 7),
            value=f"message {i}",
            on_delivery=lambda err, _msg: failures.append(str(err)) if err else None,
        )
    assert producer.flush(30) == 0
    assert failures == []

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"g-{topic}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])  # a group member of its own, that commits what it read
    try:
        messages = read_count(bootstrap_servers, [topic], 500, consumer=consumer)
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    assert sorted(m.value().decode() for m in messages) == sorted(f"message {i}" for i in range(500))


def test_aiokafka_as_used_by_faust_round_trips(bootstrap_servers: str) -> None:
    topic = _new_topic(bootstrap_servers)

    async def round_trip() -> list[bytes]:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for i in range(20):
                await producer.send_and_wait(topic, f"aio {i}".encode(), key=b"k")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap_servers,
            group_id=f"g-{topic}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            values = []
            deadline = asyncio.get_running_loop().time() + 120
            while len(values) < 20:
                assert asyncio.get_running_loop().time() < deadline, f"aiokafka received {len(values)} of 20 in 120 s"
                batch = await consumer.getmany(timeout_ms=1000)
                values += [m.value for messages in batch.values() for m in messages]
            await consumer.commit()
            return values
        finally:
            await consumer.stop()

    assert asyncio.run(round_trip()) == [f"aio {i}".encode() for i in range(20)]


def test_connect_offers_the_jdbc_source_connector_under_both_names(running_platform) -> None:
    plugins = requests.get(f"http://localhost:{running_platform.connect_port}/connector-plugins", timeout=10).json()
    classes = {plugin["class"] for plugin in plugins}
    assert {
        "io.confluent.connect.jdbc.JdbcSourceConnector",
        "org.chicago.cta.connect.jdbc.JdbcSourceConnector",
    } <= classes


def test_postgres_holds_all_300_stops(running_platform) -> None:
    s = running_platform
    with (
        psycopg2.connect(
            host="localhost",
            port=s.postgres_port,
            user=s.postgres_user,
            password=s.postgres_password,
            dbname=s.postgres_db,
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("SELECT count(*), count(DISTINCT station_id) FROM stations")
        assert cur.fetchone() == (300, 143)


def test_kafka_cli_tools_run_through_the_stack(bootstrap_servers: str) -> None:
    topic = _new_topic(bootstrap_servers)
    listed = subprocess.run(
        [sys.executable, "-m", "stack", "kafka-topics", "--list"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert topic in listed.stdout.split()

    producer = Producer({"bootstrap.servers": bootstrap_servers})
    producer.produce(topic, value="seen by the console consumer")
    producer.flush(30)
    consumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "stack",
            "kafka-console-consumer",
            "--topic",
            topic,
            "--from-beginning",
            "--max-messages",
            "1",
            "--timeout-ms",
            "60000",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert consumed.stdout.strip() == "seen by the console consumer"
