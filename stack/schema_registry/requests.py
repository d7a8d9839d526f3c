"""The Schema Registry's request bodies as typed objects, read at the HTTP edge.

Handlers build these from the JSON body (and the path's subject) before calling
:class:`~.registry.SchemaRegistryService`, which never sees raw JSON. Each reader refuses a body in
the order and with the code Confluent's does (a missing body 422, a bad schema field 42201, a bad
level 42203, a bad mode 42204, a bad subject name 42208); the order of checks is part of the
answer, so it is kept here as one sequence per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stack.common.jsontext import dumps
from stack.schema_registry import compatibility, schemas
from stack.schema_registry.compatibility import Level
from stack.schema_registry.errors import Errors, RegistryError
from stack.schema_registry.schemas import AVRO, Reference, SchemaText

MODES = ("READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT")
MAX_INT = 2**31 - 1
# Java's Integer.parseInt: an optional sign and decimal digits of any script (\d is Unicode here).
_JAVA_INT = re.compile(r"[+-]?\d+")
# Java's String.trim() removes every character up to U+0020, control characters included.
_JAVA_BLANKS = "".join(chr(code) for code in range(0x21))


@dataclass(frozen=True)
class RegisterRequest:
    """``POST /subjects/{subject}/versions``: a schema, and in IMPORT mode the id and version to give it."""

    subject: str
    schema: SchemaText
    schema_id: int | None = None
    version: int | None = None

    @classmethod
    def read(cls, subject: str, body: object) -> RegisterRequest:
        check_subject(subject)
        schema = schema_of(body)
        return cls(subject, schema, _optional_int(body, "id"), _optional_int(body, "version"))


@dataclass(frozen=True)
class ConfigRequest:
    """``PUT /config[/{subject}]``: the settings to change; None leaves one as it is."""

    subject: str | None
    level: Level | None
    normalize: bool | None

    @classmethod
    def read(cls, subject: str | None, body: object) -> ConfigRequest:
        fields = _request_object(body)
        requested = fields.get("compatibility", fields.get("compatibilityLevel"))
        level = compatibility.parse_level(requested)
        if requested is not None and level is None:
            raise invalid_level()
        if subject is not None:
            check_subject(subject)
        normalize = fields.get("normalize")
        if normalize is not None and not isinstance(normalize, bool):
            raise RegistryError(Errors.INVALID_COMPATIBILITY_LEVEL, "normalize must be true or false")
        return cls(subject, level, normalize)


@dataclass(frozen=True)
class ModeRequest:
    """``PUT /mode[/{subject}]``: the mode to set; None clears it (Confluent 7.7.4+)."""

    subject: str | None
    mode: str | None

    @classmethod
    def read(cls, subject: str | None, body: object) -> ModeRequest:
        if subject is not None:
            check_subject(subject)
        requested = _request_object(body).get("mode")
        if requested is None:
            return cls(subject, None)
        mode = str(requested).upper()
        if isinstance(requested, (dict, list)) or mode not in MODES:
            raise RegistryError(Errors.INVALID_MODE, f"Invalid mode. Valid values are {', '.join(MODES)}")
        return cls(subject, mode)


def schema_of(body: object) -> SchemaText:
    """The schema, type and references of a register, lookup or compatibility request body."""
    fields = _request_object(body)
    text = fields.get("schema")
    if not isinstance(text, str) or not text.strip():
        raise schemas.invalid("the request needs a non-empty string in 'schema'")
    schema_type = fields.get("schemaType") or AVRO
    if not isinstance(schema_type, str):
        raise schemas.invalid("'schemaType' must be a string")
    references = fields.get("references") or []
    if not isinstance(references, list):
        raise schemas.invalid("'references' must be a list")
    return SchemaText(text, schema_type.upper(), tuple(_reference(item) for item in references))


def version_number(version_id: str) -> int | None:
    """The version a path segment names; None for the latest. 42202 otherwise.

    Read as Confluent's ``VersionId`` reads it: trimmed, ``latest`` in any letter case, else a Java
    ``int`` (so ``+1`` and `` 1`` are version 1) that is positive or -1 (the latest).
    """
    text = version_id.strip(_JAVA_BLANKS)
    if text.lower() == "latest":
        return None
    try:
        number = int(text) if _JAVA_INT.fullmatch(text) else 0
    except ValueError:  # more digits than Python converts; no valid version has that many
        number = 0
    if number == -1:
        return None
    if 1 <= number <= MAX_INT:
        return number
    raise RegistryError(
        Errors.INVALID_VERSION,
        f"The specified version '{version_id}' is not a valid version id. "
        f'Allowed values are between [1, 2^31-1] and the string "latest"',
    )


def check_subject(subject: str) -> None:
    """Refuse the subject names Confluent refuses (``QualifiedSubject``): control characters, ``__GLOBAL``."""
    if subject == "__GLOBAL" or any(_is_control(c) for c in subject):
        shown = "".join(f"\\u{ord(c):04x}" if _is_control(c) else c for c in subject)
        raise RegistryError(Errors.INVALID_SUBJECT, f"The specified subject '{shown}' is not a valid subject")


def invalid_level() -> RegistryError:
    levels = ", ".join(level.value for level in Level)
    return RegistryError(Errors.INVALID_COMPATIBILITY_LEVEL, f"Invalid compatibility level. Valid values are {levels}")


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def _request_object(body: object) -> dict[str, Any]:
    """A request body that must be there: a missing one is 422, as Java's @NotNull makes it."""
    if not isinstance(body, dict):
        raise RegistryError(Errors.UNPROCESSABLE_ENTITY, "The request body must be a JSON object")
    return body


def _reference(item: object) -> Reference:
    if isinstance(item, dict):
        name, subject, version = item.get("name"), item.get("subject"), item.get("version")
        if (
            isinstance(name, str)
            and isinstance(subject, str)
            and isinstance(version, int)
            and not isinstance(version, bool)
            and (version == -1 or 1 <= version <= MAX_INT)
        ):
            return Reference(name, subject, version)
    raise schemas.invalid(
        f"a reference needs 'name', 'subject' and 'version' (a positive integer or -1): {dumps(item)}"
    )


def _optional_int(body: object, key: str) -> int | None:
    """An id or version a client asked for; None when absent or when it lets the registry choose (<= 0)."""
    value = body.get(key) if isinstance(body, dict) else None
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value > MAX_INT:
        raise RegistryError(Errors.UNPROCESSABLE_ENTITY, f"'{key}' must be an integer")
    return value if value > 0 else None
