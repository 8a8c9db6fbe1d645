{#- A node's schema. DuckDB (the build file is the unit that is swapped): a custom schema as is
    (staging, intermediate, seeds), else the target schema (main). PostgreSQL and Spark hold
    other schemas beside the build (landing, the published one), so custom schemas are prefixed
    with the target schema (govdw_build_staging, ...): a whole build lives in
    `<target.schema>*` and is renamed as a unit. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ return(adapter.dispatch('generate_schema_name', 'govdw')(custom_schema_name, node)) }}
{%- endmacro %}

{% macro default__generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ return(target.schema) }}
    {%- endif -%}
    {{ return(target.schema ~ '_' ~ (custom_schema_name | trim)) }}
{%- endmacro %}

{% macro duckdb__generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ return(target.schema) }}
    {%- endif -%}
    {{ return(custom_schema_name | trim) }}
{%- endmacro %}
