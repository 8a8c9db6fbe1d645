{#- Every column of `relation` but `columns`, for a select list over a CTE that selects * from
    it. DuckDB says `* exclude (...)`; elsewhere the columns are listed from the relation
    (which exists by then: it is an upstream model). -#}
{% macro star_except(relation, columns) -%}
    {%- if adapter is not defined -%}
        {#- sqlfluff's templater has no adapter: lint the DuckDB SQL -#}
        {{ return(duckdb__star_except(relation, columns)) }}
    {%- endif -%}
    {{ return(adapter.dispatch('star_except', 'govdw')(relation, columns)) }}
{%- endmacro %}

{% macro default__star_except(relation, columns) -%}
    {%- if not execute -%}{{ return('*') }}{%- endif -%}
    {%- set kept = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if column.name | lower not in columns -%}
            {%- do kept.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ kept | join(', ') }}
{%- endmacro %}

{% macro duckdb__star_except(relation, columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}
