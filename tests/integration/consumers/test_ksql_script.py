"""``python ksql.py``: idempotent against the platform's KSQL, one line when KSQL is down; the windowed
TURNSTILE_HOURLY beside TURNSTILE_SUMMARY, added to a platform that has only the older two, and made again
over simulated hours on a platform where an older version made it over the wall clock's."""

from __future__ import annotations

import os
import subprocess
import sys

import requests
from confluent_kafka.admin import AdminClient, ConfigResource

from clients.endpoints import PROJECT_ROOT
from stack.settings import Settings
from tests.support.waiting import wait_for

CONSUMERS = PROJECT_ROOT / "consumers"


def run_ksql_script(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "ksql.py"],
        cwd=CONSUMERS,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_second_run_changes_nothing_and_says_so(running_platform: Settings) -> None:
    for _ in range(2):
        result = run_ksql_script()
        assert result.returncode == 0, result.stderr
    assert "already exist; nothing to do" in result.stderr
    describe = requests.post(
        f"{running_platform.endpoints.ksql_url}/ksql",
        json={"ksql": "DESCRIBE TURNSTILE_SUMMARY;"},
        headers={"Content-Type": "application/vnd.ksql.v1+json"},
        timeout=30,
    )
    assert describe.status_code == 200, describe.text
    fields = {f["name"]: f.get("type") for f in describe.json()[0]["sourceDescription"]["fields"]}
    # The count, and the station id both as the key and in the value, where classic consumers read it.
    assert fields == {"ROWKEY": "KEY", "STATION_ID": None, "COUNT": None}


def test_it_says_in_one_line_when_ksql_is_down() -> None:
    result = run_ksql_script({"KSQL_URL": "http://localhost:9"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: KSQL is not reachable at http://localhost:9 (ConnectionError): "
        "start the platform (`python -m stack up`) or set KSQL_URL."
    ]


HEADERS = {"Content-Type": "application/vnd.ksql.v1+json"}


def statement(url: str, text: str) -> list[dict]:
    response = requests.post(f"{url}/ksql", json={"ksql": text}, headers=HEADERS, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_platform_without_the_hourly_table_gets_it_and_keeps_the_summary(running_platform: Settings) -> None:
    url = running_platform.endpoints.ksql_url
    assert run_ksql_script().returncode == 0
    summary_query = statement(url, "DESCRIBE TURNSTILE_SUMMARY;")[0]["sourceDescription"]["writeQueries"][0]["id"]
    statement(url, "DROP TABLE TURNSTILE_HOURLY;")

    result = run_ksql_script()
    assert result.returncode == 0, result.stderr
    assert "Created the table TURNSTILE_HOURLY" in result.stderr
    assert "TURNSTILE_SUMMARY" not in result.stderr  # left as it was
    described = statement(url, "DESCRIBE TURNSTILE_HOURLY;")[0]["sourceDescription"]
    assert described["windowType"] == "TUMBLING"
    assert [(f["name"], f.get("type")) for f in described["fields"]] == [("STATION_ID", "KEY"), ("ENTRIES", None)]
    assert statement(url, "DESCRIBE TURNSTILE_SUMMARY;")[0]["sourceDescription"]["writeQueries"][0]["id"] == (
        summary_query
    )

    pull = requests.post(
        f"{url}/query",
        json={"ksql": "SELECT * FROM TURNSTILE_HOURLY WHERE STATION_ID = 40380;"},
        headers=HEADERS,
        timeout=60,
    )
    assert pull.status_code == 200, pull.text
    assert pull.json()[0]["header"]["schema"] == (
        "`STATION_ID` INTEGER KEY, `WINDOWSTART` BIGINT KEY, `WINDOWEND` BIGINT KEY, `ENTRIES` BIGINT"
    )

    again = run_ksql_script()
    assert again.returncode == 0, again.stderr
    assert "already exist; nothing to do" in again.stderr


OLDER_HOURLY = (
    "CREATE TABLE TURNSTILE_HOURLY WITH (VALUE_FORMAT='JSON') AS SELECT STATION_ID, COUNT(*) AS ENTRIES "
    "FROM TURNSTILE WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY STATION_ID EMIT CHANGES;"
)
"""The statement the previous version of ksql.py ran: hours of the records' wall-clock timestamps."""


def test_an_hourly_table_over_wall_clock_hours_is_made_again_over_simulated_hours(running_platform: Settings) -> None:
    url = running_platform.endpoints.ksql_url
    assert run_ksql_script().returncode == 0
    summary_query = statement(url, "DESCRIBE TURNSTILE_SUMMARY;")[0]["sourceDescription"]["writeQueries"][0]["id"]
    statement(url, "DROP TABLE TURNSTILE_HOURLY DELETE TOPIC; DROP STREAM TURNSTILE_ENTRIES;")
    statement(url, OLDER_HOURLY)

    result = run_ksql_script()
    assert result.returncode == 0, result.stderr
    assert "Dropped the table TURNSTILE_HOURLY and its topic: it counted wall-clock hours." in result.stderr
    assert "Created the stream TURNSTILE_ENTRIES" in result.stderr
    assert "Created the table TURNSTILE_HOURLY" in result.stderr
    hourly = statement(url, "DESCRIBE TURNSTILE_HOURLY;")[0]["sourceDescription"]
    assert [query["queryString"].split(" FROM ")[1].split()[0] for query in hourly["writeQueries"]] == [
        "TURNSTILE_ENTRIES"
    ]
    entries = statement(url, "DESCRIBE TURNSTILE_ENTRIES;")[0]["sourceDescription"]
    assert entries["timestamp"] == "ENTRY_TIME"
    assert ("ENTRY_TIME", "BIGINT") in [(f["name"], f["schema"]["type"]) for f in entries["fields"]]
    assert statement(url, "DESCRIBE TURNSTILE_SUMMARY;")[0]["sourceDescription"]["writeQueries"][0]["id"] == (
        summary_query
    )
    assert "nothing to do" in run_ksql_script().stderr  # and the next run leaves it


LIMIT = "log.message.timestamp.after.max.ms"


def broker_limit(bootstrap: str) -> int:
    """The limit broker 1 applies now."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    resource = ConfigResource(ConfigResource.Type.BROKER, "1")
    return int(admin.describe_configs([resource])[resource].result(30)[LIMIT].value)


def kafka_configs(*args: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stack",
            "kafka-configs",
            "--entity-type",
            "brokers",
            "--entity-default",
            "--alter",
            *args,
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_warns_when_kafka_refuses_records_ahead_of_its_clock(running_platform: Settings) -> None:
    """Kafka 4's default limit (an hour) would refuse TURNSTILE_HOURLY's rows, timed by the simulated clock:
    the platform lifts it, and ksql.py says so where a broker keeps it (an older local platform)."""
    bootstrap = running_platform.endpoints.kafka_bootstrap_servers
    assert broker_limit(bootstrap) == 2**63 - 1
    assert "refuses records" not in run_ksql_script().stderr
    kafka_configs("--add-config", f"{LIMIT}=3600000")  # Kafka 4's default, as a broker started without ours has
    try:
        wait_for(lambda: broker_limit(bootstrap) == 3_600_000, "the broker to apply Kafka 4's default", 60)
        result = run_ksql_script()
    finally:
        kafka_configs("--delete-config", LIMIT)
        wait_for(lambda: broker_limit(bootstrap) == 2**63 - 1, "the broker to lift the limit again", 60)
    assert result.returncode == 0, result.stderr
    assert (
        "Kafka refuses records more than 3600 s ahead of its clock (log.message.timestamp.after.max.ms); "
        "TURNSTILE_HOURLY writes its rows at the simulated time"
    ) in result.stderr
