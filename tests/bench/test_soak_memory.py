"""What ``make soak-memory`` measures for a process with children: shared pages counted once."""

from __future__ import annotations

import subprocess
import sys

from bench.soak_memory import tree_memory

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
    """RSS summed over PostgreSQL's processes counted its shared buffers once per process that touched them."""
    process = subprocess.Popen(
        [sys.executable, "-c", PROGRAM], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        for _ in range(CHILDREN + 1):
            assert process.stdout is not None and process.stdout.readline()  # every process has mapped every page
        memory = tree_memory(process.pid)
    finally:
        process.communicate("")
    assert memory is not None
    assert memory.rss >= (CHILDREN + 1) * SHARED_MIB  # the resident set: the shared pages in full in each process
    assert SHARED_MIB <= memory.pss < 1.4 * SHARED_MIB  # proportional: the shared pages once, plus the interpreters
