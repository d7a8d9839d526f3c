"""The ``stations`` table in PostgreSQL, loaded from the CTA's stations file: what Kafka Connect reads.

The classic project's columns come first, unchanged (``red``, ``blue``, ``green`` among them), then
a flag for each of the other five lines, false by default: code written for the classic table reads
it as before, and inserts rows into it with the classic columns' values alone.

The local platform calls :func:`seed` once PostgreSQL is up: ``pyproject.toml`` names it as the
platform's ``postgres-seed`` hook, and ``run.py`` passes it to ``up``. The Docker platform runs
``docker/postgres/stations.sql`` when its database is created: the same table and rows as plain
SQL, written by :func:`init_sql` (``python -m cta.stations_table`` rewrites the file after the CSV
changes; a test checks that it is current). Loading twice changes nothing (rows are keyed by ``stop_id``).
A table of the classic project's shape, in a data folder kept from before, gets the five new
columns and its rows' flags (Kafka Connect copies rows it has copied before only if its connector
is created again: ``python connector.py --delete``, then ``python connector.py``).
"""

from __future__ import annotations

import csv
from urllib.parse import urlsplit

import psycopg2

from clients.endpoints import PROJECT_ROOT
from cta.lines import CLASSIC_LINES, LINES, STATIONS_CSV

INIT_SQL = PROJECT_ROOT / "docker" / "postgres" / "stations.sql"

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS stations (
    stop_id INTEGER PRIMARY KEY,
    direction_id VARCHAR(1) NOT NULL,
    stop_name VARCHAR(70) NOT NULL,
    station_name VARCHAR(70) NOT NULL,
    station_descriptive_name VARCHAR(200) NOT NULL,
    station_id INTEGER NOT NULL,
    "order" INTEGER,
    red BOOLEAN NOT NULL,
    blue BOOLEAN NOT NULL,
    green BOOLEAN NOT NULL,
    brown BOOLEAN NOT NULL DEFAULT FALSE,
    orange BOOLEAN NOT NULL DEFAULT FALSE,
    pink BOOLEAN NOT NULL DEFAULT FALSE,
    purple BOOLEAN NOT NULL DEFAULT FALSE,
    yellow BOOLEAN NOT NULL DEFAULT FALSE
)
"""
NEW_LINES = tuple(line for line in LINES if line not in CLASSIC_LINES)
ADD_NEW_LINES = "ALTER TABLE stations " + ", ".join(
    f"ADD COLUMN IF NOT EXISTS {line} BOOLEAN NOT NULL DEFAULT FALSE, ALTER COLUMN {line} SET DEFAULT FALSE"
    for line in NEW_LINES
)
"""Brings a table of the classic project's shape up to date; changes nothing in a current one."""
COLUMNS = ("stop_id", "direction_id", "stop_name", "station_name", "station_descriptive_name", "station_id", "order")
COLUMNS += LINES
_QUOTED = [f'"{column}"' for column in COLUMNS]
UPSERT = (
    f"INSERT INTO stations ({', '.join(_QUOTED)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
    f"ON CONFLICT (stop_id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in _QUOTED[1:])} "
    "WHERE (stations.*) IS DISTINCT FROM (EXCLUDED.*)"
)
"""Loads a row, or brings a row loaded before up to date (a new line's flag, a corrected order)."""


def seed(postgres_url: str) -> str:
    """The platform's seeding hook: loads the table, and says how many rows it holds."""
    rows = load(postgres_url)
    database = urlsplit(postgres_url).path.lstrip("/")
    return f"PostgreSQL database {database!r} has {rows} rows in table stations."


def load(postgres_url: str) -> int:
    """Creates the database named in ``postgres_url`` and the table, loads the CSV; returns the row count."""
    server = psycopg2.connect(postgres_url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5)
    server.autocommit = True
    database = postgres_url.rsplit("/", 1)[1]
    with server.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{database}"')
    server.close()
    with psycopg2.connect(postgres_url, connect_timeout=5) as conn, conn.cursor() as cur:
        cur.execute(CREATE_TABLE)
        cur.execute(ADD_NEW_LINES)
        cur.executemany(UPSERT, _rows())
        # The replication slot of the Debezium connector earlier versions used ("cta_<connector>"):
        # nothing reads it any more, and a slot nobody reads keeps every WAL file on disk.
        cur.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE NOT active AND slot_name LIKE 'cta\\_%'"
        )
        cur.execute("SELECT count(*) FROM stations")
        count = cur.fetchone()[0]
    checkpoint(postgres_url)
    return count


def checkpoint(postgres_url: str) -> None:
    """Writes the pages that creating the database and loading the table dirtied, now rather than later.

    The checkpointer maps each page it writes, and a page it maps stays in its resident memory.
    Left to the first timed checkpoint, five minutes after start, the checkpointer's resident
    shared memory went from nothing to 14 MB at that moment (PostgreSQL's whole memory grew by
    half); written here, that happens while the platform starts.
    """
    conn = psycopg2.connect(postgres_url, connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CHECKPOINT")
    finally:
        conn.close()


def init_sql() -> str:
    """The Docker platform's init script: the table of :func:`load` and every row of the CSV, as SQL."""
    values = ",\n".join(f"    ({', '.join(map(_literal, row))})" for row in _rows())
    return (
        "-- The stations table Kafka Connect reads, loaded when the PostgreSQL container creates its database.\n"
        "-- Generated from producers/data/cta_stations.csv by `python -m cta.stations_table`: do not edit.\n"
        f"{CREATE_TABLE.strip()};\n\n"
        f"INSERT INTO stations VALUES\n{values}\nON CONFLICT (stop_id) DO NOTHING;\n"
    )


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _rows() -> list[tuple]:
    with STATIONS_CSV.open(newline="") as source:
        return [_row(row) for row in csv.DictReader(source)]


def _row(row: dict[str, str]) -> tuple:
    def flag(name: str) -> bool:
        return row[name].strip().upper() == "TRUE"

    return (
        int(row["stop_id"]),
        row["direction_id"],
        row["stop_name"],
        row["station_name"],
        row["station_descriptive_name"],
        int(row["station_id"]),
        int(row["order"]) if row["order"] else None,
        *(flag(line) for line in LINES),
    )


if __name__ == "__main__":
    INIT_SQL.parent.mkdir(parents=True, exist_ok=True)
    INIT_SQL.write_text(init_sql())
    print(f"Wrote {INIT_SQL.relative_to(PROJECT_ROOT)}.")
