"""What every connector shares: request, validate, archive, with conditional requests."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from sources.archive import Archive, FetchSet, Part
from sources.catalogue import Dataset
from sources.http import MAX_DOCUMENT_BYTES, BodyTooLarge, Download, FetchError, PoliteClient


class InvalidBody(FetchError):
    """A body that arrived whole but is not what the API promises (never archived as data)."""


@dataclass
class FetchContext:
    """One fetch of one dataset."""

    dataset: Dataset
    client: PoliteClient
    archive: Archive
    fetch: FetchSet
    previous: FetchSet | None
    log: Callable[[str], None]
    _scratch: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)

    @property
    def scratch(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB for checking bodies, opened once per fetch.

        Opening one costs about as much as checking a 25,000-row page, so it is not done per page.
        """
        if self._scratch is None:
            self._scratch = duckdb.connect()
        return self._scratch

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None

    def _previous_part(self, role: str, lang: str | None, page: int | None) -> Part | None:
        if self.previous is None:
            return None
        for part in self.previous.parts:
            if (part.role, part.lang, part.page) == (role, lang, page):
                return part
        return None

    def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        method: str = "GET",
        json_body: Any = None,
        role: str = "data",
        lang: str | None = None,
        page: int | None = None,
        validate: Callable[[Download], Any] | None = None,
        accept_status: Callable[[int, bytes], bool] | None = None,
        expect_type: str | None = None,
    ) -> tuple[Part | None, Any, Download]:
        """Fetch, validate and archive one response.

        Returns the archived part (None when the caller's `accept_status` let a non-2xx answer
        through: such a body is never archived as data), what `validate` returned, and the
        download. On a 304 the previous part is reused and validated again from the archive.

        A 2xx body that `validate` refuses (cut short, unparsable, not what the API promises) is
        a transient fault like a 5xx: each one is kept in `rejected/` with its reason and the
        request is sent again after the client's backoff, up to the client's `max_attempts`;
        then `InvalidBody` (a `FetchError`) names the URL and the attempts. A body over the
        provider's cap, and one whose validation fails in any other way, is kept in `rejected/`
        too, and fails at once. Only a body that passed `validate` enters the archive.
        """
        prev = self._previous_part(role, lang, page)
        prev_ok = prev is not None and self.archive.path_of(prev).exists()
        attempts = self.client.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                download = self.client.download(
                    path, params=params, method=method, json_body=json_body,
                    accept_status=accept_status, expect_type=expect_type,
                    etag=prev.etag if prev_ok else None,
                    last_modified=prev.last_modified if prev_ok else None)
            except BodyTooLarge as exc:
                if exc.partial is None:
                    raise
                kept = self.archive.reject(exc.partial, exc.reason)
                raise BodyTooLarge(exc.provider, exc.url, f"{exc.reason}; the bytes read are kept "
                                   f"at {kept} (reason in rejected.jsonl)", None, exc.status) from exc
            if download.not_modified and prev is not None:
                part = self.archive.record_not_modified(download, prev)
                self.fetch.parts.append(part)
                checked = (validate(_as_download(self.archive.path_of(prev), download))
                           if validate else None)
                return part, checked, download
            if not 200 <= download.status < 300:
                return None, None, download
            try:
                checked = validate(download) if validate else None
            except InvalidBody as exc:
                kept = self.archive.reject(download, exc.reason)
                if attempt == attempts:
                    raise InvalidBody(
                        exc.provider, exc.url,
                        f"gave up after {attempt} attempts, the last body invalid: {exc.reason} "
                        f"(every body kept in {kept.parent}, reasons in rejected.jsonl)") from exc
                self.client.pause(attempt, f"invalid body: {exc.reason}; kept at {kept} ({exc.url})")
                continue
            except Exception as exc:
                self.archive.reject(download, f"could not be checked: {type(exc).__name__}: {exc}")
                raise
            part = self.archive.store(download, role, lang, page)
            self.fetch.parts.append(part)
            return part, checked, download
        raise AssertionError("unreachable")


def _as_download(path: Path, answer: Download) -> Download:
    return Download(answer.url, answer.method, 200, answer.headers, path, "", path.stat().st_size,
                    answer.retrieved_at)


def json_document(provider: str, download: Download) -> Any:
    """A JSON answer that is not data rows (metadata, filters, a stored query), parsed.

    It is read into memory, so one bigger than `MAX_DOCUMENT_BYTES` is refused unread.
    """
    if download.path is None:
        return None
    if download.bytes > MAX_DOCUMENT_BYTES:
        raise InvalidBody(provider, download.url,
                          f"a JSON document of {download.bytes:,} bytes, more than the "
                          f"{MAX_DOCUMENT_BYTES:,} a document may have; not parsed")
    try:
        return json.loads(download.path.read_bytes())
    except ValueError as exc:
        raise InvalidBody(provider, download.url, f"invalid JSON: {exc}") from exc


def _cursor(con: duckdb.DuckDBPyConnection | None) -> duckdb.DuckDBPyConnection:
    return con.cursor() if con is not None else duckdb.connect()


def count_json_rows(provider: str, download: Download, con: duckdb.DuckDBPyConnection | None = None) -> int:
    """Rows in a JSON-array body; invalid or truncated JSON is an `InvalidBody`."""
    # DuckDB reads an array cut just after a comma (`[{...},`) or an empty body as complete, with
    # fewer rows: only the closing bracket proves that the array arrived whole.
    if _last_byte(download.path) != b"]":
        raise InvalidBody(provider, download.url, "not a complete JSON array: no closing ']'")
    try:
        with _cursor(con) as cur:
            return cur.execute(
                "SELECT count(*) FROM read_json_objects(?, format='array')",
                [str(download.path)]).fetchone()[0]
    except duckdb.Error as exc:
        raise InvalidBody(provider, download.url, f"not a complete JSON array: {exc}") from exc


def _last_byte(path: Path | None) -> bytes:
    """The last byte of a file that is not JSON whitespace (b"" when there is none)."""
    if path is None:
        return b""
    with path.open("rb") as handle:
        end = handle.seek(0, 2)
        while end > 0:
            start = max(0, end - 4096)
            handle.seek(start)
            tail = handle.read(end - start).rstrip(b" \t\r\n")
            if tail:
                return tail[-1:]
            end = start
    return b""


def csv_page_stats(provider: str, download: Download, count_column: str | None = None,
                   con: duckdb.DuckDBPyConnection | None = None) -> tuple[int, int | None]:
    """`csv_stats` of a page without parsing it: records counted by line, while the page is hot.

    The load parses every archived file anyway, with types, in one scan; parsing each page here
    as well cost as much CPU as the whole download. A page is complete when it ends with a line
    break (a body cut inside a row does not); one that does not, or that ends with a blank line
    (which a CSV reader skips), is parsed by `csv_stats` instead. A quoted value holding a line
    break would make the line count larger than the record count: the load compares each file's
    records with the count recorded here (`Part.rows`) and refuses to commit if they differ.
    """
    if download.content_type == "text/html":
        raise InvalidBody(provider, download.url, "expected CSV, got Content-Type 'text/html'")
    if download.path is None:
        return csv_stats(provider, download, count_column, con)
    lines, tail, head = 0, b"", b""
    with download.path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            head = head or chunk[:65536]
            tail = (tail + chunk)[-3:]
    if not tail.endswith(b"\n") or tail.endswith((b"\n\n", b"\n\r\n")) or not lines:
        return csv_stats(provider, download, count_column, con)
    return lines - 1, _first_count(head, count_column)


def _first_count(head: bytes, count_column: str | None) -> int | None:
    """The value of `count_column` on the first record (None when absent or not a number)."""
    if count_column is None:
        return None
    rows = csv.reader(io.StringIO(head.decode("utf-8-sig", errors="replace")))
    header, first = next(rows, []), next(rows, [])
    if count_column not in header or len(first) <= header.index(count_column):
        return None
    value = first[header.index(count_column)].strip()
    return int(value) if value.isdigit() else None


def csv_stats(provider: str, download: Download, count_column: str | None = None,
              con: duckdb.DuckDBPyConnection | None = None) -> tuple[int, int | None]:
    """(rows, value of `count_column` on the first row) of a CSV body, read by DuckDB.

    An HTML page is never CSV, however DuckDB would read it (an error page sent with 200).
    """
    if download.content_type == "text/html":
        raise InvalidBody(provider, download.url, "expected CSV, got Content-Type 'text/html'")
    extra = f', max(TRY_CAST("{count_column}" AS BIGINT))' if count_column else ", NULL"
    try:
        with _cursor(con) as cur:
            rows, count = cur.execute(
                f"SELECT count(*){extra} FROM read_csv(?, header=true, all_varchar=true, "
                "delim=',', quote='\"', escape='\"', strict_mode=true)",
                [str(download.path)]).fetchone()
    except duckdb.Error as exc:
        raise InvalidBody(provider, download.url, f"not a complete CSV file: {exc}") from exc
    return rows, count
