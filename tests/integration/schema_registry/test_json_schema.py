"""JSON Schema (``schemaType: "JSON"``) on the real registry: REST answers as Confluent's, its compatibility
rules on register and check, Confluent's refusal of PROTOBUF, and confluent-kafka's JSONSerializer and
JSONDeserializer round-tripping records through a real Kafka topic."""

from __future__ import annotations

import json
import struct
import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.support.kafka import new_topic
from tests.support.reading import read_to_end
from tests.support.registry import Api

ARRIVAL = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Arrival",
    "type": "object",
    "properties": {"station_id": {"type": "integer"}, "train_id": {"type": "string"}},
    "required": ["station_id", "train_id"],
    "additionalProperties": False,
}
RECORDS = [{"station_id": 40380, "train_id": "BL01"}, {"station_id": 40370, "train_id": "BL02"}]


def closed(**properties: object) -> str:
    return json.dumps({"type": "object", "properties": properties, "additionalProperties": False})


def opened(**properties: object) -> str:
    return json.dumps({"type": "object", "properties": properties})


def register(api: Api, subject: str, schema: str, **extra: object) -> dict:
    response = api.register(subject, schema, schemaType="JSON", **extra)
    assert response.status_code == 200, response.text
    return response.json()


def check(api: Api, subject: str, schema: str, version: str = "latest") -> dict:
    body = {"schema": schema, "schemaType": "JSON"}
    response = api.request("POST", f"/compatibility/subjects/{subject}/versions/{version}?verbose=true", body)
    assert response.status_code == 200, response.text
    return response.json()


def test_schema_types_lists_json_and_avro(api: Api, client: SchemaRegistryClient) -> None:
    assert api.request("GET", "/schemas/types").json() == ["JSON", "AVRO"]
    assert set(client.get_schema_types()) == {"JSON", "AVRO"}


def test_json_schema_registers_and_every_answer_carries_its_type(api: Api, subject: str) -> None:
    text = json.dumps(ARRIVAL)
    schema_id = register(api, subject, text)["id"]
    canonical = json.dumps(ARRIVAL, separators=(",", ":"))

    assert api.request("GET", f"/schemas/ids/{schema_id}").json() == {"schema": canonical, "schemaType": "JSON"}
    version = api.request("GET", f"/subjects/{subject}/versions/1").json()
    assert version == {"subject": subject, "version": 1, "id": schema_id, "schema": canonical, "schemaType": "JSON"}
    assert api.request("GET", f"/subjects/{subject}/versions/latest/schema").json() == ARRIVAL
    assert api.request("GET", f"/schemas/ids/{schema_id}/schema").json() == ARRIVAL
    listed = api.request("GET", f"/schemas?subjectPrefix={subject}").json()
    assert [entry["schemaType"] for entry in listed] == ["JSON"]
    looked_up = api.request("POST", f"/subjects/{subject}", {"schema": text, "schemaType": "JSON"})
    assert looked_up.json() == version


def test_avro_answers_still_leave_the_type_out(api: Api, subject: str) -> None:
    schema_id = api.register(subject, '"string"').json()["id"]
    assert "schemaType" not in api.request("GET", f"/schemas/ids/{schema_id}").json()
    assert "schemaType" not in api.request("GET", f"/subjects/{subject}/versions/1").json()


def test_the_same_json_schema_gets_the_same_id_whatever_its_whitespace(api: Api, subject: str) -> None:
    first = register(api, subject, json.dumps(ARRIVAL))["id"]
    assert register(api, subject, json.dumps(ARRIVAL, indent=4))["id"] == first
    assert api.request("GET", f"/subjects/{subject}/versions").json() == [1]
    assert register(api, subject + "-other", json.dumps(ARRIVAL))["id"] == first


def test_key_order_matters_unless_the_client_normalizes(api: Api, subject: str) -> None:
    schema_id = register(api, subject, json.dumps(ARRIVAL))["id"]
    reordered = json.dumps(dict(reversed(ARRIVAL.items())))
    lookup = api.request("POST", f"/subjects/{subject}", {"schema": reordered, "schemaType": "JSON"})
    assert (lookup.status_code, lookup.json()["error_code"]) == (404, 40403)
    normalized = api.request("POST", f"/subjects/{subject}?normalize=true", {"schema": reordered, "schemaType": "JSON"})
    assert normalized.json()["id"] == schema_id
    assert register(api, subject + "-n", reordered)["id"] != schema_id


def test_the_same_text_as_avro_and_as_json_are_two_schemas(api: Api, subject: str) -> None:
    text = '{"type": "string"}'
    avro_id = api.register(subject + "-avro", text).json()["id"]
    json_id = register(api, subject + "-json", text)["id"]
    assert avro_id != json_id


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"type": "strong"}', '{"required": "station_id"}'])
def test_an_invalid_json_schema_is_42201(api: Api, subject: str, text: str) -> None:
    response = api.register(subject, text, schemaType="JSON")
    assert response.status_code == 422
    assert response.json()["error_code"] == 42201
    assert response.json()["message"].startswith("Invalid schema of type JSON, details: ")


def test_protobuf_is_refused_as_confluent_refuses_a_type_it_has_no_provider_for(api: Api, subject: str) -> None:
    body = {"schema": 'syntax = "proto3"; message M { string a = 1; }', "schemaType": "PROTOBUF"}
    for method, path in [
        ("POST", f"/subjects/{subject}/versions"),
        ("POST", f"/subjects/{subject}"),
        ("POST", f"/compatibility/subjects/{subject}/versions"),
    ]:
        if path == f"/subjects/{subject}":
            register(api, subject, opened())  # a lookup needs the subject to exist
        response = api.request(method, path, body)
        assert response.status_code == 422, path
        assert response.json() == {"error_code": 42201, "message": "Invalid schema type PROTOBUF"}


def test_backward_compatibility_follows_the_content_model(api: Api, subject: str) -> None:
    register(api, subject, opened(foo={"type": "string"}))
    answer = check(api, subject, opened(foo={"type": "string"}, bar={"type": "string"}))
    assert answer["is_compatible"] is False
    assert "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" in answer["messages"][0]
    refused = api.register(subject, opened(foo={"type": "string"}, bar={"type": "string"}), schemaType="JSON")
    assert (refused.status_code, refused.json()["error_code"]) == (409, 40901)

    other = subject + "-closed"
    register(api, other, closed(foo={"type": "string"}))
    assert check(api, other, closed(foo={"type": "string"}, bar={"type": "string"})) == {
        "is_compatible": True,
        "messages": [],
    }
    register(api, other, closed(foo={"type": "string"}, bar={"type": "string"}))
    assert api.request("GET", f"/subjects/{other}/versions").json() == [1, 2]


def test_forward_allows_what_backward_refuses(api: Api, subject: str) -> None:
    register(api, subject, opened(foo={"type": "string"}))
    api.request("PUT", f"/config/{subject}", {"compatibility": "FORWARD"})
    assert check(api, subject, opened(foo={"type": "string"}, bar={"type": "string"}))["is_compatible"] is True
    api.request("PUT", f"/config/{subject}", {"compatibility": "FULL"})
    assert check(api, subject, opened(foo={"type": "string"}, bar={"type": "string"}))["is_compatible"] is False


def test_transitive_levels_check_every_earlier_version(api: Api, subject: str) -> None:
    api.request("PUT", f"/config/{subject}", {"compatibility": "NONE"})
    register(api, subject, json.dumps({"enum": ["a", "b"]}))
    register(api, subject, json.dumps({"enum": ["a"]}))
    candidate = json.dumps({"enum": ["a", "c"]})  # extends version 2, but drops "b" of version 1
    body = {"schema": candidate, "schemaType": "JSON"}
    path = f"/compatibility/subjects/{subject}/versions"
    api.request("PUT", f"/config/{subject}", {"compatibility": "BACKWARD"})
    assert api.request("POST", path, body).json() == {"is_compatible": True}
    api.request("PUT", f"/config/{subject}", {"compatibility": "BACKWARD_TRANSITIVE"})
    assert api.request("POST", path, body).json() == {"is_compatible": False}


def test_a_new_schema_type_is_incompatible_with_earlier_versions_unless_the_level_is_none(
    api: Api, subject: str
) -> None:
    api.register(subject, '"string"')
    answer = check(api, subject, opened())
    assert answer == {"is_compatible": False, "messages": ["Incompatible because of different schema type"]}
    refused = api.register(subject, opened(), schemaType="JSON")
    assert (refused.status_code, refused.json()["error_code"]) == (409, 40901)
    assert "Incompatible because of different schema type" in refused.json()["message"]
    api.request("PUT", f"/config/{subject}", {"compatibility": "NONE"})
    register(api, subject, opened())
    assert api.request("GET", f"/subjects/{subject}/versions/2").json()["schemaType"] == "JSON"


def test_references_to_another_subjects_json_schema(api: Api, subject: str) -> None:
    address = subject + "-address"
    register(api, address, opened(city={"type": "string"}))
    person = opened(address={"$ref": "address.json"})
    references = [{"name": "address.json", "subject": address, "version": 1}]
    schema_id = register(api, subject, person, references=references)["id"]
    assert api.request("GET", f"/schemas/ids/{schema_id}").json()["references"] == references
    assert api.request("GET", f"/subjects/{address}/versions/1/referencedby").json() == [schema_id]
    missing = [{"name": "address.json", "subject": address, "version": 9}]
    assert api.register(subject + "-bad", person, schemaType="JSON", references=missing).status_code == 422


def test_confluent_json_serializer_and_deserializer_round_trip_through_kafka(
    client: SchemaRegistryClient, sr_url: str, bootstrap: str
) -> None:
    topic = new_topic(AdminClient({"bootstrap.servers": bootstrap}), "test.schema_registry.json")
    serializer = JSONSerializer(json.dumps(ARRIVAL), client)
    producer = Producer({"bootstrap.servers": bootstrap})
    for record in RECORDS:
        producer.produce(topic, value=serializer(record, SerializationContext(topic, MessageField.VALUE)))
    assert producer.flush(30) == 0

    registered = client.get_latest_version(f"{topic}-value")
    assert registered.schema.schema_type == "JSON"
    messages = read_to_end(bootstrap, [topic])
    assert len(messages) == len(RECORDS)
    fresh = SchemaRegistryClient({"url": sr_url})  # no cached schemas: the deserializer asks for the id
    deserializer = JSONDeserializer(None, schema_registry_client=fresh)
    decoded = [deserializer(m.value(), SerializationContext(topic, MessageField.VALUE)) for m in messages]
    assert decoded == RECORDS
    assert all(struct.unpack(">bI", m.value()[:5]) == (0, registered.schema_id) for m in messages)
    assert fresh.get_schema(registered.schema_id).schema_type == "JSON"


def test_confluent_client_registers_and_looks_up_json_schemas(client: SchemaRegistryClient) -> None:
    subject = f"test-sr-{uuid.uuid4().hex[:10]}-value"
    schema = Schema(json.dumps(ARRIVAL), "JSON")
    schema_id = client.register_schema(subject, schema)
    assert client.lookup_schema(subject, schema).schema_id == schema_id
    renamed = {**ARRIVAL, "properties": {"station": {"type": "integer"}, "train_id": {"type": "string"}}}
    assert client.test_compatibility(subject, Schema(json.dumps(renamed), "JSON")) is False  # closed: station_id gone
    assert client.test_compatibility(subject, Schema(opened(extra={"type": "string"}), "JSON")) is True  # opened
