"""Turns a SELECT over a source into a plan: how to read, filter, group, aggregate and write rows.

The same plan drives persistent queries (CSAS/CTAS), push queries and pull queries. Everything that
can be wrong with a query (unknown columns, a format that cannot hold the key, an aggregate
without GROUP BY) is found here, before anything runs.

Two dialects meet here; a query speaks its source's (``Source.legacy``, decided when the source was
created: see ``checks.py``). Modern ksqlDB makes the GROUP BY columns the key and leaves them out
of the value unless ``AS_VALUE`` copies them in. KSQL 5 gave every source an implicit ``ROWKEY
STRING`` column, the record's key, and wrote a sink's key as ROWKEY: a plain query's source key, an
aggregate's group values joined by ``|+|``. Every other projected column went into the value, the
group columns included; ROWKEY and ROWTIME never did (:attr:`QueryPlan.sink_schema`). ``*``
included ROWTIME and ROWKEY, and an unnamed expression was ``KSQL_COL_<its position>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from stack.ksql.aggregates import TABLE_FUNCTIONS, Aggregate, make_aggregate
from stack.ksql.expressions import Compiled, Evaluate, compile_expression, contains_aggregate
from stack.ksql.formats import RecordError, Registry, Serde, TimeWindowedSerde, serde
from stack.ksql.metastore import Source
from stack.ksql.schema import BIGINT, STRING, Column, LogicalSchema
from stack.ksql.statements import (
    AllColumns,
    Between,
    BinaryOp,
    ColumnRef,
    FunctionCall,
    Literal,
    Not,
    Select,
    SelectItem,
    StatementError,
    WindowExpression,
)

Row = dict[str, Any]
LEGACY_KEY_SEPARATOR = "|+|"
ROWTIME = Column("ROWTIME", BIGINT)
PSEUDO_COLUMNS = (ROWTIME, Column("ROWPARTITION", BIGINT), Column("ROWOFFSET", BIGINT))
ROWKEY = Column("ROWKEY", STRING, key=True)
KSQL5_IMPLICIT = ("ROWTIME", "ROWKEY")
# A windowed source's window bounds: key columns read from its record keys (ksqlDB's system columns).
WINDOW_COLUMNS = (Column("WINDOWSTART", BIGINT, key=True), Column("WINDOWEND", BIGINT, key=True))
WINDOW_NAMES = ("WINDOWSTART", "WINDOWEND")


def visible_columns(source: Source) -> tuple[Column, ...]:
    """The columns a query over ``source`` sees, as ``SELECT *`` lists them: keys, a windowed source's
    WINDOWSTART and WINDOWEND, then values."""
    window = WINDOW_COLUMNS if source.window is not None else ()
    return source.schema.key + window + source.schema.value


def ksql5_columns(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """A KSQL 5 source's columns: its record key as ``ROWKEY STRING`` (unless it declares key columns), then
    the declared value columns, of which KSQL 5 ignored any named ROWTIME or ROWKEY."""
    declared = tuple(c for c in columns if c.name not in KSQL5_IMPLICIT)
    return declared if any(c.key for c in declared) else (ROWKEY, *declared)


@dataclass
class SourceReader:
    """Decodes a source's records into rows (key columns, value columns and ROWTIME/ROWPARTITION/ROWOFFSET)."""

    source: Source
    key: Serde
    value: Serde

    def row(self, key: bytes | None, value: bytes | None, timestamp: int, partition: int, offset: int) -> Row | None:
        """The record as a row; None for a tombstone. Raises RecordError for an unreadable record.

        ROWTIME is the record's timestamp, or the source's TIMESTAMP column (ksqlDB's timestamp
        extractor): every query over the source then works in that time, and writes it.
        """
        values = self.value.decode(value)
        if values is None:
            return None
        keys = self.key.decode(key) or {}
        row = {**keys, **values, "ROWTIME": timestamp, "ROWPARTITION": partition, "ROWOFFSET": offset}
        if self.source.timestamp is not None:
            row["ROWTIME"] = _event_time(row.get(self.source.timestamp), self.source.timestamp)
        return row


def _event_time(value: Any, column: str) -> int:
    """A TIMESTAMP column's value as ms since the epoch; a record without one cannot be placed in time."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise RecordError(f"The TIMESTAMP column {column} holds {value!r}, not a time in ms since the epoch")


def key_serde(source: Source, registry: Registry) -> Serde:
    """The serde of a source's record keys: a windowed source's keys also hold the window start."""
    inner = serde(source.key_format, source.schema.key, registry, source.topic, is_key=True)
    return inner if source.window is None else TimeWindowedSerde(inner, source.window.size)


def reader_for(source: Source, registry: Registry) -> SourceReader:
    return SourceReader(
        source,
        key_serde(source, registry),
        serde(
            source.value_format,
            source.schema.value,
            registry,
            source.topic,
            is_key=False,
            wrap_single=source.wrap_single_value,
        ),
    )


@dataclass
class Projection:
    name: str
    compiled: Compiled


@dataclass
class QueryPlan:
    """A compiled SELECT. ``aggregates`` is empty for a plain (filter and project) query."""

    source: Source
    output: LogicalSchema
    where: Evaluate | None
    projections: list[Projection]
    group_by: list[Compiled] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    # For aggregations: builds the output row from the group's values and the aggregate results.
    build_row: Callable[[list[Any], list[Any]], Row] | None = None
    having: Evaluate | None = None
    legacy: bool = False
    limit: int | None = None
    # The output names each key column (plain query) or grouping expression (aggregation) is projected as,
    # by its source text: ksqlDB's checks of a persistent query's key (check_sink_key) read them.
    key_aliases: dict[str, list[str]] = field(default_factory=dict)
    # A windowed aggregation's window (each group is one window of its GROUP BY values, whose start is
    # the last of the group's values), or a plain query's windowed source's: the window its sink's keys hold.
    window: WindowExpression | None = None

    @property
    def is_aggregate(self) -> bool:
        return bool(self.group_by)

    @property
    def undoes(self) -> bool:
        """Whether a changed or deleted source row is taken back out of its group: aggregating a (modern) TABLE."""
        return self.is_aggregate and self.source.kind == "TABLE" and not self.source.legacy

    def accepts(self, row: Row) -> bool:
        return self.where is None or self.where(row) is True

    @property
    def sink_schema(self) -> LogicalSchema:
        """The columns a CSAS/CTAS writes: the output, or in KSQL 5 ROWKEY as the key and no ROWKEY or ROWTIME
        in the value, even when selected (KSQL 5 wrote them as the record's key and timestamp)."""
        columns = self.output.columns
        if self.window is not None:  # the window is in the record key, not a key column (key_serde)
            columns = tuple(c for c in columns if not (c.key and c.name in WINDOW_NAMES))
        if not self.legacy:
            return LogicalSchema(columns)
        values = tuple(replace(c, key=False) for c in columns if c.name not in KSQL5_IMPLICIT)
        return LogicalSchema((ROWKEY, *values))

    def window_starts(self, timestamp: int) -> list[int]:
        """The starts of the windows a record at ``timestamp`` falls in, oldest first (Kafka Streams'
        ``TimeWindows.windowsFor``: none starts before 0)."""
        assert self.window is not None
        size, advance = self.window.size, self.window.advance
        first = max(0, timestamp - size + advance) // advance * advance
        return list(range(first, timestamp + 1, advance))

    def project(self, row: Row) -> Row:
        """The projected row; in KSQL 5 with the source's ROWKEY, which a plain query keeps as its key; over
        a windowed source with the window's start, which the record key keeps whether projected or not."""
        projected = {p.name: p.compiled.evaluate(row) for p in self.projections}
        if self.legacy:
            projected.setdefault("ROWKEY", row.get("ROWKEY"))
        if self.source.window is not None:
            projected.setdefault("WINDOWSTART", row.get("WINDOWSTART"))
        return projected

    def group_key(self, row: Row) -> list[Any] | None:
        """The row's group; None when a grouping expression is NULL: ksqlDB drops such a row (KSQL 5 keyed
        it ``null``)."""
        group = [g.evaluate(row) for g in self.group_by]
        return None if not self.legacy and any(v is None for v in group) else group

    def project_key(self, row: Row) -> Row:
        """The key columns of a plain query's output row (all a null-value record carries on)."""
        keys = {p.name: p.compiled.evaluate(row) for p in self.projections if self.output.find(p.name).key}
        if self.source.window is not None:
            keys.setdefault("WINDOWSTART", row.get("WINDOWSTART"))
        return keys

    def key_row(self, group: list[Any]) -> Row:
        """The key columns of a group's row."""
        assert self.build_row is not None
        return self.build_row(group, [None] * len(self.aggregates))

    def output_row(self, group: list[Any], states: list[Any]) -> Row | None:
        """The table row of a group (None when HAVING drops it)."""
        assert self.build_row is not None
        row = self.build_row(group, [a.result(s) for a, s in zip(self.aggregates, states, strict=True)])
        if self.having is not None and self.having({**row, **_aggregate_columns(self.aggregates, states)}) is not True:
            return None
        return row


def _aggregate_columns(aggregates: list[Aggregate], states: list[Any]) -> Row:
    return {f"__AGG_{i}": a.result(s) for i, (a, s) in enumerate(zip(aggregates, states, strict=True))}


def group_key_text(group: list[Any]) -> str:
    """A group's values as the canonical text that keys repartition and changelog records."""
    return json.dumps(group, separators=(",", ":"), default=str)


def plan_query(select: Select, source: Source) -> QueryPlan:
    """Compiles ``select`` over ``source``, in the source's dialect."""
    legacy = source.legacy
    window_columns = WINDOW_COLUMNS if select.window is not None and source.window is None else ()
    schema = LogicalSchema(visible_columns(source) + window_columns + PSEUDO_COLUMNS)
    if select.window is not None:
        if not select.group_by:
            raise StatementError("WINDOW clause requires a GROUP BY clause.")
        if source.window is not None:
            raise StatementError(f"{source.name} is windowed: a WINDOW over it is not supported by this server.")
    if source.window is not None and select.where is not None:
        select = replace(select, where=_window_bounds(select.where))

    def compile_(expression: Any) -> Compiled:
        return compile_expression(expression, schema, (source.name, *([select.alias] if select.alias else [])))

    where = None
    if select.where is not None:
        if contains_aggregate(select.where):
            raise StatementError("WHERE clause cannot contain aggregate functions; use HAVING.")
        compiled_where = compile_(select.where)
        if compiled_where.type.base != "BOOLEAN":
            raise StatementError("Type error in WHERE expression: should evaluate to boolean.")
        where = compiled_where.evaluate
    has_aggregates = any(isinstance(i, SelectItem) and contains_aggregate(i.expression) for i in select.items)
    if not select.group_by:
        if has_aggregates:
            raise StatementError(
                "Aggregate functions need a GROUP BY clause: "
                "this server does not aggregate a whole stream into one row."
            )
        if select.having is not None:
            raise StatementError("HAVING requires a GROUP BY clause.")
        return _plain_plan(select, source, compile_, where, legacy)
    return _aggregate_plan(select, source, compile_, where, legacy)


def _names(select: Select, source: Source, legacy: bool) -> list[tuple[str, Any]]:
    """(output name, expression) of every projected item, ``*`` expanded, unnamed ones as KSQL_COL_n.

    ksqlDB numbers the unnamed expressions among themselves; KSQL 5 numbered each by its position among
    the select items (``*`` aside), so ``SELECT station_id, COUNT(*)`` names the count KSQL_COL_0 in
    ksqlDB and KSQL_COL_1 in KSQL 5.
    """
    named: list[tuple[str, Any]] = []
    position = generated = 0
    for item in select.items:
        if isinstance(item, AllColumns):
            columns = ((ROWTIME,) if legacy else ()) + visible_columns(source)
            named.extend((c.name, ColumnRef(c.name)) for c in columns)
            continue
        expression = item.expression
        if item.alias is not None:
            named.append((item.alias, expression))
        elif isinstance(expression, ColumnRef):
            named.append((expression.name, expression))
        else:
            named.append((f"KSQL_COL_{position if legacy else generated}", expression))
            generated += 1
        position += 1
    seen: set[str] = set()
    for name, _ in named:
        if name in seen:
            raise StatementError(f"Duplicate value columns found in schema: `{name}`")
        seen.add(name)
    return named


def _plain_plan(
    select: Select, source: Source, compile_: Callable[[Any], Compiled], where: Evaluate | None, legacy: bool
) -> QueryPlan:
    """Filter and project. A projected key column stays a key column under any alias (``SELECT ID AS K``),
    as in ksqlDB; its first projection is the key, a second one (refused by CSAS/CTAS) a value column."""
    named = _names(select, source, legacy)
    projections = [Projection(name, compile_(expression)) for name, expression in named]
    key_names = [c.name for c in source.schema.key]
    aliases: dict[str, list[str]] = {name: [] for name in key_names}
    bounds = {*WINDOW_NAMES} if source.window is not None else set()  # a windowed source's, shown as keys
    columns = []
    for projection, (name, expression) in zip(projections, named, strict=True):
        if isinstance(expression, ColumnRef) and expression.name in bounds and name == expression.name:
            bounds.discard(name)
            columns.append(Column(name, projection.compiled.type, key=True))
            continue
        source_key = expression.name if isinstance(expression, ColumnRef) and expression.name in aliases else None
        if legacy:  # KSQL 5 kept a key only under its own name
            is_key = source_key is not None and name == source_key
        else:
            is_key = source_key is not None and not aliases[source_key]
        if source_key is not None:
            aliases[source_key].append(name)
        columns.append(Column(name, projection.compiled.type, key=is_key))
    return QueryPlan(
        source,
        LogicalSchema(tuple(columns)),
        where,
        projections,
        legacy=legacy,
        limit=select.limit,
        key_aliases=aliases,
        window=source.window,
    )


def _aggregate_plan(
    select: Select, source: Source, compile_: Callable[[Any], Compiled], where: Evaluate | None, legacy: bool
) -> QueryPlan:
    window = select.window
    if window is not None and source.kind == "TABLE":
        raise StatementError("Windowing not supported for table aggregations.")
    group_by = [compile_(e) for e in select.group_by]
    group_names: list[str] = []
    for index, expression in enumerate(select.group_by):
        if contains_aggregate(expression):
            raise StatementError("GROUP BY expressions cannot contain aggregate functions.")
        group_names.append(expression.name if isinstance(expression, ColumnRef) else f"KSQL_COL_{index}")
    aggregates: list[Aggregate] = []
    # Each output column: ("group", index) | ("aggregate", index) | ("window", 0 for its start, 1 for its end)
    outputs: list[tuple[str, str, int, Column]] = []
    aliases: list[list[str]] = [[] for _ in group_by]  # the names each grouping expression is projected as
    for name, expression in _names(select, source, legacy):
        target = expression
        as_value = isinstance(target, FunctionCall) and target.name == "AS_VALUE"
        if as_value:
            target = target.args[0]
        if window is not None and name in WINDOW_NAMES:
            if target != ColumnRef(name):
                raise StatementError(f"Reserved column name in select: `{name}`. Please remove or alias the column.")
            continue  # the window's own bound: a key column of the windowed table already
        if window is not None and isinstance(target, ColumnRef) and target.name in WINDOW_NAMES:
            outputs.append((name, "window", WINDOW_NAMES.index(target.name), Column(name, BIGINT)))
        elif target in select.group_by:
            index = select.group_by.index(target)
            is_key = not as_value and not legacy and not aliases[index]
            if not as_value:
                aliases[index].append(name)
            outputs.append((name, "group", index, Column(name, group_by[index].type, key=is_key)))
        elif isinstance(target, FunctionCall) and contains_aggregate(target) and not as_value:
            aggregates.append(_aggregate_of(target, compile_))
            outputs.append((name, "aggregate", len(aggregates) - 1, Column(name, aggregates[-1].type)))
        else:
            raise StatementError(
                f"Non-aggregate SELECT expression(s) not part of GROUP BY: {name}. "
                "Either add the column to the GROUP BY or remove it from the SELECT."
            )
    if legacy:  # the key is ROWKEY (sink_schema), made of the group values
        key_columns: tuple[Column, ...] = ()
        value_columns = tuple(column for _, _, _, column in outputs)
    else:
        key_columns = tuple(
            next(
                (c for _, kind, i, c in outputs if kind == "group" and i == index and c.key),
                Column(group_names[index], g.type, key=True),
            )
            for index, g in enumerate(group_by)
        )
        value_columns = tuple(column for _, _, _, column in outputs if not column.key)
    key_names = [c.name for c in key_columns]
    if window is not None:  # a windowed table's rows show their window after the key, as ksqlDB's do
        key_columns += WINDOW_COLUMNS

    def build_row(group: list[Any], results: list[Any]) -> Row:
        bounds: list[Any] = []
        if window is not None:  # the group's last value is its window's start
            group, start = group[:-1], group[-1]
            bounds = [start, start + window.size]
        row: Row = {} if legacy else dict(zip(key_names, group, strict=True))
        row.update(zip(WINDOW_NAMES, bounds, strict=False))
        for name, kind, index, column in outputs:
            if not column.key:
                row[name] = {"group": group, "aggregate": results, "window": bounds}[kind][index]
        if legacy:
            row["ROWKEY"] = LEGACY_KEY_SEPARATOR.join("null" if v is None else str(v) for v in group)
        return row

    having = None
    if select.having is not None:
        having = _compile_having(select.having, compile_, aggregates)
    if source.kind == "TABLE" and not source.legacy:
        _check_table_functions(aggregates)
    return QueryPlan(
        source,
        LogicalSchema(key_columns + value_columns),
        where,
        [],
        group_by=group_by,
        aggregates=aggregates,
        build_row=build_row,
        having=having,
        legacy=legacy,
        limit=select.limit,
        key_aliases={expression_text(e): names for e, names in zip(select.group_by, aliases, strict=True)},
        window=window,
    )


def _window_bounds(expression: Any) -> Any:
    """``WINDOWSTART``/``WINDOWEND`` compared with ISO-8601 text (``'2019-10-02T21:31:16'``), as ksqlDB's
    pull queries allow: the text becomes ms since the epoch (UTC unless it names a zone)."""
    if isinstance(expression, BinaryOp):
        left, right = _window_bounds(expression.left), _window_bounds(expression.right)
        if _is_window_bound(left) or _is_window_bound(right):
            left, right = _epoch_ms(left), _epoch_ms(right)
        return BinaryOp(expression.op, left, right)
    if isinstance(expression, Not):
        return Not(_window_bounds(expression.operand))
    if isinstance(expression, Between) and _is_window_bound(expression.operand):
        return replace(expression, low=_epoch_ms(expression.low), high=_epoch_ms(expression.high))
    return expression


def _is_window_bound(expression: Any) -> bool:
    return isinstance(expression, ColumnRef) and expression.name in WINDOW_NAMES


def _epoch_ms(expression: Any) -> Any:
    if not (isinstance(expression, Literal) and isinstance(expression.value, str)):
        return expression
    try:
        moment = datetime.fromisoformat(expression.value)
    except ValueError:
        raise StatementError(f"Failed to parse timestamp '{expression.value}': not an ISO-8601 date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Literal(int(moment.timestamp() * 1000))


def _check_table_functions(aggregates: list[Aggregate]) -> None:
    """A table's rows change and go away: only functions that can take a value back out may aggregate them."""
    refused = list(dict.fromkeys(a.function for a in aggregates if a.function not in TABLE_FUNCTIONS))
    if refused:
        plural = "s" if len(refused) > 1 else ""
        raise StatementError(
            f"The aggregation function{plural} {_and_join(refused)} cannot be applied to a table source, "
            "only to a stream source."
        )


def check_sink_key(plan: QueryPlan, sink: str) -> None:
    """What ksqlDB asks of a CSAS/CTAS: every key column (or grouping expression) projected, each only once."""
    if plan.legacy:
        return
    kind = "grouping expression" if plan.is_aggregate else "key column"
    missing = [key for key, names in plan.key_aliases.items() if not names]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise StatementError(
            f"The query used to build `{sink}` must include the {kind}{plural} {_and_join(missing)} "
            f"in its projection (eg, SELECT {', '.join(missing)}...)."
        )
    for key, names in plan.key_aliases.items():
        if len(names) > 1:
            if plan.is_aggregate:
                raise StatementError(
                    f"The projection contains a key column more than once: {_and_join([f'`{n}`' for n in names])}."
                )
            raise StatementError(
                f"The projection contains a key column (`{key}`) more than once, aliased as: {_and_join(names)}."
            )


def _and_join(items: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``: how ksqlDB lists names in its messages."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def expression_text(expression: Any) -> str:
    """An expression as ksqlDB quotes it in messages (columns by name, calls and operators spelled out)."""
    if isinstance(expression, ColumnRef):
        return expression.name if expression.source is None else f"{expression.source}.{expression.name}"
    if isinstance(expression, FunctionCall):
        return f"{expression.name}({', '.join(expression_text(a) for a in expression.args)})"
    if isinstance(expression, BinaryOp):
        return f"({expression_text(expression.left)} {expression.op} {expression_text(expression.right)})"
    if isinstance(expression, Literal):
        return repr(expression.value) if isinstance(expression.value, str) else str(expression.value)
    return type(expression).__name__


def _aggregate_of(call: FunctionCall, compile_: Callable[[Any], Compiled]) -> Aggregate:
    if any(contains_aggregate(a) for a in call.args):
        raise StatementError(f"Aggregate functions cannot be nested: {call.name}.")
    if call.star or not call.args:
        if call.name != "COUNT":
            raise StatementError(f"Function '{call.name}' requires an argument.")
        return make_aggregate("COUNT", None, None)
    argument = compile_(call.args[0])
    return make_aggregate(call.name, argument.evaluate, argument.type)


def _compile_having(expression: Any, compile_: Callable[[Any], Compiled], aggregates: list[Aggregate]) -> Evaluate:
    """HAVING over aggregate results: each aggregate call in it becomes a column ``__AGG_i`` of the output row."""

    def rewrite(node: Any) -> Any:
        if isinstance(node, FunctionCall) and contains_aggregate(node):
            aggregates.append(_aggregate_of(node, compile_))
            return ColumnRef(f"__AGG_{len(aggregates) - 1}")
        if isinstance(node, BinaryOp):
            return BinaryOp(node.op, rewrite(node.left), rewrite(node.right))
        if isinstance(node, Not):
            return Not(rewrite(node.operand))
        return node

    rewritten = rewrite(expression)
    aggregate_schema = LogicalSchema(tuple(Column(f"__AGG_{i}", a.type) for i, a in enumerate(aggregates)))
    compiled = compile_expression(rewritten, aggregate_schema)
    return compiled.evaluate
