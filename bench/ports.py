"""Ports of bench_platform's private platform, derived from this shell's own ports.

Several checkouts may benchmark on one machine, each on its own ports (``KAFKA_BOOTSTRAP_SERVERS``
and the others, or the defaults): a private platform moves every one of them by the same shift, so
it stays inside the range its checkout was given. A shift of 100 lands on none of the platform's
own ports (x081-x092, x432, x666, x888) and stays below the next thousand.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from clients.endpoints import Endpoints

PLATFORM_SHIFT = 100
"""bench_platform's private platform."""
FAUST_WEB_PORT = 6066
"""Faust's own default for its web views."""


def _moved(url: str, shift: int) -> str:
    return re.sub(r":(\d+)", lambda port: f":{int(port.group(1)) + shift}", url)


def private_env(shift: int, data_dir: Path | str, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """A one-broker platform's environment: this shell's ports (``env``) moved by ``shift``, data in ``data_dir``."""
    here = Endpoints.from_env(env)
    return {
        "KAFKA_BOOTSTRAP_SERVERS": _moved(here.kafka_bootstrap_servers.split(",")[0], shift),
        "SCHEMA_REGISTRY_URL": _moved(here.schema_registry_url, shift),
        "REST_PROXY_URL": _moved(here.rest_proxy_url, shift),
        "KAFKA_CONNECT_URL": _moved(here.kafka_connect_url, shift),
        "KSQL_URL": _moved(here.ksql_url, shift),
        "POSTGRES_URL": _moved(here.postgres_url, shift),
        "WEB_PORT": str(here.web_port + shift),
        "FAUST_WEB_PORT": str(int(env.get("FAUST_WEB_PORT") or FAUST_WEB_PORT) + shift),
        "STACK_DATA_DIR": str(data_dir),
    }
