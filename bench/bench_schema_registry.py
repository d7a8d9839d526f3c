"""Schema fetches by id from our Schema Registry, against the same server's no-op root endpoint,
and registrations of new subjects (each one a write to ``_schemas`` that is read back).

Serializers and deserializers fetch a schema by id the first time they meet it, so this is the
registry's hot path. The registry answers from memory (its cache of ``_schemas``); the baseline,
``GET /`` on the same server over the same keep-alive session, is what HTTP and Tornado alone cost,
so the ratio is the share of that rate left after the schema lookup and JSON encoding.

A very wide schema (20,000 fields) is registered and looked up while ``GET /`` is timed on another
connection: parsing runs in worker threads, so the slowest of those answers should stay under 100 ms.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import requests

from clients.endpoints import endpoints

REQUESTS = 3_000
WIDE_FIELDS = 20_000
REGISTRATIONS = 100
ROUNDS = 3
SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "arrival",
        "namespace": "org.chicago.cta",
        "fields": [{"name": "station_id", "type": "int"}, {"name": "train_id", "type": "string"}],
    }
)


def _rate(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    for _ in range(REQUESTS):
        session.get(url, timeout=10).raise_for_status()
    return REQUESTS / (time.perf_counter() - started)


def _wide_schema_rows(registry: str) -> list[dict[str, Any]]:
    """Register and look up a 20,000-field record while timing ``GET /`` on another connection."""
    fields = [{"name": f"f{n}", "type": "int"} for n in range(WIDE_FIELDS)]
    body = json.dumps({"schema": json.dumps({"type": "record", "name": "Wide", "fields": fields})})
    subject = f"bench-wide-{uuid.uuid4().hex[:8]}-value"
    headers = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
    took: dict[str, float] = {}

    def register_then_look_up() -> None:
        with requests.Session() as session:
            for step, path in (("register", f"/subjects/{subject}/versions"), ("lookup", f"/subjects/{subject}")):
                started = time.perf_counter()
                session.post(registry + path, data=body, headers=headers, timeout=120).raise_for_status()
                took[step] = time.perf_counter() - started

    latencies = []
    worker = threading.Thread(target=register_then_look_up)
    with requests.Session() as session:
        worker.start()
        while worker.is_alive():
            started = time.perf_counter()
            session.get(f"{registry}/", timeout=30).raise_for_status()
            latencies.append(time.perf_counter() - started)
            time.sleep(0.01)
    worker.join()
    return [
        {
            "metric": f"register a {WIDE_FIELDS:,}-field record",
            "description": "one POST of a new subject's schema with that many int fields, to its answer",
            "value": took["register"] * 1000,
            "unit": "ms",
        },
        {
            "metric": f"look up a {WIDE_FIELDS:,}-field record",
            "description": "the same schema looked up under its subject (POST /subjects/{subject})",
            "value": took["lookup"] * 1000,
            "unit": "ms",
        },
        {
            "metric": "slowest GET / meanwhile",
            "description": "the slowest no-op request on another connection while the wide schema is parsed",
            "value": max(latencies) * 1000,
            "unit": "ms",
            "goal": "< 100 ms",
        },
    ]


def run() -> list[dict[str, Any]]:
    registry = endpoints().schema_registry_url
    with requests.Session() as session:
        subject = f"bench-{uuid.uuid4().hex[:8]}-value"
        response = session.post(
            f"{registry}/subjects/{subject}/versions",
            json={"schema": SCHEMA},
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
            timeout=10,
        )
        schema_id = response.json()["id"]
        registered = time.perf_counter()
        for n in range(REGISTRATIONS):  # each a new subject: written to _schemas and read back
            session.post(
                f"{registry}/subjects/{subject}-{n}/versions",
                json={"schema": SCHEMA},
                headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
                timeout=10,
            ).raise_for_status()
        registrations = REGISTRATIONS / (time.perf_counter() - registered)
        fetch, noop = [], []
        for _ in range(ROUNDS):  # alternating, best of each, so machine load hits both alike
            fetch.append(_rate(session, f"{registry}/schemas/ids/{schema_id}"))
            noop.append(_rate(session, f"{registry}/"))
    return [
        *_wide_schema_rows(registry),
        {
            "metric": "new subjects registered (one at a time)",
            "description": f"{REGISTRATIONS} new subjects, each a write to `_schemas` read back before the answer",
            "value": registrations,
            "unit": "req/s",
        },
        {
            "metric": "schema fetches by id (in-memory)",
            "description": f"GET /schemas/ids/{{id}} {REQUESTS:,} times on one keep-alive session; best of {ROUNDS}",
            "value": max(fetch),
            "unit": "req/s",
        },
        {
            "metric": "no-op GET / on the same server",
            "description": "the root endpoint the same way: what HTTP and Tornado alone cost (baseline)",
            "value": max(noop),
            "unit": "req/s",
        },
        {
            "metric": "schema fetch / no-op rate",
            "description": "schema fetches as a share of the no-op rate: the cost of the lookup itself",
            "value": 100 * max(fetch) / max(noop),
            "unit": "%",
            "baseline": max(noop),
        },
    ]
