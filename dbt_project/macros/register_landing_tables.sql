{#-
    on-run-start: make the landing tables readable as `landing.<table>`. DuckDB and PostgreSQL
    hold them already (the ingester and the PostgreSQL loader write schema `landing`). Spark reads
    the Parquet hand-off (GOVDW_LANDING_PARQUET, laid out
    `<root>/<table>/<dataset>/<region>/<year>/<file_id>.parquet` plus a zero-row
    `<root>/<table>/schema.parquet` with the table's exact schema, so an empty table still has
    its columns): each landing source becomes an external table over its folder, recreated on
    every run so files added since are seen. Tables, not temporary views: the staging views are
    permanent and may not read temporary views. Spark runs one statement per call, hence the
    statements run here one by one and the hook's own SQL is empty.
-#}
{% macro register_landing_tables() -%}
    {{ return(adapter.dispatch('register_landing_tables', 'govdw')()) }}
{%- endmacro %}

{% macro default__register_landing_tables() -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__register_landing_tables() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set root = env_var('GOVDW_LANDING_PARQUET', '../warehouse/.build/landing_parquet') -%}
    {%- set tables = [] -%}
    {%- for source in graph.sources.values() if source.source_name == 'landing' -%}
        {%- do tables.append(source.identifier) -%}
    {%- endfor -%}
    {%- do run_query('create database if not exists landing') -%}
    {%- for table in tables | sort -%}
        {%- do run_query('drop table if exists landing.' ~ table) -%}
        {%- do run_query(
            'create table landing.' ~ table ~ ' using parquet'
            ~ " options (path '" ~ root.rstrip('/') ~ '/' ~ table ~ "', recursiveFileLookup 'true')"
        ) -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}
