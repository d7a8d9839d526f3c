"""The Schema Registry's HTTP API (Confluent's v1 routes), as thin Tornado handlers.

Handlers only read the request (path, query, and the JSON body as a typed object from
:mod:`~.requests`), call one :class:`~.registry.SchemaRegistryService` method and answer with
``reply`` (``reply_text`` for a stored schema as it is). Everything that can go wrong becomes a
:class:`~.errors.RegistryError` with a code from :class:`~.errors.Errors`, rendered as Confluent's
``{"error_code", "message"}`` body by the shared base handler (:class:`stack.common.http.JsonHandler`).
Content types follow Confluent: request bodies in the schema-registry, JSON or octet-stream types
(415 otherwise), answers in the type the ``Accept`` header picks (406 when it picks none).
"""

from __future__ import annotations

from typing import Any

from tornado.web import Application

from stack.common.errors import ApiError
from stack.common.http import JAVA_INT, JsonHandler, media_ranges, media_type
from stack.common.http import NotFoundHandler as CommonNotFound
from stack.common.jsontext import dumps
from stack.schema_registry.errors import Errors, RegistryError
from stack.schema_registry.registry import SchemaRegistryService
from stack.schema_registry.requests import ConfigRequest, ModeRequest, RegisterRequest, schema_of, version_number
from stack.schema_registry.schema_types import SUPPORTED_TYPES

V1_JSON = "application/vnd.schemaregistry.v1+json"
RESPONSE_TYPES = (V1_JSON, "application/vnd.schemaregistry+json", "application/json")
REQUEST_TYPES = frozenset({*RESPONSE_TYPES, "application/octet-stream"})


def negotiate(accept: str | None) -> str:
    """The response content type an ``Accept`` header asks for; 406 when it allows none of ours."""
    if not accept or not accept.strip():
        return V1_JSON
    for accepted in media_ranges(accept):
        if not accepted.quality > 0:  # q=0 refuses a type (and NaN is no quality)
            continue
        media = accepted.media.lower()
        if media in RESPONSE_TYPES:
            return media
        if media in ("*/*", "application/*"):
            return V1_JSON
    raise RegistryError(Errors.NOT_ACCEPTABLE)


class Handler(JsonHandler):
    """The registry's content types, object bodies and paging on top of the shared base handler."""

    internal_error = Errors.STORE_ERROR
    compact = False
    registry: SchemaRegistryService
    response_type = V1_JSON

    def initialize(self, registry: SchemaRegistryService) -> None:
        self.registry = registry

    def content_type(self) -> str:
        return self.response_type  # still V1_JSON when negotiation itself failed (406)

    def prepare(self) -> None:
        if self.request.method == "OPTIONS":
            return  # Jersey answers OPTIONS itself, whatever Accept asks for
        self.response_type = negotiate(self.request.headers.get("Accept"))
        if self.request.method in ("POST", "PUT"):
            content_type = media_type(self.request.headers.get("Content-Type", ""))
            if content_type and content_type not in REQUEST_TYPES:
                raise RegistryError(Errors.UNSUPPORTED_MEDIA_TYPE)

    def json_body(self) -> dict[str, Any] | None:
        """The request body as a JSON object; None when empty or ``null``.

        400 when it is not JSON or not an object, as Confluent's JSON mappers answer.
        """
        body = super().json_body()
        if body is not None and not isinstance(body, dict):
            raise RegistryError(Errors.BAD_REQUEST, f"The request body must be a JSON object, not {dumps(body)[:40]}")
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
            raise RegistryError(Errors.NOT_FOUND) from None
        items = items[max(offset or 0, 0) :]
        return items if limit is None or limit < 0 else items[:limit]


class RootHandler(Handler):
    def get(self) -> None:
        self.reply({})


class NotFoundHandler(CommonNotFound, Handler):
    pass


class SubjectsHandler(Handler):
    def get(self) -> None:
        subjects = self.registry.subjects(
            self.text_arg("subjectPrefix") or "", self.flag("deleted"), self.flag("deletedOnly", "deleted_only")
        )
        self.reply(self.page(subjects))


class SubjectHandler(Handler):
    async def post(self, subject: str) -> None:
        body, deleted = self.json_body(), self.flag("deleted")
        self.registry.require_subject(subject, deleted)  # an unknown subject is named before a bad body
        self.reply(await self.registry.lookup(subject, schema_of(body), self.flag("normalize"), deleted))

    async def delete(self, subject: str) -> None:
        self.reply(await self.registry.delete_subject(subject, self.flag("permanent")))


class VersionsHandler(Handler):
    def get(self, subject: str) -> None:
        versions = self.registry.versions(subject, self.flag("deleted"), self.flag("deletedOnly", "deleted_only"))
        self.reply(self.page(versions))

    async def post(self, subject: str) -> None:
        request = RegisterRequest.read(subject, self.json_body())
        self.reply(await self.registry.register(request, self.flag("normalize")))


class VersionHandler(Handler):
    def get(self, subject: str, version: str) -> None:
        self.reply(self.registry.version(subject, version, self.flag("deleted")))

    async def delete(self, subject: str, version: str) -> None:
        self.reply(await self.registry.delete_version(subject, version, self.flag("permanent")))


class VersionSchemaHandler(Handler):
    def get(self, subject: str, version: str) -> None:
        self.reply_text(self.registry.version_schema(subject, version, self.flag("deleted")))


class ReferencedByHandler(Handler):
    def get(self, subject: str, version: str) -> None:
        self.reply(self.page(self.registry.referenced_by(subject, version)))


class SchemasHandler(Handler):
    def get(self) -> None:
        found = self.registry.all_schemas(
            self.text_arg("subjectPrefix") or "", self.flag("deleted"), self.flag("latestOnly")
        )
        self.reply(self.page(found))


class SchemaTypesHandler(Handler):
    def get(self) -> None:
        self.reply(list(SUPPORTED_TYPES))


class SchemaByIdHandler(Handler):
    def get(self, schema_id: str) -> None:
        self.reply(self.registry.schema(schema_id, self.flag("fetchMaxId")))


class SchemaTextByIdHandler(Handler):
    def get(self, schema_id: str) -> None:
        self.reply_text(self.registry.schema_text(schema_id))


class SchemaSubjectsHandler(Handler):
    def get(self, schema_id: str) -> None:
        found = self.registry.schema_subjects(schema_id, self.text_arg("subject"), self.flag("deleted"))
        self.reply(self.page(found))


class SchemaVersionsHandler(Handler):
    def get(self, schema_id: str) -> None:
        found = self.registry.schema_versions(schema_id, self.text_arg("subject"), self.flag("deleted"))
        self.reply(self.page(found))


class CompatibilityHandler(Handler):
    async def post(self, subject: str, version: str | None = None) -> None:
        body = self.json_body()
        if version is not None:
            version_number(version)  # a bad version is named before a bad body
        answer = await self.registry.check_compatibility(
            subject, version, schema_of(body), self.flag("normalize"), self.flag("verbose")
        )
        self.reply(answer)


class ConfigHandler(Handler):
    def get(self, subject: str | None = None) -> None:
        self.reply(self.registry.config(subject, self.flag("defaultToGlobal")))

    async def put(self, subject: str | None = None) -> None:
        self.reply(await self.registry.set_config(ConfigRequest.read(subject, self.json_body())))

    async def delete(self, subject: str | None = None) -> None:
        self.reply(await self.registry.delete_config(subject))


class ModeHandler(Handler):
    def get(self, subject: str | None = None) -> None:
        self.reply(self.registry.mode(subject, self.flag("defaultToGlobal")))

    async def put(self, subject: str | None = None) -> None:
        self.reply(await self.registry.set_mode(ModeRequest.read(subject, self.json_body()), self.flag("force")))

    async def delete(self, subject: str | None = None) -> None:
        self.reply(await self.registry.delete_mode(subject, self.flag("recursive")))


class ContextsHandler(Handler):
    def get(self) -> None:
        self.reply(self.page(["."]))


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


def make_app(registry: SchemaRegistryService) -> Application:
    """The Tornado application serving ``registry``; a trailing slash on any route is accepted."""
    routes = [(path.rstrip("/") + "/?", handler, {"registry": registry}) for path, handler in ROUTES]
    return Application(routes, default_handler_class=NotFoundHandler, default_handler_args={"registry": registry})
