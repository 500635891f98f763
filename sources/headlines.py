"""A few headline figures per mart for the end-of-run summary, in the chosen language."""

from __future__ import annotations

import duckdb

from sources.i18n import _, language

# Each query returns the fields of one line; `{lang}` picks the English or Welsh label columns.
QUERIES = {
    "mart_performance_framework": """
        SELECT measure_id, measure_title_{lang}, period,
               coalesce(CAST(round(value, 1) AS VARCHAR), marker, '-'), unit_label_{lang}
        FROM marts.mart_performance_framework
        WHERE area_code = 'W92000004'
        QUALIFY period = max(period) OVER (PARTITION BY measure_id)
        ORDER BY CASE measure_id WHEN 'PAM/030' THEN 1
                 WHEN 'FIN/NRE_PER_HEAD' THEN 3 WHEN 'FIN/CTAX_BAND_D' THEN 4 ELSE 5 END, measure_id
        LIMIT 5""",
    "mart_wellbeing_indicators": """
        SELECT indicator_id, indicator_title_{lang}, period,
               coalesce(CAST(round(value, 1) AS VARCHAR), marker, '-'), unit_label_{lang}
        FROM marts.mart_wellbeing_indicators
        WHERE area_code = 'W92000004'
        QUALIFY period = max(period) OVER (PARTITION BY indicator_id)
        ORDER BY indicator_id LIMIT 4""",
    "mart_deprivation_profile": """
        SELECT wimd_edition, domain_name_{lang}, arg_max(area_name_{lang}, share_most_deprived_10pct),
               CAST(round(100 * max(share_most_deprived_10pct), 1) AS VARCHAR)
        FROM marts.mart_deprivation_profile WHERE area_code <> 'W92000004'
        GROUP BY wimd_edition, domain, domain_name_{lang} ORDER BY domain LIMIT 3""",
}


def _line(mart: str, row: tuple) -> str:
    if mart == "mart_deprivation_profile":
        edition, domain, area, share = row
        return _("WIMD {edition}, {domain}: most deprived 10% share highest in {area} ({share}%)").format(
            edition=edition, domain=domain, area=area, share=share)
    measure, title, period, value, unit = row
    return _("{measure} {title}, {period}: Wales {value} {unit}").format(
        measure=measure, title=title, period=period, value=value, unit=unit)


def headlines(con: duckdb.DuckDBPyConnection, mart: str, sample: bool) -> list[str]:
    """Row count and a few figures; a missing mart says so rather than failing the summary."""
    try:
        rows = con.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()[0]
        count = _("{rows} rows").format(rows=f"{rows:,}")
        lines = [count + (" " + _("(SAMPLE figures, not official statistics)") if sample else "")]
        lines += [_line(mart, r) for r in con.execute(QUERIES[mart].format(lang=language())).fetchall()]
    except duckdb.CatalogException:
        return [_("not built yet in this home")]
    except duckdb.Error as exc:
        return [_("not available: {error}").format(error=str(exc).splitlines()[0])]
    return lines
