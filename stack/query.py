"""Query-string parsing shared by our HTTP servers, as strict as the Java servers they stand in for."""

from __future__ import annotations

import re

INTEGER = re.compile(r"-?[0-9]+")


def strict_int(text: str) -> int | None:
    """``text`` as an integer, or None unless it is only an optional sign and digits.

    Tornado turns control characters in arguments into spaces and Python's ``int()`` forgives
    spaces, so "0\\x1f" would otherwise pass as 0 where Java's ``Long.parseLong`` refuses it.
    """
    return int(text) if INTEGER.fullmatch(text) else None
