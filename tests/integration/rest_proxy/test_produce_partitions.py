"""Where the REST Proxy puts records without a key: as the Java producer does, together."""

from __future__ import annotations

import requests

from tests.support.rest import JSON, produce


def test_the_keyless_records_of_a_request_travel_together_to_one_partition(
    http: requests.Session, rest_url: str, topic: str
) -> None:
    # The Java producer's sticky partitioner (Confluent's proxy runs one) keeps keyless records on one
    # partition until its batch is full; ours sticks for 25 ms, so a request may straddle two at most.
    # Drawing a partition per record would spread 30 records over all 3 partitions (but 2 in 60,000).
    # The first request introduces the topic to the proxy's producer, which places records it holds
    # for a topic it has no metadata for yet one by one when the metadata comes.
    produce(http, f"{rest_url}/topics/{topic}", JSON, {"records": [{"value": "first"}]})
    answer = produce(http, f"{rest_url}/topics/{topic}", JSON, {"records": [{"value": i} for i in range(30)]})

    partitions = [o["partition"] for o in answer["offsets"]]
    assert len(set(partitions)) <= 2
    for partition in set(partitions):
        offsets = [o["offset"] for o in answer["offsets"] if o["partition"] == partition]
        assert offsets == list(range(offsets[0], offsets[0] + len(offsets)))
