"""HTTP edges of our three servers: form bodies and OPTIONS, answered as the real services answer them.

The Schema Registry and the REST Proxy run on Confluent's rest-utils (Jetty + Jersey, WADL off);
the platform's Kafka Connect runs the same Jetty and Jersey with WADL off, so it is the reference
these tests compare with. ksqlDB answers through Vert.x's router instead (see stack/ksql/http.py).
"""

from __future__ import annotations

import pytest
import requests

from stack.settings import Settings

MULTIPART_WITHOUT_BOUNDARY = {"Content-Type": "multipart/form-data"}
ACCEPTS = [
    None,
    "*/*",
    "text/plain",
    "text/*",
    "application/json",
    "application/json, text/plain",
    "text/plain, application/json",
    "text/html, */*;q=0.5",
    "application/json;q=0.5, text/plain;q=0.4",
    "application/vnd.schemaregistry.v1+json",
]


@pytest.fixture(scope="module")
def servers(running_platform: Settings) -> dict[str, str]:
    return {
        "schema-registry": running_platform.endpoints.schema_registry_url,
        "rest-proxy": running_platform.endpoints.rest_proxy_url,
        "ksql": running_platform.endpoints.ksql_url,
        "jersey": running_platform.endpoints.kafka_connect_url,
    }


def options(base: str, path: str, accept: str | None) -> requests.Response:
    return requests.options(base + path, headers={"Accept": accept} if accept else {}, timeout=30)


def methods(text: str, separator: str) -> set[str]:
    return {method.strip() for method in text.split(separator)}


@pytest.mark.parametrize(
    ("server", "path"),
    [("schema-registry", "/subjects/x/versions"), ("rest-proxy", "/topics/x")],
)
def test_a_multipart_body_without_boundary_is_415_as_jersey_answers(
    servers: dict[str, str], server: str, path: str
) -> None:
    response = requests.post(servers[server] + path, data="{}", headers=MULTIPART_WITHOUT_BOUNDARY, timeout=30)
    jersey = requests.post(f"{servers['jersey']}/connectors", data="{}", headers=MULTIPART_WITHOUT_BOUNDARY, timeout=30)
    assert response.status_code == jersey.status_code == 415
    assert response.json()["error_code"] == jersey.json()["error_code"] == 415
    assert response.json()["message"]


def test_the_ksql_server_reads_a_multipart_body_as_it_reads_any_other(servers: dict[str, str]) -> None:
    statement = requests.post(
        f"{servers['ksql']}/ksql", data='{"ksql": "SHOW STREAMS;"}', headers=MULTIPART_WITHOUT_BOUNDARY, timeout=30
    )
    assert statement.status_code == 200, statement.text
    assert statement.json()[0]["@type"] == "streams"
    garbage = requests.post(f"{servers['ksql']}/ksql", data="x", headers=MULTIPART_WITHOUT_BOUNDARY, timeout=30)
    assert garbage.status_code == 400
    assert garbage.json()["@type"] == "generic_error" and garbage.json()["error_code"] == 40000


@pytest.mark.parametrize(
    ("server", "path", "allowed"),
    [
        ("schema-registry", "/subjects", {"GET", "HEAD", "OPTIONS"}),
        ("schema-registry", "/subjects/x/versions", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("schema-registry", "/", {"GET", "HEAD", "OPTIONS"}),
        ("rest-proxy", "/topics", {"GET", "HEAD", "OPTIONS"}),
        ("rest-proxy", "/topics/x", {"GET", "HEAD", "POST", "OPTIONS"}),
    ],
)
@pytest.mark.parametrize("accept", ACCEPTS)
def test_options_is_answered_as_jersey_answers(
    servers: dict[str, str], server: str, path: str, allowed: set[str], accept: str | None
) -> None:
    ours = options(servers[server], path, accept)
    jersey = options(servers["jersey"], "/connectors", accept)
    assert ours.status_code == jersey.status_code == 200
    assert ours.headers["Content-Type"] == jersey.headers["Content-Type"]
    assert methods(ours.headers["Allow"], ",") == allowed
    if jersey.content:
        assert methods(ours.text, ", ") == allowed
    else:
        assert ours.content == b""


@pytest.mark.parametrize("server", ["schema-registry", "rest-proxy"])
def test_options_of_an_unknown_path_is_404_as_jersey_answers(servers: dict[str, str], server: str) -> None:
    ours = options(servers[server], "/no/such/path", None)
    jersey = options(servers["jersey"], "/no/such/path", None)
    assert ours.status_code == jersey.status_code == 404
    assert ours.json()["error_code"] == jersey.json()["error_code"] == 404


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/ksql", {"POST"}),
        ("OPTIONS", "/query-stream", {"POST"}),
        ("OPTIONS", "/info", {"GET", "HEAD"}),
        ("OPTIONS", "/", {"GET", "HEAD"}),
        ("GET", "/ksql", {"POST"}),
        ("DELETE", "/", {"GET", "HEAD"}),
    ],
)
def test_the_ksql_server_answers_a_method_a_path_lacks_as_vertx_does(
    servers: dict[str, str], method: str, path: str, allowed: set[str]
) -> None:
    response = requests.request(method, servers["ksql"] + path, timeout=30)
    assert response.status_code == 405
    assert methods(response.headers["Allow"], ",") == allowed
    assert response.content == b""


def test_the_ksql_servers_root_redirects_to_info_with_307_as_ksqldb_does(servers: dict[str, str]) -> None:
    response = requests.get(servers["ksql"] + "/", allow_redirects=False, timeout=30)
    assert response.status_code == 307
    assert response.headers["Location"] == "/info"
