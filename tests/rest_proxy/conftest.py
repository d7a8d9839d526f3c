"""Endpoints and helpers for the REST Proxy tests.

The tests assume the platform is running (the top-level conftest starts it) and find every endpoint
in the same environment variables as the application, with the same defaults.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from confluent_kafka.admin import AdminClient, NewTopic

from stack.settings import Settings

V2 = "application/vnd.kafka.v2+json"
JSON = "application/vnd.kafka.json.v2+json"
BINARY = "application/vnd.kafka.binary.v2+json"
AVRO = "application/vnd.kafka.avro.v2+json"


@pytest.fixture(scope="session")
def rest_url(running_platform: Settings) -> str:
    return os.environ.get("REST_PROXY_URL", "http://localhost:8082").rstrip("/")


@pytest.fixture(scope="session")
def kafka_bootstrap(bootstrap_servers: str) -> str:
    return bootstrap_servers


@pytest.fixture(scope="session")
def registry_url(running_platform: Settings) -> str:
    return os.environ.get("SCHEMA_REGISTRY_URL", "http://localhost:8081").rstrip("/")


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="session")
def admin(kafka_bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": kafka_bootstrap})


def wait_until_visible(admin: AdminClient, name: str) -> None:
    """A created topic shows up in broker metadata a moment later; tests start after that."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = admin.list_topics(timeout=10).topics.get(name)
        if found is not None and found.error is None and all(p.leader >= 0 for p in found.partitions.values()):
            return
        time.sleep(0.05)
    raise TimeoutError(f"topic {name} did not appear in the cluster metadata")


@pytest.fixture
def new_topic(admin: AdminClient) -> Any:
    """Creates a fresh topic (3 partitions unless told otherwise) and returns its name."""

    def create(partitions: int = 3) -> str:
        name = f"test.rest_proxy.{uuid.uuid4().hex[:10]}"
        admin.create_topics([NewTopic(name, partitions, 1)])[name].result(30)
        wait_until_visible(admin, name)
        return name

    return create


@pytest.fixture
def topic(new_topic: Any) -> str:
    return new_topic()
