"""What the KSQL server tests share: the server's URL, statements, Avro turnstile events, counts read back.

Every test uses topics and stream/table names of its own, so tests never see each other's rows.
Tests that kill a server start private ones (``KsqlProcess``) with a service id of their own, on free ports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from stack.settings import Settings
from tests.support.ksql import KsqlProcess, ksql, ok, suffix
from tests.support.processes import free_port


@pytest.fixture(scope="session")
def ksql_url(running_platform: Settings) -> str:
    return running_platform.endpoints.ksql_url


@pytest.fixture(scope="session")
def admin(bootstrap_servers: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap_servers})


@pytest.fixture
def private_servers(running_platform: Settings, bootstrap_servers: str, tmp_path: Any) -> Iterator[Any]:
    """Makes up to three private KSQL servers sharing one fresh service id; stops them after the test."""
    service_id = f"test_{suffix()}_"
    made: list[KsqlProcess] = []

    def make(index: int) -> KsqlProcess:
        server = KsqlProcess(
            running_platform.endpoints, bootstrap_servers, free_port(), service_id, str(tmp_path / f"ksql-{index}.log")
        )
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


def _sources_and_queries(url: str) -> tuple[set[tuple[str, str]], set[str]]:
    streams, tables, queries = ok(url, "SHOW STREAMS; SHOW TABLES; SHOW QUERIES;")
    sources = {("STREAM", s["name"]) for s in streams["streams"]} | {("TABLE", t["name"]) for t in tables["tables"]}
    return sources, {q["id"] for q in queries["queries"]}


@pytest.fixture(autouse=True)
def leave_the_server_as_found(request: pytest.FixtureRequest) -> Iterator[None]:
    """Terminates the queries and drops the streams and tables a test made on the shared server.

    Every persistent query is a thread with its own Kafka clients: left running, the suite's queries
    would pile up and slow down every test after them.
    """
    if "ksql_url" not in request.fixturenames:
        yield
        return
    url = request.getfixturevalue("ksql_url")
    sources, queries = _sources_and_queries(url)
    yield
    now_sources, now_queries = _sources_and_queries(url)
    for query_id in sorted(now_queries - queries):
        ok(url, f"TERMINATE {query_id};")
    for kind, name in sorted(now_sources - sources):  # no query reads them any more
        response = ksql(url, f"DROP {kind} IF EXISTS `{name}`;")
        assert response.status_code == 200, response.text
