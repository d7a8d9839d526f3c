"""Every error a client can provoke: HTTP status, ``error_code`` and the JSON error envelope."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.registry import V1_JSON, Api

SCHEMA = json.dumps({"type": "record", "name": "E", "namespace": "errors", "fields": [{"name": "a", "type": "int"}]})


def assert_error(response: requests.Response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code
    assert isinstance(body["message"], str) and body["message"]


@pytest.fixture
def registered(api: Api, subject: str) -> str:
    assert api.register(subject, SCHEMA).status_code == 200
    return subject


def test_unknown_subject_is_40401(api: Api, subject: str) -> None:
    assert_error(api.request("GET", f"/subjects/{subject}/versions"), 404, 40401)
    assert_error(api.request("GET", f"/subjects/{subject}/versions/latest"), 404, 40401)
    assert_error(api.request("POST", f"/subjects/{subject}", {"schema": SCHEMA}), 404, 40401)
    assert_error(api.request("DELETE", f"/subjects/{subject}"), 404, 40401)
    assert_error(api.request("DELETE", f"/config/{subject}"), 404, 40401)


def test_unknown_version_is_40402(api: Api, registered: str) -> None:
    assert_error(api.request("GET", f"/subjects/{registered}/versions/7"), 404, 40402)
    assert_error(api.request("DELETE", f"/subjects/{registered}/versions/7"), 404, 40402)


def test_unknown_schema_id_is_40403(api: Api) -> None:
    assert_error(api.request("GET", "/schemas/ids/2147480000"), 404, 40403)
    assert_error(api.request("GET", "/schemas/ids/2147480000/subjects"), 404, 40403)
    assert_error(api.request("GET", "/schemas/ids/not-a-number"), 404, 40403)


def test_soft_deleting_a_soft_deleted_subject_is_40404(api: Api, registered: str) -> None:
    assert api.request("DELETE", f"/subjects/{registered}").json() == [1]
    assert_error(api.request("DELETE", f"/subjects/{registered}"), 404, 40404)


def test_permanent_delete_of_a_live_subject_is_40405(api: Api, registered: str) -> None:
    assert_error(api.request("DELETE", f"/subjects/{registered}?permanent=true"), 404, 40405)


def test_soft_deleting_a_soft_deleted_version_is_40406(api: Api, registered: str) -> None:
    assert api.request("DELETE", f"/subjects/{registered}/versions/1").json() == 1
    assert_error(api.request("DELETE", f"/subjects/{registered}/versions/1"), 404, 40406)


def test_permanent_delete_of_a_live_version_is_40407(api: Api, registered: str) -> None:
    assert_error(api.request("DELETE", f"/subjects/{registered}/versions/1?permanent=true"), 404, 40407)


def test_subject_without_its_own_compatibility_is_40408_unless_default_to_global(api: Api, registered: str) -> None:
    assert_error(api.request("GET", f"/config/{registered}"), 404, 40408)
    assert api.request("GET", f"/config/{registered}?defaultToGlobal=true").json()["compatibilityLevel"]


def test_subject_without_its_own_mode_is_40409_unless_default_to_global(api: Api, registered: str) -> None:
    assert_error(api.request("GET", f"/mode/{registered}"), 404, 40409)
    assert api.request("GET", f"/mode/{registered}?defaultToGlobal=true").json() == {"mode": "READWRITE"}


@pytest.mark.parametrize(
    "body",
    [
        {"schema": "not json"},
        {"schema": '{"type": "record", "name": "A"}'},
        {"schema": ""},
        {"schema": 42},
        {},
        {"schema": '"string"', "schemaType": "PROTOBUF"},
        {"schema": '"string"', "references": [{"name": "x", "subject": "nowhere", "version": 1}]},
    ],
)
def test_invalid_schema_is_42201(api: Api, subject: str, body: dict) -> None:
    assert_error(api.request("POST", f"/subjects/{subject}/versions", body), 422, 42201)


@pytest.mark.parametrize("version", ["0", "abc", "-2", "1.5", "99999999999", "latest1"])
def test_invalid_version_is_42202(api: Api, registered: str, version: str) -> None:
    assert_error(api.request("GET", f"/subjects/{registered}/versions/{version}"), 422, 42202)
    assert_error(api.request("DELETE", f"/subjects/{registered}/versions/{version}"), 422, 42202)


def test_invalid_compatibility_level_is_42203(api: Api, subject: str) -> None:
    assert_error(api.request("PUT", "/config", {"compatibility": "SIDEWAYS"}), 422, 42203)
    assert_error(api.request("PUT", f"/config/{subject}", {"compatibility": 3}), 422, 42203)


def test_invalid_mode_is_42204(api: Api, subject: str) -> None:
    assert_error(api.request("PUT", f"/mode/{subject}", {"mode": "READSOMETIMES"}), 422, 42204)


def test_writes_in_read_only_mode_are_42205(api: Api, registered: str) -> None:
    api.request("PUT", f"/mode/{registered}", {"mode": "READONLY"})
    try:
        assert_error(api.register(registered, '"string"'), 422, 42205)
        assert_error(api.request("DELETE", f"/subjects/{registered}"), 422, 42205)
    finally:
        api.request("DELETE", f"/mode/{registered}")
    assert api.request("DELETE", f"/subjects/{registered}").status_code == 200


def test_import_mode_on_a_subject_with_schemas_needs_force_42205(api: Api, registered: str) -> None:
    assert_error(api.request("PUT", f"/mode/{registered}", {"mode": "IMPORT"}), 422, 42205)
    assert api.request("PUT", f"/mode/{registered}?force=true", {"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    api.request("DELETE", f"/mode/{registered}")


def test_import_mode_keeps_client_chosen_ids_and_refuses_a_taken_id_42207(api: Api, subject: str) -> None:
    taken = api.register(subject + "-other", SCHEMA).json()["id"]
    assert api.request("PUT", f"/mode/{subject}", {"mode": "IMPORT"}).status_code == 200
    try:
        assert_error(api.register(subject, '"string"', id=taken, version=1), 422, 42207)
        chosen = api.request("GET", "/schemas/ids/1?fetchMaxId=true").json().get("maxId", 0) + 1000
        answer = api.register(subject, '{"type": "fixed", "name": "Imported", "size": 3}', id=chosen, version=5)
        assert answer.json() == {"id": chosen}
        assert api.request("GET", f"/subjects/{subject}/versions").json() == [5]
    finally:
        api.request("DELETE", f"/mode/{subject}")


@pytest.mark.parametrize("name", ["__GLOBAL", "bad%01subject", "%7F"])
def test_invalid_subject_name_is_42208(api: Api, name: str) -> None:
    assert_error(api.request("POST", f"/subjects/{name}/versions", {"schema": '"string"'}), 422, 42208)


def test_malformed_json_body_is_400(api: Api, subject: str) -> None:
    response = api.session.post(
        f"{api.url}/subjects/{subject}/versions", data=b"{not json", headers={"Content-Type": V1_JSON}
    )
    assert_error(response, 400, 400)


def test_body_that_is_not_an_object_is_400_and_a_missing_one_422(api: Api, subject: str) -> None:
    assert_error(api.request("POST", f"/subjects/{subject}/versions", ["schema"]), 400, 400)
    assert_error(api.request("POST", f"/subjects/{subject}/versions", None), 422, 422)


def test_unknown_route_is_404_and_wrong_method_is_405(api: Api) -> None:
    assert_error(api.request("GET", "/no/such/route"), 404, 404)
    assert_error(api.request("PATCH", "/subjects"), 405, 405)


def test_unsupported_content_type_is_415(api: Api, subject: str) -> None:
    response = api.request(
        "POST", f"/subjects/{subject}/versions", {"schema": '"string"'}, headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, 415)


@pytest.mark.parametrize(
    "content_type",
    [
        V1_JSON,
        "application/vnd.schemaregistry+json",
        "application/json",
        "application/octet-stream",
        "application/json; charset=utf-8",
    ],
)
def test_every_documented_request_content_type_is_accepted(api: Api, subject: str, content_type: str) -> None:
    response = api.request(
        "POST", f"/subjects/{subject}/versions", {"schema": '"int"'}, headers={"Content-Type": content_type}
    )
    assert response.status_code == 200, response.text


def test_missing_content_type_is_treated_as_json(api: Api, subject: str) -> None:
    response = api.session.post(f"{api.url}/subjects/{subject}/versions", data=json.dumps({"schema": '"long"'}))
    assert response.status_code == 200, response.text


def test_accept_header_picks_the_response_type_or_406(api: Api) -> None:
    def content_type(accept: str) -> str:
        return api.request("GET", "/subjects", headers={"Accept": accept}).headers["Content-Type"]

    assert content_type(V1_JSON) == V1_JSON
    assert content_type("application/json") == "application/json"
    assert content_type("*/*") == V1_JSON
    assert content_type("text/html;q=0.9, application/json;q=0.5") == "application/json"
    assert_error(api.request("GET", "/subjects", headers={"Accept": "text/html"}), 406, 406)


def test_boolean_query_parameters_ignore_letter_case(api: Api, registered: str) -> None:
    api.request("DELETE", f"/subjects/{registered}/versions/1")
    assert api.request("GET", f"/subjects/{registered}/versions?deleted=TRUE").json() == [1]
    assert_error(api.request("GET", f"/subjects/{registered}/versions?deleted=False"), 404, 40401)


def test_non_numeric_paging_is_404_as_for_any_jax_rs_query_parameter(api: Api) -> None:
    assert_error(api.request("GET", "/subjects?offset=abc"), 404, 404)
    assert_error(api.request("GET", "/subjects?limit=1%1F"), 404, 404)  # a control character is no digit
    assert_error(api.request("GET", "/subjects?offset=%202"), 404, 404)


def test_a_request_with_two_faults_is_refused_for_the_first_checked(api: Api, subject: str) -> None:
    """Request bodies are read at the HTTP edge, in the order the checks have always run."""
    assert_error(api.request("PUT", "/config/__GLOBAL", {"compatibility": "SIDEWAYS"}), 422, 42203)
    assert_error(api.request("PUT", "/config/__GLOBAL", {"normalize": "yes"}), 422, 42208)
    assert_error(api.request("PUT", "/mode/__GLOBAL", {"mode": "SIDEWAYS"}), 422, 42208)
    assert_error(api.request("POST", "/subjects/__GLOBAL/versions", None), 422, 42208)
    assert_error(api.request("POST", f"/subjects/{subject}/versions", {"schema": 5, "id": "x"}), 422, 42201)
    assert_error(api.request("POST", f"/subjects/{subject}-none", {"schema": 5}), 404, 40401)
    assert_error(api.request("POST", f"/compatibility/subjects/{subject}/versions/0", {"schema": 5}), 422, 42202)
