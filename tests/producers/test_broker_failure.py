"""No event is lost when one of three brokers dies while the simulation is writing.

A private three-broker platform (own ports and data folder, beside the session's platform) runs the
simulation; mid-run the broker leading the turnstile topic is killed. Topics with three replicas and
``min.insync.replicas=2``, plus the idempotent ``acks=all`` producer, must make every event the
simulation counted as produced readable exactly once: produced = consumed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient

from stack.settings import PROJECT_ROOT

pytestmark = pytest.mark.platform  # starts a private platform of its own

KAFKA_PORT = 19392
PRIVATE_ENV = {
    "KAFKA_BOOTSTRAP_SERVERS": f"localhost:{KAFKA_PORT},localhost:{KAFKA_PORT + 1},localhost:{KAFKA_PORT + 2}",
    "KAFKA_CONNECT_URL": "http://localhost:18383",
    "POSTGRES_URL": "postgresql://cta_admin:chicago@localhost:15632/cta",
    "SCHEMA_REGISTRY_URL": "http://localhost:18381",
    "REST_PROXY_URL": "http://localhost:18382",
    "KSQL_URL": "http://localhost:18388",
}
WRITTEN = re.compile(r"^org\.chicago\.cta\.(station\.arrivals\..+|turnstile\.v1)$")
SUMMARY = re.compile(r"Produced ([\d,]+) events .* ([\d,]+) failed, ([\d,]+) undelivered")


@pytest.fixture(scope="module")
def three_brokers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    data_dir = tmp_path_factory.mktemp("producers-3-brokers")
    env = {**os.environ, **PRIVATE_ENV, "STACK_DATA_DIR": str(data_dir)}

    def stack(*args: str, check: bool = True) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "stack", *args],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"stack {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    stack("up", "--brokers", "3")
    try:
        yield env, data_dir
    finally:
        stack("down", check=False)


def _leader_pid(env: dict[str, str], data_dir: Path) -> int:
    admin = AdminClient({"bootstrap.servers": env["KAFKA_BOOTSTRAP_SERVERS"]})
    topic = admin.list_topics("org.chicago.cta.turnstile.v1", timeout=10).topics["org.chicago.cta.turnstile.v1"]
    leader = topic.partitions[0].leader
    services = json.loads((data_dir / "services.json").read_text())["services"]
    return services[f"kafka-{leader}"]["pid"]


def _count_records(bootstrap: str) -> int:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-no-loss-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe(["^org\\.chicago\\.cta\\.(station\\.arrivals\\..+|turnstile\\.v1)$"])
    count, quiet_since, deadline = 0, time.monotonic(), time.monotonic() + 300
    try:
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 10:
            for message in consumer.consume(10_000, 1.0):
                assert message.error() is None, message.error()
                assert WRITTEN.match(message.topic())
                count += 1
                quiet_since = time.monotonic()
    finally:
        consumer.close()
    return count


def test_killing_a_broker_mid_run_loses_no_event(three_brokers: tuple[dict[str, str], Path]) -> None:
    env, data_dir = three_brokers
    simulation = subprocess.Popen(
        [
            sys.executable,
            "simulation.py",
            "--sleep",
            "0.1",
            "--time-step",
            "1",
            "--duration",
            "40",
            "--seed",
            "9",
            "--no-connector",
        ],
        cwd=PROJECT_ROOT / "producers",
        env={**env, "PYTHONUNBUFFERED": "1"},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert simulation.stderr is not None
    log = []
    for line in simulation.stderr:
        log.append(line)
        if "Simulating from" in line:
            break
    assert "3 broker(s)" in "".join(log), "".join(log)
    time.sleep(10)
    os.kill(_leader_pid(env, data_dir), signal.SIGKILL)
    log.extend(simulation.stderr)
    assert simulation.wait(120) == 0, "".join(log[-30:])
    found = SUMMARY.search(log[-1])
    assert found is not None, "".join(log[-30:])
    produced, failed, undelivered = (int(group.replace(",", "")) for group in found.groups())
    assert (failed, undelivered) == (0, 0)
    assert produced > 10_000
    assert _count_records(env["KAFKA_BOOTSTRAP_SERVERS"]) == produced
