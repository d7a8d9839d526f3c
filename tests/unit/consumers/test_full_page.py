"""What makes the status page *full* for the start-order test and soak (tests/support/pipeline.py)."""

from __future__ import annotations

from typing import Any

import pytest

from cta.lines import CLASSIC_LINES, LINES
from tests.support.pipeline import EXPECTED, missing, simulation_lines


def page(
    entries: int | None = 3, trains: bool = True, skip: int = 0, running: tuple[str, ...] = LINES
) -> dict[str, Any]:
    """An ``/api/status`` answer: every station of every line but the first ``skip`` of each, trains on ``running``."""
    return {
        "lines": [
            {
                "color": color,
                "stations": [
                    {
                        "station_id": s,
                        "a": {"train_id": "X"} if trains and color in running else None,
                        "b": None,
                        "entries": entries,
                    }
                    for s in sorted(ids)[skip:]
                ],
            }
            for color, ids in EXPECTED.items()
        ],
        "weather": {"temperature": 40.5, "status": "sunny", "observed": 1},
    }


def test_a_page_with_everything_for_the_riders_in_kafka_is_full() -> None:
    assert not missing(page(), [40380, 40900])
    assert missing(page(), [40380]).present() == {"stations", "trains", "weather", "totals"}


def test_each_missing_part_is_named() -> None:
    assert str(missing(None, [40380])) == "the page does not answer"
    assert str(missing(page(skip=2), [40380])).startswith(
        "red lacks 2 of 33 stations; blue lacks 2 of 33 stations; green lacks 2 of 30"
    )
    assert str(missing(page(trains=False), [40380])) == (
        "no train at a platform on red, blue, green, brown, orange, pink, purple, yellow"
    )
    assert str(missing(page(entries=None), [40380, 40900])) == (
        "2 of the 2 stations with riders in Kafka show no turnstile total"
    )
    no_weather = page()
    no_weather["weather"]["temperature"] = None
    assert str(missing(no_weather, [40380])) == "no weather"


def test_no_riders_yet_is_not_full() -> None:
    """Else a page read just before the first entries reached Kafka would pass without a single total."""
    lacking = missing(page(entries=None), [])
    assert lacking and str(lacking) == "no turnstile entries in Kafka yet"
    assert "totals" not in lacking.present()


def test_the_classic_three_line_run_fills_the_page_with_its_three_lines() -> None:
    """The other five lines are listed without trains: full for a run of three, not for a run of eight."""
    classic = page(running=CLASSIC_LINES)
    assert not missing(classic, [40380], CLASSIC_LINES)
    assert str(missing(classic, [40380])) == "no train at a platform on brown, orange, pink, purple, yellow"
    assert str(missing(page(skip=1), [40380], CLASSIC_LINES)).startswith("red lacks 1 of 33 stations; blue lacks 1")


@pytest.mark.parametrize(
    ("args", "env", "lines"),
    [
        (["--seed", "7"], {}, LINES),
        (["--lines", "red,blue,green", "--seed", "7"], {}, CLASSIC_LINES),
        (["--lines", "red", "blue", "green"], {"SIMULATION_LINES": "yellow"}, CLASSIC_LINES),
        ([], {"SIMULATION_LINES": "Red, Blue, Green"}, CLASSIC_LINES),
    ],
)
def test_the_lines_a_run_expects_are_the_simulations(args: list[str], env: dict[str, str], lines: tuple) -> None:
    assert simulation_lines(args, env) == lines
