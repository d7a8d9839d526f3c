"""Whether topics exist, as the classic project's ``topic_check.py`` answers it (the server uses it at start)."""

from __future__ import annotations

from confluent_kafka.admin import AdminClient

from cta import endpoints

TIMEOUT = 5.0


def _topics() -> set[str]:
    client = AdminClient({"bootstrap.servers": endpoints().kafka_bootstrap_servers})
    return set(client.list_topics(timeout=TIMEOUT).topics)


def topic_exists(topic: str) -> bool:
    """Whether ``topic`` exists."""
    return topic in _topics()


def topic_pattern_match(pattern: str) -> bool:
    """Whether any topic's name contains ``pattern``."""
    return any(pattern in topic for topic in _topics())
