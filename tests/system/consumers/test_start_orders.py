"""The status page fills whatever the order its four commands are started in.

Users start the simulation, the Faust worker, ``ksql.py`` and the status server by hand, in any
order. Here each of the four is started first, alone until it has looked for the others' topics
and found them missing (its log says so; ``ksql.py`` exits), then the other three together; and
all four at once. Each time the page must become *full* (tests/support/pipeline.py:
every station, a train on each line, the weather, a total at every station with riders in Kafka).

The goal is a full page within 20 s of the last start; a test cannot hold a slow machine to a
wall-clock figure, so the deadline here only guards against a page that never fills, and the time
is printed (``-s``) and recorded as the test's ``seconds_to_full`` property. ``make soak``
(bench/soak_orders.py) measures the 20 s goal over all 24 orders with random gaps.

A private platform (ports from 19600, its own data folder) serves the module; before each scenario
but the first, :func:`reset_pipeline` removes what the last one left, so each starts from nothing.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.pipeline import COMMANDS, leftovers, reset_pipeline, start_in_order, wait_full
from tests.support.processes import private_env, run_stack

FAILURE_GUARD = 120.0
"""Not the goal (20 s): only the point where a page that never fills fails the test."""


SCENARIOS: dict[str, tuple[list[str], bool]] = {
    **{f"{first}-first": ([first, *(name for name in COMMANDS if name != first)], True) for first in COMMANDS},
    "all-at-once": (list(COMMANDS), False),
}
"""Each scenario's order, and whether its first command runs alone before the others start."""


@dataclass
class Platform:
    """The module's private platform; ``clean()`` removes what the last scenario left, if one ran."""

    env: dict[str, str]
    used: bool = False

    def clean(self) -> dict[str, str]:
        if self.used:
            reset_pipeline(self.env)
        assert leftovers(self.env) == [], "the platform holds what an earlier run left"
        self.used = True
        return self.env


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    env = {**os.environ, **private_env(tmp_path_factory.mktemp("start-orders-platform"))}
    run_stack(env, "up")
    try:
        yield Platform(env)
    finally:
        gc.collect()  # frees the reset's Kafka clients before their broker goes, or they log its absence
        run_stack(env, "down", check=False)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_page_fills_whatever_the_start_order(
    platform: Platform, scenario: str, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    order, first_alone = SCENARIOS[scenario]
    run = start_in_order(platform.clean(), order, [0.0, 0.0, 0.0], tmp_path, ["--seed", "7"], first_alone=first_alone)
    try:
        filled = wait_full(run, FAILURE_GUARD)
    finally:
        run.stop()
    record_property("seconds_to_full", round(filled.seconds, 1))
    print(f"{scenario}: full {filled.seconds:.1f} s after the last start (last: {filled.slowest()})")
