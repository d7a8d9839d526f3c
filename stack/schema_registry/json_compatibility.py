"""Confluent's compatibility rules for JSON Schema, as pure functions over two schema documents.

JSON Schema has no reader/writer resolution like Avro's, so Confluent decides compatibility from the
*changes* between an older (writer) schema and a newer (reader) one: :func:`changes` walks both and
names each difference with Confluent's ``Difference.Type``; a reader can read the writer's data when
every change is in :data:`COMPATIBLE`. BACKWARD reads the old schema's data with the new one, FORWARD
the reverse, FULL both (Confluent reports the forward problems first).

The rules that matter most are the content models of objects (and of tuple arrays):

* *open* (``additionalProperties`` absent or ``true``): old data may hold any property, so adding a
  property to the reader is incompatible unless its schema is ``{}``/``true``; removing one is fine.
* *closed* (``additionalProperties: false``): old data holds only the declared properties, so adding
  an optional property (or a required one with a ``default``) is fine; removing one is not.
* *partially open* (an ``additionalProperties`` schema, or ``patternProperties``): a property added
  or removed is fine when the schema that covered it on the other side is compatible with it.

Elsewhere: loosening a constraint (a larger ``maxLength``, a smaller ``minimum``, dropping ``required``,
more ``enum`` values, ``integer`` to ``number``, a schema joined into an ``anyOf``) is compatible and
tightening it is not; changing a type is not. Messages are Confluent's
``{errorType:"...", description:"..."}`` lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from stack.schema_registry.compatibility import Level

COMPATIBLE = frozenset(
    {
        "ID_CHANGED",
        "DESCRIPTION_CHANGED",
        "TITLE_CHANGED",
        "DEFAULT_CHANGED",
        "SCHEMA_REMOVED",
        "TYPE_EXTENDED",
        "MAX_LENGTH_INCREASED",
        "MAX_LENGTH_REMOVED",
        "MIN_LENGTH_DECREASED",
        "MIN_LENGTH_REMOVED",
        "PATTERN_REMOVED",
        "MAXIMUM_INCREASED",
        "MAXIMUM_REMOVED",
        "MINIMUM_DECREASED",
        "MINIMUM_REMOVED",
        "EXCLUSIVE_MAXIMUM_INCREASED",
        "EXCLUSIVE_MAXIMUM_REMOVED",
        "EXCLUSIVE_MINIMUM_DECREASED",
        "EXCLUSIVE_MINIMUM_REMOVED",
        "MULTIPLE_OF_REDUCED",
        "MULTIPLE_OF_REMOVED",
        "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
        "REQUIRED_ATTRIBUTE_REMOVED",
        "DEPENDENCY_ARRAY_NARROWED",
        "DEPENDENCY_ARRAY_REMOVED",
        "DEPENDENCY_SCHEMA_REMOVED",
        "MAX_PROPERTIES_INCREASED",
        "MAX_PROPERTIES_REMOVED",
        "MIN_PROPERTIES_DECREASED",
        "MIN_PROPERTIES_REMOVED",
        "ADDITIONAL_PROPERTIES_ADDED",
        "ADDITIONAL_PROPERTIES_EXTENDED",
        "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
        "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
        "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
        "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "MAX_ITEMS_INCREASED",
        "MAX_ITEMS_REMOVED",
        "MIN_ITEMS_DECREASED",
        "MIN_ITEMS_REMOVED",
        "UNIQUE_ITEMS_REMOVED",
        "ADDITIONAL_ITEMS_ADDED",
        "ADDITIONAL_ITEMS_EXTENDED",
        "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
        "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
        "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
        "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ENUM_ARRAY_EXTENDED",
        "COMBINED_TYPE_EXTENDED",
        "PRODUCT_TYPE_NARROWED",
        "SUM_TYPE_EXTENDED",
        "NOT_TYPE_NARROWED",
    }
)

_COMBINERS = ("allOf", "anyOf", "oneOf")
_OBJECT_WORDS = frozenset(
    {"properties", "required", "additionalProperties", "patternProperties", "dependencies", "minProperties"}
    | {"maxProperties", "propertyNames"}
)
_ARRAY_WORDS = frozenset({"items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"})
_STRING_WORDS = frozenset({"minLength", "maxLength", "pattern", "format"})
_NUMBER_WORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
_ABSENT = object()


@dataclass(frozen=True)
class Change:
    """One difference between two schemas: Confluent's type name and the JSON path where it is."""

    kind: str
    path: str

    @property
    def compatible(self) -> bool:
        return self.kind in COMPATIBLE


def all_compatible(found: list[Change]) -> bool:
    return all(change.compatible for change in found)


@dataclass
class Document:
    """A schema document with the documents its references name, to follow ``$ref`` in either."""

    root: Any
    referenced: dict[str, Any]

    def follow(self, node: Any) -> Any:
        """``node`` with ``$ref`` followed (draft 7 ignores a ``$ref``'s siblings); ``{}`` when unknown."""
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 100:
            node, seen = self._target(node["$ref"]), seen + 1
        return node

    def _target(self, ref: str) -> Any:
        location, _, pointer = ref.partition("#")
        base = self.root if not location else self.referenced.get(location, self.referenced.get(location.lstrip("./")))
        found = _pointer(base, pointer) if base is not None else None
        return {} if found is None else found


def changes(old: Document, new: Document) -> list[Change]:
    """Every difference from ``old`` (the writer's schema) to ``new`` (the reader's)."""
    return _Comparison(old, new).compare(old.root, new.root, ())


def read_problems(reader: Document, writer: Document, reader_name: str, writer_name: str) -> list[str]:
    """Why data valid under ``writer`` may not be valid under ``reader``, in Confluent's words; empty when it is."""
    return [_message(change, reader_name, writer_name) for change in changes(writer, reader) if not change.compatible]


def pair_problems(level: Level, new: Document, old: Document, old_version: int, old_text: str) -> list[str]:
    """Problems between ``new`` and one older version in the direction(s) ``level`` asks for.

    As Confluent does, FULL lists what the old schema cannot read first, and the old version's number
    and text follow the problems.
    """
    problems: list[str] = []
    if level.forward:
        problems += read_problems(old, new, "old", "new")
    if level.backward:
        problems += read_problems(new, old, "new", "old")
    if problems:
        problems += [f"{{oldSchemaVersion: {old_version}}}", f"{{oldSchema: '{old_text}'}}"]
    return problems


class _Comparison:
    """One walk over an old and a new document; remembers pairs in progress so recursive schemas end."""

    def __init__(self, old: Document, new: Document) -> None:
        self.old = old
        self.new = new
        self.active: set[tuple[int, int]] = set()

    def compare(self, old: Any, new: Any, path: tuple[str, ...]) -> list[Change]:
        if old is _ABSENT and new is _ABSENT:
            return []
        if old is _ABSENT:
            return [_change("SCHEMA_ADDED", path)]
        if new is _ABSENT:
            return [_change("SCHEMA_REMOVED", path)]
        old, new = self.old.follow(old), self.new.follow(new)
        pair = (id(old), id(new))
        if pair in self.active:
            return []
        self.active.add(pair)
        try:
            return self._compare(_shape(old), _shape(new), path)
        finally:
            self.active.discard(pair)

    def _compare(self, old: _Shape, new: _Shape, path: tuple[str, ...]) -> list[Change]:
        if old.kind != "combined" and new.kind == "combined":
            if len(new.parts) == 1:
                found = self.compare(old.node, new.parts[0], path)
                if all_compatible(found):
                    return found
            elif new.criterion in ("anyOf", "oneOf"):
                for part in new.parts:
                    found = self.compare(old.node, part, path)
                    if all_compatible(found):
                        return [*found, _change("SUM_TYPE_EXTENDED", path)]
        elif old.kind == "combined" and new.kind != "combined" and len(old.parts) == 1:
            found = self.compare(old.parts[0], new.node, path)
            if all_compatible(found):
                return found
        if old.kind != new.kind:
            return [] if old.kind == "false" or new.kind == "empty" else [_change("TYPE_CHANGED", path)]
        if old.kind == "combined":
            return self._combined(old, new, path)
        compare_kind = getattr(self, f"_{old.kind}", None)
        return compare_kind(old.node, new.node, path) if compare_kind else []

    # -- one method per kind of schema ----------------------------------------------------------

    def _string(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        found = _bound(old, new, path, "maxLength", looser="INCREASED")
        found += _bound(old, new, path, "minLength", looser="DECREASED")
        if old.get("pattern") != new.get("pattern"):
            found.append(_change(_presence("PATTERN", old.get("pattern"), new.get("pattern")), path, "pattern"))
        return found

    def _number(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        found = _bound(old, new, path, "maximum", looser="INCREASED")
        found += _bound(old, new, path, "minimum", looser="DECREASED")
        found += _bound(old, new, path, "exclusiveMaximum", looser="INCREASED")
        found += _bound(old, new, path, "exclusiveMinimum", looser="DECREASED")
        found += _multiple_of(old.get("multipleOf"), new.get("multipleOf"), path)
        old_integer, new_integer = _is_integer(old), _is_integer(new)
        if old_integer != new_integer:
            found.append(_change("TYPE_EXTENDED" if old_integer else "TYPE_NARROWED", path))
        return found

    def _enum(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        before, after = _value_set(old["enum"]), _value_set(new["enum"])
        if before == after:
            return []
        kind = "EXTENDED" if after >= before else "NARROWED" if after <= before else "CHANGED"
        return [_change(f"ENUM_ARRAY_{kind}", path, "enum")]

    def _const(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        same = _value_set([old["const"]]) == _value_set([new["const"]])
        return [] if same else [_change("ENUM_ARRAY_CHANGED", path, "const")]

    def _not(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        inner = (*path, "not")
        reversed_changes = self.compare(new["not"], old["not"], inner)  # what must not match: reversed roles
        return [_change("NOT_TYPE_NARROWED" if all_compatible(reversed_changes) else "NOT_TYPE_EXTENDED", inner)]

    def _combined(self, old_shape: _Shape, new_shape: _Shape, path: tuple[str, ...]) -> list[Change]:
        criterion_change = _criterion_change(old_shape, new_shape)
        if criterion_change == "COMBINED_TYPE_CHANGED":
            return [_change(criterion_change, path)]
        found = [_change(criterion_change, path)] if criterion_change else []
        old_parts, new_parts = _distinct(old_shape.parts), _distinct(new_shape.parts)
        if len(old_parts) != len(new_parts):
            product = new_shape.criterion == "allOf"
            wider = len(old_parts) < len(new_parts)
            found.append(_change(f"{'PRODUCT' if product else 'SUM'}_TYPE_{'EXTENDED' if wider else 'NARROWED'}", path))
        edges: dict[tuple[int, int], list[Change]] = {}
        for i, old_part in enumerate(old_parts):
            for j, new_part in enumerate(new_parts):
                part_changes = self.compare(old_part, new_part, (*path, f"{old_shape.criterion}/{i}"))
                if all_compatible(part_changes):
                    edges[(i, j)] = part_changes
        matching = _maximum_matching(len(old_parts), len(new_parts), set(edges))
        for edge in matching:
            found += edges[edge]
        if len(matching) < min(len(old_parts), len(new_parts)):
            found.append(_change("COMBINED_TYPE_SUBSCHEMAS_CHANGED", path))
        return found

    def _object(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        return [
            *self._required(old, new, path),
            *self._properties(old, new, path),
            *self._dependencies(old, new, path),
            *self._additional_properties(old, new, path),
            *_bound(old, new, path, "maxProperties", looser="INCREASED"),
            *_bound(old, new, path, "minProperties", looser="DECREASED"),
        ]

    def _required(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        found = []
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        new_properties = _properties(new)
        for name in _properties(old):
            if name not in new_properties or (name in old_required) == (name in new_required):
                continue
            where = (*path, "required", name)
            if name in old_required:
                found.append(_change("REQUIRED_ATTRIBUTE_REMOVED", where))
            elif _has_default(new_properties[name]):
                found.append(_change("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", where))
            else:
                found.append(_change("REQUIRED_ATTRIBUTE_ADDED", where))
        return found

    def _properties(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        found: list[Change] = []
        old_properties, new_properties = _properties(old), _properties(new)
        for name in sorted(old_properties.keys() | new_properties.keys()):
            where = (*path, "properties", name)
            if name not in new_properties:
                found += self._property_removed(old_properties[name], new, name, where)
            elif name not in old_properties:
                found += self._property_added(old, new, name, where)
            else:
                found += self.compare(old_properties[name], new_properties[name], where)
        return found

    def _property_removed(self, schema: Any, new: dict, name: str, where: tuple[str, ...]) -> list[Change]:
        """A property the new schema no longer declares: only its content model decides."""
        if _is_open(new):
            return [_change("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", where)]
        covering = _covering_schema(new, name)
        if covering is not _ABSENT:
            found = self.compare(schema, covering, where)
            covered = all_compatible(found)
            return [
                *found,
                _change(
                    f"PROPERTY_REMOVED_{'IS' if covered else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", where
                ),
            ]
        if self.old.follow(schema) is False:
            return [_change("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]
        return [_change("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]

    def _property_added(self, old: dict, new: dict, name: str, where: tuple[str, ...]) -> list[Change]:
        """A property the old schema did not declare: only the old content model decides."""
        schema = _properties(new)[name]
        if _is_open(old):
            if _shape(self.new.follow(schema)).kind == "empty":
                return [_change("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", where)]
            required = name in new.get("required", ())
            return [_change(f"{'REQUIRED' if required else 'OPTIONAL'}_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", where)]
        found: list[Change] = []
        covering = _covering_schema(old, name)
        if covering is not _ABSENT:
            found = self.compare(covering, schema, where)
            covered = all_compatible(found)
            found.append(
                _change(f"PROPERTY_ADDED_{'IS' if covered else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", where)
            )
        if name not in new.get("required", ()):
            found.append(_change("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", where))
        elif _has_default(schema):
            found.append(_change("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", where))
        else:
            found.append(_change("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", where))
        return found

    def _dependencies(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        found: list[Change] = []
        old_deps, new_deps = old.get("dependencies", {}), new.get("dependencies", {})
        for name in sorted(old_deps.keys() | new_deps.keys()):
            before, after = old_deps.get(name, _ABSENT), new_deps.get(name, _ABSENT)
            where = (*path, "dependencies", name)
            kind = "ARRAY" if isinstance(before if before is not _ABSENT else after, list) else "SCHEMA"
            if after is _ABSENT or before is _ABSENT:
                found.append(_change(f"DEPENDENCY_{kind}_{'REMOVED' if after is _ABSENT else 'ADDED'}", where))
            elif isinstance(before, list) and isinstance(after, list):
                if set(before) != set(after):
                    change = (
                        "EXTENDED"
                        if set(after) >= set(before)
                        else "NARROWED"
                        if set(after) <= set(before)
                        else "CHANGED"
                    )
                    found.append(_change(f"DEPENDENCY_ARRAY_{change}", where))
            elif not isinstance(before, list) and not isinstance(after, list):
                found += self.compare(before, after, where)
            else:
                found.append(_change("TYPE_CHANGED", where))
        return found

    def _additional_properties(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        where = (*path, "additionalProperties")
        before, after = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if (before is not False) != (after is not False):
            return [
                _change("ADDITIONAL_PROPERTIES_ADDED" if after is not False else "ADDITIONAL_PROPERTIES_REMOVED", where)
            ]
        if isinstance(before, bool) and isinstance(after, bool):
            return []
        if isinstance(before, bool):
            return [_change("ADDITIONAL_PROPERTIES_NARROWED", where)]
        if isinstance(after, bool):
            return [_change("ADDITIONAL_PROPERTIES_EXTENDED", where)]
        return self.compare(before, after, where)

    def _array(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        old_items, new_items = old.get("items", _ABSENT), new.get("items", _ABSENT)
        found = self.compare(
            _ABSENT if isinstance(old_items, list) else old_items,
            _ABSENT if isinstance(new_items, list) else new_items,
            (*path, "items"),
        )
        found += self._tuple_items(old, new, path)
        found += self._additional_items(old, new, path)
        found += _bound(old, new, path, "maxItems", looser="INCREASED")
        found += _bound(old, new, path, "minItems", looser="DECREASED")
        if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
            found.append(
                _change("UNIQUE_ITEMS_REMOVED" if old.get("uniqueItems") else "UNIQUE_ITEMS_ADDED", path, "uniqueItems")
            )
        return found

    def _tuple_items(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        old_items = old["items"] if isinstance(old.get("items"), list) else []
        new_items = new["items"] if isinstance(new.get("items"), list) else []
        found: list[Change] = []
        for index in range(max(len(old_items), len(new_items))):
            where = (*path, f"items/{index}")
            if index < len(old_items) and index < len(new_items):
                found += self.compare(old_items[index], new_items[index], where)
            elif index < len(old_items):
                found += self._item_removed(old_items[index], new, where)
            else:
                found += self._item_added(old, new_items[index], where)
        return found

    def _item_removed(self, schema: Any, new: dict, where: tuple[str, ...]) -> list[Change]:
        if _items_open(new):
            return [_change("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", where)]
        if isinstance(new.get("additionalItems"), dict):
            found = self.compare(schema, new["additionalItems"], where)
            covered = all_compatible(found)
            return [
                *found,
                _change(f"ITEM_REMOVED_{'IS' if covered else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", where),
            ]
        if self.old.follow(schema) is False:
            return [_change("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]
        return [_change("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]

    def _item_added(self, old: dict, schema: Any, where: tuple[str, ...]) -> list[Change]:
        if _items_open(old):
            empty = _shape(self.new.follow(schema)).kind == "empty"
            return [
                _change(
                    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
                    if empty
                    else "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
                    where,
                )
            ]
        if isinstance(old.get("additionalItems"), dict):
            found = self.compare(old["additionalItems"], schema, where)
            covered = all_compatible(found)
            return [
                *found,
                _change(f"ITEM_ADDED_{'IS' if covered else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", where),
            ]
        return [_change("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", where)]

    def _additional_items(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        where = (*path, "additionalItems")
        before, after = old.get("additionalItems", True), new.get("additionalItems", True)
        if (before is not False) != (after is not False):
            return [_change("ADDITIONAL_ITEMS_REMOVED" if before is not False else "ADDITIONAL_ITEMS_ADDED", where)]
        if isinstance(before, bool) and isinstance(after, bool):
            return []
        if isinstance(before, bool):
            return [_change("ADDITIONAL_ITEMS_NARROWED", where)]
        if isinstance(after, bool):
            return [_change("ADDITIONAL_ITEMS_EXTENDED", where)]
        return self.compare(before, after, where)


# -- what kind of schema a node is ------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """A node classified as Confluent's JSON Schema library sees it: one kind, or a combination of parts."""

    kind: str
    node: Any
    criterion: str = ""
    parts: tuple[Any, ...] = ()


def _shape(node: Any) -> _Shape:
    """What ``node`` is; a shape already made (a part of a combination) stays as it is."""
    if isinstance(node, _Shape):
        return node
    if node is False:
        return _Shape("false", node)
    if node is True or not isinstance(node, dict):
        return _Shape("empty", node)
    facets = list(_facets(node))
    if not facets:
        return _Shape("empty", node)
    if len(facets) == 1:
        return facets[0]
    return _Shape("combined", node, "allOf", tuple(facets))  # several constraints: all must hold


def _facets(node: dict) -> Iterator[_Shape]:
    """The separate constraints a schema object makes: its type(s), enum, const, combiners, not."""
    types = node.get("type")
    if isinstance(types, list) and len(types) != 1:
        parts = tuple({**_type_keywords(node), "type": kind} for kind in types)
        yield _Shape("combined", node, "anyOf", parts)
    else:
        kind = types[0] if isinstance(types, list) else types
        inferred = kind or _inferred_type(node)
        if inferred:
            yield _Shape(_KINDS.get(inferred, "empty"), {**_type_keywords(node), "type": inferred})
    if "enum" in node:
        yield _Shape("enum", {"enum": node["enum"]})
    if "const" in node:
        yield _Shape("const", {"const": node["const"]})
    for criterion in _COMBINERS:
        if criterion in node:
            yield _Shape("combined", node, criterion, tuple(node[criterion]))
    if "not" in node:
        yield _Shape("not", {"not": node["not"]})


_KINDS = {"string": "string", "number": "number", "integer": "number", "object": "object", "array": "array"}
_KINDS |= {"boolean": "boolean", "null": "null"}


def _type_keywords(node: dict) -> dict:
    return {key: value for key, value in node.items() if key not in ("enum", "const", "not", *_COMBINERS)}


def _inferred_type(node: dict) -> str | None:
    """The type a schema without ``type`` constrains through its keywords (``properties`` means object)."""
    for kind, words in (("object", _OBJECT_WORDS), ("array", _ARRAY_WORDS), ("string", _STRING_WORDS)):
        if words & node.keys():
            return kind
    return "number" if _NUMBER_WORDS & node.keys() else None


def _criterion_change(old: _Shape, new: _Shape) -> str | None:
    if old.criterion == new.criterion:
        return None
    if new.criterion == "anyOf":
        return "COMBINED_TYPE_EXTENDED"
    if new.criterion == "oneOf" and len(old.parts) == 1:
        return "COMBINED_TYPE_EXTENDED"
    if new.criterion == "allOf" and len(old.parts) == 1 and len(new.parts) == 1:
        return "COMBINED_TYPE_EXTENDED"
    return "COMBINED_TYPE_CHANGED"


# -- small helpers ----------------------------------------------------------------------------


def _properties(node: dict) -> dict[str, Any]:
    properties = node.get("properties", {})
    return properties if isinstance(properties, dict) else {}


def _has_default(schema: Any) -> bool:
    return isinstance(schema, dict) and "default" in schema


def _is_open(node: dict) -> bool:
    """Open content model: any undeclared property, of any type, may appear."""
    return not node.get("patternProperties") and node.get("additionalProperties", True) is True


def _items_open(node: dict) -> bool:
    return node.get("additionalItems", True) is True


def _covering_schema(node: dict, name: str) -> Any:
    """The schema a partially open object gives an undeclared property ``name``; _ABSENT when closed."""
    for pattern, schema in (node.get("patternProperties") or {}).items():
        if re.search(pattern, name):
            return schema
    additional = node.get("additionalProperties", True)
    return additional if isinstance(additional, dict) else _ABSENT


def _is_integer(node: dict) -> bool:
    return node.get("type") == "integer"


def _bound(old: dict, new: dict, path: tuple[str, ...], keyword: str, looser: str) -> list[Change]:
    """A numeric keyword added, removed, or moved; ``looser`` is the direction that accepts more data."""
    before, after = _number_or_none(old.get(keyword)), _number_or_none(new.get(keyword))
    if before == after:
        return []
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", keyword).upper()
    if before is None or after is None:
        return [_change(_presence(name, before, after), path, keyword)]
    return [_change(f"{name}_{'INCREASED' if after > before else 'DECREASED'}", path, keyword)]


def _number_or_none(value: Any) -> int | float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _presence(name: str, before: Any, after: Any) -> str:
    if before is None:
        return f"{name}_ADDED"
    if after is None:
        return f"{name}_REMOVED"
    return f"{name}_CHANGED"


def _multiple_of(before: Any, after: Any, path: tuple[str, ...]) -> list[Change]:
    before, after = _number_or_none(before), _number_or_none(after)
    if before == after:
        return []
    if before is None or after is None:
        return [_change(_presence("MULTIPLE_OF", before, after), path, "multipleOf")]
    old_step, new_step = Fraction(str(before)), Fraction(str(after))
    if (new_step / old_step).denominator == 1:
        return [_change("MULTIPLE_OF_EXPANDED", path, "multipleOf")]
    if (old_step / new_step).denominator == 1:
        return [_change("MULTIPLE_OF_REDUCED", path, "multipleOf")]
    return [_change("MULTIPLE_OF_CHANGED", path, "multipleOf")]


def _value_set(values: Any) -> frozenset[str]:
    return frozenset(json.dumps(value, sort_keys=True) for value in values) if isinstance(values, list) else frozenset()


def _distinct(parts: tuple[Any, ...]) -> list[Any]:
    """Subschemas with duplicates collapsed, first spelling kept (Confluent uses an ordered set)."""
    seen: dict[str, Any] = {}
    for part in parts:
        seen.setdefault(json.dumps(part, sort_keys=True, default=str), part)
    return list(seen.values())


def _maximum_matching(left: int, right: int, edges: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """A largest set of (left, right) edges sharing no end (augmenting paths; the sets are small)."""
    partner: dict[int, int] = {}

    def augment(i: int, visited: set[int]) -> bool:
        for j in range(right):
            if (i, j) in edges and j not in visited:
                visited.add(j)
                if j not in partner or augment(partner[j], visited):
                    partner[j] = i
                    return True
        return False

    for i in range(left):
        augment(i, set())
    return {(i, j) for j, i in partner.items()}


def _pointer(document: Any, pointer: str) -> Any:
    node = document
    for token in pointer.split("/")[1:] if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _change(kind: str, path: tuple[str, ...], *more: str) -> Change:
    return Change(kind, "#/" + "/".join((*path, *more)))


# -- Confluent's wording: {reader} and {writer} name the schemas ("new"/"old"), {path} the place --------

_WORDING: tuple[tuple[frozenset[str], str], ...] = (
    (
        frozenset(
            [
                "MAXIMUM_ADDED",
                "MINIMUM_ADDED",
                "EXCLUSIVE_MAXIMUM_ADDED",
                "EXCLUSIVE_MINIMUM_ADDED",
                "MULTIPLE_OF_ADDED",
                "MAX_LENGTH_ADDED",
                "MIN_LENGTH_ADDED",
                "PATTERN_ADDED",
                "REQUIRED_ATTRIBUTE_ADDED",
                "MAX_PROPERTIES_ADDED",
                "MIN_PROPERTIES_ADDED",
                "DEPENDENCY_ARRAY_ADDED",
                "DEPENDENCY_SCHEMA_ADDED",
                "MAX_ITEMS_ADDED",
                "MIN_ITEMS_ADDED",
                "UNIQUE_ITEMS_ADDED",
                "ADDITIONAL_ITEMS_REMOVED",
                "ADDITIONAL_PROPERTIES_REMOVED",
            ]
        ),
        "The keyword at path '{path}' in the {reader} schema is not present in the {writer} schema",
    ),
    (
        frozenset(
            [
                "MIN_LENGTH_INCREASED",
                "MINIMUM_INCREASED",
                "EXCLUSIVE_MINIMUM_INCREASED",
                "MIN_PROPERTIES_INCREASED",
                "MULTIPLE_OF_EXPANDED",
                "MIN_ITEMS_INCREASED",
            ]
        ),
        "The value at path '{path}' in the {reader} schema is more than its value in the {writer} schema",
    ),
    (
        frozenset(
            [
                "MAX_LENGTH_DECREASED",
                "MAXIMUM_DECREASED",
                "MAX_ITEMS_DECREASED",
                "EXCLUSIVE_MAXIMUM_DECREASED",
                "MAX_PROPERTIES_DECREASED",
            ]
        ),
        "The value at path '{path}' in the {reader} schema is less than its value in the {writer} schema",
    ),
    (
        frozenset({"PATTERN_CHANGED", "MULTIPLE_OF_CHANGED", "DEPENDENCY_ARRAY_CHANGED"}),
        "The value at path '{path}' is different between the {reader} and {writer} schema",
    ),
    (
        frozenset(
            {"ADDITIONAL_ITEMS_NARROWED", "ENUM_ARRAY_NARROWED", "SUM_TYPE_NARROWED", "ADDITIONAL_PROPERTIES_NARROWED"}
        ),
        "An array or combined type at path '{path}' has fewer elements in the {reader} schema than the {writer} schema",
    ),
    (
        frozenset({"DEPENDENCY_ARRAY_EXTENDED", "PRODUCT_TYPE_EXTENDED", "SUM_TYPE_EXTENDED", "NOT_TYPE_EXTENDED"}),
        "An array or combined type at path '{path}' has more elements in the {reader} schema than the {writer} schema",
    ),
    (
        frozenset(
            [
                "TYPE_CHANGED",
                "TYPE_NARROWED",
                "COMBINED_TYPE_CHANGED",
                "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
                "ENUM_ARRAY_CHANGED",
            ]
        ),
        "A type at path '{path}' is different between the {reader} schema and the {writer} schema",
    ),
    (
        frozenset(
            [
                "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
            ]
        ),
        "The {reader} schema has an open content model and has a property or item at path '{path}' which is"
        " missing in the {writer} schema",
    ),
    (
        frozenset({"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"}),
        "The {reader} schema has an unopen content model and has a required property at path '{path}' which is"
        " missing in the {writer} schema",
    ),
    (
        frozenset({"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"}),
        "The {reader} schema has a closed content model and is missing a property or item present at path"
        " '{path}' in the {writer} schema",
    ),
    (
        frozenset(
            {
                "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            }
        ),
        "A property or item is missing in the {reader} schema but present at path '{path}' in the {writer}"
        " schema and is not covered by its partially open content model",
    ),
    (
        frozenset(
            {
                "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            }
        ),
        "The {reader} schema has a property or item at path '{path}' which is missing in the {writer} schema"
        " and is not covered by its partially open content model",
    ),
)


def _message(change: Change, reader: str, writer: str) -> str:
    """A change as Confluent reports it: ``{errorType:"...", description:"..."}``."""
    template = next((words for kinds, words in _WORDING if change.kind in kinds), "")
    description = template.format(path=change.path, reader=reader, writer=writer)
    return f'{{errorType:"{change.kind}", description:"{description}"}}'
