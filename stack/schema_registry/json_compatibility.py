"""Confluent's compatibility rules for JSON Schema, as pure functions over two schema documents.

JSON Schema has no reader/writer resolution like Avro's, so Confluent decides compatibility from the
*changes* between an older (writer) schema and a newer (reader) one: :func:`changes` walks both and
names each difference with Confluent's ``Difference.Type``; a reader can read the writer's data when
every change is in :data:`~.json_differences.COMPATIBLE`. BACKWARD reads the old schema's data with the new one, FORWARD
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

This module walks the two documents; :mod:`.json_shapes` says what kind of schema a node is, and
:mod:`.json_differences` holds Confluent's names, verdicts and wording of the differences found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stack.schema_registry.compatibility import Level
from stack.schema_registry.json_differences import (
    Change,
    all_compatible,
    bound,
    change,
    keyword_name,
    message,
    multiple_of,
    presence,
)
from stack.schema_registry.json_schemas import resolve_pointer
from stack.schema_registry.json_shapes import (
    ABSENT,
    Shape,
    covering_schema,
    criterion_change,
    declared_properties,
    distinct,
    has_default,
    is_integer,
    is_open,
    items_open,
    shape,
    value_set,
)


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
        found = resolve_pointer(base, pointer) if base is not None else None
        return {} if found is None else found


def changes(old: Document, new: Document) -> list[Change]:
    """Every difference from ``old`` (the writer's schema) to ``new`` (the reader's)."""
    return _Comparison(old, new).compare(old.root, new.root, ())


def read_problems(reader: Document, writer: Document, reader_name: str, writer_name: str) -> list[str]:
    """Why data valid under ``writer`` may not be valid under ``reader``, in Confluent's words; empty when it is."""
    return [message(found, reader_name, writer_name) for found in changes(writer, reader) if not found.compatible]


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
        if old is ABSENT and new is ABSENT:
            return []
        if old is ABSENT:
            return [change("SCHEMA_ADDED", path)]
        if new is ABSENT:
            return [change("SCHEMA_REMOVED", path)]
        old, new = self.old.follow(old), self.new.follow(new)
        pair = (id(old), id(new))
        if pair in self.active:
            return []
        self.active.add(pair)
        try:
            return self._compare(shape(old), shape(new), path)
        finally:
            self.active.discard(pair)

    def _compare(self, old: Shape, new: Shape, path: tuple[str, ...]) -> list[Change]:
        if old.kind != "combined" and new.kind == "combined":
            if len(new.parts) == 1:
                found = self.compare(old.node, new.parts[0], path)
                if all_compatible(found):
                    return found
            elif new.criterion in ("anyOf", "oneOf"):
                for part in new.parts:
                    found = self.compare(old.node, part, path)
                    if all_compatible(found):
                        return [*found, change("SUM_TYPE_EXTENDED", path)]
        elif old.kind == "combined" and new.kind != "combined" and len(old.parts) == 1:
            found = self.compare(old.parts[0], new.node, path)
            if all_compatible(found):
                return found
        if old.kind != new.kind:
            return [] if old.kind == "false" or new.kind == "empty" else [change("TYPE_CHANGED", path)]
        if old.kind == "combined":
            return self._combined(old, new, path)
        compare_kind = getattr(self, f"_{old.kind}", None)
        return compare_kind(old.node, new.node, path) if compare_kind else []

    # -- one method per kind of schema ----------------------------------------------------------

    def _string(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        found = bound(old, new, path, "maxLength", looser="INCREASED")
        found += bound(old, new, path, "minLength", looser="DECREASED")
        if old.get("pattern") != new.get("pattern"):
            found.append(change(presence("PATTERN", old.get("pattern"), new.get("pattern")), path, "pattern"))
        return found

    def _number(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        found = bound(old, new, path, "maximum", looser="INCREASED")
        found += bound(old, new, path, "minimum", looser="DECREASED")
        found += bound(old, new, path, "exclusiveMaximum", looser="INCREASED")
        found += bound(old, new, path, "exclusiveMinimum", looser="DECREASED")
        found += multiple_of(old.get("multipleOf"), new.get("multipleOf"), path)
        old_integer, new_integer = is_integer(old), is_integer(new)
        if old_integer != new_integer:
            found.append(change("TYPE_EXTENDED" if old_integer else "TYPE_NARROWED", path))
        return found

    def _enum(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        before, after = value_set(old["enum"]), value_set(new["enum"])
        if before == after:
            return []
        kind = "EXTENDED" if after >= before else "NARROWED" if after <= before else "CHANGED"
        return [change(f"ENUM_ARRAY_{kind}", path, "enum")]

    def _const(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        same = value_set([old["const"]]) == value_set([new["const"]])
        return [] if same else [change("ENUM_ARRAY_CHANGED", path, "const")]

    def _not(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        inner = (*path, "not")
        reversed_changes = self.compare(new["not"], old["not"], inner)  # what must not match: reversed roles
        return [change("NOT_TYPE_NARROWED" if all_compatible(reversed_changes) else "NOT_TYPE_EXTENDED", inner)]

    def _combined(self, old_shape: Shape, new_shape: Shape, path: tuple[str, ...]) -> list[Change]:
        recombined = criterion_change(old_shape, new_shape)
        if recombined == "COMBINED_TYPE_CHANGED":
            return [change(recombined, path)]
        found = [change(recombined, path)] if recombined else []
        old_parts, new_parts = distinct(old_shape.parts), distinct(new_shape.parts)
        if len(old_parts) != len(new_parts):
            product = new_shape.criterion == "allOf"
            wider = len(old_parts) < len(new_parts)
            found.append(change(f"{'PRODUCT' if product else 'SUM'}_TYPE_{'EXTENDED' if wider else 'NARROWED'}", path))
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
            found.append(change("COMBINED_TYPE_SUBSCHEMAS_CHANGED", path))
        return found

    def _object(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        return [
            *self._required(old, new, path),
            *self._properties(old, new, path),
            *self._dependencies(old, new, path),
            *self._additional(old, new, path, "additionalProperties"),
            *bound(old, new, path, "maxProperties", looser="INCREASED"),
            *bound(old, new, path, "minProperties", looser="DECREASED"),
        ]

    def _required(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        found = []
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        new_properties = declared_properties(new)
        for name in declared_properties(old):
            if name not in new_properties or (name in old_required) == (name in new_required):
                continue
            where = (*path, "required", name)
            if name in old_required:
                found.append(change("REQUIRED_ATTRIBUTE_REMOVED", where))
            elif has_default(new_properties[name]):
                found.append(change("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", where))
            else:
                found.append(change("REQUIRED_ATTRIBUTE_ADDED", where))
        return found

    def _properties(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        found: list[Change] = []
        old_properties, new_properties = declared_properties(old), declared_properties(new)
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
        if is_open(new):
            return [change("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", where)]
        covering = covering_schema(new, name)
        if covering is not ABSENT:
            return self._covered(schema, covering, where, "PROPERTY_REMOVED")
        if self.old.follow(schema) is False:
            return [change("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]
        return [change("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]

    def _property_added(self, old: dict, new: dict, name: str, where: tuple[str, ...]) -> list[Change]:
        """A property the old schema did not declare: only the old content model decides."""
        schema = declared_properties(new)[name]
        if is_open(old):
            if shape(self.new.follow(schema)).kind == "empty":
                return [change("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", where)]
            required = name in new.get("required", ())
            return [change(f"{'REQUIRED' if required else 'OPTIONAL'}_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", where)]
        covering = covering_schema(old, name)
        found = [] if covering is ABSENT else self._covered(covering, schema, where, "PROPERTY_ADDED")
        if name not in new.get("required", ()):
            found.append(change("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", where))
        elif has_default(schema):
            found.append(change("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", where))
        else:
            found.append(change("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", where))
        return found

    def _dependencies(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        found: list[Change] = []
        old_deps, new_deps = old.get("dependencies", {}), new.get("dependencies", {})
        for name in sorted(old_deps.keys() | new_deps.keys()):
            before, after = old_deps.get(name, ABSENT), new_deps.get(name, ABSENT)
            where = (*path, "dependencies", name)
            kind = "ARRAY" if isinstance(before if before is not ABSENT else after, list) else "SCHEMA"
            if after is ABSENT or before is ABSENT:
                found.append(change(f"DEPENDENCY_{kind}_{'REMOVED' if after is ABSENT else 'ADDED'}", where))
            elif isinstance(before, list) and isinstance(after, list):
                if set(before) != set(after):
                    direction = (
                        "EXTENDED"
                        if set(after) >= set(before)
                        else "NARROWED"
                        if set(after) <= set(before)
                        else "CHANGED"
                    )
                    found.append(change(f"DEPENDENCY_ARRAY_{direction}", where))
            elif not isinstance(before, list) and not isinstance(after, list):
                found += self.compare(before, after, where)
            else:
                found.append(change("TYPE_CHANGED", where))
        return found

    def _array(self, old: dict, new: dict, path: tuple[str, ...]) -> list[Change]:
        old_items, new_items = old.get("items", ABSENT), new.get("items", ABSENT)
        found = self.compare(
            ABSENT if isinstance(old_items, list) else old_items,
            ABSENT if isinstance(new_items, list) else new_items,
            (*path, "items"),
        )
        found += self._tuple_items(old, new, path)
        found += self._additional(old, new, path, "additionalItems")
        found += bound(old, new, path, "maxItems", looser="INCREASED")
        found += bound(old, new, path, "minItems", looser="DECREASED")
        if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
            found.append(
                change("UNIQUE_ITEMS_REMOVED" if old.get("uniqueItems") else "UNIQUE_ITEMS_ADDED", path, "uniqueItems")
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
        if items_open(new):
            return [change("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", where)]
        if isinstance(new.get("additionalItems"), dict):
            return self._covered(schema, new["additionalItems"], where, "ITEM_REMOVED")
        if self.old.follow(schema) is False:
            return [change("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]
        return [change("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]

    def _item_added(self, old: dict, schema: Any, where: tuple[str, ...]) -> list[Change]:
        if items_open(old):
            empty = shape(self.new.follow(schema)).kind == "empty"
            return [
                change(
                    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
                    if empty
                    else "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
                    where,
                )
            ]
        if isinstance(old.get("additionalItems"), dict):
            return self._covered(old["additionalItems"], schema, where, "ITEM_ADDED")
        return [change("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", where)]

    def _covered(self, old: Any, new: Any, where: tuple[str, ...], prefix: str) -> list[Change]:
        """A property or item only one side declares, against the schema the other side's partially open
        content model gives it: the changes between the two, then whether that schema covers it."""
        found = self.compare(old, new, where)
        covered = "IS" if all_compatible(found) else "NOT"
        return [*found, change(f"{prefix}_{covered}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", where)]

    def _additional(self, old: dict, new: dict, path: tuple[str, ...], keyword: str) -> list[Change]:
        """``additionalProperties`` or ``additionalItems``: each side false, true (or absent) or a schema."""
        where, name = (*path, keyword), keyword_name(keyword)
        before, after = old.get(keyword, True), new.get(keyword, True)
        if (before is not False) != (after is not False):
            return [change(f"{name}_{'ADDED' if after is not False else 'REMOVED'}", where)]
        if isinstance(before, bool) and isinstance(after, bool):
            return []
        if isinstance(before, bool):
            return [change(f"{name}_NARROWED", where)]
        if isinstance(after, bool):
            return [change(f"{name}_EXTENDED", where)]
        return self.compare(before, after, where)


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
