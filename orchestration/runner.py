"""Run a refresh as real Dagster runs, in this process, and summarise them.

A refresh is two runs. The first fetches and loads the sources (and takes in council returns).
The second rebuilds what is stale by Dagster's own records (`orchestration/staleness.py`): the dbt
models whose code or inputs changed, their gates and the releases of the marts among them. What
depends on a source that failed to load is blocked, and only that: every other mart goes on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from dagster import AssetCheckKey, AssetKey, DagsterInstance

from orchestration.assets.backfill import BACKFILL_JOB, backfill_key, backfill_op
from orchestration.assets.dbt import dbt_models
from orchestration.assets.gates import MARTS, mart_key, release_key
from orchestration.assets.returns import RETURNS_KEY
from orchestration.assets.sources import archive_key, raw_key
from orchestration.definitions import defs
from orchestration.recovery import process_tags, reap_dead_runs
from orchestration.staleness import never_built, stale_reasons
from sources.catalogue import Dataset, catalogue
from sources.i18n import N_
from sources.release import differs_from_release, recover_releases
from sources.settings import Settings, connect_warehouse, machine_failure

COMMAND_TAG = "datacymru/command"
REFRESH_JOB = "refresh_all"


@dataclass
class StepOutcome:
    asset: str
    ok: bool
    metadata: dict
    error: str = ""
    # Why a step failed when it was the machine, not the data or the code: "disk_full" (ENOSPC,
    # anywhere in the step) or "os_error" (any other OSError). `error` then says so in a sentence.
    cause: str = ""


@dataclass
class RefreshOutcome:
    """What a refresh did: per asset or step, what was rebuilt and why, what was blocked."""

    ok: bool
    outcomes: dict[str, StepOutcome] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)
    rebuilt: dict[str, str] = field(default_factory=dict)  # dbt asset -> why
    blocked: dict[str, str] = field(default_factory=dict)  # mart -> failed source
    recovered: list[str] = field(default_factory=list)  # what crash recovery did first
    unreleased: list[str] = field(default_factory=list)  # marts whose release lagged their content


def _reach(keys: set[AssetKey], upward: bool) -> set[AssetKey]:
    """Every asset above (`upward`) or below `keys` in the asset graph, `keys` excluded."""
    graph = defs.resolve_asset_graph()
    seen: set[AssetKey] = set()
    todo = list(keys)
    while todo:
        node = graph.get(todo.pop())
        for key in node.parent_keys if upward else node.child_keys:
            if key not in seen:
                seen.add(key)
                todo.append(key)
    return seen


def _ancestors(keys: set[AssetKey]) -> set[AssetKey]:
    return _reach(keys, upward=True)


def _descendants(keys: set[AssetKey]) -> set[AssetKey]:
    return _reach(keys, upward=False)


def source_keys(dataset_keys: list[str] | None) -> set[AssetKey]:
    """The archive and raw assets of the named datasets (all, and the council returns, by default)."""
    keys = {k for d in (dataset_keys or catalogue()) for k in (archive_key(catalogue()[d]),
                                                                raw_key(catalogue()[d]))}
    return keys if dataset_keys else keys | {RETURNS_KEY}


def refresh(dataset_keys: list[str] | None = None, *, force: bool = False,
            instance: DagsterInstance | None = None, log_level: str = "WARNING") -> RefreshOutcome:
    """Load the sources, then rebuild, check and release what their changes make stale."""
    instance = instance or DagsterInstance.get()
    tags = {COMMAND_TAG: "refresh", "datacymru/datasets": ",".join(dataset_keys or ["all"])}
    dbt_keys = set(dbt_models.keys)
    sources = source_keys(dataset_keys)
    candidates = (_descendants(sources) | (dbt_keys if not dataset_keys else set())) & dbt_keys
    # What the selection needs and a fresh home lacks (seeds, another dataset's raw table).
    missing = never_built(instance, _ancestors(candidates) - candidates - sources)
    candidates |= missing & dbt_keys
    sources |= {k for k in missing - dbt_keys if k.path[0] in ("archive", "raw")}
    sources |= _ancestors(sources) & never_built(instance, _ancestors(sources))
    result = RefreshOutcome(ok=True)
    result.recovered = _recover_releases()
    # The dbt tests of the raw tables are checks of the dbt step: selecting them here would start
    # dbt on every refresh, even when every load is skipped as unchanged. They run in the second
    # run instead, with the models built from the tables they guard.
    _run(result, sorted(sources), instance, {**tags, "datacymru/phase": "sources"}, log_level,
         without_checks=set(dbt_models.check_keys))
    _rebuild_stale(result, sources, candidates, instance, tags, log_level, force=force)
    return result


def backfill(dataset: Dataset, first: str, last: str, *, instance: DagsterInstance | None = None,
             log_level: str = "WARNING") -> RefreshOutcome:
    """Backfill periods `first` to `last`, then rebuild what that makes stale, as a refresh does.

    The first run (of the `backfill` job) fetches the periods and merges them into the dataset's
    backfill table; the second rebuilds the dbt models, their gates and the marts' releases.
    """
    instance = instance or DagsterInstance.get()
    key = backfill_key(dataset)
    tags = {COMMAND_TAG: "backfill", "datacymru/datasets": dataset.key,
            "datacymru/periods": f"{first} to {last}"}
    result = RefreshOutcome(ok=True)
    result.recovered = _recover_releases()
    config = {"ops": {backfill_op(dataset): {"config": {"from_period": first, "to_period": last}}}}
    _run(result, [key], instance, {**tags, "datacymru/phase": "sources"}, log_level,
         without_checks=set(dbt_models.check_keys), job_name=BACKFILL_JOB, run_config=config)
    candidates = _descendants({key}) & set(dbt_models.keys)
    _rebuild_stale(result, {key}, candidates, instance, tags, log_level)
    return result


def _rebuild_stale(result: RefreshOutcome, sources: set[AssetKey], candidates: set[AssetKey],
                   instance: DagsterInstance, tags: dict[str, str], log_level: str, *,
                   force: bool = False) -> None:
    """The second run: the stale `candidates` with their checks, and the releases of stale marts.

    It brings the dbt tests of the source tables the rebuilt models are built from. What depends
    on a source of `sources` that failed to load is left out, its marts blocked.
    """
    failed = {k for k in sources if k.path[0] in ("archive", "raw", "raw_backfill")
              and k.to_user_string() not in result.outcomes}
    rebuild = ({k: "--force" for k in candidates} if force
               else stale_reasons(instance, defs.resolve_asset_graph(), candidates))
    for key in list(rebuild):
        cause = next((f for f in sorted(failed) if f in _ancestors({key})), None)
        if cause is not None:
            del rebuild[key]
            if key in {mart_key(m) for m in MARTS}:
                result.blocked[key.path[-1]] = cause.to_user_string()
    result.rebuilt = {k.to_user_string(): why for k, why in rebuild.items()}
    marts = [m for m in MARTS if mart_key(m) in rebuild]
    # A mart whose content its release does not hold (a publication interrupted, or blocked
    # before) is published, or its blocked attempt reported, even when nothing upstream changed.
    result.unreleased = [m for m in _lagging_releases() if m not in marts
                         and m not in result.blocked]
    if rebuild or result.unreleased:  # the selected assets' checks come with them
        selection = sorted(rebuild) + [release_key(m) for m in [*marts, *result.unreleased]]
        _run(result, selection, instance, {**tags, "datacymru/phase": "marts"}, log_level,
             extra_checks=source_tests_of(set(rebuild), set(dbt_models.check_keys)))


def source_tests_of(models: set[AssetKey], dbt_checks: set[AssetCheckKey]) -> set[AssetCheckKey]:
    """The dbt tests of the raw tables the `models` are built from directly.

    A staging model is rebuilt when its raw table's data version moved (a load that ran), when
    its code changed or when it was never built: exactly when its raw table's tests have
    something new to say. dbt runs them first in the same build, and a failing one skips the
    models built on that table (and appends its execution to `audit.check_results`).
    """
    graph = defs.resolve_asset_graph()
    raw = {parent for key in models for parent in graph.get(key).parent_keys
           if parent.path[0] in ("raw", "raw_backfill")}
    return {check for key in raw for check in graph.get(key).check_keys if check in dbt_checks}


def _recover_releases() -> list[str]:
    """Crash recovery of the release folders, before anything runs (see `recover_releases`)."""
    settings = Settings.from_env()
    if not settings.warehouse.exists():
        return []
    with connect_warehouse(settings, read_only=True) as con:
        return recover_releases(con, settings.releases)


def _lagging_releases() -> list[str]:
    """Marts whose table differs from their current release (or that have none)."""
    settings = Settings.from_env()
    if not settings.warehouse.exists():
        return []
    with connect_warehouse(settings, read_only=True) as con:
        built = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'marts'").fetchall()}
        return [m for m in MARTS if m in built and differs_from_release(con, settings.releases, m)]


def run_assets(keys: list[AssetKey], *, checks_of: Sequence[AssetKey] = (),
               instance: DagsterInstance | None = None, tags: dict[str, str] | None = None,
               log_level: str = "WARNING") -> tuple[bool, dict[str, StepOutcome], str]:
    """Materialise `keys` (with their checks, and the checks of `checks_of`) as one named run.

    Returns (success, outcome per asset key or failed step, run id).
    """
    result = RefreshOutcome(ok=True)
    _run(result, keys, instance or DagsterInstance.get(), tags or {}, log_level, checks_of)
    return result.ok, result.outcomes, result.run_ids[-1]


def publish(marts: list[str], instance: DagsterInstance | None = None, log_level: str = "WARNING",
            ) -> tuple[bool, dict[str, StepOutcome], str]:
    """The gates of the named marts and their releases, without rebuilding the marts."""
    return run_assets([release_key(m) for m in marts], checks_of=[mart_key(m) for m in marts],
                      instance=instance, tags={COMMAND_TAG: "publish"}, log_level=log_level)


def _run(result: RefreshOutcome, keys: list[AssetKey], instance: DagsterInstance,
         tags: dict[str, str], log_level: str, checks_of: Sequence[AssetKey] = (), *,
         without_checks: set[AssetCheckKey] = frozenset(),
         extra_checks: set[AssetCheckKey] = frozenset(),
         job_name: str = REFRESH_JOB, run_config: dict | None = None) -> None:
    """One run of the `refresh_all` job (so the runs page names it), subset to `keys`.

    It brings the checks of `keys` and of `checks_of` (dbt tests, mart gates, release checks),
    less `without_checks`, and `extra_checks` besides. `job_name` and `run_config` run another
    job (`backfill`, with its period range) instead.
    """
    for run_id in reap_dead_runs(instance):
        print(f"run {run_id} was left unfinished by a process that is gone: marked failed, "
              "its pool slots freed")
    graph = defs.resolve_asset_graph()
    checks = {check for key in [*keys, *checks_of] for check in graph.get(key).check_keys
              if check not in without_checks} | set(extra_checks)
    job = defs.resolve_job_def(job_name).get_subset(asset_selection=set(keys),
                                                asset_check_selection=checks)
    done = job.execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}},
                    **(run_config or {})},
        instance=instance, raise_on_error=False, tags={**tags, **process_tags()})
    result.ok = result.ok and done.success
    result.run_ids.append(done.run_id)
    for event in done.all_events:
        if event.is_step_materialization:
            mat = event.step_materialization_data.materialization
            result.outcomes[mat.asset_key.to_user_string()] = StepOutcome(
                mat.asset_key.to_user_string(), True,
                {k: getattr(v, "value", v) for k, v in mat.metadata.items()})
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            if not check.passed:
                name = f"{check.asset_key.to_user_string()}:{check.check_name}"
                result.outcomes[f"check:{name}"] = StepOutcome(
                    name, False, {"severity": str(check.severity.value).lower()},
                    _check_failure(check))
        elif event.is_step_failure:
            chain, error = [], event.step_failure_data.error
            while error is not None:
                chain.append(error)
                error = error.cause
            # The step's own error (its message usually carries its cause's), not Dagster's wrapper.
            own = [e for e in chain if not (e.cls_name or "").startswith("Dagster")
                   and e.cls_name != "Failure"]
            message = (own or chain)[0].message.strip() if chain else "failed"
            outcome = StepOutcome(event.step_key or "?", False, {}, message)
            # The machine failing (a full disk) is said as such, never as a failed data check.
            found = next((m for e in reversed(chain)
                          if (m := machine_failure(e.cls_name or "", e.message or ""))), None)
            if found:
                outcome.cause, outcome.error = found
            result.outcomes[f"step:{event.step_key}"] = outcome
    for entry in instance.all_logs(done.run_id):
        # What steps warned of (a load's column notes, a blocked mart's report) is in the summary,
        # so the terminal does not need Dagster's own log. Dagster's chatter is left out.
        if (entry.dagster_event is None and entry.level >= logging.WARNING and entry.user_message
                and "which is not selected" not in entry.user_message):
            result.outcomes[f"warning:{len(result.outcomes)}"] = StepOutcome(
                entry.step_key or "run", True, {}, entry.user_message.strip())


def _check_failure(check) -> str:
    """How a check that did not pass reads: a data check failed, or it could not run at all."""
    metadata = {k: getattr(v, "value", v) for k, v in (check.metadata or {}).items()}
    if metadata.get("outcome") == "error":
        found = machine_failure("", json.dumps(metadata.get("observed"), default=str))
        return N_("could not run: disk full") if found and found[0] == "disk_full" else N_("could not run")
    return N_("blocking check failed") if check.severity.value == "ERROR" else N_("warning")
