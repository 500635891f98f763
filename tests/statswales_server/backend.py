"""A loopback imitation of the StatsWales v2 public API, built from the backend's source.

Evidence: Marvell-Consulting/statswales-backend commit 25ea7888 (paths relative
to its ``src``); each rule cites its file and line in rules.py, api.py, dto.py and wire.py. Nothing
is imported from the project's client (``sources/``).

    with serve(build_wimd_cube(n_lsoas=44)) as api:
        requests.get(f"{api.base_url}/{api.dataset_ids[0]}/filters", params={"lang": "cy-gb"})
        api.fail("/*/data/*", "429", times=2, retry_after=3)

Faults (queued per glob on the path below the base path, consumed in order):
``429`` the rate limiter's own answer with Retry-After and RateLimit-* headers; ``500`` and
``503`` JSON error bodies as routes/error-handler.ts writes them; ``slow`` waits `delay` seconds and
then answers normally; ``truncate`` declares the real body's Content-Length, sends half, closes;
``cut_json`` sends the first half of the real body with a matching Content-Length (a complete
transfer of invalid JSON); ``drop`` closes the connection without a byte.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .api import (
    App,
    Datasets,
    Reply,
    Request,
    error_reply,
    express_404,
    json_reply,
    parse_query,
    request_language,
)
from .model import Cube, Dimension, Measure, Publisher, Value

__all__ = [
    "Cube",
    "Dimension",
    "Measure",
    "Publisher",
    "Value",
    "RecordedRequest",
    "RateLimit",
    "StatsWalesServer",
    "serve",
    "FAULT_KINDS",
]

FAULT_KINDS = ("429", "500", "503", "slow", "truncate", "cut_json", "drop")


@dataclass
class RecordedRequest:
    """A request as the server received it (path includes the base path)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class RateLimit:
    """express-rate-limit as configured in middleware/rate-limiter.ts L11-24 and
    config/envs/default.ts L51-55: `limit` requests per `window` seconds per client IP (the last
    X-Forwarded-For hop, as `trust proxy` 1 makes it, app.ts L40), standard draft-6 headers, and
    `{"message": "Too many requests, please try again later."}` with Retry-After beyond."""

    limit: int = 100
    window: float = 60.0
    _clients: dict[str, tuple[int, float]] = field(default_factory=dict)

    def hit(self, client: str) -> tuple[bool, list[tuple[str, str]]]:
        now = time.monotonic()
        hits, reset_at = self._clients.get(client, (0, 0.0))
        if reset_at <= now:
            hits, reset_at = 0, now + self.window
        hits += 1
        self._clients[client] = (hits, reset_at)
        reset = max(0, math.ceil(reset_at - now))
        headers = [
            ("RateLimit-Policy", f"{self.limit};w={math.ceil(self.window)}"),
            ("RateLimit-Limit", str(self.limit)),
            ("RateLimit-Remaining", str(max(self.limit - hits, 0))),
            ("RateLimit-Reset", str(reset)),
        ]
        if hits > self.limit:
            return False, [*headers, ("Retry-After", str(reset))]
        return True, headers


@dataclass
class _Fault:
    pattern: str
    kind: str
    remaining: int
    delay: float
    retry_after: int
    method: str | None


def _too_many(limit: int, retry_after: int) -> Reply:
    reply = json_reply(429, {"message": "Too many requests, please try again later."})
    reply.headers += [
        ("RateLimit-Policy", f"{limit};w=60"),
        ("RateLimit-Limit", str(limit)),
        ("RateLimit-Remaining", "0"),
        ("RateLimit-Reset", str(retry_after)),
        ("Retry-After", str(retry_after)),
    ]
    return reply


class StatsWalesServer:
    """The server object: cubes, faults, drift, rate limit and the log of requests."""

    def __init__(self, *cubes: Cube, base_path: str = "/v2", rate_limit: RateLimit | None = None) -> None:
        self.base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
        self.datasets = Datasets()
        self.app = App(self.datasets)
        self.rate_limit = rate_limit
        self.requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        for cube in cubes:
            self.add_cube(cube)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> StatsWalesServer:
        """Listen on 127.0.0.1, a free port, from a daemon thread."""
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.owner = self  # type: ignore[attr-defined]
        self._httpd = httpd
        threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="statswales-double", daemon=True
        ).start()
        return self

    def close(self) -> None:
        """Stop listening (sleeping `slow` answers are woken and abandoned)."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> StatsWalesServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        """e.g. http://127.0.0.1:54321/v2"""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self.base_path}"

    # -- content -----------------------------------------------------------------------------
    def add_cube(self, cube: Cube) -> None:
        """Publish (or replace) a cube."""
        self.datasets.add(cube)

    @property
    def dataset_ids(self) -> list[str]:
        return list(self.datasets.cubes)

    def cube(self, dataset_id: str) -> Cube:
        return self.datasets.cubes[dataset_id]

    def rename_column(self, dataset_id: str, lang: str, old: str, new: str) -> None:
        """Drift in the data output only: the display name `old` (and its `_reference`, `_sort`,
        `_hierarchy` columns) is sent as `new` for `lang` ('en'/'cy'/'en-gb'/'cy-gb'); filters,
        metadata and the stored columnMapping keep `old`."""
        with self.datasets.lock:
            self.datasets.renames.setdefault((dataset_id, lang[:2].lower()), {})[old] = new

    def set_dimension_name(self, dataset_id: str, fact_table_column: str, lang: str, name: str) -> None:
        """Change a dimension's metadata name everywhere (filters, data, new and rebuilt queries)."""
        self.datasets.set_dimension_name(dataset_id, fact_table_column, lang, name)

    # -- faults ------------------------------------------------------------------------------
    def fail(
        self,
        pattern: str,
        kind: str,
        times: int = 1,
        *,
        delay: float = 2.0,
        retry_after: int = 1,
        method: str | None = None,
    ) -> None:
        """Answer the next `times` requests whose path (below the base path, e.g. `/<id>/data/<fid>`)
        matches the glob `pattern` with fault `kind` (one of FAULT_KINDS)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {FAULT_KINDS}")
        with self._lock:
            self._faults.append(_Fault(pattern, kind, times, delay, retry_after, method))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if (
                    fault.remaining > 0
                    and (fault.method in (None, method))
                    and fnmatch.fnmatchcase(path, fault.pattern)
                ):
                    fault.remaining -= 1
                    return fault
        return None

    # -- request handling ----------------------------------------------------------------------
    def _record(self, req: Request, full_path: str) -> None:
        body: Any = None
        if req.body:
            try:
                body = json.loads(req.body)
            except ValueError:
                body = req.body
        with self._lock:
            self.requests.append(RecordedRequest(req.method, full_path, req.query, body, req.headers))

    def respond(self, handler: _Handler) -> None:
        method, raw = handler.command, urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if not (raw.path == self.base_path or raw.path.startswith(self.base_path + "/")):
            req = Request(method, raw.path, parse_query(raw.query), headers, body)
            self._record(req, raw.path)
            return _write(handler, express_404(req))
        req = Request(method, raw.path[len(self.base_path) :] or "/", parse_query(raw.query), headers, body)
        self._record(req, raw.path)
        extra: list[tuple[str, str]] = [("Access-Control-Allow-Origin", "*"), ("Vary", "Accept-Language")]
        if self.rate_limit is not None:
            client = headers.get("x-forwarded-for", "").split(",")[-1].strip() or handler.client_address[0]
            with self._lock:
                allowed, limit_headers = self.rate_limit.hit(client)
            extra += limit_headers
            if not allowed:
                reply = json_reply(429, {"message": "Too many requests, please try again later."})
                reply.headers += extra
                return _write(handler, reply)
        fault = self._take_fault(method, req.path)
        reply = self._faulted(fault, req) if fault else None
        if fault and fault.kind == "drop":
            handler.close_connection = True
            return None
        if reply is None:
            reply = self.app.handle(req)
        reply.headers = extra + reply.headers
        return _write(handler, reply, fault.kind if fault else None)

    def _faulted(self, fault: _Fault, req: Request) -> Reply | None:
        lang = request_language(req)
        if fault.kind == "429":
            return _too_many(self.rate_limit.limit if self.rate_limit else 100, fault.retry_after)
        if fault.kind in ("500", "503"):
            return error_reply(int(fault.kind), "errors.unknown_error", lang)
        if fault.kind == "slow":
            self._stopping.wait(fault.delay)
        return None


def _write(handler: _Handler, reply: Reply, fault: str | None = None) -> None:
    """Write the reply; `truncate` and `cut_json` bend the real body."""
    body = reply.body
    handler.send_response(reply.status)
    for name, value in reply.headers:
        handler.send_header(name, value)
    if fault == "truncate":
        declared = max(len(body), 1)
        handler.send_header("Content-Length", str(declared))
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2])
        handler.close_connection = True
        return
    if fault == "cut_json":
        cut = body[: len(body) // 2] if len(body) > 2 else b"["
        handler.send_header("Content-Length", str(len(cut)))
        handler.end_headers()
        handler.wfile.write(cut)
        return
    if reply.stream:
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(body), 65536):
            chunk = body[start : start + 65536]
            handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        if reply.abort:
            handler.close_connection = True
            return
        handler.wfile.write(b"0\r\n\r\n")
        return
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def version_string(self) -> str:
        return "statswales-double"

    def _dispatch(self) -> None:
        owner: StatsWalesServer = self.server.owner  # type: ignore[attr-defined]
        try:
            owner.respond(self)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


@contextlib.contextmanager
def serve(
    *cubes: Cube, base_path: str = "/v2", rate_limit: RateLimit | None = None
) -> Iterator[StatsWalesServer]:
    """Start a server for `cubes` and stop it afterwards; yields the server (`.base_url`)."""
    server = StatsWalesServer(*cubes, base_path=base_path, rate_limit=rate_limit)
    server.start()
    try:
        yield server
    finally:
        server.close()
