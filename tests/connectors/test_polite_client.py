"""The polite client against a real loopback server: retries, Retry-After, timeouts, bodies."""

from __future__ import annotations

import hashlib
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from werkzeug import Request, Response

from sources.http import FetchError, PoliteClient

CONTACT = "tests@datacymru.example"


class Sequence:
    """A handler that answers with the next response in turn, then repeats the last one."""

    def __init__(self, *answers):
        self.answers, self.seen = list(answers), []

    def __call__(self, request: Request) -> Response:
        self.seen.append(request)
        answer = self.answers[min(len(self.seen), len(self.answers)) - 1]
        return answer if isinstance(answer, Response) else answer()


def csv_ok(body: bytes = b"A,B\r\n1,2\r\n", **headers) -> Response:
    return Response(body, status=200, content_type="text/csv", headers=headers)


def truncated(body: bytes = b"A,B\r\n1,2\r\n", claimed: int = 500) -> Response:
    response = Response(body, status=200, content_type="text/csv")
    response.headers["Content-Length"] = str(claimed)
    return response


@pytest.fixture
def client(httpserver, tmp_path: Path, sleeps) -> PoliteClient:
    return PoliteClient("ons", httpserver.url_for("/v1"), CONTACT, sleep=sleeps, backoff_base=0.01,
                        timeout=(2.0, 0.5), max_attempts=4, rate_limit=(10_000, 1.0), tmp_dir=tmp_path)


def test_user_agent_carries_the_contact(httpserver, client: PoliteClient):
    handler = Sequence(csv_ok())
    httpserver.expect_request("/v1/a.csv").respond_with_handler(handler)
    client.download("a.csv")
    agent = handler.seen[0].headers["User-Agent"]
    assert CONTACT in agent and agent.startswith("DataCymruStatsPlatform/")


def test_a_body_is_streamed_to_a_file_with_its_hash(httpserver, client: PoliteClient, tmp_path: Path):
    body = b"A,B\r\n" + b"1,2\r\n" * 300_000  # larger than one read chunk
    httpserver.expect_request("/v1/a.csv").respond_with_handler(Sequence(csv_ok(body)))
    got = client.download("a.csv", params={"x": "1"})
    assert got.path is not None and got.path.parent == tmp_path
    assert got.path.read_bytes() == body
    assert got.sha256 == hashlib.sha256(body).hexdigest()
    assert got.bytes == len(body)
    assert got.url.endswith("/v1/a.csv?x=1")
    assert got.content_type == "text/csv"


def test_429_honours_retry_after_in_seconds(httpserver, client: PoliteClient, sleeps):
    handler = Sequence(Response("slow down", status=429, headers={"Retry-After": "7"}), csv_ok())
    httpserver.expect_request("/v1/a.csv").respond_with_handler(handler)
    got = client.download("a.csv")
    assert got.status == 200
    assert sleeps.calls == [7.0]
    assert len(handler.seen) == 2
    assert client.requests_sent == 2


def test_429_honours_retry_after_as_a_date(httpserver, client: PoliteClient, sleeps):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    handler = Sequence(Response("slow down", status=429, headers={"Retry-After": when}), csv_ok())
    httpserver.expect_request("/v1/a.csv").respond_with_handler(handler)
    client.download("a.csv")
    (slept,) = sleeps.calls
    assert 27.0 <= slept <= 30.0


def test_500_then_success_backs_off_once(httpserver, client: PoliteClient, sleeps):
    handler = Sequence(Response("oops", status=500), Response("oops", status=503), csv_ok())
    httpserver.expect_request("/v1/a.csv").respond_with_handler(handler)
    got = client.download("a.csv")
    assert got.path.read_bytes() == b"A,B\r\n1,2\r\n"
    assert len(handler.seen) == 3
    assert len(sleeps.calls) == 2
    assert 0.01 <= sleeps.calls[0] <= 0.02 and 0.02 <= sleeps.calls[1] <= 0.04


def test_persistent_server_errors_give_up_after_max_attempts(httpserver, client: PoliteClient, sleeps):
    handler = Sequence(Response("down", status=502))
    httpserver.expect_request("/v1/a.csv").respond_with_handler(handler)
    with pytest.raises(FetchError, match="gave up after 4 attempts: .*HTTP 502") as info:
        client.download("a.csv")
    assert info.value.status == 502
    assert len(handler.seen) == 4
    assert len(sleeps.calls) == 3


def test_a_client_error_is_not_retried(httpserver, client: PoliteClient, sleeps):
    handler = Sequence(Response("no such dataset", status=404))
    httpserver.expect_request("/v1/a.csv").respond_with_handler(handler)
    with pytest.raises(FetchError, match="HTTP 404: b'no such dataset'"):
        client.download("a.csv")
    assert len(handler.seen) == 1
    assert sleeps.calls == []


def test_a_timeout_is_retried(threaded_httpserver, tmp_path: Path, sleeps):
    def stall() -> Response:
        time.sleep(1.0)  # longer than the client's read timeout
        return csv_ok(b"A\r\nlate\r\n")

    handler = Sequence(stall, csv_ok(b"A\r\nfast\r\n"))
    threaded_httpserver.expect_request("/v1/a.csv").respond_with_handler(handler)
    client = PoliteClient("ons", threaded_httpserver.url_for("/v1"), CONTACT, sleep=sleeps, backoff_base=0.01,
                          timeout=(2.0, 0.3), rate_limit=(10_000, 1.0), tmp_dir=tmp_path)
    got = client.download("a.csv")
    assert got.path.read_bytes() == b"A\r\nfast\r\n"
    assert len(sleeps.calls) == 1
    assert client.requests_sent == 2


def test_a_truncated_body_is_retried_and_never_returned(httpserver, client: PoliteClient, tmp_path: Path):
    handler = Sequence(truncated(), csv_ok())
    httpserver.expect_request("/v1/a.csv").respond_with_handler(handler)
    got = client.download("a.csv")
    assert got.path.read_bytes() == b"A,B\r\n1,2\r\n"
    assert len(handler.seen) == 2
    assert [p for p in tmp_path.iterdir() if p != got.path] == []


def test_a_body_that_is_always_truncated_fails_and_leaves_no_file(httpserver, client: PoliteClient,
                                                                   tmp_path: Path):
    httpserver.expect_request("/v1/a.csv").respond_with_handler(Sequence(truncated()))
    with pytest.raises(FetchError, match="body cut short"):
        client.download("a.csv")
    assert list(tmp_path.iterdir()) == []


def test_connection_refused_is_retried_then_reported(tmp_path: Path, sleeps):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = PoliteClient("nomis", f"http://127.0.0.1:{port}", CONTACT, sleep=sleeps, backoff_base=0.01,
                          max_attempts=3, tmp_dir=tmp_path)
    with pytest.raises(FetchError, match="gave up after 3 attempts: .*ConnectionError"):
        client.download("a.csv")
    assert len(sleeps.calls) == 2


def test_an_unexpected_content_type_is_treated_as_throttling(httpserver, client: PoliteClient, sleeps):
    page = Response("<html><body>Too many requests</body></html>", status=200, content_type="text/html")
    handler = Sequence(page, csv_ok())
    httpserver.expect_request("/v1/a.csv").respond_with_handler(handler)
    got = client.download("a.csv", expect_type="text/csv")
    assert got.content_type == "text/csv"
    assert len(sleeps.calls) == 1


def test_conditional_headers_are_sent_and_304_has_no_body(httpserver, client: PoliteClient):
    handler = Sequence(Response(status=304, headers={"ETag": '"v1"'}))
    httpserver.expect_request("/v1/a.csv").respond_with_handler(handler)
    got = client.download("a.csv", etag='"v1"', last_modified="Sun, 01 Mar 2026 12:00:00 GMT")
    assert got.not_modified and got.path is None
    assert handler.seen[0].headers["If-None-Match"] == '"v1"'
    assert handler.seen[0].headers["If-Modified-Since"] == "Sun, 01 Mar 2026 12:00:00 GMT"


def test_an_accepted_error_status_is_handed_back_with_its_body(httpserver, client: PoliteClient):
    error = Response(b'{"errors": [{"message": "errors.page_number_too_high"}]}', status=400,
                     content_type="application/json")
    httpserver.expect_request("/v1/a").respond_with_handler(Sequence(error))
    got = client.download("a", accept_status=lambda status, head: b"page_number_too_high" in head)
    assert got.status == 400
    assert b"page_number_too_high" in got.path.read_bytes()
    assert got.sha256 == hashlib.sha256(got.path.read_bytes()).hexdigest()


def test_the_rate_limit_paces_requests(httpserver, tmp_path: Path, sleeps):
    httpserver.expect_request("/v1/a.csv").respond_with_handler(Sequence(csv_ok()))
    client = PoliteClient("ons", httpserver.url_for("/v1"), CONTACT, sleep=sleeps, rate_limit=(2, 60.0),
                          tmp_dir=tmp_path)
    for _ in range(3):
        client.download("a.csv").path.unlink()
    (waited,) = sleeps.calls
    assert 59.0 < waited <= 60.0
