"""The ``ksql`` console script against the local platform's KSQL server, driven as a user drives it.

The interactive session runs in a pseudo-terminal (pexpect), so readline, the prompts and Ctrl+C
behave as in a real terminal; ``-e`` and ``-f`` run as scripts do. Every test has its own topic
and stream, and its own HOME for the history file.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from stack.ksql_cli.client import KsqlClient
from tests.support.kafka import new_topic
from tests.support.ksql import suffix

KSQL = str(Path(sys.executable).parent / "ksql")
PROMPT = "ksql> "


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def cli_env(home: Path) -> dict[str, str]:
    return {**os.environ, "HOME": str(home), "TERM": "dumb", "COLUMNS": "160"}


def produce(bootstrap: str, topic: str, rows: dict[str, int]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all"})
    for key, amount in rows.items():
        producer.produce(topic, key=key.encode(), value=json.dumps({"amount": amount}).encode())
    assert producer.flush(30) == 0


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KSQL, *args], env=env, capture_output=True, text=True, timeout=120)


def create_stream(name: str, topic: str) -> str:
    return f"CREATE STREAM {name} (id STRING KEY, amount INT) WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON');"


def interactive(ksql_url: str, env: dict[str, str], **options: object) -> pexpect.spawn:
    """The CLI in a terminal as a user starts it, where Ctrl+C interrupts: a test runner started in the
    background ignores SIGINT, and its children would inherit that."""
    return pexpect.spawn(
        KSQL,
        [ksql_url],
        env=env,
        encoding="utf-8",
        timeout=60,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **options,
    )


def test_an_interactive_session_creates_lists_streams_and_stops_a_push_query_with_ctrl_c(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, cli_env: dict[str, str], home: Path
) -> None:
    topic = new_topic(admin, "test.cli")
    name = f"CLI_{suffix()}".upper()
    produce(bootstrap_servers, topic, {"a": 1, "b": 2})
    child = interactive(ksql_url, cli_env, dimensions=(50, 160))
    try:
        child.expect(rf"CLI v\S+, Server v\S+ located at {ksql_url}")
        child.expect_exact("Server Status: RUNNING")
        child.expect_exact(PROMPT)

        child.sendline(f"CREATE STREAM {name} (id STRING KEY, amount INT)  -- the columns")
        child.expect_exact("\r\n> ")
        child.sendline(f"  WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON');")
        child.expect(r" Message +\r\n-+\r\n Stream created +\r\n-+\r\n")
        child.expect_exact(PROMPT)

        child.sendline("show streams;")
        child.expect(r" Stream Name +\| Kafka Topic +\| Key Format \| Value Format \| Windowed \r\n-+\r\n")
        child.expect(rf" {name} +\| {topic} +\| KAFKA +\| JSON +\| false +\r\n")
        child.expect_exact(PROMPT)

        child.sendline("SET 'auto.offset.reset'='earliest';")
        child.expect_exact("Successfully changed local property 'auto.offset.reset' to 'earliest'.")
        child.expect_exact(PROMPT)

        child.sendline(f"SELECT id, amount FROM {name} EMIT CHANGES;")
        child.expect(r"\+-+\+-+\+\r\n\|ID +\|AMOUNT +\|\r\n\+-+\+-+\+\r\n")
        child.expect(r"\|a +\|1 +\|\r\n\|b +\|2 +\|\r\n")
        produce(bootstrap_servers, topic, {"c": 3})
        child.expect(r"\|c +\|3 +\|\r\n")
        child.sendintr()
        child.expect_exact("Query terminated")
        child.expect_exact(PROMPT)

        child.sendline(f"DESCRIBE {name};")
        child.expect(rf"Name +: {name}\r\n Field +\| Type +\r\n-+\r\n ID +\| VARCHAR\(STRING\)  \(key\) *\r\n")
        child.expect_exact(PROMPT)

        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    history = (home / ".ksql-cli-history").read_text().splitlines()
    assert history[0] == create_stream(name, topic)  # the two lines as one entry, without the comment
    assert history[-1] == "exit"


def test_ctrl_d_at_the_prompt_leaves_and_ctrl_c_drops_an_unfinished_statement(
    ksql_url: str, cli_env: dict[str, str]
) -> None:
    child = interactive(ksql_url, cli_env)
    try:
        child.expect_exact(PROMPT)
        child.sendline("SHOW")
        child.expect_exact("\r\n> ")
        child.sendintr()
        child.expect_exact(PROMPT)
        child.sendline("STREAMS;")  # alone, not as the end of the dropped "SHOW"
        child.expect(r"line 1:1: Syntax Error")
        child.expect_exact(PROMPT)
        child.sendeof()
        child.expect_exact("Exiting ksql.")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_execute_runs_several_statements_and_a_pull_query_then_exits(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, cli_env: dict[str, str]
) -> None:
    topic = new_topic(admin, "test.cli")
    name = f"CLI_{suffix()}".upper()
    produce(bootstrap_servers, topic, {"x": 7})
    result = run(cli_env, ksql_url, "-e", f"{create_stream(name, topic)} SHOW STREAMS; SELECT * FROM {name}")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert " Stream created " in lines
    assert any(line.startswith(f" {name} ") for line in lines)
    header = lines.index("|" + "ID".ljust(78) + "|" + "AMOUNT".ljust(78) + "|")
    assert lines[header + 2] == "|" + "x".ljust(78) + "|" + "7".ljust(78) + "|"
    assert lines[-1] == "Query terminated"


def test_a_file_runs_with_comments_properties_and_a_push_query_to_its_limit(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    topic = new_topic(admin, "test.cli")
    name = f"CLI_{suffix()}".upper()
    produce(bootstrap_servers, topic, {"p": 1, "q": 2, "r": 3})
    script = tmp_path / "script.sql"
    script.write_text(
        f"-- a comment; with a semicolon\n{create_stream(name, topic)}\n"
        "/* the rows written before the query started */ SET 'auto.offset.reset' = 'earliest';\n"
        f"SELECT id,\n  amount * 10 AS tenfold\n  FROM {name} EMIT CHANGES LIMIT 2;\n"
    )
    result = run(cli_env, ksql_url, "-f", str(script))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-4:] == [
        "|" + "p".ljust(78) + "|" + "10".ljust(78) + "|",
        "|" + "q".ljust(78) + "|" + "20".ljust(78) + "|",
        "Limit Reached",
        "Query terminated",
    ]


def test_errors_are_printed_after_what_succeeded_and_fail_the_script(ksql_url: str, cli_env: dict[str, str]) -> None:
    result = run(cli_env, ksql_url, "-e", "SHOW STREAMS; DROP STREAM NO_SUCH_STREAM;")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert re.match(r" Stream Name +\| Kafka Topic +\|", lines[1])
    assert "NO_SUCH_STREAM" in lines[-1]

    result = run(cli_env, ksql_url, "-e", "SELEC 1;")
    assert result.returncode == 1
    assert result.stdout.startswith("line 1:1: Syntax Error\n")

    result = run(cli_env, ksql_url, "-e", "UNSET 'auto.offset.reset'")
    assert result.returncode == 1
    assert result.stdout == "Cannot unset local property 'auto.offset.reset' which was never set in the first place\n"


def test_an_unreachable_server_is_one_line_and_a_failure(cli_env: dict[str, str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://localhost:{port}"
    for args in ([url], [url, "-e", "SHOW STREAMS;"]):
        result = run(cli_env, *args)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr == f"Could not reach the KSQL server at {url}: connection refused.\n"


def test_the_server_comes_from_ksql_url_when_not_given(ksql_url: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    result = run({**cli_env, "KSQL_URL": ksql_url}, "-f", str(tmp_path / "missing.sql"))
    assert result.returncode == 1
    assert result.stderr == f"Cannot read {tmp_path / 'missing.sql'}: No such file or directory.\n"
    result = run({**cli_env, "KSQL_URL": ksql_url}, "-e", "SHOW TOPICS")
    assert result.returncode == 0
    assert " Kafka Topic " in result.stdout


def test_later_requests_carry_the_last_command_sequence_number_and_the_set_properties(
    ksql_url: str, admin: AdminClient
) -> None:
    topic = new_topic(admin, "test.cli")
    name = f"CLI_{suffix()}".upper()
    client = KsqlClient(ksql_url)
    assert "commandSequenceNumber" not in client.request_body("SHOW STREAMS;")
    created = client.run_statements(create_stream(name, topic))
    assert client.last_command_sequence == created[0]["commandSequenceNumber"] >= 0
    client.properties["auto.offset.reset"] = "earliest"
    body = client.request_body("SHOW STREAMS;")
    assert body["commandSequenceNumber"] == client.last_command_sequence
    assert body["streamsProperties"] == {"auto.offset.reset": "earliest"}
    listed = client.run_statements("SHOW STREAMS;")
    assert name in [s["name"] for s in listed[0]["streams"]]


def test_an_address_without_http_is_refused_before_connecting(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "localhost:8088", "-e", "SHOW STREAMS;")
    assert result.returncode == 1
    assert result.stderr == "localhost:8088 is not a server address: it must begin with http:// or https://.\n"
