-- Every national well-being indicator figure in one shape: one row per indicator x area x period.
--   NI 21  APS employment rate aged 16-64, January-December (measure Variable), per cent
--   NI 17  (male - female) / male full-time median gross weekly pay x 100 (ASHE, residence), per cent
--   NI 15  municipal waste not reused, recycled or composted per person, kilograms
--   NI 34  households successfully prevented from becoming homeless (measure PRV), households
with

employment as (
    select * from {{ ref('stg_nomis__aps_employment') }}
    where measure_type = 'variable'
),

pay as (
    select * from {{ ref('stg_nomis__ashe_pay') }}
    where measure_type = 'value'
      and working_pattern = 'full_time'
      and statistic = 'median'
      and pay_measure = 'weekly_pay_gross'
),

per_capita as (
    select * from {{ ref('int_per_capita_rates') }}
    where rate_code = 'waste_not_recycled'
),

homelessness as (
    select * from {{ ref('stg_statswales__homelessness_prevention') }}
    where measure_code = 'PRV'
),

employment_rate as (
    select
        'NI 21' as indicator_id, area_code, period, period_start_date, period_end_date, period_type,
        value, marker, note_codes,
        'nomis__aps_employment' as source_dataset, _archive_sha256 as source_archive_sha256
    from employment
),

gender_pay_difference as (
    select
        'NI 17' as indicator_id,
        male.area_code,
        male.period,
        male.period_start_date,
        male.period_end_date,
        male.period_type,
        round((male.value - female.value) / nullif(male.value, 0) * 100, 1) as value,
        {{ derived_marker(['male', 'female'],
                          '((male.value - female.value) / nullif(male.value, 0))') }} as marker,
        {{ merged_note_codes(['male.note_codes', 'female.note_codes']) }} as note_codes,
        'nomis__ashe_pay' as source_dataset,
        male._archive_sha256 as source_archive_sha256
    from pay as male
    inner join pay as female
        on female.area_code = male.area_code
        and female.period = male.period
        and female.sex = 'female'
    where male.sex = 'male'
),

waste_not_recycled as (
    select
        'NI 15' as indicator_id, area_code, period, period_start_date, period_end_date, period_type,
        round(value_per_person, 1) as value, marker, note_codes,
        source_dataset, source_archive_sha256
    from per_capita
),

homelessness_prevented as (
    select
        'NI 34' as indicator_id, area_code, period, period_start_date, period_end_date, period_type,
        value, marker, note_codes,
        'statswales__homelessness_prevention' as source_dataset, _archive_sha256 as source_archive_sha256
    from homelessness
)

select * from employment_rate
union all
select * from gender_pay_difference
union all
select * from waste_not_recycled
union all
select * from homelessness_prevented
