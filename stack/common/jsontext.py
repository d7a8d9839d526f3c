"""JSON text that can always be sent and stored as UTF-8.

JSON lets a string hold a lone UTF-16 surrogate (``"\\ud800"``) and Python's ``json`` reads it into
a ``str`` that UTF-8 cannot encode, so writing it back raw fails (a 500, or an empty error body).
Confluent's Jackson writes such a character back as its escape; :func:`dumps` does the same and
keeps every other character as it is (no ``\\u`` escapes for ordinary non-ASCII text).
"""

from __future__ import annotations

import json
import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as a JSON ``\\uXXXX`` escape."""
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def dumps(value: object, compact: bool = False) -> str:
    """``value`` as JSON text that encodes as UTF-8 whatever strings it holds."""
    separators = (",", ":") if compact else None
    return escape_surrogates(json.dumps(value, ensure_ascii=False, separators=separators))
