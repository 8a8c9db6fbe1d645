{#-
    Working-day arithmetic on dim_date, which numbers working days consecutively
    (working_day_number: how many working days up to and including the day).
-#}

{#- The date that is `days` working days after `start_date` (a date expression). -#}
{% macro add_working_days(start_date, days) -%}
    (
        select min(wd_target.date_day)
        from {{ ref('dim_date') }} as wd_target
        where
            wd_target.is_working_day
            and wd_target.working_day_number = (
                select wd_start.working_day_number
                from {{ ref('dim_date') }} as wd_start
                where wd_start.date_day = {{ start_date }}
            ) + {{ days }}
    )
{%- endmacro %}

{#- Working days in (start_date, end_date]: 0 when both fall on the same day. -#}
{% macro working_days_between(start_date, end_date) -%}
    (
        (
            select wd_end.working_day_number
            from {{ ref('dim_date') }} as wd_end
            where wd_end.date_day = {{ end_date }}
        )
        - (
            select wd_begin.working_day_number
            from {{ ref('dim_date') }} as wd_begin
            where wd_begin.date_day = {{ start_date }}
        )
    )
{%- endmacro %}

{#- A rate: numerator / denominator, null when the denominator is 0 or null. -#}
{% macro safe_rate(numerator, denominator) -%}
    ({{ numerator }})::double / nullif({{ denominator }}, 0)
{%- endmacro %}
