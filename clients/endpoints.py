"""Every endpoint of the platform, read from the environment with the documented defaults.

One source for the application (producers and consumers), our servers, the platform launcher, the
tests and the benchmarks: the fixed endpoints of docs/contracts.md. The application never knows
whether it talks to the Docker platform or to the local one; only these variables differ between
them. Our own processes listen on ``LISTEN_HOST`` only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LISTEN_HOST = "127.0.0.1"

DEFAULTS = {
    "KAFKA_BOOTSTRAP_SERVERS": "PLAINTEXT://localhost:9092",
    "SCHEMA_REGISTRY_URL": "http://localhost:8081",
    "REST_PROXY_URL": "http://localhost:8082",
    "KAFKA_CONNECT_URL": "http://localhost:8083",
    "KSQL_URL": "http://localhost:8088",
    "POSTGRES_URL": "postgresql://cta_admin:chicago@localhost:5432/cta",
    "WEB_PORT": "8888",
}


def port_of(url: str) -> int:
    """The port of the first endpoint in ``url`` (``http://localhost:8083``, ``PLAINTEXT://h:9092,h:9093``)."""
    first = url.split(",")[0].strip()
    if "://" not in first:
        first = "tcp://" + first
    port = urlsplit(first).port
    if port is None:
        raise ValueError(f"{url!r} names no port")
    return port


@dataclass(frozen=True)
class Endpoints:
    """Where each service of the platform is, as clients reach it."""

    kafka_bootstrap_servers: str
    schema_registry_url: str
    rest_proxy_url: str
    kafka_connect_url: str
    ksql_url: str
    postgres_url: str
    web_port: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Endpoints:
        def get(name: str) -> str:
            return env.get(name) or DEFAULTS[name]

        return cls(
            kafka_bootstrap_servers=get("KAFKA_BOOTSTRAP_SERVERS"),
            schema_registry_url=get("SCHEMA_REGISTRY_URL").split(",")[0].strip().rstrip("/"),
            rest_proxy_url=get("REST_PROXY_URL").rstrip("/"),
            kafka_connect_url=get("KAFKA_CONNECT_URL").rstrip("/"),
            ksql_url=get("KSQL_URL").rstrip("/"),
            postgres_url=get("POSTGRES_URL"),
            web_port=int(get("WEB_PORT")),
        )


def endpoints() -> Endpoints:
    """The endpoints of this process's environment."""
    return Endpoints.from_env()


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where local processes keep their state (``STACK_DATA_DIR``, default ``.data/`` in the checkout).

    The local platform keeps its services' data there and the Faust worker its tables, so that
    ``stack up --fresh`` and a private platform's folder cover both.
    """
    return Path(env.get("STACK_DATA_DIR") or PROJECT_ROOT / ".data").resolve()
