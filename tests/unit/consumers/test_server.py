"""The status server's routes on a state fed by hand, without Kafka: escaping, JSON, and the event stream."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from dataclasses import replace
from typing import Any
from unittest import mock

import server
from models import TransitStatus
from server import make_app
from tornado.testing import AsyncHTTPTestCase, gen_test

from tests.support.consumer_records import arrival, station

# Tornado's test deadlines (gen_test, fetch) are 5 s unless this says otherwise: too tight a guard for a busy machine.
os.environ.setdefault("ASYNC_TEST_TIMEOUT", "60")
EVIL = "<script>alert('x')</script> & Co"


async def read_events(port: int, path: str, wanted: int) -> list[tuple[str, dict[str, Any]]]:
    """The first ``wanted`` server-sent events of ``path``, as (event, data)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n".encode())
    events: list[tuple[str, dict[str, Any]]] = []
    kind = ""
    try:
        while len(events) < wanted:
            line = (await asyncio.wait_for(reader.readline(), 60)).decode().rstrip("\r\n")
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[len("data: ") :])))
    finally:
        writer.close()
    return events


class ServerTest(AsyncHTTPTestCase):
    def get_app(self) -> Any:
        self.status = TransitStatus()
        self.status.apply([station(40900, "Howard", 0), station(41190, EVIL, 1), station(40100, "Morse", 2)])
        return make_app(self.status, [])

    def test_every_name_on_the_page_is_escaped(self) -> None:
        body = self.fetch("/").body.decode()
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/<wbr>script&gt; &amp; Co" in body  # may wrap after a slash
        assert "<script>alert" not in body
        assert 'src="/static/status.js?v=' in body  # served locally, cache-busted

    def test_the_api_gives_the_state_as_json(self) -> None:
        self.status.apply([arrival(40900, "RL001", 1000)])
        status = json.loads(self.fetch("/api/status").body)
        red = next(line for line in status["lines"] if line["color"] == "red")
        assert [s["name"] for s in red["stations"]] == ["Howard", EVIL, "Morse"]
        assert red["stations"][0]["b"]["train_id"] == "RL001"
        assert red["towards"] == {"a": "Howard", "b": "Morse"}
        assert status["counters"]["stations"] == 3

    def test_health_and_the_map(self) -> None:
        health = self.fetch("/healthz")
        assert health.code == 200 and json.loads(health.body)["healthy"] is True
        assert json.loads(health.body)["caught_up"] is True  # no consumers: nothing to read
        city = json.loads(self.fetch("/api/map").body)
        assert city["stations"]["40900"] == [42.019063, -87.672892]
        assert [line["color"] for line in city["lines"]][:3] == ["red", "blue", "green"]

    def test_every_asset_is_served_locally(self) -> None:
        for asset in ("status.js", "status.css", "favicon.svg"):
            assert self.fetch(f"/static/{asset}").code == 200
        page = self.fetch("/").body.decode()
        assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page

    @gen_test
    async def test_an_update_published_while_the_snapshot_is_on_its_way_follows_it(self) -> None:
        flush = server.EventsHandler.flush
        published: list[bool] = []

        def slow_flush(handler: server.EventsHandler) -> asyncio.Future[None]:
            """A network slower than the loop: while the snapshot is on its way, an update is published."""
            if not published:
                published.append(True)
                self.status.apply([arrival(40900, "RL001", 1000)])
            return flush(handler)

        with mock.patch.object(server.EventsHandler, "flush", slow_flush):
            (first, _), (second, update) = await read_events(self.get_http_port(), "/events", 2)
        assert (first, second) == ("snapshot", "update")
        assert [a["train_id"] for a in update["arrivals"]] == ["RL001"]

    @gen_test
    async def test_the_event_stream_sends_the_picture_then_each_arrival(self) -> None:
        reading = asyncio.ensure_future(read_events(self.get_http_port(), "/events", 3))
        while not self.status.listeners:
            await asyncio.sleep(0.01)
        self.status.apply([arrival(40900, "RL001", 1000)])
        self.status.apply([arrival(41190, "RL001", 3000, prev=40900)])
        (first, snapshot), (_, update), (_, moved) = await reading
        assert first == "snapshot" and snapshot["counters"]["stations"] == 3
        assert [a["train_id"] for a in update["arrivals"]] == ["RL001"]
        assert moved["arrivals"][0]["from"] == {"station_id": 40900, "direction": "b"}
        assert moved["due"]["red"]["40100"]["b"] == 5000  # one hop of 2 s observed: Morse is 2 s after

    @gen_test(timeout=60)
    async def test_a_page_that_stops_reading_is_disconnected(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # little room on the reading side
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", self.get_http_port()))
        _, writer = await asyncio.open_connection(sock=sock)
        small = replace(self._app.settings["config"], max_buffered_bytes=64 * 1024)
        with mock.patch.dict(self._app.settings, {"config": small}):
            writer.write(b"GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")
            while not self.status.listeners:
                await asyncio.sleep(0.01)
            sent = 0
            while self.status.listeners and sent < 50_000:  # never read: the kernel's buffers fill, then Tornado's
                self.status.apply([arrival(40900 if sent % 2 else 41190, f"T{sent % 10}", sent)])
                sent += 1
                if sent % 100 == 0:
                    await asyncio.sleep(0)  # the loop writes what it can
        assert not self.status.listeners
        writer.close()
