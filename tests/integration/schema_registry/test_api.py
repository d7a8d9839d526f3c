"""Confluent's own SchemaRegistryClient against our registry: the calls applications make."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from tests.support.registry import Api


def user(*extra_fields: dict) -> Schema:
    fields = [{"name": "name", "type": "string"}, *extra_fields]
    return Schema(json.dumps({"type": "record", "name": "User", "namespace": "test", "fields": fields}), "AVRO")


WITH_AGE = {"name": "age", "type": "int", "default": 0}
WITH_REQUIRED_AGE = {"name": "age", "type": "int"}


def test_registering_returns_an_id_that_fetches_the_same_schema(client: SchemaRegistryClient, subject: str) -> None:
    schema_id = client.register_schema(subject, user())
    fetched = client.get_schema(schema_id)
    assert json.loads(fetched.schema_str) == json.loads(user().schema_str)
    assert fetched.schema_type == "AVRO"


def test_registering_the_same_schema_twice_keeps_one_version(client: SchemaRegistryClient, subject: str) -> None:
    first = client.register_schema(subject, user())
    spaced = Schema(json.dumps(json.loads(user().schema_str), indent=4), "AVRO")
    assert SchemaRegistryClient({"url": client._rest_client.base_urls[0]}).register_schema(subject, spaced) == first
    assert client.get_versions(subject) == [1]


def test_same_schema_under_two_subjects_shares_one_id(client: SchemaRegistryClient, subject: str) -> None:
    first = client.register_schema(subject, user())
    second = client.register_schema(subject + "-other", user())
    assert first == second
    assert client.get_version(subject + "-other", 1).schema_id == first
    # Other tests register the same schema, so the id may be shared with their subjects too.
    assert {subject, subject + "-other"} <= set(client.get_subjects_by_schema_id(first))
    assert {(subject, 1), (subject + "-other", 1)} <= {
        (v.subject, v.version) for v in client.get_schema_versions(first)
    }


def test_new_schema_gets_a_new_id_and_the_next_version(client: SchemaRegistryClient, subject: str) -> None:
    first = client.register_schema(subject, user())
    second = client.register_schema(subject, user(WITH_AGE))
    assert second > first
    latest = client.get_latest_version(subject)
    assert (latest.version, latest.schema_id) == (2, second)
    assert client.get_versions(subject) == [1, 2]


def test_lookup_finds_subject_version_and_id(client: SchemaRegistryClient, subject: str) -> None:
    schema_id = client.register_schema(subject, user())
    found = client.lookup_schema(subject, user())
    assert (found.subject, found.version, found.schema_id) == (subject, 1, schema_id)


def test_lookup_of_an_unregistered_schema_is_40403(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, user())
    with pytest.raises(SchemaRegistryError) as raised:
        client.lookup_schema(subject, user(WITH_AGE))
    assert (raised.value.http_status_code, raised.value.error_code) == (404, 40403)


def test_incompatible_schema_is_refused_with_409(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, user())
    with pytest.raises(SchemaRegistryError) as raised:
        client.register_schema(subject, user(WITH_REQUIRED_AGE))
    assert raised.value.http_status_code == 409
    assert raised.value.error_code in (409, 40901)
    assert client.get_versions(subject) == [1]


def test_compatibility_endpoints_answer_without_registering(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, user())
    assert client.test_compatibility(subject, user(WITH_AGE)) is True
    assert client.test_compatibility(subject, user(WITH_REQUIRED_AGE)) is False
    assert client.test_compatibility(subject, user(WITH_REQUIRED_AGE), version=1) is False
    assert client.test_compatibility_all_versions(subject, user(WITH_AGE)) is True
    assert client.get_versions(subject) == [1]


def test_verbose_compatibility_explains_the_problem(api: Api, subject: str) -> None:
    api.register(subject, user().schema_str)
    answer = api.request(
        "POST",
        f"/compatibility/subjects/{subject}/versions/latest?verbose=True",
        {"schema": user(WITH_REQUIRED_AGE).schema_str},
    ).json()
    assert answer["is_compatible"] is False
    assert any("age" in message for message in answer["messages"])


def test_subject_compatibility_level_overrides_the_global_one(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, user())
    assert client.set_compatibility(subject, "NONE") == {"compatibility": "NONE"}
    assert client.get_compatibility(subject) == "NONE"
    client.register_schema(subject, user(WITH_REQUIRED_AGE))
    assert client.get_versions(subject) == [1, 2]
    assert client.delete_config(subject).compatibility_level.value == "NONE"


def test_global_compatibility_defaults_to_backward(client: SchemaRegistryClient) -> None:
    assert client.get_compatibility() == "BACKWARD"
    assert client.get_config().compatibility_level.value == "BACKWARD"


def test_forward_level_refuses_removing_a_required_field(client: SchemaRegistryClient, subject: str) -> None:
    client.set_compatibility(subject, "FORWARD")
    client.register_schema(subject, user(WITH_REQUIRED_AGE))
    with pytest.raises(SchemaRegistryError):
        client.register_schema(subject, user())
    client.register_schema(subject, user(WITH_REQUIRED_AGE, {"name": "extra", "type": "long"}))
    assert client.get_versions(subject) == [1, 2]


def test_transitive_level_checks_all_live_versions(client: SchemaRegistryClient, subject: str) -> None:
    client.set_compatibility(subject, "BACKWARD_TRANSITIVE")
    client.register_schema(subject, user())
    client.register_schema(subject, user(WITH_AGE))
    with pytest.raises(SchemaRegistryError):
        client.register_schema(subject, user(WITH_REQUIRED_AGE))
    client.set_compatibility(subject, "BACKWARD")
    client.register_schema(subject, user(WITH_REQUIRED_AGE))


def test_soft_deleted_version_is_hidden_but_its_id_still_decodes(client: SchemaRegistryClient, subject: str) -> None:
    first = client.register_schema(subject, user())
    client.register_schema(subject, user(WITH_AGE))
    assert client.delete_version(subject, 1) == 1
    assert client.get_versions(subject) == [2]
    assert client.get_versions(subject, deleted=True) == [1, 2]
    fresh = SchemaRegistryClient({"url": client._rest_client.base_urls[0]})
    assert json.loads(fresh.get_schema(first).schema_str) == json.loads(user().schema_str)
    assert fresh.get_version(subject, 1, deleted=True).schema_id == first


def test_versions_are_never_reused_after_a_soft_delete(client: SchemaRegistryClient, api: Api, subject: str) -> None:
    client.register_schema(subject, user())
    assert client.delete_subject(subject) == [1]
    assert subject not in client.get_subjects()
    assert subject in client.get_subjects(deleted=True)
    api.register(subject, user().schema_str)  # the client would answer from its cache
    assert client.get_versions(subject) == [2]


def test_permanent_delete_removes_the_subject_for_good(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, user())
    client.set_compatibility(subject, "FULL")
    client.delete_subject(subject)
    assert client.delete_subject(subject, permanent=True) == [1]
    assert subject not in client.get_subjects(deleted=True)
    with pytest.raises(SchemaRegistryError) as raised:
        client.get_compatibility(subject)
    assert raised.value.error_code == 40408


def test_normalize_makes_equivalent_spellings_the_same_schema(api: Api, subject: str) -> None:
    plain = {"type": "record", "name": "A", "namespace": "n", "fields": [{"name": "x", "type": "int"}]}
    qualified = {"type": "record", "name": "n.A", "fields": [{"type": "int", "name": "x"}]}
    first = api.request("POST", f"/subjects/{subject}/versions?normalize=true", {"schema": json.dumps(plain)})
    second = api.request("POST", f"/subjects/{subject}/versions?normalize=true", {"schema": json.dumps(qualified)})
    assert first.json() == second.json()
    assert api.request("GET", f"/subjects/{subject}/versions").json() == [1]


def test_subject_names_with_slashes_and_spaces_survive_url_encoding(client: SchemaRegistryClient, subject: str) -> None:
    odd = subject + "/with space+plus"
    schema_id = client.register_schema(odd, user())
    assert odd in client.get_subjects()
    assert client.get_latest_version(odd).schema_id == schema_id


def test_mode_defaults_to_readwrite_and_readonly_blocks_registration(
    client: SchemaRegistryClient, subject: str
) -> None:
    assert client.get_global_mode() == "READWRITE"
    client.register_schema(subject, user())
    assert client.update_mode(subject, "READONLY") == "READONLY"
    assert client.get_mode(subject) == "READONLY"
    with pytest.raises(SchemaRegistryError) as raised:
        client.register_schema(subject, user(WITH_AGE))
    assert raised.value.error_code == 42205
    client.delete_mode(subject)
    client.register_schema(subject, user(WITH_AGE))


def test_schema_types_and_contexts_are_listed(client: SchemaRegistryClient) -> None:
    assert "AVRO" in client.get_schema_types()
    assert client.get_contexts() == ["."]


def test_list_of_schemas_filters_by_prefix_and_latest(api: Api, subject: str) -> None:
    api.register(subject, user().schema_str)
    api.register(subject, user(WITH_AGE).schema_str)
    everything = api.request("GET", f"/schemas?subjectPrefix={subject}").json()
    latest = api.request("GET", f"/schemas?subjectPrefix={subject}&latestOnly=true").json()
    assert [entry["version"] for entry in everything] == [1, 2]
    assert [entry["version"] for entry in latest] == [2]


def test_raw_schema_routes_return_the_schema_itself(api: Api, subject: str) -> None:
    schema_id = api.register(subject, user().schema_str).json()["id"]
    by_version = api.request("GET", f"/subjects/{subject}/versions/1/schema").json()
    by_id = api.request("GET", f"/schemas/ids/{schema_id}/schema").json()
    assert by_version == by_id == json.loads(user().schema_str)


def test_references_let_one_schema_use_a_type_from_another_subject(api: Api, subject: str) -> None:
    address = {"type": "record", "name": "Address", "namespace": "test", "fields": [{"name": "city", "type": "string"}]}
    api.register(subject + "-address", json.dumps(address))
    person = {"type": "record", "name": "Person", "namespace": "test", "fields": [{"name": "home", "type": "Address"}]}
    reference = {"name": "test.Address", "subject": subject + "-address", "version": 1}
    registered = api.register(subject, json.dumps(person), references=[reference])
    assert registered.status_code == 200, registered.text
    person_id = registered.json()["id"]
    assert api.request("GET", f"/subjects/{subject}-address/versions/1/referencedby").json() == [person_id]
    assert api.request("GET", f"/schemas/ids/{person_id}").json()["references"] == [reference]
    api.request("DELETE", f"/subjects/{subject}-address")
    refused = api.request("DELETE", f"/subjects/{subject}-address/versions/1")
    assert refused.json()["error_code"] in (40406, 42206)
