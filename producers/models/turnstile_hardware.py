"""How many riders pass a station's turnstiles in one time step.

The expected count is the station's average for the day type (weekday, Saturday, Sunday) from
``ridership_seed.csv``, times the hour's share of a day's riders from ``ridership_curve.csv``, times
the part of the hour the step covers. The count drawn is Poisson-distributed around it: riders
arrive independently of each other, and a seeded generator makes a run reproducible.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from .data import DailyRides, daily_rides, hourly_shares

# Above this mean, the normal approximation of the Poisson distribution is within a rider and
# Knuth's exact method would draw ~mean random numbers per call.
NORMAL_APPROXIMATION_FROM = 30.0


class TurnstileHardware:
    def __init__(self, station_id: int, share: float, rng: random.Random) -> None:
        """``share``: the part of the station's riders counted here (1/2 where two lines share it)."""
        rides = daily_rides().get(station_id, DailyRides(0.0, 0.0, 0.0))
        self._per_day = (rides.weekday * share, rides.saturday * share, rides.sunday * share)
        self._shares = hourly_shares()
        self._rng = rng

    def expected_entries(self, timestamp: datetime, time_step: timedelta) -> float:
        """Mean entries in the step starting at ``timestamp`` (the hour it starts in sets the rate)."""
        weekday = timestamp.weekday()  # Monday 0 .. Sunday 6
        day_type = 0 if weekday < 5 else weekday - 4  # weekday, Saturday, Sunday
        return self._per_day[day_type] * self._shares[timestamp.hour] * time_step.total_seconds() / 3600

    def get_entries(self, timestamp: datetime, time_step: timedelta) -> int:
        return self._poisson(self.expected_entries(timestamp, time_step))

    def _poisson(self, mean: float) -> int:
        if mean >= NORMAL_APPROXIMATION_FROM:
            return max(0, round(self._rng.gauss(mean, math.sqrt(mean))))
        threshold, count, product = math.exp(-mean), 0, self._rng.random()
        while product > threshold:
            count += 1
            product *= self._rng.random()
        return count
