{#- Working days in (start_date, end_date]: 0 when both fall on the same day (from dim_date's
    working_day_number, see working_day_number). -#}
{% macro working_days_between(start_date, end_date) -%}
    ({{ working_day_number(end_date) }} - {{ working_day_number(start_date) }})
{%- endmacro %}
