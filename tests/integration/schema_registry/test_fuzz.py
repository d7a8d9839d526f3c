"""Property-based fuzzing: malformed input of every kind gets a 4xx answer, never a 5xx, and the server lives on.

Writes go to subjects named ``test-fuzz-*`` only, so the platform's global config and mode stay as they are.
"""

from __future__ import annotations

import json
import os
import uuid
from urllib.parse import quote

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.registry import V1_JSON, Api

# FUZZ_EXAMPLES raises the count for a long exploring run (with HYPOTHESIS_PROFILE=explore).
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=list(HealthCheck)
)
PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
KEYS = [
    "type",
    "name",
    "namespace",
    "fields",
    "symbols",
    "items",
    "values",
    "size",
    "default",
    "aliases",
    "doc",
    "logicalType",
    "precision",
    "scale",
    "order",
]

json_scalars = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=8
)
names = st.sampled_from(["A", "B", "n.A", "n.B", "1bad", "", "a-b", "record", "int"]) | st.text(max_size=6)
type_names = st.sampled_from([*PRIMITIVES, "record", "enum", "fixed", "array", "map", "error", "union", "A", "n.A"])


def _complex(children: st.SearchStrategy) -> st.SearchStrategy:
    field = st.fixed_dictionaries(
        {"name": names, "type": children},
        optional={"default": json_values, "aliases": st.lists(names, max_size=2), "order": st.text(max_size=10)},
    )
    return st.one_of(
        st.lists(children, max_size=4),
        st.fixed_dictionaries(
            {"type": st.sampled_from(["record", "error"]), "name": names, "fields": st.lists(field, max_size=4)},
            optional={"namespace": names | st.none(), "aliases": st.lists(names, max_size=2), "doc": json_values},
        ),
        st.fixed_dictionaries(
            {"type": st.just("enum"), "name": names, "symbols": st.lists(names, max_size=4)},
            optional={"default": json_values},
        ),
        st.fixed_dictionaries({"type": st.just("fixed"), "name": names, "size": json_values}),
        st.fixed_dictionaries({"type": st.just("array"), "items": children}),
        st.fixed_dictionaries({"type": st.just("map"), "values": children}),
        st.dictionaries(st.sampled_from(KEYS), children | json_values, max_size=5),
    )


avro_like = st.recursive(type_names | json_scalars, _complex, max_leaves=12)
schema_texts = avro_like.map(json.dumps) | st.text(max_size=40)
references = st.lists(
    st.fixed_dictionaries({}, optional={"name": json_values, "subject": json_values, "version": json_values})
    | json_values,
    max_size=2,
)
schema_bodies = st.fixed_dictionaries(
    {"schema": schema_texts},
    optional={
        "schemaType": st.sampled_from(["AVRO", "JSON", "PROTOBUF", "avro", ""]) | json_values,
        "references": references,
        "id": json_values,
        "version": json_values,
    },
)
raw_bodies = (
    st.binary(max_size=60)
    | json_values.map(lambda v: json.dumps(v).encode())
    | schema_bodies.map(lambda b: json.dumps(b).encode())
)
segments = st.text(max_size=12) | st.sampled_from(["latest", "-1", "0", "1", "2147483648", "%", "..", "%2F", "-"])
# Printable ASCII without surrounding blanks: anything else the HTTP client itself refuses to send.
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30).map(str.strip)
subjects = st.text(max_size=10).map(lambda s: "test-fuzz-" + s) | st.text(max_size=10)


def assert_4xx_at_most(response: requests.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400 and response.content:
        body = response.json()
        assert isinstance(body["error_code"], int) and isinstance(body["message"], str)


def assert_alive(api: Api) -> None:
    assert api.session.get(api.url + "/", timeout=10).status_code == 200


def post(api: Api, path: str, body: bytes, content_type: str = V1_JSON) -> requests.Response:
    return api.session.post(api.url + path, data=body, headers={"Content-Type": content_type}, timeout=30)


def test_registering_arbitrary_bodies_never_fails_the_server(api: Api) -> None:
    subject = f"test-fuzz-{uuid.uuid4().hex[:8]}"

    @FUZZ
    @given(body=raw_bodies, normalize=st.sampled_from(["true", "False", "x"]))
    def register(body: bytes, normalize: str) -> None:
        assert_4xx_at_most(post(api, f"/subjects/{subject}/versions?normalize={normalize}", body))

    register()
    assert_alive(api)


def test_lookup_and_compatibility_checks_of_arbitrary_schemas_never_fail_the_server(api: Api) -> None:
    subject = f"test-fuzz-{uuid.uuid4().hex[:8]}"
    api.register(subject, json.dumps({"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]}))

    @FUZZ
    @given(body=schema_bodies, version=segments, verbose=st.booleans())
    def check(body: dict, version: str, verbose: bool) -> None:
        data = json.dumps(body).encode()
        assert_4xx_at_most(post(api, f"/subjects/{subject}?deleted={verbose}", data))
        assert_4xx_at_most(post(api, f"/compatibility/subjects/{subject}/versions?verbose={verbose}", data))
        path = f"/compatibility/subjects/{subject}/versions/{quote(version, safe='')}?verbose={verbose}"
        assert_4xx_at_most(post(api, path, data))

    check()
    assert_alive(api)


def test_odd_paths_versions_and_ids_never_fail_the_server(api: Api) -> None:
    routes = [
        "/subjects/{s}",
        "/subjects/{s}/versions",
        "/subjects/{s}/versions/{v}",
        "/subjects/{s}/versions/{v}/schema",
        "/subjects/{s}/versions/{v}/referencedby",
        "/schemas/ids/{v}",
        "/schemas/ids/{v}/schema",
        "/schemas/ids/{v}/subjects",
        "/schemas/ids/{v}/versions",
        "/config/{s}",
        "/mode/{s}",
        "/{v}/{s}",
    ]

    @FUZZ
    @given(
        route=st.sampled_from(routes),
        subject=subjects,
        version=segments,
        method=st.sampled_from(["GET", "DELETE", "HEAD", "OPTIONS", "PATCH"]),
        query=st.dictionaries(
            st.sampled_from(
                [
                    "deleted",
                    "permanent",
                    "offset",
                    "limit",
                    "subjectPrefix",
                    "defaultToGlobal",
                    "fetchMaxId",
                    "deletedOnly",
                ]
            ),
            st.text(max_size=6),
        ),
    )
    def request(route: str, subject: str, version: str, method: str, query: dict) -> None:
        if method == "DELETE" and not subject.startswith("test-fuzz-"):
            subject = "test-fuzz-" + subject
        path = route.format(s=quote(subject, safe=""), v=quote(version, safe=""))
        response = api.session.request(method, api.url + path, params=query, timeout=30)
        assert_4xx_at_most(response)

    request()
    assert_alive(api)


def test_config_and_mode_bodies_never_fail_the_server(api: Api) -> None:
    @FUZZ
    @given(
        resource=st.sampled_from(["config", "mode"]),
        subject=st.text(max_size=8).map(lambda s: "test-fuzz-" + s),
        body=json_values.map(lambda v: json.dumps(v).encode())
        | st.fixed_dictionaries(
            {}, optional={"compatibility": json_values, "mode": json_values, "normalize": json_values}
        ).map(lambda v: json.dumps(v).encode())
        | st.binary(max_size=30),
        force=st.sampled_from(["true", "false", "1"]),
    )
    def put(resource: str, subject: str, body: bytes, force: str) -> None:
        url = f"{api.url}/{resource}/{quote(subject, safe='')}?force={force}"
        response = api.session.put(url, data=body, headers={"Content-Type": V1_JSON}, timeout=30)
        assert_4xx_at_most(response)
        # A mode that blocks writes would only slow the other examples down: undo it.
        if response.status_code == 200 and resource == "mode":
            api.session.delete(f"{api.url}/mode/{quote(subject, safe='')}", timeout=30)

    put()
    assert_alive(api)


def test_arbitrary_content_types_and_accept_headers_never_fail_the_server(api: Api) -> None:
    subject = f"test-fuzz-{uuid.uuid4().hex[:8]}"

    @FUZZ
    @given(
        content_type=st.sampled_from(
            [
                V1_JSON,
                "application/json",
                "text/plain",
                "",
                "application/xml",
                "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded",
            ]
        )
        | header_values,
        accept=st.sampled_from(["*/*", "application/json", "text/html", "", "application/*;q=0", "x;q=abc"])
        | header_values,
        body=raw_bodies,
    )
    def send(content_type: str, accept: str, body: bytes) -> None:
        headers = {"Content-Type": content_type, "Accept": accept}
        response = api.session.post(f"{api.url}/subjects/{subject}/versions", data=body, headers=headers, timeout=30)
        assert_4xx_at_most(response)

    send()
    assert_alive(api)
