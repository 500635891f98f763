"""Council returns: validate each council's file, then load it or quarantine it with a report.

Every submission is kept in an append-only audit trail, with the problems fed back to the
council and the values each resubmission revised.

Public functions (plain Python, no Dagster):

- `submit(file, council, settings)`: copy a file into `<home>/intake/` for a council.
- `new_intake_files(settings, seen)`: files waiting in the intake (pure, for a sensor).
- `next_intake_batch(settings, cursor)`: new files and the next cursor, for a Dagster sensor.
- `process_intake_file(path, settings, con)`: process one intake file and move it aside.
- `scan_intake(settings, con)`: process every waiting file.
- `process_file(path, settings, submitting_council, con)`: archive, validate, load or quarantine.
- `list_submissions(con, council=None)`: every submission and its current status.
- `returns_version(con)`: a hash of the returns in force (the raw table's data version).
- `load_sample_returns(settings, con)`: run the bundled SAMPLE returns through the intake.
"""

from sources.returns.config import ReturnsConfig
from sources.returns.folder import (
    SubmitError,
    council_from_name,
    new_intake_files,
    next_intake_batch,
    process_intake_file,
    scan_intake,
    submit,
)
from sources.returns.intake import process_file
from sources.returns.problems import Problem
from sources.returns.samples import SAMPLE_NOTICE, load_sample_returns, sample_files
from sources.returns.store import RAW_TABLE, ensure_tables, list_submissions, returns_version
from sources.returns.submission import Submission

__all__ = [
    "RAW_TABLE", "SAMPLE_NOTICE", "Problem", "ReturnsConfig", "SubmitError", "Submission",
    "council_from_name", "ensure_tables", "list_submissions", "load_sample_returns",
    "new_intake_files", "next_intake_batch", "process_file", "process_intake_file", "returns_version",
    "sample_files", "scan_intake", "submit",
]
