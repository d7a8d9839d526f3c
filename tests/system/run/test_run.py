"""``make run``'s supervisor (run.py): it starts the application, reports a process that dies with
the tail of its log, and stops everything it started on SIGINT, leaving a platform it found running."""

from __future__ import annotations

import dataclasses
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
from confluent_kafka import Consumer, ConsumerGroupState, Producer
from confluent_kafka.admin import AdminClient

import run
from clients.endpoints import PROJECT_ROOT
from stack.platform import lifecycle
from stack.settings import Settings
from tests.support.kafka import new_topic
from tests.support.reading import read_count
from tests.support.waiting import wait_for

SIMULATION = next(process for process in run.APPLICATION if process.name == "simulation")


def test_a_dying_process_is_reported_with_its_log_tail_and_the_others_carry_on(
    running_platform: Settings, tmp_path: Path
) -> None:
    (tmp_path / "crash.py").write_text(
        "import sys\nfor i in range(30):\n    print(f'line {i}')\nsys.exit('the crash reason')\n"
    )
    said: list[str] = []
    supervisor = run.Supervisor(
        dataclasses.replace(running_platform, data_dir=tmp_path),
        [SIMULATION, run.Process("crasher", str(tmp_path), ["crash.py"])],
        say=said.append,
    )
    try:
        supervisor.start()

        def reported() -> bool:
            supervisor.check()
            return any("crasher died" in text for text in said)

        wait_for(reported, "the crash report")
        report = next(text for text in said if "crasher died" in text)
        first, *tail = report.splitlines()
        assert first == f"The crasher died (exit code 1); the end of {tmp_path / 'logs' / 'crasher.log'}:"
        assert tail[-1].strip() == "the crash reason"
        assert tail[-2].strip() == "line 29"
        assert len(tail) == run.TAIL_LINES
        simulation_log = tmp_path / "logs" / "simulation.log"
        wait_for(lambda: "Simulating from" in simulation_log.read_text(), "the simulation to run", 120)
        assert supervisor.running() == ["simulation"]
    finally:
        supervisor.stop()
    assert all(entry.popen.poll() is not None for entry in supervisor.started)
    log = simulation_log.read_text()
    assert "Received SIGINT" in log and "0 failed, 0 undelivered" in log


def test_sigint_stops_every_process_it_started_and_leaves_a_running_platform_up(running_platform: Settings) -> None:
    process = subprocess.Popen(
        [sys.executable, "run.py"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    output: list[str] = []

    def seen(text: str) -> bool:
        while not lines.empty():
            output.append(lines.get())
        return any(text in line for line in output)

    try:
        wait_for(lambda: seen("simulation up |"), "a status line with the simulation up", 180)
        children = psutil.Process(process.pid).children()
        assert children, "run.py started no processes"
        process.send_signal(signal.SIGINT)
        assert process.wait(90) == 0
    finally:
        if process.poll() is None:
            process.kill()
    seen("")
    assert any(line.startswith("Stopping the simulation") for line in output), output
    _, alive = psutil.wait_procs(children, timeout=60)
    assert alive == []
    assert lifecycle.running_services(running_platform), "the platform it found running was stopped"


def test_the_status_line_lists_the_lag_of_groups_that_commit_and_leaves_out_those_that_do_not(
    bootstrap_servers: str,
) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    topic = new_topic(admin, "test.run.lag")
    producer = Producer({"bootstrap.servers": bootstrap_servers})
    for n in range(5):
        producer.produce(topic, value=str(n).encode())
    producer.flush(10)
    groups = {name: f"test-run-{name}-{time.monotonic_ns()}" for name in ("committing", "reading")}
    consumers = {
        name: Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        for name, group in groups.items()
    }
    try:
        for consumer in consumers.values():
            consumer.subscribe([topic])
        first = read_count(bootstrap_servers, [topic], 1, consumer=consumers["committing"])  # a group member's
        consumers["committing"].commit(first[0], asynchronous=False)  # one of five read: a lag of four

        def both_groups_stable() -> bool:
            for consumer in consumers.values():
                consumer.poll(0.1)  # keeps both members in their groups
            states = {g.group_id: g.state for g in admin.list_consumer_groups(request_timeout=30).result(60).valid}
            return all(states.get(group) == ConsumerGroupState.STABLE for group in groups.values())

        wait_for(both_groups_stable, "both consumer groups to be stable")
        line = run.KafkaActivity(bootstrap_servers).sample()
        assert f"{groups['committing']} 4" in line
        assert groups["reading"] not in line  # it commits nothing: it has no lag to show
    finally:
        for consumer in consumers.values():
            consumer.close()


def test_sleep_reaches_the_simulation_alone() -> None:
    """``run.py --sleep 1`` (the memory soak's pace) changes the simulation's command line and no other."""
    changed = {p.name: p for p in run.with_simulation_options(run.APPLICATION, ["--sleep", "1"])}
    for process in run.APPLICATION:
        expected = [*process.command, "--sleep", "1"] if process.name == "simulation" else process.command
        assert changed[process.name].command == expected
    assert SIMULATION.command == ["simulation.py", "--no-connector"]  # the table itself is left as it was
