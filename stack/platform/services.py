"""Every process of the local platform, one record each: what it is, when it starts, how to tell it is up.

``up`` starts each service as soon as the services it needs pass their health checks (PostgreSQL
and Kafka at once, the rest once Kafka serves), ``status`` runs the very same health checks, and
``down`` stops a service before those it needs. Adding a server to the platform is one more
entry in :data:`SERVICES`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import requests

from clients.endpoints import LISTEN_HOST, PROJECT_ROOT, port_of
from stack.platform import connect, kafka, postgres
from stack.platform.jars import Jars
from stack.platform.supervisor import Launch
from stack.settings import Settings


@dataclass(frozen=True)
class Platform:
    """What launching a service needs to know about the platform being started."""

    settings: Settings
    brokers: int
    java: str
    jars: Jars


@dataclass(frozen=True)
class Service:
    """One kind of process: ``kafka`` runs as ``kafka-1`` .. ``kafka-N``, the others as themselves."""

    name: str
    title: str
    needs: tuple[str, ...]
    """The services that must be healthy before this one starts."""
    launches: Callable[[Platform], list[Launch]]
    is_healthy: Callable[[Settings, int, int], bool]
    """(settings, cluster size, port) -> ready to serve."""

    def owns(self, process_name: str) -> bool:
        return process_name == self.name or process_name.startswith(f"{self.name}-")

    def title_of(self, process_name: str) -> str:
        suffix = process_name.removeprefix(self.name).lstrip("-")
        return f"{self.title} {suffix}" if suffix else self.title


def answers_http(port: int) -> bool:
    """Our servers answer ``GET /`` with 200 only once they are ready (the registry has read its topic)."""
    try:
        return requests.get(f"http://{LISTEN_HOST}:{port}/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def our_server(name: str, title: str, module: str, url_of: Callable[[Settings], str], variable: str) -> Service:
    """A Service for one of our Python servers, run as ``python -m <module>``."""

    def launches(platform: Platform) -> list[Launch]:
        url = url_of(platform.settings)
        return [
            Launch(
                name=name,
                port=port_of(url),
                command=[sys.executable, "-m", module],
                env={
                    "KAFKA_BOOTSTRAP_SERVERS": platform.settings.bootstrap_servers(platform.brokers),
                    variable: url,
                    "PYTHONUNBUFFERED": "1",
                },
                cwd=PROJECT_ROOT,
                stop_timeout=15,
            )
        ]

    return Service(name, title, ("kafka",), launches=launches, is_healthy=lambda _s, _b, port: answers_http(port))


SERVICES: list[Service] = [
    Service(
        "postgres",
        "PostgreSQL",
        needs=(),
        launches=lambda p: [postgres.launch(p.settings, postgres.prepare(p.settings))],
        is_healthy=lambda settings, _b, _p: postgres.answers_query(settings),
    ),
    Service(
        "kafka",
        "Kafka broker",
        needs=(),
        launches=lambda p: kafka.launches(p.settings, p.java, p.jars.kafka_classpath, p.brokers),
        is_healthy=lambda _s, brokers, port: kafka.broker_is_serving(port, brokers),
    ),
    Service(
        "connect",
        "Kafka Connect",
        needs=("kafka",),
        launches=lambda p: [
            connect.launch(p.settings, p.java, p.jars.kafka_classpath, p.brokers, p.jars.connect_plugins)
        ],
        is_healthy=lambda _s, _b, port: connect.is_ready(port, connect.REQUIRED_PLUGIN),
    ),
    our_server(
        "schema-registry",
        "Schema Registry",
        "stack.schema_registry",
        lambda s: s.endpoints.schema_registry_url,
        "SCHEMA_REGISTRY_URL",
    ),
    our_server("rest-proxy", "REST Proxy", "stack.rest_proxy", lambda s: s.endpoints.rest_proxy_url, "REST_PROXY_URL"),
    our_server("ksql", "KSQL server", "stack.ksql", lambda s: s.endpoints.ksql_url, "KSQL_URL"),
]


def depth(service: Service) -> int:
    """How many services stand between ``service`` and one that needs none: ``down`` stops the deepest first."""
    return 1 + max((depth(service_named(need)) for need in service.needs), default=-1)


def service_named(name: str) -> Service:
    return next(service for service in SERVICES if service.name == name)


def service_of(process_name: str) -> Service:
    return next(service for service in SERVICES if service.owns(process_name))


def title(process_name: str) -> str:
    """``kafka-2`` -> ``Kafka broker 2``; ``connect`` -> ``Kafka Connect``."""
    try:
        return service_of(process_name).title_of(process_name)
    except StopIteration:
        return process_name
