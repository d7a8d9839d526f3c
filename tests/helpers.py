"""What several test modules use: REST Proxy content types and requests, schemas, topics, consumers.

Test modules import from here, never from each other.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from confluent_kafka import OFFSET_BEGINNING, Consumer, DeserializingConsumer, KafkaError, Message, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer

from clients.endpoints import PROJECT_ROOT
from clients.kafka import create_topic

V2 = "application/vnd.kafka.v2+json"
JSON = "application/vnd.kafka.json.v2+json"
BINARY = "application/vnd.kafka.binary.v2+json"
AVRO = "application/vnd.kafka.avro.v2+json"

WEATHER_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "weather",
        "namespace": "org.chicago.cta",
        "fields": [
            {"name": "temperature", "type": "float"},
            {"name": "status", "type": {"type": "enum", "name": "status", "symbols": ["sunny", "cloudy", "windy"]}},
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
)
KEY_SCHEMA = json.dumps({"type": "record", "name": "weather_key", "fields": [{"name": "timestamp", "type": "long"}]})


def avro_consumer(bootstrap: str, registry_url: str, group: str, keys: bool = True) -> DeserializingConsumer:
    """A consumer reading from the start with confluent-kafka's own Avro deserializers."""
    registry = SchemaRegistryClient({"url": registry_url})
    config = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "value.deserializer": AvroDeserializer(registry),
    }
    if keys:
        config["key.deserializer"] = AvroDeserializer(registry)
    return DeserializingConsumer(config)


def new_topic(admin: AdminClient, prefix: str, partitions: int = 1) -> str:
    """A fresh topic, created and usable (its leaders answer) before the test touches it."""
    name = f"{prefix}.{uuid.uuid4().hex[:10]}"
    create_topic(admin, name, partitions)
    return name


def produce(http: requests.Session, url: str, content_type: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(url, json=body, headers={"Content-Type": content_type}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/vnd.kafka.v2+json")
    return response.json()


def read_all(bootstrap: str, topic: str, count: int, deserializing: DeserializingConsumer | None = None) -> list[Any]:
    consumer = deserializing or Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"reader-{topic}", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    messages: list[Message] = []

    def all_read() -> bool:
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            messages.append(message)
        return len(messages) >= count

    try:
        wait_for(all_read, f"{count} message(s) of {topic}", 120, every=0)
    finally:
        consumer.close()
    assert len(messages) == count
    return messages


def post(http: requests.Session, url: str, content_type: str, body: Any) -> requests.Response:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return http.post(url, data=data, headers={"Content-Type": content_type})


def assert_error(response: requests.Response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code
    assert isinstance(body["message"], str) and body["message"]


def create_consumer(http: requests.Session, rest_url: str, group: str, **config: Any) -> str:
    response = http.post(f"{rest_url}/consumers/{group}", json=config, headers={"Content-Type": V2})
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["base_uri"].endswith(f"/consumers/{group}/instances/{created['instance_id']}")
    return created["base_uri"]


def subscribe(http: requests.Session, base: str, *topics: str) -> None:
    response = http.post(f"{base}/subscription", json={"topics": list(topics)}, headers={"Content-Type": V2})
    assert response.status_code == 204, response.text


def read_until(http: requests.Session, base: str, accept: str, count: int) -> list[dict[str, Any]]:
    """Polls like a real client: the first reads may be empty while the group forms."""
    records: list[dict[str, Any]] = []

    def enough() -> bool:
        response = http.get(f"{base}/records", params={"timeout": 1000}, headers={"Accept": accept}, timeout=60)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith(accept)
        records.extend(response.json())
        return len(records) >= count

    wait_for(enough, f"{count} record(s) from {base}", 120, every=0)
    return records


def group_name() -> str:
    return f"test-group-{uuid.uuid4().hex[:8]}"


V1_JSON = "application/vnd.schemaregistry.v1+json"


class Api:
    """Raw HTTP against the registry, for what the client library hides (status codes, headers)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def request(self, method: str, path: str, body: object = None, **kwargs: object) -> requests.Response:
        headers = {"Content-Type": V1_JSON, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        return self.session.request(method, self.url + path, json=body, headers=headers, timeout=30, **kwargs)

    def register(self, subject: str, schema: str, **extra: object) -> requests.Response:
        return self.request("POST", f"/subjects/{subject}/versions", {"schema": schema, **extra})


RECORDED = Path(__file__).parent / "consumers" / "data" / "recorded.jsonl"


def recorded_messages(prefix: str) -> list[dict[str, Any]]:
    """Messages recorded from the local platform whose topic starts with ``prefix``, in timestamp order.

    Each has ``topic``, ``partition``, ``offset``, ``timestamp`` and the decoded ``value``.
    """
    rows = [json.loads(line) for line in RECORDED.read_text().splitlines()]
    return [row for row in rows if row["topic"].startswith(prefix)]


def read_to_end(bootstrap: str, topics: Iterable[str]) -> list[Message]:
    """Every committed record of ``topics``, from the start of each partition to where it ends now.

    Partitions are assigned, not subscribed: there is no group to join, so a busy machine makes the
    read slower but never shorter. Topics that do not exist are left out (asking for one by name
    could make the broker create it).
    """
    reader = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex}",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    messages: list[Message] = []
    try:
        existing = reader.list_topics(timeout=30).topics
        wanted = [
            TopicPartition(t, p, OFFSET_BEGINNING) for t in topics if t in existing for p in existing[t].partitions
        ]
        reader.assign(wanted)
        open_partitions = {(tp.topic, tp.partition) for tp in wanted}

        def ended() -> bool:
            for message in reader.consume(10_000, 0.5):
                if message.error() is None:
                    messages.append(message)
                elif message.error().code() == KafkaError._PARTITION_EOF:
                    open_partitions.discard((message.topic(), message.partition()))
            return not open_partitions

        wait_for(ended, f"the end of {', '.join(sorted({tp.topic for tp in wanted}))[:200]}", 300)
    finally:
        reader.close()
    return messages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 60.0, every: float = 0.25) -> Any:
    """Returns ``condition()``'s first true value; fails the test naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


class Script:
    """One of the application's scripts as a process of its own (``python server.py``, ``faust ...``), logged."""

    def __init__(self, folder: Path, argv: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.folder, self.argv, self.log, self.env = folder, argv, log, env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Script:
        first, *rest = self.argv
        # A script file runs with the venv's Python; anything else is one of the venv's programs (faust).
        command = (
            [sys.executable, first, *rest]
            if first.endswith(".py")
            else [str(Path(sys.executable).parent / first), *rest]
        )
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=self.folder,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            )
        return self

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM (each script then flushes and exits), SIGKILL if it has not stopped in ``timeout`` s."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would end it: nothing flushed, nothing closed."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def page_entries(status: dict[str, Any]) -> dict[int, int]:
    """Each station's turnstile total in the status page's ``/api/status``; stations nobody has entered show none."""
    return {
        s["station_id"]: s["entries"] for line in status["lines"] for s in line["stations"] if s["entries"] is not None
    }


def run_stack(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``python -m stack ARGS`` for a private platform (its ports and data folder in ``env``)."""
    result = subprocess.run(
        [sys.executable, "-m", "stack", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"stack {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Chromium without a display, as root, and without the calls home that a test has no use for."""


@contextmanager
def headless_chromium(width: int = 1600, height: int = 1200) -> Iterator[Any]:
    """A selenium-driven headless Chromium in a fresh profile, removed afterwards; skips the test if not installed."""
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip("Chromium is not installed: `make setup` installs the packages chromium and chromium-driver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cta-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (*CHROMIUM_FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(argument)
    browser = webdriver.Chrome(options=options, service=Service(chromedriver))
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class PageView:
    """What the status page shows in the browser, read in one go (so that all of it is of one moment)."""

    live: str
    """The ``#live`` badge: connecting, live or reconnecting."""
    stream: dict[str, int]
    """The script's counters (``#live``'s data-*): opens, errors, reopened, snapshots, sequence."""
    moves: int
    """Trains that glided on the map to a new platform."""
    stations: dict[str, dict[int, str]]
    """Per line, the rows of its table: station id -> name."""
    entries: dict[int, int]
    """The stations whose row shows a turnstile total, with it."""
    at_platforms: dict[str, set[str]]
    """Per line, the trains its table shows at a platform."""
    on_map: dict[str, set[str]]
    """Per line, the trains drawn on the map."""
    weather: str
    """The weather's status, empty while there is none."""
    marked: bool
    """Whether ``window.testMark`` is still set: the page has not been loaded again since it was set."""


PAGE_VIEW = """
const live = document.getElementById("live");
const lines = {};
for (const article of document.querySelectorAll("article[data-line]")) {
  lines[article.dataset.line] = [...article.querySelectorAll("tbody tr")].map((row) => [
    Number(row.dataset.station),
    row.querySelector("td.name").textContent,
    row.querySelector("td.entries").textContent,
    [...row.querySelectorAll(".train")].map((pill) => pill.textContent),
  ]);
}
const markers = [...document.querySelectorAll("#trains .train-marker")].map((m) => [m.classList[1], m.dataset.train]);
return {
  live: live.textContent,
  stream: { ...live.dataset },
  moves: Number(document.getElementById("map").dataset.moves || 0),
  lines,
  markers,
  weather: document.getElementById("weather").dataset.status,
  marked: window.testMark === true,
};
"""


def page_view(browser: Any) -> PageView:
    raw = browser.execute_script(PAGE_VIEW)
    rows = raw["lines"]
    on_map: dict[str, set[str]] = {color: set() for color in rows}
    for color, train in raw["markers"]:
        on_map.setdefault(color, set()).add(train)
    return PageView(
        live=raw["live"],
        stream={name: int(value) for name, value in raw["stream"].items() if value != ""},
        moves=raw["moves"],
        stations={color: {row[0]: row[1] for row in line} for color, line in rows.items()},
        entries={row[0]: int(row[2].replace(",", "")) for line in rows.values() for row in line if row[2]},
        at_platforms={color: {train for row in line for train in row[3]} for color, line in rows.items()},
        on_map=on_map,
        weather=raw["weather"],
        marked=raw["marked"],
    )


def zigzag_varint(data: bytes, at: int) -> int:
    """The Avro int (zig-zag varint) at ``data[at]``: reads a record's first field without its schema."""
    shift = result = 0
    while True:
        byte = data[at]
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return (result >> 1) ^ -(result & 1)
        shift, at = shift + 7, at + 1
