"""One count everywhere: Dagster's checks, the audit trail, metadata.json, report.html and
`datacymru audit release` list the same check executions for a release."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser

import pytest
from dagster import AssetKey, DagsterInstance

MARTS = ("mart_performance_framework", "mart_wellbeing_indicators", "mart_deprivation_profile")


class _CheckRows(HTMLParser):
    """The check names the report lists in its table of every check (`data-check` rows)."""

    def __init__(self) -> None:
        super().__init__()
        self.checks: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs).get("data-check")
        if tag == "tr" and found:
            self.checks.append(found)


def _dagster_checks(home, mart: str) -> dict[str, str]:
    """Per check of the mart and its release (as the definitions declare them), the outcome of
    its newest evaluation in this home's Dagster instance."""
    from orchestration.assets.gates import release_key
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = [*graph.get(AssetKey(["marts", mart])).check_keys,
            *graph.get(release_key(mart)).check_keys]
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    instance = DagsterInstance.get()
    out = {}
    for key in keys:
        records = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
        evaluation = records[0].evaluation if records else None
        out[f"{key.asset_key.to_user_string()}:{key.name}"] = (
            None if evaluation is None else evaluation.metadata["outcome"].value)
    return out


@pytest.mark.parametrize("mart", MARTS)
def test_every_view_of_a_release_lists_the_same_executions(refreshed, cli, warehouse, mart,
                                                           monkeypatch):
    home, _ = refreshed
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    release_id = (home / "data" / "releases" / mart / "latest").read_text().strip()
    folder = home / "data" / "releases" / mart / release_id

    meta = json.loads((folder / "metadata.json").read_text())
    from_metadata = {f"{c['asset_key']}:{c['check_name']}": c for c in meta["gates"]["checks"]}

    answer = cli(home, "audit", "release", release_id, "--format", "json")
    assert answer.returncode == 0, answer.stderr
    from_cli = {f"{c['asset_key']}:{c['check_name']}": c for c in json.loads(answer.stdout)["checks"]}

    with warehouse(home) as con:
        from_audit = {f"{a}:{n}": (cid, outcome) for a, n, cid, outcome in con.execute("""
            SELECT c.asset_key, c.check_name, c.check_id, c.outcome FROM audit.release_checks r
            JOIN audit.check_results c USING (check_id) WHERE r.release_id = ?""",
            [release_id]).fetchall()}
        counts = con.execute("""SELECT gates_passed, gates_warned, gates_failed FROM audit.releases
                                WHERE release_id = ?""", [release_id]).fetchone()

    parser = _CheckRows()
    parser.feed((folder / "report.html").read_text(encoding="utf-8"))
    from_report = {c.replace("::", ":") for c in parser.checks}

    from_dagster = _dagster_checks(home, mart)
    assert len(from_metadata) == meta["gates"]["total"] == len(parser.checks)
    assert set(from_metadata) == set(from_cli) == set(from_audit) == from_report == set(from_dagster)
    for name, (check_id, outcome) in from_audit.items():
        assert from_metadata[name]["check_id"] == from_cli[name]["check_id"] == check_id
        assert from_metadata[name]["outcome"] == from_dagster[name] == outcome, name
    by_outcome = meta["gates"]["by_outcome"]
    assert counts == (by_outcome["passed"], by_outcome["warned"],
                      by_outcome["failed"] + by_outcome["error"])
    assert sum(by_outcome.values()) == meta["gates"]["total"]
    assert sum(sum(v.values()) for v in meta["gates"]["by_principle"].values()) == meta["gates"]["total"]
    assert all(re.fullmatch(r"[a-z0-9_]{1,60}", name.split(":")[1]) for name in from_metadata)
