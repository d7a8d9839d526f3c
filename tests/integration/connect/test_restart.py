"""Offsets are stored by Connect: a restarted worker resumes where it stopped, copying no row twice."""

from __future__ import annotations

from producers import connector
from tests.support.connect import Lab, restart_connect
from tests.support.waiting import wait_for


def test_restarted_connect_copies_no_row_twice_in_incrementing_mode(lab: Lab) -> None:
    connector.configure_connector()
    table = lab.table("rows", "id SERIAL PRIMARY KEY, label TEXT NOT NULL")
    lab.sql(f"INSERT INTO {table} (label) SELECT 'row ' || n FROM generate_series(1, 50) AS n")
    name = lab.create(
        lab.config(**{"table.whitelist": table, "mode": "incrementing", "incrementing.column.name": "id"})
    )
    topic = f"{lab.name}.{table}"
    assert [row["id"] for row in lab.read(topic, 50)] == list(range(1, 51))
    wait_for(lambda: lab.stored_offset(name) == {"incrementing": 50}, "the offset of row 50 to be stored")
    (last_stop,) = lab.sql("SELECT max(stop_id) FROM stations")[0]
    stations_resumed = (
        f"Resuming table {lab.settings.postgres_db}.public.stations after offset {{incrementing={last_stop}}}"
    )
    resumed_before = _connect_log(lab).count(stations_resumed)

    restart_connect(lab.settings)
    lab.wait_running(name)
    lab.sql(f"INSERT INTO {table} (label) VALUES ('after the restart')")

    rows = lab.read_all(topic, 51, name)
    assert [row["id"] for row in rows] == list(range(1, 52))
    assert rows[-1]["label"] == "after the restart"
    # The restarted stations task starts after the offset of the last stop: it copies nothing again.
    wait_for(lambda: _connect_log(lab).count(stations_resumed) > resumed_before, "the stations task to resume")
    stations = lab.read_all(connector.TOPIC, 300, connector.CONNECTOR_NAME)
    assert len(stations) == 300, "the stations connector copied rows again after the restart"


def _connect_log(lab: Lab) -> str:
    return (lab.settings.logs_dir / "connect.log").read_text(errors="replace")
