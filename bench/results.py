"""The tracked results file, ``bench/results.json``: every figure of the last run of each benchmark.

Each benchmark's section carries its own stamp (date, commit, machine and its load when the
benchmark started), so that a partial run (``python -m bench ksql``) replaces only its section and
every figure in the README can still be traced to the run that measured it.

A benchmark's ``run()`` returns figures: dicts with ``metric`` (a short name), ``description`` (one
line: what is measured, how), ``value`` (a number), ``unit`` and, where there is one, ``goal`` (text
such as ``">= 40 %"``), ``baseline`` (the measured value a ratio divides by) and ``runs``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from clients.endpoints import PROJECT_ROOT

RESULTS = Path(__file__).resolve().parent / "results.json"
ORDER = ["run", "platform", "producers", "rest_proxy", "schema_registry", "jdbc", "ksql", "ksql_parser", "consumers"]
"""The headline first, then the platform's servers, then the application's parts."""
REQUIRED = {"metric": str, "description": str, "value": (int, float), "unit": str}
OPTIONAL = {"goal": str, "baseline": (int, float), "runs": list}
"""``runs``: each run's own measurements behind the figure (bench_run's timelines), kept in the file, not shown."""
GENERATED = ["bench/results.json", "README.md"]
"""Files a run itself rewrites: their changes do not make the measured checkout dirty."""


class BadFigure(ValueError):
    """A benchmark returned a figure the results file cannot hold (a missing description, say)."""


def check_figures(name: str, figures: list[dict[str, Any]]) -> None:
    """Refuses figures without their required fields, so that the README never shows a bare number."""
    for figure in figures:
        for field, kind in REQUIRED.items():
            if not isinstance(figure.get(field), kind):
                raise BadFigure(f"benchmark {name}: figure {figure.get('metric')!r} needs {field} ({kind})")
        if not figure["description"].strip() or "\n" in figure["description"]:
            raise BadFigure(f"benchmark {name}: figure {figure['metric']!r} needs a one-line description")
        for field, kind in OPTIONAL.items():
            if field in figure and not isinstance(figure[field], kind):
                raise BadFigure(f"benchmark {name}: figure {figure['metric']!r} has a {field} that is not {kind}")
        unknown = set(figure) - set(REQUIRED) - set(OPTIONAL)
        if unknown:
            raise BadFigure(f"benchmark {name}: figure {figure['metric']!r} has unknown fields {sorted(unknown)}")


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model and load now: a figure means little without the machine it ran on."""
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": _cpu_model(),
        "load": [round(load, 2) for load in os.getloadavg()],
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def commit() -> str:
    """The checkout's commit, with ``+dirty`` when tracked files (other than the generated ones) differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout

    try:
        head = git("rev-parse", "HEAD").strip()
        changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", *(f":!{p}" for p in GENERATED))
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if changed.strip() else "")


def stamp() -> dict[str, Any]:
    """When, where and on which commit a benchmark starts."""
    return {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "commit": commit(), "machine": machine()}


def load(path: Path = RESULTS) -> dict[str, Any]:
    """The results file, or an empty one."""
    return json.loads(path.read_text()) if path.exists() else {"benchmarks": {}}


def record(
    name: str, started: dict[str, Any], seconds: float, figures: list[dict[str, Any]], path: Path = RESULTS
) -> None:
    """Replaces benchmark ``name``'s section in the file, keeping the others' (a partial run changes only its own)."""
    check_figures(name, figures)
    results = load(path)
    sections = {**results["benchmarks"], name: {**started, "seconds": round(seconds, 1), "figures": figures}}
    results["benchmarks"] = {key: sections[key] for key in sorted(sections, key=position)}
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def drop_missing(available: list[str], path: Path = RESULTS) -> None:
    """Removes the sections of benchmarks that no longer exist, so the README shows no orphaned figures."""
    results = load(path)
    kept = {name: section for name, section in results["benchmarks"].items() if name in available}
    if kept != results["benchmarks"]:
        results["benchmarks"] = kept
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def position(name: str) -> tuple[int, str]:
    """Where benchmark ``name`` stands in the file and the table."""
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)
