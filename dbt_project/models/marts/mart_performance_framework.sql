-- The local-government performance framework benchmarked across the 22 councils: one row per
-- measure x area (councils and Wales) x period.
--
-- Benchmark rules:
--   rank      among councils with a value for the measure and period, 1 = best: highest value first
--             when higher is better, lowest first when lower is better, highest first for neutral
--             measures. Tied values share a rank and the next rank is skipped (RANK, not DENSE_RANK).
--             NULL for Wales and for councils without a value.
--   quartile  by rank position: ceil(4 x rank / councils_reporting), so 1 = best quarter; councils
--             sharing a rank share a quartile (22 councils: ranks 1-5, 6-11, 12-16, 17-22).
--   previous  the same measure and area in the period that ends the day before this one starts.
--   direction improved / declined against the previous period respecting polarity; unchanged when
--             the value is the same; not comparable when either value is missing, there is no
--             previous period, or the measure is neutral (neither higher nor lower is better).
with

measures as (
    select * from {{ ref('int_performance_measures_unioned') }}
),

definitions as (
    select * from {{ ref('dim_measure') }}
),

areas as (
    select * from {{ ref('dim_local_authority') }}
),

described as (
    select
        measures.*,
        definitions.title_en as measure_title_en,
        definitions.title_cy as measure_title_cy,
        definitions.unit,
        definitions.unit_label_en,
        definitions.unit_label_cy,
        definitions.polarity,
        areas.area_name_en,
        areas.area_name_cy,
        areas.area_type,
        areas.area_type = 'council' and measures.value is not null as is_ranked
    from measures
    inner join definitions on definitions.measure_id = measures.measure_id
    inner join areas on areas.area_code = measures.area_code
),

benchmarked as (
    select
        described.*,
        max(value) filter (where area_type = 'country')
            over (partition by measure_id, period) as wales_value,
        count(value) filter (where area_type = 'council')
            over (partition by measure_id, period) as councils_reporting,
        rank() over (partition by measure_id, period, is_ranked order by value desc) as rank_highest_first,
        rank() over (partition by measure_id, period, is_ranked order by value asc) as rank_lowest_first
    from described
),

ranked as (
    select
        benchmarked.*,
        case
            when not is_ranked then null
            when polarity = 'lower_is_better' then rank_lowest_first
            else rank_highest_first
        end as rank
    from benchmarked
),

compared as (
    select
        current_period.*,
        previous_period.period as previous_period,
        previous_period.value as previous_value,
        round(current_period.value - previous_period.value, 6) as change
    from ranked as current_period
    left join measures as previous_period
        on previous_period.measure_id = current_period.measure_id
        and previous_period.area_code = current_period.area_code
        and previous_period.period_type = current_period.period_type
        and previous_period.period_end_date = current_period.period_start_date - interval 1 day
)

select
    measure_id,
    measure_title_en,
    measure_title_cy,
    area_code,
    area_name_en,
    area_name_cy,
    area_type,
    period,
    period_start_date,
    period_end_date,
    period_type,
    value,
    unit,
    unit_label_en,
    unit_label_cy,
    marker,
    note_codes,
    polarity,
    wales_value,
    cast(rank as integer) as rank,
    cast(case when rank is not null then ceil(4.0 * rank / councils_reporting) end as integer) as quartile,
    cast(councils_reporting as integer) as councils_reporting,
    previous_period,
    previous_value,
    change,
    case
        when value is null or previous_value is null then 'not comparable'
        when change = 0 then 'unchanged'
        when polarity = 'higher_is_better' and change > 0 then 'improved'
        when polarity = 'higher_is_better' and change < 0 then 'declined'
        when polarity = 'lower_is_better' and change < 0 then 'improved'
        when polarity = 'lower_is_better' and change > 0 then 'declined'
        else 'not comparable'
    end as direction,
    source_dataset,
    source_archive_sha256
from compared
