"""The stations as the status page needs them, by a Faust stream processor.

Kafka Connect copies PostgreSQL's ``stations`` table to ``org.chicago.cta.stations``: one JSON
object per stop, and a station has a stop per direction. This app turns each stop into a
``TransformedStation`` (station id, name, order, line) per 'L' line serving it, written to
``org.chicago.cta.stations.table.v1`` with the station id as key. The Faust table ``stations``
(its changelog is a Kafka topic) keeps, per line and station, the station last written and what
each stop gave: a stop that changes nothing (the station's other direction) writes nothing, and
neither does a stop read again (a worker restarted before committing its offset). So each
station is written once per line it serves, again only if a new stop changes it (the two stops
of 95th/Dan Ryan disagree on its spelling). A restarted worker rebuilds the table from its
changelog and goes on after the last offset it committed.

The worker may start before the stations topic exists (Kafka Connect creates it once the
simulation, or ``python producers/connector.py``, configures the stations connector): it then
waits, saying every half minute what for, and subscribes once the topic is there. Its consumer
refreshes the topics' metadata every 2 s (``STATIONS_WORKER_METADATA_REFRESH_MS``), so a topic created again later is
read within seconds, not after the client's five-minute default.

A stop's lines are its table's flags: the classic ``red``, ``blue``, ``green`` and the other five
lines' columns (a table of the classic project's shape, without them, gives the classic three).
A station's ``order`` along each line is ``cta.lines``'s, from the CTA's station order, as the
simulation runs it: a Loop platform serves up to four lines and has one ``order`` column; the
row's own ``order`` is taken for a station that data does not know.

Stops on no line (Sheridan's unused platforms), and rows that are not what Connect writes, are
logged, counted and skipped.

Run from ``consumers/``: ``faust -A faust_stream worker -l info``; ``python faust_stream.py tables``
lists the table (Faust's own commands and options, ``--json`` included, all work).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import faust
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from models.record import MALFORMED, Skip, Skips, field

from clients.endpoints import LISTEN_HOST
from clients.kafka import create_topic
from cta import topics
from cta.config import StationsWorkerConfig
from cta.lines import CLASSIC_LINES, LINES, station_order

logger = logging.getLogger(__name__)

APP_ID = "org.chicago.cta.stations.stream"
TOPIC_CHECK_MS = 500
"""How often a worker waiting for the stations topic looks for it: on a first start the page waits for this worker."""
NOT_ON_A_LINE = "on no line"


class TransformedStation(faust.Record, include_metadata=False, serializer="json"):
    station_id: int
    station_name: str
    order: int
    line: str


def broker_urls(bootstrap_servers: str) -> str:
    """``PLAINTEXT://h:9092,h:9093`` -> ``kafka://h:9092;h:9093``, the form Faust takes."""
    hosts = [server.strip().split("://")[-1] for server in bootstrap_servers.split(",")]
    return "kafka://" + ";".join(hosts)


def transform(row: Any) -> list[TransformedStation]:
    """The station of a stop for each line serving it (one, or up to four on the Loop; none for
    Sheridan's unused platforms); raises Skip."""
    station_id = field(row, "station_id", int)
    name = field(row, "station_name", str)
    order = field(row, "order", int, nullable=True)
    serving = [line for line in LINES if (line in CLASSIC_LINES or line in row) and field(row, line, bool)]
    stations = []
    for line in serving:
        line_order = station_order(line, station_id)
        if line_order is None and order is None:
            raise Skip(MALFORMED, f"station {station_id} ({name}) has no order along the {line} line")
        stations.append(TransformedStation(station_id, name, order if line_order is None else line_order, line))
    return stations


class StationsApp(faust.App):
    """Faust's app, putting the stations partition back at its committed offset each time a rebalance ends.

    faust-streaming drops records it fetched in the middle of a rebalance (the flow not yet active,
    the generation moved on) and counts on a seek to the committed offsets to fetch them again. But
    aiokafka's ``seek_to_committed`` moves nothing when that offset is 0 or there is none, so a
    worker restarted before its first commit past 0 sat ready and idle with every row unread (one
    start in about ten in the tests, and once in CI). Here the offset is sought even then (the
    beginning when none is committed); a row read twice writes nothing the second time (the table).
    """

    def on_rebalance_end(self) -> None:
        super().on_rebalance_end()
        self.add_future(self._seek_streams_to_committed())

    async def _seek_streams_to_committed(self) -> None:
        committed = await self.consumer.seek_to_committed()  # moves the partitions committed past 0
        unmoved = [tp for tp, offset in committed.items() if not offset and tp.topic == topics.STATIONS]
        if unmoved:
            await self.consumer.seek_wait(await self.consumer.earliest_offsets(*unmoved))


config = StationsWorkerConfig.from_env()
_bootstrap = config.bootstrap_servers
app = StationsApp(
    APP_ID,
    broker=broker_urls(_bootstrap),
    # Faust's own variables are FAUST_*: unprefixed, Faust would take our WEB_PORT (the status page's).
    env_prefix="FAUST_",
    store="memory://",  # the table is rebuilt from its changelog topic at each start
    datadir=config.data_dir / "faust",
    topic_partitions=1,  # co-partitioned with the one-partition stations topic
    # One copy per listed broker, up to three: a three-broker platform keeps the changelog on each.
    topic_replication_factor=min(3, len(_bootstrap.split(","))),
    consumer_metadata_max_age_ms=config.metadata_refresh_ms,
    # A worker killed with SIGKILL cannot leave its group: the one started after it gets the partition
    # only when the dead one's session ends. Faust's 60 s made a restart look hung for a minute; 10 s
    # (Kafka's default before 3.0) is three missed heartbeats. FAUST_BROKER_SESSION_TIMEOUT overrides it.
    broker_session_timeout=10.0,
    web_bind=LISTEN_HOST,  # `faust worker` always serves Faust's web views (port 6066, FAUST_WEB_PORT)
)
# Raw bytes, decoded below: a row that is not JSON is counted like any other bad row.
stations_topic = app.topic(topics.STATIONS, value_serializer="raw")
output_topic = app.topic(
    topics.STATIONS_TABLE, key_serializer="json", value_type=TransformedStation, partitions=1, internal=True
)
table = app.Table(
    "stations", partitions=1, help="Per line and station id (red:40900): the station last written, and each stop's."
)
skips = Skips()


def _stations_topic_exists(admin: AdminClient) -> bool:
    try:
        # Every topic's metadata: asking for this one by name would make the broker create it, empty.
        return topics.STATIONS in admin.list_topics(timeout=5).topics
    except KafkaException:
        return False  # Kafka not reachable yet: keep waiting, the log says what for


@app.on_worker_init.connect
def wait_for_the_stations_topic(sender: faust.App, **_: Any) -> None:
    """The worker subscribes once Kafka Connect has created the stations topic, and says so while it waits.

    Subscribed earlier, its consumer's own metadata requests made the broker create the topic empty,
    and the rebalance that followed once Connect wrote to it sometimes cost rows (the first ones
    skipped, or one written twice).
    """
    if "worker" not in sys.argv[1:]:
        return  # `faust -A faust_stream tables` and the like need no topic
    admin = AdminClient({"bootstrap.servers": _bootstrap})
    began = said = time.monotonic()
    with _heard_before_faust_logs():
        while not _stations_topic_exists(admin):
            if time.monotonic() - said >= config.waiting_log_ms / 1000 or said == began:
                said = time.monotonic()
                logger.warning(
                    "Waiting for the stations topic %s, which Kafka Connect creates when the stations connector is "
                    "configured (`python simulation.py` or `python connector.py` in producers/ does it).",
                    topics.STATIONS,
                )
            time.sleep(min(config.metadata_refresh_ms, TOPIC_CHECK_MS) / 1000)
        if time.monotonic() - began > 1:
            logger.info("The stations topic exists now (after %.0f s); starting.", time.monotonic() - began)
    declare_changelog(admin)


def declare_changelog(admin: AdminClient) -> None:
    """Creates the table's changelog topic, as Faust would, and waits until Kafka's metadata shows it.

    Faust creates it itself at start and then counts its partitions in metadata that may not show it
    yet: the table refused the first rows ("0 partitions", PartitionsMismatch), the agent restarted
    after them, and their stations never reached the page (seen with the four commands started at once).
    """
    create_topic(
        admin,
        table.changelog_topic.get_topic_name(),
        partitions=1,
        config={"cleanup.policy": "compact"},
        replication_factor=app.conf.topic_replication_factor,
    )


@contextmanager
def _heard_before_faust_logs() -> Iterator[None]:
    """Our messages reach the terminal while the worker waits, before Faust sets up its logging.

    Faust does that once this hook has returned, and until then the NullHandler it gives this
    module's logger swallowed them: a user who started the worker first saw nothing at all.
    """
    if logging.getLogger().handlers:
        yield  # logging is set up already (a test, an embedding program): it shows them
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s] [%(process)s] [%(levelname)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


@app.agent(stations_topic)
async def transform_stations(rows: faust.Stream[bytes]) -> None:
    await output_topic.maybe_declare()  # before the first send, which would otherwise create it with defaults
    async for raw in rows:
        try:
            row = json.loads(raw)
            stop = str(field(row, "stop_id", int))
            stations = transform(row)
        except (ValueError, Skip) as error:
            skip = error if isinstance(error, Skip) else Skip(MALFORMED, f"not JSON ({error})")
            skips.add(topics.STATIONS, skip)
            continue
        if not stations:
            skips.add(topics.STATIONS, Skip(NOT_ON_A_LINE, f"stop {stop} of station {row['station_id']}"))
        for station in stations:
            key = f"{station.line}:{station.station_id}"
            known = table.get(key) or {"station": None, "stops": {}}
            if known["stops"].get(stop) == station.asdict():
                continue  # this stop was read before: a restarted worker reading it again
            if known["station"] != station.asdict():
                await output_topic.send(key=station.station_id, value=station)
                logger.info("Station %s (%s line, #%d) written.", station.station_name, station.line, station.order)
            table[key] = {"station": station.asdict(), "stops": {**known["stops"], stop: station.asdict()}}


if __name__ == "__main__":
    app.main()
