"""What ``make soak-memory`` measures for a process with children: a page they share counted once."""

from __future__ import annotations

import subprocess
import sys

import psutil

from bench.soak_memory import resident_mib, tree_pages

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
