"""`datacymru status`: datasets, marts, quarantines and stale datasets in one read-only answer."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sources.catalogue import Dataset, catalogue
from sources.i18n import _, ngettext
from sources.settings import Settings
from sources.status import dataset_status, mart_status, open_quarantines

if TYPE_CHECKING:  # Dagster is imported only when the command runs: `datacymru --help` stays quick
    from dagster import DagsterInstance


def last_updates(instance: DagsterInstance, datasets: list[Dataset]) -> dict[str, datetime | None]:
    """When each raw table was last brought up to date: the record its freshness check reads."""
    from orchestration.assets.sources import raw_key

    found: dict[str, datetime | None] = {}
    for dataset in datasets:
        event = instance.get_latest_materialization_event(raw_key(dataset))
        found[dataset.key] = datetime.fromtimestamp(event.timestamp, UTC) if event else None
    return found


def gather(settings: Settings, instance: DagsterInstance, now: datetime | None = None) -> dict:
    """The whole answer, as `--format json` prints it."""
    from orchestration.cli import _read_only
    from sources.gates.marts import mart_names  # not the Dagster assets: no dbt manifest to load

    now = now or datetime.now(UTC)
    datasets = list(catalogue().values())
    updated = last_updates(instance, datasets)
    with _read_only() as con:
        rows = [dataset_status(con, settings, d, updated[d.key], now) for d in datasets]
        marts = [mart_status(con, settings, m) for m in mart_names()]
        quarantines = open_quarantines(con, settings.home)
    return {"as_of": now, "home": str(settings.home), "mode": settings.mode, "datasets": rows,
            "marts": marts, "open_quarantines": quarantines,
            "stale_datasets": [r["dataset"] for r in rows if r["stale"]]}


def _when(value) -> str:
    if value is None:
        return _("never")
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text[:16].replace("T", " ")


def _outcomes(by_outcome: dict[str, int]) -> str:
    from sources.report import OUTCOME_LABELS

    return ", ".join(f"{n} {_(OUTCOME_LABELS.get(o, o))}"
                     for o, n in sorted(by_outcome.items())) or _("none run")


def _release(mart: dict) -> str:
    release = mart["latest_release"]
    if not release:
        return _("none")
    return f"{release['release_id']} ({_when(release['created_at'])})"


def render(status: dict) -> str:
    from orchestration.cli import _table
    from sources.report import OUTCOME_LABELS, SEVERITY_LABELS

    lines = [_("Data Cymru status of {home} (mode {mode}), {when} UTC").format(
        home=status["home"], mode=status["mode"], when=_when(status["as_of"])), "", _("Datasets:")]
    lines.append(_table([[d["dataset"], _when(d["last_fetch_at"]),
                          (d["fetch_data_version"] or "")[:12], _when(d["last_load_at"]),
                          (d["loaded_data_version"] or "")[:12], d["rows"] if d["rows"] is not None else "",
                          _("never") if d["age_days"] is None else _("{days} d").format(
                              days=f"{d['age_days']:g}"),
                          _("{days} d").format(days=d["max_age_days"]),
                          _("STALE") if d["stale"] else _("fresh")]
                         for d in status["datasets"]],
                        [_("dataset"), _("last fetch"), _("fetched"), _("last load"), _("loaded"),
                         _("rows"), _("age"), _("max age"), _("freshness")]))
    lines += ["", _("Marts:")]
    lines.append(_table([[m["mart"], m["checks"], _outcomes(m["checks_by_outcome"]),
                          _when(m["last_checked_at"]), _release(m)] for m in status["marts"]],
                        [_("mart"), _("checks"), _("newest outcomes"), _("last checked"),
                         _("latest release")]))
    for mart in status["marts"]:
        for check in mart["not_passed"]:
            lines.append(f"   {mart['mart']}: {check['check']} "
                         f"{_(OUTCOME_LABELS.get(check['outcome'], check['outcome']))} "
                         f"({_(SEVERITY_LABELS.get(check['severity'], check['severity']))})")
    quarantines = status["open_quarantines"]
    lines += ["", _("Open quarantines: {count}").format(count=len(quarantines) or _("none"))]
    for q in quarantines:
        lines.append(f"   {q['submission_id']}  {q['council_code'] or '?'}  {q['collection'] or '?'}  "
                     + ngettext("{file}: {count} error; feedback {feedback}",
                                "{file}: {count} errors; feedback {feedback}", q["errors"] or 0).format(
                         file=q["original_name"] or q["file_name"], count=q["errors"],
                         feedback=q["feedback_path"]))
    stale = status["stale_datasets"]
    lines += ["", _("Stale datasets: {datasets} (`datacymru refresh --dataset ID` refreshes one)").format(
        datasets=", ".join(stale)) if stale else _("Stale datasets: none")]
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from orchestration.cli import _ensure_dagster_home

    _ensure_dagster_home()
    with DagsterInstance.get() as instance:
        status = gather(Settings.from_env(), instance)
    if args.format == "json":
        print(json.dumps(status, indent=2, default=str, ensure_ascii=False))
    else:
        print(render(status))
    return 0


def add_status_command(sub: argparse._SubParsersAction) -> None:
    status = sub.add_parser("status", help=_("what state the platform is in: datasets (last fetch, "
                                             "load, freshness), marts (checks, release), quarantines"))
    status.add_argument("--format", choices=("table", "json"), default="table")
    status.set_defaults(func=cmd_status)
