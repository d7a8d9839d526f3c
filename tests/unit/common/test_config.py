"""Each process's configuration: read once from the environment, documented variable by variable.

The configurations are read from given environments; ``tests/integration/common/test_config_refusals.py``
starts the servers with a variable that does not fit.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from clients.config import ConfigError, variables
from clients.endpoints import PROJECT_ROOT
from cta.config import StationsWorkerConfig, StatusPageConfig
from stack.ksql.config import KsqlConfig
from stack.rest_proxy.config import RestProxyConfig
from stack.settings import Settings

CONTRACTS = PROJECT_ROOT / "docs" / "contracts.md"
HEADING = re.compile(r"^### .*: `(?P<path>[\w.]+)`$")
ROW = re.compile(r"^\| `(?P<variable>[A-Z0-9_]+)` \| (?P<default>[^|]*) \|")
SOURCES = ("stack", "clients", "cta", "consumers", "producers", "bench", "run.py")
READS_THE_ENVIRONMENT = re.compile(r"os\.environ\.get|os\.getenv|os\.environ\[|environ\.get\(")


def documented() -> dict[str, dict[str, str]]:
    """docs/contracts.md's *Configuration* tables: class path -> {variable: default cell}."""
    section = CONTRACTS.read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    tables: dict[str, dict[str, str]] = {}
    rows: dict[str, str] = {}
    for line in section.splitlines():
        if heading := HEADING.match(line):
            rows = tables.setdefault(heading["path"], {})
        elif row := ROW.match(line):
            rows[row["variable"]] = row["default"].strip()
    return tables


def configuration(path: str) -> Any:
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def test_every_process_has_a_table() -> None:
    assert set(documented()) == {
        "stack.schema_registry.config.SchemaRegistryConfig",
        "stack.rest_proxy.config.RestProxyConfig",
        "stack.ksql.config.KsqlConfig",
        "stack.settings.Settings",
        "cta.config.StatusPageConfig",
        "cta.config.StationsWorkerConfig",
        "cta.config.SimulationConfig",
    }


@pytest.mark.parametrize("path", sorted(documented()))
def test_each_table_lists_exactly_the_variables_its_process_reads(path: str) -> None:
    assert set(documented()[path]) == set(variables(configuration(path)))


@pytest.mark.parametrize("path", sorted(documented()))
def test_each_documented_default_is_the_one_the_process_runs_with(path: str) -> None:
    """The first literal of a default cell is the value read from an empty environment (a port: the URL's)."""
    config = configuration(path)
    defaults = config.from_env({})
    checked = 0
    for variable, cell in documented()[path].items():
        value = getattr(defaults, variables(config)[variable])
        literal = re.match(r"`([^`]*)`", cell)
        if not literal or not isinstance(value, int | str):
            continue
        assert str(value) == literal[1] or literal[1].endswith(f":{value}"), (variable, value, cell)
        checked += 1
    assert checked


def test_a_set_variable_is_parsed_to_its_type_and_an_empty_one_keeps_the_default() -> None:
    config = KsqlConfig.from_env({"KSQL_PUSH_CLIENT_TIMEOUT_MS": " 2500 ", "KSQL_SERVICE_ID": "", "KSQL_URL": ""})
    assert config.push_client_timeout_ms == 2500
    assert (config.service_id, config.port) == ("default_", 8088)
    settings = Settings.from_env({"STACK_JVM_OPTS": "-Xms1g  -Xmx1g", "STACK_KAFKA_INTERNAL_PORT": "0"})
    assert settings.jvm_opts == ("-Xms1g", "-Xmx1g") and settings.internal_port == 0
    assert Settings.from_env({"KAFKA_BOOTSTRAP_SERVERS": "localhost:19092"}).internal_port == 0
    assert StationsWorkerConfig.from_env({"STACK_DATA_DIR": "/tmp/elsewhere"}).data_dir == Path("/tmp/elsewhere")


def test_a_server_maps_compose_host_names_where_it_reads_its_endpoints() -> None:
    config = RestProxyConfig.from_env({"SCHEMA_REGISTRY_URL": "http://schema-registry:8081"})
    assert config.schema_registry_url == "http://localhost:8081"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KSQL_PUSH_CLIENT_TIMEOUT_MS": "soon"}, "KSQL_PUSH_CLIENT_TIMEOUT_MS must be a number, not 'soon'."),
        ({"KSQL_STATEMENT_THREADS": "0"}, "KSQL_STATEMENT_THREADS must be at least 1, not '0'."),
        ({"KSQL_QUERY_RETRY_BACKOFF_MAX_MS": "1.5"}, "KSQL_QUERY_RETRY_BACKOFF_MAX_MS must be a number, not '1.5'."),
    ],
)
def test_a_value_that_does_not_fit_is_refused_with_its_variables_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        KsqlConfig.from_env(env)
    assert str(refused.value) == message


def test_a_configuration_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        StatusPageConfig().web_port = 1  # type: ignore[misc]


def test_no_module_reads_the_environment_but_the_configurations() -> None:
    """Each process reads its variables in its configuration's ``from_env``, from the mapping it is given."""
    files = [p for name in SOURCES for p in sorted((PROJECT_ROOT / name).rglob("*.py")) or [PROJECT_ROOT / name]]
    readers = [str(p.relative_to(PROJECT_ROOT)) for p in files if READS_THE_ENVIRONMENT.search(p.read_text())]
    assert len(files) > 100 and readers == [], readers
