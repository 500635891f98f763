"""Publication relies on this run's executions, never on a row dated in the future."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from sources.gates.audit import COLUMNS, ensure_audit, now
from sources.publish import latest_executions


def _row(check: str, run_id: str, outcome: str, at) -> tuple:
    values = {"check_name": check, "asset_key": "marts/m", "engine": "dbt", "principle": "Q3.3",
              "standard": "6", "severity": "blocking", "passed": outcome == "passed",
              "outcome": outcome, "observed": "{}", "failing_examples": "[]", "rationale": "",
              "run_id": run_id, "code_version": "c", "data_versions": "{}", "checked_at": at,
              "gate": "unique_natural_key", "examined": 3, "check_id": f"{check}-{run_id}"}
    return tuple(values[c] for c in COLUMNS)


def test_a_forged_future_failure_does_not_outrank_this_runs_pass():
    con = duckdb.connect()
    ensure_audit(con)
    marks = ", ".join("?" * len(COLUMNS))
    insert = f"INSERT INTO audit.check_results ({', '.join(COLUMNS)}) VALUES ({marks})"
    con.executemany(insert, [
        _row("unique_natural_key", "forged", "failed", now() + timedelta(days=365)),
        _row("unique_natural_key", "this-run", "passed", now()),
        _row("valid_codes", "earlier", "passed", now() - timedelta(days=1)),
        _row("valid_codes", "later-run", "failed", now() - timedelta(hours=1)),
    ])
    chosen = {r["check_name"]: r["run_id"] for r in latest_executions(
        con, [("marts/m", "unique_natural_key"), ("marts/m", "valid_codes")], "this-run")}
    assert chosen == {"unique_natural_key": "this-run", "valid_codes": "later-run"}
