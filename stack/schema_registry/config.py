"""The Schema Registry's configuration, read from the environment once, at start (docs/contracts.md).

Variables that set one of Confluent's own settings take the name Confluent's image gives it
(``SCHEMA_REGISTRY_`` + the setting, upper-case, dots as underscores), so a compose file's
environment means the same here; our defaults are today's, which differ from Confluent's where
said.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from clients.config import read, setting
from clients.endpoints import port_of
from stack.common.hosts import server_endpoints


@dataclass(frozen=True)
class SchemaRegistryConfig:
    """What ``python -m stack.schema_registry`` runs with."""

    bootstrap_servers: str = setting("KAFKA_BOOTSTRAP_SERVERS")
    port: int = setting("SCHEMA_REGISTRY_URL")
    """The port of ``SCHEMA_REGISTRY_URL``, which the server listens on."""
    max_body_bytes: int = setting("SCHEMA_REGISTRY_MAX_BODY_BYTES", 16 * 1024 * 1024)
    kafkastore_timeout_ms: int = setting("SCHEMA_REGISTRY_KAFKASTORE_TIMEOUT_MS", 15_000)
    """How long a write to ``_schemas`` may take, until it is read back (Confluent's default: 500 ms)."""
    kafkastore_init_timeout_ms: int = setting("SCHEMA_REGISTRY_KAFKASTORE_INIT_TIMEOUT_MS", 120_000)
    """How long the server waits at start for Kafka to take ``_schemas`` (Confluent's default: 60 s)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SchemaRegistryConfig:
        where = server_endpoints(env)
        return read(cls, env, bootstrap_servers=where.kafka_bootstrap_servers, port=port_of(where.schema_registry_url))
