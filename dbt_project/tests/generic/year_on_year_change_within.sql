{#- Year-on-year outliers: the relative change against the previous period stays within
    `max_relative_change` (e.g. 0.25 = 25%). Meant as a warning: a large change needs an analyst's
    confirmation before release, not a rejection. -#}
{% test year_on_year_change_within(model, max_relative_change, value_column='value',
                                   previous_column='previous_value') %}
    select *
    from {{ model }}
    where {{ value_column }} is not null
      and {{ previous_column }} is not null
      and {{ previous_column }} <> 0
      and abs({{ value_column }} - {{ previous_column }}) / abs({{ previous_column }})
          > {{ max_relative_change }}
{% endtest %}
