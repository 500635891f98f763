"""Loopback stand-ins for the publishers' APIs, small enough to bend into each failure mode.

Each fake serves well-formed answers by default; a test queues a misbehaving answer for a given
page with `interject(...)`, and reads back what the client sent from `requests`.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

Answer = Response | Callable[[], Response]


class FakeApi:
    """Common plumbing: queued answers per page key and a log of requests."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._queued: dict[Any, list[Answer]] = defaultdict(list)

    def interject(self, key: Any, *answers: Answer) -> None:
        """Answer the next requests for `key` with `answers` before the normal answer."""
        self._queued[key].extend(answers)

    def _queued_answer(self, key: Any) -> Response | None:
        if self._queued.get(key):
            answer = self._queued[key].pop(0)
            return answer if isinstance(answer, Response) else answer()
        return None


def json_response(doc: Any, status: int = 200) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False), status=status,
                    content_type="application/json; charset=utf-8")


def truncated(body: bytes, content_type: str, missing: int = 100) -> Response:
    response = Response(body, status=200, content_type=content_type)
    response.headers["Content-Length"] = str(len(body) + missing)
    return response


def throttled_page() -> Response:
    html = "<html><head><title>Nomis</title></head><body>Too many requests, try later.</body></html>"
    return Response(html, status=200, content_type="text/html")


class NomisApi(FakeApi):
    """`/dataset/<id>.data.csv?recordOffset=N`: pages of `page_size` rows, with an ETag."""

    def __init__(self, wire: SimpleNamespace, rows: list[dict[str, str]], page_size: int,
                 headers: list[str] | None = None, etag: bool = False) -> None:
        super().__init__()
        self.wire, self.rows, self.page_size = wire, rows, page_size
        self.headers, self.etag = headers, etag
        self.total: int | None = None

    def body(self, offset: int) -> bytes:
        page = self.rows[offset: offset + self.page_size]
        total = len(self.rows) if self.total is None else self.total
        return self.wire.nomis_csv(page, offset, total, self.headers)

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        offset = int(request.args.get("recordOffset", "0"))
        queued = self._queued_answer(offset)
        if queued is not None:
            return queued
        body = self.body(offset)
        tag = f'"{hash(body) & 0xFFFFFFFF:08x}"'
        if self.etag and request.headers.get("If-None-Match") == tag:
            return Response(status=304, headers={"ETag": tag})
        response = Response(body, status=200, content_type="text/csv")
        if self.etag:
            response.headers["ETag"] = tag
        return response


class OnsApi(FakeApi):
    """Dataset → latest version → CSV download (on another host path, as the real one is).

    The edition and version are the real latest of mid-year-pop-est (reference/wire-formats.md).
    """

    EDITION, VERSION = "mid-2022-england-wales", 3

    def __init__(self, url_for: Callable[[str], str], prefix: str, dataset_id: str, body: bytes) -> None:
        super().__init__()
        self.prefix, self.dataset_id, self.body = prefix, dataset_id, body
        version = f"datasets/{dataset_id}/editions/{self.EDITION}/versions/{self.VERSION}"
        self.version_url = url_for(f"{prefix}/{version}")
        self.csv_url = url_for(f"/ons-download/{version}.csv")
        latest = {"href": self.version_url, "id": str(self.VERSION)}
        self.dataset_doc: dict[str, Any] = {"id": dataset_id, "links": {"latest_version": latest}}
        self.version_doc: dict[str, Any] = {
            "edition": self.EDITION, "version": self.VERSION, "release_date": "2024-09-04T00:00:00.000Z",
            "downloads": {"csv": {"href": self.csv_url}}}

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        if request.path.endswith(".csv"):
            queued = self._queued_answer("csv")
            return queued if queued is not None else Response(self.body, content_type="text/csv")
        if request.path.endswith(f"/versions/{self.VERSION}"):
            queued = self._queued_answer("version")
            return queued if queued is not None else json_response(self.version_doc)
        return json_response(self.dataset_doc)


@pytest.fixture
def threaded_httpserver() -> Iterator[HTTPServer]:
    """A server that answers requests in parallel, so a stalled answer does not hold up the retry."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def nomis_api(httpserver, wire) -> Callable[..., NomisApi]:
    """Serve Nomis pages for a dataset from the loopback server."""

    def serve(dataset, rows, page_size: int = 3, server: HTTPServer | None = None,
              **options: Any) -> NomisApi:
        api = NomisApi(wire, rows, page_size, **options)
        path = f"{wire.prefixes['nomis']}/dataset/{dataset.dataset_id}.data.csv"
        (server or httpserver).expect_request(path).respond_with_handler(api)
        return api

    return serve


@pytest.fixture
def ons_api(httpserver, wire) -> Callable[..., OnsApi]:
    """Serve the ONS dataset, version and CSV download routes."""

    def serve(dataset, body: bytes) -> OnsApi:
        api = OnsApi(httpserver.url_for, wire.prefixes["ons"], dataset.dataset_id, body)
        httpserver.expect_request(re.compile(f".*/{re.escape(dataset.dataset_id)}.*")).respond_with_handler(api)
        return api

    return serve


@pytest.fixture
def answers() -> SimpleNamespace:
    """Misbehaving answers to interject."""
    return SimpleNamespace(truncated=truncated, throttled_page=throttled_page, json=json_response)
