"""The classic project's status page, rebuilt as the baseline of ``bench_consumers``: a page reloaded by its readers.

The classic ``server.py`` renders its page from state that Kafka consumers keep, and its consumers
run on the page's event loop: ``poll(0.1)`` until a poll returns nothing, then ``sleep(1.0)``
(``consumer.py``'s ``consume_timeout`` and ``sleep_secs``); a reader sees an arrival at the first
reload of the page after that. This server does the same for one arrivals topic: the train at each
platform (station and direction), rendered as an HTML table at every ``GET /``.

``python -m bench.classic_page TOPIC PORT``: reads ``TOPIC`` from its end, serves on ``PORT``.
"""

from __future__ import annotations

import asyncio
import html
import sys
import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from tornado.web import Application, RequestHandler

from clients.endpoints import LISTEN_HOST, endpoints

POLL, SLEEP = 0.1, 1.0
"""The classic consumer's ``consume_timeout`` and ``sleep_secs``."""


def render(platforms: dict[tuple[int, str], str]) -> str:
    """The page: one row per station, the train at each of its two platforms."""
    rows = "".join(
        f"<tr><td>{station}</td><td>{html.escape(platforms.get((station, 'a'), ''))}</td>"
        f"<td>{html.escape(platforms.get((station, 'b'), ''))}</td></tr>"
        for station in sorted({station for station, _ in platforms})
    )
    return (
        f"<!DOCTYPE html><html><body><table><tr><th>station</th><th>a</th><th>b</th></tr>{rows}</table></body></html>"
    )


async def serve(topic: str, port: int) -> None:
    settings = endpoints()
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": f"bench-{uuid.uuid4()}"})
    end = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    consumer.assign([TopicPartition(topic, 0, end)])  # from now on: the page's live arrivals
    decode = AvroDeserializer(SchemaRegistryClient({"url": settings.schema_registry_url}))
    context = SerializationContext(topic, MessageField.VALUE)
    platforms: dict[tuple[int, str], str] = {}

    class Page(RequestHandler):
        def get(self) -> None:
            self.write(render(platforms))

    Application([("/", Page)]).listen(port, address=LISTEN_HOST)
    while True:
        # Blocking polls on the event loop, as the classic consumer's: a request waits for them.
        while (message := consumer.poll(POLL)) is not None:
            if message.error() is None:
                arrival = decode(message.value(), context)
                platforms[(arrival["station_id"], arrival["direction"])] = arrival["train_id"]
        await asyncio.sleep(SLEEP)


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2])))
