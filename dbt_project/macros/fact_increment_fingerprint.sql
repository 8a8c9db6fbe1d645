{#-
    SQL scalar: the logic fingerprint. The fact's compiled SQL without the increment filter and
    the database name (its macros and vars included), each upstream view's SQL file with the
    macros and vars it uses, and the contents of each upstream table (dim_date, hence the
    holiday calendar). Built from dbt's files, not DuckDB's catalog: DuckDB re-prints view SQL
    with `exclude` lists in no fixed order.
-#}
{% macro fact_increment_fingerprint() -%}
    {%- set code = compiled_code or model.compiled_code or model.raw_code -%}
    {%- set increment_filter = fact_increment_filter(config.get('unique_key')) -%}
    {%- if increment_filter -%}
        {%- set code = code | replace(increment_filter, '') -%}
    {%- endif -%}
    {#- The build database's name (its file name) is no part of the logic. -#}
    {%- set code = code | replace('"' ~ this.database ~ '".', '') -%}
    {%- set parts = [code] -%}
    {%- set views, tables = [], [] -%}
    {%- do fact_increment_upstream(model.depends_on.nodes, views, tables, []) -%}
    {%- set macros_seen = [] -%}
    {%- for node in views -%}
        {%- do parts.append(node.unique_id ~ ':' ~ node.raw_code) -%}
        {%- do fact_increment_macro_code(node.depends_on.macros, parts, macros_seen) -%}
        {%- for name in modules.re.findall('var\\(\\s*[\'"]([^\'"]+)[\'"]', node.raw_code) -%}
            {%- do parts.append('var ' ~ name ~ '=' ~ tojson(var(name, none))) -%}
        {%- endfor -%}
    {%- endfor -%}
    md5(concat_ws(
        '|',
        '{{ local_md5(parts | join("\n")) }}'
        {%- for node in tables %},
        (
            select md5(coalesce(string_agg(t::varchar, '|' order by t::varchar), ''))
            from {{ fact_increment_node_relation(node.unique_id) }} as t
        )
        {%- endfor %}
    ))
{%- endmacro %}
