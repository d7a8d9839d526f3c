"""Runs the REST Proxy: ``python -m stack.rest_proxy``.

Its configuration comes from the environment, read once (:class:`RestProxyConfig`; the variables
are in docs/contracts.md): ``KAFKA_BOOTSTRAP_SERVERS``, ``SCHEMA_REGISTRY_URL``, ``REST_PROXY_URL``
whose port it listens on (Docker Compose host names in them mean this machine), its pool and its
consumers' timeouts. It shuts down cleanly on SIGINT/SIGTERM: in-flight records are flushed and
consumer instances leave their groups.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial

import tornado.ioloop

from clients import serve
from clients.kafka import client_config, off_loop

from .config import RestProxyConfig
from .consumers import ConsumerRegistry
from .http import Services, make_app
from .metadata import ClusterMetadataReader
from .produce import ProduceService
from .produce_front import ProduceFront
from .producer import KafkaProducer
from .schemas import Schemas


@asynccontextmanager
async def rest_proxy(config: RestProxyConfig) -> AsyncIterator[ProduceFront]:
    """Opens the Kafka clients and the pool, serves the proxy (produce in front), closes them on the way out."""
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
    services = Services(metadata, ProduceService(metadata, schemas, producer), consumers, schemas)
    _collect_garbage_rarely()
    try:
        yield ProduceFront(make_app(services), services.produce)
    finally:
        expiry.stop()
        await consumers.close_all()
        await off_loop(executor, producer.close)
        executor.shutdown(wait=False, cancel_futures=True)


def _collect_garbage_rarely() -> None:
    """Keeps Python's cycle collector off the request path.

    A 100-record produce request holds about a thousand container objects at once (its JSON, records,
    callbacks), so with the default threshold of 700 every request ran a collection, and every few
    hundred a full one over the ~58,000 objects of the loaded modules: about 0.2-0.3 ms per request,
    a sixth of the proxy's CPU. Those objects are freed by reference counting when the request ends;
    the collector is only for cycles. The objects alive after start-up are frozen (full collections
    skip them) and the young generation is collected every 50,000 net allocations.
    """
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)


if __name__ == "__main__":
    title = "REST Proxy"
    config = serve.configured(title, RestProxyConfig.from_env)
    sys.exit(serve.run(title, config.port, partial(rest_proxy, config)))
