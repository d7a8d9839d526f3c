"""The KSQL server's configuration, read from the environment once, at start (docs/contracts.md).

Variables that set one of ksqlDB's own settings take the name ksqlDB's image gives it (``KSQL_`` +
the setting, upper-case, dots as underscores: ``KSQL_QUERY_RETRY_BACKOFF_INITIAL_MS`` sets
``ksql.query.retry.backoff.initial.ms``); our defaults are today's, which differ from ksqlDB's
where said. Our own settings share the prefix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from clients.config import read, setting
from clients.endpoints import port_of
from stack.common.hosts import server_endpoints


@dataclass(frozen=True)
class KsqlConfig:
    """What ``python -m stack.ksql`` runs with."""

    bootstrap_servers: str = setting("KAFKA_BOOTSTRAP_SERVERS")
    schema_registry_url: str = setting("SCHEMA_REGISTRY_URL")
    port: int = setting("KSQL_URL")
    """The port of ``KSQL_URL``, which the server listens on."""
    service_id: str = setting("KSQL_SERVICE_ID", "default_")
    """Servers with the same service id form a cluster: one command topic, each query's work shared."""
    query_retry_backoff_initial_ms: int = setting("KSQL_QUERY_RETRY_BACKOFF_INITIAL_MS", 1_000)
    """A failed persistent query's wait before its first restart (ksqlDB: 15 s; a batch here fails cheaply)."""
    query_retry_backoff_max_ms: int = setting("KSQL_QUERY_RETRY_BACKOFF_MAX_MS", 60_000)
    """The longest wait between restarts (ksqlDB: 15 minutes)."""
    command_response_timeout_ms: int = setting("KSQL_SERVER_COMMAND_RESPONSE_TIMEOUT_MS", 5_000)
    """How long a request naming a ``commandSequenceNumber`` waits for this server to apply that command."""
    query_stream_disconnect_check_ms: int = setting("KSQL_QUERY_STREAM_DISCONNECT_CHECK", 1_000)
    """How often an idle push query writes a newline, so that a closed connection is noticed."""
    push_client_timeout_ms: int = setting("KSQL_PUSH_CLIENT_TIMEOUT_MS", 120_000)
    """How long the client of a SELECT may read nothing before it is disconnected."""
    statement_threads: int = setting("KSQL_STATEMENT_THREADS", 8)
    """Threads for statements and for starting queries (each running SELECT has a thread of its own)."""
    max_body_bytes: int = setting("KSQL_MAX_BODY_BYTES", 4 * 1024 * 1024)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> KsqlConfig:
        where = server_endpoints(env)
        return read(
            cls,
            env,
            bootstrap_servers=where.kafka_bootstrap_servers,
            schema_registry_url=where.schema_registry_url,
            port=port_of(where.ksql_url),
        )
