"""How long the KSQL server's parser takes per statement, for the classic project's statements.

The grammar is compiled once at import (timed here in a fresh interpreter); after that every
request pays only for its own statements. Each figure is the median of several rounds, so that
another process busy on the same machine shows up less in it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

STATEMENTS = {
    "KSQL 5 CREATE TABLE turnstile": (
        "CREATE TABLE turnstile (station_id INT, station_name VARCHAR, line VARCHAR) WITH "
        "(KAFKA_TOPIC='org.chicago.cta.turnstile.v1', VALUE_FORMAT='AVRO', KEY='station_id');"
    ),
    "KSQL 5 CREATE TABLE ... AS SELECT COUNT": (
        "CREATE TABLE turnstile_summary WITH (VALUE_FORMAT='JSON') AS SELECT station_id, "
        "COUNT(station_id) AS count FROM turnstile GROUP BY station_id;"
    ),
    "push query": "SELECT * FROM TURNSTILE_SUMMARY EMIT CHANGES LIMIT 10;",
    "SHOW STREAMS": "SHOW STREAMS;",
}
PARSES = 500
ROUNDS = 5


def _load_time() -> float:
    """Seconds to import the parser (and so compile the grammar) in a fresh interpreter."""
    code = "import time; t = time.perf_counter(); import stack.ksql.parser; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def run() -> list[dict[str, Any]]:
    from stack.ksql.parser import parse

    rows = [
        {
            "metric": "parser import (grammar compiled)",
            "description": "`import stack.ksql.parser` in a fresh interpreter: the grammar is compiled once",
            "value": _load_time() * 1000,
            "unit": "ms",
        }
    ]
    for name, text in STATEMENTS.items():
        rounds = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(PARSES):
                parse(text)
            rounds.append((time.perf_counter() - started) / PARSES)
        rows.append(
            {
                "metric": f"parse {name}",
                "description": f"one parse of the statement, {PARSES} in a row; median of {ROUNDS} rounds",
                "value": statistics.median(rounds) * 1e6,
                "unit": "µs",
                "goal": "< 1000 µs",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['metric']:45} {row['value']:10.1f} {row['unit']}")
