"""The simulation's models: lines of trains and stations, turnstiles and weather.

Modules import each other relatively, so the package works both as ``models`` (the classic
``python simulation.py`` run from ``producers/``) and as ``producers.models`` (tests).
"""

from .line import Line, build_line
from .producer import KafkaWriter, ProducerError
from .weather import Weather

__all__ = ["KafkaWriter", "Line", "ProducerError", "Weather", "build_line"]
