"""The tiers of the tests, and the local platform for the whole test run.

Each test's tier is its folder (``tests/README.md``): ``unit`` needs no platform and no other
process of ours, ``integration`` uses the session's platform, ``system`` runs the whole product or
private platforms of its own. A test gets its tier as a marker too (``-m "not system"``).

The session's platform is started once if it is not running and stopped at the end; one that was
already running before the tests (a developer's) is left running afterwards. Every endpoint a test
uses comes from it (``running_platform.endpoints``), never from the environment directly.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from hypothesis import settings

from clients.endpoints import PROJECT_ROOT
from stack.platform import lifecycle
from stack.settings import Settings, load

# The fuzz tests draw the same examples on every run, so a CI failure can be reproduced and a red
# build always means a change broke something. `HYPOTHESIS_PROFILE=explore make test` draws new ones.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


# The scripts in consumers/ import their neighbours by plain names (`models`, `consumer`), as users
# run them (`python server.py` in consumers/); their tests import them the same way.
if str(PROJECT_ROOT / "consumers") not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT / "consumers"))

TIERS = ("unit", "integration", "system")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks each test with its folder's tier; a unit test that asks for the platform is an error."""
    for item in items:
        tier = next((t for t in TIERS if f"/tests/{t}/" in str(item.path)), None)
        if tier is None:
            continue
        item.add_marker(getattr(pytest.mark, tier))
        if tier == "unit" and "running_platform" in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(
                f"{item.nodeid} needs the platform: it belongs in tests/integration or tests/system"
            )


@pytest.fixture(scope="session")
def stack_settings() -> Settings:
    return load()


@pytest.fixture(scope="session")
def running_platform(stack_settings: Settings) -> Iterator[Settings]:
    """The default platform (one broker), up for the whole session."""
    was_running = bool(lifecycle.running_services(stack_settings))
    subprocess.run([sys.executable, "-m", "stack", "up"], cwd=PROJECT_ROOT, check=True)
    yield stack_settings
    gc.collect()  # frees Kafka clients that tests left in reference cycles, before their broker goes
    if not was_running:
        subprocess.run([sys.executable, "-m", "stack", "down"], cwd=PROJECT_ROOT, check=True)


@pytest.fixture(scope="session")
def bootstrap_servers(running_platform: Settings) -> str:
    return running_platform.bootstrap_servers(lifecycle.running_brokers(running_platform) or 1)
