"""Which platform service starts when, and which application piece ``make run`` starts when."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import run
from stack.platform.services import SERVICES, depth, service_named
from stack.settings import load


def test_kafka_and_postgres_start_at_once_and_the_rest_once_kafka_serves() -> None:
    needs = {service.name: service.needs for service in SERVICES}
    assert needs["postgres"] == () and needs["kafka"] == ()
    assert all(need == ("kafka",) for name, need in needs.items() if name not in ("postgres", "kafka"))


def test_down_stops_a_service_before_the_services_it_needs() -> None:
    for service in SERVICES:
        for need in service.needs:
            assert depth(service) > depth(service_named(need)), (service.name, need)


def test_every_piece_of_the_application_needs_only_services_the_platform_has() -> None:
    names = {service.name for service in SERVICES}
    for process in run.APPLICATION:
        assert process.needs and set(process.needs) <= names, process.name


def test_a_piece_starts_once_every_service_it_needs_is_ready_and_only_once(tmp_path: Path) -> None:
    """The pieces' scripts are left out (not there): the supervisor says it skips each, when it would start it."""
    missing = [dataclasses.replace(process, folder="not-in-this-checkout") for process in run.APPLICATION]
    said: list[str] = []
    supervisor = run.Supervisor(dataclasses.replace(load(), data_dir=tmp_path), missing, say=said.append)

    def considered() -> set[str]:
        return {text.split()[2].rstrip(":") for text in said}

    supervisor.start(set())
    assert said == []
    supervisor.start({"postgres", "kafka"})
    assert considered() == {"faust"}
    supervisor.start({"postgres", "kafka", "schema-registry", "rest-proxy"})
    assert considered() == {"faust", "server", "simulation"}
    supervisor.start({"postgres", "kafka", "schema-registry", "rest-proxy"})
    assert len(said) == 3  # nothing twice
    supervisor.start()  # the platform is up: everything else
    assert considered() == {process.name for process in run.APPLICATION}
    assert supervisor.started == []
