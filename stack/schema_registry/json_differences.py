"""Confluent's names for the differences between two JSON schemas (its ``Difference.Type``).

Which differences a reader of the other schema's data tolerates (:data:`COMPATIBLE`), the
differences of one numeric keyword, and how Confluent words each incompatible difference in a
compatibility error (:func:`message`). :mod:`.json_compatibility` finds the differences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

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


@dataclass(frozen=True)
class Change:
    """One difference between two schemas: Confluent's type name and the JSON path where it is."""

    kind: str
    path: str

    @property
    def compatible(self) -> bool:
        return self.kind in COMPATIBLE


def all_compatible(found: list[Change]) -> bool:
    return all(item.compatible for item in found)


def change(kind: str, path: tuple[str, ...], *more: str) -> Change:
    """A difference at ``path`` (and the keywords ``more`` below it), its path written as Confluent writes it."""
    return Change(kind, "#/" + "/".join((*path, *more)))


def bound(old: dict, new: dict, path: tuple[str, ...], keyword: str, looser: str) -> list[Change]:
    """A numeric keyword added, removed, or moved; ``looser`` is the direction that accepts more data."""
    before, after = number_or_none(old.get(keyword)), number_or_none(new.get(keyword))
    if before == after:
        return []
    name = keyword_name(keyword)
    if before is None or after is None:
        return [change(presence(name, before, after), path, keyword)]
    return [change(f"{name}_{'INCREASED' if after > before else 'DECREASED'}", path, keyword)]


def keyword_name(keyword: str) -> str:
    """A keyword as Confluent's difference names spell it: ``maxLength`` -> ``MAX_LENGTH``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", keyword).upper()


def number_or_none(value: Any) -> int | float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def presence(name: str, before: Any, after: Any) -> str:
    if before is None:
        return f"{name}_ADDED"
    if after is None:
        return f"{name}_REMOVED"
    return f"{name}_CHANGED"


def multiple_of(before: Any, after: Any, path: tuple[str, ...]) -> list[Change]:
    before, after = number_or_none(before), number_or_none(after)
    if before == after:
        return []
    if before is None or after is None:
        return [change(presence("MULTIPLE_OF", before, after), path, "multipleOf")]
    old_step, new_step = Fraction(str(before)), Fraction(str(after))
    if (new_step / old_step).denominator == 1:
        return [change("MULTIPLE_OF_EXPANDED", path, "multipleOf")]
    if (old_step / new_step).denominator == 1:
        return [change("MULTIPLE_OF_REDUCED", path, "multipleOf")]
    return [change("MULTIPLE_OF_CHANGED", path, "multipleOf")]


# -- Confluent's wording: {reader} and {writer} name the schemas ("new"/"old"), {path} the place --------

WORDING: tuple[tuple[frozenset[str], str], ...] = (
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


def message(change: Change, reader: str, writer: str) -> str:
    """A change as Confluent reports it: ``{errorType:"...", description:"..."}``."""
    template = next((words for kinds, words in WORDING if change.kind in kinds), "")
    description = template.format(path=change.path, reader=reader, writer=writer)
    return f'{{errorType:"{change.kind}", description:"{description}"}}'
