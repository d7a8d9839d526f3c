"""Every error the KSQL server answers with, in one place: its catalogue and ksqlDB's error body.

ksqlDB answers ``{"@type": "generic_error", "error_code", "message"}``, and for a statement that
failed ``statement_error`` with the statement's text and the entities of the statements before it
(``KsqlStatementErrorMessage``); its CLI prints from those fields.
"""

from __future__ import annotations

from typing import Any

from stack.common.errors import ApiError, ErrorCode, HttpErrors
from stack.ksql.statements import StatementError


class Errors:
    """ksqlDB's codes (its ``Errors.java``): the HTTP status followed by a two-digit number."""

    BAD_REQUEST = ErrorCode(400, 40000)
    BAD_STATEMENT = ErrorCode(400, 40001)
    QUERY_ENDPOINT = ErrorCode(400, 40002)
    NOT_FOUND = ErrorCode(404, 40400, HttpErrors.NOT_FOUND.template)
    METHOD_NOT_ALLOWED = HttpErrors.METHOD_NOT_ALLOWED
    SERVER_ERROR = ErrorCode(500, 50000, HttpErrors.INTERNAL_SERVER_ERROR.template)
    COMMAND_QUEUE_CATCHUP_TIMEOUT = ErrorCode(503, 50301)


class KsqlError(ApiError):
    """A ksqlDB error body: ``{"@type": ..., "error_code": ..., "message": ...}`` (plus statement fields)."""

    def __init__(self, code: ErrorCode, message: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(code, message)
        self.extra = extra or {}

    def body(self) -> dict[str, object]:
        kind = "statement_error" if "statementText" in self.extra else "generic_error"
        return {"@type": kind, "error_code": self.error_code, "message": self.message, **self.extra}


def statement_error(
    text: str, message: str, done: list[dict[str, Any]] | None = None, code: ErrorCode = Errors.BAD_STATEMENT
) -> KsqlError:
    """A statement that failed (``text``), after the statements whose entities are ``done``."""
    return KsqlError(code, message, {"statementText": text, "entities": done or []})


def refused(error: StatementError, text: str, done: list[dict[str, Any]] | None = None) -> KsqlError:
    """The engine's refusal of a statement; ``text`` is the request's when the error names none."""
    return statement_error(error.text or text, str(error), done)
