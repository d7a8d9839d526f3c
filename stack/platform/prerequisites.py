"""Checks for what the platform needs from the machine, each failing with one line saying what to do."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess

from clients.endpoints import LISTEN_HOST
from stack.common.errors import StackError

MIN_JAVA = 17


def java_executable(home: str) -> str:
    """The ``java`` to run, from ``home`` (JAVA_HOME) when set, as Kafka's own scripts do, else from PATH."""
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        raise StackError(
            f"Java {MIN_JAVA} or newer is needed: install a JDK (Debian: apt-get install openjdk-17-jdk-headless)."
        )
    return java


def require_java(home: str) -> str:
    """The ``java`` of ``home`` (JAVA_HOME, empty: from PATH), refused unless it is Java 17 or newer."""
    java = java_executable(home)
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(match.group(1)) if match else 0
    if major == 1 and match and match.group(2):  # "1.8.0" style
        major = int(match.group(2))
    if major < MIN_JAVA:
        raise StackError(
            f"Java {MIN_JAVA} or newer is needed, found Java {major} at {java}: install a newer JDK or set JAVA_HOME."
        )
    return java


def require_maven() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise StackError(
            "Maven (mvn) is needed once to fetch the Kafka jars and build the JDBC connector: "
            "install it (Debian: apt-get install maven)."
        )
    return mvn


def port_in_use(port: int) -> bool:
    """True when something accepts connections on the port, or holds it so that we cannot bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((LISTEN_HOST, port)) == 0:
            return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as binder:
        binder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            binder.bind((LISTEN_HOST, port))
        except OSError:
            return True
    return False


def require_free_port(port: int, service: str) -> None:
    if port_in_use(port):
        raise StackError(
            f"Port {port} is already in use by another program, so {service} cannot start: "
            f"stop that program (see `ss -ltnp 'sport = :{port}'`) and run `python -m stack up` again."
        )
