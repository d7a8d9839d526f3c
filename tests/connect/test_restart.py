"""Offsets are stored by Connect: a restarted worker resumes where it stopped, copying no row twice."""

from __future__ import annotations

import requests

from producers import connector
from tests.connect.conftest import Lab, connect_url, restart_connect
from tests.helpers import wait_for


def test_restarted_connect_copies_no_row_twice_in_incrementing_mode(lab: Lab) -> None:
    connector.configure_connector()
    table = lab.table("rows", "id SERIAL PRIMARY KEY, label TEXT NOT NULL")
    lab.sql(f"INSERT INTO {table} (label) SELECT 'row ' || n FROM generate_series(1, 50) AS n")
    name = lab.create(
        lab.config(**{"table.whitelist": table, "mode": "incrementing", "incrementing.column.name": "id"})
    )
    topic = f"{lab.name}.{table}"
    assert [row["id"] for row in lab.read(topic, 50)] == list(range(1, 51))
    wait_for(lambda: _stored_offset(name) == {"incrementing": 50}, "the offset of row 50 to be stored")

    restart_connect(lab.settings)
    lab.wait_running(name)
    lab.sql(f"INSERT INTO {table} (label) VALUES ('after the restart')")

    rows = lab.read(topic, 51, settle=3.0)
    assert [row["id"] for row in rows] == list(range(1, 52))
    assert rows[-1]["label"] == "after the restart"
    stations = lab.read(connector.TOPIC, 230, settle=3.0)
    assert len(stations) == 230, "the stations connector copied rows again after the restart"


def _stored_offset(name: str) -> dict | None:
    response = requests.get(f"{connect_url()}/connectors/{name}/offsets", timeout=10)
    offsets = response.json().get("offsets", []) if response.ok else []
    return offsets[0]["offset"] if offsets else None
