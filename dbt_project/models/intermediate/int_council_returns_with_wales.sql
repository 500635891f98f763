-- Council-submitted measures for the 22 councils plus a Wales figure computed from their
-- numerators and denominators (sum of numerators / sum of denominators, x100 for percentages),
-- only when every council reported both; otherwise Wales is [x] (not available).
with

returns as (
    select * from {{ ref('stg_council__returns') }}
),

definitions as (
    select measure_id, unit from {{ ref('dim_measure') }}
),

wales as (
    select
        returns.measure_id,
        'W92000004' as area_code,
        returns.period,
        any_value(returns.period_start_date) as period_start_date,
        any_value(returns.period_end_date) as period_end_date,
        any_value(returns.period_type) as period_type,
        case
            when count(distinct returns.area_code) = 22
                and count(returns.numerator) = 22 and count(returns.denominator) = 22
                and sum(returns.denominator) > 0
            then round(sum(returns.numerator) / sum(returns.denominator)
                       * case when any_value(definitions.unit) = 'percent' then 100 else 1 end, 1)
        end as value,
        -- The Wales figure comes from every council's file: all their hashes, sorted.
        string_agg(distinct returns._archive_sha256, ',' order by returns._archive_sha256)
            as source_archive_sha256
    from returns
    inner join definitions using (measure_id)
    group by returns.measure_id, returns.period
)

select
    measure_id, area_code, period, period_start_date, period_end_date, period_type,
    value, marker, note_codes, 'council__returns' as source_dataset,
    _archive_sha256 as source_archive_sha256
from returns

union all

select
    measure_id, area_code, period, period_start_date, period_end_date, period_type,
    value, case when value is null then '[x]' end as marker, null as note_codes,
    'council__returns' as source_dataset, source_archive_sha256
from wales
