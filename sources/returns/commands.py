"""`datacymru submit` and `datacymru submissions`: argparse sub-commands over the intake.

`add_commands(subparsers)` registers both on the `datacymru` parser. `submit` only copies the
file into the intake (the sensor processes it) unless `--process` asks for that file to be
processed at once (which needs the warehouse free of other writers); `submissions` opens the
warehouse read-only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb

from sources.i18n import N_, _
from sources.returns.folder import SubmitError, process_intake_file, submit
from sources.returns.store import list_submissions
from sources.settings import Settings

# The words for a submission's status (the codes stay in JSON and in the table).
SUBMISSION_STATUS = {"accepted": N_("accepted"), "quarantined": N_("quarantined"),
                     "duplicate": N_("duplicate")}
COLUMNS = ("submission_id", "council_code", "collection", "file_name", "status", "errors", "warnings",
           "received_at")


def cmd_submit(args: argparse.Namespace) -> int:
    """Copy a return into the intake for a council; optionally process the intake now."""
    settings = Settings.from_env()
    try:
        target = submit(Path(args.file), args.council, settings)
    except SubmitError as exc:
        print(_("not submitted: {error}").format(error=exc), file=sys.stderr)
        return 2
    print(_("submitted {file} for {council}: {target}").format(file=args.file, council=args.council,
                                                                target=target))
    if not args.process:
        print(_("it will be processed by the intake sensor; `datacymru submissions` shows the "
                "outcome"))
        return 0
    settings.home.mkdir(parents=True, exist_ok=True)
    done = args.process_now(settings, target)
    if done is None:
        print(_("{file} was not processed; `datacymru submissions` shows what happened").format(
            file=target.name), file=sys.stderr)
        return 1
    print(_("{file}: {status} ({errors} error(s), {warnings} warning(s)); report in {report}").format(
        file=done["file_name"], status=_(SUBMISSION_STATUS.get(done["status"], done["status"])),
        errors=done["errors"], warnings=done["warnings"], report=done["feedback_path"]))
    return 1 if done["status"] == "quarantined" else 0


def process_directly(settings: Settings, target: Path) -> dict | None:
    """Process one intake file here and now, outside any orchestrator; its submission row.

    The warehouse is opened for writing only once the file is validated, and only to record it.
    """
    done = process_intake_file(target, settings, lambda: duckdb.connect(str(settings.warehouse)))
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = [r for r in list_submissions(con) if r["submission_id"] == done.submission_id]
    return rows[0] if rows else None


def _table(rows: list[dict]) -> str:
    cells = [[str(r.get(c) if r.get(c) is not None else "") for c in COLUMNS] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(COLUMNS, *cells, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(COLUMNS, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def cmd_submissions(args: argparse.Namespace) -> int:
    """List every submission and its current status, optionally for one council."""
    settings = Settings.from_env()
    rows: list[dict] = []
    if settings.warehouse.exists():
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            rows = list_submissions(con, args.council)
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(_table(rows) if rows else _("no submissions yet"))
    return 0


def add_commands(subparsers: argparse._SubParsersAction,
                 process_now: Callable[[Settings, Path], dict | None] = process_directly) -> None:
    """Register `submit` and `submissions` on the `datacymru` sub-command parser.

    `process_now(settings, file)` processes a submitted file for `--process` and returns its
    submission row; the platform's CLI passes one that runs the returns asset through Dagster.
    """
    parser = subparsers.add_parser("submit", help=_("copy a council return into the intake folder"))
    parser.add_argument("file", help=_("the return, .csv or .xlsx"))
    parser.add_argument("--council", required=True, metavar="GSS_CODE",
                        help=_("submitting council, W06…"))
    parser.add_argument("--process", action="store_true",
                        help=_("process the intake now, not via the sensor"))
    parser.set_defaults(func=cmd_submit, process_now=process_now)
    parser = subparsers.add_parser("submissions", help=_("list council returns and their status"))
    parser.add_argument("--council", metavar="GSS_CODE", help=_("only this council"))
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(func=cmd_submissions)
