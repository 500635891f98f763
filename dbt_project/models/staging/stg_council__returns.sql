-- Council returns as accepted by the intake: one row per council x measure x financial year,
-- typed, with the value split from its shorthand marker the same way as every published source.
with

source as (
    select * from {{ source('raw', 'council__returns') }}
),

renamed as (
    select
        {{ clean_code('period') }} as period_code,
        {{ gss_area_code('council_code') }} as area_code,
        {{ clean_code('measure_id') }} as measure_id,
        coalesce(nullif(trim(marker), ''), cast(value as varchar)) as value_published,
        numerator,
        denominator,
        nullif(trim(note), '') as note,
        submission_id,
        source_row,
        {{ provenance_columns(load_row=false) }}
    from source
)

select
    {{ period_columns('period_code') }},
    area_code,
    measure_id,
    {{ split_marker('value_published', 'council') }},
    numerator,
    denominator,
    note,
    submission_id,
    source_row,
    _archive_sha256,
    _source_url,
    _retrieved_at,
    _loaded_at
from renamed
