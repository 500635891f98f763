"""`datacymru status`: datasets, marts, quarantines and stale datasets in one read-only answer."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sources.catalogue import Dataset, catalogue
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
        return "never"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text[:16].replace("T", " ")


def render(status: dict) -> str:
    from orchestration.cli import _table

    lines = [f"Data Cymru status of {status['home']} (mode {status['mode']}), "
             f"{_when(status['as_of'])} UTC", "", "Datasets:"]
    lines.append(_table([[d["dataset"], _when(d["last_fetch_at"]),
                          (d["fetch_data_version"] or "")[:12], _when(d["last_load_at"]),
                          (d["loaded_data_version"] or "")[:12], d["rows"] if d["rows"] is not None else "",
                          "never" if d["age_days"] is None else f"{d['age_days']:g} d",
                          f"{d['max_age_days']} d", "STALE" if d["stale"] else "fresh"]
                         for d in status["datasets"]],
                        ["dataset", "last fetch", "fetched", "last load", "loaded", "rows", "age",
                         "max age", "freshness"]))
    lines += ["", "Marts:"]
    lines.append(_table([[m["mart"], m["checks"],
                          ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in
                                    sorted(m["checks_by_outcome"].items())) or "none run",
                          _when(m["last_checked_at"]),
                          (f"{m['latest_release']['release_id']} ({_when(m['latest_release']['created_at'])})"
                           if m["latest_release"] else "none")] for m in status["marts"]],
                        ["mart", "checks", "newest outcomes", "last checked", "latest release"]))
    for mart in status["marts"]:
        for check in mart["not_passed"]:
            lines.append(f"   {mart['mart']}: {check['check']} {check['outcome']} ({check['severity']})")
    quarantines = status["open_quarantines"]
    lines += ["", f"Open quarantines: {len(quarantines) or 'none'}"]
    for q in quarantines:
        lines.append(f"   {q['submission_id']}  {q['council_code'] or '?'}  {q['collection'] or '?'}  "
                     f"{q['original_name'] or q['file_name']}: {q['errors']} error(s); "
                     f"feedback {q['feedback_path']}")
    stale = status["stale_datasets"]
    lines += ["", "Stale datasets: " + (", ".join(stale) if stale else "none")
              + (" (`datacymru refresh --dataset ID` refreshes one)" if stale else "")]
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
    status = sub.add_parser("status", help="what state the platform is in: datasets (last fetch, "
                                           "load, freshness), marts (checks, release), quarantines")
    status.add_argument("--format", choices=("table", "json"), default="table")
    status.set_defaults(func=cmd_status)
