"""Linear-time replacements for three quadratic steps of the ``avro`` package (1.12).

Registering or checking a record with 20,000 fields took seconds to minutes, all of it in the
library, not in Avro's rules:

* ``RecordSchema.make_field_objects`` refuses duplicate field names by searching a list of the names
  seen so far, once per field;
* ``RecordSchema.fields_dict``, which the compatibility checker reads once per reader field, builds a
  new name-to-field dict on every access;
* the checker memoizes pairs of schemas in a dict keyed by ``id(reader) ^ id(writer)``, and the XOR
  of two nearby addresses collides so often that lookups walk long probe chains.

:func:`install` swaps in equivalents with the same results: the library's own code still builds
every field (one at a time, so its list search stays trivial) and the duplicate check uses a set;
``fields_dict`` is computed once per schema (schemas never change after parsing); the memo key
hashes both ids together. Importing :mod:`.schemas` installs them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import avro.compatibility
import avro.errors
import avro.name
import avro.schema

_library_make_field_objects = avro.schema.RecordSchema.make_field_objects


def _make_field_objects(
    field_data: Sequence[Mapping[str, object]], names: avro.name.Names, validate_names: bool = True
) -> list[avro.schema.Field]:
    fields: list[avro.schema.Field] = []
    seen: set[str] = set()
    for item in field_data:
        (field,) = _library_make_field_objects([item], names, validate_names=validate_names)
        if field.name in seen:
            raise avro.errors.SchemaParseException(f"Field name {field.name} already in use.")
        seen.add(field.name)
        fields.append(field)
    return fields


def _pair_hash(pair: avro.compatibility.ReaderWriter) -> int:
    return hash((id(pair.reader), id(pair.writer)))


def install() -> None:
    """Patch the ``avro`` classes once; later calls do nothing."""
    record = avro.schema.RecordSchema
    if isinstance(record.__dict__["fields_dict"], functools.cached_property):
        return
    record.make_field_objects = staticmethod(_make_field_objects)
    fields_dict = functools.cached_property(record.__dict__["fields_dict"].fget)
    fields_dict.__set_name__(record, "fields_dict")
    record.fields_dict = fields_dict
    avro.compatibility.ReaderWriter.__hash__ = _pair_hash
