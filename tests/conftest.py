"""The tiers of the tests, and the local platform for the whole test run.

Each test's tier is its folder (``tests/README.md``): ``unit`` needs no platform and no other
process of ours, ``integration`` uses the session's platform, ``system`` runs the whole product or
private platforms of its own. A test gets its tier as a marker too (``-m "not system"``).

The session's platform is started once if it is not running and stopped at the end; one that was
already running before the tests (a developer's) is left running afterwards. Every endpoint a test
uses comes from it (``running_platform.endpoints``), never from the environment directly.

``make test`` runs the tests in two processes (pytest-xdist): the tests on the session's platform
(``SESSION_PLATFORM``) stay together, one after the other as before (they share one KSQL server,
one Connect worker and the application's topics); every other module goes to whichever process is
free. The first worker that needs the session's platform starts it under a lock; the controller
stops it at the end.
"""

from __future__ import annotations

import fcntl
import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import settings
from xdist.scheduler import LoadScopeScheduling

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
SESSION_PLATFORM = ("tests/integration/", "tests/system/consumers/test_pipeline.py", "tests/system/run/")
"""Where the tests on the session's platform are: the integration tier and two whole-product modules."""
PLATFORM_WAS_RUNNING = pytest.StashKey[bool]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks each test with its folder's tier; a test on the session's platform outside SESSION_PLATFORM is an error."""
    for item in items:
        tier = next((t for t in TIERS if f"/tests/{t}/" in str(item.path)), None)
        if tier is None:
            continue
        item.add_marker(getattr(pytest.mark, tier))
        if "running_platform" in getattr(item, "fixturenames", ()) and not on_session_platform(item.nodeid):
            raise pytest.UsageError(
                f"{item.nodeid} uses the session's platform: it belongs in tests/integration, or its module in "
                "tests/conftest.py's SESSION_PLATFORM (so that it never runs beside the other tests on that platform)"
            )


def on_session_platform(nodeid: str) -> bool:
    return nodeid.split("::")[0].startswith(SESSION_PLATFORM)


class SessionPlatformTogether(LoadScopeScheduling):
    """xdist's scheduling by module, with every test on the session's platform in one unit of work."""

    def _split_scope(self, nodeid: str) -> str:
        return "session-platform" if on_session_platform(nodeid) else nodeid.split("::")[0]


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling:
    return SessionPlatformTogether(config, log)


def _xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if _xdist_controller(config):
        config.stash[PLATFORM_WAS_RUNNING] = bool(lifecycle.running_services(load()))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Under xdist the controller stops the session's platform that a worker started."""
    started_here = _xdist_controller(config) and not config.stash.get(PLATFORM_WAS_RUNNING, True)
    if started_here and lifecycle.running_services(load()):
        subprocess.run([sys.executable, "-m", "stack", "down"], cwd=PROJECT_ROOT, check=True)


@contextmanager
def platform_lock(settings: Settings) -> Iterator[None]:
    """One `stack up` at a time among the workers of this run."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with (settings.data_dir / ".tests.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def stack_settings() -> Settings:
    return load()


@pytest.fixture(scope="session")
def running_platform(stack_settings: Settings, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """The default platform (one broker), up for the whole session."""
    worker = hasattr(request.config, "workerinput")
    with platform_lock(stack_settings):
        was_running = bool(lifecycle.running_services(stack_settings))
        if not (worker and was_running):  # `up` of a running platform checks it; workers leave that to the first
            subprocess.run([sys.executable, "-m", "stack", "up"], cwd=PROJECT_ROOT, check=True)
    yield stack_settings
    gc.collect()  # frees Kafka clients that tests left in reference cycles, before their broker goes
    if not was_running and not worker:
        subprocess.run([sys.executable, "-m", "stack", "down"], cwd=PROJECT_ROOT, check=True)


@pytest.fixture(scope="session")
def bootstrap_servers(running_platform: Settings) -> str:
    return running_platform.bootstrap_servers(lifecycle.running_brokers(running_platform) or 1)
