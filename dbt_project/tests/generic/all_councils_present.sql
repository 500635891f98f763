{#- Completeness: every group (e.g. measure x period) has a row for each of the 22 councils in
    `dim_local_authority` (and for Wales unless `include_wales=false`), and each such row carries
    either a value or a marker saying why not. Fails with one row per missing (group, area). -#}
{% test all_councils_present(model, group_by, area_column='area_code', value_column='value',
                             marker_column='marker', include_wales=true) %}
    with groups as (
        select distinct {{ group_by | join(', ') }}
        from {{ model }}
    ),

    areas as (
        select area_code, area_name_en
        from {{ ref('dim_local_authority') }}
        {% if not include_wales %}where area_type = 'council'{% endif %}
    ),

    explained as (
        select {{ group_by | join(', ') }}, {{ area_column }} as area_code
        from {{ model }}
        where {{ value_column }} is not null
        {% if marker_column %}or {{ marker_column }} is not null{% endif %}
    )

    select
        {% for column in group_by %}groups.{{ column }}, {% endfor %}
        areas.area_code,
        areas.area_name_en,
        'no row with a value or a marker' as problem
    from groups
    cross join areas
    where not exists (
        select 1
        from explained
        where explained.area_code = areas.area_code
          {% for column in group_by %}and explained.{{ column }} = groups.{{ column }}
          {% endfor %}
    )
{% endtest %}
