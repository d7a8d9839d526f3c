"""The ksql CLI's input splitting and drawing, on answers shaped as ksqlDB documents and sends them.

A real ksqlDB server cannot run here, so these answers are recorded from ksqlDB's REST API
documentation and its entity classes (some without ``@type``, some with fields our server does not
send): the CLI must draw them all as ksqlDB's own CLI does. No platform needed.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests

from stack.ksql_cli import render
from stack.ksql_cli.client import KsqlClient, QueryStream
from stack.ksql_cli.console import Console
from stack.ksql_cli.input import split_statements

WIDTH = 120

# POST /ksql, the REST docs' example answer: no "@type", no "warnings".
DOCS_CSAS = [
    {
        "statementText": "CREATE STREAM pageviews_home AS SELECT * FROM pageviews_original WHERE pageid='home';",
        "commandId": "stream/PAGEVIEWS_HOME/create",
        "commandStatus": {"status": "SUCCESS", "message": "Stream created and running"},
        "commandSequenceNumber": 10,
    },
    {
        "statementText": "CREATE STREAM pageviews_alice AS SELECT * FROM pageviews_original WHERE userid='alice';",
        "commandId": "stream/PAGEVIEWS_ALICE/create",
        "commandStatus": {"status": "SUCCESS", "message": "Stream created and running"},
        "commandSequenceNumber": 11,
    },
]

SHOW_STREAMS = {
    "@type": "streams",
    "statementText": "SHOW STREAMS;",
    "streams": [
        {
            "type": "STREAM",
            "name": "PAGEVIEWS",
            "topic": "pageviews",
            "keyFormat": "KAFKA",
            "valueFormat": "AVRO",
            "isWindowed": False,
        },
        {
            "type": "STREAM",
            "name": "KSQL_PROCESSING_LOG",
            "topic": "default_ksql_processing_log",
            "keyFormat": "KAFKA",
            "valueFormat": "JSON",
            "isWindowed": False,
        },
    ],
    "warnings": [],
}

DESCRIBE_TABLE = {
    "@type": "sourceDescription",
    "statementText": "DESCRIBE users;",
    "sourceDescription": {
        "name": "USERS",
        "windowType": None,
        "readQueries": [],
        "writeQueries": [],
        "fields": [
            {"name": "USERID", "schema": {"type": "STRING", "fields": None, "memberSchema": None}, "type": "KEY"},
            {"name": "AGE", "schema": {"type": "INTEGER", "fields": None, "memberSchema": None}},
            {
                "name": "TAGS",
                "schema": {"type": "ARRAY", "fields": None, "memberSchema": {"type": "STRING"}},
            },
            {
                "name": "ADDRESS",
                "schema": {
                    "type": "STRUCT",
                    "fields": [
                        {"name": "CITY", "schema": {"type": "STRING"}},
                        {"name": "ZIP", "schema": {"type": "INTEGER"}},
                    ],
                    "memberSchema": None,
                },
            },
            {"name": "SCORES", "schema": {"type": "MAP", "memberSchema": {"type": "DOUBLE"}}},
            {"name": "BALANCE", "schema": {"type": "DECIMAL", "parameters": {"precision": 10, "scale": 2}}},
        ],
        "type": "TABLE",
        "timestamp": "",
        "statistics": "",
        "errorStats": "",
        "extended": False,
        "keyFormat": "KAFKA",
        "valueFormat": "JSON",
        "topic": "users",
        "partitions": 0,
        "replication": 0,
        "statement": "CREATE TABLE users (...) WITH (...);",
        "queryOffsetSummaries": [],
        "sourceConstraints": [],
        "clusterStatistics": [],
        "clusterErrorStats": [],
    },
    "warnings": [],
}


def test_a_command_status_without_type_is_a_message_box_under_its_statement() -> None:
    lines = render.entity_lines(DOCS_CSAS, WIDTH)
    box = [" Message                    ", "----------------------------", " Stream created and running "]
    assert lines == [
        "",
        DOCS_CSAS[0]["statementText"],
        *box,
        box[1],
        "",
        DOCS_CSAS[1]["statementText"],
        *box,
        box[1],
    ]


def test_show_streams_lists_them_by_name_between_dashed_rules() -> None:
    assert render.entity_lines([SHOW_STREAMS], WIDTH) == [
        "",
        " Stream Name         | Kafka Topic                 | Key Format | Value Format | Windowed ",
        "------------------------------------------------------------------------------------------",
        " KSQL_PROCESSING_LOG | default_ksql_processing_log | KAFKA      | JSON         | false    ",
        " PAGEVIEWS           | pageviews                   | KAFKA      | AVRO         | false    ",
        "------------------------------------------------------------------------------------------",
    ]


def test_rules_are_cut_at_the_terminal_width() -> None:
    lines = render.entity_lines([SHOW_STREAMS], 40)
    assert lines[2] == lines[5] == "-" * 40
    assert lines[3].startswith(" KSQL_PROCESSING_LOG | ")  # the rows themselves are never cut


def test_show_tables_queries_and_topics() -> None:
    tables = {
        "@type": "tables",
        "tables": [
            {
                "type": "TABLE",
                "name": "TURNSTILE_SUMMARY",
                "topic": "TURNSTILE_SUMMARY",
                "keyFormat": "KAFKA",
                "valueFormat": "JSON",
                "isWindowed": False,
            }
        ],
    }
    assert render.entity_body(tables, WIDTH)[:3] == [
        " Table Name        | Kafka Topic       | Key Format | Value Format | Windowed ",
        "-" * 78,
        " TURNSTILE_SUMMARY | TURNSTILE_SUMMARY | KAFKA      | JSON         | false    ",
    ]
    queries = {
        "@type": "queries",
        "queries": [
            {
                "queryString": "CREATE TABLE TURNSTILE_SUMMARY AS\nSELECT ...;",
                "sinks": ["TURNSTILE_SUMMARY"],
                "sinkKafkaTopics": ["TURNSTILE_SUMMARY"],
                "id": "CTAS_TURNSTILE_SUMMARY_3",
                "statusCount": {"RUNNING": 1},
                "queryType": "PERSISTENT",
                "state": "RUNNING",
            }
        ],
    }
    lines = render.entity_body(queries, 200)
    assert lines[0].split("|") == [
        " Query ID                 ",
        " Status  ",
        " Sink Name         ",
        *lines[0].split("|")[3:],
    ]
    assert lines[2].split(" | ") == [
        " CTAS_TURNSTILE_SUMMARY_3",
        "RUNNING",
        "TURNSTILE_SUMMARY",
        "TURNSTILE_SUMMARY",
        "CREATE TABLE TURNSTILE_SUMMARY ASSELECT ...; ",  # on one line, as ksqlDB's CLI joins it
    ]
    assert lines[-1] == "For detailed information on a Query run: EXPLAIN <Query ID>;"
    topics = {
        "@type": "kafka_topics",
        "topics": [{"name": "a", "replicaInfo": [3, 3]}, {"name": "b", "replicaInfo": [1, 2]}],
    }
    assert render.entity_body(topics, WIDTH)[2:4] == [
        " a           | 2          | 3        ",
        " b           | 2          | 1, 2     ",
    ]


def test_describe_names_types_as_ksqldb_does() -> None:
    assert render.entity_lines([DESCRIBE_TABLE], WIDTH) == [
        "",
        "Name                 : USERS",
        " Field   | Type                                      ",
        "-----------------------------------------------------",
        " USERID  | VARCHAR(STRING)  (primary key)            ",
        " AGE     | INTEGER                                   ",
        " TAGS    | ARRAY<VARCHAR(STRING)>                    ",
        " ADDRESS | STRUCT<CITY VARCHAR(STRING), ZIP INTEGER> ",
        " SCORES  | MAP<STRING, DOUBLE>                       ",
        " BALANCE | DECIMAL(10, 2)                            ",
        "-----------------------------------------------------",
        "For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;",
    ]


def test_describe_extended_adds_the_topic_statement_queries_and_statistics() -> None:
    description = dict(DESCRIBE_TABLE["sourceDescription"])
    description.update(
        extended=True,
        partitions=3,
        replication=1,
        statistics="messages-per-sec:      1.2   total-messages:        42",
        writeQueries=[{"id": "CTAS_USERS_1", "state": "RUNNING", "queryString": "CREATE TABLE users AS\nSELECT 1;"}],
    )
    lines = render.entity_body({"@type": "sourceDescription", "sourceDescription": description}, WIDTH)
    assert lines[:7] == [
        "Name                 : USERS",
        "Type                 : TABLE",
        "Timestamp field      : Not set - using <ROWTIME>",
        "Key format           : KAFKA",
        "Value format         : JSON",
        "Kafka topic          : users (partitions: 3, replication: 1)",
        "Statement            : CREATE TABLE users (...) WITH (...);",
    ]
    queries = lines.index("Queries that write from this TABLE")
    assert lines[queries + 2] == "CTAS_USERS_1 (RUNNING) : CREATE TABLE users ASSELECT 1;"
    assert lines[-3:] == [
        "messages-per-sec:      1.2   total-messages:        42",
        "",
        "(Statistics of the local KSQL server interaction with the Kafka topic users)",
    ]


def test_show_properties_marks_what_the_session_overrides() -> None:
    entity = {
        "@type": "properties",
        "properties": [
            {"name": "ksql.streams.auto.offset.reset", "scope": "KSQL", "value": "earliest"},
            {"name": "ksql.service.id", "scope": "KSQL", "value": "default_", "editable": False, "level": "SERVER"},
            {"name": "ksql.extension.dir", "scope": "KSQL", "value": None},
        ],
        "overwrittenProperties": ["ksql.streams.auto.offset.reset"],
        "defaultProperties": ["ksql.extension.dir"],
    }
    assert render.entity_body(entity, WIDTH)[2:5] == [
        " ksql.extension.dir             | KSQL  |                  | NULL            ",
        " ksql.service.id                | KSQL  | SERVER           | default_        ",
        " ksql.streams.auto.offset.reset | KSQL  | SESSION          | earliest        ",
    ]


def test_warnings_follow_their_entity_and_unknown_entities_show_their_fields() -> None:
    warned = {"@type": "currentStatus", "commandStatus": {"message": "Cannot add stream X: exists."}}
    warned["warnings"] = [{"message": "Cannot add stream X: exists."}]
    assert render.entity_lines([warned], WIDTH)[-1] == "WARNING: Cannot add stream X: exists."
    functions = {"@type": "function_names", "statementText": "SHOW FUNCTIONS;", "functions": [{"name": "ABS"}]}
    assert render.entity_body(functions, WIDTH) == [
        "{",
        '  "functions": [',
        "    {",
        '      "name": "ABS"',
        "    }",
        "  ]",
        "}",
    ]


# POST /query, written one element per line (the REST docs and ksqlDB's QueryStreamWriter).
PUSH_ANSWER = (
    b'[{"header":{"queryId":"transient_PAGEVIEWS_5","schema":"`VIEWTIME` BIGINT, `USERID` STRING, `PAGEID` STRING"}},\n'
    b'{"row":{"columns":[1524760769983,"User_1","Page_28"]}},\n'
    b"\n\n"
    b'{"row":{"columns":[1524760770009,"User_9","Page_45"]}},\n'
    b'{"finalMessage":"Limit Reached"}]\n'
)
PULL_ANSWER = (
    b'[{"header":{"queryId":"query_1","schema":"`ID` STRING KEY, `S` STRUCT<`A` INTEGER, `B, C` STRING>"}},\n'
    b'{"row":{"columns":["k1",{"A":1,"B, C":"x"}]}},\n'
    b'{"row":{"columns":["k2",null],"tombstone":true}}]\n'
)


def elements(answer: bytes) -> list[dict[str, Any]]:
    response = requests.Response()
    response.status_code = 200
    response.raw = io.BytesIO(answer)
    return list(QueryStream(response))


@pytest.fixture
def console(monkeypatch: pytest.MonkeyPatch) -> Console:
    monkeypatch.setenv("COLUMNS", "60")
    return Console(KsqlClient("http://localhost:8088"), io.StringIO())


def test_a_push_query_draws_its_header_rows_and_final_message(console: Console) -> None:
    lines = [line for element in elements(PUSH_ANSWER) for line in console.element_lines(element)]
    assert lines == [
        "+------------------+------------------+------------------+",
        "|VIEWTIME          |USERID            |PAGEID            |",
        "+------------------+------------------+------------------+",
        "|1524760769983     |User_1            |Page_28           |",
        "|1524760770009     |User_9            |Page_45           |",
        "Limit Reached",
    ]


def test_a_pull_query_with_structs_and_tombstones(console: Console) -> None:
    lines = [line for element in elements(PULL_ANSWER) for line in console.element_lines(element)]
    assert lines[1] == "|ID                          |S                           |"
    assert lines[3:] == [
        "|k1                          |{A=1, B, C=x}               |",
        "|k2                          |<TOMBSTONE>                 |",
    ]


def test_long_values_wrap_within_their_cell_and_errors_mid_stream_are_shown(console: Console) -> None:
    assert console.element_lines({"row": {"columns": ["x" * 30, 1]}}) == [
        "|" + "x" * 28 + "|1" + " " * 27 + "|",
        "|xx" + " " * 26 + "|" + " " * 28 + "|",
    ]
    error = {"errorMessage": {"@type": "generic_error", "error_code": 50000, "message": "Query failed."}}
    assert console.element_lines(error) == ["Query failed."]
    assert console.failed


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "null"),
        (True, "true"),
        (1.0, "1.0"),
        (0.001, "0.001"),
        (1e7, "1.0E7"),
        (-1.25e-5, "-1.25E-5"),
        (123456789.5, "1.234567895E8"),
        ({"A": [1, None], "B": {"C": False}}, "{A=[1, null], B={C=false}}"),
    ],
)
def test_values_print_as_java_prints_them(value: Any, shown: str) -> None:
    assert render.value_text(value) == shown


def test_schema_column_names_survive_nested_types_and_quoted_commas() -> None:
    schema = "`ID` STRING KEY, `M` MAP<STRING, DECIMAL(4, 2)>, `we``ird, name` ARRAY<STRUCT<`X` INT>>, `Z` INT"
    assert render.schema_columns(schema) == ["ID", "M", "we`ird, name", "Z"]
    assert render.schema_columns("ROWTIME BIGINT, NAME STRING") == ["ROWTIME", "NAME"]  # KSQL 5 left out the quotes


# --- what the user types ---------------------------------------------------------------------------


def test_statements_end_at_semicolons_outside_quotes_and_comments() -> None:
    split = split_statements(
        "-- a comment; not a statement\n"
        "CREATE STREAM s (note STRING) WITH (KAFKA_TOPIC='a;b', VALUE_FORMAT='JSON'); /* c; */ show\n"
        "streams;SELECT `we;ird` FROM s WHERE note = 'it''s;' EMIT CHANGES; DESCRIBE"
    )
    assert [s.text for s in split.statements] == [
        "CREATE STREAM s (note STRING) WITH (KAFKA_TOPIC='a;b', VALUE_FORMAT='JSON');",
        "show\nstreams;",
        "SELECT `we;ird` FROM s WHERE note = 'it''s;' EMIT CHANGES;",
    ]
    assert split.rest == " DESCRIBE"
    assert [s.is_query for s in split.statements] == [False, False, True]


@pytest.mark.parametrize(
    "unfinished",
    ["SELECT 'open string;", "SELECT 1 /* open comment;", "CREATE STREAM `open;", "SHOW STREAMS"],
)
def test_unfinished_statements_wait_for_more_lines(unfinished: str) -> None:
    split = split_statements(unfinished + "\n")
    assert split.statements == []
    assert split.rest == unfinished + "\n"


def test_blanks_and_comments_alone_leave_nothing_to_wait_for() -> None:
    assert split_statements("  ;; -- only a comment\n /* and another */ \n") == split_statements("")
    assert split_statements("").rest == ""


def test_set_and_unset_are_recognised_in_any_case_and_spacing() -> None:
    first, second, third = split_statements(
        "set 'auto.offset.reset' = 'earliest'; UNSET 'auto.offset.reset'; SET 'a'='b' extra;"
    ).statements
    assert first.property_change() == ("auto.offset.reset", "earliest")
    assert second.property_change() == ("auto.offset.reset", None)
    assert third.property_change() is None
