{#- The date that is `days` working days after `start_date` (a date expression), from dim_date's
    working_day_number (see working_day_number). -#}
{% macro add_working_days(start_date, days) -%}
    (
        select map_from_entries(list((wd_target.working_day_number, wd_target.date_day)))
        from {{ ref('dim_date') }} as wd_target
        where wd_target.is_working_day
    )[{{ working_day_number(start_date) }} + {{ days }}]
{%- endmacro %}
