"""Runs the Schema Registry: ``python -m stack.schema_registry``.

Its configuration comes from the environment, read once (:class:`SchemaRegistryConfig`; the
variables are in docs/contracts.md): ``KAFKA_BOOTSTRAP_SERVERS`` (Docker Compose host names in it
mean this machine: ``stack/common/hosts.py``), ``SCHEMA_REGISTRY_URL``, whose port the server
listens on, and its limits. The server starts answering only once it has read the whole
``_schemas`` topic, so a health check that gets an answer sees every schema.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from tornado.web import Application

from clients import serve
from stack.schema_registry.config import SchemaRegistryConfig
from stack.schema_registry.http import make_app
from stack.schema_registry.registry import SchemaRegistryService, State
from stack.schema_registry.storage import SchemasTopic

log = logging.getLogger("schema-registry")


@asynccontextmanager
async def schema_registry(config: SchemaRegistryConfig) -> AsyncIterator[Application]:
    """Reads ``_schemas`` to its end, serves the registry, closes the topic's clients on the way out."""
    state = State()
    topic = SchemasTopic(config.bootstrap_servers, state.apply, config.kafkastore_timeout_ms / 1000)
    try:
        await topic.start(config.kafkastore_init_timeout_ms / 1000)
    except RuntimeError as error:
        raise serve.StartupError(str(error)) from error
    log.info("Read %d schemas from %s.", len(state.schemas), topic.topic)
    try:
        yield make_app(SchemaRegistryService(state, topic))
    finally:
        await topic.close()


if __name__ == "__main__":
    title = "Schema Registry"
    config = serve.configured(title, SchemaRegistryConfig.from_env)
    sys.exit(serve.run(title, config.port, partial(schema_registry, config), max_body_size=config.max_body_bytes))
