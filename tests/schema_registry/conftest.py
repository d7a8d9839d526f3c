"""Endpoints and clients for the Schema Registry tests.

Integration tests talk to the registry at ``SCHEMA_REGISTRY_URL`` and Kafka at
``KAFKA_BOOTSTRAP_SERVERS`` (defaults: the platform's fixed endpoints) of the session's platform,
which the top-level conftest starts. Every test uses subjects of its own, so tests never see each other's state.
"""

from __future__ import annotations

import os
import uuid

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from stack.settings import Settings
from tests.helpers import Api


@pytest.fixture(scope="session")
def sr_url(running_platform: Settings) -> str:
    """The registry of the session's platform, which `up` has already seen healthy."""
    return os.environ.get("SCHEMA_REGISTRY_URL", "http://localhost:8081").split(",")[0].rstrip("/")


@pytest.fixture(scope="session")
def bootstrap(bootstrap_servers: str) -> str:
    return bootstrap_servers


@pytest.fixture
def client(sr_url: str) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": sr_url})


@pytest.fixture
def subject() -> str:
    return f"test-sr-{uuid.uuid4().hex[:10]}-value"


@pytest.fixture
def api(sr_url: str) -> Api:
    return Api(sr_url)
