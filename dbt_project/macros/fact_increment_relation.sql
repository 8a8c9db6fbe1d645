{#- A relation of the fact's increment bookkeeping, next to the versions model it indexes. -#}
{% macro fact_increment_relation(suffix) -%}
    {%- if api is not defined -%}
        {#- sqlfluff's templater has no `api`: a stand-in name, for linting only -#}
        {{ this }}__increment_{{ suffix }}
    {%- else -%}
        {%- set schema = generate_schema_name('intermediate', model) | trim -%}
        {{ return(api.Relation.create(
            database=this.database,
            schema=schema,
            identifier=this.identifier ~ '__increment_' ~ suffix,
            type='table',
        )) }}
    {%- endif -%}
{%- endmacro %}
