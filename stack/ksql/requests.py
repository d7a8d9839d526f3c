"""The KSQL server's request bodies as typed objects, read at the HTTP edge: the engine never sees JSON.

ksqlDB reads each body with Jackson into its request class (``KsqlRequest`` for ``/ksql`` and
``/query``, ``QueryStreamArgs`` for ``/query-stream``, ``CloseQueryArgs`` for ``/close-query``). A
body Jackson cannot read into it (not JSON, not an object, a field of the wrong JSON type, a
required field missing) is 400 / 40000 ``Invalid JSON in request: <why>`` (``ServerUtils``). What
Jackson coerces is taken as it does: a number or a boolean where text is expected is its text, an
integral number or numeric text where a number is expected is that number, and a field left out
or ``null`` is an empty text or no properties (``KsqlRequest``). ``/ksql`` with no statements
answers ``[]``; ``/query`` refuses it (``"ksql" field must be populated``), as ksqlDB's resources do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from stack.ksql.errors import Errors, KsqlError

JAVA_LONG = (-(2**63), 2**63 - 1)
_INTEGRAL_TEXT = re.compile(r"\s*[+-]?\d+\s*")


def invalid_json(why: str) -> KsqlError:
    """ksqlDB's answer to a body its JSON mapper cannot read into the request class."""
    return KsqlError(Errors.BAD_REQUEST, f"Invalid JSON in request: {why}")


def _object(body: object) -> dict[str, Any]:
    if body is None:
        raise invalid_json("No content to map due to end-of-input")
    if not isinstance(body, dict):
        raise invalid_json(f"Cannot deserialize the request from {_json_kind(body)} value; a JSON object is expected")
    return body


def _json_kind(value: object) -> str:
    kinds = ((bool, "Boolean"), (str, "String"), (int, "Integer"), (float, "Floating-point"), (list, "Array"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "Object")


def _text(body: dict[str, Any], name: str) -> str | None:
    """A String field: JSON text, or a number's or a boolean's JSON text, as Jackson coerces them."""
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise invalid_json(f"Cannot deserialize value of type `java.lang.String` from {_json_kind(value)} value ('{name}')")


def _properties(body: dict[str, Any], name: str) -> dict[str, Any]:
    """A ``Map<String, Object>`` field; left out or ``null``: empty."""
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        kind = _json_kind(value)
        raise invalid_json(f"Cannot deserialize value of type `java.util.Map` from {kind} value ('{name}')")
    return dict(value)


def _long(body: dict[str, Any], name: str) -> int | None:
    """A ``Long`` field: an integral number, a fraction cut to one (Jackson's default), or numeric text."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, float) or (isinstance(value, str) and _INTEGRAL_TEXT.fullmatch(value)):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_json(f"Cannot deserialize value of type `java.lang.Long` from {_json_kind(value)} ('{name}')")
    if not JAVA_LONG[0] <= value <= JAVA_LONG[1]:
        raise invalid_json(f"Numeric value ({value}) out of range of long ('{name}')")
    return value


@dataclass(frozen=True)
class KsqlRequest:
    """``POST /ksql`` and ``POST /query``: statements, the properties they run with, a command to wait for."""

    ksql: str
    streams_properties: dict[str, Any]
    command_sequence_number: int | None

    @classmethod
    def read(cls, body: object) -> KsqlRequest:
        fields = _object(body)
        return cls(
            _text(fields, "ksql") or "",
            _properties(fields, "streamsProperties"),
            _long(fields, "commandSequenceNumber"),
        )

    def single_statement(self) -> str:
        """The text of a ``/query`` request, which must hold something (ksqlDB's ``StreamedQueryResource``)."""
        if not self.ksql.strip():
            raise KsqlError(Errors.BAD_REQUEST, '"ksql" field must be populated')
        return self.ksql


@dataclass(frozen=True)
class QueryStreamRequest:
    """``POST /query-stream``: one SELECT and its properties; ``sql`` is required."""

    sql: str
    properties: dict[str, Any]

    @classmethod
    def read(cls, body: object) -> QueryStreamRequest:
        fields = _object(body)
        sql = _text(fields, "sql")
        if sql is None:
            raise invalid_json("Missing required creator property 'sql'")
        return cls(sql, _properties(fields, "properties"))


@dataclass(frozen=True)
class CloseQueryRequest:
    """``POST /close-query``: the id of a running push query."""

    query_id: str

    @classmethod
    def read(cls, body: object) -> CloseQueryRequest:
        query_id = _text(_object(body), "queryId")
        if query_id is None:
            raise invalid_json("Missing required creator property 'queryId'")
        return cls(query_id)
