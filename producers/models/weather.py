"""Hourly Chicago weather, posted to Kafka through the REST Proxy (as the classic project does).

The temperature follows the month's climate: it swings each day between the month's normal low
(around 3 a.m.) and normal high (around 3 p.m.), plus a slowly wandering departure from normal. The
status tends to persist from one hour to the next. A POST that fails is logged with the proxy's own
message and the observation is kept and sent again with the next one: the REST Proxy being down
never stops the trains.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections import deque
from datetime import UTC, datetime
from typing import Any

import requests

from cta import schemas, topics

from .producer import KafkaWriter

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/vnd.kafka.avro.v2+json"
ACCEPT = "application/vnd.kafka.v2+json"
STATUSES = ("sunny", "partly_cloudy", "cloudy", "windy", "precipitation")
STATUS_WEIGHTS = (0.3, 0.25, 0.2, 0.1, 0.15)
STATUS_PERSISTENCE = 0.8
"""Chance that the next hour keeps the current status."""
ANOMALY_MEMORY, ANOMALY_STEP = 0.98, 1.2
"""The departure from normal is an AR(1) process: ~6 °F typical size, changing over a day or two."""
MAX_PENDING = 24 * 7
"""Observations kept while the REST Proxy is unreachable: a week of hours, then the oldest go."""
CONNECT_TIMEOUT = 3.05

# Chicago (O'Hare) monthly normals 1991-2020, NOAA: mean daily (low, high) in °F, January first.
MONTHLY_NORMALS_F = (
    (18.8, 31.6),
    (22.8, 35.7),
    (32.0, 47.0),
    (41.7, 59.0),
    (51.6, 70.5),
    (61.8, 80.4),
    (67.6, 84.5),
    (66.1, 82.5),
    (57.8, 75.5),
    (46.0, 62.7),
    (34.6, 48.4),
    (24.6, 36.6),
)


class Weather:
    key_schema = schemas.load("weather_key")
    value_schema = schemas.load("weather_value")

    def __init__(self, writer: KafkaWriter, rng: random.Random) -> None:
        # One partition: hourly records whose order matters (the latest is the current weather).
        # Created here with the cluster's replication; the REST Proxy would auto-create it with one copy.
        writer.topics.ensure(topics.WEATHER, 1)
        self._url = f"{writer.endpoints.rest_proxy_url}/topics/{topics.WEATHER}"
        self._timeout = (CONNECT_TIMEOUT, writer.config.rest_proxy_timeout_ms / 1000)
        self._session = requests.Session()
        self._rng = rng
        self._anomaly = 0.0
        self.status = rng.choice(STATUSES)
        self.temperature = 0.0
        self._pending: deque[dict[str, Any]] = deque(maxlen=MAX_PENDING)
        self.delivered = 0

    def run(self, timestamp: datetime) -> None:
        """Observes the weather at ``timestamp`` and posts it with any observations still pending."""
        self._observe(timestamp)
        self._pending.append(
            {
                "key": {"timestamp": int(timestamp.replace(tzinfo=UTC).timestamp() * 1000)},
                "value": {"temperature": self.temperature, "status": self.status},
            }
        )
        self._post()

    def _observe(self, timestamp: datetime) -> None:
        low, high = MONTHLY_NORMALS_F[timestamp.month - 1]
        daily = 0.5 - 0.5 * math.cos(2 * math.pi * (timestamp.hour - 3) / 24)  # 0 at 3 a.m., 1 at 3 p.m.
        self._anomaly = ANOMALY_MEMORY * self._anomaly + self._rng.gauss(0.0, ANOMALY_STEP)
        self.temperature = round(low + (high - low) * daily + self._anomaly, 1)
        if self._rng.random() > STATUS_PERSISTENCE:
            self.status = self._rng.choices(STATUSES, STATUS_WEIGHTS)[0]

    def _post(self) -> None:
        records = list(self._pending)
        body = {"key_schema": self.key_schema, "value_schema": self.value_schema, "records": records}
        try:
            response = self._session.post(
                self._url,
                data=json.dumps(body),
                headers={"Content-Type": CONTENT_TYPE, "Accept": ACCEPT},
                timeout=self._timeout,
            )
        except requests.RequestException as error:
            self._failed(f"the REST Proxy at {self._url} is not reachable ({type(error).__name__})")
            return
        if not response.ok:
            self._failed(f"the REST Proxy answered {response.status_code}: {_message_of(response)}")
            return
        offsets = response.json().get("offsets", [])
        refused = [(record, o) for record, o in zip(records, offsets, strict=False) if o.get("error_code") is not None]
        self._pending.clear()
        self._pending.extend(record for record, _ in refused)
        self.delivered += len(records) - len(refused)
        if refused:
            self._failed(f"Kafka refused {len(refused)} record(s): {refused[0][1].get('error')}")

    def _failed(self, reason: str) -> None:
        logger.warning(
            "Could not send the weather (%d observation(s) waiting, sent again with the next one): %s.",
            len(self._pending),
            reason,
        )

    def close(self) -> None:
        """Makes one last attempt to send observations still waiting."""
        if self._pending:
            self._post()
        self._session.close()


def _message_of(response: requests.Response) -> str:
    """The REST Proxy's own error message (``{"error_code": ..., "message": ...}``), else the body."""
    try:
        return str(response.json()["message"])
    except (ValueError, KeyError, TypeError):
        return response.text.strip()[:300] or response.reason
