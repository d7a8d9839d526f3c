"""KRaft cluster ids that kafka-storage always accepts."""

from __future__ import annotations

import base64

from stack.platform.kafka import new_cluster_id


def test_a_cluster_id_never_starts_with_a_dash_that_kafka_storage_would_take_for_an_option() -> None:
    ids = [new_cluster_id() for _ in range(5000)]  # one random id in 64 starts with "-"
    assert not any(i.startswith("-") for i in ids)
    assert all(len(base64.urlsafe_b64decode(i + "==")) == 16 for i in ids)
