"""The v2 consumer API end to end: create, subscribe, read, commit, inspect, delete."""

from __future__ import annotations

import base64

import requests

from tests.support.kafka import group_name
from tests.support.rest import AVRO, BINARY, JSON, V2, WEATHER_SCHEMA, create_consumer, produce, read_until, subscribe
from tests.support.waiting import wait_for


def test_json_consumer_lifecycle_reads_commits_and_reports_offsets(
    http: requests.Session, rest_url: str, topic: str
) -> None:
    produce(http, f"{rest_url}/topics/{topic}/partitions/0", JSON, {"records": [{"value": {"n": i}} for i in range(5)]})
    group = group_name()
    base = create_consumer(
        http,
        rest_url,
        group,
        name="reader",
        format="json",
        **{"auto.offset.reset": "earliest", "auto.commit.enable": "false"},
    )
    subscribe(http, base, topic)
    assert http.get(f"{base}/subscription").json() == {"topics": [topic]}

    records = read_until(http, base, JSON, 5)
    assert [r["value"] for r in records] == [{"n": i} for i in range(5)]
    assert [(r["topic"], r["partition"], r["offset"], r["key"]) for r in records] == [
        (topic, 0, i, None) for i in range(5)
    ]

    commit = http.post(
        f"{base}/offsets",
        json={"offsets": [{"topic": topic, "partition": 0, "offset": 2}]},
        headers={"Content-Type": V2},
    )
    assert commit.status_code == 200, commit.text
    query = {"partitions": [{"topic": topic, "partition": 0}]}
    committed = http.get(f"{base}/offsets", json=query, headers={"Content-Type": V2})
    assert committed.status_code == 200, committed.text
    assert committed.json() == {"offsets": [{"topic": topic, "partition": 0, "offset": 3, "metadata": ""}]}

    everything = http.post(f"{base}/offsets", headers={"Content-Type": V2})
    assert everything.status_code == 200
    committed = http.get(f"{base}/offsets", json=query, headers={"Content-Type": V2}).json()
    assert committed["offsets"][0]["offset"] == 5

    assert http.delete(f"{base}/subscription").status_code == 204
    assert http.get(f"{base}/subscription").json() == {"topics": []}
    assert http.delete(base).status_code == 204
    gone = http.get(f"{base}/records", headers={"Accept": JSON})
    assert gone.status_code == 404 and gone.json()["error_code"] == 40403


def test_a_new_consumer_in_the_group_resumes_after_the_committed_offset(
    http: requests.Session, rest_url: str, topic: str
) -> None:
    produce(http, f"{rest_url}/topics/{topic}/partitions/1", JSON, {"records": [{"value": i} for i in range(6)]})
    group = group_name()
    config = {"format": "json", "auto.offset.reset": "earliest", "auto.commit.enable": "false"}
    first = create_consumer(http, rest_url, group, **config)
    subscribe(http, first, topic)
    assert len(read_until(http, first, JSON, 6)) == 6
    http.post(
        f"{first}/offsets",
        json={"offsets": [{"topic": topic, "partition": 1, "offset": 3}]},
        headers={"Content-Type": V2},
    )
    assert http.delete(first).status_code == 204

    second = create_consumer(http, rest_url, group, **config)
    subscribe(http, second, topic)
    assert [r["value"] for r in read_until(http, second, JSON, 2)] == [4, 5]
    http.delete(second)


def test_binary_consumer_returns_base64_keys_and_values(http: requests.Session, rest_url: str, topic: str) -> None:
    raw = b"\x00\x01binary\xff"
    body = {"records": [{"key": base64.b64encode(b"k").decode(), "value": base64.b64encode(raw).decode()}]}
    produce(http, f"{rest_url}/topics/{topic}", BINARY, body)
    base = create_consumer(http, rest_url, group_name(), format="binary", **{"auto.offset.reset": "earliest"})
    subscribe(http, base, topic)

    (record,) = read_until(http, base, BINARY, 1)
    assert base64.b64decode(record["key"]) == b"k"
    assert base64.b64decode(record["value"]) == raw
    http.delete(base)


def test_avro_consumer_returns_records_in_avro_json(http: requests.Session, rest_url: str, topic: str) -> None:
    values = [
        {"temperature": 20.5, "status": "sunny", "note": {"string": "warm"}},
        {"temperature": 1.0, "status": "windy"},
    ]
    produce(
        http,
        f"{rest_url}/topics/{topic}/partitions/0",
        AVRO,
        {"value_schema": WEATHER_SCHEMA, "records": [{"value": v} for v in values]},
    )
    base = create_consumer(http, rest_url, group_name(), format="avro", **{"auto.offset.reset": "earliest"})
    subscribe(http, base, topic)

    records = read_until(http, base, AVRO, 2)
    assert [r["value"] for r in records] == [
        {"temperature": 20.5, "status": "sunny", "note": {"string": "warm"}},
        {"temperature": 1.0, "status": "windy", "note": None},
    ]
    http.delete(base)


def test_max_bytes_limits_a_response_without_losing_records(http: requests.Session, rest_url: str, topic: str) -> None:
    produce(
        http, f"{rest_url}/topics/{topic}/partitions/0", JSON, {"records": [{"value": "x" * 100} for _ in range(10)]}
    )
    base = create_consumer(http, rest_url, group_name(), format="json", **{"auto.offset.reset": "earliest"})
    subscribe(http, base, topic)

    sizes: list[int] = []
    offsets: list[int] = []

    def all_ten() -> bool:
        response = http.get(f"{base}/records", params={"timeout": 1000, "max_bytes": 250}, headers={"Accept": JSON})
        batch = response.json()
        if batch:
            sizes.append(len(batch))
            offsets.extend(r["offset"] for r in batch)
        return len(offsets) >= 10

    wait_for(all_ten, "the ten records", 120, every=0)
    assert offsets == list(range(10))
    assert max(sizes) <= 2
    http.delete(base)
