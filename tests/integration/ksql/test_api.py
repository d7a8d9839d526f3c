"""ksqlDB's REST API as clients see it: entities, errors and status codes."""

from __future__ import annotations

import json

import requests
from confluent_kafka.admin import AdminClient

from tests.support.ksql import KSQL_JSON, ksql, ok, suffix, turnstile_topic


def test_info_and_healthcheck_answer_as_ksqldb_does(ksql_url: str) -> None:
    info = requests.get(f"{ksql_url}/info", timeout=10).json()["KsqlServerInfo"]
    assert info["serverStatus"] == "RUNNING" and info["version"].startswith("0.") and info["kafkaClusterId"]
    health = requests.get(f"{ksql_url}/healthcheck", timeout=10).json()
    assert health["isHealthy"] is True and health["details"]["kafka"]["isHealthy"] is True


def test_a_stream_is_created_listed_described_and_dropped(ksql_url: str, admin: AdminClient) -> None:
    topic = turnstile_topic(admin, partitions=2)
    name = f"rides_{suffix()}".upper()
    (created,) = ok(
        ksql_url,
        f"create stream {name.lower()} (id STRING KEY, amount INT) with (kafka_topic='{topic}', value_format='json');",
    )
    assert created["@type"] == "currentStatus"
    assert created["commandId"] == f"stream/{name}/create"
    assert created["commandStatus"] == {"status": "SUCCESS", "message": "Stream created", "queryId": None}
    assert created["commandSequenceNumber"] >= 0

    (listed,) = ok(ksql_url, "SHOW STREAMS;")
    mine = [s for s in listed["streams"] if s["name"] == name]
    assert mine == [
        {
            "type": "STREAM",
            "name": name,
            "topic": topic,
            "keyFormat": "KAFKA",
            "valueFormat": "JSON",
            "isWindowed": False,
        }
    ]
    (described,) = ok(ksql_url, f"DESCRIBE {name};")
    fields = described["sourceDescription"]["fields"]
    assert fields[0] == {
        "name": "ID",
        "schema": {"type": "STRING", "fields": None, "memberSchema": None},
        "type": "KEY",
    }
    assert described["sourceDescription"]["partitions"] == 2

    (dropped,) = ok(ksql_url, f"DROP STREAM {name};")
    assert dropped["commandStatus"]["message"] == f"Source `{name}` (topic: {topic}) was dropped."
    (listed,) = ok(ksql_url, "LIST STREAMS;")
    assert name not in {s["name"] for s in listed["streams"]}


def test_several_statements_answer_in_order_and_stop_at_the_first_error(ksql_url: str, admin: AdminClient) -> None:
    topic = turnstile_topic(admin, partitions=1)
    name = f"s_{suffix()}".upper()
    response = ksql(
        ksql_url,
        f"CREATE STREAM {name} (a INT) WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON'); "
        f"DESCRIBE no_such_source_{suffix()}; SHOW STREAMS;",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["@type"] == "statement_error" and body["error_code"] == 40001
    assert body["statementText"].startswith("DESCRIBE no_such_source_")
    assert [e["commandId"] for e in body["entities"]] == [f"stream/{name}/create"]


def test_errors_have_ksqldb_codes(ksql_url: str) -> None:
    syntax = ksql(ksql_url, "SELEKT * FROM x;")
    assert syntax.status_code == 400 and syntax.json()["error_code"] == 40001
    assert syntax.json()["message"].startswith("line 1:1: Syntax Error")

    select = ksql(ksql_url, "SELECT * FROM nothing EMIT CHANGES;")
    assert select.status_code == 400 and select.json()["error_code"] == 40002

    not_json = requests.post(f"{ksql_url}/ksql", data="{", headers={"Content-Type": KSQL_JSON}, timeout=10)
    assert not_json.status_code == 400 and not_json.json()["error_code"] == 40000

    missing_topic = ksql(
        ksql_url, f"CREATE STREAM x_{suffix()} (a INT) WITH (KAFKA_TOPIC='absent_{suffix()}', VALUE_FORMAT='JSON');"
    )
    assert missing_topic.status_code == 400 and "does not exist" in missing_topic.json()["message"]

    unknown = requests.get(f"{ksql_url}/nowhere", timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error_code"] == 40400


def test_asking_kafka_about_a_topic_never_creates_it(ksql_url: str, admin: AdminClient) -> None:
    """The server's admin client once made the broker auto-create every topic it looked up (librdkafka's
    default for a producer-type client): a CTAS sink got the broker's default of one partition, not its
    source's three, and a CREATE STREAM refused for a missing topic left that topic behind."""
    absent = f"absent_{suffix()}"
    refused = ksql(ksql_url, f"CREATE STREAM x_{suffix()} (a INT) WITH (KAFKA_TOPIC='{absent}', VALUE_FORMAT='JSON');")
    assert refused.status_code == 400 and "does not exist" in refused.json()["message"]
    assert absent not in admin.list_topics(timeout=30).topics

    topic = turnstile_topic(admin, partitions=3)
    name = f"T_{suffix()}".upper()
    ok(ksql_url, f"CREATE STREAM {name} (a INT) WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON');")
    ok(ksql_url, f"CREATE STREAM {name}_COPY AS SELECT a FROM {name};")
    assert len(admin.list_topics(timeout=30).topics[f"{name}_COPY"].partitions) == 3


def test_if_not_exists_and_or_replace(ksql_url: str, admin: AdminClient) -> None:
    topic = turnstile_topic(admin, partitions=1)
    name = f"s_{suffix()}".upper()
    create = f"CREATE STREAM {name} (a INT) WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON');"
    ok(ksql_url, create)
    again = ksql(ksql_url, create)
    assert again.status_code == 400 and "already exists" in again.json()["message"]
    (quiet,) = ok(ksql_url, create.replace("CREATE STREAM", "CREATE STREAM IF NOT EXISTS"))
    assert quiet["warnings"] and quiet["commandSequenceNumber"] == -1
    ok(ksql_url, create.replace("CREATE STREAM", "CREATE OR REPLACE STREAM").replace("(a INT)", "(a INT, b STRING)"))
    (described,) = ok(ksql_url, f"DESCRIBE {name};")
    assert [f["name"] for f in described["sourceDescription"]["fields"]] == ["A", "B"]


def test_show_topics_hides_internal_topics_and_show_properties_lists_overrides(
    ksql_url: str, admin: AdminClient
) -> None:
    topic = turnstile_topic(admin, partitions=1)
    (topics,) = ok(ksql_url, "SHOW TOPICS;")
    names = {t["name"] for t in topics["topics"]}
    assert topic in names and "_schemas" not in names and "__consumer_offsets" not in names
    (every,) = ok(ksql_url, "SHOW ALL TOPICS;")
    assert "_schemas" in {t["name"] for t in every["topics"]}

    (properties,) = ok(ksql_url, "SET 'auto.offset.reset'='earliest'; SHOW PROPERTIES;")
    values = {p["name"]: p["value"] for p in properties["properties"]}
    assert values["auto.offset.reset"] == "earliest" and properties["overwrittenProperties"] == ["auto.offset.reset"]


def test_a_source_read_by_a_query_cannot_be_dropped_until_terminated(ksql_url: str, admin: AdminClient) -> None:
    topic = turnstile_topic(admin, partitions=1)
    name = f"s_{suffix()}".upper()
    ok(ksql_url, f"CREATE STREAM {name} (a INT, b STRING) WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON');")
    (created,) = ok(ksql_url, f"CREATE STREAM {name}_BIG AS SELECT a, b FROM {name} WHERE a > 10;")
    query_id = created["commandStatus"]["queryId"]
    assert query_id.startswith(f"CSAS_{name}_BIG_")
    (queries,) = ok(ksql_url, "SHOW QUERIES;")
    assert query_id in {q["id"] for q in queries["queries"]}

    refused = ksql(ksql_url, f"DROP STREAM {name};")
    assert refused.status_code == 400 and "You need to terminate them before dropping" in refused.json()["message"]
    (terminated,) = ok(ksql_url, f"TERMINATE {query_id};")
    assert terminated["commandStatus"]["message"] == "Query terminated."
    ok(ksql_url, f"DROP STREAM {name}_BIG DELETE TOPIC; DROP STREAM {name};")
    assert f"{name}_BIG" not in admin.list_topics(timeout=10).topics


def test_json_answers_follow_the_accept_header(ksql_url: str) -> None:
    response = requests.post(
        f"{ksql_url}/ksql",
        data=json.dumps({"ksql": "SHOW STREAMS;"}),
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    default = requests.post(f"{ksql_url}/ksql", json={"ksql": "SHOW TABLES;"}, timeout=10)
    assert default.headers["Content-Type"].startswith(KSQL_JSON)
