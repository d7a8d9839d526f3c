"""Runs a Tornado application as a process: logging, listen address, signals and a clean shutdown.

The status page (``consumers/server.py``) and each of our servers (``python -m stack.<server>``)
call :func:`run` with a title, a port and a ``build`` async context manager: on entry it connects
to Kafka and returns the Tornado application, on exit it closes what it opened. The port is bound
*before* that start-up work, so a busy port is reported at once in one line (exit code 1) instead
of after a minute of start-up or as a traceback. The server starts answering only after ``build``
has entered, so a health check that gets an answer sees a ready server. SIGINT or SIGTERM stops
it: the listener first, then ``build``'s exit.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import sys
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from socket import socket
from typing import Any, Protocol, TypeVar, runtime_checkable

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application

from clients.config import ConfigError
from clients.endpoints import LISTEN_HOST

log = logging.getLogger(__name__)


@runtime_checkable
class Listener(Protocol):
    """A server that accepts its connections itself (the REST Proxy's produce front), not Tornado's ``HTTPServer``."""

    async def start(self, sockets: list[socket]) -> None:
        """Starts accepting connections on the bound ``sockets``."""

    async def stop(self) -> None:
        """Stops accepting, then closes every connection."""


Builder = Callable[[], AbstractAsyncContextManager[Application | Listener]]
T = TypeVar("T")

QUIET_LOGGERS = {
    "tornado.access": logging.ERROR,  # one line per request would drown the useful messages
    "httpx2": logging.WARNING,  # the Schema Registry client logs every request it makes
    "httpx": logging.WARNING,
    "kafka": logging.WARNING,  # librdkafka's own messages (clients.kafka.kafka_log)
}


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)


def run(title: str, port: int, build: Builder, **server_options: Any) -> int:
    """Serves ``build``'s application on ``LISTEN_HOST:port`` until SIGINT/SIGTERM; returns the exit code."""
    configure_logging()
    try:
        sockets = bind_sockets(port, LISTEN_HOST)
    except OSError as error:
        reason = "the port is in use by another program" if error.errno == errno.EADDRINUSE else error.strerror
        print(
            f"error: {title} cannot listen on {LISTEN_HOST}:{port}: {reason}; free it or choose another port.",
            file=sys.stderr,
        )
        return 1
    try:
        asyncio.run(_serve(title, port, sockets, build, server_options))
    except StartupError as error:
        print(f"error: {title} cannot start: {error}", file=sys.stderr)
        return 1
    return 0


def configured(title: str, load: Callable[[], T]) -> T:
    """A process's configuration (``load``: its ``from_env``); a variable that does not fit ends it in one line.

    Logging is set up first: reading the endpoints logs which compose host names were mapped.
    """
    configure_logging()
    try:
        return load()
    except ConfigError as error:
        print(f"error: {title} cannot start: {error}", file=sys.stderr)
        sys.exit(1)


class StartupError(Exception):
    """A server cannot start (Kafka unreachable, its topic unusable); the message says why."""


async def _serve(title: str, port: int, sockets: list[socket], build: Builder, options: dict[str, Any]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    began = time.monotonic()
    async with build() as served:
        listener = served if isinstance(served, Listener) else _TornadoListener(served, options)
        await listener.start(sockets)
        log.info("%s is up on http://localhost:%d (%.1f s).", title, port, time.monotonic() - began)
        await stop.wait()
        log.info("%s is shutting down.", title)
        await listener.stop()
    log.info("%s stopped.", title)


class _TornadoListener:
    """An application served by Tornado's ``HTTPServer``, as every server but the REST Proxy is."""

    def __init__(self, app: Application, options: dict[str, Any]) -> None:
        self._server = HTTPServer(app, **options)

    async def start(self, sockets: list[socket]) -> None:
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()
