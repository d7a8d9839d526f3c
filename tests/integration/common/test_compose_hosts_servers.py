"""Our three servers, configured with the classic project's Docker URLs, reach Kafka and the registry.

Each runs as a private process on a free port, its ``KAFKA_BOOTSTRAP_SERVERS`` and
``SCHEMA_REGISTRY_URL`` naming compose hosts, and logs once that those names mean this machine.
The Docker URLs' ports are the platform's own (9092, 8081 in CI), as in tests/integration/connect/test_compose_hosts.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from clients.endpoints import PROJECT_ROOT, port_of
from stack.settings import Settings
from tests.support.processes import Script, free_port
from tests.support.rest import AVRO

MAPPED = "names Docker Compose hosts"


def docker_kafka(settings: Settings) -> str:
    """The classic README's Docker URL of Kafka: ``PLAINTEXT://kafka0:9092,PLAINTEXT://kafka1:9093,...``."""
    return ",".join(f"PLAINTEXT://kafka{n}:{settings.kafka_port + n}" for n in range(3))


def docker_registry(settings: Settings) -> str:
    return f"http://schema-registry:{port_of(settings.endpoints.schema_registry_url)}/"


class Server:
    """``python -m <module>`` with the given environment, its output in a log file; killed after the test."""

    def __init__(self, module: str, env: dict[str, str], log: Path) -> None:
        self.url = f"http://localhost:{free_port()}"
        self.log = log
        variable = {"stack.schema_registry": "SCHEMA_REGISTRY_URL", "stack.rest_proxy": "REST_PROXY_URL"}
        self.script = Script(PROJECT_ROOT, ["-m", module], log, {**env, variable.get(module, "KSQL_URL"): self.url})
        self.script.start().wait_answering(self.url + "/")

    def mapped_lines(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if MAPPED in line]


Start = Callable[..., Server]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    started: list[Server] = []

    def start_server(module: str, **env: str) -> Server:
        started.append(Server(module, env, tmp_path / f"{module}.log"))
        return started[-1]

    yield start_server
    for server in started:
        server.script.kill()


def test_the_schema_registry_reads_its_topic_through_kafka0(running_platform: Settings, start: Start) -> None:
    registry = start("stack.schema_registry", KAFKA_BOOTSTRAP_SERVERS=docker_kafka(running_platform))
    subject = f"test-hosts-{uuid.uuid4().hex[:8]}-value"
    response = requests.post(f"{registry.url}/subjects/{subject}/versions", json={"schema": '"string"'}, timeout=30)
    assert response.ok, response.text
    [line] = registry.mapped_lines()
    assert "KAFKA_BOOTSTRAP_SERVERS" in line and "PLAINTEXT://localhost:" in line


def test_the_rest_proxy_produces_avro_through_kafka0_and_schema_registry(
    running_platform: Settings, start: Start
) -> None:
    proxy = start(
        "stack.rest_proxy",
        KAFKA_BOOTSTRAP_SERVERS=docker_kafka(running_platform),
        SCHEMA_REGISTRY_URL=docker_registry(running_platform),
    )
    topic = f"test-hosts-{uuid.uuid4().hex[:8]}"
    body = {"value_schema": json.dumps({"type": "string"}), "records": [{"value": "through compose names"}]}
    response = requests.post(f"{proxy.url}/topics/{topic}", json=body, headers={"Content-Type": AVRO}, timeout=60)
    assert response.ok, response.text
    assert response.json()["offsets"][0].get("error_code") is None
    assert response.json()["value_schema_id"] is not None  # registered through schema-registry:<port>
    assert sorted(line.split(" names ")[0].split()[-1] for line in proxy.mapped_lines()) == [
        "KAFKA_BOOTSTRAP_SERVERS",
        "SCHEMA_REGISTRY_URL",
    ]


def test_the_ksql_server_starts_through_kafka0(running_platform: Settings, start: Start) -> None:
    ksql = start(
        "stack.ksql",
        KAFKA_BOOTSTRAP_SERVERS=docker_kafka(running_platform),
        SCHEMA_REGISTRY_URL=docker_registry(running_platform),
        KSQL_SERVICE_ID=f"test_hosts_{uuid.uuid4().hex[:8]}_",
    )
    response = requests.post(f"{ksql.url}/ksql", json={"ksql": "SHOW PROPERTIES;"}, timeout=60)
    assert response.ok, response.text
    properties = {p["name"]: p["value"] for p in response.json()[0]["properties"]}
    assert properties["ksql.schema.registry.url"].startswith("http://localhost:")
    assert len(ksql.mapped_lines()) == 2
