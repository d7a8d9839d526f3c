"""The local platform for the whole test run: started once if it is not running, stopped at the end.

Tests talk to real Kafka, PostgreSQL and Kafka Connect. A platform that was already running before
the tests (a developer's) is left running afterwards. Tests that need a platform carry the
``platform`` marker (added here for users of the session's platform, declared by the modules that
start private ones); the others form the fast tier, ``make test-unit``.
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every test that uses the session's platform, so that `make test-unit` can leave them out."""
    for item in items:
        if "running_platform" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.platform)


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
