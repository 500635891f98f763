{#- Consistency: for an additive figure, the 22 councils add up to the Wales figure, within the
    relative tolerance for rounding in the published figures that the gate registry gives
    (`councils_sum_to_wales.relative_tolerance`). Groups where any council lacks a value are not
    judged (the Wales total then includes figures that are suppressed at council level).

    The gate is counted over groups: the test returns every group it judged, with `gate_failed`
    true for a total that does not match or a missing Wales figure, and only those count as
    failures.

    `rounded: false` says the figures are exact counts (not published rounded), so they must add
    up exactly: the rounding tolerance has nothing to absorb. -#}
{% test councils_sum_to_wales(model, group_by, value_column='value', area_column='area_code',
                              where_clause='true', rounded=true) %}
    {{ config(fail_calc="count(*) filter (where gate_failed)") }}
    {%- set relative_tolerance = gate_threshold('councils_sum_to_wales', 'relative_tolerance')
                                 if rounded else 0 %}
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

    select
        *,
        wales_value is null
            or abs(councils_total - wales_value) > {{ relative_tolerance }} * greatest(abs(wales_value), 1)
            as gate_failed
    from totals
    where councils_with_value = (
            select count(*) from {{ ref('dim_local_authority') }} where area_type = 'council')
{% endtest %}
