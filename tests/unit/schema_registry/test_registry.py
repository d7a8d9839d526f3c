"""The registry's rules over an in-memory store (no platform): config, mode, versions and subject names."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from stack.schema_registry.errors import RegistryError
from stack.schema_registry.registry import SchemaRegistryService, State
from stack.schema_registry.requests import ConfigRequest, ModeRequest, RegisterRequest
from stack.schema_registry.storage import Record

T = TypeVar("T")
SCHEMA = json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]})


class MemoryStore:
    """Applies records at once, as the ``_schemas`` reader would after reading them back."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.written: list[Record] = []

    async def write(self, *records: Record) -> None:
        for record in records:
            self.written.append(record)
            self.state.apply(record)


@pytest.fixture
def registry() -> SchemaRegistryService:
    state = State()
    return SchemaRegistryService(state, MemoryStore(state))


def run(call: Awaitable[T]) -> T:
    return asyncio.run(call)  # type: ignore[arg-type]


def error_code(call: Awaitable[object]) -> int:
    with pytest.raises(RegistryError) as raised:
        run(call)
    return raised.value.code.error_code


def test_empty_config_update_is_accepted_and_keeps_the_level(registry: SchemaRegistryService) -> None:
    run(registry.set_config(ConfigRequest.read("s", {"compatibility": "FULL"})))
    assert run(registry.set_config(ConfigRequest.read("s", {}))) == {}
    assert run(registry.set_config(ConfigRequest.read(None, {}))) == {}
    assert registry.config("s", default_to_global=False)["compatibilityLevel"] == "FULL"
    assert registry.config(None, default_to_global=False)["compatibilityLevel"] == "BACKWARD"


def test_invalid_compatibility_message_shows_no_python_artefacts(registry: SchemaRegistryService) -> None:
    with pytest.raises(RegistryError) as raised:
        run(registry.set_config(ConfigRequest.read("s", {"compatibility": "SIDEWAYS\u00a0"})))
    assert raised.value.code.error_code == 42203
    assert "None" not in raised.value.message and "\\x" not in raised.value.message


def test_empty_mode_update_clears_the_mode(registry: SchemaRegistryService) -> None:
    run(registry.set_mode(ModeRequest.read("s", {"mode": "READONLY"}), force=False))
    run(registry.set_mode(ModeRequest.read(None, {"mode": "READONLY"}), force=False))
    assert run(registry.set_mode(ModeRequest.read("s", {}), force=False)) == {}
    assert run(registry.set_mode(ModeRequest.read(None, {"mode": None}), force=False)) == {}
    assert "s" not in registry.state.modes and None not in registry.state.modes
    assert registry.mode(None, default_to_global=False) == {"mode": "READWRITE"}


def test_deleting_a_subject_setting_that_does_not_exist_is_40401(registry: SchemaRegistryService) -> None:
    run(registry.register(RegisterRequest.read("s", {"schema": SCHEMA}), normalize=False))
    assert error_code(registry.delete_config("s")) == 40401
    assert error_code(registry.delete_mode("s")) == 40401
    run(registry.set_config(ConfigRequest.read("s", {"compatibility": "NONE"})))
    assert run(registry.delete_config("s")) == {"compatibilityLevel": "NONE"}
    assert error_code(registry.delete_config("s")) == 40401


def test_recursive_global_mode_delete_also_removes_subject_modes(registry: SchemaRegistryService) -> None:
    run(registry.set_mode(ModeRequest.read(None, {"mode": "READONLY"}), force=False))
    run(registry.set_mode(ModeRequest.read("a", {"mode": "READONLY"}), force=False))
    run(registry.set_mode(ModeRequest.read("b", {"mode": "IMPORT"}), force=True))
    assert run(registry.delete_mode(None)) == {"mode": "READONLY"}
    assert set(registry.state.modes) == {"a", "b"}
    run(registry.set_mode(ModeRequest.read(None, {"mode": "READONLY"}), force=False))
    assert run(registry.delete_mode(None, recursive=True)) == {"mode": "READONLY"}
    assert registry.state.modes == {}


@pytest.mark.parametrize("version", ["LATEST", " latest", "Latest ", "-1", " -1\t"])
def test_latest_is_read_like_java_reads_it(registry: SchemaRegistryService, version: str) -> None:
    run(registry.register(RegisterRequest.read("s", {"schema": SCHEMA}), normalize=False))
    assert registry.version("s", version, deleted=False)["version"] == 1


@pytest.mark.parametrize("version", ["+1", " 1", "1 ", "01", "\u0661"])
def test_numeric_versions_are_read_like_integer_parse_int(registry: SchemaRegistryService, version: str) -> None:
    run(registry.register(RegisterRequest.read("s", {"schema": SCHEMA}), normalize=False))
    assert registry.version("s", version, deleted=False)["version"] == 1


@pytest.mark.parametrize("version", ["0", "+0", "-2", "1.0", "1_0", "2147483648", "late st", "\u00a01"])
def test_other_versions_are_42202(registry: SchemaRegistryService, version: str) -> None:
    run(registry.register(RegisterRequest.read("s", {"schema": SCHEMA}), normalize=False))
    with pytest.raises(RegistryError) as raised:
        registry.version("s", version, deleted=False)
    assert raised.value.code.error_code == 42202


@pytest.mark.parametrize("subject", [" ", "\u00a0", "__EMPTY", "a b", "\u2028"])
def test_subjects_without_control_characters_are_valid(registry: SchemaRegistryService, subject: str) -> None:
    assert run(registry.register(RegisterRequest.read(subject, {"schema": SCHEMA}), normalize=False)) == {"id": 1}
    assert registry.subjects("", deleted=False, deleted_only=False) == [subject]


@pytest.mark.parametrize("subject", ["__GLOBAL", "a\x00", "\x1f", "a\x7f", "\x9f"])
def test_control_characters_and_the_global_name_are_invalid_subjects_42208(
    registry: SchemaRegistryService, subject: str
) -> None:
    with pytest.raises(RegistryError) as raised:
        run(registry.register(RegisterRequest.read(subject, {"schema": SCHEMA}), normalize=False))
    assert raised.value.code.error_code == 42208
    assert "\\x" not in raised.value.message


def test_lone_surrogate_in_a_schema_is_stored_as_its_escape(registry: SchemaRegistryService) -> None:
    text = '{"type":"enum","name":"E","symbols":["A"],"doc":"\\ud800"}'
    assert run(registry.register(RegisterRequest.read("s", {"schema": text}), normalize=False)) == {"id": 1}
    stored = registry.schema_text("1")
    assert "\\ud800" in stored
    stored.encode()  # UTF-8 can encode it: no raw surrogate left
    assert json.loads(stored)["doc"] == "\ud800"
