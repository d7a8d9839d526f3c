"""The in-memory picture of the 'L' the status page shows, updated from each topic.

Scripts run from ``consumers/`` import it as ``models``, as in the classic project; the tests put
``consumers/`` on the import path and do the same.
"""

from .line import Line
from .lines import Lines
from .record import Record, Skip, Skips
from .station import Station, Train
from .status import TransitStatus
from .weather import Weather

__all__ = ["Line", "Lines", "Record", "Skip", "Skips", "Station", "Train", "TransitStatus", "Weather"]
