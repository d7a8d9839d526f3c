"""Command distribution: runs /ksql's statements, writing the ones that change the metastore to the command topic.

A statement's life on the server that receives it:
  1. :meth:`Engine.execute` checks it against the metastore (``checks.py``: sources, columns,
     formats), creates the topics it needs (``topics.py``) and resolves what ksqlDB resolves up
     front (a source's columns from the registry, a sink's partitions from its source);
  2. CREATE / DROP / TERMINATE go to the command topic (``commands.py``) as a statement text every
     server can replay; the answer waits until this server has applied it;
  3. :meth:`Engine.apply` (on the command runner's thread, on every server) changes the metastore
     and starts or stops persistent queries (``persistent.py``).
SHOW and DESCRIBE (``listing.py``) and SET only read or change the request's own state and never
reach the topic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from confluent_kafka.admin import AdminClient

from stack.ksql import entities
from stack.ksql.checks import (
    check_name_free,
    declared_source,
    dropped_source,
    planned_sink,
    source_topic,
    stored_source,
    terminated_queries,
)
from stack.ksql.commands import CommandStore
from stack.ksql.listing import Listing
from stack.ksql.metastore import Metastore, QueryRecord, Source
from stack.ksql.parser import parse
from stack.ksql.persistent import RunningQuery, Runtime
from stack.ksql.schema import type_text
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
from stack.ksql.topics import Topics

log = logging.getLogger("ksql.engine")

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
        self.running: dict[str, RunningQuery] = {}
        self.topics = Topics(admin, runtime.registry)
        self.listing = Listing(self.metastore, self.running, runtime, self.topics, server_properties)
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
            return self.listing.show(statement, session.properties)
        if isinstance(statement, Describe):
            return self.listing.describe(statement)
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
            self.topics.delete(command["delete_topic"])
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
            check_name_free(self.metastore, statement.kind, statement.name, statement.or_replace)
        if isinstance(statement, CreateSource):
            topic = source_topic(statement)
            source = declared_source(statement, *self.topics.for_source(statement, topic), self.runtime.registry)
            command["statement"] = create_statement_text(source, statement.or_replace)
            command["legacy"] = source.legacy
        elif isinstance(statement, CreateAsSelect):
            _, sink = planned_sink(self.metastore, statement, self.runtime.registry)
            self.topics.for_sink(sink)
            command["offset_reset"] = session.offset_reset()
        elif isinstance(statement, Drop):
            source = dropped_source(self.metastore, statement)
            if source is None:
                return {
                    "entity": entities.current_status(
                        statement.text,
                        f"{statement.kind.lower()}/{statement.name}/drop",
                        f"Source `{statement.name}` does not exist.",
                        -1,
                    )
                }
            if statement.delete_topic:
                command["delete_topic"] = {
                    "topic": source.topic,
                    "format": source.value_format,
                    "key_format": source.key_format,
                }
        elif isinstance(statement, Terminate):
            terminated_queries(self.metastore, statement)
        else:
            raise StatementError(f"{type(statement).__name__} is not supported by this server.", statement.text)
        return command

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
        check_name_free(self.metastore, statement.kind, statement.name, statement.or_replace)
        props = statement.properties
        described = self.topics.describe(str(props["KAFKA_TOPIC"])) or (int(props.get("PARTITIONS", 1)), 1)
        source = stored_source(statement, bool(command.get("legacy")), *described)
        self.metastore.sources[source.name] = source
        noun = "Stream" if statement.kind == "STREAM" else "Table"
        return entities.current_status(
            statement.text, f"{statement.kind.lower()}/{statement.name}/create", f"{noun} created", offset
        )

    def _apply_create_as_select(
        self, statement: CreateAsSelect, command: dict[str, Any], offset: int
    ) -> dict[str, Any]:
        check_name_free(self.metastore, statement.kind, statement.name, statement.or_replace)
        plan, sink = planned_sink(self.metastore, statement, self.runtime.registry)
        prefix = "CTAS" if statement.kind == "TABLE" else "CSAS"
        query_id = f"{prefix}_{statement.name}_{offset}"
        replaced = self.metastore.writers_of(statement.name)
        for old in replaced:
            self._stop_query(old.id)
        sink.writer = query_id
        self.metastore.sources[sink.name] = sink
        self.metastore.queries[query_id] = QueryRecord(
            query_id, statement.text, sink.name, sink.topic, (plan.source.name,)
        )
        if plan.is_aggregate:
            self.topics.for_aggregation(self.runtime, query_id, plan)
        thread = RunningQuery(query_id, plan, sink, self.runtime, command.get("offset_reset", "latest"))
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

    def _apply_drop(self, statement: Drop, offset: int) -> dict[str, Any]:
        # Checked again in command-topic order: another server's command may have come first.
        source = dropped_source(self.metastore, replace(statement, if_exists=False))
        assert source is not None
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
        stopped = terminated_queries(self.metastore, statement)
        for query_id in stopped:
            self._stop_query(query_id)
        entity = "ALL" if statement.query_id is None else stopped[0]
        return entities.current_status(statement.text, f"terminate/{entity}/execute", "Query terminated.", offset)

    def _stop_query(self, query_id: str) -> None:
        self.metastore.queries.pop(query_id, None)
        thread = self.running.pop(query_id, None)
        if thread is not None:
            thread.stop()
            if thread.is_alive():
                thread.join(15)


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
    if source.window is not None:
        props["WINDOW_TYPE"] = source.window.kind
        props["WINDOW_SIZE"] = f"{source.window.size} MILLISECONDS"
    rendered = ", ".join(
        f"{k}={v}" if v in ("false",) else f"{k}='{str(v).replace(chr(39), chr(39) * 2)}'" for k, v in props.items()
    )
    verb = "CREATE OR REPLACE" if or_replace else "CREATE"
    return f"{verb} {source.kind} `{source.name}` ({columns}) WITH ({rendered});"
