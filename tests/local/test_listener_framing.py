"""The local listener and bad HTTP framing (issue 14): a malformed chunk size or
Content-Length is 400, a method it does not serve is 405 with Allow; both as
problem+json with x-request-id, never a 500 or an HTML page. Real loopback sockets."""

from __future__ import annotations

import json
import socket

import pytest

from edgeway_local.apigw import ApiListener


def exchange(listener: ApiListener, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as conn:
        conn.sendall(raw)
        conn.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    length = int(headers.get("content-length", len(body)))
    return status, headers, body[:length]


def assert_problem(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict:
    assert status == expected, body
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == expected and problem["title"] and problem["detail"]
    assert problem["instance"] == headers["x-request-id"] and len(headers["x-request-id"]) >= 8
    assert headers["x-edgeway-region"] == "eu-west-1"
    return problem


@pytest.mark.parametrize("body", [
    b"zz\r\nhello\r\n0\r\n\r\n",  # not hex
    b"-5\r\nhello\r\n0\r\n\r\n",  # negative
    b"5\r\nhel",  # shorter than announced
    b"5\r\nhelloXX0\r\n\r\n",  # no CRLF after the data
    b"f" * 5000 + b"\r\n",  # a size line longer than any real one
])
def test_malformed_chunked_body_is_400_problem(listener: ApiListener, body: bytes) -> None:
    raw = (b"POST /raw/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
           b"Content-Type: text/plain\r\n\r\n" + body)
    problem = assert_problem(*exchange(listener, raw), 400)
    assert "chunk" in problem["detail"]


@pytest.mark.parametrize("headers", [
    b"Content-Length: abc\r\n",
    b"Content-Length: -1\r\n",
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: gzip\r\n",
])
def test_malformed_framing_headers_are_400_problem(listener: ApiListener, headers: bytes) -> None:
    raw = b"POST /raw/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\nhello"
    assert_problem(*exchange(listener, raw), 400)


@pytest.mark.parametrize("method", [b"TRACE", b"CONNECT", b"PROPFIND", b"BREW"])
def test_methods_the_listener_does_not_serve_are_405_problem(listener: ApiListener,
                                                            method: bytes) -> None:
    raw = method + b" /echo/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    status, headers, body = exchange(listener, raw)
    assert_problem(status, headers, body, 405)
    assert set(headers["allow"].split(", ")) == {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH",
                                                 "POST", "PUT"}
    assert b"<html" not in body.lower()


def test_a_good_chunked_body_still_reaches_the_function(listener: ApiListener) -> None:
    raw = (b"POST /raw/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
           b"Content-Type: text/plain\r\nConnection: close\r\n\r\n"
           b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    status, _, body = exchange(listener, raw)
    assert status == 200 and b"hello world" in body, body
