"""Where the REST Proxy puts records without a key: as the Java producer does, a request's together."""

from __future__ import annotations

import requests

from tests.support.rest import JSON, produce


def test_the_keyless_records_of_a_request_travel_together_to_one_partition(
    http: requests.Session, rest_url: str, topic: str
) -> None:
    # The Java producer's partitioner (Confluent's proxy runs one) keeps a batch of small keyless
    # records on one partition; drawing a partition per record would spread 30 records over all 3
    # partitions (but 2 in 60,000), and librdkafka's sticky partitioner can switch in mid-request.
    answers = [
        produce(http, f"{rest_url}/topics/{topic}", JSON, {"records": [{"value": i} for i in range(30)]})
        for _ in range(20)
    ]

    for answer in answers:
        assert len({o["partition"] for o in answer["offsets"]}) == 1
        offsets = [o["offset"] for o in answer["offsets"]]
        assert offsets == list(range(offsets[0], offsets[0] + 30))
    # Over requests, keyless records still spread: 20 requests all on one of 3 partitions is 1 in 3**19.
    assert len({answer["offsets"][0]["partition"] for answer in answers}) > 1
