"""A simulation started again goes on from the latest simulated hour in Kafka (real processes, real Kafka)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from clients.endpoints import PROJECT_ROOT
from cta.topics import TURNSTILE
from stack.settings import Settings
from tests.support.reading import avro, read_to_end

PRODUCERS = PROJECT_ROOT / "producers"
STARTED = re.compile(r"Simulating from \w+ (\d{4}-\d\d-\d\d \d\d:\d\d)")


def _simulate(platform: Settings, bootstrap: str, *options: str) -> tuple[datetime, list[datetime]]:
    """A second of the Yellow line's simulation as fast as it goes: its start, and its turnstile entries' times."""
    argv = ["simulation.py", "--max-rate", "--duration", "1", "--no-connector", "--lines", "yellow", "--seed", "4"]
    since_ms = int(time.time() * 1000)
    result = subprocess.run(
        [sys.executable, *argv, *options], cwd=PRODUCERS, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = STARTED.search(result.stderr)
    assert found is not None, result.stderr[-3000:]
    entries = read_to_end(bootstrap, [TURNSTILE], since_ms, values=avro(platform.endpoints.schema_registry_url))
    times = [datetime.fromtimestamp(m.value()["entry_time"] / 1000, UTC).replace(tzinfo=None) for m in entries]
    assert times, result.stderr[-3000:]
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M"), times


def test_a_simulation_started_again_goes_on_at_the_hour_after_the_latest_one(
    running_platform: Settings, bootstrap_servers: str
) -> None:
    # Started over at midnight, a second run's entries fell into hours KSQL's windows had closed a
    # day before, and were dropped from TURNSTILE_HOURLY. (No run here goes back in time: the
    # pipeline's test checks later that TURNSTILE_HOURLY counted every entry of the topic.)
    first_start, first = _simulate(running_platform, bootstrap_servers)

    start, entries = _simulate(running_platform, bootstrap_servers)

    assert first_start <= min(first)
    assert max(first) < start <= max(first) + timedelta(hours=1)
    assert start.minute == 0 and min(entries) >= start
