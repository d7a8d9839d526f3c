"""Endpoints and clients for the Schema Registry tests.

Integration tests talk to the registry and Kafka of the session's platform, which the top-level
conftest starts. Every test uses subjects of its own, so tests never see each other's state.
"""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from stack.settings import Settings
from tests.support.registry import Api


@pytest.fixture(scope="session")
def sr_url(running_platform: Settings) -> str:
    """The registry of the session's platform, which `up` has already seen healthy."""
    return running_platform.endpoints.schema_registry_url


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
