"""Bad request bodies on the real KSQL server: ksqlDB's status, code and words for each (``requests.py``)."""

from __future__ import annotations

from typing import Any

import requests

from tests.support.ksql import KSQL_JSON


def post(url: str, path: str, body: str) -> requests.Response:
    return requests.post(f"{url}{path}", data=body, headers={"Content-Type": KSQL_JSON}, timeout=60)


def generic_error(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["@type"] == "generic_error" and body["error_code"] == 40000, body
    return body


def test_a_body_that_is_not_a_request_is_invalid_json(ksql_url: str) -> None:
    for path in ("/ksql", "/query", "/query-stream", "/close-query"):
        for body in ("{", "", "[]", '"SHOW STREAMS;"'):
            message = generic_error(post(ksql_url, path, body))["message"]
            assert message.startswith("Invalid JSON in request: "), (path, body, message)


def test_fields_of_the_wrong_json_type_are_invalid_json(ksql_url: str) -> None:
    for body in (
        '{"ksql": ["SHOW STREAMS;"]}',
        '{"ksql": "SHOW STREAMS;", "streamsProperties": ["auto.offset.reset"]}',
        '{"ksql": "SHOW STREAMS;", "commandSequenceNumber": "soon"}',
    ):
        assert generic_error(post(ksql_url, "/ksql", body))["message"].startswith("Invalid JSON in request: ")
    missing_sql = generic_error(post(ksql_url, "/query-stream", '{"properties": {}}'))
    assert missing_sql["message"] == "Invalid JSON in request: Missing required creator property 'sql'"


def test_what_jackson_coerces_is_taken_as_ksqldb_takes_it(ksql_url: str) -> None:
    """No ``ksql`` is no statements (``[]``); a number is its text, a statement that fails to parse."""
    nothing = post(ksql_url, "/ksql", "{}")
    assert nothing.status_code == 200 and nothing.json() == [], nothing.text
    number = post(ksql_url, "/ksql", '{"ksql": 5}')
    assert number.status_code == 400 and number.json()["@type"] == "statement_error", number.text
    assert number.json()["error_code"] == 40001 and number.json()["statementText"] == "5"
    waited = post(ksql_url, "/ksql", '{"ksql": "SHOW STREAMS;", "commandSequenceNumber": "-1"}')
    assert waited.status_code == 200 and waited.json()[0]["@type"] == "streams", waited.text


def test_a_query_without_a_statement_is_refused(ksql_url: str) -> None:
    for body in ("{}", '{"ksql": ""}', '{"ksql": " ", "streamsProperties": {}}'):
        assert generic_error(post(ksql_url, "/query", body))["message"] == '"ksql" field must be populated'
