{#- ISO day of the week of a date: 1 = Monday .. 7 = Sunday. -#}
{% macro iso_day_of_week(day) -%}
    {%- if adapter is not defined -%}
        {#- sqlfluff's templater has no adapter: lint the DuckDB SQL -#}
        {{ return(duckdb__iso_day_of_week(day)) }}
    {%- endif -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'govdw')(day)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(day) -%}
    extract(isodow from {{ day }})
{%- endmacro %}

{% macro duckdb__iso_day_of_week(day) -%}
    isodow({{ day }})
{%- endmacro %}

{% macro spark__iso_day_of_week(day) -%}
    (weekday({{ day }}) + 1)
{%- endmacro %}
