"""Resources: where the platform keeps its state, read from the environment at run time."""

from __future__ import annotations

import os

import duckdb
from dagster import ConfigurableResource, get_dagster_logger

from sources.settings import Settings, connect_warehouse


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

    def connect(self, read_only: bool = False, wait: float | None = None) -> duckdb.DuckDBPyConnection:
        """A connection to the warehouse.

        Writers within Dagster are serialised by the `duckdb_writer` pool; a lock held by another
        process (a `datacymru audit` reader, a second refresh) is waited for, up to
        `DATA_CYMRU_LOCK_WAIT` seconds (`wait` overrides it), then named in the error. Read-only
        connections of a run wait as long as its writers: they are part of the same work.
        """
        settings = self.settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        return connect_warehouse(settings, read_only=read_only, log=_log_wait,
                                 wait=settings.lock_wait if wait is None else wait)


def _log_wait(message: str) -> None:
    """Said once per wait: on the terminal, and in the run's log when inside a step."""
    print(message, flush=True)
    get_dagster_logger().info(message)
