"""The bundled snapshot is exactly what `make snapshot` records from the sample API today."""

from __future__ import annotations

import filecmp

from sources.record_snapshot import record
from sources.settings import SNAPSHOT_DIR


def test_bundled_snapshot_matches_a_fresh_recording(tmp_path):
    record(tmp_path, quiet=True)
    stale = []
    for folder in sorted(p for p in tmp_path.iterdir() if p.is_dir()):
        bundled = SNAPSHOT_DIR / folder.name
        names = sorted(p.name for p in folder.iterdir())
        if not bundled.exists() or names != sorted(p.name for p in bundled.iterdir()):
            stale.append(folder.name)
            continue
        _, mismatch, errors = filecmp.cmpfiles(folder, bundled, names, shallow=False)
        if mismatch or errors:
            stale.append(folder.name)
    assert not stale, f"re-record the snapshot with `make snapshot`: {stale} differ"
    assert "SAMPLE DATA" in (SNAPSHOT_DIR / "README.md").read_text()
