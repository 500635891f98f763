"""Run the refresh as a real Dagster run, in this process, and summarise it."""

from __future__ import annotations

from dataclasses import dataclass

from dagster import AssetKey, AssetSelection, DagsterInstance, materialize

from orchestration.definitions import defs
from orchestration.provenance import FORCE_TAG


@dataclass
class StepOutcome:
    asset: str
    ok: bool
    metadata: dict
    error: str = ""


def refresh_selection(dataset_keys: list[str] | None = None) -> AssetSelection:
    """The named datasets and everything downstream of them (everything by default)."""
    if dataset_keys:
        return AssetSelection.assets(*[AssetKey(["archive", k]) for k in dataset_keys]).downstream()
    return AssetSelection.all()  # every source, council returns, dbt, gates and releases


def publish_selection(marts: list[str]) -> AssetSelection:
    """The gates of the named marts and their publish assets, without rebuilding the marts."""
    return (AssetSelection.checks_for_assets(*[AssetKey(["marts", m]) for m in marts])
            | AssetSelection.assets(*[AssetKey(["release", m]) for m in marts]))


def run_selection(selection: AssetSelection, instance: DagsterInstance | None = None,
                  log_level: str = "WARNING", force: bool = False,
                  ) -> tuple[bool, dict[str, StepOutcome], str]:
    """Materialise a selection as one real Dagster run, in this process.

    Returns (success, outcome per asset key or failed step, run id).
    """
    assets = list(defs.assets or []) + list(defs.asset_checks or [])
    result = materialize(
        assets, selection=selection, instance=instance or DagsterInstance.get(),
        resources=defs.resources, raise_on_error=False,
        tags={FORCE_TAG: "true"} if force else None,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}})
    outcomes: dict[str, StepOutcome] = {}
    for event in result.all_events:
        if event.is_step_materialization:
            mat = event.step_materialization_data.materialization
            outcomes[mat.asset_key.to_user_string()] = StepOutcome(
                mat.asset_key.to_user_string(), True,
                {k: getattr(v, "value", v) for k, v in mat.metadata.items()})
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            if not check.passed:
                name = f"{check.asset_key.to_user_string()}:{check.check_name}"
                outcomes[f"check:{name}"] = StepOutcome(
                    name, False, {"severity": str(check.severity.value).lower()},
                    "blocking check failed" if check.severity.value == "ERROR" else "warning")
        elif event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            message = error.message.strip() if error else "failed"
            outcomes[f"step:{event.step_key}"] = StepOutcome(event.step_key or "?", False, {}, message)
    return result.success, outcomes, result.run_id
