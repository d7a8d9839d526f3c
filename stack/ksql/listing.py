"""Listing: SHOW / LIST and DESCRIBE, which read the metastore, the running queries and the cluster, and change nothing.

They never reach the command topic: each server answers them from what it has applied.
"""

from __future__ import annotations

from typing import Any

from stack.ksql import entities
from stack.ksql.metastore import Metastore, QueryRecord, Source
from stack.ksql.persistent import RunningQuery, Runtime
from stack.ksql.statements import Describe, Show, StatementError
from stack.ksql.topics import Topics


class Listing:
    """Answers SHOW and DESCRIBE from the engine's metastore and running queries (shared, not copied)."""

    def __init__(
        self,
        metastore: Metastore,
        running: dict[str, RunningQuery],
        runtime: Runtime,
        topics: Topics,
        server_properties: dict[str, str],
    ) -> None:
        self.metastore = metastore
        self.running = running
        self.runtime = runtime
        self.topics = topics
        self.server_properties = server_properties

    def show(self, statement: Show, properties: dict[str, Any]) -> dict[str, Any]:
        """``properties``: the request's own (streamsProperties and its SETs), for SHOW PROPERTIES."""
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
            return entities.topics_list(statement.text, self.topics.listed(statement.all))
        shown = dict(self.server_properties)
        shown.update({k: str(v) for k, v in properties.items()})
        return entities.properties_list(statement.text, shown, sorted(properties))

    def describe(self, statement: Describe) -> dict[str, Any]:
        source = self.metastore.source(statement.name)
        if source is None:
            raise StatementError(f"Could not find STREAM/TABLE '{statement.name}' in the Metastore", statement.text)
        return self._describe_source(statement.text, source, statement.extended)

    def _state(self, query_id: str) -> str:
        """RUNNING, or ERROR while the query's thread waits to restart it after a failure."""
        thread = self.running.get(query_id)
        return thread.status if thread is not None else "RUNNING"

    def _states(self, queries: list[QueryRecord]) -> dict[str, str]:
        return {q.id: self._state(q.id) for q in queries}

    def _query_description(self, query: QueryRecord) -> dict[str, Any]:
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
