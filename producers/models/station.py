"""A station of one line: its arrivals topic, and the turnstile at its entrance.

Each station has its own topic, named after the station *and* its CTA id because names repeat
(three different stations are called Addison). Clark/Lake and Roosevelt serve two lines: each line
has its own ``Station`` for them (own platforms), writing to the one topic of the station.
"""

from __future__ import annotations

from cta import schemas, topics

from .producer import KafkaWriter
from .train import Train
from .turnstile import Turnstile


class Station:
    def __init__(self, writer: KafkaWriter, station_id: int, name: str, line: str, turnstile: Turnstile) -> None:
        # One partition: a station's arrivals stay in order, so a reader's latest record per
        # platform is the train really there. One event per train per time step is little load.
        self.topic = writer.topic(
            topics.arrivals(name, station_id), schemas.load("arrival_key"), schemas.load("arrival_value")
        )
        self.station_id = station_id
        self.name = name
        self.line = line
        self.turnstile = turnstile

    def run(
        self, train: Train, direction: str, prev_station_id: int | None, prev_direction: str | None, timestamp_ms: int
    ) -> None:
        """Writes that ``train`` arrived here in ``direction`` coming from ``prev_station_id``."""
        self.topic.produce(
            {"timestamp": timestamp_ms},
            {
                "station_id": self.station_id,
                "train_id": train.train_id,
                "direction": direction,
                "line": self.line,
                "train_status": train.status.value,
                "prev_station_id": prev_station_id,
                "prev_direction": prev_direction,
            },
        )
