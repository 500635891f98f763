"""The intake folder: councils' files land in `<home>/intake/`, are processed, then kept aside.

`submit` copies a file in under a name that records the council; `new_intake_files` lists what
is waiting (pure, for a sensor with a cursor); `process_intake_file` handles one file and moves it
to `<home>/intake/processed/<submission_id>/`; `scan_intake` does every waiting file.
Symlinks, hard links, hidden files and folders in the intake are never read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sources.returns.config import ReturnsConfig
from sources.returns.intake import Warehouse, process_file, processed_dir
from sources.returns.reference import COUNCILS
from sources.returns.safety import UnsafePathError, inside, safe_name
from sources.returns.submission import Submission
from sources.settings import Settings

INCOMING = ".incoming"
_COUNCIL_PREFIX = re.compile(r"(W06\d{6})__")


class SubmitError(ValueError):
    """A file cannot be submitted (unknown council, missing file, too large)."""


def submit(file: Path, council: str, settings: Settings, config: ReturnsConfig | None = None) -> Path:
    """Copy a council's file into the intake as `<council>__<timestamp>-<token>__<safe name>`.

    The safe name keeps letters of any alphabet (`Ôô.csv`), so the name the council gave is what
    the intake records. The copy is written under `.incoming/` and moved in atomically, so the
    intake never shows a half-written file. Returns the path in the intake.
    """
    config = config or ReturnsConfig.from_env()
    if council not in COUNCILS:
        raise SubmitError(f"{council!r} is not the GSS code of a Welsh council (W06…)")
    source = Path(file)
    if not source.is_file():
        raise SubmitError(f"{file} is not a file")
    size = source.stat().st_size
    if size > config.max_bytes:
        raise SubmitError(f"{source.name} is {size} bytes; the limit is {config.max_bytes} bytes")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{council}__{stamp}-{uuid.uuid4().hex[:6]}__{safe_name(source.name, ascii_only=False)}"
    intake = settings.intake
    (intake / INCOMING).mkdir(parents=True, exist_ok=True)
    target = inside(intake, intake / name)
    partial = inside(intake, intake / INCOMING / f"{name}.part")
    shutil.copyfile(source, partial)
    # Complete before it appears, so it need not settle: dated back past the wait that protects
    # files copied in by hand, or an intake run started at once (`submit --process`) would skip it.
    settled = time.time() - config.settle_seconds - 1
    os.utime(partial, (settled, settled))
    partial.replace(target)
    return target


def council_from_name(name: str) -> str | None:
    """The submitting council encoded by `submit` in an intake file name, if it is a known code."""
    match = _COUNCIL_PREFIX.match(name)
    return match.group(1) if match and match.group(1) in COUNCILS else None


def _waiting(path: Path, base: Path, now: float, settle: float) -> bool:
    if path.name.startswith(".") or path.is_symlink() or not path.is_file():
        return False
    info = path.lstat()
    if info.st_nlink > 1 or now - info.st_mtime < settle:
        return False
    return path.resolve().parent == base


def new_intake_files(settings: Settings, seen: set[str], config: ReturnsConfig | None = None,
                     now: float | None = None) -> list[Path]:
    """Files waiting in the intake whose names are not in `seen`, oldest first.

    Pure apart from listing the folder: a sensor keeps the names it has requested runs for in its
    cursor and passes them as `seen`. A file counts only once it has not changed for
    `config.settle_seconds`.
    """
    config = config or ReturnsConfig.from_env()
    intake = settings.intake
    if not intake.is_dir():
        return []
    base, now = intake.resolve(), time.time() if now is None else now
    waiting = [p for p in intake.iterdir()
               if p.name not in seen and _waiting(p, base, now, config.settle_seconds)]
    return sorted(waiting, key=lambda p: (p.lstat().st_mtime_ns, p.name))


def next_intake_batch(settings: Settings, cursor: str | None,
                      config: ReturnsConfig | None = None) -> tuple[list[Path], str]:
    """For a sensor: the files to request runs for now, and the cursor to store.

    The cursor is a JSON list of the names already requested that are still in the intake, so it
    stays small once files are processed and moved away.
    """
    seen = set(json.loads(cursor)) if cursor else set()
    new = new_intake_files(settings, seen, config)
    present = {p.name for p in settings.intake.iterdir()} if settings.intake.is_dir() else set()
    return new, json.dumps(sorted((seen & present) | {p.name for p in new}))


def process_intake_file(path: Path, settings: Settings, con: Warehouse,
                        config: ReturnsConfig | None = None) -> Submission:
    """Process one file from the intake, then move it to `<home>/intake/processed/<submission_id>/`.

    `con` is the warehouse connection, or a function that opens one after the file is validated.
    """
    path = Path(path)
    if path.is_symlink() or inside(settings.intake, path).parent != settings.intake.resolve():
        raise UnsafePathError(f"{path} is not a file directly in {settings.intake}")
    submission = process_file(path, settings, council_from_name(path.name), con, config=config)
    folder = inside(settings.intake, processed_dir(settings, submission))
    folder.mkdir(parents=True, exist_ok=True)
    path.replace(folder / safe_name(path.name))
    return submission


def scan_intake(settings: Settings, con: Warehouse,
                config: ReturnsConfig | None = None) -> list[Submission]:
    """Process every file waiting in the intake folder, oldest first.

    Given a function that opens the warehouse (such as the Dagster resource's `connect`) rather
    than an open connection, each file is read and validated with the warehouse closed, and the
    write connection is held only to record it.
    """
    config = config or ReturnsConfig.from_env()
    return [process_intake_file(p, settings, con, config) for p in new_intake_files(settings, set(), config)]
