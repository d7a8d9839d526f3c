"""The application's processes' configuration, each read from the environment once, at start.

The endpoints are :mod:`clients.endpoints`' (``KAFKA_BOOTSTRAP_SERVERS`` and the others, the same on
both platforms); what is here are each process's own settings, with the defaults they always had.
docs/contracts.md, *Configuration*, lists every variable per process (a unit test compares the two).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from clients.config import read, setting
from clients.endpoints import DEFAULTS, Endpoints, data_dir
from cta.lines import LINES


@dataclass(frozen=True)
class StatusPageConfig:
    """What the status page's server (``consumers/server.py``) runs with."""

    web_port: int = setting("WEB_PORT", int(DEFAULTS["WEB_PORT"]))
    keepalive_ms: int = setting("STATUS_PAGE_KEEPALIVE_MS", 15_000)
    """Time between comments on an idle event stream, so that a closed connection is noticed."""
    max_buffered_bytes: int = setting("STATUS_PAGE_MAX_BUFFERED_BYTES", 4 * 1024 * 1024)
    """Bytes of updates a page may leave unread before it is disconnected (its browser reconnects)."""
    close_timeout_ms: int = setting("STATUS_PAGE_CLOSE_TIMEOUT_MS", 10_000)
    """How long each Kafka consumer may take to close at shutdown."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> StatusPageConfig:
        return read(cls, env, web_port=Endpoints.from_env(env).web_port)


@dataclass(frozen=True)
class StationsWorkerConfig:
    """What the Faust worker (``consumers/faust_stream.py``) runs with; Faust reads its own ``FAUST_*``."""

    bootstrap_servers: str = setting("KAFKA_BOOTSTRAP_SERVERS")
    data_dir: Path = setting("STACK_DATA_DIR")
    """Its tables' folder is ``faust/`` in there (so that ``stack up --fresh`` clears it too)."""
    metadata_refresh_ms: int = setting("STATIONS_WORKER_METADATA_REFRESH_MS", 2_000)
    """How often the worker's consumer looks for topics that did not exist yet (and, if under 0.5 s, the worker
    waiting for the stations topic)."""
    waiting_log_ms: int = setting("STATIONS_WORKER_WAITING_LOG_MS", 30_000)
    """How often a worker waiting for the stations topic says so."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> StationsWorkerConfig:
        return read(cls, env, bootstrap_servers=Endpoints.from_env(env).kafka_bootstrap_servers, data_dir=data_dir(env))


@dataclass(frozen=True)
class SimulationConfig:
    """What the simulation (``producers/simulation.py``) runs with, besides its command line."""

    endpoints: Endpoints
    """Kafka, the Schema Registry, the REST Proxy, Kafka Connect and PostgreSQL (for the connector)."""
    setup_threads: int = setting("SIMULATION_SETUP_THREADS", 16)
    """Topics created and schemas registered at once while the simulation starts."""
    admin_timeout_ms: int = setting("SIMULATION_ADMIN_TIMEOUT_MS", 30_000)
    """How long Kafka may take to list or create a topic."""
    rest_proxy_timeout_ms: int = setting("SIMULATION_REST_PROXY_TIMEOUT_MS", 10_000)
    """How long the REST Proxy may take to answer a weather post (connecting: 3.05 s)."""
    lines: str = setting("SIMULATION_LINES", ",".join(LINES))
    """The lines to run when ``--lines`` is not given, e.g. ``red,blue,green`` for the classic three."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SimulationConfig:
        return read(cls, env, endpoints=Endpoints.from_env(env))
