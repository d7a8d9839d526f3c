"""The Avro schemas of the application's topics, kept as JSON files in ``producers/models/schemas/``."""

from __future__ import annotations

import json
from functools import cache

from clients.endpoints import PROJECT_ROOT

SCHEMAS_DIR = PROJECT_ROOT / "producers" / "models" / "schemas"


@cache
def load(name: str) -> str:
    """The schema ``<name>.json`` (e.g. ``arrival_value``) as the compact string serializers take."""
    return json.dumps(json.loads((SCHEMAS_DIR / f"{name}.json").read_text()))
