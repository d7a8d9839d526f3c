"""What the producers and the consumers share: endpoints, topic names, Avro schemas, the stations table.

``producers/`` and ``consumers/`` stay folders a user runs scripts from (``python simulation.py``),
as in the classic project; both import this package (installed into the venv by ``make setup``),
so a topic name or an endpoint is written down once.
"""

from clients.endpoints import Endpoints, endpoints

__all__ = ["Endpoints", "endpoints"]
