{#- How the incremental facts are materialized: incrementally by source file on DuckDB (see
    fact_increment_prepare), as plain tables rebuilt in full elsewhere. -#}
{% macro fact_increment_materialized() -%}
    {%- if adapter is not defined -%}
        {#- sqlfluff's templater has no adapter: lint the DuckDB SQL -#}
        {{ return(duckdb__fact_increment_materialized()) }}
    {%- endif -%}
    {{ return(adapter.dispatch('fact_increment_materialized', 'govdw')()) }}
{%- endmacro %}

{% macro default__fact_increment_materialized() -%}
    {{ return('table') }}
{%- endmacro %}

{% macro duckdb__fact_increment_materialized() -%}
    {{ return('incremental') }}
{%- endmacro %}
