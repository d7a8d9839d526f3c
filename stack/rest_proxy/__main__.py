"""Runs the REST Proxy: ``python -m stack.rest_proxy``.

Its configuration comes from the environment, read once (:class:`RestProxyConfig`; the variables
are in docs/contracts.md): ``KAFKA_BOOTSTRAP_SERVERS``, ``SCHEMA_REGISTRY_URL``, ``REST_PROXY_URL``
whose port it listens on (Docker Compose host names in them mean this machine), its pool and its
consumers' timeouts. It shuts down cleanly on SIGINT/SIGTERM: in-flight records are flushed and
consumer instances leave their groups.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial

import tornado.ioloop
from tornado.web import Application

from clients import serve
from clients.kafka import client_config, off_loop

from .config import RestProxyConfig
from .consumers import ConsumerRegistry
from .http import Services, make_app
from .metadata import ClusterMetadataReader
from .produce import ProduceService
from .producer import KafkaProducer
from .schemas import Schemas


@asynccontextmanager
async def rest_proxy(config: RestProxyConfig) -> AsyncIterator[Application]:
    """Opens the Kafka clients and the pool, serves the proxy, closes them on the way out."""
    kafka = client_config(config.bootstrap_servers)
    executor = ThreadPoolExecutor(max_workers=config.pool_threads, thread_name_prefix="rest-proxy")
    producer = KafkaProducer(kafka)
    metadata = ClusterMetadataReader(kafka, executor)
    schemas = Schemas(config.schema_registry_url, executor)
    consumers = ConsumerRegistry(
        kafka, executor, config.consumer_request_timeout_ms, config.consumer_instance_timeout_ms
    )
    expiry = tornado.ioloop.PeriodicCallback(consumers.expire_idle, config.consumer_expiry_check_ms)
    expiry.start()
    try:
        yield make_app(Services(metadata, ProduceService(metadata, schemas, producer), consumers, schemas))
    finally:
        expiry.stop()
        await consumers.close_all()
        await off_loop(executor, producer.close)
        executor.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":
    title = "REST Proxy"
    config = serve.configured(title, RestProxyConfig.from_env)
    sys.exit(serve.run(title, config.port, partial(rest_proxy, config)))
