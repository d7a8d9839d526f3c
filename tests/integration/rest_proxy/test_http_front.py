"""HTTP on the produce routes, whose plain requests the proxy answers itself (stack/rest_proxy/produce_front.py).

Raw sockets send what real clients send in ways ``requests`` never does: requests pipelined in one
write, a request cut into pieces, a chunked body, ``Expect: 100-continue`` (curl's habit for bodies
over 1 kB), HTTP/1.0, ``Connection: close``, an oversized body and a malformed request. All but the
plain ones make the front hand its connection, with what it has read, to Tornado mid-stream. Each
answer is read off the same connection, so an answer lost, out of place, or a connection wrongly
kept or closed fails.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO
from urllib.parse import urlsplit

import pytest

from tests.support.reading import read_count
from tests.support.rest import AVRO, JSON, V2, WEATHER_SCHEMA

Answer = tuple[int, dict[str, str], bytes]


@contextmanager
def connection(rest_url: str) -> Iterator[tuple[socket.socket, BinaryIO]]:
    address = urlsplit(rest_url)
    sock = socket.create_connection((address.hostname or "localhost", address.port or 80), timeout=60)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        yield sock, sock.makefile("rb")
    finally:
        sock.close()


def read_answer(stream: BinaryIO, head: bool = False) -> Answer:
    """One answer off the connection: status, headers (lower-case names) and its Content-Length body (none to HEAD)."""
    status_line = stream.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = b"" if head else stream.read(int(headers.get("content-length", 0)))
    return int(status_line.split()[1]), headers, body


def request(method: str, path: str, body: bytes = b"", *headers: str, version: str = "HTTP/1.1") -> bytes:
    lines = [f"{method} {path} {version}", "Host: localhost", *headers]
    if body and not any(h.lower().startswith("transfer-encoding") for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def records(*values: object) -> bytes:
    return json.dumps({"records": [{"value": v} for v in values]}).encode()


def offsets(answer: Answer) -> list[tuple[int, int]]:
    status, headers, body = answer
    assert status == 200, body
    assert headers["content-type"] == V2
    return [(o["partition"], o["offset"]) for o in json.loads(body)["offsets"]]


def is_closed(stream: BinaryIO) -> bool:
    """Whether the proxy closed the connection: the read after the last answer meets its end."""
    return stream.read(1) == b""


def test_pipelined_requests_are_answered_in_order_on_one_connection(rest_url: str, topic: str) -> None:
    path = f"/topics/{topic}/partitions/1"
    pipelined = (
        request("POST", path, records(1, 2), f"Content-Type: {JSON}")
        + request("GET", f"/topics/{topic}")
        + request("POST", path, records(3), f"Content-Type: {JSON}")
        + request("POST", path, b"{not json", f"Content-Type: {JSON}")
        + request("POST", path, records(4), f"Content-Type: {JSON}")
    )
    with connection(rest_url) as (sock, stream):
        sock.sendall(pipelined)
        first, metadata, third, refused, last = (read_answer(stream) for _ in range(5))

    assert offsets(first) == [(1, 0), (1, 1)]
    assert metadata[0] == 200 and json.loads(metadata[2])["name"] == topic
    assert offsets(third) == [(1, 2)]
    assert refused[0] == 400 and json.loads(refused[2])["error_code"] == 400
    assert offsets(last) == [(1, 3)]


def test_a_request_cut_anywhere_is_read_whole(rest_url: str, topic: str) -> None:
    whole = request("POST", f"/topics/{topic}/partitions/0", records(*range(50)), f"Content-Type: {JSON}")
    head_end = whole.index(b"\r\n\r\n")
    cuts = [5, head_end - 3, head_end + 2, head_end + 40, len(whole) - 1]
    with connection(rest_url) as (sock, stream):
        for start, end in zip([0, *cuts], [*cuts, len(whole)], strict=True):
            sock.sendall(whole[start:end])
        answer = read_answer(stream)
    assert offsets(answer) == [(0, n) for n in range(50)]


def test_a_chunked_body_is_produced(rest_url: str, topic: str) -> None:
    body = records("a", "b", "c")
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:7], body[7:20], body[20:])) + b"0\r\n\r\n"
    whole = request(
        "POST", f"/topics/{topic}/partitions/2", chunked, f"Content-Type: {JSON}", "Transfer-Encoding: chunked"
    )
    head_end = whole.index(b"\r\n\r\n") + 4
    with connection(rest_url) as (sock, stream):
        sock.sendall(request("POST", f"/topics/{topic}/partitions/2", records("first"), f"Content-Type: {JSON}"))
        assert offsets(read_answer(stream)) == [(2, 0)]
        sock.sendall(whole[: head_end + 5])  # the head and part of the first chunk: the rest comes later
        sock.sendall(whole[head_end + 5 :])
        assert offsets(read_answer(stream)) == [(2, 1), (2, 2), (2, 3)]
        sock.sendall(request("POST", f"/topics/{topic}/partitions/2", records("last"), f"Content-Type: {JSON}"))
        assert offsets(read_answer(stream)) == [(2, 4)]


def test_expect_100_continue_is_answered_before_the_body(rest_url: str, topic: str) -> None:
    body = records(*range(100))
    head = request(
        "POST", f"/topics/{topic}/partitions/0", b"", f"Content-Type: {JSON}", f"Content-Length: {len(body)}"
    )
    with connection(rest_url) as (sock, stream):
        sock.sendall(head.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n"))
        assert stream.readline().startswith(b"HTTP/1.1 100")
        assert stream.readline() == b"\r\n"
        sock.sendall(body)
        assert len(offsets(read_answer(stream))) == 100


def test_connection_close_is_honoured_after_the_answer(rest_url: str, topic: str) -> None:
    with connection(rest_url) as (sock, stream):
        sock.sendall(request("POST", f"/topics/{topic}", records(1), f"Content-Type: {JSON}", "Connection: close"))
        assert len(offsets(read_answer(stream))) == 1
        assert is_closed(stream)


@pytest.mark.parametrize(("keep_alive", "closed"), [(False, True), (True, False)])
def test_http_1_0_closes_unless_asked_to_keep_alive(rest_url: str, topic: str, keep_alive: bool, closed: bool) -> None:
    headers = [f"Content-Type: {JSON}", *(["Connection: keep-alive"] if keep_alive else [])]
    with connection(rest_url) as (sock, stream):
        sock.sendall(request("POST", f"/topics/{topic}", records(1), *headers, version="HTTP/1.0"))
        status, answer_headers, _ = read_answer(stream)
        assert status == 200
        if closed:
            assert is_closed(stream)
        else:
            assert answer_headers["connection"].lower() == "keep-alive"
            sock.sendall(request("GET", "/", b"", "Connection: keep-alive", version="HTTP/1.0"))
            assert read_answer(stream)[0] == 200


def test_an_oversized_body_is_refused_before_it_is_read(rest_url: str, topic: str) -> None:
    with connection(rest_url) as (sock, stream):
        sock.sendall(request("POST", f"/topics/{topic}", b"", f"Content-Type: {JSON}", "Content-Length: 200000000"))
        assert read_answer(stream)[0] == 400
        assert is_closed(stream)


def test_a_malformed_request_is_400_and_closed(rest_url: str) -> None:
    with connection(rest_url) as (sock, stream):
        sock.sendall(b"POST /topics/x HTTP/1.1\r\nthis line has no colon\r\n\r\n")
        assert read_answer(stream)[0] == 400
        assert is_closed(stream)


def test_path_segments_are_percent_decoded_and_must_be_utf8(rest_url: str, topic: str) -> None:
    escaped = "".join(f"%{byte:02X}" for byte in topic.encode())
    with connection(rest_url) as (sock, stream):
        sock.sendall(request("POST", f"/topics/{escaped}/partitions/%31?x=1", records(1), f"Content-Type: {JSON}"))
        assert offsets(read_answer(stream)) == [(1, 0)]
        sock.sendall(request("POST", "/topics/%FF", records(1), f"Content-Type: {JSON}"))
        status, headers, body = read_answer(stream)
    assert status == 400 and headers["content-type"] == V2
    assert json.loads(body) == {"error_code": 400, "message": "HTTP 400 Bad Request"}


def test_answers_and_refusals_are_negotiated_as_before(rest_url: str, topic: str) -> None:
    avro = json.dumps({"value_schema": WEATHER_SCHEMA, "records": [{"value": {"temperature": 1, "status": "x"}}]})
    with connection(rest_url) as (sock, stream):
        sock.sendall(
            request(
                "POST", f"/topics/{topic}/partitions/1", records(1), f"Content-Type: {JSON}", "Accept: application/json"
            )
        )
        status, headers, _ = read_answer(stream)
        assert (status, headers["content-type"]) == (200, "application/json")
        sock.sendall(request("POST", f"/topics/{topic}", avro.encode(), f"Content-Type: {AVRO}"))
        status, headers, body = read_answer(stream)
        assert (status, headers["content-type"], json.loads(body)["error_code"]) == (422, V2, 42203)
        sock.sendall(request("POST", f"/topics/{topic}/partitions/x", records(1), "Content-Type: text/plain"))
        status, _, body = read_answer(stream)
        assert (status, json.loads(body)["error_code"]) == (415, 415)
        sock.sendall(request("HEAD", f"/topics/{topic}"))
        status, headers, _ = read_answer(stream, head=True)
        assert status == 200 and int(headers["content-length"]) > 0
        sock.sendall(request("POST", f"/topics/{topic}/partitions/0", records(2), f"Content-Type: {JSON}"))
        assert offsets(read_answer(stream)) == [(0, 0)]


def test_the_standard_library_client_produces_on_a_kept_connection(rest_url: str, topic: str) -> None:
    address = urlsplit(rest_url)
    client = http.client.HTTPConnection(address.hostname or "localhost", address.port, timeout=60)
    try:
        for n in range(3):
            client.request("POST", f"/topics/{topic}/partitions/0", records(n), {"Content-Type": JSON})
            response = client.getresponse()
            assert response.status == 200 and not response.will_close
            assert json.loads(response.read())["offsets"][0]["offset"] == n
    finally:
        client.close()


def test_a_client_gone_before_its_answer_does_not_stop_its_records_or_the_proxy(
    rest_url: str, kafka_bootstrap: str, topic: str
) -> None:
    with connection(rest_url) as (sock, _):
        sock.sendall(request("POST", f"/topics/{topic}/partitions/0", records(*range(100)), f"Content-Type: {JSON}"))
    with connection(rest_url) as (sock, stream):
        sock.sendall(request("POST", f"/topics/{topic}/partitions/1", records("after"), f"Content-Type: {JSON}"))
        assert offsets(read_answer(stream)) == [(1, 0)]
    written = read_count(kafka_bootstrap, [topic], 101)
    assert sorted(json.loads(m.value()) for m in written if m.partition() == 0) == list(range(100))
