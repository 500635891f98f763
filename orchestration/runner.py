"""Run the refresh as a real Dagster run, in this process, and summarise it."""

from __future__ import annotations

from dataclasses import dataclass

from dagster import AssetKey, AssetSelection, DagsterInstance, materialize

from orchestration.definitions import defs


@dataclass
class StepOutcome:
    asset: str
    ok: bool
    metadata: dict
    error: str = ""


def run_refresh(dataset_keys: list[str] | None = None, instance: DagsterInstance | None = None,
                log_level: str = "WARNING") -> tuple[bool, dict[str, StepOutcome], str]:
    """Materialise the chosen datasets and everything downstream of them.

    Returns (success, outcome per asset key, run id).
    """
    assets = list(defs.assets or []) + list(defs.asset_checks or [])
    if dataset_keys:
        selection = AssetSelection.assets(
            *[AssetKey(["archive", k]) for k in dataset_keys]).downstream()
    else:
        selection = AssetSelection.all()
    result = materialize(
        assets, selection=selection, instance=instance or DagsterInstance.get(),
        resources=defs.resources, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}})
    outcomes: dict[str, StepOutcome] = {}
    for event in result.all_events:
        if event.is_step_materialization:
            mat = event.step_materialization_data.materialization
            outcomes[mat.asset_key.to_user_string()] = StepOutcome(
                mat.asset_key.to_user_string(), True,
                {k: getattr(v, "value", v) for k, v in mat.metadata.items()})
        elif event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            message = error.message.strip() if error else "failed"
            outcomes[f"step:{event.step_key}"] = StepOutcome(event.step_key or "?", False, {}, message)
    return result.success, outcomes, result.run_id
