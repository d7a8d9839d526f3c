"""The Faust worker on the running platform writes the stations of all eight lines.

The stations connector copies PostgreSQL's table (``python connector.py``, as its users run it),
then ``faust -A faust_stream worker`` turns its rows into ``org.chicago.cta.stations.table.v1``:
every station of every line, each with its order along that line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clients.endpoints import PROJECT_ROOT
from cta import topics
from cta.lines import LINES, line_stations
from stack.settings import Settings
from tests.support.processes import Script, free_port
from tests.support.reading import follow

CONSUMERS = PROJECT_ROOT / "consumers"
PRODUCERS = PROJECT_ROOT / "producers"
EXPECTED = {(line, s.station_id): s.order for line in LINES for s in line_stations(line)}


@pytest.fixture(scope="module")
def faust_worker(running_platform: Settings) -> Iterator[Script]:
    connector = subprocess.run(
        [sys.executable, "connector.py"], cwd=PRODUCERS, capture_output=True, text=True, timeout=300
    )
    assert connector.returncode == 0, connector.stderr[-3000:]
    logs = Path(tempfile.mkdtemp(prefix="cta-faust-lines-"))
    worker = Script(
        CONSUMERS,
        ["faust", "-A", "faust_stream", "worker", "-l", "info"],
        logs / "faust.log",
        {"FAUST_WEB_PORT": str(free_port())},
    ).start()
    yield worker
    worker.stop()
    shutil.rmtree(logs, ignore_errors=True)


def test_the_worker_writes_every_station_of_every_line(faust_worker: Script, bootstrap_servers: str) -> None:
    written: dict[tuple[str, int], dict[str, Any]] = {}
    what = "every station of the eight lines in the stations table topic"
    for message in follow(bootstrap_servers, [topics.STATIONS_TABLE], what, timeout=300):
        value = json.loads(message.value())
        written[(value["line"], value["station_id"])] = value
        if set(EXPECTED) <= set(written):
            break
    assert {line for line, _ in written} == set(LINES)
    # The latest record of each station names its order along that line (the Loop's shared platforms too).
    assert {key: written[key]["order"] for key in EXPECTED} == EXPECTED
    assert faust_worker.process is not None and faust_worker.process.poll() is None, faust_worker.output()[-3000:]
