"""The transit status page: a Tornado server fed by Kafka, pushing every change to the browsers.

Run from ``consumers/`` with ``python server.py`` and browse http://localhost:8888 (``WEB_PORT``).
Five consumers (``consumer.py``) feed one :class:`TransitStatus`: the stations table, the arrivals
of every station, the weather, TURNSTILE_SUMMARY and TURNSTILE_HOURLY (entries per station and
hour: the page's charts and busiest stations). They start together and each reads its topic
as soon as it exists, whatever order the other processes were started in: an arrival or a count
read before its station is held and shown once the station is known (``models/held.py``). The
page is served complete (it reads without JavaScript, like the classic one); its script then
follows ``/events`` (server-sent events) and moves the trains on a map drawn from the stations'
coordinates.

| route | what |
| --- | --- |
| ``/`` | the status page |
| ``/events`` | server-sent events: a ``snapshot``, then an ``update`` per change |
| ``/api/status`` | the whole picture as JSON (what the snapshot event holds) |
| ``/api/map`` | station coordinates and the other 'L' lines, to draw the map |
| ``/healthz`` | 200 while every consumer runs, whether they have caught up, and the counters |

``caught_up`` does not wait for TURNSTILE_HOURLY: the page is whole without its charts, and that
topic exists only where ``ksql.py`` makes the windowed table.
"""

from __future__ import annotations

import asyncio
import logging
import re
import resource
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from consumer import KafkaConsumer
from models import TransitStatus
from models.places import city_map
from topic_check import topic_exists, topic_pattern_match
from tornado.escape import xhtml_escape
from tornado.iostream import StreamBufferFullError, StreamClosedError
from tornado.web import Application, RequestHandler

from clients.serve import configured, run
from cta import topics
from cta.config import StatusPageConfig

logger = logging.getLogger("server")

HERE = Path(__file__).resolve().parent
ARRIVALS_HISTORY = 50
"""Arrivals re-read per station at the start: the latest arrival at each platform is among them."""
WEATHER_HISTORY = 24
OPTIONAL = {topics.TURNSTILE_HOURLY}
"""Topics whose consumer ``caught_up`` does not wait for."""


class StatusHandler(RequestHandler):
    def initialize(self, status: TransitStatus) -> None:
        self.status = status
        self.config: StatusPageConfig = self.application.settings["config"]


class MainHandler(StatusHandler):
    def get(self) -> None:
        snapshot = self.status.snapshot()
        names = {s["station_id"]: s["name"] for line in snapshot["lines"] for s in line["stations"]}
        self.render(
            "status.html",
            snapshot=snapshot,
            terminal=breakable,
            wrappable=wrappable,
            bars=bars,
            names=names,
            busiest_hour=busiest_hour,
            charted_to=charted_hours,
        )


def breakable(name: str) -> str:
    """A terminal's name for a narrow column header: it may wrap after a slash (Harlem/ Lake)."""
    return name.replace("/", "/\u200b")


def wrappable(name: str) -> str:
    """A station's name, escaped, that may wrap after a slash on a phone (Washington/<wbr>Wabash)."""
    return "/<wbr>".join(xhtml_escape(part) for part in name.split("/"))


def busiest_hour(ridership: dict) -> str:
    """The hour the busiest stations are counted in, on the simulated clock ("14:00" to "15:00" with an en
    dash), as status.js says it."""
    labels = ridership["labels"]
    if not labels:
        return "this hour"
    following = f"{(int(labels[-1][:2]) + 1) % 24:02d}:00"
    return f"{labels[-1]}\u2013{following}"


def charted_hours(ridership: dict) -> str:
    """The charts' simulated hours, first to last ("09:00" to "14:00" with an en dash); it may wrap after
    the dash."""
    labels = ridership["labels"]
    return f"{labels[0]}\u2013\u200b{labels[-1]}" if labels else ""


def bars(series: list[int] | None, labels: list[str] | None = None) -> str:
    """A station's entries per hour as a small SVG bar chart, as status.js draws it (numbers and hour labels
    only: no escaping)."""
    if not series:
        return ""
    top = max(series) or 1
    width = 6 * len(series)
    hours = [f"{label}: " for label in labels] if labels else [""] * len(series)
    rects = "".join(
        f'<rect x="{6 * i}" y="{16 - h}" width="5" height="{h}"><title>{hour}{n:,}</title></rect>'
        for i, (n, hour) in enumerate(zip(series, hours, strict=False))
        for h in [max(1, round(15 * n / top)) if n else 0]
    )
    return f'<svg class="bars" viewBox="0 0 {width} 16" width="{width}" height="16" role="img">{rects}</svg>'


class EventsHandler(StatusHandler):
    """A server-sent event stream: the whole picture first, then every update as it happens.

    The handler is one of the state's listeners: each update is buffered on its connection without
    waiting. A page that stops reading (more than ``max_buffered_bytes`` waiting) is disconnected;
    its browser reconnects and starts again from the whole picture.
    """

    async def get(self) -> None:
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.gone = asyncio.Event()
        stream = self.request.connection.stream  # type: ignore[attr-defined]
        stream.max_write_buffer_size = self.config.max_buffered_bytes
        # Each update goes out at once: Nagle's algorithm would hold one back until the browser has
        # acknowledged the previous one, which a delayed ACK makes up to 40 ms.
        stream.set_nodelay(True)
        # Listening from the moment the snapshot is written: an update published while it is still on
        # its way follows it instead of being lost.
        self.write(b"retry: 2000\n\n" + self.status.snapshot_event())
        self.status.listeners.add(self.send)
        try:
            await self.flush()
        except StreamClosedError:
            self.status.listeners.discard(self.send)
            return
        try:
            while not self.gone.is_set():
                try:
                    await asyncio.wait_for(self.gone.wait(), self.config.keepalive_ms / 1000)
                except TimeoutError:
                    self.send(b": still here\n\n")
        finally:
            self.status.listeners.discard(self.send)

    def send(self, event: bytes) -> None:
        try:
            self.write(event)
            # Not awaited: the stream buffers. The future only says when the bytes left, and a
            # closed page is noticed by on_connection_close.
            self.flush().add_done_callback(lambda done: done.exception())
        except StreamClosedError:
            self.gone.set()
        except StreamBufferFullError:
            self.request.connection.stream.close()  # type: ignore[attr-defined]
            self.gone.set()

    def on_connection_close(self) -> None:
        self.gone.set()


class ApiStatusHandler(StatusHandler):
    def get(self) -> None:
        self.write(self.status.snapshot())


class MapHandler(RequestHandler):
    def get(self) -> None:
        self.set_header("Cache-Control", "max-age=3600")
        self.write(city_map())


class HealthHandler(StatusHandler):
    """200 while every consumer runs; ``caught_up`` says whether each has read what Kafka held at its start."""

    def initialize(self, status: TransitStatus, consumers: list[Consumer]) -> None:
        super().initialize(status)
        self.consumers = consumers

    def get(self) -> None:
        stopped = [consumer.topic_name_pattern for consumer, task in self.consumers if task.done()]
        caught_up = all(
            consumer.caught_up.is_set() for consumer, _ in self.consumers if consumer.topic_name_pattern not in OPTIONAL
        )
        self.set_status(503 if stopped else 200)
        self.write({"healthy": not stopped, "stopped": stopped, "caught_up": caught_up, **self.status.counters()})


Consumer = tuple[KafkaConsumer, "asyncio.Task[None]"]
"""A consumer and the task running it."""


def make_app(status: TransitStatus, consumers: list[Consumer], config: StatusPageConfig | None = None) -> Application:
    """The page's routes over ``status``; ``config`` defaults to the documented defaults (tests)."""
    state = {"status": status}
    return Application(
        [
            (r"/", MainHandler, state),
            (r"/events", EventsHandler, state),
            (r"/api/status", ApiStatusHandler, state),
            (r"/api/map", MapHandler),
            (r"/healthz", HealthHandler, {**state, "consumers": consumers}),
        ],
        template_path=str(HERE / "templates"),
        static_path=str(HERE / "static"),
        config=config or StatusPageConfig(),
    )


def _check_topics() -> None:
    """Says which earlier step has not run yet; the page shows what there is and fills in later."""
    missing = [
        (topics.STATIONS_TABLE, "the Faust worker (`faust -A faust_stream worker -l info`)"),
        (topics.TURNSTILE_SUMMARY, "`python ksql.py`"),
    ]
    for topic, step in missing:
        if not topic_exists(topic):
            logger.warning("Topic %s does not exist yet: run %s. It is read as soon as it exists.", topic, step)
    if not topic_pattern_match(topics.ARRIVALS_PREFIX):
        logger.warning("No arrivals topics yet: start the simulation (`python simulation.py` in producers/).")


@asynccontextmanager
async def build(config: StatusPageConfig) -> AsyncIterator[Application]:
    await asyncio.get_running_loop().run_in_executor(None, _check_topics)
    status = TransitStatus()
    consumers = [
        KafkaConsumer(topics.STATIONS_TABLE, status, is_avro=False),
        KafkaConsumer("^" + re.escape(topics.ARRIVALS_PREFIX), status, history=ARRIVALS_HISTORY),
        KafkaConsumer(topics.WEATHER, status, history=WEATHER_HISTORY),
        KafkaConsumer(topics.TURNSTILE_SUMMARY, status, is_avro=False),
        KafkaConsumer(topics.TURNSTILE_HOURLY, status, is_avro=False),
    ]
    running: list[Consumer] = []
    try:
        for consumer in consumers:
            await consumer.start()
            running.append((consumer, asyncio.create_task(consumer.consume())))
        yield make_app(status, running, config)
    finally:
        for _, task in running:
            task.cancel()
        await asyncio.gather(*(task for _, task in running), return_exceptions=True)
        for consumer in consumers:
            try:
                await asyncio.wait_for(consumer.close(), config.close_timeout_ms / 1000)
            except TimeoutError:
                pattern, waited = consumer.topic_name_pattern, config.close_timeout_ms
                logger.warning("The consumer of %s did not close within %d ms.", pattern, waited)


def main() -> int:
    # Each open page holds a connection: allow as many as the system lets this process have.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    title = "The transit status page"
    config = configured(title, StatusPageConfig.from_env)
    return run(title, config.web_port, partial(build, config))


if __name__ == "__main__":
    raise SystemExit(main())
