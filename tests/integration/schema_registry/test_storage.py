"""State lives only in the ``_schemas`` topic: restarts keep ids and versions, records use Confluent's layout."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, KafkaException

from clients.endpoints import PROJECT_ROOT
from stack.schema_registry.storage import TOPIC, retry_while_kafka_settles
from tests.support.processes import Script, free_port
from tests.support.reading import read_to_end
from tests.support.registry import Api
from tests.support.waiting import wait_for


class Server:
    """A private registry process on its own port, against the same Kafka as the platform's."""

    def __init__(self, bootstrap: str, log: Path) -> None:
        self.url = f"http://localhost:{free_port()}"
        env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "SCHEMA_REGISTRY_URL": self.url}
        self.script = Script(PROJECT_ROOT, ["-m", "stack.schema_registry"], log, env)

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.script.process

    def start(self) -> Api:
        self.script.start().wait_answering(self.url + "/")
        return Api(self.url)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(30)


@pytest.fixture
def server(bootstrap: str, sr_url: str, tmp_path: Path) -> Iterator[Server]:  # sr_url: the platform must be up
    private = Server(bootstrap, tmp_path / "registry.log")
    yield private
    if private.process is not None and private.process.poll() is None:
        private.script.kill()


def schema(name: str, *fields: str) -> str:
    body = [{"name": f, "type": "string", "default": ""} for f in fields]
    return json.dumps({"type": "record", "name": name, "namespace": "restart", "fields": body})


def test_ids_versions_deletes_and_config_survive_a_crash(server: Server) -> None:
    api = server.start()
    subject = f"test-restart-{uuid.uuid4().hex[:8]}"
    first = api.register(subject, schema("R", "a")).json()["id"]
    second = api.register(subject, schema("R", "a", "b")).json()["id"]
    shared = api.register(subject + "-copy", schema("R", "a")).json()["id"]
    api.request("DELETE", f"/subjects/{subject}/versions/1")
    api.request("PUT", f"/config/{subject}", {"compatibility": "FULL_TRANSITIVE"})
    before = {
        "versions": api.request("GET", f"/subjects/{subject}/versions?deleted=true").json(),
        "live": api.request("GET", f"/subjects/{subject}/versions").json(),
        "latest": api.request("GET", f"/subjects/{subject}/versions/latest").json(),
        "config": api.request("GET", f"/config/{subject}").json(),
        "copy": api.request("GET", f"/subjects/{subject}-copy/versions/1").json(),
    }
    assert shared == first and before["live"] == [2]

    assert server.stop(signal.SIGKILL) != 0
    api = server.start()

    after = {
        "versions": api.request("GET", f"/subjects/{subject}/versions?deleted=true").json(),
        "live": api.request("GET", f"/subjects/{subject}/versions").json(),
        "latest": api.request("GET", f"/subjects/{subject}/versions/latest").json(),
        "config": api.request("GET", f"/config/{subject}").json(),
        "copy": api.request("GET", f"/subjects/{subject}-copy/versions/1").json(),
    }
    assert after == before
    assert api.request("GET", f"/schemas/ids/{first}").status_code == 200
    third = api.register(subject, schema("R", "a", "b", "c")).json()["id"]
    assert third > second
    assert api.request("GET", f"/subjects/{subject}/versions").json() == [2, 3]


def test_json_schemas_keep_their_type_across_a_crash(server: Server) -> None:
    api = server.start()
    subject = f"test-restart-json-{uuid.uuid4().hex[:8]}"
    text = json.dumps({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False})
    schema_id = api.register(subject, text, schemaType="JSON").json()["id"]
    before = api.request("GET", f"/subjects/{subject}/versions/1").json()
    assert before["schemaType"] == "JSON"

    assert server.stop(signal.SIGKILL) != 0
    api = server.start()

    assert api.request("GET", f"/subjects/{subject}/versions/1").json() == before
    assert api.request("GET", f"/schemas/ids/{schema_id}").json()["schemaType"] == "JSON"
    assert api.register(subject, text, schemaType="JSON").json() == {"id": schema_id}  # still the same schema
    widened = json.dumps({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}})
    check = {"schema": widened, "schemaType": "JSON"}
    assert api.request("POST", f"/compatibility/subjects/{subject}/versions/latest", check).json() == {
        "is_compatible": True
    }


def test_graceful_stop_exits_cleanly_and_restarts(server: Server) -> None:
    server.start()
    assert server.stop(signal.SIGTERM) == 0
    assert server.start().request("GET", "/").json() == {}


def test_a_second_registry_sees_registrations_made_through_the_first(server: Server, api: Api, subject: str) -> None:
    other = server.start()
    schema_id = api.register(subject, schema("Shared", "x")).json()["id"]
    wait_for(
        lambda: other.request("GET", f"/subjects/{subject}/versions").status_code == 200, "the other registry to see it"
    )
    assert other.request("GET", f"/subjects/{subject}/versions/1").json()["id"] == schema_id


def test_records_use_confluents_key_and_value_layout(api: Api, bootstrap: str, subject: str) -> None:
    schema_id = api.register(subject, schema("Layout", "x")).json()["id"]
    api.request("PUT", f"/config/{subject}", {"compatibility": "NONE"})
    api.request("DELETE", f"/subjects/{subject}")
    json_subject = subject + "-json"
    json_id = api.register(json_subject, '{ "type": "object" }', schemaType="JSON").json()["id"]

    records = {m.key(): m.value() for m in read_to_end(bootstrap, [TOPIC])}

    schema_key = json.dumps({"keytype": "SCHEMA", "subject": subject, "version": 1, "magic": 1}, separators=(",", ":"))
    value = json.loads(records[schema_key.encode()])
    assert value == {"subject": subject, "version": 1, "id": schema_id, "schema": value["schema"], "deleted": False}
    config_key = json.dumps({"keytype": "CONFIG", "subject": subject, "magic": 0}, separators=(",", ":"))
    assert json.loads(records[config_key.encode()]) == {"compatibilityLevel": "NONE"}
    delete_key = json.dumps({"keytype": "DELETE_SUBJECT", "subject": subject, "magic": 0}, separators=(",", ":"))
    assert json.loads(records[delete_key.encode()]) == {"subject": subject, "version": 1}
    json_key = json.dumps(
        {"keytype": "SCHEMA", "subject": json_subject, "version": 1, "magic": 1}, separators=(",", ":")
    )
    json_value = json.loads(records[json_key.encode()])
    assert json_value == {
        "subject": json_subject,
        "version": 1,
        "id": json_id,
        "schema": '{"type":"object"}',
        "deleted": False,
        "schemaType": "JSON",
    }


def test_schemas_topic_is_compacted_with_one_partition(bootstrap: str, sr_url: str) -> None:
    from confluent_kafka.admin import AdminClient, ConfigResource

    admin = AdminClient({"bootstrap.servers": bootstrap})
    assert len(admin.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions) == 1
    resource = ConfigResource(ConfigResource.Type.TOPIC, TOPIC)
    assert admin.describe_configs([resource])[resource].result(30)["cleanup.policy"].value == "compact"


def test_start_waits_while_a_restarted_broker_has_no_partition_leader_yet() -> None:
    """A broker answers metadata before it has elected leaders; the registry must wait, not crash."""
    answers: list[object] = [
        KafkaException(KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION)),
        KafkaException(KafkaError(KafkaError.LEADER_NOT_AVAILABLE)),
        (0, 42),
    ]

    async def watermark() -> tuple[int, int]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    assert asyncio.run(retry_while_kafka_settles(watermark, "the end of _schemas", timeout=10)) == (0, 42)
    assert answers == []


def test_start_gives_up_with_a_clear_message_when_kafka_never_settles() -> None:
    async def never() -> None:
        raise KafkaException(KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION))

    with pytest.raises(RuntimeError, match="Kafka did not answer for the end of _schemas"):
        asyncio.run(retry_while_kafka_settles(never, "the end of _schemas", timeout=0.6))
