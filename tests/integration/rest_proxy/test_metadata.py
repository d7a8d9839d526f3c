"""Topic, partition and broker metadata as Confluent's v2 API shapes it."""

from __future__ import annotations

import requests

from tests.support.rest import V2


def test_root_answers_an_empty_object(http: requests.Session, rest_url: str) -> None:
    response = http.get(f"{rest_url}/")
    assert response.status_code == 200
    assert response.json() == {}


def test_topic_list_includes_a_new_topic_but_not_kafka_internals(
    http: requests.Session, rest_url: str, topic: str
) -> None:
    response = http.get(f"{rest_url}/topics", headers={"Accept": V2})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(V2)
    assert topic in response.json()
    assert "__consumer_offsets" not in response.json()


def test_topic_describes_its_configs_and_partitions(http: requests.Session, rest_url: str, topic: str) -> None:
    response = http.get(f"{rest_url}/topics/{topic}")
    assert response.status_code == 200
    described = response.json()
    assert described["name"] == topic
    assert described["configs"]["cleanup.policy"] == "delete"
    assert [p["partition"] for p in described["partitions"]] == [0, 1, 2]
    for partition in described["partitions"]:
        assert partition["leader"] >= 0
        assert any(r["leader"] and r["in_sync"] for r in partition["replicas"])


def test_partitions_are_listed_and_fetched_one_by_one(http: requests.Session, rest_url: str, topic: str) -> None:
    listed = http.get(f"{rest_url}/topics/{topic}/partitions").json()
    assert [p["partition"] for p in listed] == [0, 1, 2]
    one = http.get(f"{rest_url}/topics/{topic}/partitions/1")
    assert one.status_code == 200
    assert one.json() == listed[1]


def test_brokers_are_listed_by_id(http: requests.Session, rest_url: str) -> None:
    brokers = http.get(f"{rest_url}/brokers").json()["brokers"]
    assert brokers and all(isinstance(b, int) for b in brokers)


def test_application_json_clients_get_application_json(http: requests.Session, rest_url: str) -> None:
    response = http.get(f"{rest_url}/topics", headers={"Accept": "application/json"})
    assert response.headers["Content-Type"].startswith("application/json")
