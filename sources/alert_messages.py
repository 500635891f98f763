"""What each alert says: what failed, why, and where to look (English; Welsh where councils read)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from sources.alerts import Alert, run_link
from sources.catalogue import Dataset
from sources.returns import council_from_name

FEEDBACK_FILES = ("feedback.csv", "feedback.html")


def run_failed(run_id: str, job: str, error: str, tags: dict[str, str]) -> Alert:
    started_by = tags.get("datacymru/command") or ("a schedule" if tags.get("dagster/schedule_name")
                                                  else "the UI or a sensor")
    return Alert(
        kind="run_failed", subject=f"Data Cymru: run of {job} failed",
        what=f"Dagster run {run_id} of job {job} (started by {started_by}) failed.",
        why=error or "the run's log says which step failed",
        where=(f"the run's log in the Dagster UI (run {run_id})",
               "`datacymru status` for the state of every dataset and mart"),
        link=run_link(run_id), facts={"run_id": run_id, "job": job})


def gate_failed(asset: str, checks: list[str], run_id: str, report: Path | None) -> Alert:
    mart = asset.rsplit("/", 1)[-1]
    where = [f"`datacymru audit checks --run {run_id} --failed`"]
    if report is not None:
        where.insert(0, f"the report of the blocked attempt: {report}")
    return Alert(
        kind="gate_failed", subject=f"Data Cymru: blocking check failed on {mart}",
        what=f"{len(checks)} blocking check(s) on {asset} did not pass in run {run_id}: "
             + ", ".join(sorted(checks)) + ".",
        why="a failed blocking check stops publication of every mart built on it; their previous "
            "releases stay current.",
        where=tuple(where), link=run_link(run_id),
        facts={"run_id": run_id, "asset": asset, "report": str(report) if report else ""})


def dataset_stale(dataset: Dataset, last_update: datetime | None, now: datetime) -> Alert:
    age = (f"its last successful fetch and load was {(now - last_update).days} days ago "
           f"({last_update:%Y-%m-%d %H:%M} UTC)") if last_update else "it has never been loaded"
    return Alert(
        kind="dataset_stale", subject=f"Data Cymru: {dataset.key} is stale",
        what=f"{dataset.title_en} ({dataset.provider} {dataset.dataset_id}, raw table "
             f"{dataset.raw_table}) is older than the {dataset.max_age_days} days the catalogue allows.",
        why=f"{age}; its schedule {dataset.schedule} runs `{dataset.cadence}`: check that it is on "
            "and look at its recent runs.",
        where=(f"`datacymru refresh --dataset {dataset.key}` to refresh it now",
               "`datacymru status` for every dataset's age"),
        facts={"dataset": dataset.key, "max_age_days": str(dataset.max_age_days),
               "last_update": last_update.isoformat() if last_update else ""})


def return_quarantined(folder: Path) -> Alert:
    """A quarantined council return, from its folder `<home>/quarantine/<submission_id>/`."""
    submission_id = folder.name
    sent = sorted(p.name for p in folder.iterdir() if p.name not in FEEDBACK_FILES)
    file_name = sent[0] if sent else "(file not kept)"
    council = council_from_name(file_name) or "council not known from the file name"
    problems = _problems(folder / "feedback.csv")
    errors = [p for p in problems if p.get("severity") == "error"]
    first = errors[0] if errors else {}
    report = folder / "feedback.html"
    return Alert(
        kind="return_quarantined",
        subject=f"Data Cymru: return {file_name} from {council} was not accepted",
        what=f"Submission {submission_id} ({file_name}, {council}) was quarantined: nothing from it "
             "was loaded.",
        why=f"{len(errors)} problem(s) to fix" + (f", e.g. {first.get('message_en')}" if first else ""),
        where=(f"the feedback report {report}", f"the file and its problems: {folder}"),
        subject_cy=f"Data Cymru: ni dderbyniwyd y ffurflen {file_name} gan {council}",
        lines_cy=(f"Beth: rhoddwyd cyflwyniad {submission_id} ({file_name}) mewn cwarantin: ni "
                  "lwythwyd dim ohono.",
                  f"Pam: {len(errors)} problem i'w cywiro"
                  + (f", e.e. {first.get('message_cy')}" if first else ""),
                  f"Ble i edrych: yr adroddiad adborth {report}"),
        facts={"submission_id": submission_id, "council": council, "file": file_name,
               "feedback": str(report)})


def _problems(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
