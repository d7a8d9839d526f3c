"""Connector configurations written for the classic Docker setup, posted unmodified, work inside Kafka Connect.

The classic instructions configure Connect with the Docker URLs: ``jdbc:postgresql://postgres:5432/cta``,
``PLAINTEXT://kafka0:19092``. With the default ports (CI) these tests post those literal strings.
On a platform moved to other ports the compose host name still means this machine, but the port
in the URL must be the moved service's: the tests then put the platform's own port in place of the
classic one, and nothing else changes.
"""

from __future__ import annotations

import pytest
import requests
from confluent_kafka.admin import AdminClient

from clients.endpoints import port_of
from stack.common.hosts import COMPOSE_HOSTS
from stack.settings import Settings
from tests.support.connect import TIMEOUT, Lab, connect_url
from tests.support.reading import follow

CLASSIC_POSTGRES_URL = "jdbc:postgresql://postgres:5432/cta"
CLASSIC_KAFKA = "PLAINTEXT://kafka0:19092,PLAINTEXT://kafka1:19093,PLAINTEXT://kafka2:19094"
CLASSIC_REGISTRY = "http://schema-registry:8081/"


def classic_connector(settings: Settings, topic_prefix: str) -> dict[str, str]:
    """The classic project's `producers/connector.py` configuration, as its instructions write it.

    Only ``topic.prefix`` is the test's own, so that its topic is no other test's.
    """
    url = CLASSIC_POSTGRES_URL
    if settings.postgres_port != 5432:
        url = url.replace(":5432/", f":{settings.postgres_port}/")
    return {
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "batch.max.rows": "500",
        "connection.url": url,
        "connection.user": "cta_admin",
        "connection.password": "chicago",
        "table.whitelist": "stations",
        "mode": "incrementing",
        "incrementing.column.name": "stop_id",
        "topic.prefix": topic_prefix,
        "poll.interval.ms": "86400000",
    }


def validation_errors(lab: Lab, config: dict[str, str]) -> dict[str, list[str]]:
    """Connect's validation of ``config`` (it connects to the database): the errors by key."""
    response = requests.put(
        f"{connect_url(lab.settings)}/connector-plugins/{config['connector.class']}/config/validate",
        json={"name": "compose-hosts", **config},
        timeout=TIMEOUT,
    )
    assert response.ok, response.text
    return {c["value"]["name"]: c["value"]["errors"] for c in response.json()["configs"] if c["value"]["errors"]}


def test_the_classic_connector_configuration_copies_the_stations(lab: Lab) -> None:
    config = classic_connector(lab.settings, f"{lab.name}.")
    if lab.settings.postgres_port == 5432:
        assert config["connection.url"] == CLASSIC_POSTGRES_URL
    lab.create(config)
    rows = lab.read(f"{lab.name}.stations", 300)
    assert len({row["stop_id"] for row in rows if row}) == 300


@pytest.mark.parametrize("name", COMPOSE_HOSTS)
def test_connect_resolves_every_compose_host_name_to_this_machine(lab: Lab, name: str) -> None:
    config = classic_connector(lab.settings, f"{lab.name}.")
    config["connection.url"] = config["connection.url"].replace("//postgres:", f"//{name}:")
    assert validation_errors(lab, config) == {}


def test_a_host_name_connect_cannot_resolve_is_an_error_on_the_connection_url(lab: Lab) -> None:
    config = classic_connector(lab.settings, f"{lab.name}.")
    config["connection.url"] = config["connection.url"].replace("//postgres:", "//no-such-host.invalid:")
    errors = validation_errors(lab, config)
    assert list(errors) == ["connection.url"]
    assert "no-such-host.invalid" in errors["connection.url"][0]


def test_a_broker_listens_on_its_classic_internal_port_and_advertises_it(lab: Lab) -> None:
    internal = lab.settings.internal_broker_port(1)
    if internal is None:
        pytest.skip("this platform runs without an INTERNAL listener (STACK_KAFKA_INTERNAL_PORT)")
    metadata = AdminClient({"bootstrap.servers": f"localhost:{internal}"}).list_topics(timeout=30)
    assert {broker.port for broker in metadata.brokers.values()} == {
        lab.settings.internal_broker_port(node) for node in range(1, len(metadata.brokers) + 1)
    }


def test_connect_reaches_kafka_at_the_classic_docker_bootstrap_servers(lab: Lab) -> None:
    """The connector's producer bootstraps from ``kafka0:19092`` (..``kafka2:19094``), as inside the classic compose."""
    internal = lab.settings.internal_port
    if not internal:
        pytest.skip("this platform runs without an INTERNAL listener (STACK_KAFKA_INTERNAL_PORT)")
    bootstrap = ",".join(f"PLAINTEXT://kafka{n}:{internal + n}" for n in range(3))
    if internal == 19092:
        assert bootstrap == CLASSIC_KAFKA
    config = {**classic_connector(lab.settings, f"{lab.name}."), "producer.override.bootstrap.servers": bootstrap}
    lab.create(config)
    assert len(lab.read(f"{lab.name}.stations", 300)) == 300


def test_a_converter_reaches_the_schema_registry_at_its_docker_url(lab: Lab) -> None:
    """Confluent's AvroConverter configured with ``http://schema-registry:8081/``, as the classic compose file does."""
    registry_port = port_of(lab.settings.endpoints.schema_registry_url)
    registry = CLASSIC_REGISTRY.replace(":8081/", f":{registry_port}/")
    config = classic_connector(lab.settings, f"{lab.name}.")
    del config["value.converter.schemas.enable"]
    config |= {
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": registry,
    }
    lab.create(config)
    topic = f"{lab.name}.stations"
    message = next(follow(lab.bootstrap, [topic], f"a record in {topic}", timeout=120))
    assert message.value()[0] == 0  # Confluent's wire format: magic byte, then the schema id
    subjects = requests.get(f"{lab.settings.endpoints.schema_registry_url}/subjects", timeout=TIMEOUT).json()
    assert f"{topic}-value" in subjects
