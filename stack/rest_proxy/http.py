"""Thin Tornado handlers for the REST Proxy v2 routes.

Handlers only parse what HTTP carries (path, query, headers, JSON body), call the logic layer and
write the answer.  Every failure, expected or not, is answered with Confluent's error body
``{"error_code", "message"}``; an unexpected one is logged and answered with a 500.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import tornado.web
from tornado.httputil import responses

from stack.query import strict_int

from .consumers import ConsumerInstance, ConsumerRegistry
from .errors import ErrorCode, RestProxyError
from .formats import (
    check_request_type,
    produce_format,
    records_format,
    render_record,
    response_type,
)
from .metadata import ClusterMetadataReader
from .produce import ProduceService
from .schemas import SchemaRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """What the handlers work with; built once by ``__main__``."""

    metadata: ClusterMetadataReader
    produce: ProduceService
    consumers: ConsumerRegistry
    schemas: SchemaRegistry


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class BaseHandler(tornado.web.RequestHandler):
    services: Services

    def initialize(self, services: Services) -> None:
        self.services = services

    def json_body(self) -> Any:
        """The parsed request body, or None when there is none (400 when it is not JSON)."""
        if not self.request.body.strip():
            return None
        try:
            return json.loads(self.request.body, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise RestProxyError(ErrorCode.BAD_REQUEST, f"The request body is not valid JSON: {exc}") from exc

    def json_request(self) -> Any:
        """The body of a request without records, after checking its content type."""
        check_request_type(self.request.headers.get("Content-Type"))
        return self.json_body()

    def reply(self, data: Any, content_type: str | None = None) -> None:
        self.set_header("Content-Type", content_type or response_type(self.request.headers.get("Accept")))
        self.finish(json.dumps(data, separators=(",", ":")))

    def no_content(self) -> None:
        self.set_status(204)
        self.finish()

    def int_argument(self, name: str) -> int | None:
        raw = self.get_query_argument(name, None, strip=False)
        if raw is None:
            return None
        if (value := strict_int(raw)) is None:
            raise RestProxyError(ErrorCode.BAD_REQUEST, f"Query parameter {name} must be an integer")
        return value

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, RestProxyError):
            status_code, body = error.code.http_status, error.body()
        elif isinstance(error, tornado.web.HTTPError) or error is None:
            body = {"error_code": status_code, "message": responses.get(status_code, "Error")}
        else:
            status_code, body = 500, {"error_code": 500, "message": f"Internal server error: {error}"}
        self.set_status(status_code)
        self.set_header("Content-Type", response_type(self.request.headers.get("Accept")))
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, RestProxyError):
            log.debug("%s %s refused: %s", self.request.method, self.request.path, value.message)
        else:
            super().log_exception(typ, value, tb)


def _partition(raw: str) -> int:
    if not raw.isdigit():
        raise RestProxyError(ErrorCode.PARTITION_NOT_FOUND, "Partition not found.")
    return int(raw)


class NotFoundHandler(BaseHandler):
    def prepare(self) -> None:
        raise RestProxyError(ErrorCode.NOT_FOUND, "HTTP 404 Not Found")


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
        fmt = produce_format(self.request.headers.get("Content-Type"))
        self.reply(await self.services.produce.produce(fmt, topic, None, self.json_body()))


class PartitionsHandler(BaseHandler):
    async def get(self, topic: str) -> None:
        self.reply(await self.services.metadata.partitions(topic))


class PartitionHandler(BaseHandler):
    async def get(self, topic: str, partition: str) -> None:
        self.reply(await self.services.metadata.partition(topic, _partition(partition)))

    async def post(self, topic: str, partition: str) -> None:
        fmt = produce_format(self.request.headers.get("Content-Type"))
        self.reply(await self.services.produce.produce(fmt, topic, _partition(partition), self.json_body()))


class ConsumerGroupHandler(BaseHandler):
    def post(self, group: str) -> None:
        instance = self.services.consumers.create(group, self.json_request())
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
        await self.services.consumers.subscribe(instance, self.json_request())
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
            raise RestProxyError(
                ErrorCode.CONSUMER_FORMAT_MISMATCH,
                "The requested embedded data format does not match the deserializer for this consumer instance",
            )
        avro_to_json = self.services.schemas.avro_to_json
        records = await self.services.consumers.read(
            instance,
            self.int_argument("timeout"),
            self.int_argument("max_bytes"),
            lambda message: render_record(fmt, message, avro_to_json),
        )
        self.reply(records, fmt.content_type)


class OffsetsHandler(InstanceHandler):
    async def post(self, group: str, instance_id: str) -> None:
        instance = self.instance(group, instance_id)
        asynchronous = self.get_query_argument("async", "false").lower() == "true"
        await self.services.consumers.commit(instance, self.json_request(), asynchronous)
        self.reply([])

    async def get(self, group: str, instance_id: str) -> None:
        instance = self.instance(group, instance_id)
        self.reply({"offsets": await self.services.consumers.committed(instance, self.json_request())})


def make_app(services: Services) -> tornado.web.Application:
    instance = r"/consumers/([^/]+)/instances/([^/]+)"
    routes: list[tuple[str, type[BaseHandler]]] = [
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
