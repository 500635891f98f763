{#-
    Reference periods as published, normalised to four columns:

      <prefix>             label       '2023-24', '2023', 'Oct 2022-Sep 2023', '2024-01'
      <prefix>_start_date  DATE        first day of the period
      <prefix>_end_date    DATE        last day of the period
      <prefix>_type        VARCHAR     financial_year | calendar_year | rolling_year | quarter |
                                       month_range | month

    Recognised forms (padding and repeated spaces are ignored):
      * financial years '2023-24', '2023/24', '202324' (1 April to 31 March; the second part must be
        the year after the first, '1999-00' included); anything else that looks like one is left
        with NULL dates and type so the period tests fail loudly;
      * calendar years '2023';
      * month ranges 'Jan 2023-Dec 2023' (Nomis APS, whose periods are rolling 12 months a quarter
        apart): January to December of one year is the calendar year '2023', other 12-month spans
        are rolling years labelled by their months ('Apr 2023-Mar 2024', 1 April 2023 to 31 March
        2024);
      * months 'January 2024' or 'Jan 2024', labelled '2024-01'.

    The text is parsed once per row: each step binds its result to a name with a one-element list
    comprehension, and `unnest` spreads the final struct into the four columns. (Writing the parse
    out as repeated CASE expressions is much slower to plan in every query that reads the view.)
-#}

{% macro _month_number(name_sql) -%}
    nullif(list_position(
        ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
        lower(left({{ name_sql }}, 3))), 0)
{%- endmacro %}

{% macro period_columns(column, prefix='period') -%}
    {%- set fy_re = "'^([0-9]{4})[-/]?([0-9]{2})$'" -%}
    {%- set range_re = "'^([A-Za-z]+) ([0-9]{4}) ?- ?([A-Za-z]+) ([0-9]{4})$'" -%}
    {%- set month_re = "'^([A-Za-z]+) ([0-9]{4})$'" -%}
    unnest([
        {
            '{{ prefix }}': case
                when d.is_financial_year
                    then cast(d.fy_first as varchar) || '-' || lpad(cast(d.fy_second as varchar), 2, '0')
                when d.is_year then d.text
                when d.range_start is not null and d.range_months = 12 and month(d.range_start) = 1
                    then cast(year(d.range_start) as varchar)
                when d.range_start is not null
                    then strftime(d.range_start, '%b %Y') || '-' || strftime(d.range_end, '%b %Y')
                when d.month_start is not null then strftime(d.month_start, '%Y-%m')
                else d.text
            end,
            '{{ prefix }}_start_date': case
                when d.is_financial_year then make_date(d.fy_first, 4, 1)
                when d.is_year then make_date(cast(d.text as integer), 1, 1)
                when d.range_start is not null then d.range_start
                else d.month_start
            end,
            '{{ prefix }}_end_date': case
                when d.is_financial_year then make_date(d.fy_first + 1, 3, 31)
                when d.is_year then make_date(cast(d.text as integer), 12, 31)
                when d.range_start is not null then d.range_end
                else last_day(d.month_start)
            end,
            '{{ prefix }}_type': case
                when d.is_financial_year then 'financial_year'
                when d.is_year then 'calendar_year'
                when d.range_start is not null and d.range_months = 12 and month(d.range_start) = 1
                    then 'calendar_year'
                when d.range_start is not null and d.range_months = 12 then 'rolling_year'
                when d.range_start is not null and d.range_months = 3 then 'quarter'
                when d.range_start is not null then 'month_range'
                when d.month_start is not null then 'month'
            end
        }
        for d in [
            {
                'text': g.text,
                'is_financial_year': g.fy_first is not null and (g.fy_first + 1) % 100 = g.fy_second,
                'fy_first': g.fy_first,
                'fy_second': g.fy_second,
                'is_year': regexp_matches(g.text, '^[0-9]{4}$'),
                'range_start': g.range_start,
                'range_end': g.range_end,
                'range_months': datediff('month', g.range_start, g.range_end) + 1,
                'month_start': g.month_start
            }
            for g in [
                {
                    'text': p,
                    'fy_first': try_cast(regexp_extract(p, {{ fy_re }}, 1) as integer),
                    'fy_second': try_cast(regexp_extract(p, {{ fy_re }}, 2) as integer),
                    'range_start': make_date(
                        try_cast(regexp_extract(p, {{ range_re }}, 2) as integer),
                        {{ _month_number("regexp_extract(p, " ~ range_re ~ ", 1)") }}, 1),
                    'range_end': last_day(make_date(
                        try_cast(regexp_extract(p, {{ range_re }}, 4) as integer),
                        {{ _month_number("regexp_extract(p, " ~ range_re ~ ", 3)") }}, 1)),
                    'month_start': make_date(
                        try_cast(regexp_extract(p, {{ month_re }}, 2) as integer),
                        {{ _month_number("regexp_extract(p, " ~ month_re ~ ", 1)") }}, 1)
                }
                for p in [regexp_replace(trim(cast({{ column }} as varchar)), '\s+', ' ', 'g')]
            ]
        ]
    ][1])
{%- endmacro %}
