"""ksqlDB's semantics in the engine, without a platform: each case is one of ksqlDB's own query
validation tests (QTT, ``ksqldb-functional-tests/.../query-validation-tests``), named after it.

The same cases run end to end over HTTP with real Kafka in ``test_ksqldb_semantics.py``.
"""

from __future__ import annotations

import pytest

from stack.ksql.formats import Registry, serde
from stack.ksql.grouping import Group, TableRows, fold
from stack.ksql.metastore import Source
from stack.ksql.parser import parse
from stack.ksql.persistent import Runtime
from stack.ksql.plan import QueryPlan, check_sink_key, plan_query
from stack.ksql.schema import BIGINT, DOUBLE, INTEGER, STRING, Column, LogicalSchema
from stack.ksql.statements import CreateAsSelect, Query, SqlType, StatementError
from stack.ksql.transient import TransientQuery


def source(kind: str, *columns: Column, key_format: str = "KAFKA") -> Source:
    return Source("INPUT", kind, "input", LogicalSchema(columns), key_format, "JSON", "", 1, 1)


def plan(sql: str, over: Source) -> QueryPlan:
    (statement,) = parse(sql)
    select = statement.select if isinstance(statement, Query) else statement.query
    return plan_query(select, over)


def sink_check(sql: str, over: Source) -> None:
    (statement,) = parse(sql)
    assert isinstance(statement, CreateAsSelect)
    check_sink_key(plan_query(statement.query, over), statement.name)


def test_filter_on_a_double_compares_with_a_decimal_literal_as_java_does() -> None:
    """QTT project-filter "Filter on non-STRING key": ``K > 0.1`` keeps 1.1, 0.11, 1.1 and drops 0.09999, 0.0.

    The double 0.1 is not greater than the literal 0.1 either: ksqlDB compares BigDecimal.valueOf(double).
    """
    where = plan("SELECT * FROM INPUT WHERE K > 0.1 EMIT CHANGES;", source("STREAM", Column("K", DOUBLE, True)))
    assert [k for k in (1.1, 0.09999, 0.0, 0.11, 1.1, 0.1) if where.accepts({"K": k})] == [1.1, 0.11, 1.1]
    between = plan("SELECT * FROM INPUT WHERE K BETWEEN 0.1 AND 0.2;", source("STREAM", Column("K", DOUBLE, True)))
    assert between.accepts({"K": 0.1}) and between.accepts({"K": 0.2}) and not between.accepts({"K": 0.21})


def test_arithmetic_of_a_double_and_a_decimal_literal_is_a_double() -> None:
    over = source("STREAM", Column("ID", INTEGER, True), Column("D", DOUBLE))
    added = plan("SELECT ID, D + 0.5 AS X FROM INPUT;", over)
    assert added.output.find("X").type == DOUBLE
    assert added.project({"ID": 1, "D": 1.25}) == {"ID": 1, "X": 1.75}


def test_a_null_grouping_value_drops_the_row() -> None:
    """QTT null "stream GROUP BY with null value" and group-by "multiple expressions": any NULL drops the row."""
    over = source("STREAM", Column("F1", INTEGER, True), Column("F2", INTEGER))
    counts = plan("SELECT F1, F2, COUNT(*) FROM INPUT GROUP BY F1, F2;", over)
    groups: dict[str, Group] = {}
    assert fold(counts, groups, {"F1": 1, "F2": None}, 1) is None
    assert fold(counts, groups, {"F1": None, "F2": 1}, 2) is None
    assert fold(counts, groups, {"F1": 1, "F2": 2}, 3) is not None
    assert [(g.values, g.states) for g in groups.values()] == [([1, 2], [1])]


def test_a_group_is_stamped_with_the_latest_timestamp_of_its_rows() -> None:
    """Kafka Streams' KStreamAggregate: max(record timestamp, the aggregate's timestamp)."""
    over = source("STREAM", Column("K", STRING, True), Column("ID", INTEGER))
    counts = plan("SELECT ID, COUNT(*) FROM INPUT GROUP BY ID;", over)
    groups: dict[str, Group] = {}
    for timestamp in (5, 3, 7):
        key = fold(counts, groups, {"ID": 1}, timestamp)
    assert key is not None and groups[key].timestamp == 7 and groups[key].states == [3]


def test_an_aliased_key_column_stays_the_key() -> None:
    """QTT project-filter "key column with alias": ``SELECT ID AS NEW_KEY, NAME`` makes NEW_KEY the key."""
    over = source("STREAM", Column("ID", INTEGER, True), Column("NAME", STRING))
    aliased = plan("SELECT ID AS NEW_KEY, NAME FROM INPUT;", over)
    assert [(c.name, c.key) for c in aliased.output.columns] == [("NEW_KEY", True), ("NAME", False)]
    assert aliased.project_key({"ID": 1, "NAME": None}) == {"NEW_KEY": 1}


def test_a_persistent_query_must_project_its_key_once() -> None:
    """QTT project-filter and group-by: ksqlDB's messages for a key missing or projected twice."""
    over = source("STREAM", Column("ID", INTEGER, True), Column("NAME", STRING))
    sink_check("CREATE STREAM OUTPUT AS SELECT ID AS NEW_KEY, NAME FROM INPUT;", over)
    with pytest.raises(StatementError) as missing:
        sink_check("CREATE STREAM OUTPUT AS SELECT NAME FROM INPUT;", over)
    assert str(missing.value) == (
        "The query used to build `OUTPUT` must include the key column ID in its projection (eg, SELECT ID...)."
    )
    with pytest.raises(StatementError) as twice:
        sink_check("CREATE STREAM OUTPUT AS SELECT ID, ID AS ID2, NAME FROM INPUT;", over)
    assert str(twice.value) == "The projection contains a key column (`ID`) more than once, aliased as: ID and ID2."
    with pytest.raises(StatementError) as grouping:
        sink_check("CREATE TABLE OUTPUT AS SELECT COUNT(1) AS NAME FROM INPUT GROUP BY NAME;", over)
    assert str(grouping.value) == (
        "The query used to build `OUTPUT` must include the grouping expression NAME in its projection "
        "(eg, SELECT NAME...)."
    )
    with pytest.raises(StatementError) as grouped_twice:
        sink_check("CREATE TABLE OUTPUT AS SELECT NAME, NAME AS NAME2, COUNT(1) FROM INPUT GROUP BY NAME;", over)
    assert str(grouped_twice.value) == "The projection contains a key column more than once: `NAME` and `NAME2`."


def test_aggregating_a_table_moves_a_changed_row_between_groups() -> None:
    """QTT group-by "fields (table->table)": each update takes the old row out of its group first."""
    over = source("TABLE", Column("ID", INTEGER, True), Column("F1", INTEGER), Column("F2", STRING))
    counts = plan("SELECT F1, F2, COUNT(*) FROM INPUT GROUP BY F2, F1;", over)
    assert counts.undoes
    inputs = [(b"1", {"F1": 1, "F2": "a"}), (b"2", {"F1": 2, "F2": "b"}), (b"1", {"F1": 1, "F2": "b"})]
    inputs += [(b"2", None), (b"1", {"F1": 1, "F2": "a"})]
    groups: dict[str, Group] = {}
    table = TableRows.empty()
    outputs = []
    for timestamp, (key, row) in enumerate(inputs):
        old = table.replace(0, key, row, None, timestamp)
        changed = [fold(counts, groups, old, timestamp, remove=True)] if old is not None else []
        changed += [fold(counts, groups, row, timestamp)] if row is not None else []
        for group_key in changed:
            assert group_key is not None
            row_out = counts.output_row(groups[group_key].values, groups[group_key].states)
            outputs.append((row_out["F2"], row_out["F1"], row_out["KSQL_COL_0"]))
    assert outputs == [("a", 1, 1), ("b", 2, 1), ("a", 1, 0), ("b", 1, 1), ("b", 2, 0), ("b", 1, 0), ("a", 1, 1)]


def test_table_aggregates_are_the_functions_that_can_undo() -> None:
    """QTT group-by "non-table udaf on table"."""
    over = source("TABLE", Column("ID", BIGINT, True), Column("F0", INTEGER), Column("F1", BIGINT))
    with pytest.raises(StatementError) as refused:
        plan("SELECT ID, LATEST_BY_OFFSET(F0), MIN(F1), MAX(F1) FROM INPUT GROUP BY ID;", over)
    assert str(refused.value) == (
        "The aggregation functions LATEST_BY_OFFSET, MIN and MAX cannot be applied to a table source, "
        "only to a stream source."
    )
    averaged = plan("SELECT F0, AVG(F1) AS A, SUM(F1) AS S FROM INPUT GROUP BY F0;", over)
    groups: dict[str, Group] = {}
    key = fold(averaged, groups, {"F0": 1, "F1": 4}, 1)
    fold(averaged, groups, {"F0": 1, "F1": 2}, 2)
    fold(averaged, groups, {"F0": 1, "F1": 4}, 3, remove=True)
    assert key is not None
    assert averaged.output_row(groups[key].values, groups[key].states) == {"F0": 1, "A": 2.0, "S": 2}


def test_key_format_none_holds_no_columns() -> None:
    """QTT none "as key format of keyed stream": NONE only for a source without key columns."""
    none = serde("NONE", (), None, "t", is_key=True)  # type: ignore[arg-type]
    assert none.decode(b"anything") == {} and none.encode({"X": 1}) is None
    with pytest.raises(StatementError) as refused:
        serde("NONE", (Column("K", STRING, True),), None, "t", is_key=True)  # type: ignore[arg-type]
    assert str(refused.value) == "The 'NONE' format can only be used when no columns are defined. Got: [`K` STRING KEY]"


def test_limit_0_ends_a_query_before_it_reads_anything() -> None:
    """ksqlDB answers ``EMIT CHANGES LIMIT 0`` with its header and "Limit Reached", no rows."""
    over = source("STREAM", Column("ID", INTEGER, True), Column("NAME", STRING))
    nowhere = Runtime("localhost:1", "test", "test", Registry("http://localhost:1"))  # never reached
    query = TransientQuery(plan("SELECT * FROM INPUT EMIT CHANGES LIMIT 0;", over), nowhere, push=True)
    rows: list[object] = []
    query.run(rows.append)
    assert rows == [] and query.limit_reached


def test_decimal_literals_keep_their_type() -> None:
    over = source("STREAM", Column("ID", INTEGER, True), Column("D", DOUBLE))
    typed = plan("SELECT ID, 0.10 AS X FROM INPUT;", over)
    assert typed.output.find("X").type == SqlType("DECIMAL", 2, 2)
