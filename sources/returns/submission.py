"""A submission: one file received from a council, and what became of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sources.returns.problems import Problem

Status = Literal["accepted", "quarantined", "duplicate"]


def new_submission_id(received_at: datetime) -> str:
    """A sortable, unique id that is also a safe folder name, e.g. `20250601T101500Z-3f2a9c1e`."""
    return f"{received_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Submission:
    """The outcome of one file.

    `status` is as at intake; a later supersession shows in the view `audit.submission_status`
    and in `list_submissions`. `file_name` is the safe (ASCII) name the file is stored under;
    `original_name` is the name as it was sent, for people to read.
    """

    submission_id: str
    council_code: str | None
    submitted_by: str | None
    collection: str | None
    file_name: str
    file_format: str
    sheet: str | None
    archive_sha256: str
    bytes: int
    status: Status
    received_at: datetime
    problems: tuple[Problem, ...] = ()
    rows_loaded: int = 0
    supersedes: str | None = None
    duplicate_of: str | None = None
    feedback_dir: Path | None = None
    revisions: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    original_name: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def error_count(self) -> int:
        """Every error found, including those only counted on a summary line."""
        return sum(p.count for p in self.errors)

    @property
    def warning_count(self) -> int:
        """Every warning found, including those only counted on a summary line."""
        return sum(p.count for p in self.warnings)

    def audit_row(self, home: Path) -> dict[str, Any]:
        """The row for `audit.submissions` (feedback path relative to the home folder)."""
        feedback = None
        if self.feedback_dir is not None:
            feedback = str(self.feedback_dir.relative_to(home) if self.feedback_dir.is_relative_to(home)
                           else self.feedback_dir)
        return {"submission_id": self.submission_id, "council_code": self.council_code,
                "submitted_by": self.submitted_by, "collection": self.collection,
                "file_name": self.file_name, "file_format": self.file_format, "sheet": self.sheet,
                "archive_sha256": self.archive_sha256, "bytes": self.bytes, "status": self.status,
                "errors": self.error_count, "warnings": self.warning_count,
                "rows_loaded": self.rows_loaded, "received_at": self.received_at,
                "supersedes": self.supersedes, "duplicate_of": self.duplicate_of,
                "feedback_path": feedback, "original_name": self.original_name}
