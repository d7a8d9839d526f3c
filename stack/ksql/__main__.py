"""Runs the KSQL server: ``python -m stack.ksql``.

Configuration comes from the environment: ``KAFKA_BOOTSTRAP_SERVERS``, ``SCHEMA_REGISTRY_URL``,
``KSQL_URL`` (whose port it listens on) and ``KSQL_SERVICE_ID`` (default ``default_``, as
ksqlDB's). Servers with the same service id form a cluster: they share the command topic and
each persistent query's work. The server answers only once it has replayed the command topic, so
a health check that gets an answer sees every stream, table and query.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from tornado.web import Application

from stack.common import serve
from stack.common.kafka import client_config, error_text, off_loop
from stack.ksql.commands import CommandStore
from stack.ksql.engine import Engine
from stack.ksql.formats import Registry
from stack.ksql.http import MAX_BODY_BYTES, Services, make_app
from stack.ksql.persistent import Runtime
from stack.settings import LISTEN_HOST, endpoints, port_of

log = logging.getLogger("ksql")

DEFAULT_SERVICE_ID = "default_"


def server_properties(runtime: Runtime, registry_url: str) -> dict[str, str]:
    """What SHOW PROPERTIES lists: the settings a user of this server can see and override."""
    return {
        "ksql.service.id": runtime.service_id,
        "ksql.streams.bootstrap.servers": runtime.bootstrap_servers,
        "ksql.schema.registry.url": registry_url,
        "ksql.streams.auto.offset.reset": "latest",
        "ksql.streams.processing.guarantee": "exactly_once_v2",
        "ksql.persistence.default.format.key": "KAFKA",
        "ksql.output.topic.name.prefix": "",
        "ksql.query.pull.table.scan.enabled": "true",
    }


@asynccontextmanager
async def ksql_server() -> AsyncIterator[Application]:
    """Replays the command topic, starts the persistent queries, serves; stops the queries on the way out."""
    settings = endpoints()
    bootstrap = settings.kafka_bootstrap_servers
    service_id = os.environ.get("KSQL_SERVICE_ID", DEFAULT_SERVICE_ID)
    port = port_of(settings.ksql_url)
    runtime = Runtime(bootstrap, service_id, f"{LISTEN_HOST}:{port}", Registry(settings.schema_registry_url))
    admin = AdminClient(client_config(bootstrap))
    engine = Engine(runtime, admin, server_properties(runtime, settings.schema_registry_url))
    commands = CommandStore(bootstrap, service_id, engine.apply)
    try:
        cluster_id = await off_loop(None, lambda: admin.describe_cluster(request_timeout=30).result(60).cluster_id)
        replayed = await off_loop(None, lambda: engine.start(commands))
    except (KafkaException, TimeoutError) as error:
        text = error_text(error) if isinstance(error, KafkaException) else str(error)
        raise serve.StartupError(f"Kafka at {bootstrap} is not usable: {text}") from error
    log.info(
        "Replayed %d commands of %s: %d streams and tables, %d persistent queries.",
        replayed,
        commands.topic,
        len(engine.metastore.sources),
        len(engine.metastore.queries),
    )
    services = Services(engine, cluster_id, service_id)
    try:
        yield make_app(services)
    finally:
        await off_loop(None, engine.stop)
        services.executor.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":
    sys.exit(serve.run("KSQL server", port_of(endpoints().ksql_url), ksql_server, max_body_size=MAX_BODY_BYTES))
