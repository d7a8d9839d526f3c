"""The KSQL server's view of the Schema Registry: the shared client, its failures as KSQL's errors."""

from __future__ import annotations

import uuid

import pytest

from clients.registry import RegistryUnavailable
from stack.ksql.formats import RecordError, Registry
from stack.ksql.statements import StatementError
from stack.settings import Settings

NOWHERE = "http://localhost:1"
SCHEMA = {"type": "record", "name": "KsqlDataSourceSchema", "fields": [{"name": "A", "type": ["null", "int"]}]}
WIDER = {**SCHEMA, "fields": [*SCHEMA["fields"], {"name": "B", "type": ["null", "string"], "default": None}]}


@pytest.fixture
def registry(running_platform: Settings) -> Registry:
    return Registry(running_platform.endpoints.schema_registry_url)


def test_a_registered_schema_is_read_back_parsed(registry: Registry) -> None:
    subject = f"ksql-client-{uuid.uuid4().hex}-value"
    schema_id = registry.register(subject, SCHEMA)
    assert registry.parsed_schema(schema_id)["fields"][0]["name"] == "A"
    assert registry.latest_schema(subject) is not None


def test_the_latest_schema_is_asked_each_time(registry: Registry) -> None:
    """CREATE STREAM without columns reads the subject's latest schema as it is now, as ksqlDB does:
    a version registered (or a subject deleted) since an earlier CREATE counts."""
    subject = f"ksql-client-{uuid.uuid4().hex}-value"
    registry.register(subject, SCHEMA)
    assert '"B"' not in (registry.latest_schema(subject) or "")
    registry.register(subject, WIDER)
    assert '"B"' in (registry.latest_schema(subject) or "")
    registry.delete_subject(subject)
    assert registry.latest_schema(subject) is None


def test_an_unknown_schema_id_makes_the_record_unreadable(registry: Registry) -> None:
    """A refusal is the record's fault: it is skipped, not waited for."""
    with pytest.raises(RecordError, match=r"^Schema Registry: "):
        registry.parsed_schema(2**31 - 1)


def test_an_unreachable_registry_is_waited_for_by_queries_and_refuses_statements() -> None:
    nowhere = Registry(NOWHERE)
    with pytest.raises(RegistryUnavailable, match=f"^the Schema Registry at {NOWHERE} is not reachable: "):
        nowhere.parsed_schema(1)
    with pytest.raises(RegistryUnavailable):
        nowhere.register("x-value", SCHEMA)
    with pytest.raises(StatementError, match=f"^The Schema Registry at {NOWHERE} is not reachable: "):
        nowhere.latest_schema("x-value")
