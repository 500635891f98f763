"""Benchmark: the full refresh (fetch + load + dbt + gates + publish) on the bundled snapshot and on
a snapshot scaled up by the sample generator; a refresh with no changed input; and code load
(`dagster definitions validate`). Wall time and peak memory, reported side by side.

    uv run python bench/bench_refresh.py [--scale 100]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
# Runs a command and reports the peak RSS of its whole process tree (waited-for descendants).
PEAK = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
        "print('PEAK_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
        "sys.exit(rc)")


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak MB) of a command run in a fresh process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *cmd], cwd=REPO, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    peak = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK_KB"))
    return seconds, peak / 1024


def refresh_env(home: Path, snapshot: Path | None = None) -> dict[str, str]:
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATA_CYMRU_HOME": str(home / "data"), "DAGSTER_HOME": str(home / "dagster"),
           "DATA_CYMRU_MODE": "snapshot"}
    if snapshot:
        env["DATA_CYMRU_SNAPSHOT_DIR"] = str(snapshot)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    args = parser.parse_args()
    refresh = [sys.executable, "-m", "orchestration.cli", "refresh"]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        secs, peak = measure([str(Path(sys.executable).with_name("dagster")), "definitions", "validate",
                              "-m", "orchestration.definitions"], refresh_env(tmp_path / "load"))
        results.append(("code load (dagster definitions validate)", secs, peak))
        secs, peak = measure(refresh, refresh_env(tmp_path / "x1"))
        results.append(("full refresh, bundled snapshot", secs, peak))
        full = secs
        secs, peak = measure(refresh, refresh_env(tmp_path / "x1"))
        results.append(("refresh again, no input changed", secs, peak))
        unchanged = secs
        scaled = tmp_path / f"snapshot-x{args.scale}"
        subprocess.run([sys.executable, "-m", "sources.record_snapshot", "--out", str(scaled),
                        "--scale", str(args.scale)], cwd=REPO, check=True, capture_output=True)
        size = sum(f.stat().st_size for f in scaled.rglob("*") if f.is_file()) / 1e6
        secs, peak = measure(refresh, refresh_env(tmp_path / "xN", scaled))
        results.append((f"full refresh, snapshot x{args.scale} ({size:.0f} MB)", secs, peak))
    print(f"{'measurement':<52} {'wall s':>8} {'peak MB':>9}")
    for name, secs, peak in results:
        print(f"{name:<52} {secs:>8.2f} {peak:>9.0f}")
    print(f"\nno-change refresh / full refresh: {unchanged / full:.0%} (target < 20%)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "refresh.json").write_text(json.dumps(
        [{"measurement": n, "seconds": round(s, 3), "peak_mb": round(p)} for n, s, p in results],
        indent=2))


if __name__ == "__main__":
    main()
