"""The proxy's listener: plain produce requests answered by a small asyncio protocol, everything else by Tornado.

``POST /topics/<topic>`` and ``POST /topics/<topic>/partitions/<partition>`` carry the proxy's load.
Tornado's HTTP/1.1 connection (its ``IOStream`` reads, futures, header parsing) and its
``RequestHandler`` (routing, the handler, headers, ``finish``) cost about 0.3 ms of a 100-record
request's ~1.2 ms on the event loop; a bare ``asyncio.Protocol`` does that part in about 0.1 ms
(micro-benchmark: 407 µs per request through a handler, 240 through Tornado's connection alone,
123 through a protocol, with the body's JSON).

So each connection starts here, in :class:`_Connection`, which answers the plain case only: a
keep-alive ``POST`` of HTTP/1.1 to a produce route with a ``Content-Length`` body, headers each on
one line and named once. Any other request (another route or method, chunked bodies,
``Expect: 100-continue``, HTTP/1.0, ``Connection: close``, a body over Tornado's limit, anything
unusual or malformed) hands the connection, with the bytes already read, to Tornado's
``HTTPServer`` and the application, which then serve it to its end as they serve every other
server here: every behaviour but the plain produce request stays Tornado's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import time
from email.utils import formatdate
from functools import lru_cache

from tornado.escape import url_unescape
from tornado.httpserver import HTTPServer
from tornado.httputil import responses
from tornado.iostream import IOStream
from tornado.web import Application

from stack.common.errors import ApiError, HttpErrors
from stack.common.http import parse_json_body, render_json

from .formats import produce_format, response_type
from .produce import ProduceService
from .requests import partition_number, produce_request

log = logging.getLogger(__name__)

# The application's two produce routes (http.py), as Tornado matches them: on the path, whole.
PRODUCE_PATH = re.compile(r"/topics/([^/]+)(?:/partitions/([^/]+))?\Z")
# Tornado's limits (its defaults): a longer head or a larger body is Tornado's to refuse.
MAX_HEAD = 65_536
MAX_BODY = 100 * 1024 * 1024


async def produce_answer(
    produce: ProduceService, topic: str, partition_segment: str | None, content_type: str | None, body: bytes
) -> str:
    """A produce request as HTTP carries it, checked in Confluent's order; the answer's JSON text."""
    fmt = produce_format(content_type)
    partition = None if partition_segment is None else partition_number(partition_segment)
    request = produce_request(parse_json_body(body), partition, await produce.partition_count(topic, partition))
    return await produce.produce(fmt, topic, request)


class ProduceFront:
    """Accepts the proxy's connections (a ``clients.serve.Listener``); hands unusual ones to ``app``'s HTTPServer."""

    def __init__(self, app: Application, produce: ProduceService) -> None:
        self.produce = produce
        self.tornado = HTTPServer(app)
        self.connections: set[_Connection] = set()
        self._servers: list[asyncio.Server] = []

    async def start(self, sockets: list[socket.socket]) -> None:
        loop = asyncio.get_running_loop()
        for sock in sockets:
            self._servers.append(await loop.create_server(lambda: _Connection(self), sock=sock))

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for connection in list(self.connections):
            connection.close()
        self.tornado.stop()
        await self.tornado.close_all_connections()


class _Request:
    """A plain produce request, read whole: its route's segments, two headers and the body."""

    def __init__(self, target: re.Match[str], headers: dict[str, str], body: bytes) -> None:
        self.target = target
        self.content_type = headers.get("content-type")
        self.accept = headers.get("accept")
        self.body = body


class _HandOver(Exception):
    """The request is not a plain produce request: Tornado serves the connection from here on."""


def _read_request(buffer: bytearray) -> tuple[_Request, int] | None:
    """The first request of ``buffer`` and its length; None until it is whole; _HandOver unless it is plain."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0 or head_end > MAX_HEAD:
        if len(buffer) > MAX_HEAD or b"\n\n" in buffer:
            raise _HandOver
        return None
    request_line, *lines = buffer[:head_end].decode("latin-1").split("\r\n")
    method, _, rest = request_line.partition(" ")
    target, _, version = rest.partition(" ")
    matched = PRODUCE_PATH.match(target.partition("?")[0])
    if method != "POST" or version != "HTTP/1.1" or matched is None:
        raise _HandOver
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        lowered = name.lower()
        if not colon or not name or name != name.strip() or "\n" in line or "\r" in line or lowered in headers:
            raise _HandOver
        headers[lowered] = value.strip()
    length = headers.get("content-length", "")
    if {"transfer-encoding", "expect"} & headers.keys() or headers.get("connection", "keep-alive") != "keep-alive":
        raise _HandOver
    if not length.isdigit() or not length.isascii() or int(length) > MAX_BODY:
        raise _HandOver
    end = head_end + 4 + int(length)
    if len(buffer) < end:
        return None
    return _Request(matched, headers, bytes(buffer[head_end + 4 : end])), end


class _Connection(asyncio.Protocol):
    """One client connection: its plain produce requests answered in order, then perhaps handed to Tornado."""

    def __init__(self, front: ProduceFront) -> None:
        self._front = front
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._answering: asyncio.Task[None] | None = None
        self._drained = asyncio.Event()
        self._drained.set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._front.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._front.connections.discard(self)
        self._drained.set()

    def pause_writing(self) -> None:
        self._drained.clear()

    def resume_writing(self) -> None:
        self._drained.set()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._answering is None:
            self._next()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _next(self) -> None:
        """Starts answering the next whole request of the buffer, or hands the connection over."""
        if self._transport is None or self._transport.is_closing():
            return
        try:
            read = _read_request(self._buffer)
        except _HandOver:
            self._answering = asyncio.ensure_future(self._hand_over())
            return
        if read is not None:
            request, length = read
            del self._buffer[:length]
            self._answering = asyncio.ensure_future(self._answer(request))

    async def _answer(self, request: _Request) -> None:
        try:
            status, text = 200, await self._produce(request)
        except ApiError as error:
            if error.status >= 500:
                log.error("POST %s failed: %s", request.target.string, error.message)
            status, text = error.status, render_json(error.body())
        except Exception:
            log.exception("POST %s failed", request.target.string)
            internal = ApiError(HttpErrors.INTERNAL_SERVER_ERROR)
            status, text = internal.status, render_json(internal.body())
        body = text.encode()
        head = (
            f"HTTP/1.1 {status} {responses.get(status, 'Unknown')}\r\n"
            f"Content-Type: {response_type(request.accept)}\r\n"
            f"Content-Length: {len(body)}\r\nDate: {_http_date(int(time.time()))}\r\n\r\n"
        )
        assert self._transport is not None
        if not self._transport.is_closing():
            self._transport.write(head.encode() + body)
        self._answering = None
        self._next()

    async def _produce(self, request: _Request) -> str:
        topic, partition = (_path_argument(group) for group in request.target.groups())
        assert topic is not None
        return await produce_answer(self._front.produce, topic, partition, request.content_type, request.body)

    async def _hand_over(self) -> None:
        """Gives the socket and the bytes read but not answered to Tornado, once every answer is written."""
        transport = self._transport
        assert transport is not None
        transport.pause_reading()
        await self._drained.wait()
        if transport.is_closing():
            return
        own = transport.get_extra_info("socket")
        handed = socket.socket(own.family, own.type, own.proto, os.dup(own.fileno()))
        address = transport.get_extra_info("peername")
        transport.abort()  # closes this side's descriptor only: the connection lives on in the duplicate
        self._front.tornado.handle_stream(_PrefetchedStream(handed, bytes(self._buffer)), address)


class _PrefetchedStream(IOStream):
    """A Tornado stream whose first reads return the bytes the front had already read from the socket."""

    def __init__(self, sock: socket.socket, prefetched: bytes) -> None:
        super().__init__(sock)
        self._prefetched = memoryview(prefetched)

    def read_from_fd(self, buf: bytearray | memoryview) -> int | None:
        if not self._prefetched:
            return super().read_from_fd(buf)
        size = min(len(buf), len(self._prefetched))
        buf[:size] = self._prefetched[:size]
        self._prefetched = self._prefetched[size:]
        return size


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
