"""Our own Python servers that speak Confluent's HTTP APIs, run as platform services."""

from __future__ import annotations

import os
import sys

import requests

from stack.settings import HOST, PROJECT_ROOT, Settings, port_of
from stack.supervisor import Launch

# (service name, Python module, URL variable, default URL)
SERVERS = [
    ("schema-registry", "stack.schema_registry", "SCHEMA_REGISTRY_URL", "http://localhost:8081"),
    ("rest-proxy", "stack.rest_proxy", "REST_PROXY_URL", "http://localhost:8082"),
]


def launches(settings: Settings, brokers: int) -> list[Launch]:
    result = []
    for name, module, variable, default in SERVERS:
        port = port_of(os.environ.get(variable, default), 0)
        result.append(
            Launch(
                name=name,
                port=port,
                command=[sys.executable, "-m", module],
                env={
                    "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers(brokers),
                    variable: f"http://localhost:{port}",
                    "PYTHONUNBUFFERED": "1",
                },
                cwd=PROJECT_ROOT,
                is_healthy=lambda port=port: answers_http(port),
                stop_timeout=15,
            )
        )
    return result


def answers_http(port: int) -> bool:
    try:
        return requests.get(f"http://{HOST}:{port}/", timeout=2).status_code == 200
    except requests.RequestException:
        return False
