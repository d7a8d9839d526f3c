"""Hundreds of malformed or unsupported statements get 40001 (or 40002 for a SELECT) and the server keeps serving.

Statements are drawn from KSQL's own tokens, shuffled, cut and mutated, so that most get past the
tokenizer and fail deeper in the parser or the engine. TERMINATE and DROP are left out: a drawn
``TERMINATE ALL`` would stop other tests' queries on the shared server.
"""

from __future__ import annotations

import os

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.ksql import ksql

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

TOKENS = [
    "CREATE",
    "STREAM",
    "TABLE",
    "AS",
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "EMIT",
    "CHANGES",
    "LIMIT",
    "WITH",
    "(",
    ")",
    ",",
    ";",
    "=",
    "*",
    "'topic'",
    "KAFKA_TOPIC",
    "VALUE_FORMAT",
    "'JSON'",
    "'AVRO'",
    "KEY",
    "PRIMARY",
    "INT",
    "STRING",
    "BIGINT",
    "ARRAY<",
    ">",
    "STRUCT<",
    "COUNT(*)",
    "SUM(",
    "x",
    "`Quoted`",
    "1",
    "2.5",
    "-",
    "+",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "IS",
    "SHOW",
    "LIST",
    "DESCRIBE",
    "EXTENDED",
    "STREAMS",
    "TABLES",
    "QUERIES",
    "WINDOW",
    "TUMBLING",
    "JOIN",
    "PARTITION",
    "INSERT",
    "INTO",
    "PRINT",
    "'",
    "--",
    "/*",
    '"',
    "\n",
    "SET",
    "UNSET",
    "IF",
    "EXISTS",
    "OR REPLACE",
    "LATEST_BY_OFFSET(",
    "CAST(",
    "HAVING",
    "é",
    "\u0000",
]
VALID = [
    "CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');",
    "CREATE TABLE t AS SELECT a, COUNT(*) AS c FROM s GROUP BY a EMIT CHANGES;",
    "SELECT * FROM s WHERE a > 1 EMIT CHANGES LIMIT 3;",
    "DESCRIBE EXTENDED s;",
]

token_soup = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map(" ".join)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid statement with a few tokens deleted, replaced or inserted."""
    words = draw(st.sampled_from(VALID)).split(" ")
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(words) - 1))
        action = draw(st.sampled_from(["delete", "replace", "insert"]))
        if action == "delete" and len(words) > 1:
            del words[position]
        elif action == "replace":
            words[position] = draw(st.sampled_from(TOKENS))
        else:
            words.insert(position, draw(st.sampled_from(TOKENS)))
    return " ".join(words)


@FUZZ
@given(st.one_of(token_soup, mutated(), st.text(max_size=60)))
def test_bad_statements_get_a_statement_error_and_the_server_keeps_serving(ksql_url: str, text: str) -> None:
    response = ksql(ksql_url, text)
    assert response.status_code in (200, 400), (text, response.status_code, response.text)
    body = response.json()
    if response.status_code == 400:
        assert body["error_code"] in (40000, 40001, 40002), (text, body)
        assert body["message"]


def test_the_server_still_answers_after_the_fuzzing(ksql_url: str) -> None:
    assert requests.get(f"{ksql_url}/healthcheck", timeout=10).json()["isHealthy"] is True
