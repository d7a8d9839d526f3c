"""Where the platform's services are, from the environment with the defaults of DESIGN.md.

The simulation never knows whether it talks to the Docker or the local platform: only these
variables differ between them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap_servers: str
    schema_registry_url: str
    rest_proxy_url: str
    kafka_connect_url: str
    postgres_url: str


def load() -> Endpoints:
    env = os.environ
    return Endpoints(
        kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", "PLAINTEXT://localhost:9092"),
        schema_registry_url=env.get("SCHEMA_REGISTRY_URL", "http://localhost:8081").rstrip("/"),
        rest_proxy_url=env.get("REST_PROXY_URL", "http://localhost:8082").rstrip("/"),
        kafka_connect_url=env.get("KAFKA_CONNECT_URL", "http://localhost:8083").rstrip("/"),
        postgres_url=env.get("POSTGRES_URL", "postgresql://cta_admin:chicago@localhost:5432/cta"),
    )
