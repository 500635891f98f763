"""Process one council return: archive it as received, validate it, then load it or quarantine it.

Order matters: the file is archived (immutable, content-addressed) before anything reads it, and
everything after reads the archived copy, so a file changed or removed mid-way cannot matter.
The file is read and validated before the warehouse is written to: given a function that opens
the write connection rather than an open connection, the intake opens it only then, so a slow or
huge file never holds DuckDB's write lock while it is checked.
An accepted return replaces its council and collection's rows in `raw.council__returns` in one
transaction; a quarantined one is copied with its report to `<home>/quarantine/<submission_id>/`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from sources.archive import Archive
from sources.http import Download
from sources.returns import store
from sources.returns.config import ReturnsConfig
from sources.returns.feedback import write_feedback
from sources.returns.problems import Problem
from sources.returns.reader import read_table
from sources.returns.reference import COUNCILS
from sources.returns.safety import (
    UnsafePathError,
    check_size,
    check_type,
    extension,
    inside,
    original_name,
    safe_name,
)
from sources.returns.submission import Submission, new_submission_id
from sources.returns.validate import Validation, validate
from sources.settings import Settings

CONTENT_TYPES = {"csv": "text/csv",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_CHUNK = 1 << 16

# Where the intake writes: an open connection, or a function that opens one when it is needed.
Warehouse = duckdb.DuckDBPyConnection | Callable[[], duckdb.DuckDBPyConnection]


@contextmanager
def write_connection(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """The connection to write with: the caller's own as it is, or one opened now and closed after."""
    if isinstance(warehouse, duckdb.DuckDBPyConnection):
        yield warehouse
        return
    con = warehouse()
    try:
        yield con
    finally:
        con.close()


@dataclass(frozen=True)
class Archived:
    """A received file in the archive; `path` is None when it was over the size limit."""

    sha256: str
    bytes: int
    path: Path | None
    source_url: str


def _open_regular(path: Path) -> int:
    """Open without following a final symlink or blocking on a pipe; refuse anything not a file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePathError(f"{path} is not a regular file")
    return fd


def sha256_of(path: Path) -> str:
    """The sha256 of a file's content, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_return(path: Path, settings: Settings, name: str, received_at: datetime,
                   config: ReturnsConfig) -> Archived:
    """Copy the file exactly as received into `<home>/archive/council/returns/<sha256>.<ext>`.

    A file over the size limit is hashed but not copied, so an oversize drop cannot fill the disk.
    """
    archive = Archive(settings.archive, "council", "returns")
    url, ext = f"file://intake/{name}", extension(name)
    digest, size = hashlib.sha256(), 0
    tmp = archive.tmp_dir / f"{uuid.uuid4().hex}.part"
    with os.fdopen(_open_regular(path), "rb") as source, tmp.open("wb") as target:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if size <= config.max_bytes:
                target.write(chunk)
    if size > config.max_bytes:
        tmp.unlink()
        return Archived(digest.hexdigest(), size, None, url)
    download = Download(url=url, method="INTAKE", status=200,
                        headers={"Content-Type": CONTENT_TYPES.get(ext, "application/octet-stream")},
                        path=tmp, sha256=digest.hexdigest(), bytes=size,
                        retrieved_at=received_at.isoformat(timespec="seconds"))
    return Archived(download.sha256, size, archive.path_of(archive.store(download, "data", ext=ext)), url)


def _check(archived: Archived, name: str, sheet: str | None, submitting_council: str | None,
           config: ReturnsConfig) -> tuple[list[Problem], Validation | None]:
    problems = check_type(name, name) or check_size(archived.bytes, name, config)
    if problems or archived.path is None:
        return problems, None
    table, problems = read_table(archived.path, name, extension(name), sheet, config)
    if table is None:
        return problems, None
    validation = validate(table, submitting_council, config.open_collections, config.max_problems_per_check)
    return problems + validation.problems, validation


def process_file(path: Path, settings: Settings, submitting_council: str | None,
                 con: Warehouse, *, sheet: str | None = None,
                 config: ReturnsConfig | None = None) -> Submission:
    """Archive, validate and then load or quarantine one return; record it in `audit.submissions`.

    `submitting_council` (a GSS code) is who sent the file; rows for any other council are errors.
    When it is None the council is taken from the rows. `sheet` names the XLSX sheet to read
    (default: the first). An identical file already received from the same council is recorded
    as `duplicate` and ignored. `con` is the warehouse connection, or a function that opens one:
    then it is opened only after the file is validated, and closed when the file is recorded.
    """
    config = config or ReturnsConfig.from_env()
    if submitting_council is not None and submitting_council not in COUNCILS:
        raise ValueError(f"{submitting_council!r} is not the GSS code of a Welsh council")
    received_at = datetime.now(UTC)
    name = safe_name(Path(path).name)  # stored and read under this; the name as sent is recorded
    archived = archive_return(Path(path), settings, name, received_at, config)
    submission = Submission(
        submission_id=new_submission_id(received_at), council_code=submitting_council,
        submitted_by=submitting_council, collection=None, file_name=name, file_format=extension(name),
        sheet=sheet, archive_sha256=archived.sha256, bytes=archived.bytes, status="quarantined",
        received_at=received_at, original_name=original_name(Path(path).name))
    problems, validation = _check(archived, name, sheet, submitting_council, config)
    with write_connection(con) as connection:
        store.ensure_tables(connection)
        original = store.find_duplicate(connection, archived.sha256, submitting_council, extension(name),
                                        sheet)
        if original is not None:
            return _duplicate(connection, settings, submission, original)
        submission = replace(submission, problems=tuple(problems),
                             council_code=validation.council if validation else submitting_council,
                             collection=validation.collection if validation else None)
        if submission.errors or validation is None:
            return _quarantine(connection, settings, submission, archived)
        return _accept(connection, settings, submission, archived, validation)


def _duplicate(con: duckdb.DuckDBPyConnection, settings: Settings, submission: Submission,
               original: dict) -> Submission:
    submission = replace(submission, status="duplicate", duplicate_of=original["submission_id"],
                         council_code=original["council_code"], collection=original["collection"],
                         feedback_dir=inside(settings.home, processed_dir(settings, submission)))
    write_feedback(submission.feedback_dir, submission)
    store.record(con, submission.audit_row(settings.home), ())
    return submission


def _quarantine(con: duckdb.DuckDBPyConnection, settings: Settings, submission: Submission,
                archived: Archived) -> Submission:
    folder = inside(settings.home, settings.quarantine / submission.submission_id)
    submission = replace(submission, status="quarantined", feedback_dir=folder)
    folder.mkdir(parents=True, exist_ok=True)
    if archived.path is not None:
        shutil.copyfile(archived.path, folder / submission.file_name)
    write_feedback(folder, submission)
    store.record(con, submission.audit_row(settings.home), submission.problems)
    return submission


def _accept(con: duckdb.DuckDBPyConnection, settings: Settings, submission: Submission,
            archived: Archived, validation: Validation) -> Submission:
    if not (submission.council_code and submission.collection):
        raise RuntimeError(f"{submission.file_name}: an accepted return needs a council and collection")
    submission = replace(submission, status="accepted", rows_loaded=len(validation.rows),
                         feedback_dir=inside(settings.home, processed_dir(settings, submission)))
    provenance = {"sha256": archived.sha256, "source_url": archived.source_url,
                  "loaded_at": datetime.now(UTC)}
    supersedes, revisions = store.record(con, submission.audit_row(settings.home), submission.problems,
                                         validation.rows, provenance)
    submission = replace(submission, supersedes=supersedes, revisions=tuple(revisions))
    write_feedback(submission.feedback_dir, submission)
    return submission


def processed_dir(settings: Settings, submission: Submission) -> Path:
    """Where a processed file and its report are kept: `<home>/intake/processed/<submission_id>/`."""
    return settings.intake / "processed" / submission.submission_id
