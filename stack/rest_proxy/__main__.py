"""Runs the REST Proxy: ``python -m stack.rest_proxy``.

Reads its endpoints from the environment (see config.py), listens on 127.0.0.1 at the port of
``REST_PROXY_URL`` and shuts down cleanly on SIGINT/SIGTERM: in-flight records are flushed and
consumer instances leave their groups.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

import tornado.ioloop

from .config import LISTEN_HOST, Settings
from .consumers import ConsumerRegistry
from .http import Services, make_app
from .metadata import ClusterMetadataReader
from .produce import ProduceService
from .producer import KafkaProducer
from .schemas import SchemaRegistry

log = logging.getLogger("stack.rest_proxy")

# Blocking client calls (metadata, Schema Registry, consumer polls of up to 30 s) share this pool;
# it bounds how many consumer reads can wait at once.
_POOL_THREADS = 32
_EXPIRY_CHECK_MS = 10_000


async def serve(settings: Settings) -> None:
    executor = ThreadPoolExecutor(max_workers=_POOL_THREADS, thread_name_prefix="rest-proxy")
    producer = KafkaProducer(settings.kafka_client())
    metadata = ClusterMetadataReader(settings.kafka_client(), executor)
    schemas = SchemaRegistry(settings.schema_registry_url, executor)
    consumers = ConsumerRegistry(settings.kafka_client(), executor)
    services = Services(metadata, ProduceService(metadata, schemas, producer), consumers, schemas)
    server = make_app(services).listen(settings.port, LISTEN_HOST, xheaders=False)
    expiry = tornado.ioloop.PeriodicCallback(consumers.expire_idle, _EXPIRY_CHECK_MS)
    expiry.start()
    log.info(
        "REST Proxy is listening on http://%s:%d (Kafka at %s, Schema Registry at %s).",
        LISTEN_HOST,
        settings.port,
        settings.bootstrap_servers,
        settings.schema_registry_url,
    )

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

    log.info("REST Proxy is shutting down.")
    expiry.stop()
    server.stop()
    await consumers.close_all()
    await loop.run_in_executor(executor, producer.close)
    executor.shutdown(wait=False, cancel_futures=True)
    log.info("REST Proxy stopped.")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One line per request would drown the useful messages; failures are still logged.
    logging.getLogger("tornado.access").setLevel(logging.ERROR)
    # The Schema Registry client's HTTP library logs every request it makes.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    asyncio.run(serve(Settings.from_env()))


if __name__ == "__main__":
    main()
