"""The consumers' tests import ``models``, ``consumer``, ``server`` ... as the scripts in ``consumers/`` do."""

from __future__ import annotations

import sys

from clients.endpoints import PROJECT_ROOT

CONSUMERS = PROJECT_ROOT / "consumers"
if str(CONSUMERS) not in sys.path:
    sys.path.insert(0, str(CONSUMERS))
