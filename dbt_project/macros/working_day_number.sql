{#- The working_day_number of a date (null outside dim_date). dim_date numbers working days
    consecutively (working_day_number: how many working days up to and including the day).
    The lookup is one uncorrelated subquery building a date -> number map, computed once per
    query: a correlated lookup per row made DuckDB join dim_date against every case and ran out
    of memory at full volume. PostgreSQL has no map type: a jsonb object keyed by the ISO date
    (its keys are binary-searched); Spark's map lookup is try_element_at (null when absent). -#}
{% macro working_day_number(day) -%}
    {%- if adapter is not defined -%}
        {#- sqlfluff's templater has no adapter: lint the DuckDB SQL -#}
        {{ return(duckdb__working_day_number(day)) }}
    {%- endif -%}
    {{ return(adapter.dispatch('working_day_number', 'govdw')(day)) }}
{%- endmacro %}

{% macro duckdb__working_day_number(day) -%}
    (
        select map_from_entries(list((wd_num.date_day, wd_num.working_day_number)))
        from {{ ref('dim_date') }} as wd_num
    )[{{ day }}]
{%- endmacro %}

{% macro postgres__working_day_number(day) -%}
    ((
        select jsonb_object_agg(wd_num.date_day, wd_num.working_day_number)
        from {{ ref('dim_date') }} as wd_num
    ) ->> (({{ day }})::date::text))::integer
{%- endmacro %}

{% macro spark__working_day_number(day) -%}
    try_element_at(
        (
            select map_from_entries(
                collect_list(struct(wd_num.date_day, wd_num.working_day_number))
            )
            from {{ ref('dim_date') }} as wd_num
        ),
        {{ day }}
    )
{%- endmacro %}
