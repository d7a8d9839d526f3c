"""The JSON entities of ksqlDB's ``/ksql`` answers, field for field.

ksqlDB's own CLI and clients deserialise these by ``@type`` and print from the fields; a missing
field can break them, so each builder here fills the whole set ksqlDB sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stack.ksql.metastore import QueryRecord, Source
from stack.ksql.schema import describe_type

VERSION = "0.29.0"


def current_status(
    text: str, command_id: str, message: str, sequence: int, query_id: str | None = None
) -> dict[str, Any]:
    return {
        "@type": "currentStatus",
        "statementText": text,
        "commandId": command_id,
        "commandStatus": {"status": "SUCCESS", "message": message, "queryId": query_id},
        "commandSequenceNumber": sequence,
        "warnings": [],
    }


def warning_status(text: str, command_id: str, message: str) -> dict[str, Any]:
    """IF NOT EXISTS on an existing source: success with a warning, nothing written to the command topic."""
    entity = current_status(text, command_id, message, -1)
    entity["warnings"] = [{"message": message}]
    return entity


def source_info(source: Source) -> dict[str, Any]:
    return {
        "type": source.kind,
        "name": source.name,
        "topic": source.topic,
        "keyFormat": source.key_format,
        "valueFormat": source.value_format,
        "isWindowed": source.window is not None,
    }


def sources_list(text: str, kind: str, sources: list[Source]) -> dict[str, Any]:
    plural = "streams" if kind == "STREAM" else "tables"
    return {"@type": plural, "statementText": text, plural: [source_info(s) for s in sources], "warnings": []}


def running_query(query: QueryRecord, state: str) -> dict[str, Any]:
    """A query as SHOW QUERIES lists it; ``state`` is RUNNING or ERROR (failed, waiting to be restarted)."""
    return {
        "queryString": query.statement,
        "sinks": [query.sink],
        "sinkKafkaTopics": [query.sink_topic],
        "id": query.id,
        "statusCount": {state: 1},  # per state, how many servers report it: this server alone
        "queryType": "PERSISTENT",
        "state": state,
    }


def queries_list(text: str, queries: list[QueryRecord], states: Mapping[str, str]) -> dict[str, Any]:
    return {
        "@type": "queries",
        "statementText": text,
        "queries": [running_query(q, states[q.id]) for q in queries],
        "warnings": [],
    }


def query_description(
    query: QueryRecord,
    sink: Source | None,
    state: str,
    host: str,
    consumer_group: str,
    errors: list[dict[str, Any]],
) -> dict[str, Any]:
    """A query as SHOW QUERIES EXTENDED describes it, with the errors that stopped it (``queryErrors``)."""
    return {
        "id": query.id,
        "statementText": query.statement,
        "windowType": window_type(sink),
        "fields": [field_of(c.name, c.type, c.key) for c in sink.schema.columns] if sink is not None else [],
        "sources": list(query.sources),
        "sinks": [query.sink],
        "topology": "",
        "executionPlan": "",
        "overriddenProperties": {},
        "ksqlHostQueryStatus": {host: state},
        "queryType": "PERSISTENT",
        "queryErrors": errors,
        "tasksMetadata": [],
        "consumerGroupId": consumer_group,
        "state": state,
    }


def window_type(source: Source | None) -> str | None:
    """``TUMBLING`` or ``HOPPING`` for a windowed table, as DESCRIBE names its window; None otherwise."""
    return source.window.kind if source is not None and source.window is not None else None


def query_descriptions(text: str, descriptions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@type": "query_descriptions", "statementText": text, "queryDescriptions": descriptions, "warnings": []}


def field_of(name: str, sql_type: Any, key: bool) -> dict[str, Any]:
    described: dict[str, Any] = {"name": name, "schema": describe_type(sql_type)}
    if key:
        described["type"] = "KEY"
    return described


def source_description(
    text: str,
    source: Source,
    readers: list[QueryRecord],
    writers: list[QueryRecord],
    states: Mapping[str, str],
    extended: bool,
    statistics: str = "",
    error_stats: str = "",
) -> dict[str, Any]:
    return {
        "@type": "sourceDescription",
        "statementText": text,
        "sourceDescription": {
            "name": source.name,
            "windowType": window_type(source),
            "readQueries": [running_query(q, states[q.id]) for q in readers],
            "writeQueries": [running_query(q, states[q.id]) for q in writers],
            "fields": [field_of(c.name, c.type, c.key) for c in source.schema.columns],
            "type": source.kind,
            "timestamp": source.timestamp or "",
            "statistics": statistics,
            "errorStats": error_stats,
            "extended": extended,
            "keyFormat": source.key_format,
            "valueFormat": source.value_format,
            "topic": source.topic,
            "partitions": source.partitions,
            "replication": source.replicas,
            "statement": source.statement,
            "queryOffsetSummaries": [],
            "sourceConstraints": [],
            "clusterStatistics": [],
            "clusterErrorStats": [],
        },
        "warnings": [],
    }


def topics_list(text: str, topics: list[tuple[str, list[int]]]) -> dict[str, Any]:
    return {
        "@type": "kafka_topics",
        "statementText": text,
        "topics": [{"name": name, "replicaInfo": replicas} for name, replicas in topics],
        "warnings": [],
    }


def properties_list(text: str, properties: dict[str, str], overwritten: list[str]) -> dict[str, Any]:
    return {
        "@type": "properties",
        "statementText": text,
        "properties": [
            {"name": name, "scope": "KSQL", "value": value, "editable": True, "level": "SERVER"}
            for name, value in sorted(properties.items())
        ],
        "overwrittenProperties": overwritten,
        "defaultProperties": [],
        "warnings": [],
    }


def server_info(cluster_id: str, service_id: str) -> dict[str, Any]:
    return {
        "KsqlServerInfo": {
            "version": VERSION,
            "kafkaClusterId": cluster_id,
            "ksqlServiceId": service_id,
            "serverStatus": "RUNNING",
        }
    }
