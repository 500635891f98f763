"""Reading the platform's YAML files (catalogue, gate registry, marts) with libyaml when present.

PyYAML's C loader parses the same safe subset as `yaml.safe_load` about ten times faster; every
process that loads the Dagster definitions reads these files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The document in `path` (UTF-8), parsed as `yaml.safe_load` would."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 (a safe loader)
