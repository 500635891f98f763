{#- Every reference period parsed: label, start and end dates and a known period type are present,
    and the period does not end before it starts. -#}
{% test valid_period(model, prefix='period') %}
    select {{ prefix }}, {{ prefix }}_start_date, {{ prefix }}_end_date, {{ prefix }}_type
    from {{ model }}
    where {{ prefix }} is null
       or {{ prefix }}_start_date is null
       or {{ prefix }}_end_date is null
       or {{ prefix }}_end_date < {{ prefix }}_start_date
       or {{ prefix }}_type is null
       or {{ prefix }}_type not in ('financial_year', 'calendar_year', 'rolling_year', 'quarter',
                                    'month_range', 'month')
{% endtest %}
