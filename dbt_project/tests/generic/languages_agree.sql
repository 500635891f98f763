{#- A bilingual raw table (one row per language) holds the same cells in English and in Welsh, with
    the same figures and notes. Keys and figures are compared after trimming; numbers numerically,
    so '652' and '652.0' agree. -#}
{% test languages_agree(model, key_columns, compare_columns) %}
    with english as (
        select * from {{ model }} where _lang = 'en-gb'
    ),

    welsh as (
        select * from {{ model }} where _lang = 'cy-gb'
    )

    select
        {% for key in key_columns %}coalesce(trim(english.{{ key }}), trim(welsh.{{ key }})) as {{ key }},
        {% endfor %}
        case
            when english._lang is null then 'cell missing from the English download'
            when welsh._lang is null then 'cell missing from the Welsh download'
            else 'English and Welsh figures or notes differ'
        end as problem
    from english
    full outer join welsh
        on {% for key in key_columns %}trim(english.{{ key }}) = trim(welsh.{{ key }}){% if not loop.last %}
       and {% endif %}{% endfor %}
    where english._lang is null
       or welsh._lang is null
       {% for column in compare_columns %}
       {%- set en = published_cell('english.' ~ column) -%}
       {%- set cy = published_cell('welsh.' ~ column) %}
       or {{ cell_number(en) }} is distinct from {{ cell_number(cy) }}
       or ({{ cell_token(en) }}) is distinct from ({{ cell_token(cy) }})
       {%- endfor %}
{% endtest %}
