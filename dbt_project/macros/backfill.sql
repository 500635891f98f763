{#-
    A raw table's rows plus the backfilled periods it does not hold (sources/backfill.py).

    `raw.<dataset>` is the publisher's current window; `raw_backfill.<dataset>` holds older periods
    a `datacymru backfill` fetched. Where both hold a period, the current window wins: it carries
    the publisher's latest revision. Both are dbt sources, so lineage (dbt's and Dagster's) shows
    both inputs. A home that never ran a backfill has no backfill table: then only the raw rows.
    `period_column` is the raw column naming each row's period (PERIOD_RANGES in
    sources/backfill.py; tests/dbt/test_backfill_sources.py holds the two together).
-#}
{% macro raw_with_backfill(table, period_column) -%}
    {%- set current = source('raw', table) -%}
    {%- set backfill = source('raw_backfill', table) -%}
    {#- In a unit test `source()` is a fixture with no schema: the raw rows given are the input. -#}
    {%- set loaded = adapter.get_relation(database=backfill.database, schema=backfill.schema,
                                          identifier=backfill.identifier)
                     if execute and backfill.schema is not none else none -%}
    select * from {{ current }}
    {%- if loaded is not none %}
    union all by name
    select * from {{ backfill }} as backfilled
    where not exists (
        select 1 from {{ current }} as current_window
        where current_window.{{ period_column }} = backfilled.{{ period_column }}
    )
    {%- endif %}
{%- endmacro %}
