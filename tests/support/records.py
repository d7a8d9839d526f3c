"""Records recorded from the local platform, for tests of the consumers without Kafka."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).parents[1] / "data" / "recorded.jsonl"


def recorded_messages(prefix: str) -> list[dict[str, Any]]:
    """Messages recorded from the local platform whose topic starts with ``prefix``, in timestamp order.

    Each has ``topic``, ``partition``, ``offset``, ``timestamp`` and the decoded ``value``.
    """
    rows = [json.loads(line) for line in RECORDED.read_text().splitlines()]
    return [row for row in rows if row["topic"].startswith(prefix)]
