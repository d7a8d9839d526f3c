"""A server started with a variable that does not fit its configuration refuses it in one line, before Kafka."""

from __future__ import annotations

from pathlib import Path

import pytest

from clients.endpoints import PROJECT_ROOT
from tests.support.processes import Script


@pytest.mark.parametrize(
    ("server", "title", "variable"),
    [
        ("stack.schema_registry", "Schema Registry", "SCHEMA_REGISTRY_KAFKASTORE_TIMEOUT_MS"),
        ("stack.rest_proxy", "REST Proxy", "KAFKA_REST_POOL_THREADS"),
        ("stack.ksql", "KSQL server", "KSQL_MAX_BODY_BYTES"),
    ],
)
def test_a_server_started_with_a_variable_that_does_not_fit_says_so_in_one_line(
    server: str, title: str, variable: str, tmp_path: Path
) -> None:
    script = Script(PROJECT_ROOT, ["-m", server], tmp_path / "server.log", {variable: "-1"}).start()
    assert script.process is not None and script.process.wait(120) == 1
    assert script.output().strip() == f"error: {title} cannot start: {variable} must be at least 1, not '-1'."


def test_the_platforms_command_line_refuses_a_variable_in_one_line(tmp_path: Path) -> None:
    env = {"STACK_KAFKA_INTERNAL_PORT": "classic", "STACK_DATA_DIR": str(tmp_path)}
    script = Script(PROJECT_ROOT, ["-m", "stack", "status"], tmp_path / "stack.log", env).start()
    assert script.process is not None and script.process.wait(120) == 1
    assert script.output().strip() == "error: STACK_KAFKA_INTERNAL_PORT must be a number, not 'classic'."
