"""Where dbt is: its own environment, never the process that loads the Dagster definitions.

`make install` builds `dbt_env/.venv` from `dbt_env/uv.lock`; dagster-dbt drives dbt as a command
(through `orchestration/bin/dbt`), so dbt-core is not installed beside Dagster and no process that
loads the definitions pays for importing it. `DATA_CYMRU_DBT_EXECUTABLE` names another dbt.
"""

from __future__ import annotations

import os
from importlib.metadata import PathDistribution
from pathlib import Path

DBT_ENV_DBT = Path(__file__).resolve().parents[1] / "dbt_env" / ".venv" / "bin" / "dbt"
# The profiles.yml target of the platform's builds and of the parse `make dbt-manifest` saves: the
# warehouse by a path relative to the home dbt runs in, the same in every home.
DBT_TARGET = "platform"


def dbt_executable() -> Path:
    """The dbt to run: `DATA_CYMRU_DBT_EXECUTABLE`, else the one `make install` built."""
    configured = os.environ.get("DATA_CYMRU_DBT_EXECUTABLE")
    path = Path(configured) if configured else DBT_ENV_DBT
    if not path.is_file():
        raise FileNotFoundError(
            f"dbt is not installed at {path}: run `make install` (it builds dbt's own environment "
            "in dbt_env/.venv) or set DATA_CYMRU_DBT_EXECUTABLE to a dbt with the dbt-duckdb adapter")
    return path


def installed_dbt_version(executable: Path) -> str | None:
    """The dbt-core version installed beside `executable` (a virtual environment's `bin/dbt`).

    Read from the package's metadata, so nothing is started: `dbt --version` imports dbt (about 2 s
    of CPU) and asks PyPI for the latest release. None where dbt is not laid out that way.
    """
    found = list(executable.parent.parent.glob("lib/python*/site-packages/dbt_core-*.dist-info"))
    return PathDistribution(found[0]).version if len(found) == 1 else None
