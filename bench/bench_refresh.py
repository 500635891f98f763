"""Benchmark: the full refresh (fetch + load + dbt + gates + publish) of the bundled snapshot and of
snapshots scaled up by the sample generator; a refresh with no changed input; and code load
(`dagster definitions validate`). Wall time, peak memory and where the time went, step by step.

    uv run python bench/bench_refresh.py [--scales 10,100]

Each refresh is a fresh `datacymru refresh` process in its own home. The breakdown is read
afterwards from Dagster's own records of the runs (step start and end times) and from dbt's
`run_results.json` (time per model and per test), so nothing is timed inside the measured run:

- fetch, load: the `fetch_*` and `load_*` steps (and the council returns intake under load);
- dbt models, dbt tests: dbt's own execution times of seeds and models, and of data and unit tests;
- dbt other: the rest of the `dbt_models` step (dbt start-up, manifest, audit of the test results);
- gates: the Great Expectations and Python gate steps (`gx_*`); publish: the `publish_*` steps;
- Dagster overhead: the wall time not spent inside any step (process start, imports, code load,
  deciding what is stale, run bookkeeping).

CPU seconds per step (`steps_cpu`) come from sampling the refresh's process tree (Linux `/proc`,
every 50 ms) and reading the samples at each step's start and end; the dbt step is one figure
(dbt's own records give execution times, not CPU), and Dagster overhead is the rest of the CPU.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
# Runs a command and reports the peak RSS and the CPU seconds of its whole process tree
# (waited-for descendants). On a machine shared with other work, CPU seconds move far less than
# wall time, so both are kept.
PEAK = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
        "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print('PEAK_KB', u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(rc)")
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
STEP_KINDS = (("fetch_", "fetch"), ("load_", "load"), ("council_returns", "load"),
              ("dbt_models", "dbt"), ("gx_", "gates"), ("publish_", "publish"))
BREAKDOWN = ("fetch", "load", "dbt models", "dbt tests", "dbt other", "gates", "publish", "other steps",
             "Dagster overhead")
CPU_BREAKDOWN = ("fetch", "load", "dbt", "gates", "publish", "other steps", "Dagster overhead")
TARGETS = {"full_refresh_s": 30.0, "no_change_ratio": 0.10, "code_load_s": 3.0,
           "scaled_x100_ratio": 4.0, "peak_mb": 1024.0}


def tree_cpu(root: int) -> float | None:
    """CPU seconds so far of process `root` and its live descendants (children already waited for
    included), from Linux `/proc`; None where there is no `/proc`."""
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, CPU seconds)
    try:
        entries = [e for e in Path("/proc").iterdir() if e.name.isdigit()]
    except FileNotFoundError:
        return None
    for entry in entries:
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended since the listing
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # from field 3 (state) on: see proc(5)
        # ppid is field 4; utime, stime, cutime, cstime are fields 14-17
        stats[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / CLK_TCK)
    if root not in stats:
        return None
    children: dict[int, list[int]] = {}
    for pid, (ppid, _cpu) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += stats[pid][1]
        stack += children.get(pid, [])
    return total


def _sample_cpu(proc: subprocess.Popen, samples: list[tuple[float, float]], every: float = 0.05) -> None:
    """Append (unix time, CPU seconds of the tree so far) until `proc` ends."""
    while proc.poll() is None:
        cpu = tree_cpu(proc.pid)
        if cpu is not None:
            # a child reaped between two reads can make one sample dip: keep the series monotonic
            samples.append((time.time(), max(cpu, samples[-1][1] if samples else 0.0)))
        time.sleep(every)


def measure(cmd: list[str], env: dict[str, str],
            samples: list[tuple[float, float]] | None = None) -> tuple[float, float, float]:
    """(wall seconds, peak MB, CPU seconds) of a command run in a fresh process.

    With `samples`, the CPU seconds of its process tree are sampled into it as it runs.
    """
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", PEAK, *cmd], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = None
    if samples is not None:
        sampler = threading.Thread(target=_sample_cpu, args=(proc, samples), daemon=True)
        sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    if sampler is not None:
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    peak, cpu = next(line.split()[1:] for line in stderr.splitlines() if line.startswith("PEAK_KB"))
    if samples is not None:
        samples.append((time.time(), max(float(cpu), samples[-1][1] if samples else 0.0)))
    return seconds, int(peak) / 1024, float(cpu)


def refresh_env(home: Path, snapshot: Path | None = None) -> dict[str, str]:
    """A home of its own, with the project's Dagster instance settings (writer pool of 1)."""
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster" / "dagster.yaml")
    env = {**os.environ, "DATA_CYMRU_HOME": str(home / "data"), "DAGSTER_HOME": str(home / "dagster"),
           "DATA_CYMRU_MODE": "snapshot"}
    if snapshot:
        env["DATA_CYMRU_SNAPSHOT_DIR"] = str(snapshot)
    return env


def _kind(step_key: str) -> str:
    return next((kind for prefix, kind in STEP_KINDS if step_key.startswith(prefix)), "other steps")


def _dbt_split(run_results: Path) -> dict[str, float]:
    """Seconds dbt spent executing models (and seeds) and tests, from its own run_results.json."""
    split = {"dbt models": 0.0, "dbt tests": 0.0}
    if not run_results.exists():
        return split
    for result in json.loads(run_results.read_text()).get("results", []):
        kind = "dbt tests" if result["unique_id"].startswith(("test.", "unit_test.")) else "dbt models"
        split[kind] += result.get("execution_time") or 0.0
    return split


def cpu_at(samples: list[tuple[float, float]], when: float) -> float:
    """CPU seconds of the sampled tree at unix time `when`, interpolated between samples."""
    times = [t for t, _cpu in samples]
    k = bisect.bisect_left(times, when)
    if k == 0:
        return samples[0][1] if samples else 0.0
    if k == len(samples):
        return samples[-1][1]
    (t0, c0), (t1, c1) = samples[k - 1], samples[k]
    return c0 + (c1 - c0) * (when - t0) / (t1 - t0) if t1 > t0 else c1


def breakdown(home: Path, run_ids: list[str], wall: float,
              samples: list[tuple[float, float]] | None = None,
              cpu: float = 0.0) -> tuple[dict[str, float], dict[str, float]]:
    """Where the wall time (and, with CPU `samples`, the CPU time) of one refresh went, from
    Dagster's step records and dbt's results. Steps run one after another in the refresh's process
    (`execute_in_process`), so the CPU of the tree between a step's start and end is the step's."""
    from dagster import DagsterInstance

    steps = dict.fromkeys(BREAKDOWN, 0.0)
    steps_cpu = dict.fromkeys(CPU_BREAKDOWN, 0.0)
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        for run_id in run_ids:
            for stat in instance.get_run_step_stats(run_id):
                if stat.start_time is None or stat.end_time is None:
                    continue
                seconds = stat.end_time - stat.start_time
                kind = _kind(stat.step_key)
                if samples:
                    steps_cpu[kind] += (
                        cpu_at(samples, stat.end_time) - cpu_at(samples, stat.start_time))
                if kind == "dbt":
                    split = _dbt_split(home / "data" / "dbt" / run_id / "run_results.json")
                    for name, value in split.items():
                        steps[name] += value
                    steps["dbt other"] += max(0.0, seconds - sum(split.values()))
                else:
                    steps[kind] += seconds
    steps["Dagster overhead"] = max(0.0, wall - sum(steps.values()))
    steps_cpu["Dagster overhead"] = max(0.0, cpu - sum(steps_cpu.values())) if samples else 0.0
    return {k: round(v, 3) for k, v in steps.items()}, {k: round(v, 3) for k, v in steps_cpu.items()}


def run_ids(home: Path) -> list[str]:
    """Every run recorded in the home's Dagster instance."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        return [run.run_id for run in instance.get_runs()]


def timed_refresh(home: Path, snapshot: Path | None = None) -> dict:
    """One `datacymru refresh` in `home`: wall time, peak memory and its breakdown."""
    before = set(run_ids(home)) if (home / "dagster" / "history").exists() else set()
    env = refresh_env(home, snapshot)
    samples: list[tuple[float, float]] = []
    seconds, peak, cpu = measure([sys.executable, "-m", "orchestration.cli", "refresh"], env, samples)
    new = [r for r in run_ids(home) if r not in before]
    steps, steps_cpu = breakdown(home, new, seconds, samples, cpu)
    return {"wall_s": round(seconds, 3), "cpu_s": round(cpu, 3), "peak_mb": round(peak), "runs": len(new),
            "steps": steps, "steps_cpu": steps_cpu}


def scaled_snapshot(tmp: Path, scale: int) -> tuple[Path, float]:
    """The sample snapshot recorded at `scale` times its size, and its size in MB."""
    out = tmp / f"snapshot-x{scale}"
    subprocess.run([sys.executable, "-m", "sources.record_snapshot", "--out", str(out),
                    "--scale", str(scale)], cwd=REPO, check=True, capture_output=True)
    return out, sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6


def code_load(tmp: Path) -> dict:
    """`dagster definitions validate` and `datacymru --help`, against `import dagster` alone."""
    env = refresh_env(tmp / "load")
    dagster = str(Path(sys.executable).with_name("dagster"))
    validate, peak, validate_cpu = measure(
        [dagster, "definitions", "validate", "-m", "orchestration.definitions"], env)
    cli, _, cli_cpu = measure([sys.executable, "-m", "orchestration.cli", "--help"], env)
    floor, _, floor_cpu = measure([sys.executable, "-c", "import dagster"], env)
    return {"definitions_validate_s": round(validate, 3),
            "definitions_validate_cpu_s": round(validate_cpu, 3),
            "peak_mb": round(peak), "cli_help_s": round(cli, 3), "cli_help_cpu_s": round(cli_cpu, 3),
            "import_dagster_s": round(floor, 3), "import_dagster_cpu_s": round(floor_cpu, 3),
            "ratio_to_import_dagster": round(validate / floor, 2)}


def run(scales: list[int]) -> dict:
    """Code load, the full and the no-change refresh of the sample, and the scaled refreshes."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        print("code load …", flush=True)
        result: dict = {"code_load": code_load(tmp_path)}
        print("full refresh of the bundled sample …", flush=True)
        result["full"] = timed_refresh(tmp_path / "x1")
        print("refresh again, nothing changed …", flush=True)
        result["no_change"] = timed_refresh(tmp_path / "x1")
        full = result["full"]["wall_s"]
        result["no_change"]["ratio_to_full"] = round(result["no_change"]["wall_s"] / full, 3)
        result["scaled"] = {}
        for scale in scales:
            print(f"recording the sample ×{scale} …", flush=True)
            snapshot, size = scaled_snapshot(tmp_path, scale)
            print(f"full refresh ×{scale} ({size:.0f} MB) …", flush=True)
            scaled = timed_refresh(tmp_path / f"x{scale}", snapshot)
            scaled.update(snapshot_mb=round(size), ratio_to_x1=round(scaled["wall_s"] / full, 2))
            result["scaled"][str(scale)] = scaled
            shutil.rmtree(tmp_path / f"x{scale}", ignore_errors=True)
            shutil.rmtree(snapshot, ignore_errors=True)
    return result


def table(result: dict) -> list[str]:
    """The refreshes side by side: wall time, peak memory and each step's seconds."""
    columns = [("full ×1", result["full"]), ("no change", result["no_change"]),
               *((f"full ×{s}", r) for s, r in result["scaled"].items())]
    lines = [f"{'':<22}" + "".join(f"{name:>12}" for name, _ in columns),
             f"{'wall s':<22}" + "".join(f"{r['wall_s']:>12.2f}" for _, r in columns),
             f"{'CPU s':<22}" + "".join(f"{r['cpu_s']:>12.2f}" for _, r in columns),
             f"{'peak MB':<22}" + "".join(f"{r['peak_mb']:>12.0f}" for _, r in columns)]
    for step in BREAKDOWN:
        lines.append(f"  {step:<20}" + "".join(f"{r['steps'][step]:>12.2f}" for _, r in columns))
    lines.append(f"{'CPU s by step':<22}")
    for step in CPU_BREAKDOWN:
        lines.append(f"  {step:<20}" + "".join(f"{r['steps_cpu'][step]:>12.2f}" for _, r in columns))
    load = result["code_load"]
    lines += ["", f"dagster definitions validate: {load['definitions_validate_s']:.2f} s wall, "
                  f"{load['definitions_validate_cpu_s']:.2f} s CPU (import dagster alone: "
                  f"{load['import_dagster_s']:.2f} s, {load['import_dagster_cpu_s']:.2f} s CPU); "
                  f"datacymru --help: {load['cli_help_s']:.2f} s, {load['cli_help_cpu_s']:.2f} s CPU"]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="10", help="comma-separated scales of the sample to refresh "
                        "besides ×1, e.g. 10,100 (empty for none)")
    args = parser.parse_args()
    result = run([int(s) for s in args.scales.split(",") if s])
    print("\n".join(table(result)))
    OUT.mkdir(parents=True, exist_ok=True)
    result["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    (OUT / "bench_refresh-latest.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
