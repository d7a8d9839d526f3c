"""Records that name a station the page does not know yet, kept until it does.

The page's consumers start in any order, and so do the processes feeding them: arrivals and
turnstile counts may be read before the Faust worker has written the stations they name. Nothing
read before its context is lost: an arrival waits here, under its line and station, and is applied
once the station is known. Memory stays bounded: each station keeps its latest
``HELD_PER_STATION`` arrivals (the latest at each platform is among them), and at most
``MAX_HELD_STATIONS`` stations are waited for; past that the oldest one's arrivals are dropped,
counted and logged (a producer naming stations that never come must not grow the server).
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque

from .record import Record

logger = logging.getLogger(__name__)

HELD_PER_STATION = 50
MAX_HELD_STATIONS = 1000

Place = tuple[str, int]
"""(line, station id)"""


class HeldArrivals:
    def __init__(self) -> None:
        self._held: OrderedDict[Place, deque[Record]] = OrderedDict()
        self.dropped = 0
        """Arrivals given up on: their station was waited for longest when the limit was reached."""

    def hold(self, place: Place, record: Record) -> None:
        held = self._held.get(place)
        if held is None:
            held = self._held[place] = deque(maxlen=HELD_PER_STATION)
            if len(self._held) > MAX_HELD_STATIONS:
                (line, station_id), oldest = self._held.popitem(last=False)
                self.dropped += len(oldest)
                logger.warning(
                    "Dropped %d arrival(s) at station %d of the %s line, which no stations table names; "
                    "%d dropped so far.",
                    len(oldest),
                    station_id,
                    line,
                    self.dropped,
                )
        held.append(record)

    def release(self, places: list[Place]) -> list[Record]:
        """The arrivals held for ``places`` (stations known now), in the order they happened."""
        released = [record for place in places for record in self._held.pop(place, ())]
        return sorted(released, key=lambda record: record.timestamp_ms)

    def __len__(self) -> int:
        return sum(len(held) for held in self._held.values())
