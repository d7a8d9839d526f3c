"""The produce routes served beneath Tornado's web layer; every other request goes to the application.

``POST /topics/<topic>`` and ``POST /topics/<topic>/partitions/<partition>`` carry the proxy's load.
Tornado's ``RequestHandler`` (its routing, the handler's construction, headers, coroutine wrapping
and ``finish``) cost about 170 µs of a produce request's ~1.2 ms on the event loop, measured in a
micro-benchmark (407 against 240 µs per request for a 6 kB body answered at once). :class:`ProduceFront`
is the ``HTTPServer``'s delegate in place of the application: it answers those two routes itself,
from the request's start line, headers and body, and hands every other request to the application
unchanged. Tornado's HTTP/1.1 connection still reads and writes every request (chunked bodies, body
size limits, ``Expect: 100-continue``, keep-alive and ``Connection: close``, malformed requests),
so only what a ``RequestHandler`` would do is done here: routing, the answer's headers and
Confluent's error body.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from email.utils import formatdate
from functools import lru_cache

from tornado.escape import url_unescape
from tornado.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    RequestStartLine,
    ResponseStartLine,
    responses,
)
from tornado.web import Application

from stack.common.errors import ApiError, HttpErrors
from stack.common.http import parse_json_body, render_json

from .formats import produce_format, response_type
from .produce import ProduceService
from .requests import partition_number, produce_request

log = logging.getLogger(__name__)

# The application's two produce routes (http.py), as Tornado matches them: on the path, whole.
PRODUCE_PATH = re.compile(r"/topics/([^/]+)(?:/partitions/([^/]+))?\Z")


class ProduceFront(HTTPServerConnectionDelegate):
    """The HTTP server's delegate: produce requests answered here, the rest by ``app``."""

    def __init__(self, app: Application, produce: ProduceService) -> None:
        self.app = app
        self.produce = produce
        self.answering: set[asyncio.Task[None]] = set()  # a running task must be referenced

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
        return _Request(self, server_conn, request_conn)

    def on_close(self, server_conn: object) -> None:
        self.app.on_close(server_conn)


class _Request(HTTPMessageDelegate):
    """One request: a produce request kept here, any other passed through to the application as it arrives."""

    def __init__(self, front: ProduceFront, server_conn: object, connection: HTTPConnection) -> None:
        self._front = front
        self._server_conn = server_conn
        self._connection = connection
        self._other: HTTPMessageDelegate | None = None
        self._target: re.Match[str] | None = None
        self._headers = HTTPHeaders()
        self._body: list[bytes] = []

    def headers_received(self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders) -> None:
        assert isinstance(start_line, RequestStartLine)
        if start_line.method == "POST":
            self._target = PRODUCE_PATH.match(start_line.path.partition("?")[0])
        if self._target is None:
            self._other = self._front.app.start_request(self._server_conn, self._connection)
            return self._other.headers_received(start_line, headers)  # type: ignore[return-value]
        self._headers = headers
        return None

    def data_received(self, chunk: bytes) -> None:
        if self._other is not None:
            return self._other.data_received(chunk)  # type: ignore[return-value]
        self._body.append(chunk)
        return None

    def finish(self) -> None:
        if self._other is not None:
            self._other.finish()
            return
        task = asyncio.ensure_future(self._answer())
        self._front.answering.add(task)
        task.add_done_callback(self._front.answering.discard)

    def on_connection_close(self) -> None:
        if self._other is not None:
            self._other.on_connection_close()

    async def _answer(self) -> None:
        try:
            status, text = 200, await self._produce()
        except ApiError as error:
            if error.status >= 500:
                log.error("POST %s failed: %s", self._target and self._target.string, error.message)
            status, text = error.status, render_json(error.body())
        except Exception:
            log.exception("POST %s failed", self._target and self._target.string)
            internal = ApiError(HttpErrors.INTERNAL_SERVER_ERROR)
            status, text = internal.status, render_json(internal.body())
        body = text.encode()
        headers = HTTPHeaders()
        headers["Content-Type"] = response_type(self._headers.get("Accept"))
        headers["Content-Length"] = str(len(body))
        headers["Date"] = _http_date(int(time.time()))
        start_line = ResponseStartLine("HTTP/1.1", status, responses.get(status, "Unknown"))
        self._connection.write_headers(start_line, headers, body)
        self._connection.finish()

    async def _produce(self) -> str:
        """What ``BaseHandler.produce`` did: the format, the partition, the body, the records; the answer's JSON."""
        assert self._target is not None
        topic, partition_segment = (_path_argument(group) for group in self._target.groups())
        fmt = produce_format(self._headers.get("Content-Type"))
        partition = None if partition_segment is None else partition_number(partition_segment)
        body = parse_json_body(b"".join(self._body))
        assert topic is not None
        produce = self._front.produce
        request = produce_request(body, partition, await produce.partition_count(topic, partition))
        return await produce.produce(fmt, topic, request)


def _path_argument(segment: str | None) -> str | None:
    """A path segment %-decoded as UTF-8, as Tornado decodes a route's arguments (400 when it is not UTF-8)."""
    if segment is None:
        return None
    try:
        return url_unescape(segment, encoding=None, plus=False).decode()
    except UnicodeDecodeError:
        raise ApiError(HttpErrors.BAD_REQUEST, "HTTP 400 Bad Request") from None


@lru_cache(maxsize=1)
def _http_date(second: int) -> str:
    """The ``Date`` header of answers given in that second, formatted once."""
    return formatdate(second, usegmt=True)
