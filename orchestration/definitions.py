"""The Dagster code location. Kept small and lazy: nothing here opens the warehouse."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

from orchestration.assets.sources import build_source_assets
from orchestration.resources import DataCymru
from orchestration.schedules import build_schedules
from sources.catalogue import catalogue

refresh_all = define_asset_job("refresh_all", selection=AssetSelection.all(),
                               description="Full refresh: fetch, load, build marts, gate, publish.")

defs = Definitions(
    assets=build_source_assets(catalogue()),
    jobs=[refresh_all],
    schedules=build_schedules(catalogue()),
    resources={"datacymru": DataCymru()},
)
