"""Parsing, validating and canonicalising the schemas clients register.

Confluent compares schemas on a canonical text, never on the bytes a client sent, so two texts that
differ only in whitespace, key order or redundant namespaces are the same schema and get the same id.
This module turns a client's text into a :class:`ParsedSchema` carrying

* ``canonical``: the form Confluent stores and compares (Java Avro's ``Schema.toString()`` layout:
  short names relative to the enclosing namespace, reserved keys in a fixed order);
* ``normalized``: the form used when a client asks for ``normalize=true`` (every name fully
  qualified, properties sorted), so that more spellings of one schema collapse to one id;
* ``avro``: the ``avro`` package's schema object that :mod:`.compatibility` checks, built only when
  a check needs it: it costs a second parse, and most registrations and lookups check nothing.

JSON Schema is parsed by :mod:`.json_schemas`; :mod:`.schema_types` picks the parser for a type.
A lone surrogate in the text stays an escape (``\\ud800``) in both forms, as Confluent keeps it.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import avro.errors
import avro.name
import avro.schema

from stack.common.jsontext import dumps
from stack.schema_registry import avro_speedups
from stack.schema_registry.errors import Errors, RegistryError

AVRO = "AVRO"

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})
_RESERVED = frozenset({"type", "name", "namespace", "doc", "aliases", "fields", "symbols", "size", "items", "values"})
_FIELD_RESERVED = frozenset({"name", "type", "doc", "default", "order", "aliases"})
_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)

avro_speedups.install()


@dataclass(frozen=True)
class Reference:
    """A named type this schema uses that another subject's version defines."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True)
class SchemaText:
    """A schema as stored: its text, its type and the references its text needs to parse."""

    text: str
    schema_type: str = AVRO
    references: tuple[Reference, ...] = ()


# Looks up the stored schema a reference points to; None when there is no such version.
Resolver = Callable[[Reference], SchemaText | None]


@dataclass(frozen=True)
class ParsedSchema:
    """A valid schema in the forms the registry needs to store, compare and check it."""

    schema_type: str
    canonical: str
    normalized: str
    references: tuple[Reference, ...]
    resolve: Resolver = dataclass_field(repr=False, compare=False)

    @functools.cached_property
    def avro(self) -> avro.schema.Schema:
        """The schema for the compatibility checker; raises 42201 if the avro package refuses it.

        Parsed from the normalized form, whose aliases are fully qualified: the avro package's
        checker needs that to match aliases the way Java Avro does.
        """
        try:
            return _parse_avro(_errors_as_records(json.loads(self.normalized)), self.references, self.resolve)
        except RecursionError:
            raise invalid("nested too deeply") from None
        except Exception as error:  # the avro package raises many kinds of error on bad input
            raise invalid(str(error) or type(error).__name__) from None

    def text(self, normalize: bool) -> str:
        return self.normalized if normalize else self.canonical

    def identity(self, normalize: bool) -> tuple[str, str, tuple[Reference, ...]]:
        """What makes two registrations the same schema (and so the same id)."""
        return (self.schema_type, self.text(normalize), self.references)


def invalid(message: str) -> RegistryError:
    return RegistryError(Errors.INVALID_SCHEMA, f"Invalid schema: {message}")


def referenced_schema(
    reference: Reference, resolve: Resolver, schema_type: str, refuse: Callable[[str], RegistryError]
) -> SchemaText:
    """The stored schema ``reference`` names, which must be of the referring schema's type.

    Raises the 42201 that ``refuse`` (in the referring type's wording) makes when it does not exist or is
    of another type: a reference is resolved the same way whatever the schema type.
    """
    target = resolve(reference)
    if target is None:
        raise refuse(f"reference {reference.name!r} to {reference.subject!r} version {reference.version} not found")
    if target.schema_type != schema_type:
        raise refuse(f"reference {reference.name!r} is a {target.schema_type} schema")
    return target


def parse(source: SchemaText, resolve: Resolver) -> ParsedSchema:
    """Validate ``source`` and build its canonical forms; raises 42201 when it is not a valid schema."""
    if source.schema_type != AVRO:
        raise invalid(f"schema type '{source.schema_type}' is not supported here (only AVRO)")
    try:
        data = json.loads(source.text)
    except (ValueError, RecursionError) as error:
        raise invalid(f"not JSON ({error})") from None
    try:
        written = _parse_avro(data, source.references, resolve)  # validates the text as the client wrote it
        _check_defaults(written, set())
        canonical = _Writer(full_names=False).write(data)
        normalized = _Writer(full_names=True).write(data)
    except RegistryError:
        raise
    except RecursionError:
        raise invalid("nested too deeply") from None
    except Exception as error:  # the avro package raises many kinds of error on bad input
        raise invalid(str(error) or type(error).__name__) from None
    return ParsedSchema(
        schema_type=source.schema_type,
        canonical=dumps(canonical, compact=True),
        normalized=dumps(normalized, compact=True),
        references=source.references,
        resolve=resolve,
    )


def _parse_avro(data: Any, references: tuple[Reference, ...], resolve: Resolver) -> avro.schema.Schema:
    names = avro.name.Names()
    _define_references(references, resolve, names, set())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ignored logical types only warn; the schema stays valid
        return avro.schema.make_avsc_object(data, names)


def _define_references(
    references: tuple[Reference, ...], resolve: Resolver, names: avro.name.Names, seen: set[Reference]
) -> None:
    """Parse every referenced schema (depth first) into ``names`` so the main schema can use them."""
    for reference in references:
        if reference in seen:
            continue
        seen.add(reference)
        target = referenced_schema(reference, resolve, AVRO, invalid)
        _define_references(target.references, resolve, names, seen)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            avro.schema.make_avsc_object(json.loads(target.text), names)


class _Writer:
    """Writes a schema (already validated by the avro package) in canonical or normalized layout."""

    def __init__(self, full_names: bool) -> None:
        self.full_names = full_names
        self.defined: set[str] = set()

    def write(self, node: Any, namespace: str | None = None) -> Any:
        if isinstance(node, str):
            return node if node in _PRIMITIVES else self._name(self._resolve(node, namespace), namespace)
        if isinstance(node, list):
            return [self.write(branch, namespace) for branch in node]
        kind = node["type"]
        if isinstance(kind, (dict, list)):
            return self.write(kind, namespace)
        if kind in _NAMED:
            return self._named(node, namespace)
        if kind == "array":
            return {"type": "array", "items": self.write(node["items"], namespace), **self._props(node, _RESERVED)}
        if kind == "map":
            return {"type": "map", "values": self.write(node["values"], namespace), **self._props(node, _RESERVED)}
        if kind in _PRIMITIVES:
            props = self._props(node, _RESERVED)
            return {"type": kind, **props} if props else kind
        raise ValueError(f"unknown type {kind!r}")

    def _named(self, node: dict[str, Any], enclosing: str | None) -> dict[str, Any]:
        full = self._qualify(node["name"], node.get("namespace", enclosing))
        space = _namespace_of(full)
        self.defined.add(full)
        out: dict[str, Any] = {"type": node["type"]}
        if self.full_names:
            out["name"] = full
        else:
            out["name"] = full.rsplit(".", 1)[-1]
            if space != enclosing:
                out["namespace"] = space or ""
        if "doc" in node:
            out["doc"] = node["doc"]
        if node["type"] in ("record", "error"):
            out["fields"] = [self._field(field, space) for field in node["fields"]]
        elif node["type"] == "enum":
            out["symbols"] = node["symbols"]
        else:
            out["size"] = node["size"]
        out.update(self._props(node, _RESERVED))
        if node.get("aliases"):
            out["aliases"] = [self._name(self._qualify(alias, space), space) for alias in node["aliases"]]
        return out

    def _field(self, field: dict[str, Any], namespace: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"name": field["name"], "type": self.write(field["type"], namespace)}
        for key in ("doc", "default"):
            if key in field:
                out[key] = field[key]
        if field.get("order", "ascending") != "ascending":
            out["order"] = field["order"]
        out.update(self._props(field, _FIELD_RESERVED))
        if field.get("aliases"):
            out["aliases"] = list(field["aliases"])
        return out

    def _props(self, node: dict[str, Any], reserved: frozenset[str]) -> dict[str, Any]:
        return {key: node[key] for key in sorted(node) if key not in reserved}

    def _qualify(self, name: str, namespace: str | None) -> str:
        if "." in name or not namespace:
            return name
        return f"{namespace}.{name}"

    def _resolve(self, name: str, namespace: str | None) -> str:
        """A reference's full name: in the enclosing namespace if defined there, else as written."""
        qualified = self._qualify(name, namespace)
        if qualified not in self.defined and name in self.defined:
            return name
        return qualified

    def _name(self, full: str, namespace: str | None) -> str:
        if self.full_names or _namespace_of(full) != namespace:
            return full
        return full.rsplit(".", 1)[-1]


def _errors_as_records(node: Any) -> Any:
    """The same schema with ``error`` types (records in Avro protocols) spelled ``record``.

    Their data is encoded exactly like a record's; the avro package's compatibility checker only
    knows the latter.
    """
    if isinstance(node, list):
        return [_errors_as_records(branch) for branch in node]
    if not isinstance(node, dict):
        return node
    copy = dict(node)
    if copy["type"] == "error":
        copy["type"] = "record"
    if "fields" in copy:
        copy["fields"] = [{**field, "type": _errors_as_records(field["type"])} for field in copy["fields"]]
    for key in ("items", "values"):
        if key in copy:
            copy[key] = _errors_as_records(copy[key])
    return copy


def _namespace_of(full_name: str) -> str | None:
    return full_name.rsplit(".", 1)[0] if "." in full_name else None


def _check_defaults(schema: avro.schema.Schema, seen: set[int]) -> None:
    """Refuse field defaults that do not fit the field's type, as Java Avro does."""
    if id(schema) in seen:
        return
    seen.add(id(schema))
    if isinstance(schema, avro.schema.RecordSchema):
        for field in schema.fields:
            if field.has_default and not _fits(field.type, field.default):
                raise invalid(f"default {json.dumps(field.default)} of field {field.name!r} does not match its type")
            _check_defaults(field.type, seen)
    elif isinstance(schema, avro.schema.UnionSchema):
        for branch in schema.schemas:
            _check_defaults(branch, seen)
    elif isinstance(schema, avro.schema.ArraySchema):
        _check_defaults(schema.items, seen)
    elif isinstance(schema, avro.schema.MapSchema):
        _check_defaults(schema.values, seen)


def _fits(schema: avro.schema.Schema, value: Any) -> bool:
    """Whether ``value`` (JSON) is a valid default for ``schema``; unions take their first branch."""
    kind = schema.type
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("int", "long"):
        low, high = _INT_RANGE if kind == "int" else _LONG_RANGE
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if kind in ("float", "double"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind in ("bytes", "string", "fixed"):
        return isinstance(value, str)
    if kind == "enum":
        return isinstance(value, str) and value in schema.symbols
    if kind == "array":
        return isinstance(value, list) and all(_fits(schema.items, item) for item in value)
    if kind == "map":
        return isinstance(value, dict) and all(_fits(schema.values, item) for item in value.values())
    if kind == "union":
        return bool(schema.schemas) and _fits(schema.schemas[0], value)
    if kind in ("record", "error"):
        return isinstance(value, dict) and all(
            _fits(field.type, value[field.name]) if field.name in value else field.has_default
            for field in schema.fields
        )
    return False
