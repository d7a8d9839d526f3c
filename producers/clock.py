"""Where the simulated clock starts: ``--start``, else after the latest hour any run reached, else today's midnight.

The clock is state, and the simulation's state lives in Kafka. The weather is observed as the
clock enters each simulated hour, with that time as its key, so the weather topic holds one small
record per simulated hour: its latest key is the latest hour any run reached. A simulation started
again goes on at the next hour instead of starting over. Starting over lost counts: KSQL's
TURNSTILE_HOURLY, like ksqlDB, drops an entry whose hour closed more than its grace period (a day)
before the latest entry it has counted, so running the simulation again on the day of a run longer
than a simulated day (24 minutes at the default pace) left the new entries out of the hourly counts.

The latest hour is taken over the whole topic, not the last run's: a run given an earlier
``--start`` (a test's, or a replay) does not set the clock back for the next one. Hours from before
today's midnight do not hold the clock back either: without ``--start`` it never starts before.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import SerializationError

from clients.endpoints import Endpoints
from clients.kafka import read_to_end
from cta import topics

logger = logging.getLogger("simulation")

HOUR = timedelta(hours=1)


def start_time(latest_hour: datetime | None, now: datetime) -> datetime:
    """The hour after ``latest_hour`` if that is today (or later), else the midnight that began ``now``'s day."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if latest_hour is None or latest_hour < midnight:
        return midnight
    return latest_hour.replace(minute=0, second=0, microsecond=0) + HOUR


def resumed_start(endpoints: Endpoints, timeout: float) -> datetime:
    """The clock's start without ``--start``: the hour after the latest one in Kafka, or today's midnight."""
    try:
        latest = latest_weather_hour(endpoints, timeout)
    except Exception as error:  # resuming is a convenience: failing to read the time must not stop the trains
        logger.warning("Could not read the latest simulated hour (%s); starting at today's midnight.", error)
        latest = None
    start = start_time(latest, datetime.now(UTC).replace(tzinfo=None))
    if latest is not None and start > latest:
        logger.info(
            "Resuming the simulated clock after the latest hour in Kafka (%s); --start sets another time.",
            latest.strftime("%a %Y-%m-%d %H:%M"),
        )
    return start


def latest_weather_hour(endpoints: Endpoints, timeout: float) -> datetime | None:
    """The latest simulated time among the weather records' keys (one per simulated hour), if there are any."""
    admin = AdminClient({"bootstrap.servers": endpoints.kafka_bootstrap_servers})
    found = admin.list_topics(topics.WEATHER, timeout=timeout).topics.get(topics.WEATHER)
    if found is None or found.error is not None:
        return None
    partitions = [TopicPartition(topics.WEATHER, p) for p in found.partitions]
    records = read_to_end(endpoints.kafka_bootstrap_servers, partitions, "cta-simulation-clock", timeout)
    deserialize = AvroDeserializer(SchemaRegistryClient({"url": endpoints.schema_registry_url}))
    stamps = []
    for record in records:
        try:
            stamps.append(deserialize(record.key(), None)["timestamp"])
        except (SerializationError, SchemaRegistryError, KeyError, TypeError):
            continue  # a record some other producer wrote: it says nothing of the clock
    return datetime.fromtimestamp(max(stamps) / 1000, UTC).replace(tzinfo=None) if stamps else None
