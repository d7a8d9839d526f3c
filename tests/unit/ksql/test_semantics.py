"""ksqlDB's and KSQL 5's semantics in the fast tier: statements and records through the Kafka-free test
driver (``stack/ksql/driver.py``), which runs the server's own checks, plans and record processor.

Each case is one of ksqlDB's own query validation tests (QTT, ``ksqldb-functional-tests/.../
query-validation-tests``), named after it, or one of KSQL 5's. The same cases run end to end over HTTP
with real Kafka in ``test_ksqldb_semantics.py``, ``test_ksql5.py`` and ``test_counts.py``; the driver
gives each record its own batch unless a case pipes several at once, as those tests feed them.
"""

from __future__ import annotations

import json
import struct

import pytest

from stack.ksql.driver import Driver
from stack.ksql.formats import serde
from stack.ksql.schema import STRING, Column
from stack.ksql.statements import StatementError
from stack.ksql.transient import Tombstone


def int_key(value: int) -> bytes:
    return struct.pack(">i", value)


def feed(driver: Driver, topic: str, *records: tuple[bytes | None, object, int]) -> None:
    """One record per batch, as a QTT case (and ksqlDB without its record cache) processes them."""
    for record in records:
        driver.pipe(topic, record)


def refused(driver: Driver, sql: str) -> str:
    with pytest.raises(StatementError) as error:
        driver.execute(sql)
    return str(error.value)


# --- ksqlDB ------------------------------------------------------------------------------------


def test_aggregate_rows_carry_their_input_timestamps_and_null_groups_are_dropped() -> None:
    """QTT null "stream GROUP BY with null value", then later and earlier records of the same group: a row's
    timestamp is the largest of its group's (Kafka Streams' KStreamAggregate), never the clock."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM INPUT (NAME STRING) WITH (kafka_topic='input', value_format='JSON');"
        "CREATE TABLE OUTPUT AS SELECT NAME, COUNT() AS COUNT FROM INPUT GROUP BY NAME;"
    )
    feed(driver, "input", (None, None, 1), (None, {"NAME": None}, 2), (None, {"NAME": "n"}, 3))
    feed(driver, "input", (None, {"NAME": "n"}, 10), (None, {"NAME": "n"}, 7))
    assert driver.outputs("OUTPUT") == [("n", {"COUNT": 1}, 3), ("n", {"COUNT": 2}, 10), ("n", {"COUNT": 3}, 10)]


def test_a_null_in_any_grouping_expression_drops_the_row() -> None:
    """QTT group-by "multiple expressions": any NULL drops the row."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM INPUT (F1 INT KEY, F2 INT) WITH (kafka_topic='input', value_format='JSON');"
        "CREATE TABLE OUTPUT WITH (KEY_FORMAT='JSON') AS SELECT F1, F2, COUNT(*) FROM INPUT GROUP BY F1, F2;"
    )
    feed(driver, "input", (int_key(1), {"F2": None}, 1), (None, {"F2": 1}, 2), (int_key(1), {"F2": 2}, 3))
    assert driver.outputs("OUTPUT") == [('{"F1":1,"F2":2}', {"KSQL_COL_0": 1}, 3)]


def test_a_batch_folds_a_groups_updates_into_one_row() -> None:
    """ksqlDB's record cache: several records of one group in a batch give one row, the latest count."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM INPUT (NAME STRING) WITH (kafka_topic='input', value_format='JSON');"
        "CREATE TABLE OUTPUT AS SELECT NAME, COUNT() AS COUNT FROM INPUT GROUP BY NAME;"
    )
    driver.pipe("input", *[(None, {"NAME": "n"}, t) for t in (5, 9, 2)])
    assert driver.outputs("OUTPUT") == [("n", {"COUNT": 3}, 9)]


def test_a_stream_row_with_a_null_value_passes_a_projection_but_not_a_filter() -> None:
    """QTT null "stream clone row with null value" and "stream filter with null value"."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM INPUT (ID INT KEY, NAME STRING) WITH (kafka_topic='input', value_format='JSON');"
        "CREATE STREAM CLONE AS SELECT * FROM INPUT;"
        "CREATE STREAM FILTERED AS SELECT * FROM INPUT WHERE NAME IS NULL;"
    )
    feed(driver, "input", (int_key(1), None, 1), (int_key(2), {"NAME": None}, 2))
    clone = [(r.key, r.value, r.timestamp) for r in driver.read("CLONE")]
    assert clone == [(int_key(1), None, 1), (int_key(2), b'{"NAME":null}', 2)]
    assert [(r.key, r.value) for r in driver.read("FILTERED")] == [(int_key(2), b'{"NAME":null}')]


def test_an_aliased_key_column_stays_the_key() -> None:
    """QTT project-filter "key column with alias", "key in projection more than once", "projection with
    missing key column"."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM INPUT (ID INT KEY, NAME STRING) WITH (kafka_topic='input', value_format='JSON');"
        "CREATE STREAM OUTPUT AS SELECT ID AS NEW_KEY, NAME FROM INPUT;"
    )
    driver.pipe("input", (int_key(1), {"NAME": "Nick"}, 5))
    assert [(r.key, json.loads(r.value or b""), r.timestamp) for r in driver.read("OUTPUT")] == [
        (int_key(1), {"NAME": "Nick"}, 5)
    ]
    sink = driver.metastore.source("OUTPUT")
    assert sink is not None and [c.name for c in sink.schema.key] == ["NEW_KEY"]
    assert refused(driver, "CREATE STREAM BAD AS SELECT ID, ID AS ID2, NAME FROM INPUT;") == (
        "The projection contains a key column (`ID`) more than once, aliased as: ID and ID2."
    )
    assert refused(driver, "CREATE STREAM BAD AS SELECT NAME FROM INPUT;") == (
        "The query used to build `BAD` must include the key column ID in its projection (eg, SELECT ID...)."
    )


def test_a_persistent_query_must_project_its_grouping_expressions_once() -> None:
    """QTT group-by "missing group-by column in projection" and "group by column in projection twice"."""
    driver = Driver()
    driver.execute("CREATE STREAM INPUT (ID INT KEY, NAME STRING) WITH (kafka_topic='input', value_format='JSON');")
    assert refused(driver, "CREATE TABLE OUTPUT AS SELECT COUNT(1) FROM INPUT GROUP BY NAME;") == (
        "The query used to build `OUTPUT` must include the grouping expression NAME in its projection "
        "(eg, SELECT NAME...)."
    )
    assert refused(driver, "CREATE TABLE OUTPUT AS SELECT NAME, NAME AS NAME2, COUNT(1) FROM INPUT GROUP BY NAME;") == (
        "The projection contains a key column more than once: `NAME` and `NAME2`."
    )


def test_as_value_copies_a_grouping_column_into_the_value() -> None:
    """ksqlDB keeps GROUP BY columns in the key only; ``AS_VALUE`` copies one into the value."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM INPUT (ID INT KEY, NAME STRING) WITH (kafka_topic='input', value_format='JSON');"
        "CREATE TABLE OUTPUT AS SELECT NAME, AS_VALUE(NAME) AS N, COUNT(*) AS C FROM INPUT GROUP BY NAME;"
    )
    driver.pipe("input", (int_key(1), {"NAME": "a"}, 1))
    assert driver.outputs("OUTPUT") == [("a", {"N": "a", "C": 1}, 1)]


def test_aggregating_a_table_moves_changed_rows_between_groups() -> None:
    """QTT group-by "fields (table->table) - format" (JSON): an update leaves its old group, a delete too."""
    driver = Driver()
    driver.execute(
        "CREATE TABLE INPUT (ID INT PRIMARY KEY, f1 INT, f2 VARCHAR) "
        "WITH (kafka_topic='input', key_format='JSON', value_format='JSON');"
        "CREATE TABLE OUTPUT AS SELECT f1, f2, COUNT(*) FROM INPUT GROUP BY f2, f1;"
    )
    feed(
        driver,
        "input",
        (b"1", {"F1": 1, "F2": "a"}, 1001),
        (b"2", {"F1": 2, "F2": "b"}, 1002),
        (b"1", {"F1": 1, "F2": "b"}, 1003),
        (b"2", None, 1004),
        (b"1", {"F1": 1, "F2": "a"}, 1005),
    )
    outputs = [(json.loads(k or ""), v, t) for k, v, t in driver.outputs("OUTPUT")]
    assert outputs == [
        ({"F2": "a", "F1": 1}, {"KSQL_COL_0": 1}, 1001),
        ({"F2": "b", "F1": 2}, {"KSQL_COL_0": 1}, 1002),
        ({"F2": "a", "F1": 1}, {"KSQL_COL_0": 0}, 1003),
        ({"F2": "b", "F1": 1}, {"KSQL_COL_0": 1}, 1003),
        ({"F2": "b", "F1": 2}, {"KSQL_COL_0": 0}, 1004),
        ({"F2": "b", "F1": 1}, {"KSQL_COL_0": 0}, 1005),
        ({"F2": "a", "F1": 1}, {"KSQL_COL_0": 1}, 1005),
    ]


def test_a_table_count_back_to_zero_leaves_a_having_table() -> None:
    """QTT count "should support removing zero counts from table": HAVING deletes the row at zero."""
    driver = Driver()
    driver.execute(
        "CREATE TABLE INPUT (K STRING PRIMARY KEY, ID BIGINT) WITH (kafka_topic='input', value_format='JSON');"
        "CREATE TABLE OUTPUT AS SELECT ID, COUNT() AS C FROM INPUT GROUP BY ID HAVING COUNT() > 0;"
    )
    feed(driver, "input", (b"1", {"ID": 3}, 1), (b"2", {"ID": 3}, 2), (b"1", None, 3), (b"2", None, 4))
    outputs = [(struct.unpack(">q", r.key or b"")[0], r.value, r.timestamp) for r in driver.read("OUTPUT")]
    assert outputs == [(3, b'{"C":1}', 1), (3, b'{"C":2}', 2), (3, b'{"C":1}', 3), (3, None, 4)]


def test_table_aggregates_are_the_functions_that_can_undo() -> None:
    """QTT group-by "non-table udaf on table"; AVG and SUM take a replaced row back out."""
    driver = Driver()
    driver.execute(
        "CREATE TABLE INPUT (ID BIGINT PRIMARY KEY, F0 INT, F1 BIGINT) WITH (kafka_topic='input', value_format='JSON');"
    )
    assert refused(
        driver, "CREATE TABLE BAD AS SELECT ID, LATEST_BY_OFFSET(F0), MIN(F1), MAX(F1) FROM INPUT GROUP BY ID;"
    ) == (
        "The aggregation functions LATEST_BY_OFFSET, MIN and MAX cannot be applied to a table source, "
        "only to a stream source."
    )
    driver.execute("CREATE TABLE OUTPUT AS SELECT F0, AVG(F1) AS A, SUM(F1) AS S FROM INPUT GROUP BY F0;")
    bigint = lambda n: struct.pack(">q", n)  # noqa: E731 - Kafka's LongSerializer
    feed(driver, "input", (bigint(1), {"F0": 1, "F1": 4}, 1), (bigint(2), {"F0": 1, "F1": 2}, 2))
    feed(driver, "input", (bigint(1), None, 3))
    assert [v for _, v, _ in driver.outputs("OUTPUT")] == [
        {"A": 4.0, "S": 4},
        {"A": 3.0, "S": 6},
        {"A": 2.0, "S": 2},
    ]


def test_key_format_none_for_a_keyless_stream() -> None:
    """QTT none "as key format of keyless stream", "as key format of keyed stream" and "inherited in CTAS -
    GROUP BY" (here with ksqlDB's default key format, KAFKA)."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM INPUT (foo INT) WITH (kafka_topic='input', key_format='NONE', value_format='JSON');"
        "CREATE STREAM OUTPUT AS SELECT * FROM INPUT;"
        "CREATE TABLE COUNTS AS SELECT FOO, COUNT() AS COUNT FROM INPUT GROUP BY FOO;"
    )
    feed(driver, "input", (b"ignored", {"foo": 10}, 1), (b"ignored", {"foo": 11}, 2), (b"ignored", None, 3))
    assert driver.outputs("OUTPUT") == [(None, {"FOO": 10}, 1), (None, {"FOO": 11}, 2), (None, None, 3)]
    counts = [(struct.unpack(">i", r.key or b"")[0], r.value, r.timestamp) for r in driver.read("COUNTS")]
    assert counts == [(10, b'{"COUNT":1}', 1), (11, b'{"COUNT":1}', 2)]
    assert [driver.metastore.sources[n].key_format for n in ("OUTPUT", "COUNTS")] == ["NONE", "KAFKA"]
    assert (
        refused(
            driver,
            "CREATE STREAM KEYED (K STRING KEY, foo INT) "
            "WITH (kafka_topic='input', key_format='NONE', value_format='JSON');",
        )
        == "The 'NONE' format can only be used when no columns are defined. Got: [`K` STRING KEY]"
    )
    none = serde("NONE", (), driver.registry, "t", is_key=True)
    assert none.decode(b"anything") == {} and none.encode({"X": 1}) is None
    with pytest.raises(StatementError):
        serde("NONE", (Column("K", STRING, True),), driver.registry, "t", is_key=True)


def test_a_double_filter_compares_with_a_decimal_literal_as_ksqldb_does() -> None:
    """QTT project-filter "Filter on non-STRING key" (K DOUBLE KEY, ``WHERE K > 0.1``): the double 0.1 is not
    greater than the literal 0.1, as ksqlDB compares BigDecimal.valueOf(double)."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM INPUT (K DOUBLE KEY, C1 BIGINT) WITH (kafka_topic='input', value_format='DELIMITED');"
        "CREATE STREAM OUTPUT AS SELECT * FROM INPUT WHERE K > 0.1;"
        "CREATE STREAM BETWEENED AS SELECT * FROM INPUT WHERE K BETWEEN 0.1 AND 0.2;"
    )
    for c1, k in enumerate((1.1, 0.09999, 0.0, 0.11, 1.1, 0.1, 0.2, 0.21)):
        driver.pipe("input", (struct.pack(">d", k), str(c1).encode(), 100 + c1))
    double = [(struct.unpack(">d", r.key or b"")[0], r.value, r.timestamp) for r in driver.read("OUTPUT")]
    assert double[:3] == [(1.1, b"0", 100), (0.11, b"3", 103), (1.1, b"4", 104)]
    assert [struct.unpack(">d", r.key or b"")[0] for r in driver.read("BETWEENED")] == [0.11, 0.1, 0.2]


def test_arithmetic_of_a_double_and_a_decimal_literal_is_a_double() -> None:
    driver = Driver()
    driver.execute(
        "CREATE STREAM INPUT (ID INT KEY, D DOUBLE) WITH (kafka_topic='input', value_format='JSON');"
        "CREATE STREAM OUTPUT AS SELECT ID, D + 0.5 AS X, 0.10 AS Y FROM INPUT;"
    )
    driver.pipe("input", (int_key(1), {"D": 1.25}, 1))
    assert [v for _, v, _ in driver.outputs("OUTPUT")] == [{"X": 1.75, "Y": 0.10}]
    sink = driver.metastore.sources["OUTPUT"]
    assert [(c.name, c.type.base) for c in sink.schema.value] == [("X", "DOUBLE"), ("Y", "DECIMAL")]


def test_limit_0_ends_a_query_before_it_reads_anything() -> None:
    """ksqlDB answers ``EMIT CHANGES LIMIT 0`` with its header and "Limit Reached", no rows."""
    driver = Driver()
    driver.execute("CREATE STREAM INPUT (ID INT KEY, V STRING) WITH (kafka_topic='input', value_format='JSON');")
    driver.pipe("input", (int_key(1), {"V": "x"}, 1))
    assert driver.select("SELECT * FROM INPUT EMIT CHANGES LIMIT 0;") == []
    assert driver.select("SELECT * FROM INPUT EMIT CHANGES LIMIT 1;") == [[1, "x"]]


def test_a_push_query_over_a_table_sends_tombstones_on_query_only() -> None:
    """ksqlDB's /query flags a deleted row with its key and null columns (ksql PR 6462); /query-stream leaves
    it out (ksql issue 10712). A pull query gives the latest row per key."""
    driver = Driver()
    driver.execute(
        "CREATE TABLE INPUT (ID INT PRIMARY KEY, COL0 STRING) WITH (kafka_topic='input', value_format='JSON');"
    )
    changes = [(10, {"COL0": "A"}), (20, {"COL0": "E"}), (10, None), (11, {"COL0": "X"})]
    feed(driver, "input", *[(int_key(k), v, t) for t, (k, v) in enumerate(changes, start=1)])
    sql = "SELECT * FROM INPUT EMIT CHANGES;"
    assert driver.select(sql) == [[10, "A"], [20, "E"], Tombstone([10, None]), [11, "X"]]
    assert driver.select(sql, tombstones=False) == [[10, "A"], [20, "E"], [11, "X"]]
    assert sorted(driver.select("SELECT * FROM INPUT;")) == [[11, "X"], [20, "E"]]  # type: ignore[type-var]


def test_a_push_query_aggregates_a_table_as_the_persistent_query_does() -> None:
    """The push query's rows are the persistent query's, one record at a time (the same processor)."""
    driver = Driver()
    driver.execute(
        "CREATE TABLE INPUT (K STRING PRIMARY KEY, ID BIGINT) WITH (kafka_topic='input', value_format='JSON');"
        "CREATE TABLE OUTPUT AS SELECT ID, COUNT() AS C FROM INPUT GROUP BY ID HAVING COUNT() > 0;"
    )
    feed(driver, "input", (b"1", {"ID": 3}, 1), (b"2", {"ID": 3}, 2), (b"1", {"ID": 4}, 3), (b"2", None, 4))
    rows = driver.select("SELECT ID, COUNT() AS C FROM INPUT GROUP BY ID HAVING COUNT() > 0 EMIT CHANGES;")
    assert rows == [[3, 1], [3, 2], [3, 1], [4, 1], Tombstone([3, None])]
    persisted = [(struct.unpack(">q", r.key or b"")[0], r.value) for r in driver.read("OUTPUT")]
    assert persisted == [(3, b'{"C":1}'), (3, b'{"C":2}'), (3, b'{"C":1}'), (4, b'{"C":1}'), (3, None)]


def test_a_pull_query_refuses_group_by() -> None:
    driver = Driver()
    driver.execute("CREATE STREAM INPUT (ID INT KEY, V STRING) WITH (kafka_topic='input', value_format='JSON');")
    with pytest.raises(StatementError, match="Pull queries don't support GROUP BY clauses"):
        driver.select("SELECT V, COUNT(*) FROM INPUT GROUP BY V;")


def test_an_unreadable_record_is_skipped_and_the_rest_processed() -> None:
    driver = Driver()
    driver.execute(
        "CREATE STREAM INPUT (ID INT KEY, V STRING) WITH (kafka_topic='input', value_format='JSON');"
        "CREATE STREAM OUTPUT AS SELECT * FROM INPUT;"
    )
    driver.pipe("input", (int_key(1), b"{not json", 1), (int_key(2), {"V": "ok"}, 2))
    assert driver.outputs("OUTPUT") == [("\x00\x00\x00\x02", {"V": "ok"}, 2)]


# --- KSQL 5 ------------------------------------------------------------------------------------

ORDERS = [  # KSQL 5's integration tests keyed each order by its ITEMID's number
    (b"1", {"ORDERID": "ORDER_1", "ITEMID": "ITEM_1", "ORDERUNITS": 10.0}, 1),
    (b"8", {"ORDERID": "ORDER_6", "ITEMID": "ITEM_8", "ORDERUNITS": 80.0}, 6),
    (b"8", {"ORDERID": "ORDER_7", "ITEMID": "ITEM_8", "ORDERUNITS": 5.0}, 7),
    (None, {"ORDERID": "ORDER_8", "ITEMID": "ITEM_3", "ORDERUNITS": 30.0}, 8),
]
ORDER_COLUMNS = "(ORDERID varchar, ITEMID varchar, ORDERUNITS double)"


def test_ksql5_writes_rowkey_and_rowtime_into_the_value_only_under_another_name() -> None:
    """KSQL 5's testSelectProjectKeyTimestamp, ``*`` without ROWKEY and ROWTIME, and KSQL_COL_<position>."""
    driver = Driver()
    driver.execute(
        f"CREATE STREAM ORDERS {ORDER_COLUMNS} WITH (kafka_topic='orders', value_format='JSON', key='ITEMID');"
        "CREATE STREAM KT AS SELECT ROWKEY AS RKEY, ROWTIME AS RTIME, ITEMID FROM ORDERS "
        "WHERE ORDERUNITS > 20 AND ITEMID = 'ITEM_8';"
        "CREATE STREAM ALL_COLUMNS AS SELECT * FROM ORDERS;"
        "CREATE STREAM PLUS AS SELECT ROWKEY, ROWTIME + 10000, ORDERUNITS * 2 FROM ORDERS;"
    )
    feed(driver, "orders", *ORDERS)
    assert driver.outputs("KT") == [("8", {"RKEY": "8", "RTIME": 6, "ITEMID": "ITEM_8"}, 6)]
    assert driver.outputs("ALL_COLUMNS") == [(k and k.decode(), v, t) for k, v, t in ORDERS]
    assert driver.outputs("PLUS") == [
        (k and k.decode(), {"KSQL_COL_1": t + 10000, "KSQL_COL_2": v["ORDERUNITS"] * 2}, t) for k, v, t in ORDERS
    ]
    plus = driver.metastore.sources["PLUS"]
    assert [(c.name, c.type.base, c.key) for c in plus.schema.columns] == [
        ("ROWKEY", "STRING", True),
        ("KSQL_COL_1", "BIGINT", False),
        ("KSQL_COL_2", "DOUBLE", False),
    ]


def test_a_ksql5_table_declared_without_key_keeps_the_record_key_as_rowkey() -> None:
    driver = Driver()
    driver.execute(
        f"CREATE TABLE ORDERS {ORDER_COLUMNS} WITH (kafka_topic='orders', value_format='JSON');"
        "CREATE TABLE K AS SELECT ROWKEY AS K, ORDERID FROM ORDERS;"
    )
    keyed = [order for order in ORDERS if order[0] is not None]
    feed(driver, "orders", *keyed)
    assert driver.outputs("K") == [(k.decode(), {"K": k.decode(), "ORDERID": v["ORDERID"]}, t) for k, v, t in keyed]


def test_ksql5_groups_by_rowkey_into_a_string_key_and_counts_as_ksql_col_n() -> None:
    driver = Driver()
    driver.execute(
        f"CREATE STREAM ORDERS {ORDER_COLUMNS} WITH (kafka_topic='orders', value_format='JSON', key='ITEMID');"
        "CREATE TABLE N AS SELECT ROWKEY, COUNT(*), SUM(ORDERUNITS) AS UNITS FROM ORDERS "
        "WHERE ROWKEY IS NOT NULL GROUP BY ROWKEY;"
    )
    feed(driver, "orders", *ORDERS)
    latest = {k: v for k, v, _ in driver.outputs("N")}
    assert latest == {"1": {"KSQL_COL_1": 1, "UNITS": 10.0}, "8": {"KSQL_COL_1": 2, "UNITS": 85.0}}


def test_grouping_by_two_columns_keys_as_each_dialect_does() -> None:
    """ksqlDB: several GROUP BY columns need a key format that holds them; KSQL 5 joins them with ``|+|`` and
    keeps them in the value."""
    rides = [
        {"LINE": "red", "STATION": "Howard", "FARE": 2.5, "RIDERS": 1},
        {"LINE": "red", "STATION": "Howard", "FARE": 2.5, "RIDERS": 2},
        {"LINE": "blue", "STATION": "O'Hare", "FARE": 5.0, "RIDERS": 3},
    ]
    columns = "(line STRING, station STRING, fare DOUBLE, riders INT)"
    driver = Driver()
    driver.execute(f"CREATE STREAM RIDES {columns} WITH (KAFKA_TOPIC='rides', VALUE_FORMAT='JSON');")
    message = refused(
        driver, "CREATE TABLE K AS SELECT line, station, COUNT(*) AS n FROM RIDES GROUP BY line, station;"
    )
    assert "'KAFKA' format only supports a single field" in message
    driver.execute(
        "CREATE TABLE J WITH (KEY_FORMAT='JSON') AS "
        "SELECT line, station, COUNT(*) AS n FROM RIDES GROUP BY line, station;"
        f"CREATE TABLE OLD {columns} WITH (KAFKA_TOPIC='rides', VALUE_FORMAT='JSON', KEY='line');"
        "CREATE TABLE OLD_COUNTS AS SELECT line, station, COUNT(*) AS n FROM OLD GROUP BY line, station;"
    )
    driver.pipe("rides", *[(None, ride, t) for t, ride in enumerate(rides, start=1)])
    modern = {json.dumps(json.loads(k or ""), sort_keys=True): v for k, v, _ in driver.outputs("J")}
    assert modern == {
        '{"LINE": "blue", "STATION": "O\'Hare"}': {"N": 1},
        '{"LINE": "red", "STATION": "Howard"}': {"N": 2},
    }
    assert {k: v for k, v, _ in driver.outputs("OLD_COUNTS")} == {
        "red|+|Howard": {"LINE": "red", "STATION": "Howard", "N": 2},
        "blue|+|O'Hare": {"LINE": "blue", "STATION": "O'Hare", "N": 1},
    }


def test_a_ksql5_stream_drops_a_null_value_and_keys_a_null_group_null() -> None:
    """KSQL 5 passed no null value on; its GROUP BY keyed a NULL group value ``null``."""
    driver = Driver()
    driver.execute(
        f"CREATE STREAM ORDERS {ORDER_COLUMNS} WITH (kafka_topic='orders', value_format='JSON', key='ITEMID');"
        "CREATE STREAM CLONE AS SELECT * FROM ORDERS;"
        "CREATE TABLE BY_ID AS SELECT ORDERID, COUNT(*) FROM ORDERS GROUP BY ORDERID;"
    )
    feed(driver, "orders", (b"1", None, 1), (b"2", {"ORDERID": None, "ITEMID": "I", "ORDERUNITS": 1.0}, 2))
    assert [v for _, v, _ in driver.outputs("CLONE")] == [{"ORDERID": None, "ITEMID": "I", "ORDERUNITS": 1.0}]
    assert driver.outputs("BY_ID") == [("null", {"ORDERID": None, "KSQL_COL_1": 1}, 2)]
