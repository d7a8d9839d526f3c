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

from typing import Any

from tornado.web import Application

from stack.common.errors import ApiError
from stack.common.http import JAVA_INT, JsonHandler
from stack.common.http import NotFoundHandler as CommonNotFound
from stack.common.jsontext import dumps, escape_surrogates
from stack.schema_registry.errors import ErrorCode, RegistryError
from stack.schema_registry.registry import Registry
from stack.schema_registry.schema_types import SUPPORTED_TYPES

V1_JSON = "application/vnd.schemaregistry.v1+json"
RESPONSE_TYPES = (V1_JSON, "application/vnd.schemaregistry+json", "application/json")
REQUEST_TYPES = frozenset({*RESPONSE_TYPES, "application/octet-stream"})
MAX_BODY_BYTES = 16 * 1024 * 1024


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


class Handler(JsonHandler):
    """The registry's content types, object bodies and paging on top of the shared base handler."""

    internal_error_code = ErrorCode.STORE_ERROR.error_code
    registry: Registry
    response_type = V1_JSON

    def initialize(self, registry: Registry) -> None:
        self.registry = registry

    def content_type(self) -> str:
        return self.response_type  # still V1_JSON when negotiation itself failed (406)

    def prepare(self) -> None:
        if self.request.method == "OPTIONS":
            return  # Jersey answers OPTIONS itself, whatever Accept asks for
        self.response_type = negotiate(self.request.headers.get("Accept"))
        if self.request.method in ("POST", "PUT"):
            content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type and content_type not in REQUEST_TYPES:
                raise RegistryError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "HTTP 415 Unsupported Media Type")

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
        body = super().json_body()
        if body is not None and not isinstance(body, dict):
            raise RegistryError(
                ErrorCode.BAD_REQUEST, f"The request body must be a JSON object, not {dumps(body)[:40]}"
            )
        return body

    def text_arg(self, name: str) -> str | None:
        return self.get_query_argument(name, None)

    def page(self, items: list[Any]) -> list[Any]:
        """``items`` cut by the ``offset`` and ``limit`` query parameters (limit -1: no limit).

        A value that is not a Java int is 404, as JAX-RS answers for any query parameter.
        """
        try:
            offset = self.int_argument("offset", 0, JAVA_INT) if self.get_query_argument("offset", "") else 0
            limit = self.int_argument("limit", -1, JAVA_INT) if self.get_query_argument("limit", "") else -1
        except ApiError:
            raise RegistryError(ErrorCode.NOT_FOUND, "HTTP 404 Not Found") from None
        items = items[max(offset or 0, 0) :]
        return items if limit is None or limit < 0 else items[:limit]


class RootHandler(Handler):
    def get(self) -> None:
        self.send({})


class NotFoundHandler(CommonNotFound, Handler):
    pass


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
