"""The Dagster code location. Kept small and lazy: nothing here opens the warehouse."""

import os
from pathlib import Path

from dagster import AssetSelection, Definitions, define_asset_job

from orchestration.alerts import ALERT_SENSORS
from orchestration.assets.backfill import BACKFILL_SELECTION, backfill_job, build_backfill_assets
from orchestration.assets.dbt import DbtCli, dbt_models, dbt_project
from orchestration.assets.gates import build_gate_assets
from orchestration.assets.owners import with_owners
from orchestration.assets.returns import council_returns, council_returns_job
from orchestration.assets.sources import build_source_assets
from orchestration.dbt_executable import dbt_executable
from orchestration.freshness import build_freshness_checks, build_freshness_sensor
from orchestration.resources import DataCymru
from orchestration.schedules import build_schedules
from orchestration.sensors import council_intake_sensor
from sources.catalogue import catalogue

mart_checks, publishers = build_gate_assets()
freshness_checks = build_freshness_checks(catalogue())
# dbt from its own environment (found by path, so the code location loads from `.venv/bin/dagster`
# or `.venv/bin/datacymru` with nothing activated); started through a shim that ties it to this
# process, so a killed refresh never leaves dbt running alone.
os.environ["DATA_CYMRU_DBT_EXECUTABLE"] = str(dbt_executable())
DBT_SHIM = Path(__file__).resolve().parent / "bin" / "dbt"

refresh_all = define_asset_job(
    "refresh_all", selection=AssetSelection.all() - BACKFILL_SELECTION,
    description="Full refresh: fetch, load, build marts, run the gates, publish releases.")

defs = Definitions(
    assets=with_owners([*build_source_assets(catalogue()), *build_backfill_assets(catalogue()),
                        council_returns, dbt_models, *publishers]),
    asset_checks=[*mart_checks, *freshness_checks],
    jobs=[refresh_all, council_returns_job, backfill_job],
    schedules=build_schedules(catalogue()),
    sensors=[council_intake_sensor, build_freshness_sensor(freshness_checks), *ALERT_SENSORS],
    resources={"datacymru": DataCymru(),
               "dbt": DbtCli(project_dir=dbt_project, dbt_executable=str(DBT_SHIM))},
)
