"""Where the simulated clock starts without ``--start``: after the latest simulated hour, if it is today's."""

from __future__ import annotations

from datetime import datetime

from producers.clock import start_time

NOW = datetime(2026, 12, 5, 13, 40)
MIDNIGHT = datetime(2026, 12, 5)


def test_without_a_simulated_hour_in_kafka_the_clock_starts_at_todays_midnight() -> None:
    assert start_time(None, NOW) == MIDNIGHT


def test_hours_from_before_today_do_not_hold_the_clock_back() -> None:
    # Another day's run, or a test's run given --start 2024-10-07.
    assert start_time(datetime(2026, 12, 4, 23, 0), NOW) == MIDNIGHT
    assert start_time(datetime(2024, 10, 7, 8), NOW) == MIDNIGHT


def test_the_clock_goes_on_at_the_hour_after_the_latest_one_of_today_or_later() -> None:
    assert start_time(MIDNIGHT, NOW) == datetime(2026, 12, 5, 1)
    # Observed on the tick that entered the hour, which a time step of 7 minutes puts past it.
    assert start_time(datetime(2026, 12, 5, 9, 3), NOW) == datetime(2026, 12, 5, 10)
    # A long run (a simulated day takes 24 minutes at the default pace) left the clock days ahead.
    assert start_time(datetime(2026, 12, 8, 3, 0), NOW) == datetime(2026, 12, 8, 4)
