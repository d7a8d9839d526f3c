"""Where the platform keeps its files and which ports it listens on, from the environment.

The defaults are the fixed endpoints of DESIGN.md. Every service listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MAX_BROKERS = 3


def port_of(url: str, default: int) -> int:
    """The port of an endpoint URL such as ``http://localhost:8083`` or ``localhost:9092``."""
    first = url.split(",")[0].strip()
    if "://" not in first:
        first = "tcp://" + first
    return urlsplit(first).port or default


@dataclass(frozen=True)
class Settings:
    """Folders and ports of one platform; read once from the environment."""

    data_dir: Path
    cache_dir: Path
    kafka_port: int
    connect_port: int
    postgres_port: int
    postgres_user: str
    postgres_password: str
    postgres_db: str

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "services.json"

    def broker_port(self, node_id: int) -> int:
        """Client port of broker ``node_id`` (1-based): 9092, 9093, 9094 by default."""
        return self.kafka_port + node_id - 1

    def controller_port(self, node_id: int) -> int:
        """KRaft controller port of node ``node_id``, kept clear of the client ports."""
        return self.kafka_port + 1000 + node_id - 1

    def bootstrap_servers(self, brokers: int) -> str:
        return ",".join(f"localhost:{self.broker_port(n)}" for n in range(1, brokers + 1))


def load() -> Settings:
    env = os.environ
    postgres = urlsplit(env.get("POSTGRES_URL", "postgresql://cta_admin:chicago@localhost:5432/cta"))
    return Settings(
        data_dir=Path(env.get("STACK_DATA_DIR", PROJECT_ROOT / ".data")).resolve(),
        cache_dir=Path(env.get("STACK_CACHE_DIR", PROJECT_ROOT / ".cache")).resolve(),
        kafka_port=port_of(env.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"), 9092),
        connect_port=port_of(env.get("KAFKA_CONNECT_URL", "http://localhost:8083"), 8083),
        postgres_port=postgres.port or 5432,
        postgres_user=postgres.username or "cta_admin",
        postgres_password=postgres.password or "chicago",
        postgres_db=postgres.path.lstrip("/") or "cta",
    )
