"""Confluent's behaviour at the edges, over HTTP: odd characters, HEAD and 405, bodies and paging, and a
server that stays responsive while it parses a very large schema."""

from __future__ import annotations

import json
import select
import socket
from urllib.parse import urlsplit

import pytest
import requests

from tests.support.registry import V1_JSON, Api

SURROGATE_DOC = '{"type":"enum","name":"E","symbols":["A"],"doc":"\\ud800"}'
SURROGATE_NAME = '{"type":"enum","name":"E\\ud800","symbols":["A"]}'
GET_ROUTES = [
    "/",
    "/subjects",
    "/subjects/{s}/versions",
    "/subjects/{s}/versions/1",
    "/subjects/{s}/versions/latest/schema",
    "/subjects/{s}/versions/1/referencedby",
    "/schemas",
    "/schemas/types",
    "/schemas/ids/{id}",
    "/schemas/ids/{id}/schema",
    "/schemas/ids/{id}/subjects",
    "/schemas/ids/{id}/versions",
    "/config",
    "/config/{s}?defaultToGlobal=true",
    "/mode",
    "/mode/{s}?defaultToGlobal=true",
    "/contexts",
]


def post_raw(api: Api, path: str, body: str) -> requests.Response:
    """A body sent byte for byte (``requests`` would re-encode a JSON value)."""
    return api.session.post(api.url + path, data=body.encode(), headers={"Content-Type": V1_JSON}, timeout=30)


def test_lone_surrogate_in_a_schema_registers_and_keeps_its_escape(api: Api, subject: str) -> None:
    response = post_raw(api, f"/subjects/{subject}/versions", json.dumps({"schema": SURROGATE_DOC}))
    assert response.status_code == 200, response.text
    schema_id = response.json()["id"]
    fetched = api.request("GET", f"/schemas/ids/{schema_id}")
    assert fetched.status_code == 200
    assert "\\ud800" in fetched.json()["schema"]
    raw = api.request("GET", f"/schemas/ids/{schema_id}/schema")
    assert raw.status_code == 200 and json.loads(raw.content)["doc"] == "\ud800"
    looked_up = post_raw(api, f"/subjects/{subject}", json.dumps({"schema": SURROGATE_DOC}))
    assert looked_up.json()["id"] == schema_id


def test_lone_surrogate_in_an_error_message_still_gives_a_json_error(api: Api, subject: str) -> None:
    response = post_raw(api, f"/subjects/{subject}/versions", json.dumps({"schema": SURROGATE_NAME}))
    assert response.status_code == 422
    body = response.json()
    assert body["error_code"] == 42201 and body["message"]


@pytest.mark.parametrize("route", GET_ROUTES)
def test_head_answers_like_get_without_a_body(api: Api, subject: str, route: str) -> None:
    schema_id = api.register(subject, '{"type":"fixed","name":"F","size":4}').json()["id"]
    path = route.format(s=subject, id=schema_id)
    get = api.session.get(api.url + path, timeout=30)
    head = api.session.head(api.url + path, timeout=30)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert int(head.headers["Content-Length"]) == len(get.content)


def test_head_of_a_missing_subject_is_404_without_a_body(api: Api, subject: str) -> None:
    head = api.session.head(f"{api.url}/subjects/{subject}/versions", timeout=30)
    assert head.status_code == 404 and head.content == b""


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/subjects", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", "/subjects/x/versions", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("POST", "/config", {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}),
        ("GET", "/subjects/x", {"POST", "DELETE", "OPTIONS"}),
        ("DELETE", "/schemas/ids/1", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_every_405_names_the_allowed_methods(api: Api, method: str, path: str, allowed: set[str]) -> None:
    response = api.session.request(method, api.url + path, timeout=30)
    assert response.status_code == 405
    assert response.json()["error_code"] == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


@pytest.mark.parametrize("body", ["false", "[]", "42", '"schema"'])
def test_a_json_body_that_is_not_an_object_is_400(api: Api, subject: str, body: str) -> None:
    for method, path in [("POST", f"/subjects/{subject}/versions"), ("PUT", "/config/" + subject)]:
        response = api.session.request(method, api.url + path, data=body, headers={"Content-Type": V1_JSON}, timeout=30)
        assert response.status_code == 400, response.text
        assert response.json()["error_code"] == 400


@pytest.mark.parametrize("query", ["offset=2147483648", "limit=-2147483649", "offset=abc", "limit=1%1F"])
def test_paging_that_is_no_java_int_is_404_as_jax_rs_answers(api: Api, query: str) -> None:
    response = api.request("GET", f"/subjects?{query}")
    assert response.status_code == 404, response.text
    assert response.json() == {"error_code": 404, "message": "HTTP 404 Not Found"}


def test_empty_config_and_mode_updates_are_accepted(api: Api, subject: str) -> None:
    assert api.request("PUT", f"/config/{subject}", {}).json() == {}
    api.request("PUT", f"/mode/{subject}", {"mode": "READONLY"})
    assert api.request("PUT", f"/mode/{subject}", {}).json() == {}
    assert api.request("GET", f"/mode/{subject}").json()["error_code"] == 40409


def test_latest_in_any_letter_case_and_with_blanks_names_the_latest_version(api: Api, subject: str) -> None:
    api.register(subject, '"string"')
    for version in ("LATEST", "%20latest", "+1"):
        response = api.request("GET", f"/subjects/{subject}/versions/{version}")
        assert response.status_code == 200, (version, response.text)
        assert response.json()["version"] == 1


def big_record(fields: int, name: str) -> str:
    body = [{"name": f"f{n}", "type": "int"} for n in range(fields)]
    return json.dumps({"type": "record", "name": name, "namespace": "big", "fields": body})


def test_server_stays_responsive_while_it_parses_a_20000_field_schema(api: Api, subject: str) -> None:
    """Requests are answered while a 20,000-field schema is parsed: the parse does not hold the event loop.

    Counted, not timed. Looking up a registered schema is a parse and a comparison, nothing else: a
    no-op ``GET /`` counts when its answer came while the lookup's answer had not. Were the parse on
    the event loop, every request sent after the lookup would be answered after it, whatever the
    machine's speed. (How long the requests take meanwhile is measured by ``make bench``.)
    """
    schema = big_record(20_000, "Wide")
    body = json.dumps({"schema": schema}).encode()
    headers = {"Content-Type": V1_JSON}
    registered = api.session.post(f"{api.url}/subjects/{subject}/versions", data=body, headers=headers, timeout=300)
    assert registered.status_code == 200, registered.text
    url = urlsplit(api.url)
    head = (
        f"POST /subjects/{subject} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: {V1_JSON}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=300) as lookup:
        lookup.sendall(head.encode() + body)

        def lookup_answered() -> bool:
            return bool(select.select([lookup], [], [], 0)[0])

        answered_first = 0
        while not lookup_answered():
            assert api.session.get(api.url + "/", timeout=60).status_code == 200
            answered_first += not lookup_answered()
        answer = b""
        while chunk := lookup.recv(65536):
            answer += chunk
    status, _, rest = answer.partition(b"\r\n")
    assert status.split()[1] == b"200", answer[:500]
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["version"] == 1
    assert answered_first >= 5


def test_a_schema_too_large_for_kafka_is_a_store_error_not_a_crash(api: Api, subject: str) -> None:
    response = api.register(subject, big_record(40_000, "TooWide"))
    assert response.status_code == 500
    body = response.json()
    assert body["error_code"] == 50001 and "_schemas" in body["message"]
