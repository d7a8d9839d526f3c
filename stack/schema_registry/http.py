"""The Schema Registry's HTTP API (Confluent's v1 routes), as thin Tornado handlers.

Handlers only read the request (path, query, JSON body), call one :class:`~.registry.Registry`
method and write its answer. Everything that can go wrong becomes a
:class:`~.errors.RegistryError`, and :meth:`Handler.write_error` is the one place that renders errors
as Confluent's ``{"error_code", "message"}`` body. Content types follow Confluent: request bodies in
the schema-registry, JSON or octet-stream types (415 otherwise), answers in the type the ``Accept``
header picks (406 when it picks none).

:class:`Handler` knows nothing of schemas: JSON bodies, strict query arguments, HEAD served by a
route's GET, 405 with ``Allow``, one error type and one 500 policy (log the exception, never send
its text) hold for every route, so the class can serve our other servers as well.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from typing import Any

from tornado.web import Application, HTTPError, RequestHandler

from stack.common.http import strict_int
from stack.schema_registry.errors import ErrorCode, RegistryError
from stack.schema_registry.jsontext import dumps, escape_surrogates
from stack.schema_registry.registry import Registry
from stack.schema_registry.schemas import SUPPORTED_TYPES

log = logging.getLogger(__name__)

V1_JSON = "application/vnd.schemaregistry.v1+json"
RESPONSE_TYPES = (V1_JSON, "application/vnd.schemaregistry+json", "application/json")
REQUEST_TYPES = frozenset({*RESPONSE_TYPES, "application/octet-stream"})
MAX_BODY_BYTES = 16 * 1024 * 1024
_JAVA_INT = (-(2**31), 2**31 - 1)
# Methods a route can implement, in the order an ``Allow`` header lists them.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def negotiate(accept: str | None) -> str:
    """The response content type an ``Accept`` header asks for; 406 when it allows none of ours."""
    if not accept or not accept.strip():
        return V1_JSON
    ranges = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranges.append((-quality, position, media.lower()))
    for _, _, media in sorted(ranges):
        if media in RESPONSE_TYPES:
            return media
        if media in ("*/*", "application/*"):
            return V1_JSON
    raise RegistryError(ErrorCode.NOT_ACCEPTABLE, "HTTP 406 Not Acceptable")


class Handler(RequestHandler):
    """Shared request parsing and the single error renderer for every route."""

    registry: Registry
    response_type = V1_JSON

    def initialize(self, registry: Registry) -> None:
        self.registry = registry

    def prepare(self) -> None:
        self.response_type = negotiate(self.request.headers.get("Accept"))
        if self.request.method in ("POST", "PUT"):
            content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type and content_type not in REQUEST_TYPES:
                raise RegistryError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "HTTP 415 Unsupported Media Type")

    def head(self, *args: str) -> Awaitable[None] | None:
        """Every route answers HEAD as it answers GET; Tornado sends the headers without the body."""
        return self.get(*args)

    def allowed_methods(self) -> list[str]:
        """The methods this route implements (HEAD wherever GET is), for ``Allow`` on a 405."""
        own = [m for m in _METHODS if getattr(type(self), m.lower()) is not getattr(RequestHandler, m.lower())]
        return [m for m in own if m != "HEAD" or "GET" in own]

    def send(self, body: Any) -> None:
        self.set_header("Content-Type", self.response_type)
        self.finish(dumps(body))

    def send_raw(self, text: str) -> None:
        """A schema's own text as the whole body (the ``/schema`` routes)."""
        self.set_header("Content-Type", self.response_type)
        self.finish(escape_surrogates(text))

    def json_body(self) -> dict[str, Any] | None:
        """The request body as a JSON object; None when empty or ``null``.

        400 when it is not JSON or not an object, as Confluent's JSON mappers answer.
        """
        if not self.request.body.strip():
            return None
        try:
            body = json.loads(self.request.body)
        except (ValueError, RecursionError) as error:
            raise RegistryError(ErrorCode.BAD_REQUEST, f"The request body is not valid JSON: {error}") from None
        if body is not None and not isinstance(body, dict):
            raise RegistryError(
                ErrorCode.BAD_REQUEST, f"The request body must be a JSON object, not {dumps(body)[:40]}"
            )
        return body

    def flag(self, *names: str) -> bool:
        """A boolean query parameter, true only for ``true`` in any letter case (as Java parses it)."""
        return any((self.get_query_argument(name, None) or "").strip().lower() == "true" for name in names)

    def text_arg(self, name: str) -> str | None:
        return self.get_query_argument(name, None)

    def page(self, items: list[Any]) -> list[Any]:
        """``items`` cut by the ``offset`` and ``limit`` query parameters (limit -1: no limit)."""
        offset, limit = self._int_arg("offset", 0), self._int_arg("limit", -1)
        items = items[max(offset, 0) :]
        return items if limit < 0 else items[:limit]

    def _int_arg(self, name: str, default: int) -> int:
        """An ``int`` query parameter; 404 when it is not one, as JAX-RS answers for any query parameter."""
        raw = self.get_query_argument(name, None, strip=False)
        if not raw:
            return default
        value = strict_int(raw)
        if value is None or not _JAVA_INT[0] <= value <= _JAVA_INT[1]:
            raise RegistryError(ErrorCode.NOT_FOUND, "HTTP 404 Not Found")
        return value

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, RegistryError):
            status, body = error.code.http_status, error.body()
        elif isinstance(error, HTTPError) or status_code < 500:
            reason = self._reason if not isinstance(error, HTTPError) else (error.reason or self._reason)
            status, body = status_code, {"error_code": status_code, "message": f"HTTP {status_code} {reason}"}
        else:
            status, body = 500, {"error_code": ErrorCode.STORE_ERROR.error_code, "message": "Internal Server Error"}
        self.set_status(status)
        if status == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        self.set_header("Content-Type", self.response_type if status != 406 else V1_JSON)
        self.finish(dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, RegistryError) and value.code.http_status < 500:
            log.debug("%s %s -> %s", self.request.method, self.request.uri, value.message)
        else:
            super().log_exception(typ, value, tb)


class RootHandler(Handler):
    def get(self) -> None:
        self.send({})


class NotFoundHandler(Handler):
    def prepare(self) -> None:
        raise RegistryError(ErrorCode.NOT_FOUND, "HTTP 404 Not Found")


class SubjectsHandler(Handler):
    def get(self) -> None:
        subjects = self.registry.subjects(
            self.text_arg("subjectPrefix") or "", self.flag("deleted"), self.flag("deletedOnly", "deleted_only")
        )
        self.send(self.page(subjects))


class SubjectHandler(Handler):
    async def post(self, subject: str) -> None:
        body = self.json_body()
        self.send(await self.registry.lookup(subject, body, self.flag("normalize"), self.flag("deleted")))

    async def delete(self, subject: str) -> None:
        self.send(await self.registry.delete_subject(subject, self.flag("permanent")))


class VersionsHandler(Handler):
    def get(self, subject: str) -> None:
        versions = self.registry.versions(subject, self.flag("deleted"), self.flag("deletedOnly", "deleted_only"))
        self.send(self.page(versions))

    async def post(self, subject: str) -> None:
        self.send(await self.registry.register(subject, self.json_body(), self.flag("normalize")))


class VersionHandler(Handler):
    def get(self, subject: str, version: str) -> None:
        self.send(self.registry.version(subject, version, self.flag("deleted")))

    async def delete(self, subject: str, version: str) -> None:
        self.send(await self.registry.delete_version(subject, version, self.flag("permanent")))


class VersionSchemaHandler(Handler):
    def get(self, subject: str, version: str) -> None:
        self.send_raw(self.registry.version_schema(subject, version, self.flag("deleted")))


class ReferencedByHandler(Handler):
    def get(self, subject: str, version: str) -> None:
        self.send(self.page(self.registry.referenced_by(subject, version)))


class SchemasHandler(Handler):
    def get(self) -> None:
        found = self.registry.all_schemas(
            self.text_arg("subjectPrefix") or "", self.flag("deleted"), self.flag("latestOnly")
        )
        self.send(self.page(found))


class SchemaTypesHandler(Handler):
    def get(self) -> None:
        self.send(list(SUPPORTED_TYPES))


class SchemaByIdHandler(Handler):
    def get(self, schema_id: str) -> None:
        self.send(self.registry.schema(schema_id, self.flag("fetchMaxId")))


class SchemaTextByIdHandler(Handler):
    def get(self, schema_id: str) -> None:
        self.send_raw(self.registry.schema_text(schema_id))


class SchemaSubjectsHandler(Handler):
    def get(self, schema_id: str) -> None:
        found = self.registry.schema_subjects(schema_id, self.text_arg("subject"), self.flag("deleted"))
        self.send(self.page(found))


class SchemaVersionsHandler(Handler):
    def get(self, schema_id: str) -> None:
        found = self.registry.schema_versions(schema_id, self.text_arg("subject"), self.flag("deleted"))
        self.send(self.page(found))


class CompatibilityHandler(Handler):
    async def post(self, subject: str, version: str | None = None) -> None:
        answer = await self.registry.check_compatibility(
            subject, version, self.json_body(), self.flag("normalize"), self.flag("verbose")
        )
        self.send(answer)


class ConfigHandler(Handler):
    def get(self, subject: str | None = None) -> None:
        self.send(self.registry.config(subject, self.flag("defaultToGlobal")))

    async def put(self, subject: str | None = None) -> None:
        self.send(await self.registry.set_config(subject, self.json_body()))

    async def delete(self, subject: str | None = None) -> None:
        self.send(await self.registry.delete_config(subject))


class ModeHandler(Handler):
    def get(self, subject: str | None = None) -> None:
        self.send(self.registry.mode(subject, self.flag("defaultToGlobal")))

    async def put(self, subject: str | None = None) -> None:
        self.send(await self.registry.set_mode(subject, self.json_body(), self.flag("force")))

    async def delete(self, subject: str | None = None) -> None:
        self.send(await self.registry.delete_mode(subject, self.flag("recursive")))


class ContextsHandler(Handler):
    def get(self) -> None:
        self.send(self.page(["."]))


_SEGMENT = r"([^/]+)"
ROUTES: list[tuple[str, type[Handler]]] = [
    (r"/", RootHandler),
    (r"/subjects", SubjectsHandler),
    (rf"/subjects/{_SEGMENT}", SubjectHandler),
    (rf"/subjects/{_SEGMENT}/versions", VersionsHandler),
    (rf"/subjects/{_SEGMENT}/versions/{_SEGMENT}", VersionHandler),
    (rf"/subjects/{_SEGMENT}/versions/{_SEGMENT}/schema", VersionSchemaHandler),
    (rf"/subjects/{_SEGMENT}/versions/{_SEGMENT}/referencedby", ReferencedByHandler),
    (r"/schemas", SchemasHandler),
    (r"/schemas/types", SchemaTypesHandler),
    (rf"/schemas/ids/{_SEGMENT}", SchemaByIdHandler),
    (rf"/schemas/ids/{_SEGMENT}/schema", SchemaTextByIdHandler),
    (rf"/schemas/ids/{_SEGMENT}/subjects", SchemaSubjectsHandler),
    (rf"/schemas/ids/{_SEGMENT}/versions", SchemaVersionsHandler),
    (rf"/compatibility/subjects/{_SEGMENT}/versions", CompatibilityHandler),
    (rf"/compatibility/subjects/{_SEGMENT}/versions/{_SEGMENT}", CompatibilityHandler),
    (r"/config", ConfigHandler),
    (rf"/config/{_SEGMENT}", ConfigHandler),
    (r"/mode", ModeHandler),
    (rf"/mode/{_SEGMENT}", ModeHandler),
    (r"/contexts", ContextsHandler),
]


def make_app(registry: Registry) -> Application:
    """The Tornado application serving ``registry``; a trailing slash on any route is accepted."""
    routes = [(path.rstrip("/") + "/?", handler, {"registry": registry}) for path, handler in ROUTES]
    return Application(routes, default_handler_class=NotFoundHandler, default_handler_args={"registry": registry})
