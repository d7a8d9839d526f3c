"""The status page's script in headless Chromium, against the real server on a state fed by hand.

No Kafka: each "server" is ``server.make_app`` on a :class:`TransitStatus` that the test feeds,
served on a thread of its own, so that the test decides exactly what the page is told: a server
that goes away and comes back knowing other trains and counting from a lower sequence number, an
update the page misses, a train that another one displaces from its platform. The pipeline test
(``test_pipeline.py``) does the same to the real ``python server.py`` with the simulation running.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from models import Record, TransitStatus
from server import make_app
from tornado.httpserver import HTTPServer

from cta.lines import LINES
from tests.support.browser import PageView, headless_chromium, page_view
from tests.support.consumer_records import arrival, station
from tests.support.processes import free_port
from tests.support.waiting import wait_for

HOWARD, JARVIS, MORSE = 40900, 41190, 40100
RED = {HOWARD: "Howard", JARVIS: "Jarvis", MORSE: "Morse"}


def stations() -> list[Record]:
    return [station(station_id, name, order) for order, (station_id, name) in enumerate(RED.items())]


class PageServer:
    """The status server's application on ``port``, on its own thread and event loop, fed by the test.

    It starts with the state that ``batches`` make (each one event), as a server that has read Kafka.
    """

    def __init__(self, port: int, *batches: list[Record]) -> None:
        self.port = port
        self.status = TransitStatus()
        for batch in batches:
            self.status.apply(batch)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: HTTPServer = self.call(self._listen)

    async def _listen(self) -> HTTPServer:
        server = HTTPServer(make_app(self.status, []))
        server.listen(self.port, "127.0.0.1")
        return server

    def call(self, function: Callable[[], Any]) -> Any:
        """Runs ``function`` (a coroutine function or a plain one) on the server's loop; returns its result."""

        async def run() -> Any:
            result = function()
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(30)

    def apply(self, *records: Record) -> None:
        """One batch of records: one event to every open page."""
        self.call(lambda: self.status.apply(records))

    def __enter__(self) -> PageServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stops listening and drops every connection, as a server that dies does; again, does nothing."""
        if self.loop.is_closed():
            return

        async def close() -> None:
            self.server.stop()
            await self.server.close_all_connections()

        self.call(close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


def showing(browser: Any, predicate: Callable[[PageView], bool], what: str) -> PageView:
    """Waits until the page's view satisfies ``predicate``; returns that view."""
    last: list[PageView] = []

    def condition() -> bool:
        last[:] = [page_view(browser)]
        return predicate(last[0])

    try:
        wait_for(condition, what, 30, every=0.1)
    except AssertionError as error:
        raise AssertionError(f"{error}; the page shows {last[0]}") from None
    return last[0]


def trains(view: PageView) -> tuple[set[str], set[str]]:
    return view.at_platforms.get("red", set()), view.on_map.get("red", set())


def test_a_new_server_replaces_the_whole_picture_and_a_missed_update_brings_a_new_one() -> None:
    port = free_port()
    first = PageServer(port, stations(), [arrival(MORSE, "RL002", 1000)], [arrival(HOWARD, "RL001", 2000)])
    for n in range(1, 31):  # RL001 shuttles: the first server counts far beyond what the second will reach
        here, there = (JARVIS, HOWARD) if n % 2 else (HOWARD, JARVIS)
        first.apply(arrival(here, "RL001", 2000 + n * 1000, prev=there))
    with first, headless_chromium() as browser:
        browser.get(f"http://localhost:{port}")
        browser.execute_script("window.testMark = true")
        before = showing(browser, lambda v: v.live == "live" and trains(v) == ({"RL001", "RL002"},) * 2, "two trains")
        assert before.stream["sequence"] == first.status.sequence > 30

        first.stop()
        showing(browser, lambda v: v.live == "reconnecting", "the page reconnecting")
        # Another server: other trains, and its events counted from 0.
        with PageServer(port, stations(), [arrival(HOWARD, "RL003", 50_000)]) as second:
            back = showing(
                browser, lambda v: v.live == "live" and v.stream["snapshots"] == 2, "the second server's snapshot"
            )
            assert back.marked and back.stations == {line: RED if line == "red" else {} for line in LINES}
            assert trains(back) == ({"RL003"}, {"RL003"})  # RL001 and RL002 have gone
            assert back.stream["sequence"] == second.status.sequence == 2

            second.apply(arrival(JARVIS, "RL003", 52_000, prev=HOWARD))
            moved = showing(browser, lambda v: v.moves == before.moves + 1, "RL003 gliding to Jarvis")
            assert moved.stream["sequence"] == 3 and trains(moved) == ({"RL003"}, {"RL003"})

            # An update the page misses (as if its connection had been cut off in between): the
            # next one does not follow on, and the page asks for the whole picture again.
            listeners = second.call(lambda: set(second.status.listeners))
            second.call(second.status.listeners.clear)
            second.apply(arrival(MORSE, "RL003", 54_000, prev=JARVIS))
            second.call(lambda: second.status.listeners.update(listeners))
            second.apply(arrival(HOWARD, "RL004", 55_000))
            again = showing(browser, lambda v: v.stream["snapshots"] == 3 and v.live == "live", "a new snapshot")
            assert again.stream["reopened"] == back.stream["reopened"] + 1
            assert again.stream["sequence"] == second.status.sequence == 5
            assert trains(again) == ({"RL003", "RL004"}, {"RL003", "RL004"})

            # RL005 arrives where RL003 stands: the server shows RL003 nowhere any more, nor does the map.
            second.apply(arrival(MORSE, "RL005", 56_000))
            displaced = showing(browser, lambda v: v.stream["sequence"] == 6, "RL005 at Morse")
            assert trains(displaced) == ({"RL004", "RL005"}, {"RL004", "RL005"})
            assert displaced.marked and displaced.live == "live"
