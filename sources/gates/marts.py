"""The Great Expectations gates of a published mart, and how the gates read each mart."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from sources.gates.gx_suites import EXPECTATIONS_DIR, checks, run_suite
from sources.gates.model import GateResult
from sources.gates.registry import gate
from sources.yaml_files import read_yaml


@cache
def mart_profiles(path: Path = EXPECTATIONS_DIR / "marts.yaml") -> dict[str, dict[str, Any]]:
    return read_yaml(path)["marts"]


def mart_names() -> tuple[str, ...]:
    """The published marts, in the order they are listed in `expectations/marts.yaml`."""
    return tuple(mart_profiles())


def gx_checks(mart: str) -> list[tuple[str, str]]:
    """(check name, gate name) of every GX check on a mart, without running anything."""
    return checks(mart)


def run_mart_gates(con: duckdb.DuckDBPyConnection, mart: str, asset_key: str) -> list[GateResult]:
    """The GX suite of `mart` over `marts.<mart>` (read through `con`, which may be read-only).

    A suite that cannot run reports every one of its checks as an error, so the count of
    executions never changes with the kind of failure.
    """
    try:
        frame = con.execute(f"SELECT * FROM marts.{mart}").df()
        return run_suite(mart, asset_key, frame)
    except Exception as exc:  # noqa: BLE001 - the check broke, not the data: report it as such
        error = {"error": f"{type(exc).__name__}: {exc}"}
        return [GateResult(gate(g), asset_key, passed=False, check_name=name, errored=True,
                           observed=error) for name, g in gx_checks(mart)]
