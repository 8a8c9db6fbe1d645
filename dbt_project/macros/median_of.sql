{#- The median of `expression` in an aggregate (nulls ignored; the mean of the middle two values
    when their count is even). DuckDB's median() has no PostgreSQL counterpart; the standard
    ordered-set form runs on PostgreSQL and Spark. -#}
{% macro median_of(expression) -%}
    {%- if adapter is not defined -%}
        {#- sqlfluff's templater has no adapter: lint the DuckDB SQL -#}
        {{ return(duckdb__median_of(expression)) }}
    {%- endif -%}
    {{ return(adapter.dispatch('median_of', 'govdw')(expression)) }}
{%- endmacro %}

{% macro default__median_of(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median_of(expression) -%}
    median({{ expression }})
{%- endmacro %}
