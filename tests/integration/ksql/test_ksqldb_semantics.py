"""ksqlDB's semantics end to end: statements over HTTP, records through real Kafka, compared with the
input and output records (key bytes, value, timestamp) of ksqlDB's own query validation tests (QTT,
``ksqldb-functional-tests/src/test/resources/query-validation-tests``), named after each case.

Aggregations fold the records of a batch into one output per group, as ksqlDB does with its record
cache on; the QTT cases run without that cache. So these tests give an aggregation one record at a
time, waiting for the query to have committed past it, and then see every output QTT lists.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

import requests
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from clients.kafka import create_topic
from tests.support.ksql import KSQL_JSON, KsqlProcess, ksql, ok, query_caught_up, suffix
from tests.support.reading import read_to_end
from tests.support.waiting import wait_for

Output = tuple[Any, Any, int | None]  # key, value, timestamp as a QTT case lists them
Decode = Callable[[bytes | None], Any]


def int_key(data: bytes | None) -> int | None:
    return None if data is None else struct.unpack(">i", data)[0]


def json_side(data: bytes | None) -> Any:
    return None if data is None else json.loads(data)


def text(data: bytes | None) -> str | None:
    return None if data is None else data.decode()


class Case:
    """One QTT case: its input topic (one partition, so outputs come in input order) and its sinks."""

    def __init__(self, url: str, admin: AdminClient, bootstrap: str) -> None:
        self.url, self.admin, self.bootstrap = url, admin, bootstrap
        self.topic = f"test.qtt.{suffix()}"
        create_topic(admin, self.topic, 1)
        self.producer = Producer({"bootstrap.servers": bootstrap})
        self.name = f"QTT_{suffix()}".upper()

    def statements(self, *texts: str) -> None:
        """Runs the case's statements: ``{input}`` is its topic, ``{name}`` a prefix unique to the test."""
        sql = " ".join(t.format(input=self.topic, name=self.name) for t in texts)
        ok(self.url, sql, {"auto.offset.reset": "earliest"})

    def produce(self, key: bytes | None, value: bytes | None, timestamp: int) -> None:
        self.producer.produce(self.topic, key=key, value=value, timestamp=timestamp)
        assert self.producer.flush(30) == 0

    def outputs(self, sink: str, key: Decode, value: Decode) -> list[Output]:
        return [(key(m.key()), value(m.value()), m.timestamp()[1]) for m in read_to_end(self.bootstrap, [sink])]

    def caught_up(self, sink: str, count: int) -> bool:
        return len(read_to_end(self.bootstrap, [sink])) >= count and query_caught_up(self.admin, self.bootstrap, sink)

    def feed(self, sink: str, inputs: list[tuple[bytes | None, bytes | None, int, int]]) -> None:
        """Gives the query one record at a time: (key, value, timestamp, outputs in the sink after it)."""
        for key, value, timestamp, after in inputs:
            self.produce(key, value, timestamp)
            wait_for(lambda after=after: self.caught_up(sink, after), f"{sink} to hold {after} records", 120)


def value_of(row: dict[str, Any] | None) -> bytes | None:
    return None if row is None else json.dumps(row).encode()


def test_aggregate_rows_carry_their_input_timestamps_and_null_groups_are_dropped(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    """QTT null "stream GROUP BY with null value", then later and earlier records of the same group: the
    row's timestamp is the largest of its group's records (Kafka Streams' KStreamAggregate), never the clock."""
    case = Case(ksql_url, admin, bootstrap_servers)
    case.statements(
        "CREATE STREAM {name} (NAME STRING) WITH (kafka_topic='{input}', value_format='JSON');",
        "CREATE TABLE {name}_OUT AS SELECT NAME, COUNT() AS COUNT FROM {name} GROUP BY NAME;",
    )
    sink = f"{case.name}_OUT"
    case.feed(
        sink,
        [
            (None, None, 1, 0),
            (None, value_of({"NAME": None}), 2, 0),
            (None, value_of({"NAME": "n"}), 3, 1),
            (None, value_of({"NAME": "n"}), 10, 2),
            (None, value_of({"NAME": "n"}), 7, 3),
        ],
    )
    assert case.outputs(sink, text, json_side) == [
        ("n", {"COUNT": 1}, 3),
        ("n", {"COUNT": 2}, 10),
        ("n", {"COUNT": 3}, 10),
    ]


def test_a_stream_row_with_a_null_value_passes_a_projection_but_not_a_filter(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    """QTT null "stream clone row with null value" and "stream filter with null value"."""
    case = Case(ksql_url, admin, bootstrap_servers)
    case.statements(
        "CREATE STREAM {name} (ID INT KEY, NAME STRING) WITH (kafka_topic='{input}', value_format='JSON');",
        "CREATE STREAM {name}_CLONE AS SELECT * FROM {name};",
        "CREATE STREAM {name}_FILTERED AS SELECT * FROM {name} WHERE NAME IS NULL;",
    )
    case.produce(struct.pack(">i", 1), None, 1)
    case.produce(struct.pack(">i", 2), value_of({"NAME": None}), 2)
    for sink, count in ((f"{case.name}_CLONE", 2), (f"{case.name}_FILTERED", 1)):
        wait_for(lambda sink=sink, count=count: case.caught_up(sink, count), f"{sink} to be written", 120)
    assert case.outputs(f"{case.name}_CLONE", int_key, json_side) == [(1, None, 1), (2, {"NAME": None}, 2)]
    assert case.outputs(f"{case.name}_FILTERED", int_key, json_side) == [(2, {"NAME": None}, 2)]


def test_an_aliased_key_column_stays_the_key(ksql_url: str, admin: AdminClient, bootstrap_servers: str) -> None:
    """QTT project-filter "key column with alias", "key in projection more than once", "projection with
    missing key column"."""
    case = Case(ksql_url, admin, bootstrap_servers)
    case.statements(
        "CREATE STREAM {name} (ID INT KEY, NAME STRING) WITH (kafka_topic='{input}', value_format='JSON');",
        "CREATE STREAM {name}_OUT AS SELECT ID AS NEW_KEY, NAME FROM {name};",
    )
    case.produce(struct.pack(">i", 1), value_of({"NAME": "Nick"}), 5)
    sink = f"{case.name}_OUT"
    wait_for(lambda: case.caught_up(sink, 1), f"{sink} to be written", 120)
    assert case.outputs(sink, int_key, json_side) == [(1, {"NAME": "Nick"}, 5)]
    (described,) = ok(ksql_url, f"DESCRIBE {sink};")
    fields = described["sourceDescription"]["fields"]
    assert [(f["name"], f.get("type")) for f in fields] == [("NEW_KEY", "KEY"), ("NAME", None)]
    refusals = {
        "SELECT ID, ID AS ID2, NAME": "The projection contains a key column (`ID`) more than once, "
        "aliased as: ID and ID2.",
        "SELECT NAME": f"The query used to build `{case.name}_BAD` must include the key column ID in its projection "
        "(eg, SELECT ID...).",
    }
    for projection, message in refusals.items():
        response = ksql(ksql_url, f"CREATE STREAM {case.name}_BAD AS {projection} FROM {case.name};")
        assert (response.status_code, response.json()["error_code"]) == (400, 40001)
        assert response.json()["message"] == message


def test_aggregating_a_table_moves_changed_rows_between_groups(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    """QTT group-by "fields (table->table) - format" (JSON): an update leaves its old group, a delete too."""
    case = Case(ksql_url, admin, bootstrap_servers)
    case.statements(
        "CREATE TABLE {name} (ID INT PRIMARY KEY, f1 INT, f2 VARCHAR) "
        "WITH (kafka_topic='{input}', key_format='JSON', value_format='JSON');",
        "CREATE TABLE {name}_OUT AS SELECT f1, f2, COUNT(*) FROM {name} GROUP BY f2, f1;",
    )
    sink = f"{case.name}_OUT"
    case.feed(
        sink,
        [
            (b"1", value_of({"F1": 1, "F2": "a"}), 1001, 1),
            (b"2", value_of({"F1": 2, "F2": "b"}), 1002, 2),
            (b"1", value_of({"F1": 1, "F2": "b"}), 1003, 4),
            (b"2", None, 1004, 5),
            (b"1", value_of({"F1": 1, "F2": "a"}), 1005, 7),
        ],
    )
    assert case.outputs(sink, json_side, json_side) == [
        ({"F2": "a", "F1": 1}, {"KSQL_COL_0": 1}, 1001),
        ({"F2": "b", "F1": 2}, {"KSQL_COL_0": 1}, 1002),
        ({"F2": "a", "F1": 1}, {"KSQL_COL_0": 0}, 1003),
        ({"F2": "b", "F1": 1}, {"KSQL_COL_0": 1}, 1003),
        ({"F2": "b", "F1": 2}, {"KSQL_COL_0": 0}, 1004),
        ({"F2": "b", "F1": 1}, {"KSQL_COL_0": 0}, 1005),
        ({"F2": "a", "F1": 1}, {"KSQL_COL_0": 1}, 1005),
    ]


def test_a_table_count_back_to_zero_leaves_a_having_table(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    """QTT count "should support removing zero counts from table": HAVING deletes the row at zero."""
    case = Case(ksql_url, admin, bootstrap_servers)
    case.statements(
        "CREATE TABLE {name} (K STRING PRIMARY KEY, ID BIGINT) WITH (kafka_topic='{input}', value_format='JSON');",
        "CREATE TABLE {name}_OUT AS SELECT ID, COUNT() AS C FROM {name} GROUP BY ID HAVING COUNT() > 0;",
    )
    sink = f"{case.name}_OUT"
    case.feed(
        sink,
        [
            (b"1", value_of({"ID": 3}), 1, 1),
            (b"2", value_of({"ID": 3}), 2, 2),
            (b"1", None, 3, 3),
            (b"2", None, 4, 4),
        ],
    )
    unpack = lambda data: struct.unpack(">q", data)[0]  # noqa: E731 - BIGINT key, as Kafka's LongSerializer writes it
    assert case.outputs(sink, unpack, json_side) == [(3, {"C": 1}, 1), (3, {"C": 2}, 2), (3, {"C": 1}, 3), (3, None, 4)]


def test_key_format_none_for_a_keyless_stream(ksql_url: str, admin: AdminClient, bootstrap_servers: str) -> None:
    """QTT none "as key format of keyless stream", "as key format of keyed stream" and "inherited in CTAS -
    GROUP BY" (here with ksqlDB's default key format, KAFKA)."""
    case = Case(ksql_url, admin, bootstrap_servers)
    case.statements(
        "CREATE STREAM {name} (foo INT) WITH (kafka_topic='{input}', key_format='NONE', value_format='JSON');",
        "CREATE STREAM {name}_OUT AS SELECT * FROM {name};",
        "CREATE TABLE {name}_COUNTS AS SELECT FOO, COUNT() AS COUNT FROM {name} GROUP BY FOO;",
    )
    for timestamp, value in enumerate(({"foo": 10}, {"foo": 11}, None), start=1):
        case.produce(b"ignored", value_of(value), timestamp)
    sink, counts = f"{case.name}_OUT", f"{case.name}_COUNTS"
    wait_for(lambda: case.caught_up(sink, 3) and case.caught_up(counts, 1), "the sinks to be written", 120)
    assert case.outputs(sink, text, json_side) == [(None, {"FOO": 10}, 1), (None, {"FOO": 11}, 2), (None, None, 3)]
    assert sorted(case.outputs(counts, int_key, json_side)) == [(10, {"COUNT": 1}, 1), (11, {"COUNT": 1}, 2)]
    described = {name: ok(ksql_url, f"DESCRIBE {name};")[0]["sourceDescription"] for name in (sink, counts)}
    assert described[sink]["keyFormat"] == "NONE" and described[counts]["keyFormat"] == "KAFKA"
    response = ksql(
        ksql_url,
        f"CREATE STREAM {case.name}_KEYED (K STRING KEY, foo INT) "
        f"WITH (kafka_topic='{case.topic}', key_format='NONE', value_format='JSON');",
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        "The 'NONE' format can only be used when no columns are defined. Got: [`K` STRING KEY]"
    )


def test_a_double_filter_compares_with_a_decimal_literal_as_ksqldb_does(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    """QTT project-filter "Filter on non-STRING key" (K DOUBLE KEY, ``WHERE K > 0.1``), and the double 0.1."""
    case = Case(ksql_url, admin, bootstrap_servers)
    case.statements(
        "CREATE STREAM {name} (K DOUBLE KEY, C1 BIGINT) WITH (kafka_topic='{input}', value_format='DELIMITED');",
        "CREATE STREAM {name}_OUT AS SELECT * FROM {name} WHERE K > 0.1;",
    )
    for c1, k in enumerate((1.1, 0.09999, 0.0, 0.11, 1.1, 0.1)):
        case.produce(struct.pack(">d", k), str(c1).encode(), 100 + c1)  # (a timestamp of 0 means "now")
    sink = f"{case.name}_OUT"
    wait_for(lambda: case.caught_up(sink, 3), f"{sink} to be written", 120)
    double = lambda data: struct.unpack(">d", data)[0]  # noqa: E731 - Kafka's DoubleSerializer
    assert case.outputs(sink, double, text) == [(1.1, "0", 100), (0.11, "3", 103), (1.1, "4", 104)]


def test_limit_0_answers_with_no_rows(ksql_url: str, admin: AdminClient, bootstrap_servers: str) -> None:
    """ksqlDB's CLI shows ``EMIT CHANGES LIMIT 0`` as its header, then "Limit Reached"."""
    case = Case(ksql_url, admin, bootstrap_servers)
    case.statements("CREATE STREAM {name} (ID INT KEY, V STRING) WITH (kafka_topic='{input}', value_format='JSON');")
    case.produce(struct.pack(">i", 1), value_of({"V": "x"}), 1)
    sql = f"SELECT * FROM {case.name} EMIT CHANGES LIMIT 0;"
    query = requests.post(f"{ksql_url}/query", json={"ksql": sql}, headers={"Content-Type": KSQL_JSON}, timeout=60)
    lines = [line.rstrip(",]") for line in query.text.splitlines() if line.strip()]
    assert len(lines) == 2 and "header" in json.loads(lines[0].lstrip("["))
    assert json.loads(lines[1]) == {"finalMessage": "Limit Reached"}
    stream = requests.post(f"{ksql_url}/query-stream", json={"sql": sql}, timeout=60)
    assert [json.loads(line)["columnNames"] for line in stream.text.splitlines()] == [["ID", "V"]]


def test_a_push_query_over_a_table_sends_tombstones_on_query_only(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    """ksqlDB's /query flags a deleted row ``"tombstone": true`` with its key and null columns (ksql PR 6462);
    /query-stream leaves it out (ksql issue 10712)."""
    case = Case(ksql_url, admin, bootstrap_servers)
    case.statements(
        "CREATE TABLE {name} (ID INT PRIMARY KEY, COL0 STRING, COL1 STRING) "
        "WITH (kafka_topic='{input}', value_format='JSON');"
    )
    changes = [(10, {"COL0": "A", "COL1": "B"}), (20, {"COL0": "E", "COL1": "F"}), (10, None)]
    changes.append((11, {"COL0": "X", "COL1": "Y"}))
    for timestamp, (key, value) in enumerate(changes, start=1):
        case.produce(struct.pack(">i", key), value_of(value), timestamp)
    earliest = {"auto.offset.reset": "earliest"}
    sql = f"SELECT * FROM {case.name} EMIT CHANGES LIMIT 4;"
    query = requests.post(
        f"{ksql_url}/query",
        json={"ksql": sql, "streamsProperties": earliest},
        headers={"Content-Type": KSQL_JSON},
        timeout=60,
    )
    rows = [json.loads(line.strip(",[]")) for line in query.text.splitlines()[1:] if line.strip()]
    assert rows == [
        {"row": {"columns": [10, "A", "B"]}},
        {"row": {"columns": [20, "E", "F"]}},
        {"row": {"columns": [10, None, None], "tombstone": True}},
        {"row": {"columns": [11, "X", "Y"]}},
        {"finalMessage": "Limit Reached"},
    ]
    sql = f"SELECT * FROM {case.name} EMIT CHANGES LIMIT 3;"
    stream = requests.post(f"{ksql_url}/query-stream", json={"sql": sql, "properties": earliest}, timeout=60)
    rows = [json.loads(line) for line in stream.text.splitlines()[1:]]
    assert rows == [[10, "A", "B"], [20, "E", "F"], [11, "X", "Y"]]


def test_a_refused_statement_is_logged_with_its_reason(private_servers: Callable[[int], KsqlProcess]) -> None:
    server = private_servers(0)
    server.start()
    response = ksql(server.url, "CREATE STREAM NOWHERE_TO_BE_FOUND_AS AS SELECT * FROM NO_SUCH_SOURCE;")
    assert response.status_code == 400

    def logged() -> bool:
        with open(server.script.log, encoding="utf-8") as log:
            return any(
                "refused a statement (400 40001): NO_SUCH_SOURCE does not exist." in line and "NO_SUCH_SOURCE;" in line
                for line in log
            )

    wait_for(logged, "the refusal in the server's log", 30)
