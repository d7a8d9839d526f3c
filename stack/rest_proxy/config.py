"""The REST Proxy's configuration, read from the environment once, at start (docs/contracts.md).

Variables that set one of Confluent's own settings take the name Confluent's image gives it
(``KAFKA_REST_`` + the setting, upper-case, dots as underscores), with Confluent's defaults; our
own settings share the prefix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from clients.config import read, setting
from clients.endpoints import port_of
from stack.common.hosts import server_endpoints


@dataclass(frozen=True)
class RestProxyConfig:
    """What ``python -m stack.rest_proxy`` runs with."""

    bootstrap_servers: str = setting("KAFKA_BOOTSTRAP_SERVERS")
    schema_registry_url: str = setting("SCHEMA_REGISTRY_URL")
    port: int = setting("REST_PROXY_URL")
    """The port of ``REST_PROXY_URL``, which the proxy listens on."""
    pool_threads: int = setting("KAFKA_REST_POOL_THREADS", 32)
    """Threads for blocking client calls (metadata, the Schema Registry, consumer reads of up to 30 s):
    it bounds how many consumer reads can wait at once."""
    consumer_request_timeout_ms: int = setting("KAFKA_REST_CONSUMER_REQUEST_TIMEOUT_MS", 1_000)
    """How long a records request waits for records when its consumer and the request name no timeout."""
    consumer_instance_timeout_ms: int = setting("KAFKA_REST_CONSUMER_INSTANCE_TIMEOUT_MS", 300_000)
    """How long a consumer instance may go unused before it is closed."""
    consumer_expiry_check_ms: int = setting("KAFKA_REST_CONSUMER_EXPIRY_CHECK_MS", 10_000)
    """How often idle consumer instances are looked for."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> RestProxyConfig:
        where = server_endpoints(env)
        return read(
            cls,
            env,
            bootstrap_servers=where.kafka_bootstrap_servers,
            schema_registry_url=where.schema_registry_url,
            port=port_of(where.rest_proxy_url),
        )
