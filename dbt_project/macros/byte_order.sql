{#- A text expression that sorts by its bytes (UTF-8 code point order), whatever the database's
    collation: DuckDB and Spark always compare strings so; PostgreSQL follows the database's
    locale unless told. Used where an order decides a result (ranking tie-breaks). -#}
{% macro byte_order(expression) -%}
    {%- if adapter is not defined -%}
        {#- sqlfluff's templater has no adapter: lint the DuckDB SQL -#}
        {{ return(expression) }}
    {%- endif -%}
    {{ return(adapter.dispatch('byte_order', 'govdw')(expression)) }}
{%- endmacro %}

{% macro default__byte_order(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro postgres__byte_order(expression) -%}
    {{ expression }} collate "C"
{%- endmacro %}
