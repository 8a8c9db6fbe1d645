{#- The date that is `days` working days after `start_date` (a date expression), from dim_date's
    working_day_number (see working_day_number for the map per engine). -#}
{% macro add_working_days(start_date, days) -%}
    {%- if adapter is not defined -%}
        {#- sqlfluff's templater has no adapter: lint the DuckDB SQL -#}
        {{ return(duckdb__add_working_days(start_date, days)) }}
    {%- endif -%}
    {{ return(adapter.dispatch('add_working_days', 'govdw')(start_date, days)) }}
{%- endmacro %}

{% macro duckdb__add_working_days(start_date, days) -%}
    (
        select map_from_entries(list((wd_target.working_day_number, wd_target.date_day)))
        from {{ ref('dim_date') }} as wd_target
        where wd_target.is_working_day
    )[{{ working_day_number(start_date) }} + {{ days }}]
{%- endmacro %}

{% macro postgres__add_working_days(start_date, days) -%}
    ((
        select jsonb_object_agg(wd_target.working_day_number, wd_target.date_day)
        from {{ ref('dim_date') }} as wd_target
        where wd_target.is_working_day
    ) ->> (({{ working_day_number(start_date) }} + {{ days }})::text))::date
{%- endmacro %}

{% macro spark__add_working_days(start_date, days) -%}
    try_element_at(
        (
            select map_from_entries(
                collect_list(struct(wd_target.working_day_number, wd_target.date_day))
            )
            from {{ ref('dim_date') }} as wd_target
            where wd_target.is_working_day
        ),
        {{ working_day_number(start_date) }} + {{ days }}
    )
{%- endmacro %}
