"""Benchmark: fetch + load of a large Nomis dataset against DuckDB reading the same CSV directly.

    uv run python bench/bench_fetch_load.py [--rows 2000000] [--page-size 25000]

1. Generates an LSOA-level Nomis-format CSV with DuckDB (`COPY (SELECT … FROM range(N))`), and the
   same rows pre-split into pages of `--page-size` rows, one file per `recordOffset`.
2. Serves the pages from a loopback HTTP server (a thread of this process) that only streams bytes,
   shaped like the Nomis API: `/dataset/<id>.data.csv?…&recordOffset=K`.
3. Runs, each in its own child process, (a) the platform's real fetch + load of a synthetic catalogue
   entry in live mode against that server, (b) DuckDB's `CREATE TABLE … AS SELECT * FROM
   read_csv(…)` of the whole CSV, and (c) dlt (the `bench` dependency group) fetching the same
   pages from the same server and loading them into DuckDB by its fastest documented path: each
   page parsed into an Arrow table with explicit types and yielded from a resource, which dlt
   writes as Parquet and loads without its row-by-row normaliser. Wall time and peak memory are
   measured from outside: each child is started by a small meter process that reports
   `getrusage(RUSAGE_CHILDREN).ru_maxrss`, so one measurement never masks the other.
4. Prints a table with the ratio and writes the figures to `bench/out/` (git-ignored).

Targets (issue 13): fetch + load within 1.2x DuckDB's own time, under 500 MB peak memory, and
ahead of dlt in the same run.
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
TIME_TARGET, MEMORY_TARGET_MB = 1.2, 500
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


def child_dlt(base: str, home: Path, memory_limit: str, rows: int, page_size: int) -> dict:
    """dlt's fastest documented path: Arrow tables yielded from a resource, loaded as Parquet."""
    import dlt
    import pyarrow as pa
    import pyarrow.csv as pacsv
    from dlt.sources.helpers import requests

    types = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BIGINT": pa.int64()}
    convert = pacsv.ConvertOptions(column_types={c: types[t] for c, t in COLUMNS.items()})
    url = f"{base}/nomis/api/v01/dataset/{DATASET_ID}.data.csv"
    timings = {"fetch_s": 0.0}

    @dlt.resource(name="bench_lsoa_population", write_disposition="replace")
    def pages():
        for offset in range(0, rows, page_size):
            started = time.perf_counter()
            body = requests.get(url, params={"recordOffset": offset}).content
            timings["fetch_s"] += time.perf_counter() - started
            yield pacsv.read_csv(pa.py_buffer(body), convert_options=convert)

    import duckdb

    home.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # The same memory bound as the other two sides, on a connection dlt is handed.
    con = duckdb.connect(str(home / "dlt.duckdb"), config=duckdb_config(memory_limit))
    pipeline = dlt.pipeline("bench_dlt", destination=dlt.destinations.duckdb(con), dataset_name="raw",
                            pipelines_dir=str(home / "dlt_pipelines"))
    pipeline.run(pages(), loader_file_format="parquet")
    wall = time.perf_counter() - started
    loaded = con.execute("SELECT count(*) FROM raw.bench_lsoa_population").fetchone()[0]
    con.close()
    return {"rows": loaded, "run_s": wall, "fetch_s": timings["fetch_s"]}


def meter(argv: list[str]) -> dict:
    """Run one child to completion; its wall time and peak RSS as this process's only child."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"child failed ({done.returncode}):\n{done.stderr}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # ru_maxrss in KiB on Linux
    # CPU seconds beside wall time: on a machine shared with other work they move far less.
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
            **json.loads(done.stdout.splitlines()[-1])}


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


def report(rows: int, page_size: int, csv_bytes: int, sides: dict[str, dict], rate_limit: str | None,
           repeat: int, memory_limit: str) -> dict:
    """The table of the three sides, each as a ratio against DuckDB's own time in the same run."""
    ours, duck, peer = sides["platform"], sides["duckdb"], sides.get("dlt")
    ratio = ours["wall_s"] / duck["wall_s"]
    lines = [
        f"Nomis-format CSV: {rows:,} rows, {csv_bytes / 1e6:,.0f} MB; {ours['pages']} pages of "
        f"{page_size:,} rows; Nomis rate limit: {rate_limit or 'the platform default'}; "
        f"DuckDB memory_limit: {memory_limit}; median of {repeat} run(s), peak memory the highest",
        "",
        f"{'':<34}{'wall s':>9}{'× DuckDB':>10}{'CPU s':>9}{'peak MB':>10}{'rows':>12}",
        f"{'fetch + load (platform)':<34}{ours['wall_s']:>9.2f}{ratio:>10.2f}{ours['cpu_s']:>9.2f}"
        f"{ours['peak_mb']:>10.0f}{ours['rows']:>12,}",
        f"{'  of which fetch (HTTP→archive)':<34}{ours['fetch_s']:>9.2f}",
        f"{'  of which load (archive→raw)':<34}{ours['load_s']:>9.2f}",
        f"{'DuckDB read_csv → table':<34}{duck['wall_s']:>9.2f}{1:>10.2f}{duck['cpu_s']:>9.2f}"
        f"{duck['peak_mb']:>10.0f}{duck['rows']:>12,}",
    ]
    if peer:
        lines += [
            f"{'dlt (Arrow → Parquet → DuckDB)':<34}{peer['wall_s']:>9.2f}"
            f"{peer['wall_s'] / duck['wall_s']:>10.2f}{peer['cpu_s']:>9.2f}{peer['peak_mb']:>10.0f}"
            f"{peer['rows']:>12,}",
            f"{'  of which HTTP':<34}{peer['fetch_s']:>9.2f}",
        ]
    lines += [
        "",
        f"ratio (platform / DuckDB wall time): {ratio:.2f}x  (target ≤ {TIME_TARGET}x: "
        f"{'met' if ratio <= TIME_TARGET else 'MISSED'})",
        f"peak memory: {ours['peak_mb']:.0f} MB  (target < {MEMORY_TARGET_MB} MB: "
        f"{'met' if ours['peak_mb'] < MEMORY_TARGET_MB else 'MISSED'})",
    ]
    if peer:
        lines.append(f"platform / dlt wall time: {ours['wall_s'] / peer['wall_s']:.2f}x  (target < 1: "
                     f"{'met' if ours['wall_s'] < peer['wall_s'] else 'MISSED'})")
    print("\n".join(lines))
    return {"when": datetime.now(UTC).isoformat(timespec="seconds"), "rows": rows, "page_size": page_size,
            "csv_bytes": csv_bytes, "rate_limit": rate_limit or "default", "memory_limit": memory_limit,
            "cpus": os.cpu_count(), **sides, "ratio": ratio,
            "ratio_dlt": peer["wall_s"] / duck["wall_s"] if peer else None,
            "time_target_met": ratio <= TIME_TARGET, "memory_target_met": ours["peak_mb"] < MEMORY_TARGET_MB,
            "ahead_of_dlt": ours["wall_s"] < peer["wall_s"] if peer else None,
            "table": lines}


def parser() -> argparse.ArgumentParser:
    """The options of this benchmark (also those of `bench/bench_all.py --fetch-*`)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows in the dataset (≥ 2,000,000 "
                        "for the issue's figures)")
    parser.add_argument("--page-size", type=int, default=25_000, help="rows per Nomis page (guest limit)")
    parser.add_argument("--rate-limit", default=None, metavar="CALLS/SECONDS",
                        help="client rate limit for the mirror, e.g. 1000/1 (default: the platform's "
                             "Nomis limit)")
    parser.add_argument("--memory-limit", default="default", metavar="SIZE",
                        help="DuckDB memory_limit for every side, e.g. 300MB (default: DuckDB's own)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; the median run is kept")
    parser.add_argument("--no-dlt", action="store_true", help="leave out the dlt peer")
    parser.add_argument("--out", type=Path, default=OUT)
    return parser


def child(argv: list[str]) -> dict:
    """One measured side, in this (child) process."""
    kind, *rest = argv
    if kind == "fetch-load":
        return child_fetch_load(rest[0], Path(rest[1]), rest[2], rest[3] if len(rest) > 3 else None)
    if kind == "dlt":
        return child_dlt(rest[0], Path(rest[1]), rest[2], int(rest[3]), int(rest[4]))
    return child_duckdb(Path(rest[0]), Path(rest[1]), rest[2])


def run(args: argparse.Namespace) -> dict:
    """Every side `args.repeat` times against one mirror; the figures, also written as JSON."""
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"generating {args.rows:,} rows …", flush=True)
    whole, pages = generate(args.rows, args.page_size, args.out / f"data-{args.rows}-{args.page_size}")
    os.sync()  # the generator's writes must not land on the measured runs
    server, base = serve_pages(pages, args.page_size)
    extra = [args.rate_limit] if args.rate_limit else []
    runs: dict[str, list[dict]] = {"duckdb": [], "platform": [], **({} if args.no_dlt else {"dlt": []})}
    try:
        for run_no in range(1, args.repeat + 1):
            with tempfile.TemporaryDirectory(dir=args.out) as tmp:
                print(f"run {run_no}/{args.repeat}: DuckDB baseline …", flush=True)
                runs["duckdb"].append(measure(["--child", "duckdb", str(whole), tmp, args.memory_limit]))
                print(f"run {run_no}/{args.repeat}: platform fetch + load …", flush=True)
                runs["platform"].append(
                    measure(["--child", "fetch-load", base, str(Path(tmp) / "home"), args.memory_limit,
                             *extra]))
                if "dlt" in runs:
                    print(f"run {run_no}/{args.repeat}: dlt …", flush=True)
                    runs["dlt"].append(measure(["--child", "dlt", base, str(Path(tmp) / "dlt"),
                                                args.memory_limit, str(args.rows), str(args.page_size)]))
    finally:
        server.shutdown()
        server.server_close()
    print()
    sides = {name: median_run(side) for name, side in runs.items()}
    result = report(args.rows, args.page_size, whole.stat().st_size, sides, args.rate_limit,
                    args.repeat, args.memory_limit)
    result["runs"] = runs
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (args.out / f"bench_fetch_load-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "bench_fetch_load-latest.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--meter"]:
        print(json.dumps(meter(argv[2:])))
        return
    if argv[:1] == ["--child"]:
        print(json.dumps(child(argv[1:])))
        return
    run(parser().parse_args(argv))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
