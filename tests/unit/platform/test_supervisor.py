"""The platform knows its own processes by pid and start time, even after the clock was set."""

from __future__ import annotations

import dataclasses
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from stack.platform.supervisor import Launch, Running, process_of, spawn


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[Running]:
    entry = spawn(Launch("sleeper", 0, ["sleep", "60"]), tmp_path)
    yield entry
    psutil.Process(entry.pid).send_signal(signal.SIGKILL)


def test_a_process_is_still_ours_after_the_clock_was_set_forward(
    sleeper: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    # NTP stepping the clock (or a VM resumed from a snapshot) moves every wall-clock start time:
    # the platform then took all its processes for strangers and forgot them (services.json emptied).
    real = psutil.Process.create_time
    monkeypatch.setattr(psutil.Process, "create_time", lambda self: real(self) + 3600)
    assert process_of(sleeper) is not None


def test_a_reused_pid_is_not_ours(sleeper: Running) -> None:
    assert process_of(sleeper) is not None
    assert process_of(dataclasses.replace(sleeper, created=sleeper.created - 500)) is None
