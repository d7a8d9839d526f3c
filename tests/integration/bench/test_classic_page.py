"""The classic page that bench_consumers measures as its baseline: real Kafka in, a page reloaded by HTTP out."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from bench.bench_consumers import Arrivals
from clients.endpoints import PROJECT_ROOT
from stack.settings import Settings
from tests.support.processes import free_port
from tests.support.waiting import wait_for


@pytest.fixture
def arrivals(running_platform: Settings, bootstrap_servers: str) -> Iterator[Arrivals]:
    made = Arrivals(bootstrap_servers, running_platform.endpoints.schema_registry_url)
    yield made
    made.close(bootstrap_servers)


def _page(url: str) -> str:
    try:
        return requests.get(url, timeout=5).text
    except requests.ConnectionError:
        return ""


def test_the_classic_page_shows_the_train_at_each_platform_from_kafka(arrivals: Arrivals) -> None:
    """The baseline must show what Kafka holds: the train at each platform, read from the topic's end at start."""
    arrivals.produce("B700000", (40380, "a"))  # before the page starts: not shown
    arrivals.producer.flush(30)
    port = free_port()
    page = subprocess.Popen([sys.executable, "-m", "bench.classic_page", arrivals.topic, str(port)], cwd=PROJECT_ROOT)
    try:
        url = f"http://localhost:{port}/"
        wait_for(lambda: "<table>" in _page(url), "the classic page answering")
        arrivals.produce("B700001", (40380, "b"))
        arrivals.produce("B700002", (40380, "b"))  # the later arrival at the same platform replaces it
        arrivals.produce("B700003", (41400, "a"))
        shown = wait_for(lambda: "B700003" in (text := _page(url)) and text, "the page showing the arrival")
        assert "B700002" in shown and "B700001" not in shown and "B700000" not in shown
    finally:
        page.terminate()
        page.wait(30)
