"""The two kinds of error we report: one line to a user at a terminal, one JSON body to an HTTP client."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn


class StackError(Exception):
    """A problem with a one-line explanation of what to do (install, free a port, read a log)."""


class ApiError(Exception):
    """An error answered to an HTTP client as ``{"error_code": ..., "message": ...}``.

    Confluent's servers (and ksqlDB) all use this body; clients branch on ``error_code``. Each
    server keeps its own enumeration of codes and raises a subclass of this.
    """

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message

    def body(self) -> dict[str, object]:
        return {"error_code": self.error_code, "message": self.message}


def exit_with(main: Callable[[], int]) -> NoReturn:
    """Runs a command's ``main``: a StackError becomes one ``error:`` line and exit code 1."""
    try:
        sys.exit(main())
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
