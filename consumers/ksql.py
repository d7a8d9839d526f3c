"""Creates KSQL's counts of turnstile entries: TURNSTILE_SUMMARY and TURNSTILE_HOURLY, over two streams.

The turnstile topic is a stream of events, one per rider, so it is declared a STREAM (its Avro
schema comes from the Schema Registry) and aggregated into a TABLE: the classic project declared
the events a TABLE, which on modern ksqlDB keeps one row per key instead of counting them.
TURNSTILE_SUMMARY's value holds STATION_ID as well as COUNT (``AS_VALUE``; the key column takes
another name), so consumers written for the classic project still find it there.
TURNSTILE_HOURLY counts the entries per station and hour of *simulated* time, a windowed table
(``WINDOW TUMBLING (SIZE 1 HOUR)``): its key is the station id and the hour's start, its rows can be
asked for by station and hour range with a pull query. It reads the same topic as the stream
TURNSTILE_ENTRIES, declared with ``TIMESTAMP='ENTRY_TIME'``, the simulated time the simulation writes
in each value (the Kafka record's timestamp is the wall clock). TURNSTILE_SUMMARY keeps its own stream
on the record timestamps, so entries written before ``entry_time`` existed are still counted there;
TURNSTILE_HOURLY skips them (they have no simulated time), as ksqlDB skips a record without a timestamp.
Both counts read the topic from the beginning, so they include every entry produced before they were
created.

The windowed table writes its rows with the simulated time, which runs ahead of the wall clock;
Kafka 4 refuses records more than an hour ahead (``log.message.timestamp.after.max.ms``), so both
platforms lift that limit and this script warns when the brokers keep it.

Run from ``consumers/`` with ``python ksql.py`` once. It may run before the simulation (``make
run`` starts both side by side): the streams' columns come from the topic's Avro schema, so it creates the
turnstile topic and registers that schema - the simulation's own - when they are not there yet.
Running it again changes nothing and says so, except on a platform whose TURNSTILE_HOURLY an older
version created over wall-clock hours: that table is dropped with its topic and made again over
simulated hours (TURNSTILE_SUMMARY is left as it is). Statements go to the ksqlDB REST API (``POST
/ksql``), so it works against the local platform's KSQL server and against ksqlDB.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

import requests
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from clients.kafka import client_config, create_topic, error_text
from cta import endpoints, schemas, topics

logger = logging.getLogger("ksql")

HEADERS = {"Content-Type": "application/vnd.ksql.v1+json", "Accept": "application/vnd.ksql.v1+json"}
TIMEOUT = (3.05, 60.0)
STREAM = "TURNSTILE"
TABLE = topics.TURNSTILE_SUMMARY
CREATE_STREAM = f"CREATE STREAM {STREAM} WITH (KAFKA_TOPIC='{topics.TURNSTILE}', VALUE_FORMAT='AVRO');"
CREATE_TABLE = (
    f"CREATE TABLE {TABLE} WITH (VALUE_FORMAT='JSON') AS "
    f"SELECT STATION_ID AS ROWKEY, AS_VALUE(STATION_ID) AS STATION_ID, COUNT(*) AS COUNT "
    f"FROM {STREAM} GROUP BY STATION_ID EMIT CHANGES;"
)
ENTRIES = "TURNSTILE_ENTRIES"
EVENT_TIME = "ENTRY_TIME"
CREATE_ENTRIES = (
    f"CREATE STREAM {ENTRIES} WITH (KAFKA_TOPIC='{topics.TURNSTILE}', VALUE_FORMAT='AVRO', TIMESTAMP='{EVENT_TIME}');"
)
HOURLY = topics.TURNSTILE_HOURLY
CREATE_HOURLY = (
    f"CREATE TABLE {HOURLY} WITH (VALUE_FORMAT='JSON') AS "
    f"SELECT STATION_ID, COUNT(*) AS ENTRIES "
    f"FROM {ENTRIES} WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY STATION_ID EMIT CHANGES;"
)
DROP_WALL_CLOCK_HOURLY = f"DROP TABLE {HOURLY} DELETE TOPIC;"
FUTURE_LIMIT = "log.message.timestamp.after.max.ms"
NO_LIMIT = 2**63 - 1
"""Kafka 3's default for FUTURE_LIMIT (Kafka 4's is an hour), which both platforms set."""
FROM_THE_BEGINNING = {"ksql.streams.auto.offset.reset": "earliest"}


class KsqlError(Exception):
    """KSQL is unreachable or refused a statement; the message says so in one line."""


def ksql(statement: str, properties: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Runs statements through ``POST /ksql``; returns the entities of the answer."""
    url = f"{endpoints().ksql_url}/ksql"
    body = {"ksql": statement, "streamsProperties": properties or {}}
    try:
        response = requests.post(url, json=body, headers=HEADERS, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise KsqlError(
            f"KSQL is not reachable at {endpoints().ksql_url} ({type(error).__name__}): "
            "start the platform (`python -m stack up`) or set KSQL_URL."
        ) from error
    try:
        answer = response.json()
    except ValueError:
        raise KsqlError(f"KSQL answered {response.status_code} without JSON: {response.text[:200]}") from None
    if not response.ok:
        message = answer.get("message", response.text) if isinstance(answer, dict) else response.text
        raise KsqlError(f"KSQL refused `{statement.split(' AS ')[0]}`: {str(message).splitlines()[0]}")
    for entity in answer:
        status = entity.get("commandStatus", {})
        if status.get("status") == "ERROR":
            raise KsqlError(f"KSQL could not run `{entity.get('statementText', statement)}`: {status.get('message')}")
    return answer


def ensure_turnstile_topic() -> None:
    """Creates the turnstile topic and registers its value schema as the simulation does, unless they exist."""
    settings = endpoints()
    try:
        created = create_topic(
            AdminClient(client_config(settings.kafka_bootstrap_servers)), topics.TURNSTILE, topics.TURNSTILE_PARTITIONS
        )
    except KafkaException as error:
        raise KsqlError(f"Kafka cannot create {topics.TURNSTILE}: {error_text(error)}") from error
    if created:
        logger.info("Created the topic %s; the simulation will write to it.", topics.TURNSTILE)
    registry = SchemaRegistryClient({"url": settings.schema_registry_url})
    try:
        registry.register_schema(f"{topics.TURNSTILE}-value", Schema(schemas.load("turnstile_value"), "AVRO"))
    except Exception as error:  # the client raises its own errors and those of its HTTP library
        url = settings.schema_registry_url
        raise KsqlError(f"The Schema Registry at {url} did not take the turnstile schema: {error}") from error


def existing_sources() -> dict[str, str]:
    """The streams and tables KSQL knows: name -> ``STREAM`` or ``TABLE``."""
    sources = {}
    for entity in ksql("SHOW STREAMS; SHOW TABLES;"):
        for source in entity.get("streams", []) + entity.get("tables", []):
            sources[source["name"]] = source["type"]
    return sources


def create() -> bool:
    """Creates what is missing; returns whether anything was created."""
    sources = existing_sources()
    if sources.get(STREAM) == "TABLE":
        raise KsqlError(
            f"{STREAM} is a TABLE, as the classic project declared it, which does not count events: "
            f"drop it (`DROP TABLE {TABLE}; DROP TABLE {STREAM};`) and run this again."
        )
    created = False
    if HOURLY in sources and not counts_simulated_hours():
        ksql(DROP_WALL_CLOCK_HOURLY)
        logger.info("Dropped the table %s and its topic: it counted wall-clock hours.", HOURLY)
        del sources[HOURLY]
    if STREAM not in sources or ENTRIES not in sources:
        ensure_turnstile_topic()  # the schema with entry_time: the streams take their columns from it
    if STREAM not in sources:
        ksql(CREATE_STREAM)
        logger.info("Created the stream %s over %s.", STREAM, topics.TURNSTILE)
        created = True
    if ENTRIES not in sources:
        ksql(CREATE_ENTRIES)
        logger.info("Created the stream %s over %s, timed by the simulated %s.", ENTRIES, topics.TURNSTILE, EVENT_TIME)
        created = True
    if TABLE not in sources:
        ksql(CREATE_TABLE, FROM_THE_BEGINNING)
        logger.info("Created the table %s: turnstile entries per station, counted from the first one.", TABLE)
        created = True
    if HOURLY not in sources:
        ksql(CREATE_HOURLY, FROM_THE_BEGINNING)
        logger.info("Created the table %s: turnstile entries per station and simulated hour.", HOURLY)
        created = True
    if not created:
        logger.info(
            "The streams %s and %s and the tables %s and %s already exist; nothing to do.",
            STREAM,
            ENTRIES,
            TABLE,
            HOURLY,
        )
    warn_of_future_limit()
    return created


def counts_simulated_hours() -> bool:
    """Whether TURNSTILE_HOURLY is written by a query over TURNSTILE_ENTRIES (older versions read TURNSTILE)."""
    described = ksql(f"DESCRIBE {HOURLY};")[0]["sourceDescription"]
    return any(f"FROM {ENTRIES} " in query["queryString"].upper() for query in described.get("writeQueries", []))


def warn_of_future_limit() -> None:
    """Warns when the brokers refuse records ahead of their clock, as TURNSTILE_HOURLY's soon are."""
    admin = AdminClient(client_config(endpoints().kafka_bootstrap_servers))
    try:
        brokers = admin.list_topics(timeout=10).brokers
        resource = ConfigResource(ConfigResource.Type.BROKER, str(min(brokers)))
        entries = admin.describe_configs([resource])[resource].result(10)
    except KafkaException as error:
        logger.warning("Could not read the brokers' %s: %s", FUTURE_LIMIT, error_text(error))
        return
    limit = int(entries[FUTURE_LIMIT].value) if FUTURE_LIMIT in entries else NO_LIMIT
    if limit < NO_LIMIT:
        logger.warning(
            "Kafka refuses records more than %d s ahead of its clock (%s); %s writes its rows at the simulated "
            "time, which runs ahead: set %s=%d on the brokers (`python -m stack up` does; restart an older platform).",
            limit // 1000,
            FUTURE_LIMIT,
            HOURLY,
            FUTURE_LIMIT,
            NO_LIMIT,
        )


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        create()
    except KsqlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
