"""Runs the REST Proxy: ``python -m stack.rest_proxy``.

Reads its endpoints from the environment (``KAFKA_BOOTSTRAP_SERVERS``, ``SCHEMA_REGISTRY_URL``,
``REST_PROXY_URL`` whose port it listens on; Docker Compose host names in them mean this machine)
and shuts down cleanly on SIGINT/SIGTERM: in-flight records are flushed and consumer instances
leave their groups.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import tornado.ioloop
from tornado.web import Application

from clients import serve
from clients.endpoints import endpoints, port_of
from clients.kafka import client_config, off_loop
from stack.common.hosts import server_endpoints

from .consumers import ConsumerRegistry
from .http import Services, make_app
from .metadata import ClusterMetadataReader
from .produce import ProduceService
from .producer import KafkaProducer
from .schemas import Schemas

# Blocking client calls (metadata, Schema Registry, consumer polls of up to 30 s) share this pool;
# it bounds how many consumer reads can wait at once.
POOL_THREADS = 32
EXPIRY_CHECK_MS = 10_000


@asynccontextmanager
async def rest_proxy() -> AsyncIterator[Application]:
    where = server_endpoints()
    kafka = client_config(where.kafka_bootstrap_servers)
    executor = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="rest-proxy")
    producer = KafkaProducer(kafka)
    metadata = ClusterMetadataReader(kafka, executor)
    schemas = Schemas(where.schema_registry_url, executor)
    consumers = ConsumerRegistry(kafka, executor)
    expiry = tornado.ioloop.PeriodicCallback(consumers.expire_idle, EXPIRY_CHECK_MS)
    expiry.start()
    try:
        yield make_app(Services(metadata, ProduceService(metadata, schemas, producer), consumers, schemas))
    finally:
        expiry.stop()
        await consumers.close_all()
        await off_loop(executor, producer.close)
        executor.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":
    sys.exit(serve.run("REST Proxy", port_of(endpoints().rest_proxy_url), rest_proxy))
