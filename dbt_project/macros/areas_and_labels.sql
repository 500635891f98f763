{#- A geography code as a GSS code: codes are trimmed and upper-cased, and the internal
    StatsWales codes of the old cubes (512 ... 552, 596 for Wales) are translated through
    `dim_local_authority`. Anything else is passed through for the `code_in_dimension` tests to judge. -#}
{% macro gss_area_code(column) -%}
    coalesce(
        (
            -- the code is bound in a FROM-less subquery first, so a column of the same name in
            -- dim_local_authority (area_code) cannot capture the reference
            select authority.area_code
            from (select nullif(upper(trim(cast({{ column }} as varchar))), '') as code) as published
            inner join {{ ref('dim_local_authority') }} as authority
                on authority.statswales_legacy_code = published.code
        ),
        nullif(upper(trim(cast({{ column }} as varchar))), '')
    )
{%- endmacro %}

{#- A published label: trimmed, inner runs of spaces collapsed, Unicode NFC (Welsh circumflexes can
    arrive as combining characters), NULL when empty. -#}
{% macro clean_label(column) -%}
    nullif(nfc_normalize(regexp_replace(trim(cast({{ column }} as varchar)), '\s+', ' ', 'g')), '')
{%- endmacro %}

{#- A code column: trimmed, NULL when empty. -#}
{% macro clean_code(column) -%}
    nullif(trim(cast({{ column }} as varchar)), '')
{%- endmacro %}

{#- A label turned into a stable lower-case code: 'Aged 16 - 64' -> 'aged_16_64'. -#}
{% macro slug(column) -%}
    nullif(trim(regexp_replace(lower(trim(cast({{ column }} as varchar))), '[^a-z0-9]+', '_', 'g'), '_'), '')
{%- endmacro %}

{#- The four provenance columns of a raw table, as text. The loader stores the per-file URL and
    hash as ENUMs (one value per archived file, not per row); staging hands them on as VARCHAR. -#}
{#- `load_row=false` for raw tables that number their rows otherwise (council returns keep the
    sheet row as `source_row`). -#}
{% macro provenance_columns(load_row=true) -%}
        cast(_archive_sha256 as varchar) as _archive_sha256,
        cast(_source_url as varchar) as _source_url,
        _retrieved_at,
        _loaded_at
        {%- if load_row %},
        _load_row
        {%- endif %}
{%- endmacro %}
