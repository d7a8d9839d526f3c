"""`python -m stack up/down/status` on a second, private platform (own ports, own data folder).

Running beside the session's platform keeps these tests independent of it, and lets them check
exactly which processes and ports a platform owns.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg2
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from clients.endpoints import PROJECT_ROOT, port_of
from clients.kafka import wait_until_usable
from stack.platform.kafka import INTERNAL_PARTITIONS
from tests.support.processes import private_env, run_stack
from tests.support.reading import read_to_end


class PrivateStack:
    """A platform of the test module's own, on free ports (room for three brokers), with its own data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = {**os.environ, **private_env(data_dir, brokers=3)}
        self.kafka_port = port_of(self.env["KAFKA_BOOTSTRAP_SERVERS"])
        self.postgres_port = port_of(self.env["POSTGRES_URL"])

    def bootstrap(self, brokers: int = 1) -> str:
        return ",".join(f"localhost:{self.kafka_port + n}" for n in range(brokers))

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_stack(self.env, *args, check=check)

    def recorded(self) -> dict[str, dict]:
        state = self.data_dir / "services.json"
        return json.loads(state.read_text())["services"] if state.exists() else {}

    def ports(self, brokers: int) -> list[int]:
        kafka = [self.kafka_port + n for n in range(brokers)] + [self.kafka_port + 1000 + n for n in range(brokers)]
        services = ("KAFKA_CONNECT_URL", "POSTGRES_URL", "SCHEMA_REGISTRY_URL", "REST_PROXY_URL", "KSQL_URL")
        return [*kafka, *(port_of(self.env[name]) for name in services)]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateStack]:
    stack = PrivateStack(tmp_path_factory.mktemp("private-stack"))
    yield stack
    stack.run("down", check=False)


def test_busy_port_gives_one_clear_line_and_starts_nothing(private: PrivateStack) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", private.kafka_port))
        squatter.listen()
        result = private.run("up", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: Port {private.kafka_port} is already in use by another program, so Kafka broker 1 cannot start: "
        f"stop that program (see `ss -ltnp 'sport = :{private.kafka_port}'`) and run `python -m stack up` again."
    ]
    assert not _listening(private.postgres_port)
    assert private.recorded() == {}


def test_up_twice_is_harmless(private: PrivateStack) -> None:
    private.run("up")
    first = {name: entry["pid"] for name, entry in private.recorded().items()}
    second = private.run("up")
    assert {name: entry["pid"] for name, entry in private.recorded().items()} == first
    assert "Kafka broker 1 is already running" in second.stdout
    status = private.run("status").stdout
    assert status.count("healthy") == len(first), status


def test_up_right_after_postgres_was_killed_starts_it_again(private: PrivateStack) -> None:
    """A killed postmaster's children outlive it for a moment; PostgreSQL refused to start while they did."""
    private.run("up")
    for _ in range(3):
        os.kill(private.recorded()["postgres"]["pid"], signal.SIGKILL)
        private.run("up")
        assert "healthy" in next(line for line in private.run("status").stdout.splitlines() if "PostgreSQL" in line)


def test_kafka_data_survives_down_and_up(private: PrivateStack) -> None:
    bootstrap = f"localhost:{private.kafka_port}"
    topic = f"survivor.{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept referenced until the result arrives
    admin.create_topics([NewTopic(topic, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    producer.produce(topic, value="still here")
    assert producer.flush(30) == 0

    private.run("down")
    private.run("up")

    wait_until_usable(AdminClient({"bootstrap.servers": bootstrap}), topic)
    assert [m.value() for m in read_to_end(bootstrap, [topic], timeout=60)] == [b"still here"]


def test_a_data_folder_with_an_old_debezium_slot_starts_and_loses_the_slot(private: PrivateStack) -> None:
    # Earlier versions streamed the table with Debezium through the logical slot cta_<connector>;
    # PostgreSQL refuses to start at a lower wal_level while such a slot exists.
    url = private.env["POSTGRES_URL"]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_create_logical_replication_slot('cta_stations', 'pgoutput')")

    private.run("down")
    private.run("up")

    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_replication_slots")
        assert cur.fetchone() == (0,)


def test_down_leaves_no_process_and_frees_every_port(private: PrivateStack) -> None:
    private.run("up")
    pids = [entry["pid"] for entry in private.recorded().values()]
    assert pids
    private.run("down")
    assert [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"] == []
    assert [port for port in private.ports(1) if _listening(port)] == []
    assert "not running" in private.run("status").stdout


def test_three_brokers_form_a_replicated_cluster(private: PrivateStack) -> None:
    private.run("up", "--brokers", "3")
    bootstrap = private.bootstrap(3)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    assert sorted(admin.list_topics(timeout=10).brokers) == [1, 2, 3]

    topic = f"replicated.{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(topic, 2)])[topic].result(30)
    deadline = time.monotonic() + 30  # a new topic reaches every broker's metadata a moment later
    while not (partitions := admin.list_topics(topic, timeout=10).topics[topic].partitions):
        assert time.monotonic() < deadline, f"{topic} has no partitions in the metadata after 30 s"
        time.sleep(0.1)
    assert {len(p.replicas) for p in partitions.values()} == {3}
    broker_config = admin.describe_configs([ConfigResource(ConfigResource.Type.BROKER, "1")])
    config = next(iter(broker_config.values())).result()
    assert config["min.insync.replicas"].value == "2"
    connect_offsets = admin.list_topics("_connect-offsets", timeout=10).topics["_connect-offsets"].partitions
    assert {len(p.replicas) for p in connect_offsets.values()} == {3}
    assert len(connect_offsets) == INTERNAL_PARTITIONS  # Connect's default of 25 made each restart load and lead them

    down = private.run("down")
    assert "did not stop in time" not in down.stdout, down.stdout  # the last node waited for a quorum long gone
    assert [port for port in private.ports(3) if _listening(port)] == []


def _java_home() -> str:
    return str(Path(os.path.realpath(shutil.which("java") or "java")).parent.parent)


def test_missing_java_is_one_line_saying_what_to_install(private: PrivateStack) -> None:
    private.env["JAVA_HOME"] = str(private.data_dir / "no-such-jdk")
    try:
        result = private.run("up", check=False)
    finally:
        del private.env["JAVA_HOME"]
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: Java 17 or newer is needed: install a JDK (Debian: apt-get install openjdk-17-jdk-headless)."
    ]


def test_missing_maven_is_one_line_when_jars_must_be_fetched(private: PrivateStack, tmp_path: Path) -> None:
    env = {**private.env, "JAVA_HOME": _java_home(), "PATH": str(tmp_path), "STACK_CACHE_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "stack", "up"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: Maven (mvn) is needed once to fetch the Kafka jars and build the JDBC connector: "
        "install it (Debian: apt-get install maven)."
    ]


def test_fresh_starts_again_from_empty_data(private: PrivateStack) -> None:
    private.run("up")
    bootstrap = f"localhost:{private.kafka_port}"
    topic = f"doomed.{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1)])[topic].result(30)
    private.run("down")

    fresh = private.run("up", "--fresh")
    assert "Deleted the platform's data (--fresh)." in fresh.stdout
    assert topic not in AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics
    private.run("down")
