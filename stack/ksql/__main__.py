"""Runs the KSQL server: ``python -m stack.ksql``.

Configuration comes from the environment: ``KAFKA_BOOTSTRAP_SERVERS``, ``SCHEMA_REGISTRY_URL``,
``KSQL_URL`` (whose port it listens on) and ``KSQL_SERVICE_ID`` (default ``default_``, as
ksqlDB's); Docker Compose host names in the endpoints mean this machine. Servers with the same
service id form a cluster: they share the command topic and each persistent query's work. The
server answers only once it has replayed the command topic, so a health check that gets an answer
sees every stream, table and query.

Tuning, also from the environment: ``KSQL_QUERY_RETRY_BACKOFF_INITIAL_MS`` and
``KSQL_QUERY_RETRY_BACKOFF_MAX_MS`` (ksqlDB's ``ksql.query.retry.backoff.*`` settings: how long a
failed persistent query waits before its restarts) and ``KSQL_PUSH_CLIENT_TIMEOUT_MS`` (how long
the client of a SELECT may read nothing before it is disconnected).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from tornado.ioloop import PeriodicCallback
from tornado.web import Application

from clients import serve
from clients.endpoints import endpoints, port_of
from clients.kafka import client_config, error_text, off_loop
from stack.common.hosts import server_endpoints
from stack.ksql.commands import CommandStore
from stack.ksql.engine import Engine
from stack.ksql.formats import Registry
from stack.ksql.http import MAX_BODY_BYTES, Services, make_app
from stack.ksql.persistent import Runtime

log = logging.getLogger("ksql")

DEFAULT_SERVICE_ID = "default_"
RETRY_BACKOFF_INITIAL_MS = 1_000  # ksqlDB waits 15 s: a batch here fails cheaply, so a restart is tried sooner
RETRY_BACKOFF_MAX_MS = 60_000  # ksqlDB: 15 minutes
PUSH_CLIENT_TIMEOUT_MS = 120_000


def instance_id(port: int) -> str:
    """This server among every server of its service, in ``group.instance.id`` and ``transactional.id``.

    The host name, because an address like 127.0.0.1 is the same on every host: two servers on the
    same port of two hosts would share their static group membership and fence each other's
    transactions.
    """
    return f"{socket.gethostname()}:{port}"


def setting_ms(name: str, default: int) -> int:
    """A duration in milliseconds from the environment (``KSQL_...``), which must be positive."""
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise serve.StartupError(f"{name} must be a positive number of milliseconds, not {text!r}.")
    return value


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
        "ksql.query.retry.backoff.initial.ms": str(round(runtime.retry_backoff_initial * 1000)),
        "ksql.query.retry.backoff.max.ms": str(round(runtime.retry_backoff_max * 1000)),
    }


@asynccontextmanager
async def ksql_server() -> AsyncIterator[Application]:
    """Replays the command topic, starts the persistent queries, serves; stops the queries on the way out."""
    settings = server_endpoints()
    bootstrap = settings.kafka_bootstrap_servers
    service_id = os.environ.get("KSQL_SERVICE_ID", DEFAULT_SERVICE_ID)
    port = port_of(settings.ksql_url)
    runtime = Runtime(
        bootstrap,
        service_id,
        instance_id(port),
        Registry(settings.schema_registry_url),
        retry_backoff_initial=setting_ms("KSQL_QUERY_RETRY_BACKOFF_INITIAL_MS", RETRY_BACKOFF_INITIAL_MS) / 1000,
        retry_backoff_max=setting_ms("KSQL_QUERY_RETRY_BACKOFF_MAX_MS", RETRY_BACKOFF_MAX_MS) / 1000,
    )
    client_timeout = setting_ms("KSQL_PUSH_CLIENT_TIMEOUT_MS", PUSH_CLIENT_TIMEOUT_MS) / 1000
    # librdkafka lets a producer-type client (an admin client is one) make the broker auto-create a topic it
    # merely looks up: a sink would get the broker's default partitions, a missing source topic would appear.
    admin = AdminClient(client_config(bootstrap, **{"allow.auto.create.topics": False}))
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
    # An admin client queues its log lines until poll() serves them: unpolled, they would pile up for good.
    admin_poller = PeriodicCallback(lambda: admin.poll(0), 1000)
    admin_poller.start()
    services = Services(engine, cluster_id, service_id, client_timeout)
    try:
        yield make_app(services)
    finally:
        await off_loop(None, engine.stop)
        services.executor.shutdown(wait=False, cancel_futures=True)
        admin_poller.stop()


if __name__ == "__main__":
    sys.exit(serve.run("KSQL server", port_of(endpoints().ksql_url), ksql_server, max_body_size=MAX_BODY_BYTES))
