"""Endpoints and helpers for the REST Proxy tests.

Every endpoint comes from the session's platform (the top-level conftest starts it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from confluent_kafka.admin import AdminClient

from stack.settings import Settings
from tests.support import kafka as helpers


@pytest.fixture(scope="session")
def rest_url(running_platform: Settings) -> str:
    return running_platform.endpoints.rest_proxy_url


@pytest.fixture(scope="session")
def kafka_bootstrap(bootstrap_servers: str) -> str:
    return bootstrap_servers


@pytest.fixture(scope="session")
def registry_url(running_platform: Settings) -> str:
    return running_platform.endpoints.schema_registry_url


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="session")
def admin(kafka_bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": kafka_bootstrap})


@pytest.fixture
def new_topic(admin: AdminClient) -> Any:
    """Creates a fresh topic (3 partitions unless told otherwise) and returns its name."""

    def create(partitions: int = 3) -> str:
        return helpers.new_topic(admin, "test.rest_proxy", partitions)

    return create


@pytest.fixture
def topic(new_topic: Any) -> str:
    return new_topic()
