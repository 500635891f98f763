"""End-to-end helpers; the shared snapshot refresh (`refreshed`) and `cli` are in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest


def connect(home: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "data" / "warehouse.duckdb"), read_only=read_only)


@pytest.fixture
def warehouse():
    """Open the warehouse of a home made by `refreshed` or `cli`."""
    return connect
