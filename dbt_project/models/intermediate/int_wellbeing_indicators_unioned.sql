-- Every national well-being indicator figure in one shape: one row per indicator x area x period.
--   NI 21  APS employment rate aged 16-64, January-December (measure Variable), per cent
--          (the request brings rolling 12-month periods a quarter apart; only the calendar years)
--   NI 17  (male - female) / male full-time median gross weekly pay x 100 (ASHE, residence), per cent
--   NI 15  municipal waste not reused, recycled or composted per person, kilograms
--   NI 34  households successfully prevented from becoming homeless ('Homelessness Prevented'), households
with

employment as (
    -- Nomis sends the APS as rolling 12-month periods a quarter apart ('Jan 2024-Dec 2024',
    -- 'Apr 2024-Mar 2025', ...; reference/wire-formats.md). NI 21 keeps the January-December ones
    -- (period_type calendar_year), as its definition in dim_measure says: one figure per year, the
    -- same periods every release, and no overlapping figures in one series (consecutive rolling
    -- years share nine months). The newer rolling years stay in staging for whoever needs them.
    select * from {{ ref('stg_nomis__aps_employment') }}
    where measure_type = 'variable'
      and period_type = 'calendar_year'
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
    -- The measure 'Homelessness Prevented' (statswales.gov.wales catalogue page) of the outcome at
    -- the root of the 'Successful cases' hierarchy, i.e. all successful cases. Both are matched on
    -- the publisher's English wording, since its reference codes are its own.
    select * from {{ ref('stg_statswales__homelessness_prevention') }}
    where measure_name_en = 'Homelessness Prevented'
      and outcome_parent_code is null
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
