"""The platform launcher's configuration: folders, ports and programs, read from the environment once.

The endpoints themselves are the client layer's (:mod:`clients.endpoints`): the application and the
servers read them there; this module adds what only the launcher needs (data and cache folders,
broker, controller and internal listener ports, the Java and PostgreSQL it runs). Every variable is
in docs/contracts.md, *Configuration*.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from clients.config import read, setting
from clients.endpoints import DEFAULTS, PROJECT_ROOT, Endpoints, data_dir, port_of

MAX_BROKERS = 3
CLASSIC_INTERNAL_PORT = 19092
"""The classic project's compose file: ``kafka0:19092`` (``kafka1:19093``, ``kafka2:19094``) inside Docker."""


@dataclass(frozen=True)
class Settings:
    """Folders, ports and programs of one local platform; read once from the environment (:meth:`from_env`)."""

    endpoints: Endpoints
    data_dir: Path = setting("STACK_DATA_DIR")
    cache_dir: Path = setting("STACK_CACHE_DIR")
    internal_port: int = setting("STACK_KAFKA_INTERNAL_PORT", 0, minimum=0)
    """Broker 1's listener for configurations naming compose hosts (``kafka0:19092``); 0: none."""
    jvm_opts: tuple[str, ...] = setting("STACK_JVM_OPTS", ())
    """Options added to every JVM's command line, last, so that they override ours."""
    java_home: str = setting("JAVA_HOME", "")
    """The JDK to run (its ``bin/java``); empty: ``java`` from PATH."""
    postgres_bin: str = setting("STACK_POSTGRES_BIN", "")
    """A folder with PostgreSQL's ``postgres`` and ``initdb``; empty: the system's, else the wheel's."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """The environment's settings; ``STACK_KAFKA_INTERNAL_PORT`` defaults to 19092 only with Kafka on 9092.

        A platform moved to other ports gets no internal listener unless asked for one: the classic
        ports would belong to the default platform, and an offset from its own ports could land on
        another platform's.
        """
        where = Endpoints.from_env(env)
        classic = port_of(where.kafka_bootstrap_servers) == port_of(DEFAULTS["KAFKA_BOOTSTRAP_SERVERS"])
        internal = env.get("STACK_KAFKA_INTERNAL_PORT", "").strip() or str(CLASSIC_INTERNAL_PORT if classic else 0)
        return read(
            cls,
            {**env, "STACK_KAFKA_INTERNAL_PORT": internal},
            endpoints=where,
            data_dir=data_dir(env),
            cache_dir=Path(env.get("STACK_CACHE_DIR") or PROJECT_ROOT / ".cache").resolve(),
        )

    @property
    def kafka_port(self) -> int:
        return port_of(self.endpoints.kafka_bootstrap_servers)

    @property
    def connect_port(self) -> int:
        return port_of(self.endpoints.kafka_connect_url)

    @property
    def postgres_port(self) -> int:
        return urlsplit(self.endpoints.postgres_url).port or 5432

    @property
    def postgres_user(self) -> str:
        return urlsplit(self.endpoints.postgres_url).username or "cta_admin"

    @property
    def postgres_password(self) -> str:
        return urlsplit(self.endpoints.postgres_url).password or "chicago"

    @property
    def postgres_db(self) -> str:
        return urlsplit(self.endpoints.postgres_url).path.lstrip("/") or "cta"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "services.json"

    def broker_port(self, node_id: int) -> int:
        """Client port of broker ``node_id`` (1-based): 9092, 9093, 9094 by default."""
        return self.kafka_port + node_id - 1

    def internal_broker_port(self, node_id: int) -> int | None:
        """Broker ``node_id``'s port for the classic compose file's internal listener (19092, 19093, 19094)."""
        return self.internal_port + node_id - 1 if self.internal_port else None

    def controller_port(self, node_id: int) -> int:
        """KRaft controller port of node ``node_id``, kept clear of the client ports."""
        return self.kafka_port + 1000 + node_id - 1

    def bootstrap_servers(self, brokers: int) -> str:
        return ",".join(f"localhost:{self.broker_port(n)}" for n in range(1, brokers + 1))


def load() -> Settings:
    """This process's platform settings (:meth:`Settings.from_env`)."""
    return Settings.from_env()
