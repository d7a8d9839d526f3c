"""The one exception the platform raises for problems a user can fix, printed as one line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn


class StackError(Exception):
    """A problem with a one-line explanation of what to do (install, free a port, read a log)."""


def exit_with(main: Callable[[], int]) -> NoReturn:
    """Runs a command's ``main``: a StackError becomes one ``error:`` line and exit code 1."""
    try:
        sys.exit(main())
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
