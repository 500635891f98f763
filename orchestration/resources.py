"""Resources: where the platform keeps its state, read from the environment at run time."""

from __future__ import annotations

import os

import duckdb
from dagster import ConfigurableResource

from sources.settings import Settings


class DataCymru(ConfigurableResource):
    """Settings of the platform. Empty fields fall back to the `DATA_CYMRU_*` environment."""

    home: str | None = None
    mode: str | None = None

    def settings(self) -> Settings:
        env = {}
        if self.home:
            env["DATA_CYMRU_HOME"] = self.home
        if self.mode:
            env["DATA_CYMRU_MODE"] = self.mode
        return Settings.from_env({**os.environ, **env})

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A connection to the warehouse; writers are serialised by the `duckdb_writer` pool."""
        settings = self.settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(settings.warehouse), read_only=read_only,
                              config={"memory_limit": settings.duckdb_memory_limit})
