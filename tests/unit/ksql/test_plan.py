"""Plans, expressions, aggregates and formats of the KSQL engine, without a platform."""

from __future__ import annotations

import json
import struct
from decimal import Decimal

import pytest

from stack.ksql.aggregates import make_aggregate
from stack.ksql.expressions import compile_expression
from stack.ksql.formats import JsonSerde, KafkaSerde, RecordError
from stack.ksql.metastore import Source
from stack.ksql.plan import ksql5_columns, plan_query
from stack.ksql.schema import BIGINT, INTEGER, STRING, Column, LogicalSchema, coerce
from stack.ksql.statements import (
    AllColumns,
    BinaryOp,
    ColumnRef,
    FunctionCall,
    IsNull,
    Like,
    Literal,
    Select,
    SelectItem,
    SqlType,
    StatementError,
)

EVENTS = LogicalSchema((Column("STATION_ID", INTEGER), Column("STATION_NAME", STRING), Column("LINE", STRING)))


def source(legacy: bool = False, kind: str = "STREAM") -> Source:
    """The turnstile events; in KSQL 5's dialect with the implicit ROWKEY the engine gives such a source."""
    schema = LogicalSchema(ksql5_columns(EVENTS.columns)) if legacy else EVENTS
    return Source("TURNSTILE", kind, "t", schema, "KAFKA", "AVRO", "", 3, 1, legacy=legacy)


def count_by_station(*extra: SelectItem) -> Select:
    return Select(
        (
            SelectItem(ColumnRef("STATION_ID")),
            *extra,
            SelectItem(FunctionCall("COUNT", (ColumnRef("STATION_ID"),)), "COUNT"),
        ),
        "TURNSTILE",
        group_by=(ColumnRef("STATION_ID"),),
    )


def columns(schema: LogicalSchema) -> list[tuple[str, bool]]:
    return [(c.name, c.key) for c in schema.columns]


def test_ksql5_counts_carry_the_group_column_in_the_value_under_a_string_key() -> None:
    plan = plan_query(count_by_station(), source(legacy=True))
    assert columns(plan.sink_schema) == [("ROWKEY", True), ("STATION_ID", False), ("COUNT", False)]
    assert columns(plan.output) == [("STATION_ID", False), ("COUNT", False)]  # what a SELECT shows
    assert plan.output_row([40820], [11]) == {"ROWKEY": "40820", "STATION_ID": 40820, "COUNT": 11}


def test_ksql5_sources_have_the_record_key_as_a_string_rowkey() -> None:
    assert columns(LogicalSchema(ksql5_columns(EVENTS.columns))) == [
        ("ROWKEY", True),
        ("STATION_ID", False),
        ("STATION_NAME", False),
        ("LINE", False),
    ]
    declared = (Column("ROWTIME", BIGINT), Column("ROWKEY", STRING), Column("ID", INTEGER))  # KSQL 5 ignored these two
    assert ksql5_columns(declared) == (Column("ROWKEY", STRING, key=True), Column("ID", INTEGER))


def test_unnamed_expressions_are_numbered_by_position_in_ksql5_and_among_themselves_in_ksqldb() -> None:
    select = Select(
        (
            SelectItem(ColumnRef("STATION_ID")),
            SelectItem(FunctionCall("COUNT", (), star=True)),
            SelectItem(FunctionCall("MAX", (ColumnRef("LINE"),)), "LAST_LINE"),
            SelectItem(FunctionCall("MIN", (ColumnRef("LINE"),))),
        ),
        "TURNSTILE",
        group_by=(ColumnRef("STATION_ID"),),
    )
    assert [c.name for c in plan_query(select, source(legacy=True)).sink_schema.value] == [
        "STATION_ID",
        "KSQL_COL_1",
        "LAST_LINE",
        "KSQL_COL_3",
    ]
    assert [c.name for c in plan_query(select, source()).sink_schema.value] == ["KSQL_COL_0", "LAST_LINE", "KSQL_COL_1"]


def test_ksql5_grouping_by_rowkey_keys_by_it_and_keeps_it_out_of_the_value() -> None:
    select = Select(
        (SelectItem(ColumnRef("ROWKEY")), SelectItem(FunctionCall("COUNT", (), star=True))),
        "TURNSTILE",
        group_by=(ColumnRef("ROWKEY"),),
    )
    plan = plan_query(select, source(legacy=True))
    assert columns(plan.sink_schema) == [("ROWKEY", True), ("KSQL_COL_1", False)]
    assert plan.output_row(["k1"], [3]) == {"ROWKEY": "k1", "KSQL_COL_1": 3}
    with pytest.raises(StatementError, match="'ROWKEY' cannot be resolved"):  # ksqlDB has no implicit ROWKEY
        plan_query(select, source())


def test_ksql5_star_shows_rowtime_and_rowkey_and_a_sink_keeps_the_source_key() -> None:
    star = plan_query(Select((AllColumns(),), "TURNSTILE"), source(legacy=True))
    assert [c.name for c in star.output.columns] == ["ROWTIME", "ROWKEY", "STATION_ID", "STATION_NAME", "LINE"]
    assert columns(star.sink_schema) == [
        ("ROWKEY", True),
        ("STATION_ID", False),
        ("STATION_NAME", False),
        ("LINE", False),
    ]
    aliased = Select(
        (
            SelectItem(ColumnRef("ROWKEY"), "RKEY"),
            SelectItem(ColumnRef("ROWTIME"), "RTIME"),
            SelectItem(BinaryOp("+", ColumnRef("ROWTIME"), Literal(100))),
        ),
        "TURNSTILE",
    )
    plan = plan_query(aliased, source(legacy=True))
    assert columns(plan.sink_schema) == [("ROWKEY", True), ("RKEY", False), ("RTIME", False), ("KSQL_COL_2", False)]
    row = {"ROWKEY": "8", "ROWTIME": 1000, "STATION_ID": 1, "STATION_NAME": "a", "LINE": "red"}
    assert plan.project(row) == {"RKEY": "8", "RTIME": 1000, "KSQL_COL_2": 1100, "ROWKEY": "8"}


def test_modern_counts_key_by_the_group_column_and_copy_it_with_as_value() -> None:
    plain = plan_query(count_by_station(), source())
    assert [(c.name, c.key) for c in plain.output.columns] == [("STATION_ID", True), ("COUNT", False)]
    copied = plan_query(
        count_by_station(SelectItem(FunctionCall("AS_VALUE", (ColumnRef("STATION_ID"),)), "STATION")), source()
    )
    assert copied.output_row([40820], [11]) == {"STATION_ID": 40820, "STATION": 40820, "COUNT": 11}
    assert copied.output.header_text(mark_keys=True) == "`STATION_ID` INTEGER KEY, `STATION` INTEGER, `COUNT` BIGINT"


def test_a_column_neither_grouped_nor_aggregated_is_refused() -> None:
    with pytest.raises(StatementError, match="not part of GROUP BY"):
        plan_query(count_by_station(SelectItem(ColumnRef("LINE"))), source())


def test_unknown_columns_and_functions_are_refused_before_anything_runs() -> None:
    with pytest.raises(StatementError, match="cannot be resolved"):
        plan_query(Select((SelectItem(ColumnRef("NOPE")),), "TURNSTILE"), source())
    with pytest.raises(StatementError, match="Can't find any functions"):
        plan_query(Select((SelectItem(FunctionCall("NOPE", (ColumnRef("LINE"),))),), "TURNSTILE"), source())


def test_where_follows_sql_null_rules() -> None:
    where = compile_expression(BinaryOp(">", ColumnRef("STATION_ID"), Literal(5)), EVENTS).evaluate
    assert where({"STATION_ID": 6}) is True and where({"STATION_ID": None}) is None
    either = compile_expression(
        BinaryOp("OR", BinaryOp("=", ColumnRef("LINE"), Literal("red")), IsNull(ColumnRef("LINE"))), EVENTS
    ).evaluate
    assert either({"LINE": None}) is True and either({"LINE": "blue"}) is False
    like = compile_expression(Like(ColumnRef("STATION_NAME"), Literal("O'H%")), EVENTS).evaluate
    assert like({"STATION_NAME": "O'Hare"}) is True and like({"STATION_NAME": "Austin"}) is False


def test_star_expands_to_the_source_columns() -> None:
    plan = plan_query(Select((AllColumns(),), "TURNSTILE"), source())
    assert plan.project({"STATION_ID": 1, "STATION_NAME": "A", "LINE": "red", "ROWTIME": 0}) == {
        "STATION_ID": 1,
        "STATION_NAME": "A",
        "LINE": "red",
    }


def test_partial_aggregates_merge_to_the_same_result_as_one_pass() -> None:
    rows = [{"X": v} for v in (3, None, 7, 1, 5)]
    argument = compile_expression(ColumnRef("X"), LogicalSchema((Column("X", INTEGER),)))
    for function, expected in (
        ("COUNT", 4),
        ("SUM", 16),
        ("MIN", 1),
        ("MAX", 7),
        ("AVG", 4.0),
        ("LATEST_BY_OFFSET", 5),
    ):
        aggregate = make_aggregate(function, argument.evaluate, INTEGER)
        whole = aggregate.initial()
        for row in rows:
            whole = aggregate.add(whole, row)
        first, second = aggregate.initial(), aggregate.initial()
        for row in rows[:2]:
            first = aggregate.add(first, row)
        for row in rows[2:]:
            second = aggregate.add(second, row)
        restored = aggregate.from_json(json.loads(json.dumps(aggregate.to_json(second))))
        assert aggregate.result(whole) == aggregate.result(aggregate.merge(first, restored)) == expected, function


def test_kafka_keys_are_written_as_kafkas_serializers_write_them() -> None:
    assert KafkaSerde((Column("K", INTEGER, True),)).encode({"K": 40820}) == struct.pack(">i", 40820)
    assert KafkaSerde((Column("K", BIGINT, True),)).encode({"K": 1}) == struct.pack(">q", 1)
    assert KafkaSerde((Column("K", STRING, True),)).encode({"K": "O'Hare"}) == b"O'Hare"
    with pytest.raises(StatementError, match="only supports a single field"):
        KafkaSerde((Column("A", INTEGER, True), Column("B", INTEGER, True)))


def test_a_string_key_that_is_not_utf8_reads_as_kafkas_string_deserializer_reads_it() -> None:
    """An Avro key read as a KSQL 5 source's ROWKEY: each byte that is not UTF-8 becomes a replacement character."""
    avro_key = b"\x00\x00\x00\x00\x01\x80\xff1"
    assert KafkaSerde((Column("ROWKEY", STRING, True),)).decode(avro_key) == {
        "ROWKEY": "\x00\x00\x00\x00\x01\ufffd\ufffd1"
    }


def test_json_values_are_read_case_insensitively_and_bad_ones_are_record_errors() -> None:
    serde = JsonSerde(EVENTS.columns)
    assert serde.decode(b'{"station_id": 7, "Station_Name": "A"}') == {
        "STATION_ID": 7,
        "STATION_NAME": "A",
        "LINE": None,
    }
    assert json.loads(serde.encode({"STATION_ID": 7, "STATION_NAME": "A", "LINE": None})) == {
        "STATION_ID": 7,
        "STATION_NAME": "A",
        "LINE": None,
    }
    for bad in (b"{", b'{"station_id": "seven"}', b"[1]"):
        with pytest.raises(RecordError):
            serde.decode(bad)


def test_values_are_coerced_to_their_column_types() -> None:
    assert coerce(5.0, INTEGER) == 5
    assert coerce("12.50", SqlType("DECIMAL", 4, 2)) == Decimal("12.50")
    with pytest.raises(ValueError):
        coerce(2**40, INTEGER)
