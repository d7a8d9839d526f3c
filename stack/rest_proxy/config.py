"""Where the REST Proxy listens and what it talks to, read from the environment only.

The same variables serve every piece of the platform (see DESIGN.md), so the application and the
proxy can never disagree about an endpoint.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

LISTEN_HOST = "127.0.0.1"
# librdkafka's own messages go through Python logging instead of raw lines on stderr.
_KAFKA_LOG = logging.getLogger("stack.rest_proxy.kafka")


@dataclass(frozen=True)
class Settings:
    bootstrap_servers: str
    schema_registry_url: str
    rest_proxy_url: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
            schema_registry_url=os.environ.get("SCHEMA_REGISTRY_URL", "http://localhost:8081"),
            rest_proxy_url=os.environ.get("REST_PROXY_URL", "http://localhost:8082"),
        )

    @property
    def port(self) -> int:
        return urlsplit(self.rest_proxy_url).port or 8082

    def kafka_client(self, **overrides: object) -> dict[str, object]:
        """Settings shared by every Kafka client of the proxy, plus the caller's own."""
        return {"bootstrap.servers": self.bootstrap_servers, "logger": _KAFKA_LOG, **overrides}
