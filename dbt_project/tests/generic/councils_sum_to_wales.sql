{#- Consistency: for an additive figure, the 22 councils add up to the Wales figure, within a relative
    tolerance for rounding in the published figures. Groups where any council lacks a value are not
    judged (the Wales total then includes figures that are suppressed at council level). -#}
{% test councils_sum_to_wales(model, group_by, value_column='value', area_column='area_code',
                              relative_tolerance=0.001, where_clause='true') %}
    with scoped as (
        select * from {{ model }} where {{ where_clause }}
    ),

    totals as (
        select
            {{ group_by | join(', ') }},
            sum({{ value_column }}) filter (where {{ area_column }} <> 'W92000004') as councils_total,
            count({{ value_column }}) filter (where {{ area_column }} <> 'W92000004') as councils_with_value,
            max({{ value_column }}) filter (where {{ area_column }} = 'W92000004') as wales_value
        from scoped
        group by {{ group_by | join(', ') }}
    )

    select *
    from totals
    where councils_with_value = (
            select count(*) from {{ ref('dim_local_authority') }} where area_type = 'council')
      and (wales_value is null
           or abs(councils_total - wales_value) > {{ relative_tolerance }} * greatest(abs(wales_value), 1))
{% endtest %}
