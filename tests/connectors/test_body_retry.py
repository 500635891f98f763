"""A 200 body that is cut short or unparsable is retried like a 5xx, and every bad body is kept.

Two layers: the client retries a transfer it can see is incomplete (connection closed early,
Content-Length mismatch, a chunk or a compressed stream cut); `FetchContext.get` retries a body
that arrived "whole" but fails the connector's validation, keeping each one in `rejected/`.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug import Request, Response

from sources.archive import Archive, FetchSet
from sources.connectors.base import FetchContext, InvalidBody, count_json_rows
from sources.fetch import fetch_dataset
from sources.http import Download, FetchError, PoliteClient

CONTACT = "tests@datacymru.example"
PAGE = b'[{"a": 1}, {"a": 2}, {"a": 3}]'


class Sequence:
    """Answers with the next response in turn, then repeats the last one."""

    def __init__(self, *answers: Response) -> None:
        self.answers, self.seen = list(answers), 0

    def __call__(self, request: Request) -> Response:
        self.seen += 1
        return self.answers[min(self.seen, len(self.answers)) - 1]


def json_page(body: bytes) -> Response:
    # Content-Length matches: the transfer is complete, the content is not.
    return Response(body, status=200, content_type="application/json")


@pytest.fixture
def dataset(datasets):
    return datasets.nomis()


@pytest.fixture
def archive(dataset, live_settings) -> Archive:
    return Archive(live_settings.archive, dataset.provider, dataset.name)


@pytest.fixture
def context(dataset, client_for, archive, logs) -> Iterator[FetchContext]:
    ctx = FetchContext(dataset, client_for(dataset), archive, FetchSet(dataset=dataset.key, mode="live"),
                       None, logs.append)
    yield ctx
    ctx.close()


def get_page(ctx: FetchContext):
    return ctx.get("page.json", page=1, validate=lambda d: count_json_rows("nomis", d, ctx.scratch))


def rejected(archive: Archive) -> tuple[list[Path], list[dict]]:
    folder = archive.dir / "rejected"
    files = sorted(folder.iterdir()) if folder.exists() else []
    log = archive.dir / "rejected.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return files, rows


# --- invalid bodies: FetchContext.get ------------------------------------------------------------

def test_a_json_page_invalid_twice_then_valid_is_fetched(httpserver, context, archive, sleeps, logs):
    cut = [PAGE[:14], PAGE[:21]]  # inside an object; just after a comma (DuckDB alone takes that)
    handler = Sequence(json_page(cut[0]), json_page(cut[1]), json_page(PAGE))
    httpserver.expect_request("/nomis/api/v01/page.json").respond_with_handler(handler)
    part, rows, _ = get_page(context)
    assert rows == 3 and handler.seen == 3
    assert archive.path_of(part).read_bytes() == PAGE
    assert context.fetch.parts == [part]
    files, reasons = rejected(archive)
    assert sorted(f.read_bytes() for f in files) == sorted(cut)
    assert len(reasons) == 2
    assert all(r["url"].endswith("/page.json") for r in reasons)
    assert [r["reason"].split(":")[0] for r in reasons] == ["not a complete JSON array"] * 2
    assert "no closing ']'" in reasons[1]["reason"]
    # The client's own backoff (base 0.01 s in tests), slept through its injected sleep.
    assert len(sleeps.calls) == 2
    assert 0.01 <= sleeps.calls[0] <= 0.02 and 0.02 <= sleeps.calls[1] <= 0.04
    retries = [line for line in logs if "invalid body" in line]
    assert len(retries) == 2 and "attempt 1 failed" in retries[0] and "rejected" in retries[0]


@pytest.mark.parametrize("body", [b"", b"  \n", PAGE[:10], PAGE[:11] + b"\r\n"])
def test_an_array_without_its_closing_bracket_is_invalid(tmp_path: Path, body: bytes):
    path = tmp_path / "page.json"
    path.write_bytes(body)
    download = Download("http://x.test/p", "GET", 200, {}, path, "", len(body), "")
    with pytest.raises(InvalidBody, match="not a complete JSON array"):
        count_json_rows("statswales", download)


def test_a_whole_array_with_trailing_whitespace_is_counted(tmp_path: Path):
    path = tmp_path / "page.json"
    path.write_bytes(PAGE + b"\n" + b" " * 5000)  # whitespace longer than one tail read
    assert count_json_rows("statswales", Download("http://x.test/p", "GET", 200, {}, path, "", 0, "")) == 3


def test_a_page_invalid_every_time_gives_up_after_max_attempts_and_keeps_every_body(
        httpserver, context, archive, sleeps):
    cut = [PAGE[:n] for n in (0, 10, 19, 27)]
    handler = Sequence(*map(json_page, cut))
    httpserver.expect_request("/nomis/api/v01/page.json").respond_with_handler(handler)
    with pytest.raises(FetchError, match="gave up after 4 attempts") as info:
        get_page(context)
    assert isinstance(info.value, InvalidBody)
    message = str(info.value)
    assert httpserver.url_for("/nomis/api/v01/page.json") in message
    assert "not a complete JSON array" in message and "rejected" in message
    assert handler.seen == 4 and len(sleeps.calls) == 3
    files, reasons = rejected(archive)
    assert sorted(f.read_bytes() for f in files) == sorted(cut)
    assert len(reasons) == 4
    assert context.fetch.parts == []
    assert not any(p.suffix == ".json" for p in archive.dir.iterdir())


def test_the_same_bad_body_is_stored_once_but_logged_per_attempt(httpserver, context, archive):
    # rejected/ is content-addressed like the archive: identical bytes, one file.
    httpserver.expect_request("/nomis/api/v01/page.json").respond_with_handler(Sequence(json_page(PAGE[:9])))
    with pytest.raises(InvalidBody, match="gave up after 4 attempts"):
        get_page(context)
    files, reasons = rejected(archive)
    assert [f.read_bytes() for f in files] == [PAGE[:9]]
    assert len(reasons) == 4


def test_a_cut_csv_page_is_retried_by_the_nomis_connector(dataset, live_settings, client_for, nomis_api,
                                                          wire, archive, sleeps):
    api = nomis_api(dataset, wire.nomis_rows(5), page_size=3)
    whole = api.body(3)
    api.interject(3, Response(whole[:-20], content_type="text/csv"))  # ends inside a row
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert [int(r.args["recordOffset"]) for r in api.requests] == [0, 3, 3]
    assert [archive.path_of(p).read_bytes() for p in fetch.data_parts][1] == whole
    files, reasons = rejected(archive)
    assert [f.read_bytes() for f in files] == [whole[:-20]]
    assert "not a complete CSV file" in reasons[0]["reason"]
    assert len(sleeps.calls) == 1
    assert archive.latest_fetch() is not None


# --- transfers cut short: the client -------------------------------------------------------------

class RawServer:
    """A one-connection-at-a-time HTTP server that writes exactly the bytes it is given."""

    def __init__(self, *answers: bytes) -> None:
        self.answers, self.seen = list(answers), 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    request += chunk
                self.seen += 1
                conn.sendall(self.answers[min(self.seen, len(self.answers)) - 1])
                # Closing here ends the body, wherever the headers said it would end.

    def close(self) -> None:
        self.sock.close()


def answer(headers: dict[str, str], body: bytes) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in {"Connection": "close", **headers}.items())
    return f"HTTP/1.1 200 OK\r\n{head}\r\n".encode() + body


CSV = b"A,B\r\n" + b"1,2\r\n" * 200
WHOLE = answer({"Content-Type": "text/csv", "Content-Length": str(len(CSV))}, CSV)
CUT_ANSWERS = {
    "connection closed before Content-Length":
        answer({"Content-Type": "text/csv", "Content-Length": str(len(CSV))}, CSV[:300]),
    "chunk cut short":
        answer({"Content-Type": "text/csv", "Transfer-Encoding": "chunked"},
               f"{len(CSV):x}\r\n".encode() + CSV[:300]),
    "gzip stream cut short":
        answer({"Content-Type": "text/csv", "Content-Encoding": "gzip",
                "Content-Length": str(len(gzip.compress(CSV)))}, gzip.compress(CSV)[:30]),
    "corrupt gzip stream":
        answer({"Content-Type": "text/csv", "Content-Encoding": "gzip", "Content-Length": "40"},
               b"\x1f\x8b\x08\x00" + b"\xff" * 36),
}


@pytest.mark.parametrize("cut", CUT_ANSWERS, ids=list(CUT_ANSWERS))
def test_a_transfer_cut_short_is_retried_by_the_client(cut, tmp_path: Path, sleeps):
    server = RawServer(CUT_ANSWERS[cut], WHOLE)
    try:
        client = PoliteClient("ons", server.url, CONTACT, sleep=sleeps, backoff_base=0.01,
                              timeout=(2.0, 2.0), rate_limit=(10_000, 1.0), tmp_dir=tmp_path)
        got = client.download("a.csv")
    finally:
        server.close()
    assert got.path.read_bytes() == CSV
    assert server.seen == 2 and len(sleeps.calls) == 1
    assert [p for p in tmp_path.iterdir() if p != got.path] == []


def test_a_transfer_always_cut_short_fails_without_a_rejected_body(context, archive, sleeps):
    server = RawServer(CUT_ANSWERS["connection closed before Content-Length"])
    try:
        with pytest.raises(FetchError, match="gave up after 4 attempts: body cut short"):
            context.get(f"{server.url}/a.csv", page=1)
    finally:
        server.close()
    # The client never handed the partial body on: nothing to reject, nothing left behind.
    assert server.seen == 4 and len(sleeps.calls) == 3
    assert rejected(archive) == ([], [])
    assert list(archive.tmp_dir.iterdir()) == []
