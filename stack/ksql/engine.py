"""Runs statements: checks them, writes the ones that change the metastore to the command topic, applies them.

A statement's life on the server that receives it:
  1. :meth:`Engine.execute` checks it against the metastore (sources, columns, formats, topics),
     creates the topics it needs and resolves what ksqlDB resolves up front (a source's columns
     from the registry, a sink's partitions from its source);
  2. CREATE / DROP / TERMINATE go to the command topic (``commands.py``) as a statement text every
     server can replay; the answer waits until this server has applied it;
  3. :meth:`Engine.apply` (on the command runner's thread, on every server) changes the metastore
     and starts or stops persistent queries.
SHOW, DESCRIBE and SET only read or change the request's own state and never reach the topic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from clients.kafka import create_topic, error_text, wait_until_usable
from clients.registry import subject_of
from stack.ksql import entities
from stack.ksql.commands import CommandStore
from stack.ksql.formats import FORMATS, serde
from stack.ksql.metastore import Metastore, PersistentQuery, Source
from stack.ksql.parser import parse
from stack.ksql.persistent import PersistentQuery as QueryThread
from stack.ksql.persistent import Runtime, internal_topics, table_changelog
from stack.ksql.plan import QueryPlan, check_sink_key, ksql5_columns, plan_query
from stack.ksql.schema import Column, LogicalSchema, columns_from_avro, type_text
from stack.ksql.statements import (
    CreateAsSelect,
    CreateSource,
    Describe,
    Drop,
    Query,
    SetProperty,
    Show,
    Statement,
    StatementError,
    Terminate,
    UnsetProperty,
)

log = logging.getLogger("ksql.engine")

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
}
HIDDEN_TOPIC_PREFIXES = (
    "_confluent",
    "__confluent",
    "_schemas",
    "__consumer_offsets",
    "__transaction_state",
    "connect-",
)
OFFSET_RESET_PROPERTIES = ("auto.offset.reset", "ksql.streams.auto.offset.reset")
COMMAND_TIMEOUT = 60.0


@dataclass
class Session:
    """One request's properties: ``streamsProperties`` plus what its SET statements changed."""

    properties: dict[str, Any] = field(default_factory=dict)

    def offset_reset(self) -> str:
        for name in OFFSET_RESET_PROPERTIES:
            value = self.properties.get(name)
            if value is not None:
                if str(value).lower() not in ("earliest", "latest"):
                    raise StatementError(f"Invalid value {value} for configuration auto.offset.reset")
                return str(value).lower()
        return "latest"


class Engine:
    """The metastore, the persistent queries of this server, and the statements that change them."""

    def __init__(self, runtime: Runtime, admin: AdminClient, server_properties: dict[str, str]) -> None:
        self.runtime = runtime
        self.admin = admin
        self.metastore = Metastore()
        self.server_properties = server_properties
        self.running: dict[str, QueryThread] = {}
        self.commands: CommandStore | None = None
        self._replaying = True

    # --- start and stop ------------------------------------------------------------------------

    def start(self, commands: CommandStore) -> int:
        """Replays the command topic, then starts the persistent queries it left running."""
        self.commands = commands
        replayed = commands.start()
        self._replaying = False
        for query in self.running.values():
            query.start()
        return replayed

    def stop(self) -> None:
        for query in self.running.values():
            query.stop()
        for query in self.running.values():
            if query.is_alive():
                query.join(15)
        if self.commands is not None:
            self.commands.stop()

    # --- statements ----------------------------------------------------------------------------

    def execute(self, statement: Statement, session: Session) -> dict[str, Any] | None:
        """Runs one statement sent to /ksql; returns its entity (None for SET/UNSET)."""
        if isinstance(statement, SetProperty):
            session.properties[statement.name] = statement.value
            return None
        if isinstance(statement, UnsetProperty):
            session.properties.pop(statement.name, None)
            return None
        if isinstance(statement, Show):
            return self._show(statement, session)
        if isinstance(statement, Describe):
            return self._describe(statement)
        if isinstance(statement, Query):
            raise StatementError(
                "The following statement types should be issued to the websocket endpoint '/query':\n"
                "\t* PRINT\n\t* SELECT",
                statement.text,
            )
        command = self._prepare(statement, session)
        if "entity" in command:
            return command["entity"]
        return self._submit(command)

    def _submit(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.commands is not None
        offset, result = self.commands.execute(command, COMMAND_TIMEOUT)
        if isinstance(result, StatementError):
            raise StatementError(str(result), command["original"])
        if isinstance(result, Exception):
            raise StatementError(f"Could not execute the statement: {result}", command["original"])
        result["commandSequenceNumber"] = offset
        result["statementText"] = command["original"]
        if command.get("delete_topic"):
            self._delete_topic(command["delete_topic"])
        return result

    # --- checking a statement before it is written ---------------------------------------------

    def _prepare(self, statement: Statement, session: Session) -> dict[str, Any]:
        """The command for a CREATE / DROP / TERMINATE; {"entity": ...} when nothing needs writing."""
        command: dict[str, Any] = {"statement": statement.text, "original": statement.text}
        if isinstance(statement, CreateSource | CreateAsSelect):
            if statement.if_not_exists and self.metastore.source(statement.name) is not None:
                kind = statement.kind.lower()
                message = f"Cannot add {kind} {statement.name}: A {kind} with the same name already exists."
                return {"entity": entities.warning_status(statement.text, f"{kind}/{statement.name}/create", message)}
            self._check_name_free(statement.kind, statement.name, statement.or_replace)
        if isinstance(statement, CreateSource):
            source = self._declared_source(statement)
            command["statement"] = create_statement_text(source, statement.or_replace)
            command["legacy"] = source.legacy
        elif isinstance(statement, CreateAsSelect):
            _, sink = self._sink_of(statement)
            self._create_sink_topic(sink)
            command["offset_reset"] = session.offset_reset()
        elif isinstance(statement, Drop):
            source = self.metastore.source(statement.name)
            if source is None:
                if statement.if_exists:
                    return {
                        "entity": entities.current_status(
                            statement.text,
                            f"{statement.kind.lower()}/{statement.name}/drop",
                            f"Source `{statement.name}` does not exist.",
                            -1,
                        )
                    }
                raise StatementError(f"{statement.kind.capitalize()} {statement.name} does not exist.", statement.text)
            self._check_kind(source, statement.kind)
            self._check_droppable(source)
            if statement.delete_topic:
                command["delete_topic"] = {
                    "topic": source.topic,
                    "format": source.value_format,
                    "key_format": source.key_format,
                }
        elif isinstance(statement, Terminate):
            if statement.query_id is not None and statement.query_id.upper() not in {
                q.upper() for q in self.metastore.queries
            }:
                raise StatementError(f"Unknown queryId: {statement.query_id}", statement.text)
        else:
            raise StatementError(f"{type(statement).__name__} is not supported by this server.", statement.text)
        return command

    def _check_name_free(self, kind: str, name: str, or_replace: bool) -> None:
        existing = self.metastore.source(name)
        if existing is None:
            return
        if or_replace and existing.kind == kind:
            return
        noun = kind.lower()
        if existing.kind != kind:
            raise StatementError(
                f"Cannot add {noun} '{name}': A {existing.kind.lower()} with the same name already exists"
            )
        raise StatementError(f"Cannot add {noun} '{name}': A {noun} with the same name already exists")

    @staticmethod
    def _check_kind(source: Source, kind: str) -> None:
        """DROP STREAM of a table (or the reverse) is refused, as ksqlDB refuses it."""
        if source.kind != kind:
            raise StatementError(
                f"Incompatible data source type is {source.kind}, but statement was DROP {kind}. "
                f"Use DROP {source.kind} {source.name} for this {source.kind.lower()}."
            )

    def _check_droppable(self, source: Source) -> None:
        readers = [q.id for q in self.metastore.readers_of(source.name)]
        if readers:
            writers = [q.id for q in self.metastore.writers_of(source.name)]
            raise StatementError(
                f"Cannot drop {source.name}.\n"
                f"The following queries read from this source: [{', '.join(readers)}].\n"
                f"The following queries write into this source: [{', '.join(writers)}].\n"
                f"You need to terminate them before dropping {source.name}."
            )

    def _declared_source(self, statement: CreateSource) -> Source:
        """The Source a CREATE STREAM/TABLE declares, checked against Kafka and the registry."""
        props = statement.properties
        unknown = sorted(set(props) - SOURCE_PROPERTIES)
        if unknown:
            raise StatementError(f"Invalid config variable(s) in the WITH clause: {','.join(unknown)}")
        topic = props.get("KAFKA_TOPIC")
        if topic is None:
            raise StatementError('Missing required property "KAFKA_TOPIC" which has no default value.')
        topic = str(topic)
        key_format, value_format = self._formats(props, default_value=None)
        legacy = is_ksql5(statement)
        if statement.kind == "TABLE" and not legacy and not any(c.key for c in statement.columns):
            raise StatementError("Tables require a PRIMARY KEY. Please define the PRIMARY KEY.")
        columns = tuple(Column(c.name, c.type, c.key) for c in statement.columns)
        partitions, replicas = self._topic_for_source(statement, topic, props)
        if not any(not c.key for c in columns):
            if value_format != "AVRO":
                raise StatementError(
                    f"The statement does not define any columns. If the value format supports schema inference, "
                    f"the schema will be inferred from the Schema Registry; {value_format} does not."
                )
            schema_text = self.runtime.registry.latest_schema(subject_of(topic, False))
            if schema_text is None:
                raise StatementError(
                    f"Schema for message values on topic '{topic}' does not exist in the Schema Registry."
                    f"Subject: {subject_of(topic, False)}"
                )
            columns = tuple(c for c in columns if c.key) + columns_from_avro(schema_text)
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
        source = Source(
            name=statement.name,
            kind=statement.kind,
            topic=topic,
            schema=LogicalSchema(columns),
            key_format=key_format,
            value_format=value_format,
            statement=statement.text,
            partitions=partitions,
            replicas=replicas,
            legacy=legacy,
            wrap_single_value=bool(props.get("WRAP_SINGLE_VALUE", True)),
            timestamp=timestamp,
        )
        self._check_serdes(source)
        return source

    def _formats(self, props: dict[str, Any], default_value: str | None, default_key: str = "KAFKA") -> tuple[str, str]:
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

    def _check_serdes(self, source: Source) -> None:
        serde(source.key_format, source.schema.key, self.runtime.registry, source.topic, is_key=True)
        serde(source.value_format, source.schema.value, self.runtime.registry, source.topic, is_key=False)

    def _topic_for_source(self, statement: CreateSource, topic: str, props: dict[str, Any]) -> tuple[int, int]:
        """(partitions, replicas) of the source's topic, creating it when PARTITIONS is given."""
        described = self._describe_topic(topic)
        if described is not None:
            if "PARTITIONS" in props and int(props["PARTITIONS"]) != described[0]:
                raise StatementError(
                    f"A Kafka topic with the name '{topic}' already exists, with different partition/replica "
                    f"configuration than required. KSQL expects {props['PARTITIONS']} partitions "
                    f"(topic has {described[0]})."
                )
            return described
        if "PARTITIONS" not in props:
            kind = statement.kind.lower()
            raise StatementError(
                f"Topic '{topic}' does not exist. If you want to create a new topic for the {kind} please re-run the "
                "statement providing the required 'PARTITIONS' configuration in the WITH clause (and optionally "
                f"'REPLICAS'). For example: CREATE {statement.kind} {statement.name} (ID INT) "
                f"WITH (KAFKA_TOPIC='{topic}', PARTITIONS=2, REPLICAS=1, FORMAT='JSON');"
            )
        partitions = _positive(props["PARTITIONS"], "PARTITIONS")
        replicas = _positive(props.get("REPLICAS", -1), "REPLICAS", allow_default=True)
        config = {"cleanup.policy": "compact" if statement.kind == "TABLE" else "delete"}
        self._create_topic(topic, partitions, config, replicas)
        return self._describe_topic(topic) or (partitions, replicas)

    def _describe_topic(self, topic: str) -> tuple[int, int] | None:
        try:
            found = self.admin.list_topics(topic, timeout=10).topics.get(topic)
        except KafkaException as error:
            raise StatementError(f"Could not reach Kafka: {error_text(error)}") from error
        if found is None or found.error is not None or not found.partitions:
            return None
        replicas = len(next(iter(found.partitions.values())).replicas)
        return len(found.partitions), replicas

    def _create_topic(self, topic: str, partitions: int, config: dict[str, str], replicas: int = -1) -> None:
        try:
            create_topic(self.admin, topic, partitions, config, replication_factor=replicas)
        except KafkaException as error:
            raise StatementError(f"Could not create the topic {topic}: {error_text(error)}") from error

    def _sink_of(self, statement: CreateAsSelect) -> tuple[QueryPlan, Source]:
        """Plans a CSAS/CTAS and describes its sink (topic name, formats, partitions)."""
        select = statement.query
        source = self.metastore.source(select.source)
        if source is None:
            raise StatementError(f"{select.source} does not exist.")
        if select.limit is not None:
            raise StatementError("CREATE STREAM/TABLE AS SELECT statements don't support LIMIT clause.")
        props = statement.properties
        unknown = sorted(set(props) - SOURCE_PROPERTIES - {"KEY"})
        if unknown:
            raise StatementError(f"Invalid config variable(s) in the WITH clause: {','.join(unknown)}")
        plan = plan_query(select, source)
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
        key_format, value_format = self._formats(props, default_value=source.value_format, default_key=default_key)
        topic = str(props.get("KAFKA_TOPIC", statement.name))
        partitions = _positive(props.get("PARTITIONS", source.partitions), "PARTITIONS")
        replicas = _positive(props.get("REPLICAS", source.replicas), "REPLICAS", allow_default=True)
        sink = Source(
            name=statement.name,
            kind=statement.kind,
            topic=topic,
            schema=plan.sink_schema,
            key_format=key_format,
            value_format=value_format,
            statement=statement.text,
            partitions=partitions,
            replicas=replicas,
            legacy=plan.legacy,
            wrap_single_value=bool(props.get("WRAP_SINGLE_VALUE", True)),
        )
        self._check_serdes(sink)
        return plan, sink

    def _create_sink_topic(self, sink: Source) -> None:
        existing = self._describe_topic(sink.topic)
        if existing is not None:
            if existing[0] != sink.partitions:
                raise StatementError(
                    f"A Kafka topic with the name '{sink.topic}' already exists, with different partition/replica "
                    f"configuration than required. KSQL expects {sink.partitions} partitions (topic has {existing[0]})."
                )
            return
        policy = "compact" if sink.kind == "TABLE" else "delete"
        self._create_topic(sink.topic, sink.partitions, {"cleanup.policy": policy}, sink.replicas)

    def _delete_topic(self, target: dict[str, str]) -> None:
        topic = target["topic"]
        try:
            self.admin.delete_topics([topic], operation_timeout=30)[topic].result(30)
        except KafkaException as error:
            log.warning("Could not delete topic %s: %s", topic, error_text(error))
        for is_key, name in ((False, "format"), (True, "key_format")):
            if target.get(name) == "AVRO":
                try:
                    self.runtime.registry.delete_subject(subject_of(topic, is_key))
                except Exception as error:
                    log.warning("Could not delete subject %s: %s", subject_of(topic, is_key), error)

    # --- applying a command (every server, in command-topic order) -----------------------------

    def apply(self, command: dict[str, Any], offset: int) -> dict[str, Any]:
        (statement,) = parse(command["statement"])
        with self.metastore.lock:
            if isinstance(statement, CreateSource):
                return self._apply_create_source(statement, command, offset)
            if isinstance(statement, CreateAsSelect):
                return self._apply_create_as_select(statement, command, offset)
            if isinstance(statement, Drop):
                return self._apply_drop(statement, offset)
            if isinstance(statement, Terminate):
                return self._apply_terminate(statement, offset)
        raise StatementError(f"{type(statement).__name__} cannot be applied.")

    def _apply_create_source(self, statement: CreateSource, command: dict[str, Any], offset: int) -> dict[str, Any]:
        self._check_name_free(statement.kind, statement.name, statement.or_replace)
        props = statement.properties
        described = self._describe_topic(str(props["KAFKA_TOPIC"])) or (int(props.get("PARTITIONS", 1)), 1)
        key_format, value_format = self._formats(props, default_value=None)
        legacy = bool(command.get("legacy"))
        columns = tuple(Column(c.name, c.type, c.key) for c in statement.columns)
        if legacy:  # commands written before KSQL 5 sources had ROWKEY lack it
            columns = ksql5_columns(columns)
        source = Source(
            name=statement.name,
            kind=statement.kind,
            topic=str(props["KAFKA_TOPIC"]),
            schema=LogicalSchema(columns),
            key_format=key_format,
            value_format=value_format,
            statement=statement.text,
            partitions=described[0],
            replicas=described[1],
            legacy=legacy,
            wrap_single_value=bool(props.get("WRAP_SINGLE_VALUE", True)),
            timestamp=str(props["TIMESTAMP"]).upper() if "TIMESTAMP" in props else None,
        )
        self.metastore.sources[source.name] = source
        noun = "Stream" if statement.kind == "STREAM" else "Table"
        return entities.current_status(
            statement.text, f"{statement.kind.lower()}/{statement.name}/create", f"{noun} created", offset
        )

    def _apply_create_as_select(
        self, statement: CreateAsSelect, command: dict[str, Any], offset: int
    ) -> dict[str, Any]:
        self._check_name_free(statement.kind, statement.name, statement.or_replace)
        plan, sink = self._sink_of(statement)
        prefix = "CTAS" if statement.kind == "TABLE" else "CSAS"
        query_id = f"{prefix}_{statement.name}_{offset}"
        replaced = self.metastore.writers_of(statement.name)
        for old in replaced:
            self._stop_query(old.id)
        sink.writer = query_id
        self.metastore.sources[sink.name] = sink
        self.metastore.queries[query_id] = PersistentQuery(
            query_id, statement.text, sink.name, sink.topic, (plan.source.name,)
        )
        if plan.is_aggregate:
            self._create_internal_topics(query_id, plan)
        thread = QueryThread(query_id, plan, sink, self.runtime, command.get("offset_reset", "latest"))
        self.running[query_id] = thread
        if not self._replaying:
            thread.start()
        return entities.current_status(
            statement.text,
            f"{statement.kind.lower()}/{statement.name}/create",
            f"Created query with ID {query_id}",
            offset,
            query_id,
        )

    def _create_internal_topics(self, query_id: str, plan: QueryPlan) -> None:
        repartition, changelog = internal_topics(self.runtime, query_id)
        partitions = plan.source.partitions
        self._create_topic(repartition, partitions, {"cleanup.policy": "delete"})
        self._create_topic(changelog, partitions, {"cleanup.policy": "compact", "segment.ms": "60000"})
        wait_until_usable(self.admin, changelog)
        if plan.undoes:
            rows = table_changelog(self.runtime, query_id)
            self._create_topic(rows, partitions, {"cleanup.policy": "compact", "segment.ms": "60000"})
            wait_until_usable(self.admin, rows)

    def _apply_drop(self, statement: Drop, offset: int) -> dict[str, Any]:
        source = self.metastore.source(statement.name)
        if source is None:
            raise StatementError(f"{statement.kind.capitalize()} {statement.name} does not exist.")
        self._check_kind(source, statement.kind)
        self._check_droppable(source)
        for writer in self.metastore.writers_of(source.name):
            self._stop_query(writer.id)
        del self.metastore.sources[source.name]
        return entities.current_status(
            statement.text,
            f"{statement.kind.lower()}/{statement.name}/drop",
            f"Source `{source.name}` (topic: {source.topic}) was dropped.",
            offset,
        )

    def _apply_terminate(self, statement: Terminate, offset: int) -> dict[str, Any]:
        if statement.query_id is None:
            for query_id in list(self.metastore.queries):
                self._stop_query(query_id)
            return entities.current_status(statement.text, "terminate/ALL/execute", "Query terminated.", offset)
        query_id = next((q for q in self.metastore.queries if q.upper() == statement.query_id.upper()), None)
        if query_id is None:
            raise StatementError(f"Unknown queryId: {statement.query_id}")
        self._stop_query(query_id)
        return entities.current_status(statement.text, f"terminate/{query_id}/execute", "Query terminated.", offset)

    def _stop_query(self, query_id: str) -> None:
        self.metastore.queries.pop(query_id, None)
        thread = self.running.pop(query_id, None)
        if thread is not None:
            thread.stop()
            if thread.is_alive():
                thread.join(15)

    # --- read-only statements -------------------------------------------------------------------

    def _show(self, statement: Show, session: Session) -> dict[str, Any]:
        with self.metastore.lock:
            sources = sorted(self.metastore.sources.values(), key=lambda s: s.name)
            queries = list(self.metastore.queries.values())
        if statement.what in ("STREAMS", "TABLES"):
            kind = statement.what[:-1]
            chosen = [s for s in sources if s.kind == kind]
            if statement.extended:
                return {
                    "@type": "source_descriptions",
                    "statementText": statement.text,
                    "sourceDescriptions": [
                        self._describe_source(statement.text, s, True)["sourceDescription"] for s in chosen
                    ],
                    "warnings": [],
                }
            return entities.sources_list(statement.text, kind, chosen)
        if statement.what == "QUERIES":
            if statement.extended:
                return entities.query_descriptions(statement.text, [self._query_description(q) for q in queries])
            return entities.queries_list(statement.text, queries, self._states(queries))
        if statement.what == "TOPICS":
            return entities.topics_list(statement.text, self._topics(statement.all))
        properties = dict(self.server_properties)
        properties.update({k: str(v) for k, v in session.properties.items()})
        return entities.properties_list(statement.text, properties, sorted(session.properties))

    def _state(self, query_id: str) -> str:
        """RUNNING, or ERROR while the query's thread waits to restart it after a failure."""
        thread = self.running.get(query_id)
        return thread.status if thread is not None else "RUNNING"

    def _states(self, queries: list[PersistentQuery]) -> dict[str, str]:
        return {q.id: self._state(q.id) for q in queries}

    def _query_description(self, query: PersistentQuery) -> dict[str, Any]:
        thread = self.running.get(query.id)
        errors = [e.entity() for e in list(thread.errors)] if thread is not None else []  # a copy: the thread appends
        return entities.query_description(
            query,
            self.metastore.source(query.sink),
            self._state(query.id),
            self.runtime.instance_id,
            self.runtime.application_id(query.id),
            errors,
        )

    def _topics(self, include_hidden: bool) -> list[tuple[str, list[int]]]:
        try:
            metadata = self.admin.list_topics(timeout=10)
        except KafkaException as error:
            raise StatementError(f"Could not reach Kafka: {error_text(error)}") from error
        topics = []
        for name, topic in sorted(metadata.topics.items()):
            if not include_hidden and name.startswith(HIDDEN_TOPIC_PREFIXES):
                continue
            replicas = [len(p.replicas) for _, p in sorted(topic.partitions.items())]
            topics.append((name, replicas))
        return topics

    def _describe(self, statement: Describe) -> dict[str, Any]:
        source = self.metastore.source(statement.name)
        if source is None:
            raise StatementError(f"Could not find STREAM/TABLE '{statement.name}' in the Metastore", statement.text)
        return self._describe_source(statement.text, source, statement.extended)

    def _describe_source(self, text: str, source: Source, extended: bool) -> dict[str, Any]:
        statistics = ""
        error_stats = ""
        if extended and source.writer in self.running:
            stats = self.running[source.writer].stats
            statistics = f"total-messages: {stats.processed}"
            error_stats = f"failed-messages: {stats.skipped}"
        readers, writers = self.metastore.readers_of(source.name), self.metastore.writers_of(source.name)
        return entities.source_description(
            text,
            source,
            readers,
            writers,
            self._states(readers + writers),
            extended,
            statistics,
            error_stats,
        )


def is_ksql5(statement: CreateSource) -> bool:
    """Whether a CREATE STREAM/TABLE is in KSQL 5's dialect: only KSQL 5 had ``WITH (KEY='col')`` and tables
    without a PRIMARY KEY. Anything else reads as ksqlDB's, as ksqlDB reads it: a stream without KEY= or key
    columns has no key, and the queries over it write ksqlDB's layout."""
    return "KEY" in statement.properties or (statement.kind == "TABLE" and not any(c.key for c in statement.columns))


def _positive(value: Any, name: str, allow_default: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise StatementError(f"Invalid value for {name}: {value}")
    try:
        number = int(value)
    except ValueError:
        raise StatementError(f"Invalid value for {name}: {value}") from None
    if number > 0 or (allow_default and number == -1):
        return number
    raise StatementError(f"Invalid value for {name} property: {value}")


def create_statement_text(source: Source, or_replace: bool = False) -> str:
    """The CREATE statement of a source with every column spelled out (what ksqlDB stores after resolving them)."""
    columns = ", ".join(
        f"`{c.name}` {type_text(c.type)}{(' PRIMARY KEY' if source.kind == 'TABLE' else ' KEY') if c.key else ''}"
        for c in source.schema.columns
    )
    props = {"KAFKA_TOPIC": source.topic, "KEY_FORMAT": source.key_format, "VALUE_FORMAT": source.value_format}
    if not source.wrap_single_value:
        props["WRAP_SINGLE_VALUE"] = "false"
    if source.timestamp:
        props["TIMESTAMP"] = source.timestamp
    rendered = ", ".join(
        f"{k}={v}" if v in ("false",) else f"{k}='{str(v).replace(chr(39), chr(39) * 2)}'" for k, v in props.items()
    )
    verb = "CREATE OR REPLACE" if or_replace else "CREATE"
    return f"{verb} {source.kind} `{source.name}` ({columns}) WITH ({rendered});"
