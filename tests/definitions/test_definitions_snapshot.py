"""Any change to the asset graph (assets, checks, schedules, sensors, jobs) shows in review.

Regenerate after an intended change with `UPDATE_SNAPSHOTS=1 uv run pytest tests/definitions`.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from orchestration.definitions import defs
from sources.catalogue import catalogue

SNAPSHOT = Path(__file__).with_name("definitions.snapshot.txt")


def describe() -> str:
    graph = defs.resolve_asset_graph()
    lines = ["# assets (key <- deps) [group]"]
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        deps = ", ".join(sorted(p.to_user_string() for p in node.parent_keys))
        lines.append(f"{key.to_user_string()} <- [{deps}] [{node.group_name}]")
    lines.append("# checks (asset:check blocking)")
    for check in sorted(graph.asset_check_keys, key=lambda c: c.to_user_string()):
        spec = graph.get_check_spec(check)
        lines.append(f"{check.to_user_string()} {'blocking' if spec.blocking else 'warn'}")
    lines.append("# schedules")
    lines += sorted(f"{s.name} {s.cron_schedule}" for s in defs.schedules or [])
    lines.append("# sensors")
    lines += sorted(s.name for s in defs.sensors or [])
    return "\n".join(lines) + "\n"


def test_definitions_match_the_snapshot():
    current = describe()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text(current, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(expected.splitlines(True), current.splitlines(True),
                                        "definitions.snapshot.txt", "current definitions"))
    assert current == expected, "the asset graph changed:\n" + diff


def test_every_catalogue_dataset_is_an_asset_with_a_raw_table():
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    for ds in catalogue():
        assert f"archive/archive__{ds}" in keys and f"raw/{ds}" in keys


def test_no_two_assets_read_alike_in_the_graph():
    """The UI labels a node with the last part of its key only, cut in the middle past ~17
    characters (`mart_pe…_framework`): no two may share that part, or its start and end."""
    keys = defs.resolve_asset_graph().get_all_asset_keys()
    labels = {}
    for key in keys:
        last = key.path[-1]
        label = last if len(last) <= 17 else f"{last[:7]}…{last[-6:]}"
        assert label not in labels, f"{key.to_user_string()} and {labels[label]} both read {label!r}"
        labels[label] = key.to_user_string()


def test_every_asset_has_an_owner_and_kinds():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners and node.kinds, key.to_user_string()


def test_code_load_does_not_import_great_expectations():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import sys, orchestration.definitions; "
                          "print('great_expectations' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
