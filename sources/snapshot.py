"""Snapshot mode: replay recorded API answers instead of using the network.

`sources/snapshots/<dataset>/index.json` maps each request (method, URL with sorted query,
hash of the request body) to a recorded answer file in the same folder, kept in the exact wire
format of its API. The connectors run unchanged on top: only the transport differs. The bundled
snapshot holds SAMPLE data (see `sources/sample_api.py`), never official figures.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from sources.i18n import N_

SAMPLE_NOTICE = N_("SAMPLE DATA: the bundled snapshot holds invented figures in the publishers' "
                 "wire formats; they are not official statistics.")
INDEX = "index.json"


class SnapshotMissing(LookupError):
    """The snapshot has no recorded answer for a request."""


def request_key(method: str, url: str, body: bytes | None) -> str:
    """A stable key for a request: method, URL with sorted query, and the body's hash."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    canonical = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    digest = ""
    if body:
        try:
            body = json.dumps(json.loads(body), sort_keys=True).encode()
        except ValueError:
            pass
        digest = hashlib.sha256(body).hexdigest()[:16]
    return f"{method.upper()} {canonical} {digest}".strip()


def _response(request: requests.PreparedRequest, status: int, headers: dict[str, str],
              body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict({**headers, "Content-Length": str(len(body))})
    response.raw = io.BytesIO(body)
    response.url = request.url or ""
    response.request = request
    response.reason = "OK" if status < 400 else "Error"
    return response


def _body(request: requests.PreparedRequest) -> bytes | None:
    body = request.body
    return body.encode() if isinstance(body, str) else body


class SnapshotAdapter(BaseAdapter):
    """A requests transport that answers from a recorded snapshot folder."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder
        index_path = folder / INDEX
        if not index_path.exists():
            raise SnapshotMissing(f"no snapshot index at {index_path}; run `make snapshot`")
        self.index = json.loads(index_path.read_text(encoding="utf-8"))

    def send(self, request: requests.PreparedRequest, **_kwargs) -> requests.Response:
        key = request_key(request.method or "GET", request.url or "", _body(request))
        entry = self.index.get(key)
        if entry is None:
            raise SnapshotMissing(f"{self.folder.name}: the snapshot has no answer for {key}")
        body = (self.folder / entry["file"]).read_bytes()
        return _response(request, entry["status"], entry["headers"], body)

    def close(self) -> None:  # nothing to release
        pass


class RecordingAdapter(BaseAdapter):
    """A requests transport that asks `handler` and records every answer into a folder."""

    def __init__(self, folder: Path,
                 handler: Callable[[str, str, bytes | None], tuple[int, dict[str, str], bytes]]):
        super().__init__()
        self.folder, self.handler = folder, handler
        self.index: dict[str, dict] = {}
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, request: requests.PreparedRequest, **_kwargs) -> requests.Response:
        method, url, body = request.method or "GET", request.url or "", _body(request)
        status, headers, payload = self.handler(method, url, body)
        ctype = headers.get("Content-Type", "").split(";")[0]
        ext = {"text/csv": "csv", "application/json": "json"}.get(ctype, "txt")
        name = f"{hashlib.sha256(payload).hexdigest()[:16]}.{ext}"
        (self.folder / name).write_bytes(payload)
        self.index[request_key(method, url, body)] = {
            "status": status, "file": name,
            "headers": {k: v for k, v in headers.items() if k != "Content-Length"}}
        return _response(request, status, headers, payload)

    def save(self) -> None:
        """Write the index (sorted, so the snapshot is byte-for-byte reproducible)."""
        text = json.dumps(dict(sorted(self.index.items())), indent=1, ensure_ascii=False)
        (self.folder / INDEX).write_text(text + "\n", encoding="utf-8")

    def close(self) -> None:
        pass


def session_with(adapter: BaseAdapter) -> requests.Session:
    """A session whose every request goes through `adapter`."""
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
