"""``python ksql.py`` creates the windowed TURNSTILE_HOURLY beside TURNSTILE_SUMMARY, and adds it to a
platform that has only the older two."""

from __future__ import annotations

import requests

from stack.settings import Settings
from tests.consumers.test_ksql_script import run_ksql_script

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
