"""ksqlDB's REST API over the engine: /ksql, /query, /query-stream, /close-query, /info, /healthcheck.

Request and answer shapes follow ksqlDB's (docs/ksql.md in this repository summarises them):
statements are answered with an array of entities, errors with ``statement_error`` (40001) or
``generic_error`` bodies, and queries stream as HTTP/1.1 chunked responses, one JSON element per
line, so that ksqlDB's CLI and simple line-reading clients work unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tornado.iostream import StreamClosedError
from tornado.web import Application, HTTPError

from clients.kafka import off_loop
from stack.common.errors import ApiError
from stack.common.http import JsonHandler, NotFoundHandler, render_json
from stack.ksql import entities
from stack.ksql.config import KsqlConfig
from stack.ksql.engine import Engine, Session
from stack.ksql.errors import Errors, KsqlError, refused, statement_error
from stack.ksql.parser import parse
from stack.ksql.plan import plan_query
from stack.ksql.requests import CloseQueryRequest, KsqlRequest, QueryStreamRequest, invalid_json
from stack.ksql.schema import to_json, type_text
from stack.ksql.statements import Query, StatementError
from stack.ksql.transient import Tombstone, TransientQuery, check_pull

log = logging.getLogger("ksql.http")

KSQL_JSON = "application/vnd.ksql.v1+json"
DELIMITED = "application/vnd.ksqlapi.delimited.v1"
ROW_BUFFER = 500  # rows waiting between a SELECT's thread and its response (ksqlDB's push queries hold 500 too)
LOGGED_STATEMENT_CHARS = 1000  # a refused statement's text is logged up to this length
HAND_OVER_CHECK_SECONDS = 0.5  # how often a query thread waiting for room looks whether its query was stopped


class ClientGone(Exception):
    """The client of a SELECT stopped reading, and its connection was closed."""


class Services:
    """What the handlers share: the engine, the configuration, a pool for blocking calls, the running SELECTs."""

    def __init__(self, engine: Engine, cluster_id: str, config: KsqlConfig) -> None:
        self.engine = engine
        self.cluster_id = cluster_id
        self.service_id = config.service_id
        self.client_timeout = config.push_client_timeout_ms / 1000
        """Seconds the client of a SELECT may take nothing before it is disconnected."""
        self.keep_alive = config.query_stream_disconnect_check_ms / 1000
        self.command_wait = config.command_response_timeout_ms / 1000
        self.executor = ThreadPoolExecutor(config.statement_threads, thread_name_prefix="ksql-statements")
        self.transient: dict[str, TransientQuery] = {}


class KsqlHandler(JsonHandler):
    """Base: ksqlDB's content types and error bodies."""

    internal_error = Errors.SERVER_ERROR

    def initialize(self, services: Services) -> None:
        self.services = services

    def options(self, *_args: str) -> None:
        """ksqlDB has no OPTIONS routes: its Vert.x router answers 405, as for any method a path lacks.

        Its CORS handler, which would answer a preflight, is installed only when
        ``access.control.allow.origin`` is set (ksqlDB's ``KsqlCorsHandler``); it is empty by default.
        """
        raise HTTPError(405)

    def allowed_methods(self) -> list[str]:
        return [method for method in super().allowed_methods() if method != "OPTIONS"]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A method the path lacks gets Vert.x's 405: ``Allow`` and an empty body; other errors ksqlDB's JSON."""
        error = kwargs.get("exc_info", (None, None, None))[1]
        if status_code == 405 and not isinstance(error, ApiError):
            self.set_header("Allow", ",".join(self.allowed_methods()))
            self.clear_header("Content-Type")
            self.finish()
            return
        super().write_error(status_code, **kwargs)

    def content_type(self) -> str:
        return "application/json" if "application/json" in self.request.headers.get("Accept", "") else KSQL_JSON

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """A refused statement is logged with its reason: the operator sees why a client's statement failed."""
        if isinstance(value, KsqlError) and "statementText" in value.extra:
            text = " ".join(str(value.extra["statementText"]).split())
            log.warning(
                "%s refused a statement (%d %d): %s. Statement: %s",
                self.request.path,
                value.status,
                value.error_code,
                value.message,
                text if len(text) <= LOGGED_STATEMENT_CHARS else text[:LOGGED_STATEMENT_CHARS] + "...",
            )
            return
        super().log_exception(typ, value, tb)

    def request_body(self) -> object:
        """The body as JSON (None when empty), for a typed request of ``requests.py`` to read."""
        try:
            return self.json_body()
        except ApiError as error:  # the parser's reason, under ksqlDB's words
            raise invalid_json(error.message.removeprefix("The request body is not valid JSON: ")) from None

    async def wait_for_sequence(self, sequence: int | None) -> None:
        """Waits until this server has applied the command a client saw last (``commandSequenceNumber``)."""
        if sequence is None:
            return
        commands, wait = self.services.engine.commands, self.services.command_wait
        assert commands is not None
        if not await off_loop(self.services.executor, lambda: commands.wait_applied(sequence, wait)):
            raise KsqlError(
                Errors.COMMAND_QUEUE_CATCHUP_TIMEOUT,
                f"Timed out while waiting for a previous command to execute. command sequence number: {sequence}",
            )


class StatementsHandler(KsqlHandler):
    """POST /ksql: every statement of the request in order; stops at the first that fails."""

    async def post(self) -> None:
        request = KsqlRequest.read(self.request_body())
        text = request.ksql
        try:
            statements = parse(text)
        except StatementError as error:
            raise refused(error, text) from None
        session = Session(request.streams_properties)
        await self.wait_for_sequence(request.command_sequence_number)
        done: list[dict[str, Any]] = []
        for statement in statements:
            try:
                entity = await off_loop(
                    self.services.executor, lambda s=statement: self.services.engine.execute(s, session)
                )
            except StatementError as error:
                if isinstance(statement, Query):  # a SELECT belongs on /query: ksqlDB's own code says so
                    raise statement_error(statement.text, str(error), done, Errors.QUERY_ENDPOINT) from None
                raise refused(error, statement.text, done) from None
            if entity is not None:
                done.append(entity)
        self.reply(done)


class StreamingHandler(KsqlHandler):
    """Runs one SELECT and streams its rows until it ends or the client goes away."""

    query: TransientQuery | None = None

    def on_connection_close(self) -> None:
        if self.query is not None:
            self.query.stop()

    def start_query(self, text: str, properties: dict[str, Any], tombstones: bool) -> TransientQuery:
        """The query of a request; ``tombstones``: whether a push query over a table sends deleted rows."""
        try:
            statements = parse(text)
        except StatementError as error:
            raise refused(error, text) from None
        if len(statements) != 1 or not isinstance(statements[0], Query):
            raise statement_error(text, "Only a single SELECT statement can be issued to this endpoint.")
        statement = statements[0]
        engine = self.services.engine
        select = statement.select
        source = engine.metastore.source(select.source)
        try:
            if source is None:
                raise StatementError(f"{select.source} does not exist.")
            plan = plan_query(select, source)
            if not select.emit_changes:
                check_pull(plan)
            session = Session(properties)
            push, offset_reset = select.emit_changes, session.offset_reset()
            return TransientQuery(plan, engine.runtime, push, offset_reset, tombstones)
        except StatementError as error:
            raise refused(error, statement.text) from None

    async def stream(self, query: TransientQuery, write_header: Any, write_row: Any, finish: Any) -> None:
        """Runs the query on its own thread; writes rows as they come and a newline while idle.

        At most ROW_BUFFER rows wait for the client, and each write is sent before more rows are
        taken: a client that reads slowly holds the query's thread back (which waits for room)
        instead of filling the server's memory. One that takes nothing for ``client_timeout``
        seconds is disconnected, so that it does not keep a thread and a Kafka consumer for good.
        """
        self.query = query
        self.services.transient[query.id] = query
        loop = asyncio.get_running_loop()
        rows: asyncio.Queue[Any] = asyncio.Queue(ROW_BUFFER)
        done = object()

        def hand_over(item: Any) -> None:
            """Puts an item in ``rows`` once there is room (the client's pace); gives up if the query stops."""
            try:
                future = asyncio.run_coroutine_threadsafe(rows.put(item), loop)
            except RuntimeError:  # the server's loop has closed
                return
            while not query.stopping.is_set():
                try:
                    future.result(HAND_OVER_CHECK_SECONDS)
                    return
                except TimeoutError:
                    continue
            future.cancel()

        def run() -> None:
            try:
                query.run(hand_over)
            except Exception:
                log.exception("Query %s failed", query.id)
            finally:
                hand_over(done)

        threading.Thread(target=run, name=query.id, daemon=True).start()
        try:
            write_header()
            await self.deliver(query)
            while True:
                try:
                    item = await asyncio.wait_for(rows.get(), self.services.keep_alive)
                except TimeoutError:
                    if query.push:
                        self.write("\n")
                        await self.deliver(query)
                    continue
                while item is not done:
                    tombstone = isinstance(item, Tombstone)
                    write_row([to_json(v) for v in (item.values if tombstone else item)], tombstone)
                    if rows.empty():
                        break
                    item = rows.get_nowait()
                if item is done:
                    break
                await self.deliver(query)
            finish()
            self.finish()
        except (StreamClosedError, ClientGone):
            pass
        finally:
            query.stop()
            self.services.transient.pop(query.id, None)

    async def deliver(self, query: TransientQuery) -> None:
        """Sends what was written; closes the connection of a client that takes none of it in time."""
        timeout = self.services.client_timeout
        try:
            await asyncio.wait_for(self.flush(), timeout)
        except TimeoutError:
            log.warning(
                "Query %s: its client has read nothing for %.0f s; closing the connection to free the query.",
                query.id,
                timeout,
            )
            assert self.request.connection is not None
            self.request.connection.close()
            raise ClientGone() from None


class QueryHandler(StreamingHandler):
    """POST /query: ``[{"header":...},\\n{"row":...},\\n ... {"finalMessage":...}]``, one element per line."""

    async def post(self) -> None:
        request = KsqlRequest.read(self.request_body())
        text = request.single_statement()
        await self.wait_for_sequence(request.command_sequence_number)
        query = await off_loop(
            self.services.executor, lambda: self.start_query(text, request.streams_properties, tombstones=True)
        )
        self.set_header("Content-Type", self.content_type())
        schema = query.plan.output.header_text(mark_keys=not query.push)
        header = {"header": {"queryId": query.id, "schema": schema}}

        def write_header() -> None:
            self.write("[" + render_json(header) + (",\n" if query.push else ""))

        def write_row(values: list[Any], tombstone: bool) -> None:
            row: dict[str, Any] = {"columns": values, "tombstone": True} if tombstone else {"columns": values}
            element = render_json({"row": row})
            self.write(element + ",\n" if query.push else ",\n" + element)

        def finish() -> None:
            if query.push:
                message = "Limit Reached" if query.limit_reached else "Query Completed"
                self.write(render_json({"finalMessage": message}) + "]\n")
            else:
                self.write("]\n")

        await self.stream(query, write_header, write_row, finish)


class QueryStreamHandler(StreamingHandler):
    """POST /query-stream: a metadata line then one JSON array per row (delimited), or one JSON array."""

    async def post(self) -> None:
        request = QueryStreamRequest.read(self.request_body())
        query = await off_loop(
            self.services.executor,  # ksqlDB's /query-stream leaves deleted rows out
            lambda: self.start_query(request.sql, request.properties, tombstones=False),
        )
        as_array = "application/json" in self.request.headers.get("Accept", "")
        self.set_header("Content-Type", "application/json" if as_array else DELIMITED)
        columns = query.plan.output.columns
        metadata = {
            "queryId": query.id,
            "columnNames": [c.name for c in columns],
            "columnTypes": [type_text(c.type) for c in columns],
        }

        def write_header() -> None:
            self.write(("[" if as_array else "") + render_json(metadata) + ("" if as_array else "\n"))

        def write_row(values: list[Any], tombstone: bool) -> None:
            self.write(("," if as_array else "") + render_json(values) + ("" if as_array else "\n"))

        def finish() -> None:
            if as_array:
                self.write("]")

        await self.stream(query, write_header, write_row, finish)


class CloseQueryHandler(KsqlHandler):
    async def post(self) -> None:
        request = CloseQueryRequest.read(self.request_body())
        query = self.services.transient.get(request.query_id)
        if query is None:
            raise KsqlError(Errors.BAD_STATEMENT, f"No query with id {request.query_id}")
        query.stop()
        self.set_status(200)
        self.finish()


class InfoHandler(KsqlHandler):
    def get(self) -> None:
        self.reply(entities.server_info(self.services.cluster_id, self.services.service_id))


class HealthcheckHandler(KsqlHandler):
    def get(self) -> None:
        healthy = {"isHealthy": True}
        self.reply(
            {
                "isHealthy": True,
                "details": {"metastore": healthy, "kafka": healthy, "commandRunner": healthy},
                "serverState": "READY",
            }
        )


class RootHandler(KsqlHandler):
    def get(self) -> None:
        self.redirect("/info", status=307)  # ksqlDB's ServerVerticle answers / with 307 Temporary Redirect


class KsqlNotFound(NotFoundHandler, KsqlHandler):
    def prepare(self) -> None:
        raise KsqlError(Errors.NOT_FOUND)


def make_app(services: Services) -> Application:
    options = {"services": services}
    return Application(
        [
            (r"/ksql", StatementsHandler, options),
            (r"/query", QueryHandler, options),
            (r"/query-stream", QueryStreamHandler, options),
            (r"/close-query", CloseQueryHandler, options),
            (r"/info", InfoHandler, options),
            (r"/healthcheck", HealthcheckHandler, options),
            (r"/", RootHandler, options),
        ],
        default_handler_class=KsqlNotFound,
        default_handler_args=options,
    )
