"""The private platforms of bench_platform and bench_run stay on this shell's ports, clear of its own platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.ports import PLATFORM_SHIFT, RUN_SHIFT, private_env
from clients.endpoints import port_of

OWN = {
    "KAFKA_BOOTSTRAP_SERVERS": "PLAINTEXT://localhost:23092",
    "SCHEMA_REGISTRY_URL": "http://localhost:23081",
    "REST_PROXY_URL": "http://localhost:23082",
    "KAFKA_CONNECT_URL": "http://localhost:23083",
    "KSQL_URL": "http://localhost:23088",
    "POSTGRES_URL": "postgresql://cta_admin:chicago@localhost:23432/cta",
    "WEB_PORT": "23888",
    "FAUST_WEB_PORT": "23666",
}


def _ports(env: dict[str, str]) -> set[int]:
    return {int(value) if value.isdigit() else port_of(value) for key, value in env.items() if key in OWN}


@pytest.mark.parametrize("shift", [PLATFORM_SHIFT, RUN_SHIFT])
def test_a_private_platform_moves_every_port_of_this_shell(
    shift: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench_platform and bench_run used fixed ports, which another checkout benchmarking at the same time shared."""
    for name, value in OWN.items():
        monkeypatch.setenv(name, value)
    env = private_env(shift, tmp_path)
    assert _ports(env) == {port + shift for port in _ports(OWN)}
    assert env["POSTGRES_URL"] == f"postgresql://cta_admin:chicago@localhost:{23432 + shift}/cta"
    assert env["STACK_DATA_DIR"] == str(tmp_path)
    assert all(23000 <= port < 24000 for port in _ports(env))  # inside this checkout's thousand


def test_private_platforms_and_this_shell_share_no_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in OWN.items():
        monkeypatch.setenv(name, value)
    platform, run = _ports(private_env(PLATFORM_SHIFT, tmp_path)), _ports(private_env(RUN_SHIFT, tmp_path))
    own = _ports(OWN)
    assert not platform & own and not run & own and not platform & run
