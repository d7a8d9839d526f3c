"""bench_platform's private platform stays on this shell's ports, clear of its own platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.ports import PLATFORM_SHIFT, private_env
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


def test_a_private_platform_moves_every_port_of_this_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bench_platform used fixed ports, which another checkout benchmarking at the same time shared."""
    shift = PLATFORM_SHIFT
    for name, value in OWN.items():
        monkeypatch.setenv(name, value)
    env = private_env(shift, tmp_path)
    assert _ports(env) == {port + shift for port in _ports(OWN)}
    assert env["POSTGRES_URL"] == f"postgresql://cta_admin:chicago@localhost:{23432 + shift}/cta"
    assert env["STACK_DATA_DIR"] == str(tmp_path)
    assert all(23000 <= port < 24000 for port in _ports(env))  # inside this checkout's thousand


def test_the_private_platform_and_this_shell_share_no_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in OWN.items():
        monkeypatch.setenv(name, value)
    assert not _ports(private_env(PLATFORM_SHIFT, tmp_path)) & _ports(OWN)
