"""Bad configurations are refused with a sentence saying why, or fail the task with the reason;
the Connect worker itself keeps running."""

from __future__ import annotations

import requests

from tests.support.connect import JDBC, OUR_JDBC, Lab, connect_url, jdbc_url
from tests.support.waiting import wait_for


def _errors(lab: Lab, config: dict[str, str], plugin: str = JDBC) -> dict[str, list[str]]:
    response = requests.put(
        f"{connect_url(lab.settings)}/connector-plugins/{plugin}/config/validate",
        json={"name": "validated", **config},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return {c["value"]["name"]: c["value"]["errors"] for c in response.json()["configs"] if c["value"]["errors"]}


def _worker_answers(lab: Lab) -> None:
    assert requests.get(f"{connect_url(lab.settings)}/", timeout=10).ok


def test_valid_configuration_validates_under_both_class_names(lab: Lab) -> None:
    config = lab.config(
        **{"table.whitelist": "stations", "mode": "incrementing", "incrementing.column.name": "stop_id"}
    )
    assert _errors(lab, config) == {}
    assert _errors(lab, {**config, "connector.class": OUR_JDBC}, OUR_JDBC) == {}


def test_missing_connection_url_is_a_validation_error(lab: Lab) -> None:
    config = lab.config(**{"table.whitelist": "stations", "mode": "bulk"})
    del config["connection.url"]
    errors = _errors(lab, config)
    assert "connection.url" in errors and "Missing required configuration" in errors["connection.url"][0]
    response = requests.put(f"{connect_url(lab.settings)}/connectors/{lab.name}-c/config", json=config, timeout=60)
    assert response.status_code == 400 and "connection.url" in response.json()["message"]
    _worker_answers(lab)


def test_unknown_table_is_named_in_the_validation_error(lab: Lab) -> None:
    errors = _errors(lab, lab.config(**{"table.whitelist": "no_such_table", "mode": "bulk"}))
    assert errors["table.whitelist"][0].startswith("Table(s) no_such_table not found in database cta")
    _worker_answers(lab)


def test_wrong_password_is_a_validation_error(lab: Lab) -> None:
    errors = _errors(lab, lab.config(**{"table.whitelist": "stations", "mode": "bulk", "connection.password": "wrong"}))
    assert "password authentication failed" in errors["connection.url"][0]
    _worker_answers(lab)


def test_postgres_unreachable_is_a_validation_error(lab: Lab) -> None:
    url = jdbc_url(lab.settings, port=1)
    errors = _errors(lab, lab.config(**{"table.whitelist": "stations", "mode": "bulk", "connection.url": url}))
    assert errors["connection.url"][0].startswith(f"Could not connect to {url}")
    assert "refused" in errors["connection.url"][0]
    _worker_answers(lab)


def test_incrementing_mode_without_its_column_is_a_validation_error(lab: Lab) -> None:
    errors = _errors(lab, lab.config(**{"table.whitelist": "stations", "mode": "incrementing"}))
    assert errors["incrementing.column.name"][0].startswith("Mode incrementing needs incrementing.column.name")
    errors = _errors(
        lab, lab.config(**{"table.whitelist": "stations", "mode": "incrementing", "incrementing.column.name": "nope"})
    )
    assert "has no column nope" in errors["incrementing.column.name"][0]


def test_task_fails_with_the_reason_when_its_column_became_nullable(lab: Lab) -> None:
    table = lab.table("nullable", "id INTEGER NOT NULL")
    name = lab.create(
        lab.config(**{"table.whitelist": table, "mode": "incrementing", "incrementing.column.name": "id"})
    )
    lab.sql(f"ALTER TABLE {table} ALTER COLUMN id DROP NOT NULL")
    requests.post(f"{connect_url(lab.settings)}/connectors/{name}/restart?includeTasks=true", timeout=60)

    def failed_task() -> dict | None:
        tasks = lab.status(name).get("tasks", [])
        return next((t for t in tasks if t["state"] == "FAILED"), None)

    task = wait_for(failed_task, f"task of {name} to fail")
    assert f"Column id of table cta.public.{table} may be NULL" in task["trace"]
    _worker_answers(lab)
