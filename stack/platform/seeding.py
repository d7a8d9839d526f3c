"""The hook through which the platform loads the application's data, without knowing the application.

Once PostgreSQL is up, ``up`` calls a *seed*: a callable that takes PostgreSQL's URL, loads what the
application needs (the stations table Kafka Connect reads) and answers with one line to print. The
application names it in ``pyproject.toml``::

    [tool.stack]
    postgres-seed = "cta.stations_table:seed"

``python -m stack up`` (and so ``make platform-up`` and the tests' fixture) reads that name;
``run.py``, which composes the application with the platform, passes the callable itself. The name
is resolved only when ``up`` runs, so no module of ``stack`` imports the application.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable
from pathlib import Path

from clients.endpoints import PROJECT_ROOT
from stack.common.errors import StackError

Seed = Callable[[str], str]
CONFIG = PROJECT_ROOT / "pyproject.toml"


def configured_seed(config: Path = CONFIG) -> Seed | None:
    """The seed ``config`` names under ``[tool.stack] postgres-seed`` (``module:callable``), or None."""
    name = tomllib.loads(config.read_text()).get("tool", {}).get("stack", {}).get("postgres-seed")
    if not name:
        return None
    module, _, attribute = name.partition(":")
    try:
        seed = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise StackError(
            f"{config.name} names {name!r} as [tool.stack] postgres-seed, which cannot be loaded: {error}. "
            "Name a callable as module:function."
        ) from error
    if not callable(seed):
        raise StackError(f"{config.name}'s [tool.stack] postgres-seed {name!r} is not callable.")
    return seed
