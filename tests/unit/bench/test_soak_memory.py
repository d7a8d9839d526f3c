"""What ``make soak-memory`` measures for a process with children: a page they share counted once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil

from bench.soak_memory import SET_UP, SUPERVISOR, TOTAL, resident_mib, sample, tree_pages

SHARED_MIB = 128
CHILDREN = 3
PROGRAM = f"""
import mmap, os, sys
size = {SHARED_MIB} * 2**20
shared = mmap.mmap(-1, size)  # anonymous and shared, like PostgreSQL's shared buffers
for offset in range(0, size, 4096):
    shared[offset] = 1
for _ in range({CHILDREN}):
    if os.fork() == 0:
        total = sum(shared[offset] for offset in range(0, size, 4096))  # each child maps every page
        print(total, flush=True)
        sys.stdin.read()
        os._exit(0)
print("parent", flush=True)
sys.stdin.read()
"""


def test_memory_shared_by_a_process_and_its_children_is_counted_once() -> None:
    """Summing the RSS of PostgreSQL's processes counted its shared buffers once per process that touched them."""
    process = subprocess.Popen(
        [sys.executable, "-c", PROGRAM], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        for _ in range(CHILDREN + 1):
            assert process.stdout is not None and process.stdout.readline()  # every process has mapped every page
        pages = tree_pages(process.pid)
        summed = sum(
            p.memory_info().rss for p in [psutil.Process(process.pid), *psutil.Process(process.pid).children()]
        )
    finally:
        process.communicate("")
    assert pages is not None and len(pages) == CHILDREN + 1
    assert summed >= (CHILDREN + 1) * SHARED_MIB * 2**20  # each process's RSS holds the shared pages in full
    assert SHARED_MIB <= (resident_mib([pages]) or 0) < 1.4 * SHARED_MIB  # once, plus the interpreters' own pages


SET_UP_MIB = 64
RUN_PY = f"""
import subprocess, sys
child = subprocess.Popen(
    [sys.executable, "-c", "import sys; data = bytearray({SET_UP_MIB} * 2**20); print(1, flush=True); sys.stdin.read()",
     "ksql.py"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
)
child.stdout.readline()
print("started", flush=True)
sys.stdin.read()
child.communicate("")
"""


def test_a_short_lived_set_up_step_of_run_py_counts_in_the_whole_system(tmp_path: Path) -> None:
    """The recorded peak came from the start, when only the long-running processes were sampled, every 10 s:
    run.py and its set-up steps (``ksql.py``, the connector's script) were left out of the total."""
    run_py = subprocess.Popen([sys.executable, "-c", RUN_PY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert run_py.stdout is not None and run_py.stdout.readline() == "started\n"
        rss = sample(tmp_path, run_py.pid)  # a data folder without services.json: the platform is not up yet
    finally:
        run_py.communicate("")
    assert (rss[SET_UP["ksql.py"]] or 0) >= SET_UP_MIB
    assert (rss[SUPERVISOR] or 0) > 0
    assert (rss[TOTAL] or 0) >= SET_UP_MIB + (rss[SUPERVISOR] or 0) * 0.5
