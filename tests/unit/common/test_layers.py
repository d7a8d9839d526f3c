"""The layers of docs/architecture.md as a user meets them: the application without the platform package,
and the platform's seeding hook named in pyproject.toml (``make lint`` checks the imports themselves)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from clients.endpoints import PROJECT_ROOT
from cta import stations_table
from stack.common.errors import StackError
from stack.platform.seeding import configured_seed

# Importing `stack` fails in the child process, as it would where only the application and the
# client layer are installed (a user of the Docker platform).
WITHOUT_STACK = "import sys; sys.modules['stack'] = None; sys.path.insert(0, '.'); import {modules}; print('ok')"


@pytest.mark.parametrize(
    ("folder", "modules"),
    [
        ("producers", "simulation, connector, models, cta.stations_table"),
        ("consumers", "consumer, server, ksql, topic_check, faust_stream, models.status"),
    ],
)
def test_the_application_imports_without_the_platform_package(folder: str, modules: str) -> None:
    script = WITHOUT_STACK.format(modules=modules)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT / folder, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("ok")


def test_the_project_names_the_stations_table_as_the_platforms_seed() -> None:
    assert configured_seed() is stations_table.seed


def test_a_project_without_a_seed_gets_none(tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text('[project]\nname = "other"\n')
    assert configured_seed(config) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("cta.no_such_module:seed", "No module named 'cta.no_such_module'"),
        ("cta.stations_table:no_such_function", "no_such_function"),
        ("cta.stations_table", "Name a callable as module:function"),
        ("cta.stations_table:STATIONS_CSV", "is not callable"),
    ],
)
def test_a_seed_that_cannot_be_loaded_is_one_clear_error(tmp_path: Path, name: str, problem: str) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text(f'[tool.stack]\npostgres-seed = "{name}"\n')
    with pytest.raises(StackError, match="postgres-seed") as raised:
        configured_seed(config)
    assert problem in str(raised.value)
