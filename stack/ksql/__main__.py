"""Runs the KSQL server: ``python -m stack.ksql``.

Its configuration comes from the environment, read once (:class:`KsqlConfig`; the variables are in
docs/contracts.md): ``KAFKA_BOOTSTRAP_SERVERS``, ``SCHEMA_REGISTRY_URL``, ``KSQL_URL`` (whose port
it listens on) and ``KSQL_SERVICE_ID`` (default ``default_``, as ksqlDB's); Docker Compose host
names in the endpoints mean this machine. Servers with the same service id form a cluster: they
share the command topic and each persistent query's work. The server answers only once it has
replayed the command topic, so a health check that gets an answer sees every stream, table and
query.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from tornado.ioloop import PeriodicCallback
from tornado.web import Application

from clients import serve
from clients.kafka import client_config, error_text, off_loop
from stack.ksql.commands import CommandStore
from stack.ksql.config import KsqlConfig
from stack.ksql.engine import Engine
from stack.ksql.formats import Registry
from stack.ksql.http import Services, make_app
from stack.ksql.persistent import Runtime

log = logging.getLogger("ksql")


def instance_id(port: int) -> str:
    """This server among every server of its service, in ``group.instance.id`` and ``transactional.id``.

    The host name, because an address like 127.0.0.1 is the same on every host: two servers on the
    same port of two hosts would share their static group membership and fence each other's
    transactions.
    """
    return f"{socket.gethostname()}:{port}"


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
async def ksql_server(config: KsqlConfig) -> AsyncIterator[Application]:
    """Replays the command topic, starts the persistent queries, serves; stops the queries on the way out."""
    bootstrap, service_id = config.bootstrap_servers, config.service_id
    runtime = Runtime(
        bootstrap,
        service_id,
        instance_id(config.port),
        Registry(config.schema_registry_url),
        retry_backoff_initial=config.query_retry_backoff_initial_ms / 1000,
        retry_backoff_max=config.query_retry_backoff_max_ms / 1000,
    )
    # librdkafka lets a producer-type client (an admin client is one) make the broker auto-create a topic it
    # merely looks up: a sink would get the broker's default partitions, a missing source topic would appear.
    admin = AdminClient(client_config(bootstrap, **{"allow.auto.create.topics": False}))
    engine = Engine(runtime, admin, server_properties(runtime, config.schema_registry_url))
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
    services = Services(engine, cluster_id, config)
    try:
        yield make_app(services)
    finally:
        await off_loop(None, engine.stop)
        services.executor.shutdown(wait=False, cancel_futures=True)
        admin_poller.stop()


if __name__ == "__main__":
    title = "KSQL server"
    config = serve.configured(title, KsqlConfig.from_env)
    sys.exit(serve.run(title, config.port, partial(ksql_server, config), max_body_size=config.max_body_bytes))
