"""The whole pipeline on the local platform: simulation, Faust worker, ksql.py and the status server together.

Each process is started as its users start it, from its folder. The tests run in this order and
share the processes: the page fills and the event stream carries arrivals while
the simulation runs; a browser watches a train move; then the simulation stops, and the turnstile
totals are compared with KSQL's and with the events in Kafka; last, the server and the Faust
worker are restarted and must come back with the same picture, no station lost or doubled.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from cta import topics
from producers.models.data import LINES, line_stations
from stack.settings import PROJECT_ROOT, Settings
from tests.helpers import Script, free_port, page_entries, wait_for

CONSUMERS = PROJECT_ROOT / "consumers"
PRODUCERS = PROJECT_ROOT / "producers"
FAUST_GROUP = "org.chicago.cta.stations.stream"
EXPECTED = {line: {s.station_id: s.name for s in line_stations(line)} for line in LINES}
SCREENSHOT = PROJECT_ROOT / "images" / "ui.png"


@dataclass
class Pipeline:
    started: float
    url: str
    logs: Path
    simulation: Script
    faust: Script
    server: Script
    server_env: dict[str, str]
    bootstrap: str

    def status(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/api/status", timeout=10).json()

    def health(self) -> dict[str, Any] | None:
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).json()
        except requests.ConnectionError:
            return None


@pytest.fixture(scope="module")
def pipeline(running_platform: Settings, bootstrap_servers: str) -> Iterator[Pipeline]:
    logs = Path(tempfile.mkdtemp(prefix="cta-pipeline-"))
    port = free_port()
    server_env = {"WEB_PORT": str(port)}
    started = time.monotonic()
    simulation = Script(PRODUCERS, ["simulation.py", "--sleep", "2", "--seed", "11"], logs / "simulation.log").start()
    faust = Script(
        CONSUMERS, ["faust", "-A", "faust_stream", "worker", "-l", "info"], logs / "faust.log", faust_env()
    ).start()
    ksql = Script(CONSUMERS, ["ksql.py"], logs / "ksql.log").start()
    assert ksql.process is not None and ksql.process.wait(120) == 0, ksql.output()
    server = Script(CONSUMERS, ["server.py"], logs / "server.log", server_env).start()
    running = Pipeline(
        started, f"http://localhost:{port}", logs, simulation, faust, server, server_env, bootstrap_servers
    )
    yield running
    for script in (running.server, running.faust, running.simulation):
        script.stop()
    shutil.rmtree(logs, ignore_errors=True)


def faust_env() -> dict[str, str]:
    return {"FAUST_WEB_PORT": str(free_port())}


def complete(status: dict[str, Any]) -> bool:
    """Every station of the three lines is listed and each line shows trains."""
    lines = {line["color"]: line for line in status["lines"]}
    return all(
        {s["station_id"]: s["name"] for s in lines[color]["stations"]} == EXPECTED[color]
        and any(s["a"] or s["b"] for s in lines[color]["stations"])
        for color in LINES
    )


def test_the_page_lists_every_station_and_shows_trains(pipeline: Pipeline) -> None:
    # How soon is measured by `make bench` (`make run` to the first train); 300 s here only guard against a hang.
    wait_for(lambda: pipeline.health() and complete(pipeline.status()), "every station and some trains", 300)
    page = requests.get(pipeline.url, timeout=10).text
    names = {html.unescape(name) for name in re.findall(r'<td class="name">(.*?)</td>', page)}
    assert names == {name for line in EXPECTED.values() for name in line.values()}
    assert "O&#x27;Hare" in page  # names are escaped


def test_the_push_channel_delivers_arrivals(pipeline: Pipeline) -> None:
    with requests.get(f"{pipeline.url}/events", stream=True, timeout=30) as stream:
        kinds, arrivals = [], []
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                kinds.append(line[len("event: ") :])
            elif line.startswith("data: ") and kinds[-1] == "update":
                arrivals += json.loads(line[len("data: ") :])["arrivals"]
                if len(arrivals) >= 10:
                    break
    assert kinds[0] == "snapshot"
    for arrival in arrivals:
        assert arrival["station_id"] in EXPECTED[arrival["line"]]
        assert arrival["direction"] in ("a", "b") and arrival["train_id"][:2] in ("BL", "GL", "RL")


def test_a_browser_sees_the_trains_move(pipeline: Pipeline) -> None:
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("Chromium is not installed: `make setup` installs the packages chromium and chromium-driver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1600,1200",
        f"--user-data-dir={tempfile.mkdtemp(prefix='cta-chromium-')}",
    ):
        options.add_argument(argument)
    browser = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        browser.get(pipeline.url)
        moves = "return Number(document.getElementById('map').dataset.moves || 0)"
        live = "return document.getElementById('live').textContent"
        wait_for(lambda: browser.execute_script(moves) >= 3, "three trains moving on the map", 30)
        assert browser.execute_script(live) == "live"
        rows = browser.execute_script("return document.querySelectorAll('tbody tr').length")
        markers = browser.execute_script("return document.querySelectorAll('#trains .train-marker').length")
        assert rows == sum(len(line) for line in EXPECTED.values())
        assert markers >= 3
        SCREENSHOT.parent.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(SCREENSHOT))
    finally:
        browser.quit()


def turnstile_events(bootstrap: str) -> Counter[int]:
    """Entries per station in the turnstile topic, all of it, read up to its current end."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-{uuid.uuid4().hex}"})
    partitions = consumer.list_topics(topics.TURNSTILE, timeout=10).topics[topics.TURNSTILE].partitions
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topics.TURNSTILE, p), timeout=10)[1] for p in partitions}
    consumer.assign([TopicPartition(topics.TURNSTILE, p, 0) for p in partitions])
    counts: Counter[int] = Counter()
    left = {p for p, end in ends.items() if end > 0}
    try:
        while left:
            for message in consumer.consume(10_000, 1.0):
                assert message.error() is None, message.error()
                # Confluent framing (5 bytes), then the Avro record: station_id, an int, comes first.
                counts[zigzag_varint(message.value(), 5)] += 1
                if message.offset() + 1 >= ends[message.partition()]:
                    left.discard(message.partition())
    finally:
        consumer.close()
    return counts


def zigzag_varint(data: bytes, at: int) -> int:
    shift = result = 0
    while True:
        byte = data[at]
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return (result >> 1) ^ -(result & 1)
        shift, at = shift + 7, at + 1


def turnstile_summary(bootstrap: str) -> dict[int, int]:
    """TURNSTILE_SUMMARY's latest COUNT per station key (KAFKA format: a 4-byte big-endian int)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",  # KSQL writes in transactions; an aborted one never counted
        }
    )
    consumer.subscribe([topics.TURNSTILE_SUMMARY])
    latest: dict[int, int] = {}
    try:
        while batch := consumer.consume(10_000, 3.0):
            for message in batch:
                if message.error() is None and message.value() is not None:
                    value = json.loads(message.value())
                    assert value["STATION_ID"] == struct.unpack(">i", message.key())[0]
                    latest[value["STATION_ID"]] = value["COUNT"]
    finally:
        consumer.close()
    return latest


def test_every_turnstile_total_equals_ksqls_count_and_the_events_produced(pipeline: Pipeline) -> None:
    assert pipeline.simulation.stop() == 0, pipeline.simulation.output()[-3000:]
    produced = turnstile_events(pipeline.bootstrap)
    stations = {station_id for line in EXPECTED.values() for station_id in line}
    # How many stations saw a rider by now depends on the machine's pace; every one of them counts.
    assert produced and set(produced) <= stations
    wait_for(lambda: page_entries(pipeline.status()) == produced, "the page's totals reach the events produced", 120)
    assert turnstile_summary(pipeline.bootstrap) == produced


def test_a_restarted_server_rebuilds_the_same_picture_from_kafka(pipeline: Pipeline) -> None:
    before = pipeline.status()
    assert pipeline.server.stop() == 0
    pipeline.server = Script(CONSUMERS, ["server.py"], pipeline.logs / "server.log", pipeline.server_env).start()
    wait_for(lambda: (pipeline.health() or {}).get("caught_up"), "the restarted server caught up", 60)
    after = pipeline.status()
    # Stations, trains at the platforms and totals; the due times depend on how many travel times
    # each server has seen, so they may differ.
    for line in ("towards", "stations"):
        assert [line_after[line] for line_after in after["lines"]] == [
            line_before[line] for line_before in before["lines"]
        ]
    assert after["weather"] == before["weather"]
    assert after["counters"]["skipped"] == dict.fromkeys(before["counters"]["skipped"], 0)


def station_records(bootstrap: str) -> list[str]:
    """Every record of the stations table topic, as written."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"test-{uuid.uuid4().hex}", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topics.STATIONS_TABLE])
    records = []
    try:
        while batch := consumer.consume(1000, 3.0):
            records += [m.value().decode() for m in batch if m.error() is None]
    finally:
        consumer.close()
    return records


def end_offset(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-{uuid.uuid4().hex}"})
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    finally:
        consumer.close()


def faust_position(admin: AdminClient) -> int:
    request = ConsumerGroupTopicPartitions(FAUST_GROUP, [TopicPartition(topics.STATIONS, 0)])
    answer = admin.list_consumer_group_offsets([request])[FAUST_GROUP].result(10)
    return answer.topic_partitions[0].offset


def test_a_restarted_faust_worker_loses_and_doubles_no_station(pipeline: Pipeline) -> None:
    admin = AdminClient({"bootstrap.servers": pipeline.bootstrap})
    before = station_records(pipeline.bootstrap)
    written = Counter(before)
    assert max(written.values()) == 1  # no station written twice the same
    stations = {(value["line"], value["station_id"]) for value in map(json.loads, before)}
    assert stations == {(line, station_id) for line, ids in EXPECTED.items() for station_id in ids}

    assert pipeline.faust.stop() == 0, pipeline.faust.output()[-3000:]
    # As if it had stopped before committing anything: the restarted worker reads every row again.
    rewind = ConsumerGroupTopicPartitions(FAUST_GROUP, [TopicPartition(topics.STATIONS, 0, 0)])
    admin.alter_consumer_group_offsets([rewind])[FAUST_GROUP].result(10)
    end = end_offset(pipeline.bootstrap, topics.STATIONS)
    pipeline.faust = Script(
        CONSUMERS, ["faust", "-A", "faust_stream", "worker", "-l", "info"], pipeline.logs / "faust-2.log", faust_env()
    ).start()
    wait_for(lambda: faust_position(admin) == end, "the restarted worker read every row again", 120)
    assert station_records(pipeline.bootstrap) == before
    assert complete(pipeline.status())
