"""End to end: every asset materialised in snapshot mode in a temporary home."""

from __future__ import annotations

import hashlib
import json

from sources.catalogue import catalogue


def test_every_dataset_loaded_with_provenance(refreshed, warehouse):
    home, done = refreshed
    assert "SAMPLE DATA" in done.stdout
    with warehouse(home) as con:
        for ds in catalogue().values():
            rows, missing_prov = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE _archive_sha256 IS NULL OR _source_url IS NULL "
                f"OR _retrieved_at IS NULL OR _loaded_at IS NULL) FROM {ds.raw_table}").fetchone()
            assert rows > 0, ds.key
            assert missing_prov == 0, ds.key
            assert f"{ds.key}" in done.stdout
            # every provenance hash names an archived file whose bytes hash to it
            for (sha,) in con.execute(f"SELECT DISTINCT _archive_sha256 FROM {ds.raw_table}").fetchall():
                files = list((home / "data" / "archive" / ds.provider / ds.name).glob(f"{sha}.*"))
                assert len(files) == 1, (ds.key, sha)
                assert hashlib.sha256(files[0].read_bytes()).hexdigest() == sha


def test_statswales_rows_exist_in_both_languages(refreshed, warehouse):
    home, _ = refreshed
    with warehouse(home) as con:
        for ds in catalogue().values():
            if ds.provider != "statswales":
                continue
            langs = dict(con.execute(f"SELECT _lang, count(*) FROM {ds.raw_table} GROUP BY 1").fetchall())
            assert set(langs) == {"en-gb", "cy-gb"}, ds.key
            assert langs["en-gb"] == langs["cy-gb"], ds.key


def test_manifest_records_every_response(refreshed):
    home, _ = refreshed
    manifest = home / "data" / "archive" / "nomis" / "population_estimates" / "manifest.jsonl"
    rows = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert rows and {"url", "status", "headers", "retrieved_at", "bytes", "sha256"} <= set(rows[0])


def test_second_refresh_skips_unchanged_loads(home_copy, cli):
    again = cli(home_copy, "refresh", "--dataset", "nomis__ashe_pay")
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert "unchanged" in again.stdout
