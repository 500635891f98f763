"""The raw archive: every response stored exactly as received, content-addressed by sha256.

Layout: `<home>/archive/<provider>/<dataset>/<sha256>.<ext>`, an append-only `manifest.jsonl`
(one line per response: URL, status, headers, retrieved_at, bytes, sha256) and `fetches.jsonl`
(one line per completed fetch: the ordered parts that make up the dataset and their combined
`data_version`). Files are immutable: the same content twice is stored once.

A file's name is its sha256, so a copy changed after it was archived is found by hashing it
again: every archived file that is reused (a 304 answer) or loaded is re-hashed first, and
`datacymru audit verify` re-hashes them all.
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sources.http import Download

KEPT_HEADERS = ("Content-Type", "Content-Length", "Content-Disposition", "ETag",
                "Last-Modified", "Date", "Cache-Control")
EXTENSIONS = {"text/csv": "csv", "application/json": "json", "text/html": "html",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx"}


@dataclass(frozen=True)
class Part:
    """One archived response that belongs to a fetch."""

    sha256: str
    ext: str
    role: str  # "data" (loaded into raw) or "metadata" (kept for provenance)
    url: str
    retrieved_at: str
    bytes: int
    lang: str | None = None
    page: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    rows: int | None = None  # records the fetch counted, where it counted them (Nomis pages)


@dataclass
class FetchSet:
    """Everything one fetch of a dataset archived, in order."""

    dataset: str
    mode: str
    fetch_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: str = field(default_factory=lambda: _now())
    finished_at: str | None = None
    parts: list[Part] = field(default_factory=list)
    # A backfill's period range (`{"from": ..., "to": ..., "request": {...}}`); None for the
    # scheduled fetch of the catalogue's window, the only kind `latest_fetch` returns.
    backfill: dict[str, Any] | None = None

    @property
    def data_parts(self) -> list[Part]:
        return [p for p in self.parts if p.role == "data"]

    @property
    def data_version(self) -> str:
        """One hash for the dataset's content: same bytes in the same order, same version."""
        digest = hashlib.sha256()
        for part in self.data_parts:
            digest.update(f"{part.lang}:{part.sha256}\n".encode())
        return digest.hexdigest()

    def to_json(self) -> dict[str, Any]:
        doc = {**asdict(self), "data_version": self.data_version}
        if doc["backfill"] is None:  # records of scheduled fetches keep their shape
            del doc["backfill"]
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FetchSet:
        doc = {k: v for k, v in doc.items() if k != "data_version"}
        parts = [Part(**p) for p in doc.pop("parts")]
        return cls(**doc, parts=parts)


def _move(source: Path, target: Path) -> None:
    """Move a downloaded body into place: a rename, or a streamed copy across file systems.

    Bodies land in the archive's own `.incoming/`, so this is a rename; a client given another
    temporary folder may put them on another file system, and `shutil.move` then copies in
    chunks rather than reading the body into memory.
    """
    try:
        source.replace(target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.move(source, target)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check(path: Path, recorded: str, actual: str, dataset: str) -> None:
    if actual != recorded:
        raise ArchiveIntegrityError(path, recorded, actual, dataset)


class ArchiveIntegrityError(ValueError):
    """An archived file's bytes no longer hash to the sha256 recorded when it was archived."""

    def __init__(self, path: Path, recorded: str, actual: str, dataset: str | None = None):
        self.path, self.recorded, self.actual = path, recorded, actual
        again = (f"fetch it again (`datacymru refresh --dataset {dataset}`)" if dataset
                 else "fetch it again")
        super().__init__(
            f"archived file {path} was changed after it was archived: recorded sha256 "
            f"{recorded}, actual sha256 {actual}, so it was not used. Move it aside "
            f"(e.g. `mv {path} {path}.changed`) and {again}: the fetch stores a fresh copy")


class Archive:
    """The archive folder of one dataset."""

    def __init__(self, root: Path, provider: str, dataset: str):
        self.dir = root / provider / dataset
        self.dir.mkdir(parents=True, exist_ok=True)
        self.provider, self.dataset = provider, dataset

    @property
    def tmp_dir(self) -> Path:
        path = self.dir / ".incoming"
        path.mkdir(exist_ok=True)
        return path

    def path_of(self, part: Part) -> Path:
        return self.dir / f"{part.sha256}.{part.ext}"

    @property
    def key(self) -> str:
        """The catalogue key of the dataset (`<provider>__<dataset>`)."""
        return f"{self.provider}__{self.dataset}"

    def verify(self, part: Part) -> Path:
        """The part's file, after checking that its bytes still hash to the recorded sha256."""
        path = self.path_of(part)
        _check(path, part.sha256, sha256_file(path), self.key)
        return path

    def read_verified(self, part: Part) -> bytes:
        """The part's bytes, hashed as they are read (one pass): a changed file is an error."""
        path = self.path_of(part)
        data = path.read_bytes()
        _check(path, part.sha256, hashlib.sha256(data).hexdigest(), self.key)
        return data

    def store(self, download: Download, role: str, lang: str | None = None,
              page: int | None = None, ext: str | None = None) -> Part:
        """Move a downloaded body into the archive (once per content) and log it."""
        if download.path is None:
            raise ValueError("a 304 answer has no body to archive; reuse the previous part")
        ext = ext or EXTENSIONS.get(download.content_type, "bin")
        part = Part(download.sha256, ext, role, download.url, download.retrieved_at,
                    download.bytes, lang, page, download.headers.get("ETag"),
                    download.headers.get("Last-Modified"))
        target = self.path_of(part)
        if target.exists():
            download.path.unlink(missing_ok=True)
        else:
            _move(download.path, target)
            target.chmod(0o444)
        self._append("manifest.jsonl", {
            "dataset": self.dataset, "url": download.url, "method": download.method,
            "status": download.status,
            "headers": {k: v for k, v in download.headers.items() if k in KEPT_HEADERS},
            "retrieved_at": download.retrieved_at, "bytes": download.bytes,
            "sha256": download.sha256, "file": target.name, "role": role, "lang": lang,
            "page": page})
        return part

    def reject(self, download: Download, reason: str) -> Path:
        """Keep a body that failed validation aside (never as data) so nothing is lost.

        Whatever its size: the file is moved, never read (see `_move`).
        """
        rejected = self.dir / "rejected"
        rejected.mkdir(exist_ok=True)
        target = rejected / f"{download.sha256}.bin"
        if download.path is not None:
            _move(download.path, target)
        self._append("rejected.jsonl", {"url": download.url, "status": download.status,
                                        "sha256": download.sha256, "bytes": download.bytes,
                                        "reason": reason, "retrieved_at": download.retrieved_at})
        return target

    def record_not_modified(self, download: Download, previous: Part) -> Part:
        """A 304 answer: the previous part stands; the check itself is logged.

        The previous file is hashed again first: the publisher vouched for the bytes it sent
        then, not for what the file holds now.
        """
        self.verify(previous)
        self._append("manifest.jsonl", {
            "dataset": self.dataset, "url": download.url, "method": download.method,
            "status": 304, "headers": {k: v for k, v in download.headers.items()
                                       if k in KEPT_HEADERS},
            "retrieved_at": download.retrieved_at, "bytes": previous.bytes,
            "sha256": previous.sha256, "file": f"{previous.sha256}.{previous.ext}",
            "role": previous.role, "lang": previous.lang, "page": previous.page})
        return previous

    def complete(self, fetch: FetchSet) -> FetchSet:
        """Mark a fetch as complete: only complete fetches are ever loaded."""
        fetch.finished_at = _now()
        self._append("fetches.jsonl", fetch.to_json())
        return fetch

    def latest_fetch(self) -> FetchSet | None:
        """The most recent complete fetch of the catalogue's window, if any.

        Backfill fetches are skipped: they hold other periods, and loading one into
        `raw.<dataset>` would replace the current window with them.
        """
        path = self.dir / "fetches.jsonl"
        if not path.exists():
            return None
        last = None
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip() and (doc := json.loads(line)).get("backfill") is None:
                    last = doc
        return FetchSet.from_json(last) if last else None

    def _append(self, name: str, row: dict[str, Any]) -> None:
        with (self.dir / name).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
