"""A Faust worker started before the stations topic exists says, in its terminal, what it waits for.

Users start the four classic commands in any order. Faust sets up its logging only after the hook
that waits for the topic, so the worker used to wait in silence: a terminal with nothing in it,
not even Faust's banner, looked like a hang.
"""

from __future__ import annotations

import os
from pathlib import Path

from clients.endpoints import PROJECT_ROOT
from tests.support.processes import Script, free_port
from tests.support.waiting import wait_for


def test_a_worker_started_before_kafka_has_its_topic_says_what_it_waits_for(tmp_path: Path) -> None:
    # Nothing listens on this port: the worker finds no stations topic, as before Connect made it.
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": f"localhost:{free_port()}", "FAUST_WEB_PORT": str(free_port())}
    argv = ["faust", "-A", "faust_stream", "worker", "-l", "info"]
    worker = Script(PROJECT_ROOT / "consumers", argv, tmp_path / "faust.log", env).start()
    try:
        wait_for(
            lambda: "Waiting for the stations topic org.chicago.cta.stations" in worker.output(),
            "the worker to say in its terminal that it waits for the stations topic",
            90,
        )
    finally:
        worker.stop()
