"""Windowed aggregations (WINDOW TUMBLING / HOPPING) in the fast tier, through the Kafka-free test driver.

The cases are ksqlDB's query validation tests (QTT ``tumbling-windows.json``, ``hopping-windows.json``),
named after them; where a case was written in KSQL 5's dialect (``key='ID'``) it runs in ksqlDB's
(``ID BIGINT KEY``), with the same records, windows and timestamps. A windowed key is the key as its
format writes it followed by the window's start, 8 bytes big-endian (Kafka Streams' TimeWindowedSerde).
The same table runs end to end over HTTP with Kafka in ``tests/integration/ksql/test_windows_platform.py``.
"""

from __future__ import annotations

import struct

import pytest

from stack.ksql.driver import Driver
from stack.ksql.processor import CHANGELOG, Processor, Record
from stack.ksql.statements import StatementError

STREAM = "CREATE STREAM TEST (ID BIGINT KEY, VALUE BIGINT) WITH (kafka_topic='test_topic', value_format='DELIMITED');"


def bigint(value: int) -> bytes:
    return struct.pack(">q", value)


def windowed(driver: Driver, topic: str) -> list[tuple[int, int, str | None, int]]:
    """A topic of BIGINT-keyed windowed records as (key, window start, value text, timestamp)."""
    rows = []
    for record in driver.read(topic):
        key, start = struct.unpack(">qq", record.key)
        rows.append((key, start, None if record.value is None else record.value.decode(), record.timestamp))
    return rows


def feed(driver: Driver, *records: tuple[int, str, int]) -> None:
    """One record per batch, as a QTT case processes them."""
    for key, value, timestamp in records:
        driver.pipe("test_topic", (bigint(key), value, timestamp))


OUT_OF_ORDER = [
    (0, "0", 0),
    (0, "1", 89999),
    (0, "5", 10009),
    (0, "0", 90000),
    (0, "6", 10010),
    (1, "100", 10009),
    (1, "101", 30000),
    (1, "200", 86412022),
    (1, "200", 60000),
]


def test_tumbling_out_of_order_without_grace_period_counts_late_records() -> None:
    """QTT tumbling-windows "out of order - no grace period": a window stays open a day after it began."""
    driver = Driver()
    driver.execute(
        f"{STREAM} CREATE TABLE S2 as SELECT ID, max(value) FROM test WINDOW TUMBLING (SIZE 30 SECONDS) group by id;"
    )
    feed(driver, *OUT_OF_ORDER)
    assert windowed(driver, "S2") == [
        (0, 0, "0", 0),
        (0, 60000, "1", 89999),
        (0, 0, "5", 10009),
        (0, 90000, "0", 90000),
        (0, 0, "6", 10010),
        (1, 0, "100", 10009),
        (1, 30000, "101", 30000),
        (1, 86400000, "200", 86412022),
        (1, 60000, "200", 60000),
    ]
    sink = driver.metastore.source("S2")
    assert sink is not None and sink.window is not None
    assert (sink.window.kind, sink.window.size) == ("TUMBLING", 30000)


def test_tumbling_out_of_order_with_grace_period_drops_records_of_closed_windows() -> None:
    """QTT tumbling-windows "out of order - explicit grace period": a record whose window ended a grace
    period or more before the stream time is dropped."""
    driver = Driver()
    driver.execute(
        f"{STREAM} CREATE TABLE S2 as SELECT ID, max(value) FROM test "
        "WINDOW TUMBLING (SIZE 30 SECONDS, GRACE PERIOD 1 MINUTE) group by id;"
    )
    feed(driver, *OUT_OF_ORDER)
    assert windowed(driver, "S2") == [
        (0, 0, "0", 0),
        (0, 60000, "1", 89999),
        (0, 0, "5", 10009),
        (0, 90000, "0", 90000),
        (1, 30000, "101", 30000),
        (1, 86400000, "200", 86412022),
    ]


def test_min_tumbling() -> None:
    """QTT tumbling-windows "min tumbling"."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM TEST (ID BIGINT KEY, NAME varchar, VALUE bigint) "
        "WITH (kafka_topic='test_topic', value_format='DELIMITED');"
        "CREATE TABLE S2 as SELECT ID, min(value) FROM test WINDOW TUMBLING (SIZE 30 SECONDS) group by id;"
    )
    feed(driver, (0, "zero,0", 0), (0, "100,5", 10000), (100, "100,100", 30000), (100, "100,6", 45000))
    feed(driver, (100, "100,300", 50000))
    assert windowed(driver, "S2") == [
        (0, 0, "0", 0),
        (0, 0, "0", 10000),
        (100, 30000, "100", 30000),
        (100, 30000, "6", 45000),
        (100, 30000, "6", 50000),
    ]


def test_max_hopping_writes_every_window_of_a_record_oldest_first() -> None:
    """QTT hopping-windows "max hopping" (in ksqlDB's dialect: the value holds the max only)."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM TEST (ID BIGINT KEY, NAME varchar, VALUE bigint) "
        "WITH (kafka_topic='test_topic', value_format='DELIMITED');"
        "CREATE TABLE S2 as SELECT ID, max(value) FROM test "
        "WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS) group by id;"
    )
    feed(
        driver,
        (0, "zero,0", 0),
        (0, "100,5", 10000),
        (100, "100,100", 30000),
        (100, "100,6", 45000),
        (100, "100,300", 50000),
        (0, "zero,100", 35000),
        (0, "100,2000", 40000),
    )
    assert windowed(driver, "S2") == [
        (0, 0, "0", 0),
        (0, 0, "5", 10000),
        (0, 10000, "5", 10000),
        (100, 10000, "100", 30000),
        (100, 20000, "100", 30000),
        (100, 30000, "100", 30000),
        (100, 20000, "100", 45000),
        (100, 30000, "100", 45000),
        (100, 40000, "6", 45000),
        (100, 30000, "300", 50000),
        (100, 40000, "300", 50000),
        (100, 50000, "300", 50000),
        (0, 10000, "100", 35000),
        (0, 20000, "100", 35000),
        (0, 30000, "100", 35000),
        (0, 20000, "2000", 40000),
        (0, 30000, "2000", 40000),
        (0, 40000, "2000", 40000),
    ]
    sink = driver.metastore.source("S2")
    assert sink is not None and sink.window is not None and sink.window.kind == "HOPPING"


def test_hopping_count() -> None:
    """QTT hopping-windows "count": a record falls in size / advance windows, none before 0."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM TEST (ID INT KEY, V INT) WITH (kafka_topic='test_topic', value_format='JSON');"
        "CREATE TABLE S2 as SELECT ID, count(1) as count FROM test "
        "WINDOW HOPPING (SIZE 5 SECOND, ADVANCE BY 1 SECONDS) group by id;"
    )
    driver.pipe("test_topic", (struct.pack(">i", 0), {"V": 0}, 10345))
    driver.pipe("test_topic", (struct.pack(">i", 0), {"V": 0}, 13251))
    written = [(*struct.unpack(">iq", r.key), r.value, r.timestamp) for r in driver.read("S2")]
    assert written == [
        (0, 6000, b'{"COUNT":1}', 10345),
        (0, 7000, b'{"COUNT":1}', 10345),
        (0, 8000, b'{"COUNT":1}', 10345),
        (0, 9000, b'{"COUNT":1}', 10345),
        (0, 10000, b'{"COUNT":1}', 10345),
        (0, 9000, b'{"COUNT":2}', 13251),
        (0, 10000, b'{"COUNT":2}', 13251),
        (0, 11000, b'{"COUNT":1}', 13251),
        (0, 12000, b'{"COUNT":1}', 13251),
        (0, 13000, b'{"COUNT":1}', 13251),
    ]
    driver.pipe("test_topic", (struct.pack(">i", 0), {"V": 0}, 1000))
    assert [struct.unpack(">iq", r.key)[1] for r in driver.read("S2")[10:]] == [0, 1000]


def test_a_string_key_is_its_utf8_bytes_then_the_window_start() -> None:
    """The bytes of a windowed KAFKA STRING key, as Kafka Streams' TimeWindowedDeserializer reads them."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM RIDES (STATION STRING) WITH (kafka_topic='rides', value_format='JSON');"
        "CREATE TABLE HOURLY AS SELECT STATION, COUNT(*) AS ENTRIES FROM RIDES "
        "WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY STATION EMIT CHANGES;"
    )
    driver.pipe("rides", (None, {"STATION": "Clark/Lake"}, 7_260_000))
    (record,) = driver.read("HOURLY")
    assert record.key == b"Clark/Lake" + bytes.fromhex("00000000006ddd00")
    assert (record.value, record.timestamp) == (b'{"ENTRIES":1}', 7_260_000)


def hourly(driver: Driver) -> None:
    driver.execute(
        "CREATE STREAM RIDES (STATION_ID INT, T BIGINT) WITH (kafka_topic='rides', value_format='JSON', TIMESTAMP='T');"
        "CREATE TABLE HOURLY AS SELECT STATION_ID, COUNT(*) AS ENTRIES FROM RIDES "
        "WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY STATION_ID EMIT CHANGES;"
    )


HOUR = 3_600_000


def test_a_timestamp_column_places_records_in_windows_and_stamps_the_rows() -> None:
    """``TIMESTAMP='T'``: windows and output timestamps follow the column, not the record's timestamp; a
    record without one cannot be placed in time and is skipped."""
    driver = Driver()
    hourly(driver)
    driver.pipe("rides", (None, {"STATION_ID": 1, "T": 2 * HOUR + 5}, 1), (None, {"STATION_ID": 1, "T": None}, 2))
    driver.pipe("rides", (None, {"STATION_ID": 1, "T": 3 * HOUR}, 3), (None, {"STATION_ID": 1, "T": 2 * HOUR + 9}, 4))
    written = [(*struct.unpack(">iq", r.key), r.value, r.timestamp) for r in driver.read("HOURLY")]
    assert written == [
        (1, 2 * HOUR, b'{"ENTRIES":1}', 2 * HOUR + 5),
        (1, 3 * HOUR, b'{"ENTRIES":1}', 3 * HOUR),
        (1, 2 * HOUR, b'{"ENTRIES":2}', 2 * HOUR + 9),
    ]


def test_pull_queries_by_key_and_window_range() -> None:
    """ksqlDB's pull queries over a windowed table: a row per key and window, ``SELECT *`` shows the key,
    WINDOWSTART and WINDOWEND then the values; window bounds compare with numbers or ISO-8601 text (UTC)."""
    driver = Driver()
    hourly(driver)
    for hour, station in ((0, 1), (0, 1), (1, 1), (1, 2), (2, 1), (5, 1)):
        driver.pipe("rides", (None, {"STATION_ID": station, "T": hour * HOUR + 1}, 0))
    assert driver.select("SELECT * FROM HOURLY WHERE STATION_ID = 1;") == [
        [1, 0, HOUR, 2],
        [1, HOUR, 2 * HOUR, 1],
        [1, 2 * HOUR, 3 * HOUR, 1],
        [1, 5 * HOUR, 6 * HOUR, 1],
    ]
    in_range = "SELECT * FROM HOURLY WHERE STATION_ID = 1 AND WINDOWSTART >= {} AND WINDOWSTART < {};"
    assert driver.select(in_range.format(HOUR, 5 * HOUR)) == [[1, HOUR, 2 * HOUR, 1], [1, 2 * HOUR, 3 * HOUR, 1]]
    assert driver.select(in_range.format("'1970-01-01T01:00:00'", "'1970-01-01T05:00:00Z'")) == [
        [1, HOUR, 2 * HOUR, 1],
        [1, 2 * HOUR, 3 * HOUR, 1],
    ]
    assert driver.select("SELECT STATION_ID, ENTRIES FROM HOURLY WHERE WINDOWEND = '1970-01-01T02:00';") == [
        [1, 1],
        [2, 1],
    ]


def test_push_queries_select_the_window_bounds() -> None:
    """A windowed push query's rows: key, WINDOWSTART, WINDOWEND (named as ksqlDB names them), then values;
    the bounds may also be selected under another name, as value columns."""
    driver = Driver()
    hourly(driver)
    driver.pipe("rides", (None, {"STATION_ID": 7, "T": HOUR + 1}, 0), (None, {"STATION_ID": 7, "T": HOUR + 2}, 0))
    query = (
        "SELECT STATION_ID, WINDOWSTART, WINDOWEND, WINDOWSTART AS WS, COUNT(*) AS N FROM RIDES "
        "WINDOW HOPPING (SIZE 2 HOURS, ADVANCE BY 1 HOUR) GROUP BY STATION_ID EMIT CHANGES;"
    )
    assert driver.select(query) == [
        [7, 0, 2 * HOUR, 0, 1],
        [7, HOUR, 3 * HOUR, HOUR, 1],
        [7, 0, 2 * HOUR, 0, 2],
        [7, HOUR, 3 * HOUR, HOUR, 2],
    ]
    # the table's records: one batch of two records is one update, as ksqlDB's record cache makes it
    assert driver.select("SELECT * FROM HOURLY WHERE WINDOWSTART = 3600000 EMIT CHANGES;") == [[7, HOUR, 2 * HOUR, 2]]


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("SELECT ID, VALUE FROM TEST WINDOW TUMBLING (SIZE 1 HOUR);", "WINDOW clause requires a GROUP BY clause."),
        (
            "CREATE TABLE X AS SELECT ID, COUNT(*) AS C FROM TEST WINDOW HOPPING (SIZE 1 HOUR, ADVANCE BY 2 HOURS) "
            "GROUP BY ID;",
            "Window advancement interval should be more than zero and less than window duration",
        ),
        (
            "CREATE TABLE X AS SELECT ID, COUNT(*) AS C FROM TEST WINDOW TUMBLING (SIZE 0 SECONDS) GROUP BY ID;",
            "Window size (sizeMs) must be larger than zero.",
        ),
        (
            "CREATE TABLE X AS SELECT ID, COUNT(*) AS C FROM TEST "
            "WINDOW TUMBLING (SIZE 1 HOUR, RETENTION 1 HOUR, GRACE PERIOD 1 MINUTE) GROUP BY ID;",
            "The retention period of the window store must be no smaller than its window size plus the grace period. "
            "Got size=[3600000], grace=[60000], retention=[3600000]",
        ),
        (
            "CREATE TABLE X AS SELECT ID, WINDOWSTART, COUNT(*) AS C FROM TEST "
            "WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY ID;",
            None,
        ),
        (
            "CREATE TABLE X AS SELECT ID, VALUE AS WINDOWEND, COUNT(*) AS C FROM TEST "
            "WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY ID, VALUE;",
            "Reserved column name in select: `WINDOWEND`. Please remove or alias the column.",
        ),
        (
            "CREATE TABLE X AS SELECT ID, COUNT(*) AS C FROM TEST WINDOW SESSION (30 SECONDS) GROUP BY ID;",
            "WINDOW SESSION is not supported by this server",
        ),
        (
            "CREATE TABLE X AS SELECT ID, COUNT(*) AS C FROM TEST WINDOW TUMBLING (SIZE 1 FORTNIGHT) GROUP BY ID;",
            "Expecting TIME_UNIT",
        ),
    ],
)
def test_window_statements_are_checked(statement: str, message: str | None) -> None:
    driver = Driver()
    driver.execute(STREAM)
    if message is None:
        driver.execute(statement)
        return
    with pytest.raises(StatementError) as error:
        if statement.startswith("SELECT"):
            driver.select(statement)
        else:
            driver.execute(statement)
    assert message in str(error.value)


def test_tables_are_not_windowed_and_windowed_tables_are_not_aggregated_again() -> None:
    driver = Driver()
    driver.execute(
        "CREATE TABLE T (ID BIGINT PRIMARY KEY, V BIGINT) WITH (kafka_topic='t', value_format='JSON');"
        f"{STREAM} CREATE TABLE W AS SELECT ID, COUNT(*) AS C FROM TEST WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY ID;"
    )
    for statement, message in (
        (
            "CREATE TABLE X AS SELECT V, COUNT(*) AS C FROM T WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY V;",
            "Windowing not supported for table aggregations.",
        ),
        (
            "CREATE TABLE X AS SELECT ID, SUM(C) AS S FROM W GROUP BY ID;",
            "W is windowed: aggregating it in a persistent query is not supported by this server.",
        ),
        ("CREATE STREAM X WITH (WINDOW_TYPE='TUMBLING') AS SELECT * FROM TEST;", "Invalid config variable(s)"),
    ):
        with pytest.raises(StatementError) as error:
            driver.execute(statement)
        assert message in str(error.value)


def test_windows_older_than_the_retention_leave_the_state() -> None:
    """Kafka Streams' window store keeps a window for its retention (size and grace unless RETENTION says
    more): the state of a query that runs for days stays as large as its retention."""
    driver = Driver()
    driver.execute(
        f"{STREAM} CREATE TABLE S2 AS SELECT ID, COUNT(*) AS C FROM TEST "
        "WINDOW TUMBLING (SIZE 1 HOUR, RETENTION 3 HOURS, GRACE PERIOD 2 HOURS) GROUP BY ID;"
    )
    processor = driver.queries[0].processor
    for hour in range(10):
        feed(driver, (1, "0", hour * HOUR), (2, "0", hour * HOUR))
    starts = sorted(group.values[-1] for group in processor.state[0].values())
    assert starts == [7 * HOUR, 7 * HOUR, 8 * HOUR, 8 * HOUR, 9 * HOUR, 9 * HOUR]
    feed(driver, (1, "0", 8 * HOUR + 1), (1, "0", 6 * HOUR))  # the first still open, the second closed
    assert windowed(driver, "S2")[-1] == (1, 8 * HOUR, "2", 8 * HOUR + 1)


def test_a_restored_query_keeps_closing_windows() -> None:
    """A query that reads its groups back from the changelog (a restart, a rebalance) takes the stream time
    from them, so a window closed before the restart stays closed."""
    driver = Driver()
    driver.execute(
        f"{STREAM} CREATE TABLE S2 AS SELECT ID, COUNT(*) AS C FROM TEST "
        "WINDOW TUMBLING (SIZE 1 HOUR, GRACE PERIOD 0 SECONDS) GROUP BY ID;"
    )
    query = driver.queries[0]
    changelog = []
    for timestamp in (0, 2 * HOUR):
        step = query.processor.process([Record(bigint(1), b"0", timestamp)])
        query.processor.commit(step)
        partials = [o for o in step.outputs if o.topic == "repartition"]
        step = query.processor.process([Record(o.key, o.value, o.timestamp or 0, 0, 0, True) for o in partials])
        query.processor.commit(step)
        changelog += [o for o in step.outputs if o.topic == CHANGELOG]
    restored = Processor(query.plan, query.processor.reader, query.processor.sink_key, query.processor.sink_value)
    restored.reset_groups(0)
    for output in changelog:
        restored.restore_group(0, output.key, output.value)
    late = restored.process([Record(bigint(1), b"0", HOUR - 1)])
    merged = restored.process([Record(o.key, o.value, o.timestamp or 0, 0, 0, True) for o in late.outputs])
    assert [o for o in merged.outputs if o.topic == "sink"] == []


def windowed_int_key(key: int, start: int) -> bytes:
    return struct.pack(">iq", key, start)


def test_import_tumbling_stream() -> None:
    """QTT tumbling-windows "import tumbling stream": a source declared over a windowed topic (WINDOW_TYPE,
    WINDOW_SIZE) reads the window from each key, and a stream selected from it writes windowed keys too."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM TEST (K INT KEY, ID bigint) WITH (kafka_topic='test_topic', value_format='DELIMITED', "
        "WINDOW_TYPE='Tumbling', WINDOW_SIZE='30 seconds');"
        "CREATE STREAM S2 as SELECT * FROM test;"
    )
    for value, start, timestamp in (("1", 0, 0), ("2", 0, 0), ("3", 0, 0), ("4", 30000, 30000)):
        driver.pipe("test_topic", (windowed_int_key(0, start), value, timestamp))
    written = [(struct.unpack(">iq", r.key), r.value, r.timestamp) for r in driver.read("S2")]
    assert written == [((0, 0), b"1", 0), ((0, 0), b"2", 0), ((0, 0), b"3", 0), ((0, 30000), b"4", 30000)]
    sink = driver.metastore.source("S2")
    assert sink is not None and sink.window is not None and (sink.window.kind, sink.window.size) == ("TUMBLING", 30000)
    assert [c.name for c in sink.schema.columns] == ["K", "ID"]


def test_import_hopping_stream_with_window_bounds_in_the_value() -> None:
    """QTT hopping-windows "import hopping stream with non-STRING key" (the key column named, as ksqlDB names
    it now): WINDOWSTART and WINDOWEND selected under other names go into the value."""
    driver = Driver()
    driver.execute(
        "CREATE STREAM TEST (K BIGINT KEY, ID bigint, VALUE bigint) WITH (kafka_topic='test_topic', "
        "value_format='DELIMITED', WINDOW_TYPE='HoPping', WINDOW_SIZE='30 seconds');"
        "CREATE STREAM S2 as SELECT *, WINDOWSTART as WSTART, WINDOWEND as WEND FROM test;"
    )
    for key, value, timestamp, start in ((0, "1,0", 0, 0), (0, "3,5", 10000, 10000), (100, "6,100", 30000, 30000)):
        driver.pipe("test_topic", (struct.pack(">qq", key, start), value, timestamp))
    assert windowed(driver, "S2") == [
        (0, 0, "1,0,0,30000", 0),
        (0, 10000, "3,5,10000,40000", 10000),
        (100, 30000, "6,100,30000,60000", 30000),
    ]


def test_a_declared_windowed_table_answers_pull_queries_per_window() -> None:
    """A table declared over a windowed table's topic (as ksqlDB writes it) answers by key and window."""
    driver = Driver()
    driver.execute(
        "CREATE TABLE HOURLY (STATION_ID INT PRIMARY KEY, ENTRIES BIGINT) WITH (kafka_topic='hourly', "
        "value_format='JSON', WINDOW_TYPE='TUMBLING', WINDOW_SIZE='1 HOUR');"
    )
    driver.pipe(
        "hourly",
        (windowed_int_key(1, 0), {"ENTRIES": 1}, 5),
        (windowed_int_key(1, 0), {"ENTRIES": 2}, 6),
        (windowed_int_key(1, HOUR), {"ENTRIES": 7}, HOUR),
    )
    assert driver.select("SELECT * FROM HOURLY WHERE STATION_ID = 1 AND WINDOWEND <= 3600000;") == [[1, 0, HOUR, 2]]


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            "WINDOW_TYPE='Hopping', WINDOW_SIZE='30 bobs'",
            "Configuration WINDOW_SIZE is invalid: Invalid duration: '30 bobs'. Unknown time unit: 'BOBS'",
        ),
        ("WINDOW_TYPE='Tumbling'", "Tumbling and Hopping window types should set WINDOW_SIZE in the WITH clause."),
        ("WINDOW_TYPE='Session'", "WINDOW_TYPE 'SESSION' is not supported by this server"),
    ],
)
def test_declared_windows_are_checked(properties: str, message: str) -> None:
    """QTT hopping-windows "import table with invalid window size", and the window types this server reads."""
    driver = Driver()
    with pytest.raises(StatementError) as error:
        driver.execute(
            f"CREATE TABLE TEST (ID bigint PRIMARY KEY, VALUE bigint) WITH (kafka_topic='test_topic', "
            f"value_format='DELIMITED', {properties});"
        )
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("columns", "properties", "message"),
    [
        (
            "T INT",
            "TIMESTAMP='T'",
            "Timestamp column, `T`, should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format specified.",
        ),
        (
            "T STRING",
            "TIMESTAMP='T'",
            "Timestamp column, `T`, should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format specified.",
        ),
        (
            "T STRING",
            "TIMESTAMP='T', TIMESTAMP_FORMAT='yyyy-MM-dd'",
            "TIMESTAMP_FORMAT is not supported by this server",
        ),
    ],
)
def test_a_timestamp_column_holds_ms_since_the_epoch(columns: str, properties: str, message: str) -> None:
    """A TIMESTAMP column this server cannot read as ms since the epoch is refused at CREATE (ksqlDB's message),
    rather than every record being skipped later."""
    driver = Driver()
    with pytest.raises(StatementError) as error:
        driver.execute(f"CREATE STREAM S ({columns}) WITH (kafka_topic='s', value_format='JSON', {properties});")
    assert str(error.value) == message
    driver.execute("CREATE STREAM OK (T TIMESTAMP) WITH (kafka_topic='ok', value_format='JSON', TIMESTAMP='T');")
