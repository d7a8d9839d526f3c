"""bench_run's CPU-seconds by process: where a start's work went."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from bench.bench_run import cpu_by_process, memory_figure, process_name
from bench.results import check_figures
from tests.support.waiting import wait_for

SLEEPER = [sys.executable, "-c", "import time; time.sleep(30)"]


@pytest.mark.parametrize(
    ("words", "name"),
    [(["kafka.Kafka"], "kafka"), (["-m", "stack.ksql"], "ksql-server"), (["producers/simulation.py"], "simulation")],
)
def test_a_process_is_named_by_what_it_runs(words: list[str], name: str) -> None:
    """A JVM's main class, a module run with -m, a script: what the timeline's readers know them by."""
    argv = [*SLEEPER, *words]
    child = subprocess.Popen(argv)
    try:
        process = psutil.Process(child.pid)
        wait_for(lambda: process.cmdline() == argv, "the child's own command line")  # not its parent's, forked
        assert process_name(process) == name
    finally:
        child.kill()
        child.wait()


def test_the_cpu_of_children_that_ended_counts_in_their_parent() -> None:
    """A step that ran to its end (ksql.py, the connector) still counts, in run.py's share."""
    before = cpu_by_process(psutil.Process().pid)
    subprocess.run([sys.executable, "-c", "sum(range(3_000_000))"], check=True)
    after = cpu_by_process(psutil.Process().pid)
    name = process_name(psutil.Process())
    assert after[name] > before[name]


def test_the_memory_peak_is_a_figure_the_results_file_holds() -> None:
    """The peak's per-process shares once made the run benchmark fail after its 13 minutes, its figures unsaved."""
    peak = {"minute": 0.27, "mib": 1000.0, "by_process": {"Kafka": 430.0, "Connect": 245.0}}
    figure = memory_figure(peak, 10)
    check_figures("run", [figure])
    assert figure["value"] == 1000.0 and figure["runs"] == [peak]
