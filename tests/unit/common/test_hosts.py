"""Compose host names on the local platform, without it: the servers' mapping, the brokers' and Connect's files."""

from __future__ import annotations

import logging
import socket

import pytest

from stack.common import hosts
from stack.platform import connect, kafka
from stack.settings import load


@pytest.mark.parametrize(
    ("configured", "used"),
    [
        # The classic project's Docker URLs, and our docker-compose.yaml's.
        (
            "PLAINTEXT://kafka0:19092,PLAINTEXT://kafka1:19093,PLAINTEXT://kafka2:19094",
            "PLAINTEXT://localhost:19092,PLAINTEXT://localhost:19093,PLAINTEXT://localhost:19094",
        ),
        ("kafka-1:29092, Kafka-2:29092", "localhost:29092,localhost:29092"),
        ("http://schema-registry:8081/", "http://localhost:8081/"),
        ("http://user:secret@schema-registry:8081", "http://user:secret@localhost:8081"),
        ("http://rest-proxy:8082", "http://localhost:8082"),
        ("http://ksql", "http://localhost"),
        # Anything else is left as it is.
        ("PLAINTEXT://localhost:9092", "PLAINTEXT://localhost:9092"),
        ("http://schema-registry.example.com:8081", "http://schema-registry.example.com:8081"),
        ("http://[::1]:8081", "http://[::1]:8081"),
        ("broker.internal:9092,kafka0:9092", "broker.internal:9092,localhost:9092"),
    ],
)
def test_compose_host_names_become_localhost(configured: str, used: str) -> None:
    assert hosts.local_address(configured) == used


def test_a_server_logs_each_mapped_variable_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(hosts, "_logged", set())
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka0:19092")
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://localhost:8081")
    with caplog.at_level(logging.INFO, logger=hosts.__name__):
        first = hosts.server_endpoints()
        second = hosts.server_endpoints()
    assert first == second
    assert first.kafka_bootstrap_servers == "PLAINTEXT://localhost:19092"
    assert first.schema_registry_url == "http://localhost:8081"
    assert [r.getMessage() for r in caplog.records] == [
        "KAFKA_BOOTSTRAP_SERVERS names Docker Compose hosts (PLAINTEXT://kafka0:19092), which are this machine "
        "on the local platform: using PLAINTEXT://localhost:19092."
    ]


def test_brokers_listen_on_the_classic_internal_ports_with_kafka_on_its_default_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("STACK_KAFKA_INTERNAL_PORT", raising=False)
    settings = load()
    for node in (1, 2, 3):
        text = kafka.broker_properties(settings, 3, node)
        properties = dict(line.split("=", 1) for line in text.splitlines() if line)
        client, controller, internal = 9091 + node, 10091 + node, 19091 + node
        assert properties["listeners"] == (
            f"PLAINTEXT://127.0.0.1:{client},CONTROLLER://127.0.0.1:{controller},INTERNAL://127.0.0.1:{internal}"
        )
        assert properties["advertised.listeners"] == f"PLAINTEXT://localhost:{client},INTERNAL://localhost:{internal}"
        assert (
            properties["listener.security.protocol.map"]
            == "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT"
        )


def test_a_platform_on_other_ports_has_an_internal_listener_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "PLAINTEXT://localhost:19292")
    monkeypatch.delenv("STACK_KAFKA_INTERNAL_PORT", raising=False)
    assert "INTERNAL" not in kafka.broker_properties(load(), 1, 1)
    monkeypatch.setenv("STACK_KAFKA_INTERNAL_PORT", "19392")
    assert (
        "advertised.listeners=PLAINTEXT://localhost:19292,INTERNAL://localhost:19392"
        in kafka.broker_properties(load(), 1, 1).splitlines()
    )


def test_connects_hosts_file_names_localhost_this_machine_and_every_compose_host() -> None:
    entries = {}
    for line in connect.hosts_file().splitlines():
        if line and not line.startswith("#"):
            address, *names = line.split()
            entries.update(dict.fromkeys(names, address))
    assert entries["localhost"] == "127.0.0.1"
    assert entries[socket.gethostname()] == socket.gethostbyname(socket.gethostname())
    for name in hosts.COMPOSE_HOSTS:
        assert entries[name] == "127.0.0.1"
        assert name == name.lower()  # Java looks names up in the file case-sensitively
