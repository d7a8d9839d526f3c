"""The base of every HTTP handler of our servers: JSON in, JSON out, one error body, one 500 policy.

Confluent's servers and ksqlDB answer every failure with ``{"error_code": int, "message": str}``;
a handler answers with :meth:`JsonHandler.reply` (or ``reply_text``, ``no_content``) and refuses
with :meth:`JsonHandler.fail` or by raising :class:`~stack.common.errors.ApiError` (or a server's
subclass) with a code from the server's catalogue; :meth:`JsonHandler.write_error` renders it.
Anything unexpected is logged with its traceback and answered with a generic 500 whose body never
shows the exception's text. HEAD is answered like GET
without a body, and a 405 names the allowed methods in ``Allow``, as HTTP requires.

OPTIONS gets Jersey's own answer, which Confluent's Schema Registry and REST Proxy give (see
:meth:`JsonHandler.options`). Tornado's form parsing is off: our servers read JSON bodies and query
arguments only, and Tornado would refuse a ``multipart/form-data`` body without a boundary with its
own 400 before any route ran. Such a request now meets each server's Content-Type check like any
other type (Confluent's resources consume JSON only: 415).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn

from tornado.httputil import responses
from tornado.web import HTTPError, RequestHandler

from stack.common.errors import ApiError, ErrorCode, HttpErrors
from stack.common.jsontext import dumps, escape_surrogates

log = logging.getLogger(__name__)

INTEGER = re.compile(r"-?[0-9]+")
# Methods a route can implement, in the order an ``Allow`` header lists them.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
JAVA_INT = (-(2**31), 2**31 - 1)
JAVA_LONG = (-(2**63), 2**63 - 1)


def strict_int(text: str) -> int | None:
    """``text`` as an integer, or None unless it is only an optional sign and digits.

    Tornado turns control characters in arguments into spaces and Python's ``int()`` forgives
    spaces, so "0\\x1f" would otherwise pass as 0 where Java's ``Long.parseLong`` refuses it.
    """
    return int(text) if INTEGER.fullmatch(text) else None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(body: bytes) -> Any:
    """A request body as JSON; None when empty; 400 when it is not JSON (``NaN`` and ``Infinity`` included)."""
    if not body.strip():
        return None
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise ApiError(HttpErrors.BAD_REQUEST, f"The request body is not valid JSON: {error}") from None


def render_json(body: Any) -> str:
    """Compact JSON text that always encodes as UTF-8, lone surrogates included (as their escapes)."""
    return dumps(body, compact=True)


def _no_form_arguments() -> None:
    """Stands in for Tornado's form parsing of a request body, which our servers never use."""


def media_type(header: str) -> str:
    """The bare media type of a ``Content-Type`` header or an ``Accept`` part, lower case, parameters dropped."""
    return header.split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class MediaRange:
    """One media range of an ``Accept`` header, as written, with its quality (``q``, 1 by default)."""

    media: str
    params: tuple[str, ...]
    quality: float

    def __str__(self) -> str:
        return ";".join([self.media, *self.params])


def media_ranges(accept: str | None) -> list[MediaRange]:
    """The ranges of an ``Accept`` header, most preferred first: highest quality, then first written.

    A ``q`` that is no number counts as 0; empty parts are no ranges.
    """
    ranges = []
    for part in (accept or "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append(MediaRange(media, tuple(params), quality))
    return sorted(ranges, key=lambda found: -found.quality)  # a stable sort: ties stay as written


def first_accepted(accept: str | None) -> str:
    """The media range an ``Accept`` header prefers, with its parameters (``*/*`` when none)."""
    ranges = media_ranges(accept)
    return str(ranges[0]) if ranges else "*/*"


class JsonHandler(RequestHandler):
    """Request parsing and error rendering shared by every route of every server."""

    internal_error: ClassVar[ErrorCode] = HttpErrors.INTERNAL_SERVER_ERROR
    """The answer to an unexpected failure (the Schema Registry's ``error_code`` is 50001)."""

    def __init__(self, application: Any, request: Any, **kwargs: Any) -> None:
        request._parse_body = _no_form_arguments  # see the module's docstring
        super().__init__(application, request, **kwargs)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.get is not RequestHandler.get and cls.head is RequestHandler.head:
            cls.head = cls.get  # Tornado drops the body of a HEAD response itself

    def content_type(self) -> str:
        """The type of JSON answers, errors included; servers negotiate their own."""
        return "application/json"

    compact: ClassVar[bool] = True
    """Whether answers are written without spaces (the Schema Registry's keep Python's ", " and ": ")."""

    def reply(self, body: Any, status: int = 200) -> None:
        """Answers ``body`` as JSON in the route's content type."""
        self.set_status(status)
        self.set_header("Content-Type", self.content_type())
        self.finish(dumps(body, compact=self.compact))

    def reply_text(self, text: str) -> None:
        """Answers ``text``, already JSON (a stored schema), as the whole body in the route's content type."""
        self.set_header("Content-Type", self.content_type())
        self.finish(escape_surrogates(text))

    def no_content(self) -> None:
        self.set_status(204)
        self.finish()

    def fail(self, code: ErrorCode, message: str | None = None) -> NoReturn:
        """Refuses the request with one of the server's catalogued errors (its template without ``message``)."""
        raise ApiError(code, message)

    def json_body(self) -> Any:
        """The request body as JSON; None when empty; 400 when it is not JSON."""
        return parse_json_body(self.request.body)

    def int_argument(
        self, name: str, default: int | None = None, java_range: tuple[int, int] = JAVA_LONG
    ) -> int | None:
        """An integer query argument parsed as strictly as Java parses a long (or ``JAVA_INT``); 400 otherwise."""
        raw = self.get_query_argument(name, None, strip=False)
        if raw is None:
            return default
        value = strict_int(raw)
        if value is None or not java_range[0] <= value <= java_range[1]:
            raise ApiError(HttpErrors.BAD_REQUEST, f"Query parameter {name} must be an integer")
        return value

    def flag(self, *names: str) -> bool:
        """A boolean query argument: true only for ``true`` in any letter case, as Java parses it."""
        return any((self.get_query_argument(name, None) or "").strip().lower() == "true" for name in names)

    def options(self, *_args: str) -> None:
        """Jersey's automatic OPTIONS answer: 200 with the route's methods in ``Allow``.

        Confluent's rest-utils turns Jersey's WADL off (confluentinc/rest-utils#115), as Kafka
        Connect does (KAFKA-7759); Jersey's ``OptionsMethodProcessor`` then answers: the methods
        again as a ``text/plain`` body when the preferred ``Accept`` range admits text/plain (or
        there is none), else an empty body typed as that range. CORS headers come only with
        ``access.control.allow.origin``, empty by default. tests/integration/common/test_http_edges.py compares
        this answer with the Jersey of the platform's Kafka Connect.
        """
        allowed = self.allowed_methods()
        self.set_header("Allow", ",".join(allowed))
        preferred = first_accepted(self.request.headers.get("Accept"))
        if preferred.split(";")[0].lower() in ("*/*", "text/*", "text/plain"):
            self.set_header("Content-Type", "text/plain")
            self.finish(", ".join(allowed))
        else:
            self.set_header("Content-Type", preferred)
            self.finish()

    def allowed_methods(self) -> list[str]:
        """The methods this route implements (HEAD wherever GET is), for ``Allow`` on a 405 and OPTIONS."""
        return [m for m in METHODS if getattr(type(self), m.lower()) is not getattr(RequestHandler, m.lower())]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, ApiError):
            status, body = error.status, error.body()
        elif status_code < 500:
            reason = (error.reason if isinstance(error, HTTPError) else None) or responses.get(status_code, "Error")
            status, body = status_code, {"error_code": status_code, "message": f"HTTP {status_code} {reason}"}
        else:
            internal = ApiError(self.internal_error)
            status, body = internal.status, internal.body()
        if status == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        self.set_status(status)
        self.set_header("Content-Type", self.content_type())
        self.finish(render_json(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, ApiError) and value.status < 500:
            log.debug("%s %s refused: %s", self.request.method, self.request.path, value.message)
        else:
            super().log_exception(typ, value, tb)


class NotFoundHandler(JsonHandler):
    """Every path no route matches: 404 in the server's error body."""

    def prepare(self) -> None:
        raise ApiError(HttpErrors.NOT_FOUND)
