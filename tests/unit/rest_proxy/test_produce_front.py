"""Which requests the produce front answers itself, and which make it hand the connection to Tornado.

The front must answer only what it reads exactly as Tornado would; anything else goes to Tornado,
which then serves the connection to its end (tests/integration/rest_proxy/test_http_front.py runs
both paths against the proxy).
"""

from __future__ import annotations

import pytest

from stack.rest_proxy.produce_front import MAX_BODY, MAX_HEAD, _HandOver, _read_request

BODY = b'{"records":[{"value":1}]}'


def plain(*headers: str, target: str = "/topics/t", body: bytes = BODY, method: str = "POST") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: x", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_a_plain_produce_request_is_read_with_its_route_headers_and_body() -> None:
    pipelined = plain("Content-Type: application/vnd.kafka.json.v2+json", "ACCEPT: application/json") + b"GET / HT"
    read = _read_request(bytearray(pipelined))

    assert read is not None
    request, length = read
    assert pipelined[length:] == b"GET / HT"
    assert request.target.groups() == ("t", None)
    assert (request.content_type, request.accept, request.body) == (
        "application/vnd.kafka.json.v2+json",
        "application/json",
        BODY,
    )


def test_the_partition_route_and_a_query_string() -> None:
    read = _read_request(bytearray(plain(target="/topics/a%2Eb/partitions/2?x=/y")))
    assert read is not None
    assert read[0].target.groups() == ("a%2Eb", "2")


@pytest.mark.parametrize("cut", [0, 10, 40, len(plain()) - len(BODY) - 2, len(plain()) - 1])
def test_a_request_not_yet_whole_waits_for_more(cut: int) -> None:
    assert _read_request(bytearray(plain()[:cut])) is None


@pytest.mark.parametrize(
    "request_bytes",
    [
        plain(method="GET"),
        plain(method="PUT"),
        plain(target="/topics"),
        plain(target="/topics/t/partitions"),
        plain(target="/topics/t/partitions/1/x"),
        plain(target="/topics/t/partitions/"),
        plain().replace(b"HTTP/1.1", b"HTTP/1.0", 1),
        plain().replace(b"POST /", b"POST  /", 1),
        plain("Transfer-Encoding: chunked"),
        plain("Expect: 100-continue"),
        plain("Connection: close"),
        plain("Connection: Keep-Alive"),
        plain("Content-Length: 5"),  # named twice
        plain("X-Folded: a", " b"),
        plain("No colon here"),
        plain("Bad Name : x"),
        plain("X-Bare: a\rb"),
        plain().replace(b"Content-Length: 25", b"Content-Length: +25"),
        plain().replace(b"Content-Length: 25", b"Content-Length: \xb2"),
        plain().replace(f"Content-Length: {len(BODY)}".encode(), f"Content-Length: {MAX_BODY + 1}".encode()),
        plain().replace(f"Content-Length: {len(BODY)}\r\n".encode(), b""),
        b"\r\n" + plain(),
        b"POST /topics/t HTTP/1.1\nHost: x\n\n",
        plain("X-Long: " + "x" * MAX_HEAD),
    ],
)
def test_anything_else_is_handed_to_tornado(request_bytes: bytes) -> None:
    with pytest.raises(_HandOver):
        _read_request(bytearray(request_bytes))


def test_a_head_without_its_end_past_tornados_limit_is_handed_over() -> None:
    with pytest.raises(_HandOver):
        _read_request(bytearray(b"POST /topics/t HTTP/1.1\r\nX-Long: " + b"x" * MAX_HEAD))
