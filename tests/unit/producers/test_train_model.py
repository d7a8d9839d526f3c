"""The train model's invariants over thousands of time steps, without Kafka.

``Line.advance`` only needs the stations and the routes, so the lines are built from the CTA
data's station lists directly; nothing is produced. ``test_routes.py`` checks each line's routes.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import random
import re
import signal
import sys
import threading
from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from clients.endpoints import PROJECT_ROOT
from cta.lines import CLASSIC_LINES, LINES, line_stations
from cta.topics import arrivals as topic_name
from producers.models import line as line_module
from producers.models.line import Line
from producers.models.route import routes
from producers.models.train import TrainStatus

STEPS = 5000


def _line(color: str, trains: int, seed: int) -> Line:
    return Line(color, line_stations(color), routes(line_stations(color)), trains, random.Random(seed))


def _run(line: Line, steps: int) -> list[list[line_module.Arrival]]:
    return [line.advance() for _ in range(steps)]


def _trips(color: str, trains: int, seed: int, steps: int = STEPS) -> tuple[Line, dict[str, list[tuple[int, str]]]]:
    line = _line(color, trains, seed)
    visits: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for arrivals in _run(line, steps):
        for arrival in arrivals:
            visits[arrival.train.train_id].append((arrival.index, arrival.direction))
    return line, visits


def _next_platform(index: int, direction: str, count: int) -> tuple[int, str]:
    if direction == "b":
        return (index + 1, "b") if index + 1 < count else (index, "a")
    return (index - 1, "a") if index > 0 else (index, "b")


@pytest.mark.parametrize("color", ["red", "blue", "yellow"])
def test_every_train_visits_every_station_in_order_in_both_directions(color: str) -> None:
    count = len(line_stations(color))
    trains = 2 if color == "yellow" else 10
    _, visits = _trips(color, trains, seed=1)
    assert len(visits) == trains
    for train_id, platforms in visits.items():
        for here, there in itertools.pairwise(platforms):
            assert there == _next_platform(*here, count), f"{train_id} jumped from {here} to {there}"
        assert set(platforms) == {(i, d) for i in range(count) for d in "ab"}, f"{train_id} missed a platform"


@pytest.mark.parametrize("color", ["red", "blue", "yellow"])
def test_trains_turn_around_only_at_the_terminals(color: str) -> None:
    last = len(line_stations(color)) - 1
    _, visits = _trips(color, 2 if color == "yellow" else 10, seed=2)
    turnarounds = 0
    for platforms in visits.values():
        for (index, direction), (next_index, next_direction) in itertools.pairwise(platforms):
            if direction != next_direction:
                turnarounds += 1
                assert index == next_index and index in (0, last)
                assert (direction, index) in (("b", last), ("a", 0))
    assert turnarounds > 100


def test_arrivals_name_the_platform_the_train_left() -> None:
    line = _line("red", 12, 3)
    first = line.advance()
    assert all(a.prev_index is None and a.prev_direction is None for a in first)
    where = {a.train.train_id: (a.index, a.direction) for a in first}
    for arrivals in _run(line, 1000):
        for arrival in arrivals:
            assert (arrival.prev_index, arrival.prev_direction) == where[arrival.train.train_id]
            where[arrival.train.train_id] = (arrival.index, arrival.direction)


@pytest.mark.parametrize(
    ("color", "trains"), [("blue", 10), ("green", 40), ("red", 65), ("green", 56), ("purple", 18), ("brown", 30)]
)
def test_two_trains_never_hold_the_same_platform(color: str, trains: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Frequent breakdowns make trains queue behind each other: the case where collisions could happen.
    # Green's branches meet at Garfield and Purple's express at Howard: merging trains too.
    monkeypatch.setattr(line_module, "BREAKDOWN_CHANCE", 0.05)
    line = _line(color, trains, 4)
    statuses = set()
    monday = datetime(2024, 10, 7)
    for step in range(STEPS):
        line.advance(monday + step * timedelta(minutes=5))
        held = [train.platform for train in line.trains]
        assert len(set(held)) == len(held)
        statuses.update(train.status for train in line.trains)
    assert statuses == set(TrainStatus)


def test_a_broken_down_train_holds_its_platform_and_the_train_behind_waits() -> None:
    line = _line("blue", 2, 5)
    line.advance()
    front, back = line.trains[1], line.trains[0]
    back.position = front.position - 1
    front.status, front.repair_ticks = TrainStatus.BROKEN_DOWN, 3
    moved = [a.train.train_id for a in line.advance()]
    assert moved == [] and back.position == front.position - 1
    line.advance()
    line.advance()  # third step: repaired, out of service until the next terminal
    assert front.status is TrainStatus.OUT_OF_SERVICE
    assert {a.train.train_id for a in line.advance()} == {front.train_id, back.train_id}


@pytest.mark.parametrize("color", ["red", "orange"])
def test_a_full_line_moves_all_trains_together(color: str) -> None:
    count = len(_line(color, 1, 0).platforms)
    line = _line(color, count, 6)
    line.advance()
    assert len(line.advance()) == count


def test_train_ids_name_the_line() -> None:
    line = _line("blue", 10, 7)
    assert [t.train_id for t in line.trains][:3] == ["BL000", "BL001", "BL002"]
    assert [_line(c, 1, 0).trains[0].train_id for c in LINES] == [
        "RL000",
        "BL000",
        "GL000",
        "BR000",
        "OL000",
        "PK000",
        "PL000",
        "YL000",
    ]


def test_too_many_trains_is_refused() -> None:
    with pytest.raises(ValueError, match="room for 1 to 66 trains"):
        _line("red", 67, 0)


def test_station_topics_are_normalised_and_unique() -> None:
    classic = {s.station_id for color in CLASSIC_LINES for s in line_stations(color)}
    assert len(classic) == 94  # the classic project's 92, and Green's Cottage Grove branch
    stations = {s.station_id: s.name for color in LINES for s in line_stations(color)}
    assert len(stations) == 143  # every station of the CTA's stops list
    topics = {topic_name(name, station_id) for station_id, name in stations.items()}
    assert len(topics) == len(stations)
    assert all(re.fullmatch(r"org\.chicago\.cta\.station\.arrivals\.[a-z0-9_]+", t) for t in topics)
    assert topic_name("Clark/Lake", 40380) == "org.chicago.cta.station.arrivals.clark_lake_40380"
    assert topic_name("O'Hare", 40890) == "org.chicago.cta.station.arrivals.ohare_40890"


def test_the_stop_signal_handler_takes_no_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    # A handler runs between two bytecodes of the main thread, which may hold the very lock it
    # would take (logging's, or a threading.Event's inside wait()): the simulation then hung for
    # good on SIGTERM. The handler must only record the signal.
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "producers"))
    # consumers/ has a `models` package too, which its tests import as its scripts do.
    for name in [name for name in sys.modules if name == "models" or name.startswith("models.")]:
        monkeypatch.delitem(sys.modules, name)
    simulation = importlib.import_module("simulation")
    sim = simulation.TimeSimulation(simulation.parse_args([]), writer=None)
    handler = logging.StreamHandler()
    logger = logging.getLogger("simulation")
    monkeypatch.setattr(logger, "level", logging.INFO)  # as main() configures it
    logger.addHandler(handler)
    handler.acquire()  # as if the main thread were writing a log line when the signal came
    try:
        done = threading.Event()
        caller = threading.Thread(target=lambda: (sim.stop(signal.SIGTERM, None), done.set()), daemon=True)
        caller.start()
        assert done.wait(2), "the signal handler blocked on a lock"
    finally:
        handler.release()
        logger.removeHandler(handler)
    assert sim.stop_signal is signal.SIGTERM
