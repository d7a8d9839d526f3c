"""Parsing, validating and canonicalising JSON Schema documents (``schemaType: "JSON"``).

Confluent keeps a JSON schema as the compact text of its parsed JSON, keys in the order the client
wrote them (Jackson's ``writeValueAsString`` of the tree), and compares schemas on that text: two
spellings that differ only in whitespace are one schema and get one id; a different key order is a
different schema unless the client asks for ``normalize=true``, whose form sorts every object's keys.

A schema is valid when it is a JSON object or boolean that its draft's meta-schema accepts (draft 7
unless ``$schema`` names another, as in Confluent), whose local ``$ref`` pointers resolve, and whose
references name JSON schemas that exist.
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft4Validator, Draft6Validator, Draft7Validator, Draft201909Validator, Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator

from stack.common.jsontext import dumps
from stack.schema_registry.errors import Errors, RegistryError
from stack.schema_registry.schemas import ParsedSchema, Reference, Resolver, SchemaText, referenced_schema

JSON = "JSON"

_DRAFTS: dict[str, type[Validator]] = {
    cls.META_SCHEMA["$schema"].rstrip("#"): cls
    for cls in (Draft4Validator, Draft6Validator, Draft7Validator, Draft201909Validator, Draft202012Validator)
}


def invalid(detail: str) -> RegistryError:
    """42201 worded as Confluent words a JSON schema its provider refuses."""
    return RegistryError(Errors.INVALID_SCHEMA, f"Invalid schema of type {JSON}, details: {detail}")


def parse(source: SchemaText, resolve: Resolver) -> ParsedSchema:
    """Validate ``source`` and build its canonical forms; raises 42201 when it is not a valid JSON schema."""
    try:
        document = json.loads(source.text)
    except (ValueError, RecursionError) as error:
        raise invalid(f"not JSON ({error})") from None
    if not isinstance(document, (dict, bool)):
        raise invalid(f"a JSON schema is an object or a boolean, not {dumps(document)[:40]}")
    try:
        _check_against_meta_schema(document)
        _check_local_refs(document, document)
    except RecursionError:
        raise invalid("nested too deeply") from None
    _check_references(source.references, resolve)
    return ParsedSchema(
        schema_type=JSON,
        canonical=dumps(document, compact=True),
        normalized=dumps(_sorted_keys(document), compact=True),
        references=source.references,
        resolve=resolve,
    )


def document_of(parsed: ParsedSchema) -> Any:
    """The schema as JSON values again (from its canonical text, whose key order is the client's)."""
    return json.loads(parsed.canonical)


def referenced_documents(parsed: ParsedSchema) -> dict[str, Any]:
    """Each reference's name and the JSON schema it names, for resolving ``$ref`` to other subjects."""
    found: dict[str, Any] = {}
    for reference in parsed.references:
        target = parsed.resolve(reference)
        if target is not None:
            found[reference.name] = json.loads(target.text)
    return found


def _check_against_meta_schema(document: Any) -> None:
    draft = (
        _DRAFTS.get(str(document.get("$schema", "")).rstrip("#"), Draft7Validator)
        if isinstance(document, dict)
        else Draft7Validator
    )
    try:
        draft.check_schema(document)
    except SchemaError as error:
        where = "/".join(str(step) for step in error.absolute_path)
        raise invalid(f"{error.message}{f' (at #/{where})' if where else ''}") from None


def _check_local_refs(node: Any, root: Any) -> None:
    """Every ``$ref`` that points into this document (``#/...``) must find what it points at."""
    if isinstance(node, list):
        for item in node:
            _check_local_refs(item, root)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and resolve_pointer(root, ref[1:]) is None:
            raise invalid(f"$ref {ref!r} points at nothing in the schema")
        for key, value in node.items():
            if key not in ("enum", "const", "default", "examples"):
                _check_local_refs(value, root)


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The node a JSON pointer (``/definitions/a``) names in ``document``; None when there is none."""
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


def _check_references(references: tuple[Reference, ...], resolve: Resolver) -> None:
    for reference in references:
        referenced_schema(reference, resolve, JSON, invalid)


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value
