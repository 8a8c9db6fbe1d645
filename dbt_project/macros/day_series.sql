{#- A select-list item that yields one row per day from `first_day` to `last_day` (dates, both
    included): a set-returning expression, so it stands alone in its select list. -#}
{% macro day_series(first_day, last_day) -%}
    {%- if adapter is not defined -%}
        {#- sqlfluff's templater has no adapter: lint the DuckDB SQL -#}
        {{ return(duckdb__day_series(first_day, last_day)) }}
    {%- endif -%}
    {{ return(adapter.dispatch('day_series', 'govdw')(first_day, last_day)) }}
{%- endmacro %}

{% macro default__day_series(first_day, last_day) -%}
    generate_series({{ first_day }}, {{ last_day }}, interval '1 day')::date
{%- endmacro %}

{% macro duckdb__day_series(first_day, last_day) -%}
    unnest(generate_series({{ first_day }}, {{ last_day }}, interval 1 day))::date
{%- endmacro %}

{% macro spark__day_series(first_day, last_day) -%}
    explode(sequence({{ first_day }}, {{ last_day }}, interval 1 day))
{%- endmacro %}
