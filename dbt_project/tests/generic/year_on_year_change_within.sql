{#- Year-on-year outliers: the change against the previous period stays within the gate registry's
    thresholds (`year_on_year_outliers`): for a percentage (a `unit_column` value in
    `percentage_units`), `percentage_points` percentage points; for any other unit, a relative
    change of `relative_change` (e.g. 0.5 = 50%) of a non-zero previous value. Meant as a warning: a
    large change needs an analyst's confirmation before release, not a rejection. -#}
{% test year_on_year_change_within(model, value_column='value', previous_column='previous_value',
                                   unit_column='unit',
                                   percentage_units=['percent', 'percent_difference']) %}
    {%- set percentage_points = gate_threshold('year_on_year_outliers', 'percentage_points') -%}
    {%- set relative_change = gate_threshold('year_on_year_outliers', 'relative_change') %}
    select *
    from {{ model }}
    where {{ value_column }} is not null
      and {{ previous_column }} is not null
      and case
          when {{ unit_column }} in ('{{ percentage_units | join("', '") }}')
              then abs({{ value_column }} - {{ previous_column }}) > {{ percentage_points }}
          else {{ previous_column }} <> 0
              and abs({{ value_column }} - {{ previous_column }}) / abs({{ previous_column }})
                  > {{ relative_change }}
      end
{% endtest %}
