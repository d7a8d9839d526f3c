"""Statement checks: whether a CREATE, DROP or TERMINATE may run against the metastore, and what it declares.

Nothing here talks to Kafka: the engine passes in what it learnt from the cluster (a topic's
partitions), so the test driver (``driver.py``) runs the same checks, with ksqlDB's messages, as the
server does. Only a source declared without columns asks the Schema Registry for them.
"""

from __future__ import annotations

from typing import Any

from clients.registry import subject_of
from stack.ksql.formats import FORMATS, Registry, serde
from stack.ksql.metastore import Metastore, Source
from stack.ksql.parser import UNIT_MS
from stack.ksql.plan import QueryPlan, check_sink_key, ksql5_columns, plan_query
from stack.ksql.schema import Column, LogicalSchema, columns_from_avro
from stack.ksql.statements import CreateAsSelect, CreateSource, Drop, StatementError, Terminate, WindowExpression

SOURCE_PROPERTIES = {
    "KAFKA_TOPIC",
    "VALUE_FORMAT",
    "KEY_FORMAT",
    "FORMAT",
    "PARTITIONS",
    "REPLICAS",
    "TIMESTAMP",
    "TIMESTAMP_FORMAT",
    "WRAP_SINGLE_VALUE",
    "KEY",
    "VALUE_DELIMITER",
    "WINDOW_TYPE",
    "WINDOW_SIZE",
}
WINDOW_PROPERTIES = {"WINDOW_TYPE", "WINDOW_SIZE"}


def is_ksql5(statement: CreateSource) -> bool:
    """Whether a CREATE STREAM/TABLE is in KSQL 5's dialect: only KSQL 5 had ``WITH (KEY='col')`` and tables
    without a PRIMARY KEY. Anything else reads as ksqlDB's, as ksqlDB reads it: a stream without KEY= or key
    columns has no key, and the queries over it write ksqlDB's layout."""
    return "KEY" in statement.properties or (statement.kind == "TABLE" and not any(c.key for c in statement.columns))


def check_name_free(metastore: Metastore, kind: str, name: str, or_replace: bool) -> None:
    existing = metastore.source(name)
    if existing is None:
        return
    if or_replace and existing.kind == kind:
        return
    noun = kind.lower()
    if existing.kind != kind:
        raise StatementError(f"Cannot add {noun} '{name}': A {existing.kind.lower()} with the same name already exists")
    raise StatementError(f"Cannot add {noun} '{name}': A {noun} with the same name already exists")


def check_kind(source: Source, kind: str) -> None:
    """DROP STREAM of a table (or the reverse) is refused, as ksqlDB refuses it."""
    if source.kind != kind:
        raise StatementError(
            f"Incompatible data source type is {source.kind}, but statement was DROP {kind}. "
            f"Use DROP {source.kind} {source.name} for this {source.kind.lower()}."
        )


def check_droppable(metastore: Metastore, source: Source) -> None:
    readers = [q.id for q in metastore.readers_of(source.name)]
    if readers:
        writers = [q.id for q in metastore.writers_of(source.name)]
        raise StatementError(
            f"Cannot drop {source.name}.\n"
            f"The following queries read from this source: [{', '.join(readers)}].\n"
            f"The following queries write into this source: [{', '.join(writers)}].\n"
            f"You need to terminate them before dropping {source.name}."
        )


def dropped_source(metastore: Metastore, statement: Drop) -> Source | None:
    """The source a DROP removes, once ksqlDB's checks pass; None for ``IF EXISTS`` of a missing one."""
    source = metastore.source(statement.name)
    if source is None:
        if statement.if_exists:
            return None
        raise StatementError(f"{statement.kind.capitalize()} {statement.name} does not exist.", statement.text)
    check_kind(source, statement.kind)
    check_droppable(metastore, source)
    return source


def terminated_queries(metastore: Metastore, statement: Terminate) -> list[str]:
    """The ids of the queries a TERMINATE stops (every one for ``TERMINATE ALL``); ids match in any case."""
    if statement.query_id is None:
        return list(metastore.queries)
    query_id = next((q for q in metastore.queries if q.upper() == statement.query_id.upper()), None)
    if query_id is None:
        raise StatementError(f"Unknown queryId: {statement.query_id}", statement.text)
    return [query_id]


def source_topic(statement: CreateSource) -> str:
    """The topic a CREATE STREAM/TABLE reads, once its WITH clause and key are known to be valid."""
    props = statement.properties
    unknown = sorted(set(props) - SOURCE_PROPERTIES)
    if unknown:
        raise StatementError(f"Invalid config variable(s) in the WITH clause: {','.join(unknown)}")
    topic = props.get("KAFKA_TOPIC")
    if topic is None:
        raise StatementError('Missing required property "KAFKA_TOPIC" which has no default value.')
    formats(props, default_value=None)
    if statement.kind == "TABLE" and not is_ksql5(statement) and not any(c.key for c in statement.columns):
        raise StatementError("Tables require a PRIMARY KEY. Please define the PRIMARY KEY.")
    return str(topic)


def declared_source(statement: CreateSource, partitions: int, replicas: int, registry: Registry) -> Source:
    """The Source a CREATE STREAM/TABLE declares over a topic with these partitions (``source_topic`` first)."""
    props = statement.properties
    topic = str(props["KAFKA_TOPIC"])
    _, value_format = formats(props, default_value=None)
    legacy = is_ksql5(statement)
    columns = tuple(Column(c.name, c.type, c.key) for c in statement.columns)
    if not any(not c.key for c in columns):
        columns = tuple(c for c in columns if c.key) + _registered_columns(registry, topic, value_format)
    if legacy:
        columns = ksql5_columns(columns)
    names = [c.name for c in columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise StatementError(f"Duplicate column names: {', '.join(duplicates)}")
    if "KEY" in props and str(props["KEY"]).upper() not in names and str(props["KEY"]) not in names:
        raise StatementError(f"The KEY field ({props['KEY']}) identified in the WITH clause is not in the schema.")
    timestamp = props.get("TIMESTAMP")
    if timestamp is not None:
        timestamp = str(timestamp).upper()
        column = next((c for c in columns if c.name == timestamp), None)
        if column is None:
            raise StatementError(
                f"The TIMESTAMP column set in the WITH clause does not exist in the schema: '{timestamp}'"
            )
        if column.type.base == "STRING" and "TIMESTAMP_FORMAT" in props:
            raise StatementError("TIMESTAMP_FORMAT is not supported by this server")
        if column.type.base not in ("BIGINT", "TIMESTAMP"):
            raise StatementError(
                f"Timestamp column, `{timestamp}`, should be LONG(INT64), TIMESTAMP, "
                "or a String with a timestamp_format specified."
            )
    source = _source(statement, columns, legacy, partitions, replicas)
    check_serdes(source, registry)
    return source


def _registered_columns(registry: Registry, topic: str, value_format: str) -> tuple[Column, ...]:
    """A source declared without value columns: the topic's latest value schema (AVRO only), as ksqlDB infers it."""
    if value_format != "AVRO":
        raise StatementError(
            f"The statement does not define any columns. If the value format supports schema inference, "
            f"the schema will be inferred from the Schema Registry; {value_format} does not."
        )
    schema_text = registry.latest_schema(subject_of(topic, False))
    if schema_text is None:
        raise StatementError(
            f"Schema for message values on topic '{topic}' does not exist in the Schema Registry."
            f"Subject: {subject_of(topic, False)}"
        )
    return columns_from_avro(schema_text)


def stored_source(statement: CreateSource, legacy: bool, partitions: int, replicas: int) -> Source:
    """The Source of a CREATE command read from the command topic: its columns were resolved when it was written."""
    columns = tuple(Column(c.name, c.type, c.key) for c in statement.columns)
    if legacy:  # commands written before KSQL 5 sources had ROWKEY lack it
        columns = ksql5_columns(columns)
    return _source(statement, columns, legacy, partitions, replicas)


def _source(
    statement: CreateSource, columns: tuple[Column, ...], legacy: bool, partitions: int, replicas: int
) -> Source:
    """The Source of a CREATE statement whose columns are settled: the rest comes from its WITH clause."""
    props = statement.properties
    key_format, value_format = formats(props, default_value=None)
    return Source(
        name=statement.name,
        kind=statement.kind,
        topic=str(props["KAFKA_TOPIC"]),
        schema=LogicalSchema(columns),
        key_format=key_format,
        value_format=value_format,
        statement=statement.text,
        partitions=partitions,
        replicas=replicas,
        legacy=legacy,
        wrap_single_value=bool(props.get("WRAP_SINGLE_VALUE", True)),
        timestamp=str(props["TIMESTAMP"]).upper() if "TIMESTAMP" in props else None,
        window=declared_window(props),
    )


def declared_window(props: dict[str, Any]) -> WindowExpression | None:
    """The window of a source over a windowed topic (``WINDOW_TYPE``, ``WINDOW_SIZE``): its keys hold the
    window's start, as a windowed table's topic does."""
    kind = props.get("WINDOW_TYPE")
    if kind is None:
        return None
    kind = str(kind).upper()
    if kind == "SESSION":
        raise StatementError("WINDOW_TYPE 'SESSION' is not supported by this server")
    if kind not in ("TUMBLING", "HOPPING"):
        raise StatementError(
            f"Invalid value {props['WINDOW_TYPE']} for property WINDOW_TYPE: "
            "String must be one of: SESSION, HOPPING, TUMBLING, null"
        )
    if "WINDOW_SIZE" not in props:
        raise StatementError("Tumbling and Hopping window types should set WINDOW_SIZE in the WITH clause.")
    size = _duration(str(props["WINDOW_SIZE"]))
    return WindowExpression(kind, size, size)


def _duration(text: str) -> int:
    """``'30 seconds'``, ``'1 HOUR'``: a WINDOW_SIZE in ms, as ksqlDB's duration parser reads it."""
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit():
        raise StatementError(
            f"Configuration WINDOW_SIZE is invalid: Invalid duration: '{text}'. "
            "Duration should be in the format '<number> <unit>'"
        )
    unit = parts[1].upper()
    if unit.rstrip("S") not in UNIT_MS:
        raise StatementError(
            f"Configuration WINDOW_SIZE is invalid: Invalid duration: '{text}'. Unknown time unit: '{unit}'"
        )
    return int(parts[0]) * UNIT_MS[unit.rstrip("S")]


def formats(props: dict[str, Any], default_value: str | None, default_key: str = "KAFKA") -> tuple[str, str]:
    """(key format, value format) of a WITH clause."""
    both = props.get("FORMAT")
    if both is not None and ("KEY_FORMAT" in props or "VALUE_FORMAT" in props):
        raise StatementError("Cannot supply both 'FORMAT' and 'KEY_FORMAT' or 'VALUE_FORMAT' properties.")
    key = str(props.get("KEY_FORMAT", both or default_key)).upper()
    value = props.get("VALUE_FORMAT", both or default_value)
    if value is None:
        raise StatementError(
            "Statement is missing the 'VALUE_FORMAT' property from the WITH clause. "
            "Either provide one or set a default via the 'ksql.persistence.default.format.value' config."
        )
    value = str(value).upper()
    for name in (key, value):
        if name not in FORMATS:
            raise StatementError(f"Unknown format: {name}")
    return key, value


def check_serdes(source: Source, registry: Registry) -> None:
    """Whether the source's formats can hold its columns (NONE holds none, KAFKA one, ...)."""
    serde(source.key_format, source.schema.key, registry, source.topic, is_key=True)
    serde(source.value_format, source.schema.value, registry, source.topic, is_key=False)


def planned_sink(metastore: Metastore, statement: CreateAsSelect, registry: Registry) -> tuple[QueryPlan, Source]:
    """Plans a CSAS/CTAS and describes its sink (topic name, formats, partitions)."""
    select = statement.query
    source = metastore.source(select.source)
    if source is None:
        raise StatementError(f"{select.source} does not exist.")
    if select.limit is not None:
        raise StatementError("CREATE STREAM/TABLE AS SELECT statements don't support LIMIT clause.")
    props = statement.properties
    unknown = sorted(set(props) - (SOURCE_PROPERTIES - WINDOW_PROPERTIES))
    if unknown:
        raise StatementError(f"Invalid config variable(s) in the WITH clause: {','.join(unknown)}")
    plan = plan_query(select, source)
    if source.window is not None and plan.is_aggregate:
        raise StatementError(
            f"{source.name} is windowed: aggregating it in a persistent query is not supported by this server."
        )
    if plan.is_aggregate and statement.kind == "STREAM":
        raise StatementError(
            "Invalid result type. Your SELECT query produces a TABLE. "
            "Please use CREATE TABLE AS SELECT statement instead."
        )
    if not plan.is_aggregate and statement.kind == "TABLE" and source.kind == "STREAM":
        raise StatementError(
            "Invalid result type. Your SELECT query produces a STREAM. "
            "Please use CREATE STREAM AS SELECT statement instead."
        )
    check_sink_key(plan, statement.name)
    # KSQL 5 always wrote a STRING key; a key NONE cannot hold gets ksqlDB's default key format, KAFKA.
    inherits_key = not plan.legacy and (source.key_format != "NONE" or not plan.output.key)
    default_key = source.key_format if inherits_key else "KAFKA"
    key_format, value_format = formats(props, default_value=source.value_format, default_key=default_key)
    sink = Source(
        name=statement.name,
        kind=statement.kind,
        topic=str(props.get("KAFKA_TOPIC", statement.name)),
        schema=plan.sink_schema,
        key_format=key_format,
        value_format=value_format,
        statement=statement.text,
        partitions=positive(props.get("PARTITIONS", source.partitions), "PARTITIONS"),
        replicas=positive(props.get("REPLICAS", source.replicas), "REPLICAS", allow_default=True),
        legacy=plan.legacy,
        wrap_single_value=bool(props.get("WRAP_SINGLE_VALUE", True)),
        window=plan.window,
    )
    check_serdes(sink, registry)
    return plan, sink


def positive(value: Any, name: str, allow_default: bool = False) -> int:
    """A PARTITIONS or REPLICAS value (REPLICAS may be -1: the broker's default)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise StatementError(f"Invalid value for {name}: {value}")
    try:
        number = int(value)
    except ValueError:
        raise StatementError(f"Invalid value for {name}: {value}") from None
    if number > 0 or (allow_default and number == -1):
        return number
    raise StatementError(f"Invalid value for {name} property: {value}")
