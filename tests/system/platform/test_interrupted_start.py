"""A start that fails halfway stops the caller's processes (``make run``'s application) before the platform's."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from clients.endpoints import LISTEN_HOST, port_of
from stack.common.errors import StackError
from stack.platform import lifecycle
from stack.settings import load
from tests.support.processes import private_env


def test_a_failed_start_stops_the_callers_processes_while_kafka_still_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted while Connect started, make run stopped Kafka first: the simulation could not flush, was killed."""
    for name, value in private_env(tmp_path / "platform").items():
        monkeypatch.setenv(name, value)
    settings = load()
    ready: list[str] = []
    running_when_told: list[set[str]] = []
    with socket.socket() as squatter:  # Connect's port is taken: up fails once Kafka serves
        squatter.bind((LISTEN_HOST, port_of(settings.endpoints.kafka_connect_url)))
        squatter.listen()
        try:
            with pytest.raises(StackError, match="Kafka Connect cannot start"):
                lifecycle.up(
                    settings,
                    on_ready=ready.append,
                    stop_dependents=lambda: running_when_told.append(set(lifecycle.running_services(settings))),
                )
        finally:
            lifecycle.down(settings)
    assert {"postgres", "kafka"} <= set(ready) and "connect" not in ready
    assert len(running_when_told) == 1 and {"postgres", "kafka-1"} <= running_when_told[0]
    assert lifecycle.running_services(settings) == {}
