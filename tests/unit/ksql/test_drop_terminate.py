"""DROP and TERMINATE through the Kafka-free test driver: the server's own checks, with its messages.

The same statements run over HTTP against real Kafka in ``tests/integration/ksql/test_api.py``; here
they meet the queries the driver runs, so a terminated query is seen to stop processing.
"""

from __future__ import annotations

import pytest

from stack.ksql.driver import Driver
from stack.ksql.statements import StatementError

STREAM = "CREATE STREAM RIDES (STATION STRING) WITH (KAFKA_TOPIC='rides', VALUE_FORMAT='JSON');"
COPY = "CREATE STREAM COPIED AS SELECT * FROM RIDES;"
COUNTS = "CREATE TABLE COUNTS AS SELECT STATION, COUNT(*) AS N FROM RIDES GROUP BY STATION;"


def refused(driver: Driver, sql: str) -> str:
    with pytest.raises(StatementError) as error:
        driver.execute(sql)
    return str(error.value)


def test_a_source_read_by_a_query_is_not_dropped_until_the_query_is_terminated() -> None:
    driver = Driver()
    driver.execute(STREAM + COPY)
    assert refused(driver, "DROP STREAM RIDES;") == (
        "Cannot drop RIDES.\n"
        "The following queries read from this source: [CSAS_COPIED_1].\n"
        "The following queries write into this source: [].\n"
        "You need to terminate them before dropping RIDES."
    )
    driver.pipe("rides", (None, {"STATION": "Clark/Lake"}, 1))
    driver.execute("TERMINATE csas_copied_1;")  # ids match in any case, as the server matches them
    driver.pipe("rides", (None, {"STATION": "Belmont"}, 2))
    assert driver.outputs("COPIED") == [(None, {"STATION": "Clark/Lake"}, 1)]
    driver.execute("DROP STREAM RIDES;")
    assert driver.metastore.source("RIDES") is None
    assert driver.read("rides") != []  # without DELETE TOPIC the topic keeps its records


def test_dropping_a_query_sink_stops_its_query_and_delete_topic_empties_the_topic() -> None:
    driver = Driver()
    driver.execute(STREAM + COUNTS)
    driver.pipe("rides", (None, {"STATION": "Howard"}, 1))
    assert driver.outputs("COUNTS") == [("Howard", {"N": 1}, 1)]
    driver.execute("DROP TABLE COUNTS DELETE TOPIC;")
    assert driver.queries == [] and driver.metastore.queries == {}
    assert "COUNTS" not in driver.topics
    driver.pipe("rides", (None, {"STATION": "Howard"}, 2))
    assert driver.read("COUNTS") == []
    driver.execute("DROP STREAM RIDES;")  # its only reader went with the table


def test_drop_refuses_what_the_server_refuses() -> None:
    driver = Driver()
    driver.execute(STREAM + COUNTS)
    assert refused(driver, "DROP STREAM NOPE;") == "Stream NOPE does not exist."
    assert refused(driver, "DROP TABLE NOPE;") == "Table NOPE does not exist."
    driver.execute("DROP STREAM IF EXISTS NOPE;")
    assert refused(driver, "DROP STREAM COUNTS;") == (
        "Incompatible data source type is TABLE, but statement was DROP STREAM. Use DROP TABLE COUNTS for this table."
    )
    assert driver.metastore.source("COUNTS") is not None


def test_terminate_refuses_an_unknown_query_and_terminate_all_stops_every_query() -> None:
    driver = Driver()
    driver.execute(STREAM + COPY + COUNTS)
    assert refused(driver, "TERMINATE CSAS_COPIED_9;") == "Unknown queryId: CSAS_COPIED_9"
    assert sorted(driver.metastore.queries) == ["CSAS_COPIED_1", "CTAS_COUNTS_2"]
    driver.execute("TERMINATE ALL;")
    driver.pipe("rides", (None, {"STATION": "Loyola"}, 1))
    assert driver.read("COPIED") == [] and driver.read("COUNTS") == []
    driver.execute("DROP STREAM COPIED; DROP TABLE COUNTS; DROP STREAM RIDES;")
    assert driver.metastore.sources == {}


def test_query_ids_follow_the_command_count_after_a_drop() -> None:
    """A query's id ends in its statement's offset in the command topic, whatever was dropped before."""
    driver = Driver()
    driver.execute(STREAM + COPY + "DROP STREAM COPIED;" + COPY)
    assert [q.id for q in driver.queries] == ["CSAS_COPIED_3"]
    assert list(driver.metastore.queries) == ["CSAS_COPIED_3"]
