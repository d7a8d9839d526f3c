"""The rule of tests/README.md: no hand-written consume loop in tests or benchmarks; ``tests/support/reading.py``
reads topics. The few loops that do something else are named here, each with what it does instead."""

from __future__ import annotations

import re

from clients.endpoints import PROJECT_ROOT

# A Kafka consumer's poll(timeout) or consume(n, timeout): not a producer's poll(0), a process's poll(), or
# the application's KafkaConsumer.consume() (it runs the status page's consumer for as long as it runs).
CONSUMER_READ = re.compile(r"\b\w*(consumer|reader)s?\b[\w\[\]\"']*\.(poll|consume)\((?!\))")

ALLOWED = {
    "tests/support/reading.py": "the one reader",
    "tests/support/ksql.py": "query_caught_up: a probe that stops at the first record past a group's commits",
    "tests/support/pipeline.py": "Riders: one consumer kept across calls, reading only what is new at each",
    "tests/system/run/test_run.py": "keeps two group members alive while their groups become stable",
    "bench/classic_page.py": "the classic page's own consumer loop, rebuilt as a baseline",
    "bench/bench_ksql.py": "the baseline consume+decode+count loop the KSQL server is measured against",
    "tests/unit/common/test_one_reader.py": "the pattern's own examples",
}


def test_only_the_reading_module_and_the_named_exceptions_read_topics_by_hand() -> None:
    found = {
        str(path.relative_to(PROJECT_ROOT))
        for folder in ("tests", "bench")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if CONSUMER_READ.search(path.read_text())
    }
    assert found <= set(ALLOWED), f"hand-written consume loops: use tests/support/reading.py in {found - set(ALLOWED)}"


def test_the_pattern_finds_the_loops_it_is_meant_to_find() -> None:
    assert CONSUMER_READ.search("message = consumer.poll(0.5)")
    assert CONSUMER_READ.search('for m in consumers["committing"].poll(1.0)')
    assert CONSUMER_READ.search("for message in self.consumer.consume(10_000, 1.0):")
    assert not CONSUMER_READ.search("producer.poll(0)")
    assert not CONSUMER_READ.search("task = asyncio.create_task(consumer.consume())")
