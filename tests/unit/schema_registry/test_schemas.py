"""Parsing and canonical forms: what makes two schema texts the same schema (no server)."""

from __future__ import annotations

import json
import time

import pytest

from stack.schema_registry.errors import RegistryError
from stack.schema_registry.schemas import ParsedSchema, Reference, SchemaText, parse


def parsed(schema: object) -> ParsedSchema:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    return parse(SchemaText(text), lambda reference: None)


def test_whitespace_and_key_order_do_not_change_the_canonical_form() -> None:
    one = '{"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]}'
    two = '{"fields":[{"type":"int","name":"x"}],"name":"A","type":"record"}'
    assert parsed(one).canonical == parsed(two).canonical


def test_redundant_namespace_and_type_wrappers_do_not_change_the_canonical_form() -> None:
    plain = {"type": "record", "name": "A", "namespace": "n", "fields": [{"name": "x", "type": "int"}]}
    wordy = {
        "type": "record",
        "name": "n.A",
        "fields": [{"name": "x", "type": {"type": "int"}, "order": "ascending"}],
    }
    assert parsed(plain).canonical == parsed(wordy).canonical


def test_canonical_form_keeps_what_changes_meaning() -> None:
    base = {"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]}
    with_default = {"type": "record", "name": "A", "fields": [{"name": "x", "type": "int", "default": 1}]}
    other_name = {"type": "record", "name": "B", "fields": [{"name": "x", "type": "int"}]}
    forms = {parsed(s).canonical for s in (base, with_default, other_name)}
    assert len(forms) == 3


def test_primitive_written_as_object_equals_the_bare_name() -> None:
    assert parsed({"type": "string"}).canonical == '"string"'


def test_normalized_form_qualifies_every_name() -> None:
    schema = {
        "type": "record",
        "name": "A",
        "namespace": "n",
        "aliases": ["Old"],
        "fields": [{"name": "b", "type": {"type": "enum", "name": "E", "symbols": ["X"]}}, {"name": "c", "type": "E"}],
    }
    normalized = json.loads(parsed(schema).normalized)
    assert normalized["name"] == "n.A"
    assert normalized["aliases"] == ["n.Old"]
    assert normalized["fields"][0]["type"]["name"] == "n.E"
    assert normalized["fields"][1]["type"] == "n.E"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        '"nosuchtype"',
        "42",
        "null",
        '{"type": "record", "name": "A"}',
        '{"type": "record", "name": "1A", "fields": []}',
        '{"type": "enum", "name": "E", "symbols": ["A", "A"]}',
        '["int", "int"]',
        '{"type": "fixed", "name": "F"}',
        '{"type": "record", "name": "A", "fields": [{"name": "x", "type": "int", "default": "one"}]}',
        '{"type": "record", "name": "A", "fields": [{"name": "x", "type": ["null", "int"], "default": 1}]}',
        '{"type": "error_union", "declared_errors": []}',
        "[" * 5000 + "]" * 5000,
    ],
)
def test_invalid_schemas_are_refused_with_42201(text: str) -> None:
    with pytest.raises(RegistryError) as raised:
        parse(SchemaText(text), lambda reference: None)
    assert raised.value.code.error_code == 42201


def test_schema_types_other_than_avro_are_refused() -> None:
    with pytest.raises(RegistryError):
        parse(SchemaText('{"type": "object"}', "JSON"), lambda reference: None)


def test_references_supply_named_types_defined_elsewhere() -> None:
    address = SchemaText('{"type": "record", "name": "Address", "namespace": "n", "fields": []}')
    user = {"type": "record", "name": "User", "namespace": "n", "fields": [{"name": "home", "type": "Address"}]}
    reference = Reference("n.Address", "address-value", 1)
    result = parse(SchemaText(json.dumps(user), references=(reference,)), lambda r: address if r == reference else None)
    assert json.loads(result.canonical)["fields"][0]["type"] == "Address"
    with pytest.raises(RegistryError):
        parse(SchemaText(json.dumps(user), references=(reference,)), lambda r: None)


def wide_record(fields: int, name: str = "Wide") -> str:
    body = [{"name": f"f{n}", "type": "int", "default": 0} for n in range(fields)]
    return json.dumps({"type": "record", "name": name, "namespace": "big", "fields": body})


def test_parsing_a_record_takes_time_linear_in_its_fields() -> None:
    """Ten times the fields take about ten times as long (a quadratic parse took a hundred times).

    Compares the best of three runs of each size in CPU time, so that neither a slow machine nor a
    busy one decides it; a wall-clock limit would.
    """

    def best_time(fields: int) -> float:
        text = wide_record(fields)
        times = []
        for _ in range(3):
            started = time.thread_time()
            parse(SchemaText(text), lambda reference: None)
            times.append(time.thread_time() - started)
        return min(times)

    assert best_time(20_000) < 30 * best_time(2_000)


def test_duplicate_field_names_are_still_refused() -> None:
    fields = [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}, {"name": "a", "type": "long"}]
    with pytest.raises(RegistryError, match="Field name a already in use"):
        parsed({"type": "record", "name": "R", "fields": fields})


def test_a_lone_surrogate_stays_an_escape_in_every_form() -> None:
    result = parse(SchemaText('{"type":"enum","name":"E","symbols":["A"],"doc":"\\ud800"}'), lambda r: None)
    for form in (result.canonical, result.normalized):
        assert "\\ud800" in form
        form.encode()  # no raw surrogate left for UTF-8 to choke on
