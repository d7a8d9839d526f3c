"""Helpers for the Connect tests: scratch tables, connectors and topic reads, the converter harness.

Every test creates tables, connectors and topics with names of its own (``t_<hex>``) and removes
its connectors and tables afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stack.settings import Settings
from tests.support.connect import Lab
from tests.support.converter_harness import ConverterHarness


@pytest.fixture
def registry_url(running_platform: Settings) -> str:
    return running_platform.endpoints.schema_registry_url


@pytest.fixture(scope="module")
def harness(running_platform: Settings) -> Iterator[ConverterHarness]:
    """One JVM driving converter classes as a worker does, for a whole test module."""
    harness = ConverterHarness(running_platform)
    yield harness
    harness.close()


@pytest.fixture
def lab(running_platform: Settings, bootstrap_servers: str) -> Iterator[Lab]:
    lab = Lab(running_platform, bootstrap_servers)
    yield lab
    for name in lab.connectors:
        lab.delete(name)
    for table in lab.tables:
        lab.sql(f"DROP TABLE IF EXISTS {table}")
