"""Malformed requests of every kind are refused with a 4xx, never a 5xx, and the server stays up.

Hypothesis generates a few hundred inputs per endpoint, each malformed by construction.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import uuid
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tests.support.kafka import new_topic
from tests.support.rest import AVRO, BINARY, JSON, V2, WEATHER_SCHEMA

EXAMPLES = 250
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
content_types = st.sampled_from([JSON, BINARY, AVRO])


@pytest.fixture(scope="module")
def fuzz_topic(admin: Any) -> str:
    return new_topic(admin, "test.rest_proxy.fuzz", 2)


@pytest.fixture(scope="module")
def consumer_base(rest_url: str, fuzz_topic: str) -> Any:
    group = f"fuzz-{uuid.uuid4().hex[:8]}"
    created = requests.post(f"{rest_url}/consumers/{group}", json={"format": "json"}, headers={"Content-Type": V2})
    base = created.json()["base_uri"]
    requests.post(f"{base}/subscription", json={"topics": [fuzz_topic]}, headers={"Content-Type": V2})
    yield base
    requests.delete(base)


def decodes_as_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except ValueError:
        return False
    return True


def parses_as_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def is_invalid_consumer_config(config: dict[str, Any]) -> bool:
    """Whether Confluent's consumer-config rules refuse this create request."""
    fmt, reset, commit, name, fetch = (
        config.get(k) for k in ("format", "auto.offset.reset", "auto.commit.enable", "name", "fetch.min.bytes")
    )
    return (
        (fmt is not None and not (isinstance(fmt, str) and fmt.lower() in ("binary", "json", "avro")))
        or (reset is not None and reset not in ("earliest", "latest", "none"))
        or (commit is not None and not isinstance(commit, bool) and str(commit).lower() not in ("true", "false"))
        or (commit is not None and not isinstance(commit, (bool, str)))
        or (name is not None and not (isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9._\-]{1,200}", name)))
        or (
            fetch is not None
            and not (isinstance(fetch, int) and not isinstance(fetch, bool) and fetch >= 0)
            and not (isinstance(fetch, str) and fetch.strip().isdigit())
        )
    )


def refused(response: requests.Response) -> None:
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body["error_code"], int) and isinstance(body["message"], str)


@pytest.fixture(autouse=True)
def server_survives(http: requests.Session, rest_url: str) -> Any:
    yield
    assert http.get(f"{rest_url}/", timeout=10).json() == {}


def is_produce_shaped(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("records"), list)


@FUZZ
@given(body=st.binary(max_size=200), content_type=content_types)
def test_garbage_bodies_are_refused(
    http: requests.Session, rest_url: str, fuzz_topic: str, body: bytes, content_type: str
) -> None:
    with contextlib.suppress(ValueError):
        assume(not is_produce_shaped(json.loads(body)))
    refused(http.post(f"{rest_url}/topics/{fuzz_topic}", data=body, headers={"Content-Type": content_type}))


@FUZZ
@given(body=json_values, content_type=content_types)
def test_json_without_a_records_array_is_refused(
    http: requests.Session, rest_url: str, fuzz_topic: str, body: Any, content_type: str
) -> None:
    assume(not is_produce_shaped(body))
    refused(
        http.post(f"{rest_url}/topics/{fuzz_topic}/partitions/0", json=body, headers={"Content-Type": content_type})
    )


@FUZZ
@given(
    good=st.lists(st.just({"value": "aGVsbG8="}), max_size=3),
    bad=st.one_of(
        json_values.filter(lambda v: not isinstance(v, dict)),
        st.fixed_dictionaries({"value": json_values.filter(lambda v: v is not None and not isinstance(v, str))}),
        st.fixed_dictionaries({"key": st.text(min_size=1).filter(lambda t: not decodes_as_base64(t))}),
        st.fixed_dictionaries({"value": st.just("aGk="), "partition": st.integers().filter(lambda p: not 0 <= p < 2)}),
        st.fixed_dictionaries(
            {
                "value": st.just("aGk="),
                "partition": st.text() | st.floats(allow_nan=False, allow_infinity=False) | st.booleans(),
            }
        ),
    ),
)
def test_binary_batches_with_a_bad_record_are_refused(
    http: requests.Session, rest_url: str, fuzz_topic: str, good: list[Any], bad: Any
) -> None:
    refused(
        http.post(f"{rest_url}/topics/{fuzz_topic}", json={"records": [*good, bad]}, headers={"Content-Type": BINARY})
    )


@FUZZ
@given(schema=st.text(max_size=60) | json_values.map(json.dumps), value=json_values)
def test_avro_with_invalid_schemas_is_refused(
    http: requests.Session, rest_url: str, fuzz_topic: str, schema: str, value: Any
) -> None:
    assume(value is not None)
    try:
        parsed = json.loads(schema)
        primitive = isinstance(parsed, dict) and parsed.get("type") in PRIMITIVES
        assume(not isinstance(parsed, (str, list)) and not primitive)
    except ValueError:
        pass
    body = {"value_schema": schema, "records": [{"value": value}]}
    refused(http.post(f"{rest_url}/topics/{fuzz_topic}", json=body, headers={"Content-Type": AVRO}))


@FUZZ
@given(value=json_values.filter(lambda v: not (isinstance(v, dict) and "temperature" in v and "status" in v)))
def test_avro_values_that_miss_the_schema_are_refused(
    http: requests.Session, rest_url: str, fuzz_topic: str, value: Any
) -> None:
    assume(value is not None)
    body = {
        "value_schema": WEATHER_SCHEMA,
        "records": [{"value": {"temperature": 1, "status": "sunny"}}, {"value": value}],
    }
    refused(http.post(f"{rest_url}/topics/{fuzz_topic}", json=body, headers={"Content-Type": AVRO}))


@FUZZ
@given(
    config=st.dictionaries(
        st.sampled_from(["format", "auto.offset.reset", "auto.commit.enable", "fetch.min.bytes", "name"]),
        json_values,
        min_size=1,
    )
)
def test_invalid_consumer_configs_are_refused(http: requests.Session, rest_url: str, config: dict[str, Any]) -> None:
    assume(is_invalid_consumer_config(config))
    refused(http.post(f"{rest_url}/consumers/fuzz-group", json=config, headers={"Content-Type": V2}))


@FUZZ
@given(body=json_values)
def test_malformed_subscriptions_and_commits_are_refused(http: requests.Session, consumer_base: str, body: Any) -> None:
    assume(body is not None and not (isinstance(body, dict) and ("topics" in body or "topic_pattern" in body)))
    refused(http.post(f"{consumer_base}/subscription", json=body, headers={"Content-Type": V2}))
    assume(not (isinstance(body, dict) and body.get("offsets") == []))
    refused(http.post(f"{consumer_base}/offsets", json=body, headers={"Content-Type": V2}))


@FUZZ
@given(
    timeout=st.text(max_size=8).filter(lambda t: not parses_as_int(t)),
    accept=st.sampled_from([JSON, BINARY, AVRO, V2]),
)
@example(timeout="0\x1f", accept=JSON)  # Tornado made the control character a space and int() took it
def test_bad_record_queries_are_refused(http: requests.Session, consumer_base: str, timeout: str, accept: str) -> None:
    refused(http.get(f"{consumer_base}/records", params={"timeout": timeout}, headers={"Accept": accept}))


@FUZZ
@given(segment=st.text(min_size=1, max_size=30).filter(lambda s: s not in (".", "..")))
def test_unknown_topics_partitions_and_instances_are_404(http: requests.Session, rest_url: str, segment: str) -> None:
    quoted = requests.utils.quote(f"nope-{segment}", safe="")
    refused(http.get(f"{rest_url}/topics/{quoted}"))
    refused(http.get(f"{rest_url}/topics/{quoted}/partitions/{quoted}"))
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,249}", f"nope-{segment}"):  # a legal name is auto-created
        refused(http.post(f"{rest_url}/topics/{quoted}", json={"records": []}, headers={"Content-Type": JSON}))
    refused(http.get(f"{rest_url}/consumers/{quoted}/instances/{quoted}/subscription"))
