"""`datacymru backfill`: past periods of one dataset, fetched, merged, rebuilt, gated and released.

The periods go into `raw_backfill.<dataset>` (`sources/backfill.py`), never into the raw table a
refresh replaces; the second run rebuilds what they change, and a mart is released only when its
gates pass, as in a refresh. A publisher that serves no past periods is refused (exit 2).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import Any

from sources.backfill import (
    PERIOD_RANGES,
    BackfillRefused,
    backfill_datasets,
    backfill_table,
    check_periods,
    refuse_unless_served,
)
from sources.catalogue import Dataset, catalogue
from sources.i18n import _
from sources.settings import Settings


def _dataset(key: str, settings: Settings) -> Dataset:
    from orchestration.cli import UsageError

    known = catalogue()
    if key not in known:
        raise UsageError(_("unknown dataset id {dataset}; datasets whose publisher serves past "
                           "periods: {datasets}").format(
            dataset=key, datasets=", ".join(d.key for d in backfill_datasets(known))))
    try:
        refuse_unless_served(known[key], settings)
    except BackfillRefused as exc:
        # Said in both languages whatever --lang: the refusal is about the publisher, for anyone.
        raise UsageError(f"{exc.english} / {exc.welsh}") from exc
    return known[key]


def _summary(dataset: Dataset, first: str, last: str, done: Any) -> dict[str, Any]:
    """What `--format json` prints; the text summary says the same."""
    from orchestration.assets.backfill import backfill_key
    from orchestration.assets.gates import MARTS, release_key

    loaded = done.outcomes.get(backfill_key(dataset).to_user_string())
    meta = loaded.metadata if loaded else {}
    return {
        "dataset": dataset.key, "table": backfill_table(dataset), "from": first, "to": last,
        "ok": done.ok, "loaded": loaded is not None,
        "periods": [{"period": p, "rows": n} for p, n in (meta.get("periods") or {}).items()],
        "periods_replaced": meta.get("periods_replaced") or [],
        "table_rows": meta.get("dagster/row_count"), "fetch_id": meta.get("fetch_id"),
        "archive_dir": meta.get("archive_dir"),
        "rebuilt": done.rebuilt, "blocked": done.blocked,
        "releases": {m: (done.outcomes[release_key(m).to_user_string()].metadata.get("release_id")
                         if release_key(m).to_user_string() in done.outcomes else None)
                     for m in MARTS},
        "failed_steps": [{"step": o.asset, "error": o.error} for k, o in done.outcomes.items()
                         if k.startswith("step:")],
        "failed_checks": [{"check": o.asset, "outcome": o.error} for k, o in done.outcomes.items()
                          if k.startswith("check:")],
        "run_ids": done.run_ids,
    }


def _print_text(summary: dict[str, Any], done: Any) -> None:
    from orchestration.cli import _print_releases, _run_line, _table

    print()
    if summary["loaded"]:
        replaced = set(summary["periods_replaced"])
        print(_("{table}: {count} period(s) loaded; the table now has {rows} rows").format(
            table=summary["table"], count=len(summary["periods"]), rows=summary["table_rows"]))
        print(_table([[p["period"], f"{p['rows']:,}", _("replaced") if p["period"] in replaced
                       else _("new")] for p in summary["periods"]],
                     [_("period"), _("rows"), _("in the table before")]))
    else:
        print(_("{table}: nothing loaded (see the steps that failed below)").format(
            table=summary["table"]))
    print()
    if done.rebuilt:
        print(_("dbt: {assets} asset(s) rebuilt, e.g. {examples}").format(
            assets=len(done.rebuilt),
            examples="; ".join(f"{k} ({why})" for k, why in list(done.rebuilt.items())[:3])))
    else:
        print(_("dbt: nothing to rebuild"))
    print()
    _print_releases(done.outcomes, done.ok, done.blocked)
    print()
    print(_run_line(done.run_ids, done.ok))


def cmd_backfill(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from orchestration.assets.sources import raw_key
    from orchestration.cli import (
        REBUILD_HOME,
        UsageError,
        _check_records_match_warehouse,
        _ensure_dagster_home,
        _log_level,
        _machine_failure,
    )
    from orchestration.staleness import never_built

    settings = Settings.from_env()
    dataset = _dataset(args.dataset, settings)
    try:
        first, last = check_periods(dataset, args.from_period, args.to_period)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    _ensure_dagster_home()
    _check_records_match_warehouse(settings, _(REBUILD_HOME))
    if never_built(DagsterInstance.get(), {raw_key(dataset)}) or not settings.warehouse.exists():
        raise UsageError(_("{dataset} has never been loaded in this home: run `datacymru refresh` "
                           "first, so that the marts a backfill changes exist").format(dataset=dataset.key))
    json_out = args.format == "json"
    # Progress goes to stderr with --format json, so that stdout is one JSON document.
    with contextlib.redirect_stdout(sys.stderr) if json_out else contextlib.nullcontext():
        print(_("Data Cymru backfill of {dataset}: {first} to {last} ({parameter}={first}-{last}), "
                "mode={mode}, home={home}").format(
            dataset=dataset.key, first=first, last=last, mode=settings.mode, home=settings.home,
            parameter=PERIOD_RANGES[dataset.provider].parameter))
        from orchestration.runner import backfill

        done = backfill(dataset, first, last, log_level=_log_level(args))
        summary = _summary(dataset, first, last, done)
        if not json_out:
            _print_text(summary, done)
    if json_out:
        print(json.dumps(summary, indent=2, default=str, ensure_ascii=False))
    _machine_failure(done.outcomes)
    return 0 if done.ok else 1


def add_backfill_command(sub: argparse._SubParsersAction) -> None:
    forms = "; ".join(_(r.forms) for r in PERIOD_RANGES.values())
    backfill = sub.add_parser(
        "backfill", help=_("fetch past periods of one dataset into its backfill table, then "
                           "rebuild, gate and publish what they change"))
    backfill.add_argument("--dataset", required=True, metavar="ID",
                          help=_("catalogue dataset id; publishers that serve past periods: "
                                 "{providers}").format(providers=", ".join(PERIOD_RANGES)))
    backfill.add_argument("--from", dest="from_period", required=True, metavar="PERIOD",
                          help=_("first period: {forms}").format(forms=forms))
    backfill.add_argument("--to", dest="to_period", required=True, metavar="PERIOD",
                          help=_("last period, in the same notation"))
    backfill.add_argument("--format", choices=("text", "json"), default="text")
    backfill.set_defaults(func=cmd_backfill)
