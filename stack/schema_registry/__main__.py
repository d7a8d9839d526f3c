"""Runs the Schema Registry: ``python -m stack.schema_registry``.

Configuration comes from the environment only: ``KAFKA_BOOTSTRAP_SERVERS`` (Docker Compose host
names in it mean this machine: ``stack/common/hosts.py``) and ``SCHEMA_REGISTRY_URL``, whose port
the server listens on. The server starts answering only once it has read the whole ``_schemas``
topic, so a health check that gets an answer sees every schema.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tornado.web import Application

from clients import serve
from clients.endpoints import endpoints, port_of
from stack.common.hosts import server_endpoints
from stack.schema_registry.http import MAX_BODY_BYTES, make_app
from stack.schema_registry.registry import SchemaRegistryService, State
from stack.schema_registry.storage import TOPIC, SchemasTopic

log = logging.getLogger("schema-registry")


@asynccontextmanager
async def schema_registry() -> AsyncIterator[Application]:
    """Reads ``_schemas`` to its end, serves the registry, closes the topic's clients on the way out."""
    state = State()
    topic = SchemasTopic(server_endpoints().kafka_bootstrap_servers, state.apply)
    try:
        await topic.start()
    except RuntimeError as error:
        raise serve.StartupError(str(error)) from error
    log.info("Read %d schemas from %s.", len(state.schemas), TOPIC)
    try:
        yield make_app(SchemaRegistryService(state, topic))
    finally:
        await topic.close()


if __name__ == "__main__":
    port = port_of(endpoints().schema_registry_url)
    sys.exit(serve.run("Schema Registry", port, schema_registry, max_body_size=MAX_BODY_BYTES))
