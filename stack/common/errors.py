"""The two kinds of error we report: one line to a user at a terminal, one JSON body to an HTTP client.

Every server keeps one catalogue of the errors it answers with: a class whose attributes are
:class:`ErrorCode` values (HTTP status, ``error_code``, and a message template where the message
never changes). A handler or the domain raises :class:`ApiError` (or the server's subclass) with one
of them, and :class:`~stack.common.http.JsonHandler` renders it; nothing else chooses a status.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from clients.config import ConfigError


class StackError(Exception):
    """A problem with a one-line explanation of what to do (install, free a port, read a log)."""


@dataclass(frozen=True)
class ErrorCode:
    """One error a server answers with: the HTTP status, the body's ``error_code``, a fixed message if any.

    Confluent's five-digit codes carry their status in the first three digits (40401 is a 404);
    three-digit codes are the plain HTTP status, which Confluent's servers also report as the code.
    """

    status: int
    error_code: int
    template: str = ""


class HttpErrors:
    """The plain HTTP errors every server shares: the status doubles as the ``error_code``."""

    BAD_REQUEST = ErrorCode(400, 400)
    NOT_FOUND = ErrorCode(404, 404, "HTTP 404 Not Found")
    METHOD_NOT_ALLOWED = ErrorCode(405, 405)
    NOT_ACCEPTABLE = ErrorCode(406, 406, "HTTP 406 Not Acceptable")
    UNSUPPORTED_MEDIA_TYPE = ErrorCode(415, 415, "HTTP 415 Unsupported Media Type")
    UNPROCESSABLE_ENTITY = ErrorCode(422, 422)
    INTERNAL_SERVER_ERROR = ErrorCode(500, 500, "Internal Server Error")


class ApiError(Exception):
    """An error answered to an HTTP client as ``{"error_code": ..., "message": ...}``.

    Confluent's servers (and ksqlDB) all use this body; clients branch on ``error_code``. Without a
    ``message`` the code's template is the message.
    """

    def __init__(self, code: ErrorCode, message: str | None = None) -> None:
        self.code = code
        self.message = code.template if message is None else message
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return self.code.status

    @property
    def error_code(self) -> int:
        return self.code.error_code

    def body(self) -> dict[str, object]:
        return {"error_code": self.error_code, "message": self.message}


def exit_with(main: Callable[[], int]) -> NoReturn:
    """Runs a command's ``main``: a StackError or a refused variable (ConfigError) is one ``error:`` line, exit 1."""
    try:
        sys.exit(main())
    except (StackError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
