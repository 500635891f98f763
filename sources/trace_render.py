"""A trace as text a person reads top to bottom: published figure first, archived bytes last."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sources.trace import Trace

# Columns worth showing for a model row; provenance is shown once, on the raw rows.
SHOWN = ("measure_id", "indicator_id", "rate_code", "measure", "measure_name_en", "area_code",
         "period", "financial_year", "population_year", "sex", "age_group", "value", "marker",
         "note_codes", "numerator", "denominator", "numerator_value", "numerator_unit",
         "population", "value_per_person", "wales_value", "rank", "quartile", "direction",
         "previous_value", "population_all_ages", "population_aged_16_64", "source_dataset",
         "submission_id", "source_row", "_load_row", "_load_row_cy")


def _brief(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in SHOWN if k in row and row[k] is not None)


def command(measure: str, area: str, period: str, release_id: str | None = None) -> str:
    """The `datacymru trace` command for a figure (as the benchmarking pages print it)."""
    release = f" --release {release_id}" if release_id else ""
    return f"datacymru trace{release} --measure '{measure}' --area {area} --period {period}"


def render(trace: Trace) -> str:
    f = trace.figure
    lines = [f"Trace of {f.measure} for {f.area} in {f.period} ({trace.mart})"]
    if trace.release:
        r = trace.release
        lines += ["", f"1. Release {r['release_id']} ({r.get('status_label_en')})",
                  f"   {r['row']['csv']} row {r['row']['csv_row']}: value {r['row'].get('value')!r}"]
        if r.get("warehouse_differs"):
            lines.append(f"   NOTE: {r['warehouse_differs']}")
        lines.append(f"   {len(trace.checks)} check execution(s) it relied on:")
        lines += [f"   - {c['check_name']} [{c.get('principle')}, {c['severity']}] {c['outcome']}"
                  f" at {c['checked_at']}" for c in trace.checks]
    lines += ["", f"2. Mart row marts.{trace.mart}: {_brief(trace.mart_row)}"]
    if trace.wales_row:
        lines.append(f"   Wales ({trace.wales_row['area_code']}): value={trace.wales_row.get('value')}")
    lines += ["", "3. dbt models on the path (from the manifest's depends_on):"]
    for step in trace.models:
        lines.append(f"   {step.model} [{step.layer}] <- {', '.join(step.depends_on)}")
        lines += [f"     {_brief(row)}" for row in step.rows]
    lines += ["", "4. Raw rows and the archived bytes (re-read and re-hashed now):"]
    for link in trace.raw:
        lines.append(f"   raw.{link.table} {link.position}" + (f" [{link.lang}]" if link.lang else "")
                     + (f" page {link.page}" if link.page is not None else ""))
        if link.submission:
            s = link.submission
            lines.append(f"     submission {s['submission_id']} from {s['council_code']} "
                         f"({s.get('original_name') or s['file_name']}, {s['status']})")
        lines += [f"     file {link.archive_file}",
                  f"     sha256 recorded {link.archive_sha256}",
                  f"     sha256 now      {link.sha256_now}",
                  f"     source {link.source_url}, retrieved {link.retrieved_at}",
                  f"     record {link.record}",
                  f"     {'PROVED' if link.proved else 'NOT PROVED: ' + '; '.join(link.problems)}"]
    if trace.history:
        lines += ["", "5. In every release of the mart:"]
        lines += [f"   {h['release_id']}: {h['value']}{' ' + h['marker'] if h['marker'] else ''}"
                  f" ({h['change']})" for h in trace.history]
    lines += ["", "Trace whole: every link found and proved." if trace.whole else
              "Trace NOT whole:\n" + "\n".join(f"  - {m}" for m in trace.missing)]
    return "\n".join(lines)


def release_hint(release_dir: Path, mart: str, release_id: str) -> str | None:
    """Markdown for a release's Dagster metadata: how to trace its figures, with its first one."""
    from sources.site import read_release

    read = read_release(release_dir / f"{mart}.csv")
    if read is None:
        return None
    _, rows = read
    first = next((r for r in rows if r["value"] is not None), rows[0])
    return (f"Every figure of this release traces back to the archived bytes it came from: "
            f"`datacymru trace --release {release_id} --row N` (N = row of `{mart}.csv`), or e.g.\n\n"
            f"```\n{command(first['measure'], first['area_code'], first['period'], release_id)}\n```")
