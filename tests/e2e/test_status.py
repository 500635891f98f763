"""`datacymru status` end to end, on the home the shared snapshot refresh made (read-only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import DagsterInstance

from orchestration.status import gather
from sources.catalogue import catalogue
from sources.settings import Settings

REPO = Path(__file__).resolve().parents[2]
BAD_RETURN = REPO / "tests" / "fixtures" / "returns" / "fail" / "negative_value.csv"
GOOD_RETURN = REPO / "sources" / "sample_returns" / "2024-25" / "SAMPLE_W06000001_2024-25.csv"


def test_status_after_a_refresh_in_json_and_as_a_table(refreshed, cli, warehouse):
    home, _ = refreshed
    done = cli(home, "status", "--format", "json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["mode"] == "snapshot"
    assert [d["dataset"] for d in status["datasets"]] == list(catalogue())
    with warehouse(home) as con:
        loads = dict(con.execute("SELECT dataset, data_version FROM raw._loads").fetchall())
    for row in status["datasets"]:
        assert row["fetch_data_version"] == row["loaded_data_version"] == loads[row["dataset"]]
        assert row["rows"] > 0 and row["fetch_mode"] == "snapshot"
        assert row["stale"] is False and 0 <= row["age_days"] < 1
        assert row["max_age_days"] == catalogue()[row["dataset"]].max_age_days
    assert status["stale_datasets"] == []
    for mart in status["marts"]:
        assert mart["checks"] > 0
        assert all(c["severity"] != "blocking" for c in mart["not_passed"]), mart
        release = mart["latest_release"]
        latest = (home / "data" / "releases" / mart["mart"] / "latest").read_text().strip()
        assert release["release_id"] == latest and Path(release["path"], "metadata.json").exists()

    table = cli(home, "status")
    assert table.returncode == 0, table.stderr
    assert "nomis__claimant_count" in table.stdout and "fresh" in table.stdout
    assert "Stale datasets: none" in table.stdout


def test_status_names_old_data_and_open_quarantines_until_a_good_return_arrives(
        home_copy, cli, tmp_path, monkeypatch):
    home = home_copy
    bad = cli(home, "submit", str(BAD_RETURN), "--council", "W06000001", "--process")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    status = json.loads(cli(home, "status", "--format", "json").stdout)
    assert len(status["open_quarantines"]) == 1
    quarantine = status["open_quarantines"][0]
    assert quarantine["council_code"] == "W06000001" and quarantine["errors"] > 0
    assert Path(quarantine["feedback_path"]).name == "feedback.html"
    assert Path(quarantine["feedback_path"]).exists()
    assert "Open quarantines: 1" in cli(home, "status").stdout

    fixed = tmp_path / "W06000001_fixed.csv"
    fixed.write_text(GOOD_RETURN.read_text(encoding="utf-8").replace(
        "W06000001,PAM/001,2024-25,9.6,88789,9224", "W06000001,PAM/001,2024-25,8.0,73792,9224"),
        encoding="utf-8")
    good = cli(home, "submit", str(fixed), "--council", "W06000001", "--process")
    assert good.returncode == 0, good.stdout + good.stderr
    assert json.loads(cli(home, "status", "--format", "json").stdout)["open_quarantines"] == []

    # Forty-one days on, only the claimant count (40 days allowed) is stale.
    monkeypatch.setenv("DATA_CYMRU_HOME", str(home / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    with DagsterInstance.get() as instance:
        later = gather(Settings.from_env(), instance, now=datetime.now(UTC) + timedelta(days=41))
    assert later["stale_datasets"] == ["nomis__claimant_count"]
