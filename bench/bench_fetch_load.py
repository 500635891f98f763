"""Benchmark: fetch + load of a large Nomis dataset against DuckDB reading the same CSV directly.

    uv run python bench/bench_fetch_load.py [--rows 2000000] [--page-size 25000]

1. Generates an LSOA-level Nomis-format CSV with DuckDB (`COPY (SELECT … FROM range(N))`), and the
   same rows pre-split into pages of `--page-size` rows, one file per `recordOffset`.
2. Serves the pages from a loopback HTTP server (a thread of this process) that only streams bytes,
   shaped like the Nomis API: `/dataset/<id>.data.csv?…&recordOffset=K`.
3. Runs, each in its own child process, (a) the platform's real fetch + load of a synthetic catalogue
   entry in live mode against that server, and (b) DuckDB's `CREATE TABLE … AS SELECT * FROM
   read_csv(…)` of the whole CSV. Wall time and peak memory are measured from outside: each child
   is started by a small meter process that reports `getrusage(RUSAGE_CHILDREN).ru_maxrss`, so one
   measurement never masks the other.
4. Prints a table with the ratio and writes the figures to `bench/out/` (git-ignored).

Targets (issue 2): fetch + load within 1.5x DuckDB's own time, and under 500 MB peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
DATASET_ID = "NM_9999_1"
KEY = "nomis__bench_lsoa_population"
TIME_TARGET, MEMORY_TARGET_MB = 1.5, 500
LSOAS = 1917
COLUMNS = {  # wire header -> raw type, as a catalogue entry would give them
    "DATE_NAME": "VARCHAR", "GEOGRAPHY_CODE": "VARCHAR", "GEOGRAPHY_NAME": "VARCHAR",
    "C_AGE_NAME": "VARCHAR", "GENDER_NAME": "VARCHAR", "MEASURES_NAME": "VARCHAR",
    "OBS_VALUE": "DOUBLE", "OBS_STATUS": "VARCHAR", "OBS_CONF": "VARCHAR",
    "RECORD_OFFSET": "BIGINT", "RECORD_COUNT": "BIGINT",
}
QUOTED = [c for c, t in COLUMNS.items() if t == "VARCHAR"]  # Nomis quotes strings, not numbers
COUNCILS = ["Isle of Anglesey", "Gwynedd", "Conwy", "Denbighshire", "Flintshire", "Wrexham",
            "Ceredigion", "Pembrokeshire", "Carmarthenshire", "Swansea", "Neath Port Talbot",
            "Bridgend", "Vale of Glamorgan", "Cardiff", "Rhondda Cynon Taf", "Caerphilly",
            "Blaenau Gwent", "Torfaen", "Monmouthshire", "Newport", "Powys", "Merthyr Tydfil"]


# --- data --------------------------------------------------------------------------------------

def rows_sql(start: int, stop: int, total: int) -> str:
    """Rows `start..stop-1` of the dataset: a pure function of the row number, so pages and the
    whole file hold exactly the same rows."""
    councils = "[" + ", ".join(f"'{c}'" for c in COUNCILS) + "]"
    return f"""
        SELECT
          CAST(2011 + (i // ({LSOAS} * 91 * 3)) % 14 AS VARCHAR)                AS DATE_NAME,
          'W01' || lpad(CAST(1 + i % {LSOAS} AS VARCHAR), 6, '0')                AS GEOGRAPHY_CODE,
          {councils}[1 + (i % {LSOAS}) % 22] || ' ' ||
            lpad(CAST(1 + (i % {LSOAS}) // 22 AS VARCHAR), 3, '0') || 'ABCD'[1 + i % 4]
                                                                                  AS GEOGRAPHY_NAME,
          CASE WHEN (i // {LSOAS}) % 91 = 90 THEN 'Aged 90+'
               ELSE 'Age ' || CAST((i // {LSOAS}) % 91 AS VARCHAR) END          AS C_AGE_NAME,
          ['Total', 'Male', 'Female'][1 + (i // ({LSOAS} * 91)) % 3]             AS GENDER_NAME,
          'Value'                                                                 AS MEASURES_NAME,
          CAST(hash(i) % 400 AS BIGINT)                                           AS OBS_VALUE,
          'A'                                                                     AS OBS_STATUS,
          'F'                                                                     AS OBS_CONF,
          i                                                                       AS RECORD_OFFSET,
          {total}                                                                 AS RECORD_COUNT
        FROM range({start}, {stop}) AS r(i)"""


def generate(rows: int, page_size: int, folder: Path) -> tuple[Path, Path]:
    """The whole CSV and its pages (cached by size: generating is not what is measured)."""
    import duckdb

    whole, pages = folder / "nomis_whole.csv", folder / "pages"
    done = folder / ".complete"
    if done.exists():
        return whole, pages
    shutil.rmtree(folder, ignore_errors=True)
    pages.mkdir(parents=True)
    options = f"HEADER, DELIMITER ',', QUOTE '\"', FORCE_QUOTE ({', '.join(QUOTED)})"
    con = duckdb.connect()
    con.execute(f"COPY ({rows_sql(0, rows, rows)}) TO '{whole}' ({options})")
    for offset in range(0, rows, page_size):
        stop = min(offset + page_size, rows)
        con.execute(f"COPY ({rows_sql(offset, stop, rows)}) TO '{pages / f'{offset}.csv'}' ({options})")
    con.close()
    done.touch()
    return whole, pages


# --- the mirror ---------------------------------------------------------------------------------

def serve_pages(pages: Path, page_size: int) -> tuple[ThreadingHTTPServer, str]:
    """A Nomis-shaped mirror that streams the pre-split page files."""
    path_re = re.compile(rf"/nomis/api/v01/dataset/{DATASET_ID}\.data\.csv")
    header = (pages / "0.csv").open("rb").readline()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body in separate writes must not wait on ACKs

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            if not path_re.fullmatch(parts.path):
                self.send_error(404)
                return
            offset = int(parse_qs(parts.query).get("recordOffset", ["0"])[0])
            page = pages / f"{offset}.csv"
            size = page.stat().st_size if page.exists() else len(header)
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if page.exists():
                with page.open("rb") as handle:
                    self.connection.sendfile(handle)
            else:
                self.wfile.write(header)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# --- the measured children ----------------------------------------------------------------------

def duckdb_config(memory_limit: str) -> dict[str, str]:
    return {"memory_limit": memory_limit} if memory_limit != "default" else {}


def child_fetch_load(base: str, home: Path, memory_limit: str, rate_limit: str | None) -> dict:
    """The platform's own path: a catalogue entry, live fetch into the archive, load into DuckDB."""
    import duckdb

    from sources.archive import Archive
    from sources.catalogue import parse_entry
    from sources.fetch import fetch_dataset, make_client
    from sources.load import load_dataset
    from sources.settings import Settings

    dataset = parse_entry(KEY, {
        "provider": "nomis", "dataset_id": DATASET_ID, "title_en": "Benchmark: LSOA population",
        "title_cy": "Meincnod: poblogaeth ACEHI", "cadence": "0 7 * * 2", "max_age_days": 400,
        "licence": "Open Government Licence v3.0", "marts": [],
        "request": {"geography": "TYPE298", "date": "latestMINUS13-latest", "measures": "20100"},
        "columns": [{"name": c.lower(), "en": c, "type": t} for c, t in COLUMNS.items()]})
    urls = {"statswales": f"{base}/statswales/v2", "nomis": f"{base}/nomis/api/v01", "ons": f"{base}/ons/v1"}
    settings = Settings(home=home, mode="live", base_urls=urls, contact="bench@datacymru.example")
    options = {}
    if rate_limit:
        calls, period = rate_limit.split("/")
        options["rate_limit"] = (int(calls), float(period))
    client = make_client(dataset, settings, log=lambda _m: None, **options)
    started = time.perf_counter()
    fetch = fetch_dataset(dataset, settings, client=client, log=lambda _m: None)
    fetched = time.perf_counter()
    archive = Archive(settings.archive, dataset.provider, dataset.name)
    with duckdb.connect(str(settings.warehouse), config=duckdb_config(memory_limit)) as con:
        result = load_dataset(dataset, fetch, archive, con)
    loaded = time.perf_counter()
    return {"rows": result.rows, "pages": len(fetch.data_parts), "requests": client.requests_sent,
            "fetch_s": fetched - started, "load_s": loaded - fetched,
            "archive_bytes": sum(p.bytes for p in fetch.data_parts)}


def child_duckdb(csv_path: Path, home: Path, memory_limit: str) -> dict:
    """DuckDB on its own: the whole CSV into a table of a database file, same column types."""
    import duckdb

    started = time.perf_counter()
    types = "{" + ", ".join(f"'{c}': '{t}'" for c, t in COLUMNS.items()) + "}"
    with duckdb.connect(str(home / "baseline.duckdb"), config=duckdb_config(memory_limit)) as con:
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}', header=true, columns={types})")
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    return {"rows": rows, "load_s": time.perf_counter() - started}


def meter(argv: list[str]) -> dict:
    """Run one child to completion; its wall time and peak RSS as this process's only child."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"child failed ({done.returncode}):\n{done.stderr}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return {"wall_s": wall, "peak_mb": peak_kib / 1024, **json.loads(done.stdout.splitlines()[-1])}


def measure(args: list[str]) -> dict:
    """A fresh meter process per measurement, so RUSAGE_CHILDREN only ever sees one child."""
    me = [sys.executable, str(Path(__file__).resolve())]
    done = subprocess.run([*me, "--meter", "--", *me, *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr or done.stdout)
    return json.loads(done.stdout.splitlines()[-1])


# --- report -------------------------------------------------------------------------------------

def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time, its peak memory replaced by the highest of all runs."""
    chosen = dict(sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2])
    chosen["peak_mb"] = max(r["peak_mb"] for r in runs)
    return chosen


def report(rows: int, page_size: int, csv_bytes: int, ours: dict, duck: dict, rate_limit: str | None,
           repeat: int, memory_limit: str) -> dict:
    ratio = ours["wall_s"] / duck["wall_s"]
    lines = [
        f"Nomis-format CSV: {rows:,} rows, {csv_bytes / 1e6:,.0f} MB; {ours['pages']} pages of "
        f"{page_size:,} rows; Nomis rate limit: {rate_limit or 'the platform default'}; "
        f"DuckDB memory_limit: {memory_limit}; median of {repeat} run(s), peak memory the highest",
        "",
        f"{'':<34}{'wall s':>9}{'peak MB':>10}{'rows':>12}",
        f"{'fetch + load (platform)':<34}{ours['wall_s']:>9.2f}{ours['peak_mb']:>10.0f}{ours['rows']:>12,}",
        f"{'  of which fetch (HTTP→archive)':<34}{ours['fetch_s']:>9.2f}",
        f"{'  of which load (archive→raw)':<34}{ours['load_s']:>9.2f}",
        f"{'DuckDB read_csv → table':<34}{duck['wall_s']:>9.2f}{duck['peak_mb']:>10.0f}{duck['rows']:>12,}",
        f"{'  of which CREATE TABLE':<34}{duck['load_s']:>9.2f}",
        "",
        f"ratio (platform / DuckDB wall time): {ratio:.2f}x  (target ≤ {TIME_TARGET}x: "
        f"{'met' if ratio <= TIME_TARGET else 'MISSED'})",
        f"peak memory: {ours['peak_mb']:.0f} MB  (target < {MEMORY_TARGET_MB} MB: "
        f"{'met' if ours['peak_mb'] < MEMORY_TARGET_MB else 'MISSED'})",
    ]
    print("\n".join(lines))
    return {"when": datetime.now(UTC).isoformat(timespec="seconds"), "rows": rows, "page_size": page_size,
            "csv_bytes": csv_bytes, "rate_limit": rate_limit or "default", "memory_limit": memory_limit,
            "cpus": os.cpu_count(),
            "platform": ours, "duckdb": duck, "ratio": ratio,
            "time_target_met": ratio <= TIME_TARGET, "memory_target_met": ours["peak_mb"] < MEMORY_TARGET_MB,
            "table": lines}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--meter"]:
        print(json.dumps(meter(argv[2:])))
        return
    if argv[:1] == ["--child"]:
        kind, *rest = argv[1:]
        result = (child_fetch_load(rest[0], Path(rest[1]), rest[2], rest[3] if len(rest) > 3 else None)
                  if kind == "fetch-load" else child_duckdb(Path(rest[0]), Path(rest[1]), rest[2]))
        print(json.dumps(result))
        return

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows in the dataset (≥ 2,000,000 "
                        "for the issue's figures)")
    parser.add_argument("--page-size", type=int, default=25_000, help="rows per Nomis page (guest limit)")
    parser.add_argument("--rate-limit", default=None, metavar="CALLS/SECONDS",
                        help="client rate limit for the mirror, e.g. 1000/1 (default: the platform's "
                             "Nomis limit)")
    parser.add_argument("--memory-limit", default="default", metavar="SIZE",
                        help="DuckDB memory_limit for both sides, e.g. 300MB (default: DuckDB's own)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; the median run is kept")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    print(f"generating {args.rows:,} rows …", flush=True)
    whole, pages = generate(args.rows, args.page_size, args.out / f"data-{args.rows}-{args.page_size}")
    os.sync()  # the generator's writes must not land on the measured runs
    server, base = serve_pages(pages, args.page_size)
    extra = [args.rate_limit] if args.rate_limit else []
    runs: dict[str, list[dict]] = {"duckdb": [], "platform": []}
    try:
        for run in range(1, args.repeat + 1):
            with tempfile.TemporaryDirectory(dir=args.out) as tmp:
                print(f"run {run}/{args.repeat}: DuckDB baseline …", flush=True)
                runs["duckdb"].append(measure(["--child", "duckdb", str(whole), tmp, args.memory_limit]))
                print(f"run {run}/{args.repeat}: platform fetch + load …", flush=True)
                runs["platform"].append(
                    measure(["--child", "fetch-load", base, str(Path(tmp) / "home"), args.memory_limit,
                             *extra]))
    finally:
        server.shutdown()
        server.server_close()
    print()
    ours, duck = median_run(runs["platform"]), median_run(runs["duckdb"])
    result = report(args.rows, args.page_size, whole.stat().st_size, ours, duck, args.rate_limit,
                    args.repeat, args.memory_limit)
    result["runs"] = runs
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (args.out / f"bench_fetch_load-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "bench_fetch_load-latest.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
