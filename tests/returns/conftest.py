"""Fixtures for the council returns tests: a temporary home, its real DuckDB file, fast config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from sources.returns.config import ReturnsConfig
from sources.settings import Settings


@pytest.fixture
def settings(home: Path) -> Settings:
    return Settings(home=home)


@pytest.fixture
def config() -> ReturnsConfig:
    """Default limits, without waiting for dropped files to settle."""
    return ReturnsConfig(settle_seconds=0)


@pytest.fixture
def con(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(settings.warehouse))
    yield connection
    connection.close()
