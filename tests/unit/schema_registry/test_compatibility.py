"""Compatibility levels and Avro schema-resolution rules, checked as pure functions (no server)."""

from __future__ import annotations

import json
import time

import pytest

from stack.schema_registry.compatibility import Level, check, parse_level, read_problems
from stack.schema_registry.errors import RegistryError
from stack.schema_registry.schemas import SchemaText, parse


def avro(schema: object) -> object:
    return parse(SchemaText(json.dumps(schema)), lambda reference: None).avro


def record(*fields: dict, name: str = "R", **extra: object) -> dict:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def field(name: str, type_: object, **extra: object) -> dict:
    return {"name": name, "type": type_, **extra}


def can_read(reader: object, writer: object) -> bool:
    return not read_problems(avro(reader), avro(writer))


V1 = record(field("a", "int"))
V2_ADDED_WITH_DEFAULT = record(field("a", "int"), field("b", "string", default="x"))
V2_ADDED_WITHOUT_DEFAULT = record(field("a", "int"), field("b", "string"))
V0_EMPTY = record()


def test_reader_ignores_a_field_only_the_writer_has() -> None:
    assert can_read(V1, V2_ADDED_WITHOUT_DEFAULT)


def test_reader_needs_a_default_for_a_field_the_writer_lacks() -> None:
    assert can_read(V2_ADDED_WITH_DEFAULT, V1)
    assert not can_read(V2_ADDED_WITHOUT_DEFAULT, V1)


def test_reader_field_alias_matches_the_writers_old_field_name() -> None:
    renamed = record(field("renamed", "int", aliases=["a"]))
    assert can_read(renamed, V1)
    assert not can_read(record(field("renamed", "int")), V1)


@pytest.mark.parametrize(
    ("writer", "reader"),
    [
        ("int", "long"),
        ("int", "float"),
        ("int", "double"),
        ("long", "float"),
        ("long", "double"),
        ("float", "double"),
        ("string", "bytes"),
        ("bytes", "string"),
    ],
)
def test_type_promotions_allowed_by_avro_are_compatible(writer: str, reader: str) -> None:
    assert can_read(record(field("a", reader)), record(field("a", writer)))


@pytest.mark.parametrize(
    ("writer", "reader"),
    [("long", "int"), ("double", "float"), ("string", "int"), ("int", "string"), ("boolean", "int")],
)
def test_narrowing_or_unrelated_type_changes_are_incompatible(writer: str, reader: str) -> None:
    assert not can_read(record(field("a", reader)), record(field("a", writer)))


def test_enum_reader_missing_a_writer_symbol_is_incompatible_unless_it_has_a_default() -> None:
    writer = {"type": "enum", "name": "E", "symbols": ["A", "B"]}
    assert not can_read({"type": "enum", "name": "E", "symbols": ["A"]}, writer)
    assert can_read({"type": "enum", "name": "E", "symbols": ["A"], "default": "A"}, writer)
    assert can_read({"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}, writer)


def test_every_writer_union_branch_must_be_readable() -> None:
    assert can_read(["null", "string", "int"], ["null", "string"])
    assert not can_read(["null", "string"], ["null", "string", "int"])


def test_union_and_non_union_resolve_branch_by_branch() -> None:
    assert can_read(["null", "string"], "string")
    assert not can_read("string", ["null", "string"])
    assert can_read("long", ["int", "long"])


def test_named_types_must_keep_their_name_unless_the_reader_aliases_the_old_one() -> None:
    writer = record(field("a", "int"), name="Old", namespace="ns")
    assert not can_read(record(field("a", "int"), name="New", namespace="ns"), writer)
    assert can_read(record(field("a", "int"), name="New", namespace="ns", aliases=["ns.Old"]), writer)


def test_unqualified_reader_alias_is_resolved_in_the_readers_namespace() -> None:
    writer = record(field("a", "int"), name="Old", namespace="ns")
    assert can_read(record(field("a", "int"), name="New", namespace="ns", aliases=["Old"]), writer)


def test_changing_only_the_namespace_of_a_record_is_compatible() -> None:
    assert can_read(record(field("a", "int"), namespace="one"), record(field("a", "int"), namespace="two"))


def test_fixed_size_change_is_incompatible() -> None:
    assert not can_read({"type": "fixed", "name": "F", "size": 4}, {"type": "fixed", "name": "F", "size": 8})


def test_arrays_and_maps_are_checked_item_by_item() -> None:
    assert can_read({"type": "array", "items": "long"}, {"type": "array", "items": "int"})
    assert not can_read({"type": "map", "values": "int"}, {"type": "map", "values": "long"})


def test_recursive_records_are_checked_without_looping() -> None:
    node = record(field("value", "int"), field("next", ["null", "R"], default=None))
    assert can_read(node, node)


def test_none_accepts_any_change() -> None:
    assert check(Level.NONE, avro("string"), [avro(V1)]) == []


def test_backward_lets_the_new_schema_drop_fields_and_add_defaulted_ones() -> None:
    assert check(Level.BACKWARD, avro(V2_ADDED_WITH_DEFAULT), [avro(V1)]) == []
    assert check(Level.BACKWARD, avro(V0_EMPTY), [avro(V1)]) == []
    assert check(Level.BACKWARD, avro(V2_ADDED_WITHOUT_DEFAULT), [avro(V1)]) != []


def test_forward_lets_the_new_schema_add_fields_but_not_drop_required_ones() -> None:
    assert check(Level.FORWARD, avro(V2_ADDED_WITHOUT_DEFAULT), [avro(V1)]) == []
    assert check(Level.FORWARD, avro(V0_EMPTY), [avro(V1)]) != []


def test_full_needs_both_directions() -> None:
    assert check(Level.FULL, avro(V2_ADDED_WITH_DEFAULT), [avro(V1)]) == []
    assert check(Level.FULL, avro(V2_ADDED_WITHOUT_DEFAULT), [avro(V1)]) != []
    assert check(Level.FULL, avro(V0_EMPTY), [avro(V1)]) != []


def test_non_transitive_levels_only_look_at_the_latest_version() -> None:
    # v1 has a required "a"; v2 dropped it (with a default on b); v3 drops the default of b.
    v1 = record(field("a", "int"))
    v2 = record(field("b", "string", default="x"))
    v3 = record(field("b", "string"))
    history = [avro(v1), avro(v2)]
    assert check(Level.FORWARD, avro(v3), history) == []
    assert check(Level.FORWARD_TRANSITIVE, avro(v3), history) != []


def test_backward_transitive_checks_every_earlier_version() -> None:
    v1 = record(field("a", "int"))
    v2 = record(field("a", "int"), field("b", "int", default=0))
    v3 = record(field("a", "int"), field("b", "int"))  # reads v2 data, not v1 data
    assert check(Level.BACKWARD, avro(v3), [avro(v1), avro(v2)]) == []
    assert check(Level.BACKWARD_TRANSITIVE, avro(v3), [avro(v1), avro(v2)]) != []
    assert check(Level.FULL_TRANSITIVE, avro(v3), [avro(v1), avro(v2)]) != []


def test_no_earlier_version_means_compatible() -> None:
    assert check(Level.FULL_TRANSITIVE, avro(V1), []) == []


def test_levels_parse_in_any_letter_case_and_refuse_unknown_names() -> None:
    assert parse_level("full_transitive") is Level.FULL_TRANSITIVE
    assert parse_level("SIDEWAYS") is None
    assert parse_level(3) is None


def test_problems_say_which_field_broke() -> None:
    problems = check(Level.BACKWARD, avro(V2_ADDED_WITHOUT_DEFAULT), [avro(V1)])
    assert any("b" in problem for problem in problems)


def test_invalid_default_is_rejected_as_an_invalid_schema() -> None:
    with pytest.raises(RegistryError) as raised:
        avro(record(field("a", "int", default="not a number")))
    assert raised.value.code.error_code == 42201


def test_checking_two_wide_records_takes_time_linear_in_their_fields() -> None:
    """Ten times the fields take about ten times as long to check (a quadratic check took a hundred times).

    Compares the best of three runs of each size in CPU time, so that neither a slow machine nor a
    busy one decides it; a wall-clock limit would.
    """

    def best_time(fields: int) -> float:
        old = avro(record(*[field(f"f{n}", "int", default=0) for n in range(fields)], name="Wide"))
        new = avro(record(*[field(f"f{n}", "int", default=0) for n in range(fields + 1)], name="Wide"))
        times = []
        for _ in range(3):
            started = time.thread_time()
            assert check(Level.FULL_TRANSITIVE, new, [old]) == []
            times.append(time.thread_time() - started)
        return min(times)

    assert best_time(20_000) < 30 * best_time(2_000)
