{#-
    Working-day arithmetic on dim_date, which numbers working days consecutively
    (working_day_number: how many working days up to and including the day).
-#}

{#- The working_day_number of a date (null outside dim_date). The lookup is one uncorrelated
    subquery building a date -> number map, computed once per query: a correlated lookup per
    row made DuckDB join dim_date against every case and ran out of memory at full volume. -#}
{% macro working_day_number(day) -%}
    (
        select map_from_entries(list((wd_num.date_day, wd_num.working_day_number)))
        from {{ ref('dim_date') }} as wd_num
    )[{{ day }}]
{%- endmacro %}

{#- The date that is `days` working days after `start_date` (a date expression). -#}
{% macro add_working_days(start_date, days) -%}
    (
        select map_from_entries(list((wd_target.working_day_number, wd_target.date_day)))
        from {{ ref('dim_date') }} as wd_target
        where wd_target.is_working_day
    )[{{ working_day_number(start_date) }} + {{ days }}]
{%- endmacro %}

{#- Working days in (start_date, end_date]: 0 when both fall on the same day. -#}
{% macro working_days_between(start_date, end_date) -%}
    ({{ working_day_number(end_date) }} - {{ working_day_number(start_date) }})
{%- endmacro %}
