"""One polite HTTP client shared by every connector.

Politeness means: a named User-Agent with a contact, a client-side rate limit per provider,
timeouts, retries with exponential backoff and jitter on 429 / 5xx / connection errors that honour
`Retry-After`, and conditional requests (ETag / Last-Modified) where the server gives them.
Bodies are streamed to disk while their sha256 is computed, so a dataset is never held in memory.

Every answer is also kept within bounds, per provider: a deadline for the whole request (a server
sending one byte every few seconds never trips a per-read timeout) and a cap on the size of a body.
"""

from __future__ import annotations

import collections
import email.utils
import fcntl
import hashlib
import json
import math
import random
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

USER_AGENT = "DataCymruStatsPlatform/0.1 (+https://github.com/datacymru; {contact})"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Published limits (reference/public-sources.md); Nomis publishes none, so be gentle.
RATE_LIMITS: dict[str, tuple[int, float]] = {
    "statswales": (100, 60.0),
    "ons": (120, 10.0),
    "nomis": (60, 60.0),
}
CHUNK = 1 << 20
# Bounds on one answer, per provider unless `Settings` says otherwise
# (`DATA_CYMRU_<PROVIDER>_DEADLINE`, `DATA_CYMRU_<PROVIDER>_MAX_BYTES`).
DEFAULT_DEADLINE = 120.0
DEFAULT_MAX_BYTES = 512 << 20
# A JSON document (metadata, filters, a stored query) is parsed in memory; bigger is not metadata.
MAX_DOCUMENT_BYTES = 64 << 20
# The safety margin under a published limit (see `with_margin`).
MARGIN_CALLS = 0.9
MARGIN_PERIOD = 1.1


def with_margin(calls: int, period: float) -> tuple[int, float]:
    """The limit the client keeps so that the server never counts more than `calls` in `period`.

    A sliding window of N sends per P seconds already holds any *fixed* window of the server's
    clock to N, whatever its alignment or the offset between the clocks: skew shifts every stamp
    alike. What breaks it is time that differs from request to request: network jitter (a
    request held up on its way, by a new TLS handshake or a lost packet, arrives closer to the
    ones sent after it), a wall-clock step between two processes' stamps, and requests the
    limiter never sees (redirects followed by `requests`). So: stretch the period by 10%
    (arrivals N requests apart stay P apart while the jitter stays under 0.1 P: 6 s for
    StatsWales and Nomis, 1 s for the ONS) and send only 90% of the calls, headroom for
    whatever still slips through. StatsWales 100/60 s becomes 90 per 66 s, the ONS 120/10 s
    108 per 11 s, Nomis 60/60 s 54 per 66 s.
    """
    return max(1, math.floor(calls * MARGIN_CALLS)), period * MARGIN_PERIOD


class FetchError(RuntimeError):
    """A request failed for good (after retries), or its body cannot be trusted."""

    def __init__(self, provider: str, url: str, message: str, status: int | None = None):
        super().__init__(f"{provider}: {message} ({url})")
        self.provider, self.url, self.status = provider, url, status
        self.reason = message  # without provider and URL, to wrap in a further message


class RetryableError(FetchError):
    """A failure worth another attempt (throttling, server error, broken connection)."""

    def __init__(self, provider: str, url: str, message: str, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(provider, url, message, status)
        self.retry_after = retry_after


def is_transient(exc: BaseException) -> bool:
    """Whether a failed fetch gave up on a transient fault (throttling, 5xx, a broken connection).

    Such a fetch is worth starting again later, as a whole (the orchestrator's retry policy does
    that); any other failure (a 404, an invalid or oversized body, a bad catalogue entry) would
    fail the same way again.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RetryableError):
            return True
        seen = seen.__cause__
    return False


class BodyTooLarge(FetchError):
    """An answer bigger than the provider's cap. Not retried: the next answer would be as big.

    `partial` holds the bytes read before reading stopped (at most the cap plus one read chunk),
    in a temporary file, for the caller to keep aside or delete; None when the Content-Length
    alone said the body was too big and nothing was read.
    """

    def __init__(self, provider: str, url: str, message: str, partial: Download | None,
                 status: int | None = None):
        super().__init__(provider, url, message, status)
        self.partial = partial

    def discard(self) -> None:
        """Delete the bytes read, for a caller with nowhere to keep them."""
        if self.partial is not None and self.partial.path is not None:
            self.partial.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Download:
    """A response body saved to a temporary file, with what the manifest needs."""

    url: str
    method: str
    status: int
    headers: dict[str, str]
    path: Path | None
    sha256: str
    bytes: int
    retrieved_at: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()


class Limiter(Protocol):
    """Blocks until one more request may be sent."""

    calls: int
    period: float

    def wait(self) -> float: ...


class RateLimiter:
    """At most `calls` requests in any `period` seconds (sliding window), within one process.

    For tests and snapshot replay; live fetches share a `FileRateLimiter` across processes.
    """

    def __init__(self, calls: int, period: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.calls, self.period = calls, period
        self._clock, self._sleep = clock, sleep
        self._stamps: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until a request may be sent; return the seconds waited."""
        with self._lock:
            now = self._clock()
            while self._stamps and now - self._stamps[0] >= self.period:
                self._stamps.popleft()
            waited = 0.0
            if len(self._stamps) >= self.calls:
                waited = self.period - (now - self._stamps[0])
                self._sleep(waited)
                self._stamps.popleft()
            self._stamps.append(self._clock())
            return waited


class FileRateLimiter:
    """At most `calls` requests in any `period` seconds for every client sharing `path`.

    Every client of one provider on this machine, in any process (Dagster may run each fetch
    step in its own), shares one sliding window kept in a small JSON file of wall-clock stamps
    (a monotonic clock means nothing across processes). The file is read and rewritten under an
    exclusive `flock` on a separate `.lock` file: the JSON is replaced atomically, which swaps
    its inode, so it cannot carry the lock itself. The lock is held while waiting for a slot, so
    stamps are never in the future and waiters queue behind one another; a crashed process
    releases it with its file descriptors.
    """

    def __init__(self, path: Path, calls: int, period: float,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep):
        self.path, self.calls, self.period = path, calls, period
        self._clock, self._sleep = clock, sleep
        path.parent.mkdir(parents=True, exist_ok=True)

    def wait(self) -> float:
        """Block until a request may be sent; return the seconds waited."""
        # A fresh descriptor per call: flock excludes other descriptors, threads included.
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            now = self._clock()
            # A stamp in the future means the wall clock stepped back: count it as just sent,
            # which waits at most one period rather than the size of the step.
            stamps = sorted(min(s, now) for s in self._read() if now - s < self.period)
            waited, slot = 0.0, now
            if len(stamps) >= self.calls:
                slot = stamps[-self.calls] + self.period
                waited = slot - now
                self._sleep(waited)
            # Only the last `calls` stamps decide the next wait, so the file stays small.
            self._write([*stamps, max(self._clock(), slot)][-self.calls:])
            return waited

    def _read(self) -> list[float]:
        try:
            return [float(s) for s in json.loads(self.path.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError):
            return []  # no file yet (writes are atomic, so never a torn one)

    def _write(self, stamps: list[float]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stamps), encoding="utf-8")
        tmp.replace(self.path)  # atomic: a reader sees the old list or the new one


_ACTIVE = threading.local()  # the deadline of the request this thread is sending, if any


class Deadline:
    """Cuts one request off when its time is up, whatever it is waiting for.

    `requests` only has a per-read timeout, which a server trickling a byte at a time never
    trips. A timer thread shuts down the request's socket at the deadline instead: the blocked
    read (of the status line, a header or the body) returns at once, and the caller sees
    `expired`. Sockets are handed over by `watch`: the connection's as soon as the request is
    sent (`DeadlineAdapter`), the response's once its headers are in.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = threading.Event()
        self._cuts: list[Callable[[], object]] = []
        self._lock = threading.Lock()
        self._over = False
        self._started = time.monotonic()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        _ACTIVE.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:  # a timer firing now must not cut a connection back in the pool
            self._over = True
        _ACTIVE.deadline = None

    def remaining(self) -> float:
        return max(0.0, self.seconds - (time.monotonic() - self._started))

    def watch(self, cut: Callable[[], object]) -> None:
        """Call `cut` at the deadline (at once if it has passed)."""
        with self._lock:
            if self._over:
                return
            self._cuts.append(cut)
            if self.expired.is_set():
                _quietly(cut)

    def _expire(self) -> None:
        with self._lock:
            if self._over:
                return
            self.expired.set()
            for cut in self._cuts:
                _quietly(cut)


def _quietly(cut: Callable[[], object]) -> None:
    try:
        cut()
    except (OSError, ValueError, RuntimeError):
        pass  # already closed or released: nothing left to cut


def _shutdown(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        sock.shutdown(socket.SHUT_RDWR)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline = getattr(_ACTIVE, "deadline", None)
        if deadline is not None:
            deadline.watch(lambda: _shutdown(self))
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline = getattr(_ACTIVE, "deadline", None)
        if deadline is not None:
            deadline.watch(lambda: _shutdown(self))
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """`requests`' own adapter, with connections a `Deadline` can cut while headers arrive."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool,
                                                   "https": _WatchedHTTPSPool}


def deadline_session() -> requests.Session:
    """A session whose requests a `Deadline` can cut at any point."""
    session = requests.Session()
    session.mount("https://", DeadlineAdapter())
    session.mount("http://", DeadlineAdapter())
    return session


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: it may be a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


class PoliteClient:
    """HTTP client for one provider."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        contact: str,
        *,
        session: requests.Session | None = None,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        max_wait: float = 300.0,
        timeout: tuple[float, float] = (10.0, 120.0),
        deadline: float = DEFAULT_DEADLINE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        rate_limit: tuple[int, float] | None = None,
        rate_limit_dir: Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] = lambda _msg: None,
        tmp_dir: Path | None = None,
    ):
        """Set up the client; nothing is sent yet.

        `rate_limit` (requests, seconds) is kept as given; without it the provider's published
        limit is kept with a safety margin (`with_margin`). With `rate_limit_dir` the window is
        shared with every client of the provider using that folder, in any process
        (`<dir>/<provider>.json`); without it, it is this client's own (tests, snapshot replay).

        `timeout` (connect, read) bounds each wait on the socket; `deadline` (seconds) bounds a
        whole attempt, headers and body, and is a transient fault like a timeout. `max_bytes`
        caps a body, checked as it streams (`BodyTooLarge`).
        """
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.session = session or deadline_session()
        self.session.headers["User-Agent"] = USER_AGENT.format(contact=contact)
        self.max_attempts, self.backoff_base, self.max_wait = max_attempts, backoff_base, max_wait
        self.timeout, self.deadline, self.max_bytes = timeout, deadline, max_bytes
        calls, period = rate_limit or with_margin(*RATE_LIMITS.get(provider, (60, 60.0)))
        self.limiter: Limiter = (
            FileRateLimiter(rate_limit_dir / f"{provider}.json", calls, period, sleep=sleep)
            if rate_limit_dir is not None else RateLimiter(calls, period, sleep=sleep))
        # Public so that callers retrying on their own account (an invalid body) pause alike.
        self.sleep, self.log = sleep, log
        # Bodies land beside the archive so that archiving them is an atomic rename.
        self.tmp_dir = tmp_dir
        self.requests_sent = 0

    def url(self, path_or_url: str) -> str:
        """An absolute URL: paths are taken relative to the provider's base URL."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def get_json(self, path_or_url: str, params: Mapping[str, Any] | None = None,
                 method: str = "GET", json_body: Any = None) -> Any:
        """A small JSON document (metadata, never data rows), parsed."""
        try:
            download = self.download(path_or_url, params=params, method=method, json_body=json_body)
        except BodyTooLarge as exc:
            exc.discard()
            raise
        try:
            if download.bytes > MAX_DOCUMENT_BYTES:
                raise FetchError(self.provider, download.url,
                                 f"a JSON document of {download.bytes:,} bytes, more than the "
                                 f"{MAX_DOCUMENT_BYTES:,} a document may have; not parsed")
            return json.loads(download.path.read_bytes()) if download.path else None
        except ValueError as exc:
            raise FetchError(self.provider, download.url, f"invalid JSON: {exc}") from exc
        finally:
            if download.path:
                download.path.unlink(missing_ok=True)

    def download(
        self,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        method: str = "GET",
        json_body: Any = None,
        etag: str | None = None,
        last_modified: str | None = None,
        accept_status: Callable[[int, bytes], bool] | None = None,
        expect_type: str | None = None,
    ) -> Download:
        """Send a request (with retries) and stream its body to a temporary file.

        `accept_status(status, body_head)` may accept a non-2xx answer (such as StatsWales' 400
        past the last page) so the caller can decide what it means; anything else that is
        not 2xx or 304 raises `FetchError`. `expect_type` treats a 2xx answer of another
        Content-Type as a transient failure (Nomis answers throttled calls with an HTML page).
        An attempt that outlives the deadline is retried; a body over the cap raises
        `BodyTooLarge` at once, with the bytes read so far.
        """
        url = self.url(path_or_url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._attempt(method, url, params, json_body, headers, accept_status,
                                     expect_type)
            except RetryableError as exc:
                if attempt == self.max_attempts:
                    raise FetchError(self.provider, exc.url,
                                     f"gave up after {attempt} attempts: {exc.reason}",
                                     exc.status) from exc
                self.pause(attempt, f"{exc.reason} ({exc.url})", exc.retry_after)
        raise AssertionError("unreachable")

    def backoff_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based).

        `Retry-After` when the server gave one, else exponential backoff with full jitter on
        top (so clients that failed together do not retry together); capped at `max_wait`.
        """
        if retry_after is not None:
            return min(retry_after, self.max_wait)
        backoff = self.backoff_base * 2 ** (attempt - 1)
        return min(backoff + random.uniform(0, backoff), self.max_wait)

    def pause(self, attempt: int, reason: str, retry_after: float | None = None) -> float:
        """Log a failed attempt and sleep its backoff before the next one; return the delay."""
        delay = self.backoff_delay(attempt, retry_after)
        self.log(f"{self.provider}: attempt {attempt} failed ({reason}); retrying in {delay:.1f}s")
        self.sleep(delay)
        return delay

    def _attempt(self, method, url, params, json_body, headers, accept_status,
                 expect_type) -> Download:
        self.limiter.wait()
        self.requests_sent += 1
        with Deadline(self.deadline) as deadline:
            return self._send(method, url, params, json_body, headers, accept_status, expect_type,
                              deadline)

    def _past_deadline(self, url: str, received: int) -> RetryableError:
        return RetryableError(self.provider, url,
                              f"no complete answer within the deadline of {self.deadline:g} s "
                              f"({received:,} bytes of body received)")

    def _send(self, method, url, params, json_body, headers, accept_status, expect_type,
              deadline: Deadline) -> Download:
        retrieved_at = datetime.now(UTC).isoformat(timespec="seconds")
        # No single wait may outlast the deadline either (it also bounds sessions whose
        # connections the deadline cannot reach).
        timeout = tuple(min(t, max(deadline.remaining(), 0.001)) for t in self.timeout)
        try:
            response = self.session.request(method, url, params=params, json=json_body,
                                            headers=headers, timeout=timeout, stream=True)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if deadline.expired.is_set():
                raise self._past_deadline(url, 0) from exc
            raise RetryableError(self.provider, url, f"{type(exc).__name__}: {exc}") from exc
        if getattr(response.raw, "shutdown", None) is not None:
            deadline.watch(response.raw.shutdown)
        with response:
            if deadline.expired.is_set():
                raise self._past_deadline(response.url or url, 0)
            full_url = response.url or url
            if response.status_code in RETRY_STATUSES:
                raise RetryableError(
                    self.provider, full_url, f"HTTP {response.status_code}", response.status_code,
                    parse_retry_after(response.headers.get("Retry-After")))
            resp_headers = dict(response.headers)
            if response.status_code == 304:
                return Download(full_url, method, 304, resp_headers, None, "", 0, retrieved_at)
            if not 200 <= response.status_code < 300:
                head = response.raw.read(4096, decode_content=True) or b""
                if accept_status and accept_status(response.status_code, head):
                    return self._to_file(full_url, method, response, retrieved_at, deadline,
                                         prefix=head)
                raise FetchError(self.provider, full_url,
                                 f"HTTP {response.status_code}: {head[:300]!r}", response.status_code)
            got = resp_headers.get("Content-Type", "").split(";")[0].strip().lower()
            if expect_type and got != expect_type:
                raise RetryableError(self.provider, full_url,
                                     f"expected {expect_type}, got {got or 'no Content-Type'}")
            return self._to_file(full_url, method, response, retrieved_at, deadline)

    def _too_large(self, url: str, status: int, message: str,
                   partial: Download | None = None) -> BodyTooLarge:
        return BodyTooLarge(self.provider, url,
                            f"answer larger than the cap of {self.max_bytes:,} bytes for "
                            f"{self.provider} (DATA_CYMRU_{self.provider.upper()}_MAX_BYTES): "
                            f"{message}", partial, status)

    def _to_file(self, url: str, method: str, response: requests.Response, retrieved_at: str,
                 deadline: Deadline, prefix: bytes = b"") -> Download:
        """Stream the body to a temporary file, a chunk at a time, within the deadline and cap."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url, response.status_code,
                                  f"its Content-Length is {int(declared):,}; nothing read")
        digest, size = hashlib.sha256(prefix), len(prefix)
        tmp = tempfile.NamedTemporaryFile(prefix=f"{self.provider}-", suffix=".part",
                                          dir=self.tmp_dir, delete=False)
        try:
            with tmp:
                tmp.write(prefix)
                for chunk in response.iter_content(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    tmp.write(chunk)
                    if size > self.max_bytes:
                        break
        # A connection closed early surfaces as ChunkedEncodingError (urllib3 enforces the
        # Content-Length); a compressed body cut mid-stream as ContentDecodingError.
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError,
                requests.ConnectionError, requests.Timeout) as exc:
            Path(tmp.name).unlink(missing_ok=True)
            if deadline.expired.is_set():
                raise self._past_deadline(url, size) from exc
            raise RetryableError(self.provider, url, f"body cut short after {size} bytes: {exc}") from exc
        if deadline.expired.is_set():  # a body without a Content-Length just looks finished
            Path(tmp.name).unlink(missing_ok=True)
            raise self._past_deadline(url, size)
        if size > self.max_bytes:
            partial = Download(url, method, response.status_code, dict(response.headers),
                               Path(tmp.name), digest.hexdigest(), size, retrieved_at)
            raise self._too_large(url, response.status_code,
                                  f"stopped reading after {size:,} bytes", partial)
        expected = response.headers.get("Content-Length")
        if expected and expected.isdigit() and int(expected) != size and not response.headers.get(
                "Content-Encoding"):
            Path(tmp.name).unlink(missing_ok=True)
            raise RetryableError(self.provider, url,
                                 f"body cut short: {size} of {expected} bytes received")
        return Download(url, method, response.status_code, dict(response.headers), Path(tmp.name),
                        digest.hexdigest(), size, retrieved_at)
