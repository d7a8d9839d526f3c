"""``python ksql.py``: idempotent against the platform's KSQL, one line when KSQL is down."""

from __future__ import annotations

import os
import subprocess
import sys

import requests

from clients.endpoints import PROJECT_ROOT
from stack.settings import Settings

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
