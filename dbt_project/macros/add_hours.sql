{#- The timestamp `hours` (a whole number) hours after `timestamp` (no time zone: wall clock). -#}
{% macro add_hours(timestamp, hours) -%}
    {%- if adapter is not defined -%}
        {#- sqlfluff's templater has no adapter: lint the DuckDB SQL -#}
        {{ return(duckdb__add_hours(timestamp, hours)) }}
    {%- endif -%}
    {{ return(adapter.dispatch('add_hours', 'govdw')(timestamp, hours)) }}
{%- endmacro %}

{% macro default__add_hours(timestamp, hours) -%}
    {{ timestamp }} + make_interval(hours => {{ hours }})
{%- endmacro %}

{% macro duckdb__add_hours(timestamp, hours) -%}
    {{ timestamp }} + to_hours({{ hours }}::bigint)
{%- endmacro %}

{% macro spark__add_hours(timestamp, hours) -%}
    timestampadd(hour, {{ hours }}, {{ timestamp }})
{%- endmacro %}
