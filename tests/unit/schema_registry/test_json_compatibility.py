"""Confluent's JSON Schema compatibility rules, one test per rule, checked as pure functions (no server).

The examples follow Confluent's schema-evolution documentation and its JSON Schema article: an object
with ``foo`` and ``bar`` string properties in an open, closed or partially open content model.
"""

from __future__ import annotations

from typing import Any

import pytest

from stack.schema_registry.compatibility import Level
from stack.schema_registry.errors import RegistryError
from stack.schema_registry.json_compatibility import Document, changes, pair_problems
from stack.schema_registry.json_schemas import parse
from stack.schema_registry.schemas import Reference, SchemaText


def obj(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **extra}


STRING = {"type": "string"}
FOO = {"foo": STRING}
FOO_BAR = {"foo": STRING, "bar": STRING}
CLOSED = {"additionalProperties": False}


def compatible(level: Level, new: Any, old: Any) -> bool:
    return not pair_problems(level, Document(new, {}), Document(old, {}), 1, "{}")


def backward(old: Any, new: Any) -> bool:
    return compatible(Level.BACKWARD, new, old)


def kinds(old: Any, new: Any) -> list[str]:
    return [change.kind for change in changes(Document(old, {}), Document(new, {}))]


# -- content models ---------------------------------------------------------------------------


def test_adding_a_property_to_an_open_content_model_is_not_backward_compatible() -> None:
    # Old data may already hold a "bar" of any type, which the new schema would refuse.
    assert not backward(obj(FOO), obj(FOO_BAR))
    assert kinds(obj(FOO), obj(FOO_BAR)) == ["OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]


def test_adding_a_property_with_an_empty_schema_to_an_open_content_model_is_compatible() -> None:
    assert backward(obj(FOO), obj({"foo": STRING, "bar": {}}))
    assert backward(obj(FOO), obj({"foo": STRING, "bar": True}))


def test_removing_a_property_from_an_open_content_model_is_backward_compatible() -> None:
    assert backward(obj(FOO_BAR), obj(FOO))


def test_adding_an_optional_property_to_a_closed_content_model_is_backward_compatible() -> None:
    assert backward(obj(FOO, **CLOSED), obj(FOO_BAR, **CLOSED))


def test_adding_a_required_property_to_a_closed_content_model_needs_a_default() -> None:
    without_default = obj(FOO_BAR, required=["bar"], **CLOSED)
    with_default = obj({"foo": STRING, "bar": {"type": "string", "default": "x"}}, required=["bar"], **CLOSED)
    assert not backward(obj(FOO, **CLOSED), without_default)
    assert kinds(obj(FOO, **CLOSED), without_default) == ["REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"]
    assert backward(obj(FOO, **CLOSED), with_default)


def test_removing_a_property_from_a_closed_content_model_is_not_backward_compatible() -> None:
    assert not backward(obj(FOO_BAR, **CLOSED), obj(FOO, **CLOSED))
    assert kinds(obj(FOO_BAR, **CLOSED), obj(FOO, **CLOSED)) == ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"]


def test_removing_a_property_that_was_false_from_a_closed_content_model_is_compatible() -> None:
    assert backward(obj({"foo": STRING, "bar": False}, **CLOSED), obj(FOO, **CLOSED))


def test_partially_open_content_model_covers_added_properties_that_fit_its_additional_schema() -> None:
    partially_open = obj(FOO, additionalProperties=STRING)
    assert backward(partially_open, obj(FOO_BAR, additionalProperties=STRING))
    assert not backward(partially_open, obj({"foo": STRING, "bar": {"type": "integer"}}, additionalProperties=STRING))


def test_partially_open_content_model_covers_removed_properties_that_fit_its_additional_schema() -> None:
    assert backward(obj(FOO_BAR, additionalProperties=STRING), obj(FOO, additionalProperties=STRING))
    integers = obj(FOO, additionalProperties={"type": "integer"})
    assert not backward(obj(FOO_BAR, additionalProperties={"type": "integer"}), integers)


def test_pattern_properties_make_a_partially_open_content_model() -> None:
    old = obj(FOO, patternProperties={"^b": STRING})
    assert backward(old, obj(FOO_BAR, patternProperties={"^b": STRING}))
    assert not backward(old, obj({"foo": STRING, "bar": {"type": "boolean"}}, patternProperties={"^b": STRING}))


def test_opening_a_closed_content_model_is_compatible_and_closing_an_open_one_is_not() -> None:
    assert backward(obj(FOO, **CLOSED), obj(FOO))
    assert not backward(obj(FOO), obj(FOO, **CLOSED))


# -- required -----------------------------------------------------------------------------------


def test_making_a_property_required_is_not_backward_compatible_unless_it_has_a_default() -> None:
    assert not backward(obj(FOO_BAR), obj(FOO_BAR, required=["bar"]))
    with_default = obj({"foo": STRING, "bar": {"type": "string", "default": ""}}, required=["bar"])
    assert backward(obj({"foo": STRING, "bar": {"type": "string", "default": ""}}), with_default)


def test_making_a_required_property_optional_is_backward_compatible() -> None:
    assert backward(obj(FOO_BAR, required=["bar"]), obj(FOO_BAR))


# -- types ------------------------------------------------------------------------------------


def test_integer_widened_to_number_is_backward_compatible_and_the_reverse_is_not() -> None:
    assert backward(obj({"n": {"type": "integer"}}), obj({"n": {"type": "number"}}))
    assert not backward(obj({"n": {"type": "number"}}), obj({"n": {"type": "integer"}}))


def test_changing_a_type_is_not_compatible_in_either_direction() -> None:
    old, new = obj({"foo": STRING}), obj({"foo": {"type": "integer"}})
    assert not backward(old, new)
    assert not compatible(Level.FORWARD, new, old)
    assert kinds(old, new) == ["TYPE_CHANGED"]


def test_a_type_joined_into_a_union_is_backward_compatible_and_leaving_the_union_is_not() -> None:
    assert backward(STRING, {"type": ["string", "null"]})
    assert backward(STRING, {"anyOf": [STRING, {"type": "null"}]})
    assert not backward({"type": ["string", "null"]}, STRING)


def test_an_empty_schema_reads_anything_and_false_is_read_by_anything() -> None:
    assert backward(STRING, {})
    assert backward(False, STRING)
    assert not backward({}, STRING)


# -- enums, constants and constraints -----------------------------------------------------------


def test_enum_values_may_be_added_but_not_removed_or_replaced() -> None:
    two, three = {"enum": ["a", "b"]}, {"enum": ["a", "b", "c"]}
    assert backward(two, three)
    assert not backward(three, two)
    assert not backward(two, {"enum": ["a", "c"]})
    assert backward({"type": "string", "enum": ["a"]}, {"type": "string", "enum": ["a", "b"]})


def test_a_changed_const_is_not_compatible() -> None:
    assert backward({"const": "v1"}, {"const": "v1"})
    assert not backward({"const": "v1"}, {"const": "v2"})


@pytest.mark.parametrize(
    ("old", "new", "is_compatible"),
    [
        ({"type": "string", "maxLength": 5}, {"type": "string", "maxLength": 10}, True),
        ({"type": "string", "maxLength": 10}, {"type": "string", "maxLength": 5}, False),
        ({"type": "string"}, {"type": "string", "maxLength": 5}, False),
        ({"type": "string", "minLength": 5}, {"type": "string", "minLength": 1}, True),
        ({"type": "string", "minLength": 1}, {"type": "string", "minLength": 5}, False),
        ({"type": "string", "pattern": "^a"}, {"type": "string"}, True),
        ({"type": "string"}, {"type": "string", "pattern": "^a"}, False),
        ({"type": "string", "pattern": "^a"}, {"type": "string", "pattern": "^b"}, False),
        ({"type": "number", "maximum": 5}, {"type": "number", "maximum": 10}, True),
        ({"type": "number", "maximum": 10}, {"type": "number", "maximum": 5}, False),
        ({"type": "number", "minimum": 5}, {"type": "number", "minimum": 1}, True),
        ({"type": "number", "minimum": 1}, {"type": "number", "minimum": 5}, False),
        ({"type": "number", "exclusiveMaximum": 5}, {"type": "number"}, True),
        ({"type": "number", "multipleOf": 4}, {"type": "number", "multipleOf": 2}, True),
        ({"type": "number", "multipleOf": 2}, {"type": "number", "multipleOf": 4}, False),
        ({"type": "number", "multipleOf": 0.5}, {"type": "number", "multipleOf": 0.25}, True),
        ({"type": "array", "maxItems": 2}, {"type": "array", "maxItems": 3}, True),
        ({"type": "array", "minItems": 1}, {"type": "array", "minItems": 2}, False),
        ({"type": "array", "uniqueItems": True}, {"type": "array"}, True),
        ({"type": "array"}, {"type": "array", "uniqueItems": True}, False),
        (obj(FOO, maxProperties=1), obj(FOO, maxProperties=2), True),
        (obj(FOO, minProperties=1), obj(FOO, minProperties=2), False),
    ],
)
def test_loosening_a_constraint_is_backward_compatible_and_tightening_it_is_not(
    old: dict, new: dict, is_compatible: bool
) -> None:
    assert backward(old, new) is is_compatible


# -- arrays and combinations --------------------------------------------------------------------


def test_array_items_follow_the_rules_of_their_schema() -> None:
    assert backward({"type": "array", "items": {"type": "integer"}}, {"type": "array", "items": {"type": "number"}})
    assert not backward({"type": "array", "items": STRING}, {"type": "array", "items": {"type": "integer"}})


def test_tuple_items_have_open_and_closed_content_models_too() -> None:
    one, two = {"type": "array", "items": [STRING]}, {"type": "array", "items": [STRING, STRING]}
    assert not backward(one, two)  # open: old arrays may hold anything in second place
    assert backward({**one, "additionalItems": False}, {**two, "additionalItems": False})
    assert not backward({**two, "additionalItems": False}, {**one, "additionalItems": False})
    assert backward(two, one)


def test_a_subschema_may_be_added_to_any_of_but_not_removed() -> None:
    two = {"anyOf": [STRING, {"type": "integer"}]}
    three = {"anyOf": [STRING, {"type": "integer"}, {"type": "boolean"}]}
    assert backward(two, three)
    assert not backward(three, two)


def test_all_of_may_lose_a_subschema_but_not_gain_one() -> None:
    two = {"allOf": [obj(FOO), {"required": ["foo"]}]}
    one = {"allOf": [obj(FOO)]}
    assert backward(two, one)
    assert not backward(one, two)


def test_one_of_changed_to_any_of_is_compatible_but_not_the_reverse() -> None:
    parts = [STRING, {"type": "integer"}]
    assert backward({"oneOf": parts}, {"anyOf": parts})
    assert not backward({"anyOf": parts}, {"oneOf": parts})


def test_references_to_definitions_are_followed_and_recursive_schemas_end() -> None:
    def tree(value_type: str) -> dict:
        node = obj(
            {"value": {"type": value_type}, "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}}
        )
        return {"$ref": "#/definitions/node", "definitions": {"node": node}}

    assert backward(tree("integer"), tree("number"))
    assert not backward(tree("number"), tree("integer"))


def test_annotations_never_break_compatibility() -> None:
    old = obj(FOO, title="Old", description="before")
    assert backward(old, obj(FOO, title="New", description="after", **{"$id": "urn:x"}))


# -- levels -----------------------------------------------------------------------------------


def test_forward_is_backward_with_the_roles_swapped() -> None:
    # Adding to an open model: old readers ignore the new property, so forward holds; backward does not.
    assert compatible(Level.FORWARD, obj(FOO_BAR), obj(FOO))
    assert not compatible(Level.BACKWARD, obj(FOO_BAR), obj(FOO))
    # Adding to a closed model is the mirror image.
    assert not compatible(Level.FORWARD, obj(FOO_BAR, **CLOSED), obj(FOO, **CLOSED))
    assert compatible(Level.BACKWARD, obj(FOO_BAR, **CLOSED), obj(FOO, **CLOSED))


def test_full_needs_both_directions_so_adding_a_property_is_never_full_compatible() -> None:
    assert not compatible(Level.FULL, obj(FOO_BAR), obj(FOO))
    assert not compatible(Level.FULL, obj(FOO_BAR, **CLOSED), obj(FOO, **CLOSED))
    assert compatible(Level.FULL, obj({"foo": STRING, "bar": {}}), obj(FOO))
    assert compatible(Level.FULL, obj(FOO, title="renamed"), obj(FOO))


def test_none_accepts_anything() -> None:
    assert compatible(Level.NONE, {"type": "integer"}, STRING)


def test_problems_are_worded_as_confluent_words_them() -> None:
    problems = pair_problems(Level.BACKWARD, Document(obj(FOO_BAR), {}), Document(obj(FOO), {}), 3, '{"a":1}')
    assert problems == [
        '{errorType:"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", description:"The new schema has an open '
        "content model and has a property or item at path '#/properties/bar' which is missing in the old schema\"}",
        "{oldSchemaVersion: 3}",
        "{oldSchema: '{\"a\":1}'}",
    ]


def test_references_to_other_subjects_are_followed_by_name() -> None:
    address_v1, address_v2 = obj({"city": {"type": "integer"}}), obj({"city": {"type": "number"}})
    person = obj({"address": {"$ref": "address.json"}})
    old, new = Document(person, {"address.json": address_v1}), Document(person, {"address.json": address_v2})
    assert not pair_problems(Level.BACKWARD, new, old, 1, "{}")
    assert pair_problems(Level.BACKWARD, old, new, 1, "{}")


# -- parsing ----------------------------------------------------------------------------------


def json_schema(text: str, references: tuple[Reference, ...] = ()) -> Any:
    return parse(SchemaText(text, "JSON", references), lambda reference: None)


def test_canonical_form_drops_whitespace_keeps_key_order_and_normalized_form_sorts_keys() -> None:
    parsed = json_schema('{ "type" : "object",\n "properties": {"b": {}, "a": {}} }')
    assert parsed.canonical == '{"type":"object","properties":{"b":{},"a":{}}}'
    assert parsed.normalized == '{"properties":{"a":{},"b":{}},"type":"object"}'


@pytest.mark.parametrize(
    "text",
    [
        *("not json", "[]", '"string"', "42", '{"type": "strong"}', '{"type": 5}', '{"required": "foo"}'),
        *('{"properties": {"a": 3}}', '{"$ref": "#/definitions/missing"}', '{"minLength": -1}'),
    ],
)
def test_invalid_json_schemas_are_refused_with_42201(text: str) -> None:
    with pytest.raises(RegistryError) as raised:
        json_schema(text)
    assert raised.value.code.error_code == 42201
    assert raised.value.message.startswith("Invalid schema of type JSON, details: ")


def test_a_reference_must_name_an_existing_schema() -> None:
    with pytest.raises(RegistryError):
        json_schema('{"$ref": "other.json"}', (Reference("other.json", "other", 1),))
