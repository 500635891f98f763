"""Prepare the dbt manifest once (`make dbt-manifest`), so code loads never parse dbt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.dbt_executable import dbt_executable
from sources.gates.registry import REGISTRY, dbt_vars
from sources.settings import Settings

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def main() -> int:
    inputs = [p for p in DBT_DIR.rglob("*") if p.is_file() and "target" not in p.parts
              and "logs" not in p.parts] + [REGISTRY]
    manifest = DBT_DIR / "target" / "manifest.json"
    if manifest.exists() and all(p.stat().st_mtime <= manifest.stat().st_mtime for p in inputs):
        return 0  # nothing changed since the last parse
    print("dbt parse: preparing the manifest", flush=True)
    dbt = dbt_executable()
    # The same vars and the same warehouse path as the builds in this home (DATA_CYMRU_HOME or
    # ./data), so the first build there can use this parse: dbt discards a saved parse when a var or
    # the profile's connection differs. Each home then keeps its own (`orchestration/assets/dbt.py`).
    env = {**os.environ, "DATA_CYMRU_HOME": str(Settings.from_env().home)}
    return subprocess.call([str(dbt), "parse", "--project-dir", str(DBT_DIR), "--profiles-dir",
                            str(DBT_DIR), "--quiet", "--vars", json.dumps(dbt_vars())], env=env)


if __name__ == "__main__":
    sys.exit(main())
