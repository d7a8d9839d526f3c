"""The command topic's store against the local platform's Kafka."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from stack.ksql.commands import CommandStore
from tests.support.ksql import suffix


def test_a_command_not_applied_in_time_is_not_waited_for_any_longer(bootstrap_servers: str) -> None:
    applying = threading.Event()

    def apply_slowly(command: dict[str, Any], offset: int) -> str:
        applying.wait(60)
        return "applied"

    store = CommandStore(bootstrap_servers, f"test_{suffix()}_", apply_slowly)
    store.start()
    try:
        with pytest.raises(TimeoutError):
            store.execute({"statement": "slow"}, timeout=0.5)
        assert not store._waiting  # a timed-out statement leaves no waiter behind, however many time out
    finally:
        applying.set()
        store.stop()
