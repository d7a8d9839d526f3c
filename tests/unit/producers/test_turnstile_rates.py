"""Turnstile entries follow the ridership seed and the hourly curve (statistical checks, seeded).

Each mean is compared with its expectation within five standard errors: with the fixed seeds the
tests are deterministic, and a real modelling mistake (wrong hour, wrong day type, wrong step
scaling) is off by far more than that.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import pytest

from producers.models.data import daily_rides, hourly_shares
from producers.models.turnstile_hardware import TurnstileHardware

CLARK_LAKE = 40380
MONDAY = datetime(2018, 10, 1)
SAMPLES = 400


def _mean(hardware: TurnstileHardware, at: datetime, step: timedelta, samples: int = SAMPLES) -> float:
    return sum(hardware.get_entries(at, step) for _ in range(samples)) / samples


def _close(observed: float, expected: float, samples: int) -> bool:
    return abs(observed - expected) <= 5 * math.sqrt(max(expected, 0.1) / samples)


@pytest.mark.parametrize("minutes", [1, 5, 15])
def test_hourly_means_follow_the_curve_on_a_weekday(minutes: int) -> None:
    hardware = TurnstileHardware(CLARK_LAKE, 1.0, random.Random(minutes))
    step = timedelta(minutes=minutes)
    weekday = daily_rides()[CLARK_LAKE].weekday
    for hour, share in enumerate(hourly_shares()):
        expected = weekday * share * minutes / 60
        at = MONDAY.replace(hour=hour)
        assert hardware.expected_entries(at, step) == pytest.approx(expected)
        assert _close(_mean(hardware, at, step), expected, SAMPLES), f"hour {hour}"


@pytest.mark.parametrize(("day", "day_type"), [(6, "saturday"), (7, "sunday")])
def test_weekends_use_their_own_averages(day: int, day_type: str) -> None:
    hardware = TurnstileHardware(CLARK_LAKE, 1.0, random.Random(day))
    at, step = datetime(2018, 10, day, 8), timedelta(minutes=5)
    expected = getattr(daily_rides()[CLARK_LAKE], day_type) * hourly_shares()[8] * 5 / 60
    assert _close(_mean(hardware, at, step), expected, SAMPLES)


def test_a_simulated_day_adds_up_to_the_daily_average() -> None:
    hardware = TurnstileHardware(CLARK_LAKE, 1.0, random.Random(11))
    step = timedelta(minutes=5)
    days = 20
    total = sum(hardware.get_entries(MONDAY + i * step, step) for _ in range(days) for i in range(288)) / days
    expected = daily_rides()[CLARK_LAKE].weekday * sum(hourly_shares())
    assert abs(total - expected) <= 5 * math.sqrt(expected / days)


def test_a_station_shared_by_two_lines_counts_half_its_riders_on_each() -> None:
    whole = TurnstileHardware(CLARK_LAKE, 1.0, random.Random(0))
    half = TurnstileHardware(CLARK_LAKE, 0.5, random.Random(0))
    at, step = MONDAY.replace(hour=17), timedelta(minutes=5)
    assert half.expected_entries(at, step) == pytest.approx(whole.expected_entries(at, step) / 2)


@pytest.mark.parametrize("mean_minutes", [1, 60])  # Knuth's method below 30 riders, the normal approximation above
def test_entries_vary_like_independent_arrivals(mean_minutes: int) -> None:
    hardware = TurnstileHardware(CLARK_LAKE, 1.0, random.Random(3))
    at, step = MONDAY.replace(hour=2), timedelta(minutes=mean_minutes)
    expected = hardware.expected_entries(at, step)
    draws = [hardware.get_entries(at, step) for _ in range(4000)]
    mean = sum(draws) / len(draws)
    variance = sum((d - mean) ** 2 for d in draws) / (len(draws) - 1)
    assert _close(mean, expected, len(draws))
    assert variance == pytest.approx(expected, rel=0.15)  # Poisson: variance equals the mean
    assert min(draws) >= 0


def test_the_same_seed_gives_the_same_entries() -> None:
    def draws(seed: int) -> list[int]:
        hardware = TurnstileHardware(CLARK_LAKE, 1.0, random.Random(seed))
        return [hardware.get_entries(MONDAY + timedelta(minutes=5 * i), timedelta(minutes=5)) for i in range(288)]

    assert draws(42) == draws(42)
    assert draws(42) != draws(43)


def test_a_station_without_ridership_data_has_no_entries() -> None:
    hardware = TurnstileHardware(1, 1.0, random.Random(0))
    assert hardware.get_entries(MONDAY.replace(hour=8), timedelta(minutes=5)) == 0
