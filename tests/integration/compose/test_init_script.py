"""``docker-compose.yaml``'s stations init script builds the very table the local platform loads.

The script runs in a scratch database of the session platform's PostgreSQL, next to the loaded table.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg2

from cta import stations_table
from stack.settings import Settings


def test_the_init_script_builds_the_table_the_local_platform_loads(running_platform: Settings) -> None:
    url = running_platform.endpoints.postgres_url
    scratch = f"stations_init_{uuid.uuid4().hex[:8]}"
    server = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    server.autocommit = True
    with server.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{scratch}"')
    try:
        with psycopg2.connect(url.rsplit("/", 1)[0] + f"/{scratch}") as conn, conn.cursor() as cur:
            cur.execute(stations_table.INIT_SQL.read_text())
            scratch_table = _table(cur)
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            loaded_table = _table(cur)
    finally:
        with server.cursor() as cur:
            cur.execute(f'DROP DATABASE "{scratch}"')
        server.close()
    assert len(scratch_table["rows"]) == 300
    assert scratch_table == loaded_table


def _table(cur: Any) -> dict[str, Any]:
    cur.execute(
        "SELECT column_name, data_type, is_nullable, character_maximum_length FROM information_schema.columns "
        "WHERE table_name = 'stations' ORDER BY ordinal_position"
    )
    columns = cur.fetchall()
    cur.execute("SELECT * FROM stations ORDER BY stop_id")
    return {"columns": columns, "rows": cur.fetchall()}
