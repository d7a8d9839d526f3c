"""The Faust app's transform on recorded rows of the classic stations table, bad rows, and Faust's own commands."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import faust_stream
import pytest
from faust_stream import TransformedStation, app, broker_urls, transform
from models.record import Skip

from clients.endpoints import PROJECT_ROOT
from cta import topics
from cta.lines import CLASSIC_LINES, line_stations
from tests.support.records import recorded_messages

CONSUMERS = PROJECT_ROOT / "consumers"


def rows() -> list[dict[str, Any]]:
    return [m["value"] for m in recorded_messages(topics.STATIONS) if m["topic"] == topics.STATIONS]


def test_every_stop_of_a_classic_line_becomes_its_station() -> None:
    # Recorded from the classic project's table: columns for red, blue and green only.
    stations = {(s.line, s.station_id, s.order) for row in rows() for s in transform(row)}
    recorded = {row["station_id"] for row in rows()}  # Green's Cottage Grove branch came with the eight lines
    expected = {
        (line, s.station_id, s.order) for line in CLASSIC_LINES for s in line_stations(line) if s.station_id in recorded
    }
    assert stations == expected


def test_stops_of_other_lines_give_nothing() -> None:
    others = [row for row in rows() if not (row["red"] or row["blue"] or row["green"])]
    assert len(others) == 42  # 21 stations such as the Brown Line's Addison
    assert all(transform(row) == [] for row in others)


def test_a_stop_serving_two_modelled_lines_gives_a_station_for_each() -> None:
    row = {**rows()[0], "red": True, "blue": True, "green": False}
    assert sorted(s.line for s in transform(row)) == ["blue", "red"]


def test_the_output_is_the_documented_json() -> None:
    station = TransformedStation(40380, "Clark/Lake", 16, "blue")
    assert json.loads(station.dumps()) == {
        "station_id": 40380,
        "station_name": "Clark/Lake",
        "order": 16,
        "line": "blue",
    }


@pytest.mark.parametrize(
    "changes",
    [{"station_id": "40380"}, {"red": "TRUE"}, {"order": None, "red": True}, {"station_name": None}],
)
def test_a_malformed_row_is_refused_with_its_reason(changes: dict[str, Any]) -> None:
    with pytest.raises(Skip):
        transform({**rows()[0], **changes})
    with pytest.raises(Skip, match="no field 'station_id'"):
        transform({"stop_id": 1})


def test_a_worker_started_after_a_killed_one_waits_at_most_ten_seconds_for_its_partition() -> None:
    # The killed worker's session must end before the group gives its partition to the new one;
    # Faust's default session is 60 s, three heartbeats are 9 s.
    assert app.conf.broker_heartbeat_interval * 3 <= app.conf.broker_session_timeout <= 10


def test_broker_urls_take_the_form_faust_wants() -> None:
    assert broker_urls("PLAINTEXT://localhost:9092") == "kafka://localhost:9092"
    assert broker_urls("PLAINTEXT://h:9092, h:9093,h:9094") == "kafka://h:9092;h:9093;h:9094"


def test_fausts_own_commands_work() -> None:
    for command in (["tables"], ["--json", "tables"]):
        result = subprocess.run(
            [sys.executable, "faust_stream.py", *command], cwd=CONSUMERS, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert "stations" in result.stdout
    assert json.loads(result.stdout)[0]["name"] == "stations"


def test_the_worker_declares_the_tables_changelog_before_faust_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Faust counted the changelog's partitions before metadata showed the topic it had just created, and the
    table refused the first stations rows; the hook now creates it and waits until it is usable."""
    created: list[tuple[Any, ...]] = []
    monkeypatch.setattr(sys, "argv", ["faust", "-A", "faust_stream", "worker"])
    monkeypatch.setattr(faust_stream, "_stations_topic_exists", lambda admin: True)
    monkeypatch.setattr(faust_stream, "AdminClient", lambda config: "admin")
    monkeypatch.setattr(
        faust_stream, "create_topic", lambda admin, name, **options: created.append((admin, name, options))
    )
    faust_stream.wait_for_the_stations_topic(app)
    assert created == [
        (
            "admin",
            "org.chicago.cta.stations.stream-stations-changelog",
            {"partitions": 1, "config": {"cleanup.policy": "compact"}, "replication_factor": 1},
        )
    ]
