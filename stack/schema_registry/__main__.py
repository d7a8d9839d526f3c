"""Runs the Schema Registry: ``python -m stack.schema_registry``.

Configuration comes from the environment only: ``KAFKA_BOOTSTRAP_SERVERS`` (default
``localhost:9092``) and ``SCHEMA_REGISTRY_URL`` (default ``http://localhost:8081``), whose port the
server listens on, on 127.0.0.1. The server starts listening only once it has read the whole
``_schemas`` topic, so a health check that gets an answer sees every schema.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from urllib.parse import urlsplit

from stack.schema_registry.http import MAX_BODY_BYTES, make_app
from stack.schema_registry.registry import Registry, State
from stack.schema_registry.storage import TOPIC, SchemasTopic

log = logging.getLogger("schema-registry")

HOST = "127.0.0.1"


async def serve(bootstrap_servers: str, url: str) -> None:
    """Read ``_schemas``, then answer HTTP on ``url``'s port until SIGINT or SIGTERM."""
    started = time.monotonic()
    state = State()
    topic = SchemasTopic(bootstrap_servers, state.apply)
    await topic.start()
    server = make_app(Registry(state, topic)).listen(
        urlsplit(url).port or 8081, address=HOST, max_body_size=MAX_BODY_BYTES
    )
    log.info(
        "Schema Registry is up on %s with %d schemas from %s (%.1f s)",
        url,
        len(state.schemas),
        TOPIC,
        time.monotonic() - started,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.stop()
    await topic.close()
    log.info("Schema Registry on %s stopped", url)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("tornado.access").setLevel(logging.ERROR)  # one line per request is noise
    logging.getLogger("schema-registry.kafka").setLevel(logging.WARNING)
    bootstrap_servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    url = os.environ.get("SCHEMA_REGISTRY_URL", "http://localhost:8081").split(",")[0].strip()
    try:
        asyncio.run(serve(bootstrap_servers, url))
    except OSError as error:
        log.error("Schema Registry cannot listen on %s: %s", url, error)
        return 1
    except RuntimeError as error:
        log.error("Schema Registry cannot start: %s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
