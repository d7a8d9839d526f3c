"""Docker Compose host names stand for this machine on the local platform.

Configurations written for the classic project's Docker setup name its services by their compose
host names (``PLAINTEXT://kafka0:19092``, ``http://schema-registry:8081``,
``jdbc:postgresql://postgres:5432/cta``). On the local platform every service runs on this
machine, so each of those names means the loopback address. Kafka Connect learns the names from the
hosts file the platform writes for its JVM (``stack/platform/connect.py``); our servers map them
here, once, where they read their outgoing endpoints, and say so in their log.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Mapping

from clients.endpoints import Endpoints

log = logging.getLogger(__name__)

COMPOSE_HOSTS = (
    "postgres",
    "kafka0",  # the classic project's three brokers
    "kafka1",
    "kafka2",
    "kafka-1",  # docker-compose.yaml's three brokers
    "kafka-2",
    "kafka-3",
    "schema-registry",
    "rest-proxy",
    "kafka-connect",  # the classic project's name for Connect
    "connect",  # docker-compose.yaml's
    "ksql",
)
"""Every service name of the classic project's and our own compose file, lower-case."""

LOOPBACK = "localhost"
_HOST = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?(?P<user>[^@/]*@)?(?P<host>[^:/@\[\]\s]+)(?P<rest>[:/].*)?$"
)
_logged: set[str] = set()


def local_address(address: str) -> str:
    """``address`` (a URL, or ``[SCHEME://]host:port`` entries joined by commas), compose host names as localhost."""
    return ",".join(_local_entry(entry) for entry in address.split(","))


def _local_entry(entry: str) -> str:
    match = _HOST.match(entry.strip())
    if not match or match["host"].lower() not in COMPOSE_HOSTS:
        return entry
    return f"{match['scheme'] or ''}{match['user'] or ''}{LOOPBACK}{match['rest'] or ''}"


def server_endpoints(env: Mapping[str, str] = os.environ) -> Endpoints:
    """The endpoints ``env`` names, compose host names mapped to this machine, each mapped variable logged once."""
    configured = Endpoints.from_env(env)
    mapped = dataclasses.replace(
        configured,
        kafka_bootstrap_servers=local_address(configured.kafka_bootstrap_servers),
        schema_registry_url=local_address(configured.schema_registry_url),
    )
    for variable, before, after in (
        ("KAFKA_BOOTSTRAP_SERVERS", configured.kafka_bootstrap_servers, mapped.kafka_bootstrap_servers),
        ("SCHEMA_REGISTRY_URL", configured.schema_registry_url, mapped.schema_registry_url),
    ):
        if before != after and variable not in _logged:
            _logged.add(variable)
            log.info(
                "%s names Docker Compose hosts (%s), which are this machine on the local platform: using %s.",
                variable,
                before,
                after,
            )
    return mapped
