"""Prepare the dbt manifest once (`make dbt-manifest`), so code loads never parse dbt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from orchestration.dbt_executable import DBT_TARGET, dbt_executable
from sources.gates.registry import REGISTRY, dbt_vars

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def main() -> int:
    inputs = [p for p in DBT_DIR.rglob("*") if p.is_file() and "target" not in p.parts
              and "logs" not in p.parts] + [REGISTRY]
    manifest = DBT_DIR / "target" / "manifest.json"
    if manifest.exists() and all(p.stat().st_mtime <= manifest.stat().st_mtime for p in inputs):
        return 0  # nothing changed since the last parse
    print("dbt parse: preparing the manifest", flush=True)
    dbt = dbt_executable()
    # The same vars and target as every build (orchestration/assets/dbt.py), so the parse saved
    # here holds for the first build in any home: dbt discards a saved parse when a var, the
    # target or its connection differs.
    return subprocess.call([str(dbt), "parse", "--project-dir", str(DBT_DIR), "--profiles-dir",
                            str(DBT_DIR), "--target", DBT_TARGET, "--quiet", "--vars",
                            json.dumps(dbt_vars())])


if __name__ == "__main__":
    sys.exit(main())
