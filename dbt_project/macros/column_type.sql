{#- The engine's name for a contract column type. Models cast with it and the contracts'
    `data_type:` read the same table (var column_types in dbt_project.yml, keyed by
    target.type), so a cast and its contract always agree: DuckDB keeps the names as written,
    PostgreSQL has no `double`, Spark wants `string` and a timestamp without time zone. A
    lookup in data rather than a dispatch, because the .yml files cannot call macros. (sqlfluff's
    templater has no target: the name as written, i.e. DuckDB's.) -#}
{% macro column_type(name) -%}
    {%- if target is not defined -%}{{ return(name) }}{%- endif -%}
    {{ return(var('column_types')[target.type].get(name, name)) }}
{%- endmacro %}
