"""A few headline figures per mart for the end-of-run summary."""

from __future__ import annotations

import duckdb

QUERIES = {
    "mart_performance_framework": """
        SELECT measure_id || ' ' || measure_title_en || ', ' || period || ': Wales '
               || coalesce(CAST(round(value, 1) AS VARCHAR), marker, '-') || ' ' || unit
        FROM marts.mart_performance_framework
        WHERE area_code = 'W92000004'
        QUALIFY period = max(period) OVER (PARTITION BY measure_id)
        ORDER BY CASE measure_id WHEN 'PAM/030' THEN 1
                 WHEN 'FIN/NRE_PER_HEAD' THEN 3 WHEN 'FIN/CTAX_BAND_D' THEN 4 ELSE 5 END, measure_id
        LIMIT 5""",
    "mart_wellbeing_indicators": """
        SELECT indicator_id || ', ' || period || ': Wales '
               || coalesce(CAST(round(value, 1) AS VARCHAR), marker, '-') || ' ' || unit
        FROM marts.mart_wellbeing_indicators
        WHERE area_code = 'W92000004'
        QUALIFY period = max(period) OVER (PARTITION BY indicator_id)
        ORDER BY indicator_id LIMIT 4""",
    "mart_deprivation_profile": """
        SELECT 'WIMD ' || wimd_edition || ', ' || domain_name_en || ': most deprived 10% share highest in '
               || arg_max(area_name_en, share_most_deprived_10pct) || ' ('
               || CAST(round(100 * max(share_most_deprived_10pct), 1) AS VARCHAR) || '%)'
        FROM marts.mart_deprivation_profile WHERE area_code <> 'W92000004'
        GROUP BY wimd_edition, domain, domain_name_en ORDER BY domain LIMIT 3""",
}


def headlines(con: duckdb.DuckDBPyConnection, mart: str, sample: bool) -> list[str]:
    """Row count and a few figures; a missing mart says so rather than failing the summary."""
    try:
        rows = con.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()[0]
        lines = [f"{rows:,} rows" + (" (SAMPLE figures, not official statistics)" if sample else "")]
        lines += [r[0] for r in con.execute(QUERIES[mart]).fetchall() if r[0]]
    except duckdb.CatalogException:
        return ["not built yet in this home"]
    except duckdb.Error as exc:
        return [f"not available: {str(exc).splitlines()[0]}"]
    return lines
