"""A client that stops reading a push query neither fills the server's memory nor stops it serving others."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import requests
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from tests.support.ksql import KSQL_JSON, KsqlProcess, ok, suffix, turnstile_topic
from tests.support.waiting import wait_for

ROWS = 30_000
NOTE = "x" * 2_000  # 30,000 rows of 2 kB: 60 MB the query could hold for a client that reads none of it
MAX_GROWTH = 25 * 1024 * 1024
CLIENT_TIMEOUT_MS = 5_000


def rss(pid: int) -> int:
    """The process's resident memory, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def big_rows(admin: AdminClient, bootstrap: str) -> str:
    topic = turnstile_topic(admin, partitions=2)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for n in range(ROWS):
        producer.produce(topic, key=f"k{n}".encode(), value=json.dumps({"id": f"k{n}", "note": NOTE}).encode())
        if n % 1000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0
    return topic


def stalled_client(port: int, sql: str) -> socket.socket:
    """Sends a push query and then reads nothing, with a receive buffer as small as the kernel allows."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("localhost", port))
    body = json.dumps({"ksql": sql, "streamsProperties": {"auto.offset.reset": "earliest"}}).encode()
    head = (
        f"POST /query HTTP/1.1\r\nHost: localhost\r\nContent-Type: {KSQL_JSON}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    client.sendall(head.encode() + body)
    return client


def read_until_closed(client: socket.socket) -> None:
    """Reads what the server had sent until it closes the connection; raises TimeoutError if it does not."""
    client.settimeout(30)
    try:
        while client.recv(65536):
            pass
    except ConnectionResetError:
        pass


def first_rows(url: str, name: str) -> list[str]:
    response = requests.post(
        f"{url}/query",
        json={
            "ksql": f"SELECT id FROM {name} EMIT CHANGES LIMIT 3;",
            "streamsProperties": {"auto.offset.reset": "earliest"},
        },
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return [line for line in response.text.splitlines() if '"row"' in line]


def test_a_client_that_stops_reading_is_held_back_then_disconnected_and_others_are_served(
    private_servers: Callable[[int], KsqlProcess], admin: AdminClient, bootstrap_servers: str
) -> None:
    server = private_servers(0)
    server.script.env["KSQL_PUSH_CLIENT_TIMEOUT_MS"] = str(CLIENT_TIMEOUT_MS)
    server.start()
    topic = big_rows(admin, bootstrap_servers)
    name = f"BIG_{suffix()}".upper()
    ok(
        server.url,
        f"CREATE STREAM {name} (id STRING KEY, note STRING) WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON');",
    )
    assert server.script.process is not None
    pid = server.script.process.pid
    baseline = peak = rss(pid)

    stalled = stalled_client(server.port, f"SELECT * FROM {name} EMIT CHANGES;")
    try:
        # Other clients are served while the stalled one is connected.
        assert len(first_rows(server.url, name)) == 3
        assert requests.get(f"{server.url}/healthcheck", timeout=10).json()["isHealthy"]

        def disconnected() -> bool:
            nonlocal peak
            peak = max(peak, rss(pid))
            assert peak - baseline < MAX_GROWTH, f"the server grew by {(peak - baseline) >> 20} MB"
            return "its client has read nothing for 5 s" in server.script.output()

        wait_for(disconnected, "the stalled client disconnected", timeout=90)
        read_until_closed(stalled)
    finally:
        stalled.close()
    assert len(first_rows(server.url, name)) == 3  # and served after
