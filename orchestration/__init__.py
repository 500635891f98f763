"""Dagster wiring: assets generated from the catalogue, dbt, gates, schedules, sensors."""
