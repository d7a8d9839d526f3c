"""The CLI's side of ksqlDB's REST API: ``GET /info``, ``POST /ksql`` and the streamed ``POST /query``.

Only documented request and answer shapes are used, and unknown fields are ignored, so the same
client serves our KSQL server and a real ksqlDB server. Like ksqlDB's CLI it sends the highest
``commandSequenceNumber`` it has seen with every request, so that a statement never runs on a
server that has not yet applied the commands before it, and it sends the properties set with
SET as ``streamsProperties``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import requests

KSQL_JSON = "application/vnd.ksql.v1+json"
HEADERS = {"Content-Type": KSQL_JSON, "Accept": f"{KSQL_JSON}, application/json"}
CONNECT_TIMEOUT = 10.0
STATEMENT_TIMEOUT = 600.0


class Unreachable(Exception):
    """The server did not answer at all (nothing listens, wrong host, timeout)."""


class ServerError(Exception):
    """An error answer: ksqlDB's ``{"@type", "error_code", "message", "statementText"?, "entities"?}``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return str(self.body.get("message") or f"The server answered HTTP {self.status}.")

    @property
    def entities(self) -> list[dict[str, Any]]:
        """What statements before the failing one in the same request returned."""
        entities = self.body.get("entities")
        return entities if isinstance(entities, list) else []


class KsqlClient:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.http = requests.Session()
        self.properties: dict[str, str] = {}
        self.last_command_sequence: int | None = None

    def server_info(self) -> dict[str, Any]:
        """``KsqlServerInfo`` of ``GET /info``: version, kafkaClusterId, ksqlServiceId, serverStatus."""
        response = self._send("GET", "/info", None, STATEMENT_TIMEOUT, stream=False)
        info = json_of(response).get("KsqlServerInfo")
        if not isinstance(info, dict):
            raise ServerError(response.status_code, {"message": f"{self.url}/info is not a ksqlDB server's answer."})
        return info

    def run_statements(self, text: str) -> list[dict[str, Any]]:
        """Runs statements on ``/ksql``; their entities in order (ServerError if one fails)."""
        response = self._send("POST", "/ksql", self.request_body(text), STATEMENT_TIMEOUT, stream=False)
        entities = json_of(response)
        if not isinstance(entities, list):
            raise ServerError(response.status_code, {"message": "The server's answer to /ksql is not a list."})
        sequences = [e["commandSequenceNumber"] for e in entities if isinstance(e.get("commandSequenceNumber"), int)]
        if sequences:
            self.last_command_sequence = max(self.last_command_sequence or -1, *sequences)
        return entities

    def query(self, text: str) -> QueryStream:
        """Starts a SELECT on ``/query``; the rows stream until its LIMIT or until the stream is closed."""
        response = self._send("POST", "/query", self.request_body(text), None, stream=True)
        return QueryStream(response)

    def request_body(self, text: str) -> dict[str, Any]:
        """What /ksql and /query get: the statements, the SET properties, the last command sequence seen."""
        body: dict[str, Any] = {"ksql": text, "streamsProperties": dict(self.properties)}
        if self.last_command_sequence is not None:
            body["commandSequenceNumber"] = self.last_command_sequence
        return body

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, read_timeout: float | None, stream: bool
    ) -> requests.Response:
        try:
            response = self.http.request(
                method,
                self.url + path,
                data=None if body is None else json.dumps(body),
                headers=HEADERS,
                timeout=(CONNECT_TIMEOUT, read_timeout),
                stream=stream,
            )
        except requests.ConnectionError as error:
            raise Unreachable(f"Could not reach the KSQL server at {self.url}: {reason(error)}.") from None
        except requests.Timeout:
            raise Unreachable(f"The KSQL server at {self.url} did not answer in time.") from None
        if response.status_code != 200:
            try:
                body = json_of(response)
            finally:
                response.close()
            raise ServerError(response.status_code, body if isinstance(body, dict) else {})
        return response


class QueryStream:
    """The elements of a ``/query`` answer as they arrive: ``{"header"}``, ``{"row"}``, ``{"finalMessage"}``, ...

    The answer is one JSON array written one element per line (a leading ``[``, a trailing ``,``
    or ``]``); blank lines are the server's keep-alives. Closing the stream closes the connection,
    which is how a client ends a push query.
    """

    def __init__(self, response: requests.Response) -> None:
        self.response = response

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for raw in self.response.iter_lines(chunk_size=None):
            line = raw.decode("utf-8").strip().removeprefix("[").removeprefix(",").strip()
            line = line.removesuffix(",").removesuffix("]").strip()
            if line:
                element = json.loads(line)
                if isinstance(element, dict):
                    yield element

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> QueryStream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def json_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"message": f"The server answered HTTP {response.status_code} with no JSON: {response.text[:200]!r}"}


def reason(error: BaseException) -> str:
    """The operating system's words for a failed connection ("Connection refused"), found in the chained errors."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror.lower()
        pending += [current.__cause__, current.__context__, *(a for a in current.args if isinstance(a, BaseException))]
        pending.append(getattr(current, "reason", None))
    return "no connection"
