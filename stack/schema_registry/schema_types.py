"""Which schema types this registry speaks, and the parser of each.

AVRO and JSON (JSON Schema) are parsed here; PROTOBUF is not supported. A type without a parser is
refused exactly as Confluent's Schema Registry refuses a type it has no provider for: 422 with
``error_code`` 42201 and the message ``Invalid schema type PROTOBUF``.
"""

from __future__ import annotations

from collections.abc import Callable

from stack.schema_registry import json_schemas, schemas
from stack.schema_registry.errors import Errors, RegistryError
from stack.schema_registry.schemas import AVRO, ParsedSchema, Resolver, SchemaText

JSON = json_schemas.JSON
_PARSERS: dict[str, Callable[[SchemaText, Resolver], ParsedSchema]] = {
    JSON: json_schemas.parse,
    AVRO: schemas.parse,
}
# In the order Confluent's /schemas/types lists them (its provider map's order), PROTOBUF left out.
SUPPORTED_TYPES = tuple(_PARSERS)


def parse(source: SchemaText, resolve: Resolver) -> ParsedSchema:
    """Validate ``source`` with its type's parser; 42201 for an invalid schema or an unknown type."""
    parser = _PARSERS.get(source.schema_type)
    if parser is None:
        raise RegistryError(Errors.INVALID_SCHEMA, f"Invalid schema type {source.schema_type}")
    return parser(source, resolve)
