"""``docker-compose.yaml``: a real compose client accepts it, and it describes the classic platform.

The structure is read from the client's own ``config`` output (anchors merged, defaults filled in),
so what is checked is what Docker would run. (tests/integration/compose runs its stations
init script against the local platform's PostgreSQL.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from clients.endpoints import DEFAULTS, PROJECT_ROOT, port_of
from cta import stations_table
from producers.connector import JDBC

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yaml"
BROKERS = ["kafka-1", "kafka-2", "kafka-3"]
# The host port each service publishes: the defaults of clients/endpoints.py, and the Landoop UIs.
HOST_PORTS = {
    "kafka-1": port_of(DEFAULTS["KAFKA_BOOTSTRAP_SERVERS"]),
    "kafka-2": port_of(DEFAULTS["KAFKA_BOOTSTRAP_SERVERS"]) + 1,
    "kafka-3": port_of(DEFAULTS["KAFKA_BOOTSTRAP_SERVERS"]) + 2,
    "schema-registry": port_of(DEFAULTS["SCHEMA_REGISTRY_URL"]),
    "rest-proxy": port_of(DEFAULTS["REST_PROXY_URL"]),
    "connect": port_of(DEFAULTS["KAFKA_CONNECT_URL"]),
    "ksql": port_of(DEFAULTS["KSQL_URL"]),
    "postgres": port_of(DEFAULTS["POSTGRES_URL"]),
    "connect-ui": 8084,
    "topics-ui": 8085,
    "schema-registry-ui": 8086,
}


def compose_client() -> list[str] | None:
    """Debian's ``docker-compose``, else Docker's ``docker compose`` plugin, if either is installed."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The file as the compose client resolves it; the raw YAML (merge keys resolved) without a client."""
    client = compose_client()
    if client is None:
        return yaml.safe_load(COMPOSE_FILE.read_text())
    result = subprocess.run([*client, "-f", str(COMPOSE_FILE), "config"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def published_ports(service: dict[str, Any]) -> set[int]:
    """Host ports, from the long form (``published``) or the short form (``"9092:9092"``)."""
    ports = set()
    for entry in service.get("ports", []):
        ports.add(int(entry["published"]) if isinstance(entry, dict) else int(str(entry).split(":")[-2]))
    return ports


def host_ports(services: dict[str, Any], name: str) -> set[int]:
    """A service's host ports; one sharing another's network is reached through that one's ports."""
    network = services[name].get("network_mode", "")
    owner = network.removeprefix("service:") if network.startswith("service:") else name
    return published_ports(services[owner])


def test_a_real_compose_client_accepts_the_file() -> None:
    client = compose_client()
    if client is None:
        pytest.skip("no compose client: `make setup` installs docker-compose when run as root")
    result = subprocess.run([*client, "-f", str(COMPOSE_FILE), "config", "--quiet"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_classic_services_are_there(services: dict[str, Any]) -> None:
    assert set(services) == set(HOST_PORTS)
    assert not any("zookeeper" in name or "zookeeper" in s["image"] for name, s in services.items())


@pytest.mark.parametrize("name", sorted(HOST_PORTS))
def test_each_service_is_on_its_classic_host_port(services: dict[str, Any], name: str) -> None:
    assert HOST_PORTS[name] in host_ports(services, name)


def test_every_image_is_pinned_to_a_version(services: dict[str, Any]) -> None:
    for name, service in services.items():
        image, _, tag = service["image"].rpartition(":")
        assert image and "/" not in tag, f"{name}: {service['image']} names no tag"
        assert re.fullmatch(r"\d+(\.\d+)+", tag), f"{name}: {service['image']} is not pinned to a version"


def test_every_service_has_a_health_check(services: dict[str, Any]) -> None:
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"


def test_services_start_after_what_they_need_is_healthy(services: dict[str, Any]) -> None:
    needs = {
        "schema-registry": set(BROKERS),
        "rest-proxy": {*BROKERS, "schema-registry"},
        "connect": {*BROKERS, "schema-registry"},
        "ksql": {*BROKERS, "schema-registry"},
        "connect-ui": {"connect"},
        "topics-ui": {"rest-proxy"},
        "schema-registry-ui": {"schema-registry"},
    }
    for name, expected in needs.items():
        depends_on = services[name]["depends_on"]
        assert set(depends_on) == expected, name
        assert all(d["condition"] == "service_healthy" for d in depends_on.values()), name


def test_postgres_shares_connects_network_so_the_application_address_works_inside_connect(
    services: dict[str, Any],
) -> None:
    postgres = services["postgres"]
    assert postgres["network_mode"] == "service:connect"
    # It only needs the network to exist; Connect does not need the database to start.
    assert postgres["depends_on"] == {"connect": {"condition": "service_started"}}
    assert "postgres" not in services["connect"].get("depends_on", {})


def test_kafka_runs_three_kraft_nodes_with_split_listeners(services: dict[str, Any]) -> None:
    envs = [services[name]["environment"] for name in BROKERS]
    assert len({env["CLUSTER_ID"] for env in envs}) == 1
    assert sorted(env["KAFKA_NODE_ID"] for env in envs) == ["1", "2", "3"]
    for name, env in zip(BROKERS, envs, strict=True):
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert "KAFKA_ZOOKEEPER_CONNECT" not in env
        voters = dict(v.split("@") for v in env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","))
        assert voters == {"1": "kafka-1:29093", "2": "kafka-2:29093", "3": "kafka-3:29093"}
        advertised = dict(listener.split("://") for listener in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
        assert advertised["INTERNAL"] == f"{name}:29092"
        assert advertised["EXTERNAL"] == f"localhost:{HOST_PORTS[name]}"
        assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "INTERNAL"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2" and env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"


def test_connect_installs_confluents_jdbc_connector_that_connector_py_names(services: dict[str, Any]) -> None:
    connect = services["connect"]
    command = " ".join(connect["command"]) if isinstance(connect["command"], list) else connect["command"]
    assert re.search(r"confluent-hub install --no-prompt confluentinc/kafka-connect-jdbc:\d+\.\d+\.\d+", command)
    assert JDBC in " ".join(connect["healthcheck"]["test"])


def test_postgres_is_created_as_the_application_expects_and_loads_the_stations(services: dict[str, Any]) -> None:
    env = services["postgres"]["environment"]
    url = DEFAULTS["POSTGRES_URL"]
    assert url == f"postgresql://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@localhost:5432/{env['POSTGRES_DB']}"
    volumes = [v if isinstance(v, str) else f"{v['source']}:{v['target']}" for v in services["postgres"]["volumes"]]
    mounted = {v.split(":")[0].replace(str(PROJECT_ROOT), "."): v.split(":")[1] for v in volumes}
    assert mounted["./docker/postgres/stations.sql"] == "/docker-entrypoint-initdb.d/stations.sql"


def test_the_stations_init_script_is_generated_from_the_current_csv() -> None:
    assert stations_table.INIT_SQL.read_text() == stations_table.init_sql(), (
        "docker/postgres/stations.sql is out of date: run `python -m cta.stations_table`"
    )
