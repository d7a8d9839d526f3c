"""Thin Tornado handlers for the REST Proxy v2 routes.

Handlers only parse what HTTP carries (path, query, headers, and the JSON body as a typed object
from :mod:`.requests`), call the logic layer and answer with ``reply``. Every failure, expected or
not, is answered with Confluent's error body ``{"error_code", "message"}``; an unexpected one is
logged and answered with a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import tornado.web

from stack.common.http import JsonHandler, render_json
from stack.common.http import NotFoundHandler as CommonNotFound

from .consumers import ConsumerInstance, ConsumerRegistry, InstanceConfig
from .errors import Errors
from .formats import (
    check_request_type,
    records_format,
    render_record,
    response_type,
)
from .metadata import ClusterMetadataReader
from .produce import ProduceService
from .produce_front import produce_answer
from .requests import SubscriptionRequest, partition_number, topic_partitions
from .schemas import Schemas


@dataclass(frozen=True)
class Services:
    """What the handlers work with; built once by ``__main__``."""

    metadata: ClusterMetadataReader
    produce: ProduceService
    consumers: ConsumerRegistry
    schemas: Schemas


class BaseHandler(JsonHandler):
    """Confluent's v2 content types on every answer, errors included."""

    services: Services

    def initialize(self, services: Services) -> None:
        self.services = services

    def content_type(self) -> str:
        return response_type(self.request.headers.get("Accept"))

    def json_request(self) -> Any:
        """The body of a request without records, after checking its content type."""
        check_request_type(self.request.headers.get("Content-Type"))
        return self.json_body()

    async def produce(self, topic: str, partition_segment: str | None) -> None:
        """Produces the request's records to ``topic`` (or the partition the path names); answers where they went.

        Requests the produce front (:mod:`.produce_front`) hands over come here: chunked bodies,
        ``Expect: 100-continue``, HTTP/1.0, ``Connection: close``, and anything after them on their connection.
        """
        answer = await produce_answer(
            self.services.produce,
            topic,
            partition_segment,
            self.request.headers.get("Content-Type"),
            self.request.body,
        )
        self.set_header("Content-Type", self.content_type())
        self.finish(answer)


class NotFoundHandler(CommonNotFound, BaseHandler):
    pass


class RootHandler(BaseHandler):
    def get(self) -> None:
        self.reply({})


class TopicsHandler(BaseHandler):
    async def get(self) -> None:
        self.reply(await self.services.metadata.topic_names())


class BrokersHandler(BaseHandler):
    async def get(self) -> None:
        self.reply({"brokers": await self.services.metadata.broker_ids()})


class TopicHandler(BaseHandler):
    async def get(self, topic: str) -> None:
        self.reply(await self.services.metadata.topic(topic))

    async def post(self, topic: str) -> None:
        await self.produce(topic, None)


class PartitionsHandler(BaseHandler):
    async def get(self, topic: str) -> None:
        self.reply(await self.services.metadata.partitions(topic))


class PartitionHandler(BaseHandler):
    async def get(self, topic: str, partition: str) -> None:
        self.reply(await self.services.metadata.partition(topic, partition_number(partition)))

    async def post(self, topic: str, partition: str) -> None:
        await self.produce(topic, partition)


class ConsumerGroupHandler(BaseHandler):
    def post(self, group: str) -> None:
        instance = self.services.consumers.create(group, InstanceConfig.from_body(self.json_request()))
        base_uri = (
            f"{self.request.protocol}://{self.request.host}"
            f"/consumers/{quote(group, safe='')}/instances/{quote(instance.instance_id, safe='')}"
        )
        self.reply({"instance_id": instance.instance_id, "base_uri": base_uri})


class InstanceHandler(BaseHandler):
    def instance(self, group: str, instance_id: str) -> ConsumerInstance:
        return self.services.consumers.get(group, instance_id)


class ConsumerInstanceHandler(InstanceHandler):
    async def delete(self, group: str, instance_id: str) -> None:
        await self.services.consumers.delete(group, instance_id)
        self.no_content()


class SubscriptionHandler(InstanceHandler):
    async def post(self, group: str, instance_id: str) -> None:
        instance = self.instance(group, instance_id)
        await self.services.consumers.subscribe(instance, SubscriptionRequest.read(self.json_request()))
        self.no_content()

    async def get(self, group: str, instance_id: str) -> None:
        topics = await self.services.consumers.subscription(self.instance(group, instance_id))
        self.reply({"topics": topics})

    async def delete(self, group: str, instance_id: str) -> None:
        await self.services.consumers.unsubscribe(self.instance(group, instance_id))
        self.no_content()


class RecordsHandler(InstanceHandler):
    async def get(self, group: str, instance_id: str) -> None:
        instance = self.instance(group, instance_id)
        fmt = records_format(self.request.headers.get("Accept"), instance.config.format)
        if fmt is not instance.config.format:
            self.fail(Errors.CONSUMER_FORMAT_MISMATCH)
        avro_to_json = self.services.schemas.avro_to_json
        records = await self.services.consumers.read(
            instance,
            self.int_argument("timeout"),
            self.int_argument("max_bytes"),
            lambda message: render_record(fmt, message, avro_to_json),
        )
        self.set_header("Content-Type", fmt.content_type)
        self.finish(render_json(records))


class OffsetsHandler(InstanceHandler):
    async def post(self, group: str, instance_id: str) -> None:
        instance = self.instance(group, instance_id)
        asynchronous = self.flag("async")
        body = self.json_request()
        offsets = None if body is None else topic_partitions(body, "offsets", with_offset=True)
        await self.services.consumers.commit(instance, offsets, asynchronous)
        self.reply([])

    async def get(self, group: str, instance_id: str) -> None:
        instance = self.instance(group, instance_id)
        body = self.json_request()
        if body is None:
            self.fail(Errors.PARTITION_NOT_FOUND)
        partitions = topic_partitions(body, "partitions", with_offset=False)
        self.reply({"offsets": await self.services.consumers.committed(instance, partitions)})


def make_app(services: Services) -> tornado.web.Application:
    instance = r"/consumers/([^/]+)/instances/([^/]+)"
    routes: list[tuple[str, type[JsonHandler]]] = [
        (r"/", RootHandler),
        (r"/topics", TopicsHandler),
        (r"/topics/([^/]+)", TopicHandler),
        (r"/topics/([^/]+)/partitions", PartitionsHandler),
        (r"/topics/([^/]+)/partitions/([^/]+)", PartitionHandler),
        (r"/brokers", BrokersHandler),
        (r"/consumers/([^/]+)", ConsumerGroupHandler),
        (instance, ConsumerInstanceHandler),
        (instance + "/subscription", SubscriptionHandler),
        (instance + "/records", RecordsHandler),
        (instance + "/offsets", OffsetsHandler),
    ]
    return tornado.web.Application(
        [(pattern, handler, {"services": services}) for pattern, handler in routes],
        default_handler_class=NotFoundHandler,
        default_handler_args={"services": services},
    )
