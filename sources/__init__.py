"""Talking to publishers and loading raw data into DuckDB. No Dagster imports here."""
