-- Per-person and per-1,000 rates for financial-year figures: one row per rate x area x year, with
-- the numerator, the population used and (where the publisher also gives one) the published rate
-- for cross-checking. The denominator is the all-ages mid-year population of the year in which the
-- financial year starts.
--   waste_not_recycled       municipal waste collected minus reused/recycled/composted,
--                            tonnes; rate in kilograms per person
--   net_revenue_expenditure  net revenue expenditure on all services, £ thousand; rate in £ per
--                            person, published rate = StatsWales £ per head
with

waste as (
    select * from {{ ref('stg_statswales__municipal_waste') }}
),

outturn as (
    select * from {{ ref('stg_statswales__revenue_outturn') }}
    where is_all_services
),

denominators as (
    select * from {{ ref('int_population_denominators') }}
),

waste_not_recycled as (
    select
        'waste_not_recycled' as rate_code,
        collected.area_code,
        collected.period,
        collected.period_start_date,
        collected.period_end_date,
        collected.period_type,
        collected.value - recycled.value as numerator_value,
        'tonnes' as numerator_unit,
        1000.0 as numerator_multiplier,
        'kg_per_person' as rate_unit,
        cast(null as double) as published_value_per_person,
        {{ derived_marker(['collected', 'recycled'], 'collected.value - recycled.value') }}
            as numerator_marker,
        {{ merged_note_codes(['collected.note_codes', 'recycled.note_codes']) }}
            as numerator_note_codes,
        'statswales__municipal_waste' as source_dataset,
        collected._archive_sha256 as source_archive_sha256
    from waste as collected
    inner join waste as recycled
        on recycled.area_code = collected.area_code
        and recycled.period = collected.period
        and recycled.measure = 'reused_recycled_composted_tonnes'
    where collected.measure = 'collected_tonnes'
),

net_revenue_expenditure as (
    select
        'net_revenue_expenditure' as rate_code,
        thousands.area_code,
        thousands.period,
        thousands.period_start_date,
        thousands.period_end_date,
        thousands.period_type,
        thousands.value as numerator_value,
        'gbp_thousand' as numerator_unit,
        1000.0 as numerator_multiplier,
        'gbp_per_person' as rate_unit,
        per_head.value as published_value_per_person,
        thousands.marker as numerator_marker,
        thousands.note_codes as numerator_note_codes,
        'statswales__revenue_outturn' as source_dataset,
        thousands._archive_sha256 as source_archive_sha256
    from outturn as thousands
    left join outturn as per_head
        on per_head.area_code = thousands.area_code
        and per_head.period = thousands.period
        and per_head.measure = 'gbp_per_head'
    where thousands.measure = 'gbp_thousand'
),

numerators as (
    select * from waste_not_recycled
    union all
    select * from net_revenue_expenditure
),

rated as (
    select
        numerators.*,
        denominators.population_year,
        denominators.population_all_ages as population,
        numerators.numerator_value * numerators.numerator_multiplier
            / nullif(denominators.population_all_ages, 0) as value_per_person,
        denominators.note_codes as population_note_codes,
        denominators.source_archive_sha256 as population_archive_sha256
    from numerators
    left join denominators
        on denominators.area_code = numerators.area_code
        and denominators.financial_year = numerators.period
)

select
    rate_code,
    area_code,
    period,
    period_start_date,
    period_end_date,
    period_type,
    numerator_value,
    numerator_unit,
    population,
    population_year,
    rate_unit,
    value_per_person,
    value_per_person * 1000 as value_per_1000,
    published_value_per_person,
    case
        when value_per_person is null then coalesce(numerator_marker, '[x]')
    end as marker,
    {{ merged_note_codes(['numerator_note_codes', 'population_note_codes']) }} as note_codes,
    source_dataset,
    source_archive_sha256,
    population_archive_sha256
from rated
