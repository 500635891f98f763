{#-
    StatsWales answers every request once per language. The raw table holds each cell twice
    (`_lang` = 'en-gb' / 'cy-gb') with the same codes and labels in that language. This macro
    writes the CTEs that put the two side by side, joined on the code columns (`keys`), turning
    each label column `x` into `x_en` and `x_cy`; `codes` are other language-independent columns
    that are not part of the key (a parent in a hierarchy, which may be NULL). It reads a CTE called `renamed` that has the
    keys, the labels, `value_published`, `note_codes_published` and the provenance columns, and
    defines a CTE called `paired`. Numbers and note codes come from the English file (the
    `languages_agree` source test checks the Welsh file says the same); the Welsh file's hash is
    kept as `_archive_sha256_cy`.
-#}
{% macro pair_languages(keys, labels, codes=[]) -%}
english as (
    select * from renamed where _lang = 'en-gb'
),

welsh as (
    select * from renamed where _lang = 'cy-gb'
),

paired as (
    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        {%- for code in codes %}
        coalesce(english.{{ code }}, welsh.{{ code }}) as {{ code }},
        {%- endfor %}
        {%- for label in labels %}
        english.{{ label }} as {{ label }}_en,
        welsh.{{ label }} as {{ label }}_cy,
        {%- endfor %}
        coalesce(english.value_published, welsh.value_published) as value_published,
        coalesce(english.note_codes_published, welsh.note_codes_published) as note_codes_published,
        coalesce(english._archive_sha256, welsh._archive_sha256) as _archive_sha256,
        welsh._archive_sha256 as _archive_sha256_cy,
        coalesce(english._source_url, welsh._source_url) as _source_url,
        coalesce(english._retrieved_at, welsh._retrieved_at) as _retrieved_at,
        coalesce(english._loaded_at, welsh._loaded_at) as _loaded_at,
        case when english._archive_sha256 is null then welsh._load_row
             else english._load_row end as _load_row,
        welsh._load_row as _load_row_cy
    from english
    full outer join welsh using ({{ keys | join(', ') }})
)
{%- endmacro %}
