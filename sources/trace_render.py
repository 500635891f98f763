"""A trace as text a person reads top to bottom: published figure first, archived bytes last."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sources.i18n import N_, _, both, language, ngettext
from sources.report import OUTCOME_LABELS, SEVERITY_LABELS
from sources.returns.commands import SUBMISSION_STATUS
from sources.trace import Trace

# Columns worth showing for a model row; provenance is shown once, on the raw rows.
SHOWN = ("measure_id", "indicator_id", "rate_code", "measure", "measure_name_en", "area_code",
         "period", "financial_year", "population_year", "sex", "age_group", "value", "marker",
         "note_codes", "numerator", "denominator", "numerator_value", "numerator_unit",
         "population", "value_per_person", "wales_value", "rank", "quartile", "direction",
         "previous_value", "population_all_ages", "population_aged_16_64", "source_dataset",
         "submission_id", "source_row", "_load_row", "_load_row_cy")


# How a figure changed from one release to the next (`change` in `release_history`).
CHANGES = {"first published": N_("first published"), "revised": N_("revised"),
           "unchanged": N_("unchanged")}


def _brief(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in SHOWN if k in row and row[k] is not None)


def command(measure: str, area: str, period: str, release_id: str | None = None) -> str:
    """The `datacymru trace` command for a figure (as the benchmarking pages print it)."""
    release = f" --release {release_id}" if release_id else ""
    return f"datacymru trace{release} --measure '{measure}' --area {area} --period {period}"


def _in_language(pair: tuple[str, str]) -> str:
    return pair[language() == "cy"]


def render(trace: Trace) -> str:
    f = trace.figure
    lines = [_("Trace of {measure} for {area} in {period} ({mart})").format(
        measure=f.measure, area=f.area, period=f.period, mart=trace.mart)]
    if trace.release:
        r = trace.release
        lines += ["", _("1. Release {release_id} ({status})").format(
                      release_id=r["release_id"], status=_(r.get("status_label_en") or "")),
                  "   " + _("{csv} row {row}: value {value}").format(
                      csv=r["row"]["csv"], row=r["row"]["csv_row"], value=repr(r["row"].get("value")))]
        if r.get("warehouse_differs_en"):
            lines.append("   " + _("NOTE: {note}").format(
                note=_in_language((r["warehouse_differs_en"], r["warehouse_differs_cy"]))))
        lines.append("   " + ngettext("{count} check execution it relied on:",
                                      "{count} check executions it relied on:",
                                      len(trace.checks)).format(count=len(trace.checks)))
        lines += ["   " + _("- {check} [{principle}, {severity}] {outcome} at {when}").format(
                      check=c["check_name"], principle=c.get("principle"),
                      severity=_(SEVERITY_LABELS.get(c["severity"], c["severity"])),
                      outcome=_(OUTCOME_LABELS.get(c["outcome"], c["outcome"])), when=c["checked_at"])
                  for c in trace.checks]
    lines += ["", _("2. Mart row marts.{mart}: {row}").format(mart=trace.mart,
                                                             row=_brief(trace.mart_row))]
    if trace.wales_row:
        lines.append("   " + _("Wales ({area}): value={value}").format(
            area=trace.wales_row["area_code"], value=trace.wales_row.get("value")))
    lines += ["", _("3. dbt models on the path (from the manifest's depends_on):")]
    for step in trace.models:
        lines.append(f"   {step.model} [{step.layer}] <- {', '.join(step.depends_on)}")
        lines += [f"     {_brief(row)}" for row in step.rows]
    lines += ["", _("4. Raw rows and the archived bytes (re-read and re-hashed now):")]
    for link in trace.raw:
        lines.append(f"   {link.schema}.{link.table} {link.position}"
                     + (f" [{link.lang}]" if link.lang else "")
                     + (" " + _("page {page}").format(page=link.page) if link.page is not None else ""))
        if link.submission:
            s = link.submission
            lines.append("     " + _("submission {submission} from {council} ({file}, {status})").format(
                submission=s["submission_id"], council=s["council_code"],
                file=s.get("original_name") or s["file_name"],
                status=_(SUBMISSION_STATUS.get(s["status"], s["status"]))))
        lines += ["     " + _("file {path}").format(path=link.archive_file),
                  "     " + _("sha256 recorded {sha}").format(sha=link.archive_sha256),
                  "     " + _("sha256 now      {sha}").format(sha=link.sha256_now),
                  "     " + _("source {url}, retrieved {when}").format(url=link.source_url,
                                                                     when=link.retrieved_at),
                  "     " + _("record {record}").format(record=link.record),
                  "     " + (_("PROVED") if link.proved else _("NOT PROVED: {problems}").format(
                      problems="; ".join(_in_language(p) for p in link.problems)))]
    if trace.history:
        lines += ["", _("5. In every release of the mart:")]
        lines += [f"   {h['release_id']}: {h['value']}{' ' + h['marker'] if h['marker'] else ''}"
                  f" ({_(CHANGES.get(h['change'], h['change']))})" for h in trace.history]
    lines += ["", _("Trace whole: every link found and proved.") if trace.whole else
              _("Trace NOT whole:") + "\n" + "\n".join(f"  - {_in_language(m)}" for m in trace.missing)]
    return "\n".join(lines)


def release_hint(release_dir: Path, mart: str, release_id: str) -> str | None:
    """Markdown for a release's Dagster metadata: how to trace its figures, with its first one."""
    from sources.site import read_release

    read = read_release(release_dir / f"{mart}.csv")
    if read is None:
        return None
    _, rows = read
    first = next((r for r in rows if r["value"] is not None), rows[0])
    en, cy = both("Every figure of this release traces back to the archived bytes it came from: "
                  "`datacymru trace --release {release_id} --row N` (N = row of `{csv}`), or e.g.",
                  release_id=release_id, csv=f"{mart}.csv")
    # Dagster's metadata is read by English and Welsh speakers alike, as its descriptions are.
    return (f"{en}\n\nCymraeg: {cy}\n\n"
            f"```\n{command(first['measure'], first['area_code'], first['period'], release_id)}\n```")
