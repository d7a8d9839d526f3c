"""The simulation's topics are created together: a request per topic kept its first step waiting for seconds."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from producers.models.producer import ProducerError, Topics
from tests.support.waiting import wait_for

TOPICS = 40


def counting_requests(topics: Topics) -> list[int]:
    """Counts the CreateTopics requests ``topics`` sends (its real admin client still sends them): topics in each."""
    sent: list[int] = []
    create = topics._admin.create_topics

    def create_topics(new: list[Any], **options: Any) -> Any:
        sent.append(len(new))
        return create(new, **options)

    topics._admin.create_topics = create_topics  # type: ignore[method-assign]
    return sent


def listed(topics: Topics) -> dict[str, dict[int, Any]]:
    """The partitions of every topic the broker lists."""
    return {name: meta.partitions for name, meta in topics._admin.list_topics(timeout=10).topics.items()}


def test_topics_named_together_are_created_in_one_request(bootstrap_servers: str) -> None:
    """The simulation names its 145 topics within a moment; one request per topic took 5.3 s on a busy machine."""
    topics = Topics(bootstrap_servers, 30)
    sent = counting_requests(topics)
    names = [f"test.topics.{uuid.uuid4().hex[:8]}.{n}" for n in range(TOPICS)]
    for name in names:
        topics.name(name, 2)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda name: topics.ensure(name, 2), names))
    assert sent == [TOPICS]
    wait_for(lambda: all(len(listed(topics).get(name, {})) == 2 for name in names), "every topic with 2 partitions")


def test_a_topic_kafka_refuses_fails_alone(bootstrap_servers: str) -> None:
    topics = Topics(bootstrap_servers, 30)
    good, bad = f"test.topics.{uuid.uuid4().hex[:8]}", "test.topics.no spaces allowed"
    topics.name(good, 1)
    topics.name(bad, 1)
    with pytest.raises(ProducerError, match=r"Kafka refused to create topic test\.topics\.no spaces allowed"):
        topics.ensure(bad, 1)
    topics.ensure(good, 1)
    wait_for(lambda: good in listed(topics), f"{good} listed")  # the controller answers before brokers know
