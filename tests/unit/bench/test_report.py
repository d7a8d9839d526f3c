"""The README's benchmark table is generated from the tracked bench/results.json, and only from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import report, results
from bench.__main__ import available

MACHINE = {"cores": 2, "ram_gib": 23.5, "cpu": "AMD EPYC", "load": [3.5, 2.0, 1.0]}


def _section(date: str, commit: str, load: float, figures: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "date": date,
        "commit": commit,
        "machine": {**MACHINE, "load": [load, 1.0, 1.0]},
        "seconds": 12.0,
        "figures": figures,
    }


RESULTS = {
    "benchmarks": {
        "rest_proxy": _section(
            "2026-12-05T04:00:00Z",
            "0123456789abcdef0123",
            3.5,
            [
                {
                    "metric": "REST / direct",
                    "description": "REST produce as a share of direct",
                    "value": 41.26,
                    "unit": "%",
                    "baseline": 90000.0,
                    "goal": ">= 40 %",
                },
                {
                    "metric": "direct | raw",
                    "description": "librdkafka alone",
                    "value": 93677.4,
                    "unit": "records/s",
                },
            ],
        ),
        "ksql": _section(
            "2026-12-05T04:10:00Z",
            "0123456789abcdef0123",
            6.25,
            [
                {"metric": "push p99", "description": "10,000 events", "value": 5.56, "unit": "ms", "goal": "<= 5 ms"},
                {"metric": "restart", "description": "kill -9", "value": 0.5, "unit": "s"},
                {"metric": "held", "description": "pages", "value": 1000, "unit": ""},
            ],
        ),
        "jdbc": _section(
            "2026-12-06T01:00:00Z",
            "fedcba9876543210fedc+dirty",
            1.0,
            [{"metric": "bulk", "description": "a table", "value": 79627.0, "unit": "rows/s", "goal": "about 1e5"}],
        ),
    }
}

EXPECTED = """\
Measured by `make bench` (each ratio's baseline in the same run):

- 2026-12-05, commit `0123456789ab`, 2 cores (AMD EPYC), 23.5 GiB; load average (1 min) at each start 3.5 to 6.25: \
rest_proxy, ksql
- 2026-12-06, commit `fedcba987654+dirty`, 2 cores (AMD EPYC), 23.5 GiB; load average (1 min) at each start 1 to 1: jdbc

| benchmark | figure | value | goal | what it measures |
| --- | --- | ---: | --- | --- |
| rest_proxy | REST / direct | 41.3 % | >= 40 % ✓ | REST produce as a share of direct |
| rest_proxy | direct \\| raw | 93,677 records/s |  | librdkafka alone |
| ksql | push p99 | 5.6 ms | <= 5 ms ✗ | 10,000 events |
| ksql | restart | 0.50 s |  | kill -9 |
| ksql | held | 1,000 |  | pages |
| jdbc | bulk | 79,627 rows/s | about 1e5 | a table |
"""


def test_the_generator_makes_the_table_of_a_results_file(tmp_path: Path) -> None:
    """File in, table out: the runs it comes from, a row per figure, goals checked, pipes escaped."""
    path = tmp_path / "results.json"
    path.write_text(json.dumps(RESULTS))
    assert report.render(results.load(path)) == EXPECTED


def test_the_readmes_table_is_what_the_tracked_results_file_makes() -> None:
    """One source: a figure edited by hand in the README, or a run not reported, fails here."""
    readme = report.README.read_text()
    assert report.rewrite(readme, report.render(results.load())) == readme


def test_the_tracked_results_file_holds_every_benchmark_and_only_those() -> None:
    assert list(results.load()["benchmarks"]) == available()
    for name, section in results.load()["benchmarks"].items():
        results.check_figures(name, section["figures"])
        assert {"date", "commit", "machine", "figures"} <= set(section)
        assert {"cores", "ram_gib", "cpu", "load"} <= set(section["machine"])


def test_rewriting_replaces_only_the_text_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n{report.START}\nold table\n{report.END}\nafter\n")
    path = tmp_path / "results.json"
    path.write_text(json.dumps(RESULTS))
    assert report.main(["--check"], readme, path) == 1
    assert report.main([], readme, path) == 0
    assert readme.read_text() == f"# Title\n\nbefore\n{report.START}\n{EXPECTED}{report.END}\nafter\n"
    assert report.main(["--check"], readme, path) == 0


def test_a_readme_without_its_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="needs one"):
        report.rewrite("# Title\n\nno table here\n", "| a | b |\n")


def test_a_partial_run_replaces_only_its_own_section(tmp_path: Path) -> None:
    """`python -m bench ksql` must keep the other benchmarks' figures with their own date and commit."""
    path = tmp_path / "results.json"
    path.write_text(json.dumps(RESULTS))
    figure = {"metric": "restart", "description": "kill -9", "value": 0.25, "unit": "s"}
    started = {"date": "2026-12-07T00:00:00Z", "commit": "abc", "machine": MACHINE}
    results.record("ksql", started, 3.0, [figure], path)
    written = results.load(path)["benchmarks"]
    assert written["rest_proxy"] == RESULTS["benchmarks"]["rest_proxy"]
    assert written["ksql"] == {**started, "seconds": 3.0, "figures": [figure]}
    assert list(written) == ["rest_proxy", "jdbc", "ksql"]  # the order of bench/results.ORDER


@pytest.mark.parametrize(
    "figure",
    [
        {"metric": "rate", "value": 1.0, "unit": "s"},
        {"metric": "rate", "description": " ", "value": 1.0, "unit": "s"},
        {"metric": "rate", "description": "two\nlines", "value": 1.0, "unit": "s"},
        {"metric": "rate", "description": "d", "value": "fast", "unit": "s"},
        {"metric": "rate", "description": "d", "value": 1.0, "unit": "s", "goal": 5},
        {"metric": "rate", "description": "d", "value": 1.0, "unit": "s", "note": "?"},
    ],
)
def test_a_figure_the_table_cannot_show_is_refused(figure: dict[str, Any], tmp_path: Path) -> None:
    started = {"date": "2026-12-07T00:00:00Z", "commit": "abc", "machine": MACHINE}
    with pytest.raises(results.BadFigure):
        results.record("ksql", started, 1.0, [figure], tmp_path / "results.json")
    assert not (tmp_path / "results.json").exists()


def test_the_stamp_names_the_machine_and_the_commit() -> None:
    stamp = results.stamp()
    assert stamp["machine"]["cores"] >= 1 and stamp["machine"]["ram_gib"] > 0 and stamp["machine"]["cpu"]
    assert len(stamp["machine"]["load"]) == 3
    assert len(stamp["commit"].removesuffix("+dirty")) == 40
