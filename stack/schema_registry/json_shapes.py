"""What kind of schema a JSON Schema node is, as Confluent's JSON Schema library classifies it.

The compatibility walk (:mod:`.json_compatibility`) compares two nodes only when they are the same
kind (string, number, object, array, enum, const, not, or a combination of parts), and asks a node
the questions here about its keywords: its declared properties, whether its content model is open.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_COMBINERS = ("allOf", "anyOf", "oneOf")
_OBJECT_WORDS = frozenset(
    {"properties", "required", "additionalProperties", "patternProperties", "dependencies", "minProperties"}
    | {"maxProperties", "propertyNames"}
)
_ARRAY_WORDS = frozenset({"items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"})
_STRING_WORDS = frozenset({"minLength", "maxLength", "pattern", "format"})
_NUMBER_WORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
ABSENT = object()
"""A schema or keyword one side does not have (``None`` is a JSON value)."""


@dataclass(frozen=True)
class Shape:
    """A node classified as Confluent's JSON Schema library sees it: one kind, or a combination of parts."""

    kind: str
    node: Any
    criterion: str = ""
    parts: tuple[Any, ...] = ()


def shape(node: Any) -> Shape:
    """What ``node`` is; a shape already made (a part of a combination) stays as it is."""
    if isinstance(node, Shape):
        return node
    if node is False:
        return Shape("false", node)
    if node is True or not isinstance(node, dict):
        return Shape("empty", node)
    constraints = list(facets(node))
    if not constraints:
        return Shape("empty", node)
    if len(constraints) == 1:
        return constraints[0]
    return Shape("combined", node, "allOf", tuple(constraints))  # several constraints: all must hold


def facets(node: dict) -> Iterator[Shape]:
    """The separate constraints a schema object makes: its type(s), enum, const, combiners, not."""
    types = node.get("type")
    if isinstance(types, list) and len(types) != 1:
        parts = tuple({**type_keywords(node), "type": kind} for kind in types)
        yield Shape("combined", node, "anyOf", parts)
    else:
        kind = types[0] if isinstance(types, list) else types
        inferred = kind or inferred_type(node)
        if inferred:
            yield Shape(KINDS.get(inferred, "empty"), {**type_keywords(node), "type": inferred})
    if "enum" in node:
        yield Shape("enum", {"enum": node["enum"]})
    if "const" in node:
        yield Shape("const", {"const": node["const"]})
    for criterion in _COMBINERS:
        if criterion in node:
            yield Shape("combined", node, criterion, tuple(node[criterion]))
    if "not" in node:
        yield Shape("not", {"not": node["not"]})


KINDS = {"string": "string", "number": "number", "integer": "number", "object": "object", "array": "array"}
KINDS |= {"boolean": "boolean", "null": "null"}


def type_keywords(node: dict) -> dict:
    return {key: value for key, value in node.items() if key not in ("enum", "const", "not", *_COMBINERS)}


def inferred_type(node: dict) -> str | None:
    """The type a schema without ``type`` constrains through its keywords (``properties`` means object)."""
    for kind, words in (("object", _OBJECT_WORDS), ("array", _ARRAY_WORDS), ("string", _STRING_WORDS)):
        if words & node.keys():
            return kind
    return "number" if _NUMBER_WORDS & node.keys() else None


def criterion_change(old: Shape, new: Shape) -> str | None:
    if old.criterion == new.criterion:
        return None
    if new.criterion == "anyOf":
        return "COMBINED_TYPE_EXTENDED"
    if new.criterion == "oneOf" and len(old.parts) == 1:
        return "COMBINED_TYPE_EXTENDED"
    if new.criterion == "allOf" and len(old.parts) == 1 and len(new.parts) == 1:
        return "COMBINED_TYPE_EXTENDED"
    return "COMBINED_TYPE_CHANGED"


# -- what a node says of its instances -------------------------------------------------------


def declared_properties(node: dict) -> dict[str, Any]:
    properties = node.get("properties", {})
    return properties if isinstance(properties, dict) else {}


def has_default(schema: Any) -> bool:
    return isinstance(schema, dict) and "default" in schema


def is_open(node: dict) -> bool:
    """Open content model: any undeclared property, of any type, may appear."""
    return not node.get("patternProperties") and node.get("additionalProperties", True) is True


def items_open(node: dict) -> bool:
    return node.get("additionalItems", True) is True


def covering_schema(node: dict, name: str) -> Any:
    """The schema a partially open object gives an undeclared property ``name``; ABSENT when closed."""
    for pattern, schema in (node.get("patternProperties") or {}).items():
        if re.search(pattern, name):
            return schema
    additional = node.get("additionalProperties", True)
    return additional if isinstance(additional, dict) else ABSENT


def is_integer(node: dict) -> bool:
    return node.get("type") == "integer"


def value_set(values: Any) -> frozenset[str]:
    return frozenset(json.dumps(value, sort_keys=True) for value in values) if isinstance(values, list) else frozenset()


def distinct(parts: tuple[Any, ...]) -> list[Any]:
    """Subschemas with duplicates collapsed, first spelling kept (Confluent uses an ordered set)."""
    seen: dict[str, Any] = {}
    for part in parts:
        seen.setdefault(json.dumps(part, sort_keys=True, default=str), part)
    return list(seen.values())
