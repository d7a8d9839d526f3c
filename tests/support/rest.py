"""REST Proxy v2 for tests: its content types, the weather schemas, requests and error checks as a client sends them."""

from __future__ import annotations

import json
from typing import Any

import requests

from tests.support.waiting import wait_for

V2 = "application/vnd.kafka.v2+json"


JSON = "application/vnd.kafka.json.v2+json"


BINARY = "application/vnd.kafka.binary.v2+json"


AVRO = "application/vnd.kafka.avro.v2+json"


WEATHER_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "weather",
        "namespace": "org.chicago.cta",
        "fields": [
            {"name": "temperature", "type": "float"},
            {"name": "status", "type": {"type": "enum", "name": "status", "symbols": ["sunny", "cloudy", "windy"]}},
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
)


KEY_SCHEMA = json.dumps({"type": "record", "name": "weather_key", "fields": [{"name": "timestamp", "type": "long"}]})


def produce(http: requests.Session, url: str, content_type: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(url, json=body, headers={"Content-Type": content_type}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/vnd.kafka.v2+json")
    return response.json()


def post(http: requests.Session, url: str, content_type: str, body: Any) -> requests.Response:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return http.post(url, data=data, headers={"Content-Type": content_type})


def assert_error(response: requests.Response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code
    assert isinstance(body["message"], str) and body["message"]


def create_consumer(http: requests.Session, rest_url: str, group: str, **config: Any) -> str:
    response = http.post(f"{rest_url}/consumers/{group}", json=config, headers={"Content-Type": V2})
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["base_uri"].endswith(f"/consumers/{group}/instances/{created['instance_id']}")
    return created["base_uri"]


def subscribe(http: requests.Session, base: str, *topics: str) -> None:
    response = http.post(f"{base}/subscription", json={"topics": list(topics)}, headers={"Content-Type": V2})
    assert response.status_code == 204, response.text


def read_until(http: requests.Session, base: str, accept: str, count: int) -> list[dict[str, Any]]:
    """Polls like a real client: the first reads may be empty while the group forms."""
    records: list[dict[str, Any]] = []

    def enough() -> bool:
        response = http.get(f"{base}/records", params={"timeout": 1000}, headers={"Accept": accept}, timeout=60)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith(accept)
        records.extend(response.json())
        return len(records) >= count

    wait_for(enough, f"{count} record(s) from {base}", 120, every=0)
    return records
