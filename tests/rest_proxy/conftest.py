"""Endpoints and helpers for the REST Proxy tests.

The tests assume the platform is running (the top-level conftest starts it) and find every endpoint
in the same environment variables as the application, with the same defaults.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from confluent_kafka.admin import AdminClient

from stack.settings import Settings
from tests import helpers


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


@pytest.fixture
def new_topic(admin: AdminClient) -> Any:
    """Creates a fresh topic (3 partitions unless told otherwise) and returns its name."""

    def create(partitions: int = 3) -> str:
        return helpers.new_topic(admin, "test.rest_proxy", partitions)

    return create


@pytest.fixture
def topic(new_topic: Any) -> str:
    return new_topic()
