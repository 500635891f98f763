"""Every figure of the speed targets in one run (`make bench`), each against its baseline.

    uv run --group bench python bench/bench_all.py [--scales 10,100] [--rows 2000000] [--repeat 3]

1. Fetch + load of a large Nomis dataset over loopback pages (`bench_fetch_load.py`) beside DuckDB's
   own `read_csv` of the same CSV (the baseline) and dlt loading the same pages (the peer).
2. Code load (`dagster definitions validate`, `datacymru --help`), the full refresh of the bundled
   sample, the same refresh again with nothing changed (baseline: the full refresh), and the
   refresh of the sample scaled up (baseline: the ×1 refresh), each with its step breakdown
   (`bench_refresh.py`).

Prints one table of the figures with their targets and writes everything to
`bench/out/bench-<time>.json` and `bench/out/bench-latest.json` (git-ignored). Wall times on a
machine shared with other work move with its load; CPU seconds are given beside them.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_fetch_load  # noqa: E402
import bench_refresh  # noqa: E402


def figures(fetch_load: dict, refresh: dict) -> list[dict]:
    """The issue's figures: value, baseline in the same run, ratio and target."""
    full, same = refresh["full"], refresh["no_change"]
    load = refresh["code_load"]
    rows = [
        {"figure": "fetch + load / DuckDB read_csv", "value": fetch_load["platform"]["wall_s"],
         "baseline": fetch_load["duckdb"]["wall_s"], "ratio": fetch_load["ratio"], "target": "≤ 1.2×",
         "met": fetch_load["time_target_met"]},
        {"figure": "fetch + load peak memory (MB)", "value": fetch_load["platform"]["peak_mb"],
         "baseline": None, "ratio": None, "target": "≤ 500 MB", "met": fetch_load["memory_target_met"]},
    ]
    if fetch_load.get("dlt"):
        rows.append({"figure": "fetch + load / dlt", "value": fetch_load["platform"]["wall_s"],
                     "baseline": fetch_load["dlt"]["wall_s"],
                     "ratio": fetch_load["platform"]["wall_s"] / fetch_load["dlt"]["wall_s"],
                     "target": "< 1×", "met": fetch_load["ahead_of_dlt"]})
    rows += [
        {"figure": "full refresh of the sample (s)", "value": full["wall_s"], "baseline": None,
         "ratio": None, "target": "≤ 30 s", "met": full["wall_s"] <= bench_refresh.TARGETS["full_refresh_s"]},
        {"figure": "no-change refresh / full refresh", "value": same["wall_s"], "baseline": full["wall_s"],
         "ratio": same["ratio_to_full"], "target": "≤ 10 %",
         "met": same["ratio_to_full"] <= bench_refresh.TARGETS["no_change_ratio"]},
        {"figure": "dagster definitions validate (s)", "value": load["definitions_validate_s"],
         "baseline": load["import_dagster_s"], "ratio": load["ratio_to_import_dagster"],
         "target": "≤ 3 s", "met": load["definitions_validate_s"] <= bench_refresh.TARGETS["code_load_s"]},
    ]
    for scale, scaled in refresh["scaled"].items():
        rows.append({"figure": f"full refresh ×{scale} / ×1", "value": scaled["wall_s"],
                     "baseline": full["wall_s"], "ratio": scaled["ratio_to_x1"],
                     "target": "≤ 4× (×100)" if scale == "100" else "",
                     "met": (scaled["ratio_to_x1"] <= bench_refresh.TARGETS["scaled_x100_ratio"]
                             if scale == "100" else None)})
        rows.append({"figure": f"full refresh ×{scale} peak memory (MB)", "value": scaled["peak_mb"],
                     "baseline": None, "ratio": None, "target": "< 1 GB",
                     "met": scaled["peak_mb"] < bench_refresh.TARGETS["peak_mb"]})
    return rows


def figure_table(rows: list[dict]) -> list[str]:
    def num(value: float | None, fmt: str) -> str:
        return "" if value is None else format(value, fmt)

    lines = [f"{'figure':<40}{'value':>10}{'baseline':>10}{'ratio':>8}  {'target':<12}met"]
    for row in rows:
        met = {True: "yes", False: "NO", None: ""}[row["met"]]
        lines.append(f"{row['figure']:<40}{num(row['value'], '.2f'):>10}{num(row['baseline'], '.2f'):>10}"
                     f"{num(row['ratio'], '.2f'):>8}  {row['target']:<12}{met}")
    return lines


def main() -> None:
    parser = bench_fetch_load.parser()
    parser.description = __doc__.splitlines()[0]
    parser.add_argument("--scales", default="10", help="scales of the sample to refresh besides ×1, "
                        "comma-separated, e.g. 10,100 (empty for none)")
    parser.set_defaults(rate_limit="1000/1", memory_limit="400MB")
    args = parser.parse_args()
    print("== fetch + load", flush=True)
    fetch_load = bench_fetch_load.run(args)
    print("\n== refreshes", flush=True)
    refresh = bench_refresh.run([int(s) for s in args.scales.split(",") if s])
    steps = bench_refresh.table(refresh)
    rows = figures(fetch_load, refresh)
    print("\n" + "\n".join(steps) + "\n\n" + "\n".join(figure_table(rows)))
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "figures": rows,
              "fetch_load": fetch_load, "refresh": refresh, "steps_table": steps}
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"bench-{stamp}.json", "bench-latest.json"):
        (args.out / name).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nfigures written to {args.out / f'bench-{stamp}.json'}")


if __name__ == "__main__":
    main()
