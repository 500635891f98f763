-- National well-being indicators by area: one row per indicator x area (councils and Wales) x period,
-- with the indicator's goal, unit, the Wales figure and provenance.
with

indicators as (
    select * from {{ ref('int_wellbeing_indicators_unioned') }}
),

definitions as (
    select * from {{ ref('dim_measure') }}
),

areas as (
    select * from {{ ref('dim_local_authority') }}
),

described as (
    select
        indicators.*,
        definitions.title_en as indicator_title_en,
        definitions.title_cy as indicator_title_cy,
        definitions.goal_en,
        definitions.goal_cy,
        definitions.unit,
        definitions.unit_label_en,
        definitions.unit_label_cy,
        definitions.polarity,
        areas.area_name_en,
        areas.area_name_cy,
        areas.area_type
    from indicators
    inner join definitions on definitions.measure_id = indicators.indicator_id
    inner join areas on areas.area_code = indicators.area_code
)

select
    indicator_id,
    indicator_title_en,
    indicator_title_cy,
    goal_en,
    goal_cy,
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
    max(value) filter (where area_type = 'country') over (partition by indicator_id, period) as wales_value,
    source_dataset,
    source_archive_sha256
from described
