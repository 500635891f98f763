"""What each alert says: what failed, why, and where to look.

Alerts for the platform's engineers are in the chosen language (`DATA_CYMRU_LANG` of the process
that sends them); a council reads the quarantine alert, so it is English with the Welsh below.
Every sentence is a catalogue msgid (`sources/i18n.py`).
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from sources.alerts import WHAT, WHERE, WHY, Alert, run_link
from sources.catalogue import Dataset
from sources.i18n import N_, _, gettext, language, ngettext
from sources.returns import council_from_name

FEEDBACK_FILES = ("feedback.csv", "feedback.html")
STATUS_WHERE = N_("`datacymru status` for the state of every dataset and mart")


def run_failed(run_id: str, job: str, error: str, tags: dict[str, str]) -> Alert:
    started_by = tags.get("datacymru/command") or (_("a schedule") if tags.get("dagster/schedule_name")
                                                  else _("the UI or a sensor"))
    return Alert(
        kind="run_failed", subject=_("Data Cymru: run of {job} failed").format(job=job),
        what=_("Dagster run {run_id} of job {job} (started by {started_by}) failed.").format(
            run_id=run_id, job=job, started_by=started_by),
        why=error or _("the run's log says which step failed"),
        where=(_("the run's log in the Dagster UI (run {run_id})").format(run_id=run_id),
               _(STATUS_WHERE)),
        link=run_link(run_id), facts={"run_id": run_id, "job": job})


def gate_failed(asset: str, checks: list[str], run_id: str, report: Path | None) -> Alert:
    mart = asset.rsplit("/", 1)[-1]
    where = [f"`datacymru audit checks --run {run_id} --failed`"]
    if report is not None:
        where.insert(0, _("the report of the blocked attempt: {report}").format(report=report))
    return Alert(
        kind="gate_failed", subject=_("Data Cymru: blocking check failed on {mart}").format(mart=mart),
        what=ngettext("{count} blocking check on {asset} did not pass in run {run_id}: {checks}.",
                      "{count} blocking checks on {asset} did not pass in run {run_id}: {checks}.",
                      len(checks)).format(count=len(checks), asset=asset, run_id=run_id,
                                          checks=", ".join(sorted(checks))),
        why=_("a failed blocking check stops publication of every mart built on it; their previous "
              "releases stay current."),
        where=tuple(where), link=run_link(run_id),
        facts={"run_id": run_id, "asset": asset, "report": str(report) if report else ""})


def dataset_stale(dataset: Dataset, last_update: datetime | None, now: datetime) -> Alert:
    age = (ngettext("its last successful fetch and load was {days} day ago ({when} UTC)",
                    "its last successful fetch and load was {days} days ago ({when} UTC)",
                    (now - last_update).days).format(days=(now - last_update).days,
                                                     when=f"{last_update:%Y-%m-%d %H:%M}")
           if last_update else _("it has never been loaded"))
    return Alert(
        kind="dataset_stale", subject=_("Data Cymru: {dataset} is stale").format(dataset=dataset.key),
        what=_("{title} ({provider} {dataset_id}, raw table {table}) is older than the {days} days "
               "the catalogue allows.").format(
            title=dataset.title_cy if language() == "cy" else dataset.title_en,
            provider=dataset.provider,
            dataset_id=dataset.dataset_id, table=dataset.raw_table, days=dataset.max_age_days),
        why=_("{age}; its schedule {schedule} runs `{cadence}`: check that it is on and look at its "
              "recent runs.").format(age=age, schedule=dataset.schedule, cadence=dataset.cadence),
        where=(_("`datacymru refresh --dataset {dataset}` to refresh it now").format(
                   dataset=dataset.key),
               _("`datacymru status` for every dataset's age")),
        facts={"dataset": dataset.key, "max_age_days": str(dataset.max_age_days),
               "last_update": last_update.isoformat() if last_update else ""})


def _pair(msgid: str, en: dict[str, object], cy: dict[str, object]) -> tuple[str, str]:
    """(English, Welsh) of a catalogue string, each filled with values in its own language."""
    return msgid.format(**en), gettext(msgid, "cy").format(**cy)


def return_quarantined(folder: Path) -> Alert:
    """A quarantined council return, from its folder `<home>/quarantine/<submission_id>/`.

    Bilingual whatever the chosen language: English first, then the same in Welsh.
    """
    submission_id = folder.name
    sent = sorted(p.name for p in folder.iterdir() if p.name not in FEEDBACK_FILES)
    file_en, file_cy = (sent[0], sent[0]) if sent else _pair(N_("(file not kept)"), {}, {})
    found = council_from_name(file_en if sent else "")
    council_en, council_cy = (found, found) if found else _pair(
        N_("council not known from the file name"), {}, {})
    problems = _problems(folder / "feedback.csv")
    errors = [p for p in problems if p.get("severity") == "error"]
    first = errors[0] if errors else None
    report = folder / "feedback.html"
    subject = _pair(N_("Data Cymru: return {file} from {council} was not accepted"),
                    {"file": file_en, "council": council_en}, {"file": file_cy, "council": council_cy})
    what = _pair(N_("Submission {submission} ({file}, {council}) was quarantined: nothing from it "
                    "was loaded."),
                 {"submission": submission_id, "file": file_en, "council": council_en},
                 {"submission": submission_id, "file": file_cy, "council": council_cy})
    why = (_pair(N_("{count} problem(s) to fix, e.g. {example}"),
                 {"count": len(errors), "example": first.get("message_en")},
                 {"count": len(errors), "example": first.get("message_cy")}) if first
           else _pair(N_("{count} problem(s) to fix"), {"count": len(errors)}, {"count": len(errors)}))
    where = [_pair(N_("the feedback report {report}"), {"report": report}, {"report": report}),
             _pair(N_("the file and its problems: {folder}"), {"folder": folder}, {"folder": folder})]

    def welsh(msgid: str, **values: object) -> str:
        return gettext(msgid, "cy").format(**values)

    return Alert(
        kind="return_quarantined", lang="en", subject=subject[0], what=what[0], why=why[0],
        where=tuple(en for en, _cy in where), subject_cy=subject[1],
        lines_cy=(welsh(WHAT, what=what[1]), welsh(WHY, why=why[1]),
                  *(welsh(WHERE, where=cy) for _en, cy in where)),
        facts={"submission_id": submission_id, "council": council_en, "file": file_en,
               "feedback": str(report)})


def _problems(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
